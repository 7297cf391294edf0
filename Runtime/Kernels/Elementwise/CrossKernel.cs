using TypedGraph.Protos;
using TypedGraph.Kernels.Exec;

namespace TypedGraph.Kernels.Elementwise;

/// <summary>
/// <c>Cross</c> (TF's <c>core/kernels/cross_op.cc</c>, <c>tf.linalg.cross</c>): pairwise cross products of the
/// 3-vectors along the last dim of two tensors of one shape. The real number types TF registers (computed in the
/// input's own type).
/// </summary>
internal sealed class CrossKernel : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("Cross", node => new DelegateKernel(node, ctx =>
    {
        var a = ctx.Input(0);
        var b = ctx.Input(1);
        if (a.Shape != b.Shape) throw ctx.Error($"Both inputs must be of same shape: {a.Shape} vs. {b.Shape}");
        if (a.Shape.Rank < 1) throw ctx.Error($"Input must be at least 1D{a.Shape}");
        if (a.Shape[-1] != 3) throw ctx.Error($"Argument 'a' must have 3 elements in its innermost dimension, got {a.Shape[-1]}");
        if (b.DType != a.DType) throw ctx.Error("Both inputs must have one dtype");
        var output = ctx.AllocateOutput(0, a.DType, a.Shape);
        switch (a.DType)
        {
            case DataType.DtFloat: Run<float>(a, b, output); break;
            case DataType.DtDouble: Run<double>(a, b, output); break;
            case DataType.DtHalf: Run<Half>(a, b, output); break;
            case DataType.DtInt32: Run<int>(a, b, output); break;
            case DataType.DtInt64: Run<long>(a, b, output); break;
            case DataType.DtInt8: Run<sbyte>(a, b, output); break;
            case DataType.DtInt16: Run<short>(a, b, output); break;
            case DataType.DtUint8: Run<byte>(a, b, output); break;
            case DataType.DtUint16: Run<ushort>(a, b, output); break;
            case DataType.DtUint32: Run<uint>(a, b, output); break;
            case DataType.DtUint64: Run<ulong>(a, b, output); break;
            default: throw ctx.Error($"dtype {DataTypes.Name(a.DType)} is not supported.");
        }
    }));

    private static void Run<T>(Tensor a, Tensor b, Tensor output) where T : unmanaged, System.Numerics.INumber<T>
    {
        var x = a.AsSpan<T>();
        var y = b.AsSpan<T>();
        var z = output.AsSpan<T>();
        for (int i = 0; i < z.Length; i += 3)
        {
            T a0 = x[i], a1 = x[i + 1], a2 = x[i + 2], b0 = y[i], b1 = y[i + 1], b2 = y[i + 2];
            z[i] = a1 * b2 - a2 * b1;
            z[i + 1] = a2 * b0 - a0 * b2;
            z[i + 2] = a0 * b1 - a1 * b0;
        }
    }
}
