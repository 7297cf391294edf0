using System.Numerics;
using TypedGraph.Kernels.Common;

namespace TypedGraph.Kernels.Reduction;

/// <summary>
/// <c>Cumsum</c> / <c>Cumprod</c> along the axis given as a scalar input, with TF's <c>exclusive</c> (element i gets
/// the sum/product of the elements before i, starting from 0/1) and <c>reverse</c> (scan from the end) attrs
/// (<c>scan_ops.cc</c>), for every real number type; accumulation is in the element type, as TF's Eigen scan.
/// </summary>
internal sealed class ScanKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("Cumsum", n => new ScanKernel(n, product: false));
        registry.Add("Cumprod", n => new ScanKernel(n, product: true));
    }
}

/// <summary>One Cumsum / Cumprod node.</summary>
internal sealed class ScanKernel(Node node, bool product) : NumericKernel(node)
{
    private readonly bool _exclusive = node.GetBool("exclusive", false);
    private readonly bool _reverse = node.GetBool("reverse", false);

    protected override void Compute<T>(OpKernelContext context)
    {
        var x = context.Input(0);
        var axisTensor = context.Input(1);
        if (axisTensor.Shape.Rank != 0) throw Error($"ScanOp: axis must be a scalar, not {axisTensor.Shape}");
        long axis = Exec.IndexValues.Scalar(context, 1, "axis");
        int rank = x.Shape.Rank;
        if (axis < -rank || axis >= rank || rank == 0)
            throw Error($"ScanOp: Expected scan axis in the range [{-rank}, {rank}), but got {axis}");
        int ax = (int)(axis < 0 ? axis + rank : axis);
        var y = context.AllocateOutput(0, x.DType, x.Shape);
        var src = x.AsSpan<T>();
        var dst = y.AsSpan<T>();
        long outer = 1, inner = 1;
        for (int i = 0; i < ax; i++) outer *= x.Shape[i];
        for (int i = ax + 1; i < rank; i++) inner *= x.Shape[i];
        int len = x.Shape[ax];
        T identity = product ? T.One : T.Zero;
        for (long o = 0; o < outer; o++)
            for (long i = 0; i < inner; i++)
            {
                long start = o * len * inner + i;
                T acc = identity;
                for (int s = 0; s < len; s++)
                {
                    int k = _reverse ? len - 1 - s : s;
                    long at = start + k * inner;
                    T v = src[(int)at];
                    if (_exclusive) { dst[(int)at] = acc; acc = product ? acc * v : acc + v; }
                    else { acc = product ? acc * v : acc + v; dst[(int)at] = acc; }
                }
            }
    }
}
