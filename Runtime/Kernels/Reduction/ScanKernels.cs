using System.Numerics;
using TypedGraph.Kernels.Common;

namespace TypedGraph.Kernels.Reduction;

/// <summary>
/// <c>Cumsum</c> / <c>Cumprod</c> along the axis given as a scalar input, with TF's <c>exclusive</c> (element i gets
/// the sum/product of the elements before i, starting from 0/1) and <c>reverse</c> (scan from the end) attrs
/// (<c>scan_ops.cc</c>), for every real number type; accumulation is in the element type, as TF's Eigen scan. Complex64
/// and complex128 too (TF registers the scans for every number type): products as Eigen's complex <c>pmul</c>
/// ((ac − bd) + (ad + bc)i, which System.Numerics.Complex computes bit for bit), complex64 accumulated in complex128 and
/// rounded once per output — as this runtime's complex Prod reduction does; TF accumulates in complex64, so the last bits
/// of long complex64 scans may differ.
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

    protected override bool ComputeOther(OpKernelContext context, Protos.DataType dtype)
    {
        if (!ComplexArithmetic.ComplexData.IsComplex(dtype)) return false;
        var x = context.Input(0);
        int ax = Axis(context, x);
        var y = context.AllocateOutput(0, x.DType, x.Shape);
        var dst = ComplexArithmetic.ComplexData.Target(y);
        Scan(ComplexArithmetic.ComplexData.Read(x), dst, x.Shape, ax);
        ComplexArithmetic.ComplexData.Commit(y, dst);
        return true;
    }

    private int Axis(OpKernelContext context, Tensor x)
    {
        var axisTensor = context.Input(1);
        if (axisTensor.Shape.Rank != 0) throw Error($"ScanOp: axis must be a scalar, not {axisTensor.Shape}");
        long axis = Exec.IndexValues.Scalar(context, 1, "axis");
        int rank = x.Shape.Rank;
        if (axis < -rank || axis >= rank || rank == 0)
            throw Error($"ScanOp: Expected scan axis in the range [{-rank}, {rank}), but got {axis}");
        return (int)(axis < 0 ? axis + rank : axis);
    }

    private static (long Outer, int Len, long Inner) Extents(TensorShape shape, int ax)
    {
        long outer = 1, inner = 1;
        for (int i = 0; i < ax; i++) outer *= shape[i];
        for (int i = ax + 1; i < shape.Rank; i++) inner *= shape[i];
        return (outer, shape[ax], inner);
    }

    protected override void Compute<T>(OpKernelContext context)
    {
        var x = context.Input(0);
        int ax = Axis(context, x);
        var y = context.AllocateOutput(0, x.DType, x.Shape);
        Scan(x.AsSpan<T>(), y.AsSpan<T>(), x.Shape, ax);
    }

    // The scan along axis `ax`, in the element type. System.Numerics.Complex's product is (ac − bd) + (ad + bc)i with no
    // special-value recovery — Eigen's pmul, the same bits as ComplexMath.Multiply.
    private void Scan<TV>(ReadOnlySpan<TV> src, Span<TV> dst, TensorShape shape, int ax) where TV : INumberBase<TV>
    {
        var (outer, len, inner) = Extents(shape, ax);
        TV identity = product ? TV.One : TV.Zero;
        for (long o = 0; o < outer; o++)
            for (long i = 0; i < inner; i++)
            {
                long start = o * len * inner + i;
                TV acc = identity;
                for (int s = 0; s < len; s++)
                {
                    int at = (int)(start + (_reverse ? len - 1 - s : s) * inner);
                    TV v = src[at];
                    if (_exclusive) dst[at] = acc;
                    acc = product ? acc * v : acc + v;
                    if (!_exclusive) dst[at] = acc;
                }
            }
    }
}
