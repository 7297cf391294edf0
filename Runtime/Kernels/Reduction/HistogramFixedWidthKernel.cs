using System.Numerics;
using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Reduction;

/// <summary>
/// HistogramFixedWidth, following tensorflow/core/kernels/histogram_op.cc (HistogramFixedWidthFunctor):
/// <c>step = (hi - lo) / nbins</c> in double; each value's bin is <c>(double)(max(v, lo) - lo) / step</c> capped at
/// <c>nbins - 1</c> and truncated, so values below the range count in bin 0 and values at or above <c>hi</c> in the
/// last bin. The subtraction happens in the input type, as in TF. NaN values, <c>lo &gt;= hi</c> and <c>nbins &lt;= 0</c>
/// are errors with TF's messages. Output int32 or int64 (attr <c>dtype</c>), shape <c>[nbins]</c>.
/// </summary>
internal sealed class HistogramFixedWidthKernel : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("HistogramFixedWidth", node =>
    {
        var outType = node.GetType("dtype", DataType.DtInt32);
        if (outType is not (DataType.DtInt32 or DataType.DtInt64))
            throw KernelAttrs.Err(node, $"dtype must be int32 or int64, got {DataTypes.Name(outType)}.");
        return new DelegateKernel(node, ctx =>
        {
            var values = ctx.Input(0);
            var range = ctx.Input(1);
            if (range.Shape.Rank != 1) throw ctx.Error("value_range should be a vector.");
            if (range.NumElements != 2) throw ctx.Error("value_range should be a vector of 2 elements.");
            if (ctx.Input(2).Shape.Rank != 0) throw ctx.Error("nbins should be a scalar.");
            long nbins = IndexValues.Scalar(ctx, 2, "nbins");
            int[] bins = values.DType switch
            {
                DataType.DtFloat => Bins<float>(ctx, values, range, nbins, float.IsNaN),
                DataType.DtDouble => Bins<double>(ctx, values, range, nbins, double.IsNaN),
                DataType.DtInt32 => Bins<int>(ctx, values, range, nbins, _ => false),
                DataType.DtInt64 => Bins<long>(ctx, values, range, nbins, _ => false),
                _ => throw KernelAttrs.BadType(ctx.Node, values.DType),
            };
            var o = ctx.AllocateOutput(0, outType, new TensorShape((int)nbins));
            if (outType == DataType.DtInt32) { var d = o.AsSpan<int>(); foreach (int b in bins) d[b]++; }
            else { var d = o.AsSpan<long>(); foreach (int b in bins) d[b]++; }
        });
    });

    private static int[] Bins<T>(OpKernelContext ctx, Tensor values, Tensor range, long nbins, Func<T, bool> isNaN)
        where T : unmanaged, INumber<T>
    {
        var r = range.AsSpan<T>();
        T lo = r[0], hi = r[1];
        if (!(lo < hi)) throw ctx.Error($"value_range should satisfy value_range[0] < value_range[1], but got '[{lo}, {hi}]'");
        if (nbins <= 0) throw ctx.Error($"nbins should be a positive number, but got '{nbins}'");
        double step = double.CreateTruncating(hi - lo) / nbins;
        double last = nbins - 1;
        var v = values.AsSpan<T>();
        var bins = new int[v.Length];
        for (int i = 0; i < v.Length; i++)
        {
            if (isNaN(v[i])) throw ctx.Error("Histogram values must not contain NaN");
            T shifted = T.Max(v[i], lo) - lo;
            bins[i] = (int)Math.Min(double.CreateTruncating(shifted) / step, last);
        }
        return bins;
    }
}
