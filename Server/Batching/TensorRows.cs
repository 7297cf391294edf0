using TypedGraph.Protos;

namespace TypedGraph.Server.Batching;

/// <summary>Concatenating and slicing tensors along the first (batch) dimension.</summary>
public static class TensorRows
{
    /// <summary>Stacks tensors of equal dtype and per-row shape along dimension 0.</summary>
    /// <exception cref="ArgumentException">Dtypes or per-row shapes differ.</exception>
    public static Tensor Concat(IReadOnlyList<Tensor> parts)
    {
        var first = parts[0];
        var inner = first.Shape.Dims[1..].ToArray();
        int rows = 0;
        foreach (var p in parts)
        {
            if (p.DType != first.DType || p.Shape.Rank != first.Shape.Rank || !p.Shape.Dims[1..].SequenceEqual(inner))
                throw new ArgumentException($"Cannot batch a {DataTypes.Name(p.DType)}{p.Shape} tensor with a {DataTypes.Name(first.DType)}{first.Shape} one.");
            rows += p.Shape[0];
        }
        var shape = new TensorShape([rows, .. inner]);
        if (first.DType == DataType.DtString)
            return new Tensor(shape, parts.SelectMany(p => p.Strings).ToArray());
        var result = Tensor.Zeros(first.DType, shape);
        var dest = result.Bytes;
        int at = 0;
        foreach (var p in parts)
        {
            p.Bytes.CopyTo(dest[at..]);
            at += p.ByteLength;
        }
        return result;
    }

    /// <summary>Rows [<paramref name="start"/>, <paramref name="start"/>+<paramref name="count"/>) of <paramref name="t"/> (a copy).</summary>
    public static Tensor Slice(Tensor t, int start, int count)
    {
        var inner = t.Shape.Dims[1..].ToArray();
        var shape = new TensorShape([count, .. inner]);
        long rowElems = 1;
        foreach (var d in inner) rowElems *= d;
        if (t.DType == DataType.DtString)
            return new Tensor(shape, t.Strings.AsSpan(checked((int)(start * rowElems)), checked((int)(count * rowElems))).ToArray());
        int rowBytes = checked((int)(rowElems * DataTypes.ElementSize(t.DType)));
        var result = Tensor.Zeros(t.DType, shape);
        t.Bytes.Slice(start * rowBytes, count * rowBytes).CopyTo(result.Bytes);
        return result;
    }
}
