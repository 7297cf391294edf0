using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Reduction;

/// <summary>
/// <c>CumulativeLogsumexp</c> (TF's <c>core/kernels/scan_ops.cc</c> with <c>LogSumExpReducer</c>,
/// <c>tf.math.cumulative_logsumexp</c>): along <c>axis</c>, <c>out[i] = log Σ_{j ≤ i} exp(x[j])</c> (exclusive: j &lt; i,
/// the first element −∞; reverse: from the end), each step combined as the reducer does —
/// <c>max + log1p(exp(min − max))</c>, −∞ when both are −∞. float, double and half (half combined in float).
/// </summary>
internal sealed class CumulativeLogsumexpKernel : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("CumulativeLogsumexp", node =>
    {
        bool exclusive = node.GetBool("exclusive", false), reverse = node.GetBool("reverse", false);
        return new DelegateKernel(node, ctx =>
        {
            var x = ctx.Input(0);
            if (ctx.Input(1).Shape.Rank != 0) throw ctx.Error($"ScanOp: axis must be a scalar, not {ctx.Input(1).Shape}");
            long axisValue = IndexValues.Scalar(ctx, 1, "axis");
            int rank = x.Shape.Rank;
            if (axisValue < -rank || axisValue >= rank)
                throw ctx.Error($"ScanOp: Expected scan axis in the range [{-rank}, {rank}), but got {axisValue}");
            int axis = (int)(axisValue < 0 ? axisValue + rank : axisValue);
            var output = ctx.AllocateOutput(0, x.DType, x.Shape);
            if (x.NumElements == 0) return;
            long inner = 1;
            for (int d = axis + 1; d < rank; d++) inner *= x.Shape[d];
            int len = x.Shape[axis];
            long outer = x.NumElements / (inner * len);
            switch (x.DType)
            {
                case DataType.DtDouble: Scan(x.AsSpan<double>(), output.AsSpan<double>(), outer, len, inner, exclusive, reverse); break;
                case DataType.DtFloat: Scan(x.AsSpan<float>(), output.AsSpan<float>(), outer, len, inner, exclusive, reverse); break;
                case DataType.DtHalf:
                {
                    var src = x.AsSpan<Half>();
                    var wide = new float[src.Length];
                    for (int i = 0; i < wide.Length; i++) wide[i] = (float)src[i];
                    var result = new float[wide.Length];
                    Scan<float>(wide, result, outer, len, inner, exclusive, reverse);
                    var dst = output.AsSpan<Half>();
                    for (int i = 0; i < result.Length; i++) dst[i] = (Half)result[i];
                    break;
                }
                default: throw ctx.Error($"dtype {DataTypes.Name(x.DType)} is not supported (float, double or half).");
            }
        });
    });

    private static void Scan<T>(ReadOnlySpan<T> x, Span<T> y, long outer, int len, long inner, bool exclusive, bool reverse)
        where T : System.Numerics.IFloatingPointIeee754<T>
    {
        for (long o = 0; o < outer; o++)
            for (long i = 0; i < inner; i++)
            {
                T acc = T.NegativeInfinity;
                for (int s = 0; s < len; s++)
                {
                    int k = reverse ? len - 1 - s : s;
                    int at = checked((int)((o * len + k) * inner + i));
                    if (exclusive) { y[at] = acc; acc = Combine(acc, x[at]); }
                    else { acc = Combine(acc, x[at]); y[at] = acc; }
                }
            }
    }

    // LogSumExpReducer::reduce (scan_ops.h): log(exp(a) + exp(b)) as max + log1p(exp(min − max)); two −∞ stay −∞.
    private static T Combine<T>(T a, T b) where T : System.Numerics.IFloatingPointIeee754<T>
    {
        if (T.IsNegativeInfinity(a) && T.IsNegativeInfinity(b)) return a;
        T max = T.Max(a, b), min = T.Min(a, b);
        return max + T.LogP1(T.Exp(min - max));
    }
}
