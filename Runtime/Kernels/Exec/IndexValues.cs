using TypedGraph.Protos;

namespace TypedGraph.Kernels.Exec;

/// <summary>Reads the small int32/int64 tensors that carry shapes, axes, begin/size and multiples.</summary>
internal static class IndexValues
{
    /// <summary>The elements of an int32 or int64 tensor as longs.</summary>
    /// <exception cref="GraphExecutionException">Another dtype.</exception>
    public static long[] Read(OpKernelContext ctx, int input, string what)
    {
        var t = ctx.Input(input);
        switch (t.DType)
        {
            case DataType.DtInt32:
            {
                // One array, widened in place (a ToArray + ConvertAll made two per call, on every run of Reshape/Tile/Pad).
                var src = t.AsSpan<int>();
                var values = new long[src.Length];
                for (int i = 0; i < values.Length; i++) values[i] = src[i];
                return values;
            }
            case DataType.DtInt64: return t.ToArray<long>();
            default: throw ctx.Error($"{what} (input {input}) must be int32 or int64, got {DataTypes.Name(t.DType)}.");
        }
    }

    /// <summary>
    /// The elements of an int32 or int64 tensor as longs, in <paramref name="buffer"/> when they fit (a new array
    /// otherwise): shape and index inputs are read on every step of a loop body, so callers pass a stack buffer.
    /// </summary>
    /// <exception cref="GraphExecutionException">Another dtype.</exception>
    public static ReadOnlySpan<long> Read(OpKernelContext ctx, int input, string what, Span<long> buffer)
    {
        var t = ctx.Input(input);
        if (t.DType is not (DataType.DtInt32 or DataType.DtInt64)) return Read(ctx, input, what); // throws the dtype error
        int n = checked((int)t.NumElements);
        var values = n <= buffer.Length ? buffer[..n] : new long[n];
        if (t.DType == DataType.DtInt64) t.AsSpan<long>().CopyTo(values);
        else
        {
            var src = t.AsSpan<int>();
            for (int i = 0; i < n; i++) values[i] = src[i];
        }
        return values;
    }

    /// <summary>A scalar (or one-element) int32/int64 input.</summary>
    public static long Scalar(OpKernelContext ctx, int input, string what)
    {
        // Read in place (no arrays): axes and split dims are read on every step of a recurrent cell.
        var t = ctx.Input(input);
        if (t.DType is not (DataType.DtInt32 or DataType.DtInt64)) Read(ctx, input, what); // throws the dtype error
        if (t.NumElements != 1) throw ctx.Error($"{what} (input {input}) must be a scalar, got shape {t.Shape}.");
        return t.DType == DataType.DtInt32 ? t.Scalar<int>() : t.Scalar<long>();
    }

    /// <summary>Normalizes a possibly negative axis into [0, rank).</summary>
    public static int Axis(OpKernelContext ctx, long axis, int rank, string what = "axis")
    {
        if (axis < -rank || axis >= rank)
            throw ctx.Error($"{what} {axis} is out of range for a tensor of rank {rank}.");
        return (int)(axis < 0 ? axis + rank : axis);
    }

    /// <summary>Writes <paramref name="values"/> into a new output of dtype <paramref name="dtype"/> (int32 or int64).</summary>
    public static void Output(OpKernelContext ctx, int index, DataType dtype, ReadOnlySpan<int> values)
    {
        var t = ctx.AllocateOutput(index, dtype, new TensorShape(values.Length));
        if (dtype == DataType.DtInt64)
        {
            var dst = t.AsSpan<long>();
            for (int i = 0; i < values.Length; i++) dst[i] = values[i];
        }
        else if (dtype == DataType.DtInt32) values.CopyTo(t.AsSpan<int>());
        else throw ctx.Error($"out_type must be int32 or int64, got {DataTypes.Name(dtype)}.");
    }

    /// <summary>Writes one int32/int64 scalar output.</summary>
    public static void ScalarOutput(OpKernelContext ctx, int index, DataType dtype, long value)
    {
        var t = ctx.AllocateOutput(index, dtype, TensorShape.Scalar);
        if (dtype == DataType.DtInt64) t.AsSpan<long>()[0] = value;
        else if (dtype == DataType.DtInt32) t.AsSpan<int>()[0] = checked((int)value);
        else throw ctx.Error($"out_type must be int32 or int64, got {DataTypes.Name(dtype)}.");
    }

    /// <summary>Copies <paramref name="src"/>'s elements (any dtype) into <paramref name="dst"/> of the same size.</summary>
    public static void CopyTo(Tensor src, Tensor dst)
    {
        if (src.DType == DataType.DtString) Array.Copy(src.Strings, dst.Strings, src.Strings.Length);
        else src.Bytes.CopyTo(dst.Bytes);
    }
}
