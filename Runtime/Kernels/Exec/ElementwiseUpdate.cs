using TypedGraph.Protos;

namespace TypedGraph.Kernels.Exec;

/// <summary>The arithmetic of AssignAdd/AssignSub (and their resource forms) over the numeric dtypes.</summary>
internal static class ElementwiseUpdate
{
    /// <summary>Returns a new tensor <c>a + sign·b</c>; <paramref name="a"/> and <paramref name="b"/> must agree in dtype and shape.</summary>
    /// <exception cref="GraphExecutionException">Mismatched dtype/shape or a non-numeric dtype.</exception>
    public static Tensor AddScaled(OpKernelContext ctx, Tensor a, Tensor b, int sign)
    {
        if (a.DType != b.DType) throw ctx.Error($"cannot update a {DataTypes.Name(a.DType)} variable with a {DataTypes.Name(b.DType)} value.");
        if (a.Shape != b.Shape) throw ctx.Error($"the variable has shape {a.Shape} but the update has shape {b.Shape}.");
        var r = a.Clone();
        switch (a.DType)
        {
            case DataType.DtFloat: Apply<float>(r, b, sign); break;
            case DataType.DtDouble: Apply<double>(r, b, sign); break;
            case DataType.DtInt32: Apply<int>(r, b, sign); break;
            case DataType.DtInt64: Apply<long>(r, b, sign); break;
            case DataType.DtInt16: Apply<short>(r, b, sign); break;
            case DataType.DtInt8: Apply<sbyte>(r, b, sign); break;
            case DataType.DtUint8: Apply<byte>(r, b, sign); break;
            case DataType.DtUint16: Apply<ushort>(r, b, sign); break;
            case DataType.DtUint32: Apply<uint>(r, b, sign); break;
            case DataType.DtUint64: Apply<ulong>(r, b, sign); break;
            case DataType.DtHalf: Apply<Half>(r, b, sign); break;
            default: throw ctx.Error($"dtype {DataTypes.Name(a.DType)} does not support addition.");
        }
        return r;
    }

    private static void Apply<T>(Tensor r, Tensor b, int sign) where T : unmanaged, System.Numerics.INumber<T>
    {
        var dst = r.AsSpan<T>();
        var src = b.AsSpan<T>();
        if (sign > 0) for (int i = 0; i < dst.Length; i++) dst[i] += src[i];
        else for (int i = 0; i < dst.Length; i++) dst[i] -= src[i];
    }
}
