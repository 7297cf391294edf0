using System.Numerics;
using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Elementwise;

/// <summary>IsNan, IsInf, IsFinite: bool tensors classifying float/double elements.</summary>
internal sealed class FloatClassKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("IsNan", n => new FloatClassKernel(n, 0));
        registry.Add("IsInf", n => new FloatClassKernel(n, 1));
        registry.Add("IsFinite", n => new FloatClassKernel(n, 2));
    }
}

/// <summary>One IsNan / IsInf / IsFinite node (kind 0, 1, 2).</summary>
internal sealed class FloatClassKernel(Node node, int kind) : OpKernel(node)
{
    public override void Compute(OpKernelContext context)
    {
        var x = context.Input(0);
        var y = context.AllocateOutput(0, DataType.DtBool, x.Shape);
        switch (x.DType)
        {
            case DataType.DtFloat: Classify<float>(x.AsSpan<float>(), y.AsSpan<bool>()); break;
            case DataType.DtDouble: Classify<double>(x.AsSpan<double>(), y.AsSpan<bool>()); break;
            default: throw KernelAttrs.BadType(Node, x.DType);
        }
    }

    private void Classify<T>(ReadOnlySpan<T> x, Span<bool> y) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++)
            y[i] = kind switch { 0 => T.IsNaN(x[i]), 1 => T.IsInfinity(x[i]), _ => T.IsFinite(x[i]) };
    }
}
