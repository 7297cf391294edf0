using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Sparse;

/// <summary>
/// One <c>SparseTensor</c> as three kernel inputs — <c>indices</c> [N, R] (int64), <c>values</c> [N] and
/// <c>dense_shape</c> [R] — read and shape-checked the way TF's <c>SparseTensor::Create</c> /
/// <c>ValidateSparseTensor</c> do, with errors naming the node.
/// </summary>
internal sealed class SparseTriple
{
    private SparseTriple(long[] indices, int count, int rank, Tensor values, long[] shape)
    {
        Indices = indices;
        Count = count;
        Rank = rank;
        Values = values;
        Shape = shape;
    }

    /// <summary>Row-major [Count, Rank] coordinates.</summary>
    public long[] Indices { get; }

    /// <summary>Number of stored values (N).</summary>
    public int Count { get; }

    /// <summary>Number of dense dimensions (R).</summary>
    public int Rank { get; }

    /// <summary>The values tensor ([N], any dtype).</summary>
    public Tensor Values { get; }

    /// <summary>The dense shape.</summary>
    public long[] Shape { get; }

    /// <summary>Coordinate <paramref name="d"/> of entry <paramref name="i"/>.</summary>
    public long At(int i, int d) => Indices[(long)i * Rank + d];

    /// <summary>Reads inputs <paramref name="first"/>, +1, +2 as indices, values, shape.</summary>
    public static SparseTriple Read(OpKernelContext ctx, int first, string what = "input")
        => From(ctx, ctx.Input(first), ctx.Input(first + 1), ctx.Input(first + 2), what);

    /// <summary>Validates and wraps three tensors.</summary>
    public static SparseTriple From(OpKernelContext ctx, Tensor indices, Tensor values, Tensor shape, string what = "input")
    {
        if (indices.Shape.Rank != 2) throw ctx.Error($"{what} indices should be a matrix, got shape {indices.Shape}.");
        if (values.Shape.Rank != 1) throw ctx.Error($"{what} values should be a vector, got shape {values.Shape}.");
        if (shape.Shape.Rank != 1) throw ctx.Error($"{what} shape should be a vector, got shape {shape.Shape}.");
        int n = indices.Shape[0], rank = indices.Shape[1];
        if (values.Shape[0] != n) throw ctx.Error($"{what}: number of values ({values.Shape[0]}) must match the first dimension of indices ({n}).");
        if (shape.Shape[0] != rank) throw ctx.Error($"{what}: number of dimensions in shape ({shape.Shape[0]}) must match the second dimension of indices ({rank}).");
        return new SparseTriple(Longs(ctx, indices, what + " indices"), n, rank, values, Longs(ctx, shape, what + " shape"));
    }

    /// <summary>The elements of an int32/int64 tensor as longs.</summary>
    public static long[] Longs(OpKernelContext ctx, Tensor t, string what) => t.DType switch
    {
        DataType.DtInt64 => t.ToArray<long>(),
        DataType.DtInt32 => Array.ConvertAll(t.ToArray<int>(), v => (long)v),
        _ => throw ctx.Error($"{what} must be int64, got {DataTypes.Name(t.DType)}."),
    };

    /// <summary>"[a,b,c]" — TF's way of printing an index in error messages.</summary>
    public string IndexString(int i) => "[" + string.Join(",", Enumerable.Range(0, Rank).Select(d => At(i, d))) + "]";

    /// <summary>Fails unless every index lies inside <see cref="Shape"/>, with TF's
    /// "indices[i] = [..] is out of bounds: need 0 &lt;= index &lt; [..]".</summary>
    public void CheckBounds(OpKernelContext ctx)
    {
        for (int i = 0; i < Count; i++)
            for (int d = 0; d < Rank; d++)
                if (At(i, d) < 0 || At(i, d) >= Shape[d])
                    throw ctx.Error($"indices[{i}] = {IndexString(i)} is out of bounds: need 0 <= index < [{string.Join(",", Shape)}].");
    }

    /// <summary>Row-major comparison of entry <paramref name="a"/> of this and entry <paramref name="b"/> of <paramref name="other"/>.</summary>
    public int Compare(int a, SparseTriple other, int b)
    {
        for (int d = 0; d < Rank; d++)
        {
            int c = At(a, d).CompareTo(other.At(b, d));
            if (c != 0) return c;
        }
        return 0;
    }

    /// <summary>The entry order that sorts the indices row-major (stable, so equal indices keep their order).</summary>
    public int[] RowMajorOrder()
    {
        var order = Enumerable.Range(0, Count).ToArray();
        // OrderBy is a stable sort; compare coordinates dimension by dimension.
        return order.OrderBy(i => i, Comparer<int>.Create((x, y) => Compare(x, this, y))).ToArray();
    }

    /// <summary>Writes an int64 [rows, rank] output from coordinates.</summary>
    public static void WriteIndices(OpKernelContext ctx, int output, long[] coords, int rows, int rank)
    {
        var t = ctx.AllocateOutput(output, DataType.DtInt64, new TensorShape(rows, rank));
        coords.AsSpan(0, rows * rank).CopyTo(t.AsSpan<long>());
    }

    /// <summary>Writes an int64 vector output.</summary>
    public static void WriteVector(OpKernelContext ctx, int output, long[] values)
    {
        var t = ctx.AllocateOutput(output, DataType.DtInt64, new TensorShape(values.Length));
        values.CopyTo(t.AsSpan<long>());
    }

    /// <summary>Gathers <paramref name="values"/>[order[k]] into output <paramref name="output"/>.</summary>
    public static Tensor GatherValues(OpKernelContext ctx, int output, Tensor values, IReadOnlyList<int> order)
    {
        var t = ctx.AllocateOutput(output, values.DType, new TensorShape(order.Count));
        for (int k = 0; k < order.Count; k++) Common.Elements.Copy(values, order[k], t, k, 1);
        return t;
    }
}
