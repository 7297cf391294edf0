using System.Numerics;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Common;

/// <summary>
/// A kernel written once as a generic method over the element type: <see cref="Compute"/> picks the CLR type from
/// the dtype of input <see cref="TypeInput"/> (at run time, so a node without a <c>T</c> attr still works) and calls
/// <see cref="Compute{T}"/>. Covers the real number types TF's <c>TF_CALL_REAL_NUMBER_TYPES</c> registers on CPU
/// (float, double, half, int8/16/32/64, uint8/16/32/64); bfloat16 has no CLR type and is rejected by name.
/// </summary>
internal abstract class NumericKernel(Node node) : OpKernel(node)
{
    /// <summary>The input whose dtype selects the element type (default 0).</summary>
    protected virtual int TypeInput => 0;

    /// <inheritdoc/>
    public sealed override void Compute(OpKernelContext context)
    {
        var t = context.Input(TypeInput).DType;
        switch (t)
        {
            case DataType.DtFloat: Compute<float>(context); break;
            case DataType.DtDouble: Compute<double>(context); break;
            case DataType.DtInt32: Compute<int>(context); break;
            case DataType.DtInt64: Compute<long>(context); break;
            case DataType.DtHalf: Compute<Half>(context); break;
            case DataType.DtInt8: Compute<sbyte>(context); break;
            case DataType.DtUint8: Compute<byte>(context); break;
            case DataType.DtInt16: Compute<short>(context); break;
            case DataType.DtUint16: Compute<ushort>(context); break;
            case DataType.DtUint32: Compute<uint>(context); break;
            case DataType.DtUint64: Compute<ulong>(context); break;
            default:
                if (!ComputeOther(context, t)) throw KernelAttrs.BadType(Node, t);
                break;
        }
    }

    /// <summary>The kernel body for element type <typeparamref name="T"/>.</summary>
    protected abstract void Compute<T>(OpKernelContext context) where T : unmanaged, INumber<T>, IMinMaxValue<T>;

    /// <summary>For a dtype outside the real number types (e.g. complex): compute and return true, or return false to
    /// refuse it with the usual bad-type error.</summary>
    protected virtual bool ComputeOther(OpKernelContext context, Protos.DataType dtype) => false;
}

/// <summary>Like <see cref="NumericKernel"/> for ops TF registers on floating types only (float, double, half).</summary>
internal abstract class FloatKernel(Node node) : OpKernel(node)
{
    /// <summary>The input whose dtype selects the element type (default 0).</summary>
    protected virtual int TypeInput => 0;

    /// <inheritdoc/>
    public sealed override void Compute(OpKernelContext context)
    {
        var t = context.Input(TypeInput).DType;
        switch (t)
        {
            case DataType.DtFloat: Compute<float>(context); break;
            case DataType.DtDouble: Compute<double>(context); break;
            case DataType.DtHalf: Compute<Half>(context); break;
            default: throw KernelAttrs.BadType(Node, t);
        }
    }

    /// <summary>The kernel body for element type <typeparamref name="T"/>.</summary>
    protected abstract void Compute<T>(OpKernelContext context) where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T>;
}

/// <summary>Moves elements between tensors of any dtype (numeric bytes, strings, bools) by flat element index —
/// what the index-shuffling ops (GatherNd, SparseReorder, SparseToDense…) need, since TF registers them on every type.</summary>
internal static class Elements
{
    /// <summary>Copies <paramref name="count"/> elements from <paramref name="src"/>[<paramref name="from"/>…] to
    /// <paramref name="dst"/>[<paramref name="to"/>…]; both tensors have the same dtype.</summary>
    public static void Copy(Tensor src, long from, Tensor dst, long to, long count)
    {
        if (count == 0) return;
        if (src.DType == DataType.DtString)
        {
            Array.Copy(src.Strings, from, dst.Strings, to, count);
            return;
        }
        int es = DataTypes.ElementSize(src.DType);
        src.Bytes.Slice(checked((int)(from * es)), checked((int)(count * es))).CopyTo(dst.Bytes.Slice(checked((int)(to * es)), checked((int)(count * es))));
    }

    /// <summary>Sets <paramref name="count"/> elements of <paramref name="dst"/> from <paramref name="at"/> to the
    /// single element of the scalar <paramref name="value"/>.</summary>
    public static void Fill(Tensor dst, long at, long count, Tensor value)
    {
        for (long k = 0; k < count; k++) Copy(value, 0, dst, at + k, 1);
    }

    /// <summary>A new tensor of <paramref name="dtype"/> and <paramref name="shape"/> (strings: empty).</summary>
    public static Tensor Allocate(OpKernelContext ctx, int output, DataType dtype, TensorShape shape) => ctx.AllocateOutput(output, dtype, shape);
}
