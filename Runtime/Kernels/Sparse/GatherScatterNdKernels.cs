using System.Numerics;
using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Sparse;

/// <summary>How a scatter combines an update with the value already there.</summary>
internal enum ScatterOp { Update, Add, Sub, Mul, Div, Max, Min }

/// <summary>
/// N-dimensional gathers and scatters on plain tensors and on resource variables:
/// <c>GatherNd</c>, <c>ResourceGather</c> (the embedding lookup of TF2 Keras <c>Embedding</c> layers),
/// <c>ResourceGatherNd</c>, <c>ScatterNd</c> and <c>TensorScatter{Update,Add,Sub,Max,Min}</c>.
/// Semantics after TF's <c>gather_nd_op.cc</c>, <c>resource_variable_ops.cc</c> (ResourceGather: a Gather on axis
/// <c>batch_dims</c> of the variable's value) and <c>scatter_nd_op.cc</c> (ScatterNd sums duplicate indices into
/// zeros; TensorScatterUpdate applies updates in index order, so the last duplicate wins on CPU). Out-of-range
/// indices fail naming the offending index, like TF's "indices[i] = [..] does not index into param shape [..]".
/// </summary>
internal sealed class GatherScatterNdKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("GatherNd", n => new DelegateKernel(n, ctx => GatherNd(ctx, ctx.Input(0))));
        registry.Add("ResourceGatherNd", n => new DelegateKernel(n, ctx => GatherNd(ctx, ResourceHandles.Variable(ctx, 0).GetValue(n.Name))));
        registry.Add("ResourceGather", n =>
        {
            long batchDims = n.GetInt("batch_dims", 0);
            if (batchDims != 0) throw KernelAttrs.Err(n, "batch_dims != 0 is not supported.");
            var dtype = n.GetType("dtype", DataType.DtInvalid);
            return new DelegateKernel(n, ctx =>
            {
                var value = ResourceHandles.Variable(ctx, 0).GetValue(n.Name);
                if (dtype != DataType.DtInvalid && value.DType != dtype)
                    throw ctx.Error($"reads a {DataTypes.Name(dtype)} but variable holds {DataTypes.Name(value.DType)}.");
                GatherRows(ctx, value, ctx.Input(1));
            });
        });
        registry.Add("ScatterNd", n => new ScatterNdKernel(n));
        foreach (var op in new[] { ScatterOp.Update, ScatterOp.Add, ScatterOp.Sub, ScatterOp.Max, ScatterOp.Min })
            registry.Add("TensorScatter" + op, n => new TensorScatterKernel(n, op));
    }

    /// <summary>Gather along axis 0 of <paramref name="value"/> (any dtype): out = indices.shape + value.shape[1:].</summary>
    internal static void GatherRows(OpKernelContext ctx, Tensor value, Tensor indicesT)
    {
        if (value.Shape.Rank < 1) throw ctx.Error($"params must be at least 1 dimensional, got shape {value.Shape}.");
        var indices = SparseTriple.Longs(ctx, indicesT, "indices");
        int rows = value.Shape[0];
        long inner = RowSize(value.Shape);
        var dims = indicesT.Shape.ToArray().Concat(value.Shape.ToArray()[1..]).ToArray();
        for (int i = 0; i < indices.Length; i++)
            if (indices[i] < 0 || indices[i] >= rows) throw ctx.Error($"indices[{i}] = {indices[i]} is not in [0, {rows})");
        var y = ctx.AllocateOutput(0, value.DType, new TensorShape(dims));
        for (int i = 0; i < indices.Length; i++) Elements.Copy(value, indices[i] * inner, y, i * inner, inner);
    }

    /// <summary>Elements per first-dimension row of <paramref name="shape"/>.</summary>
    internal static long RowSize(TensorShape shape)
    {
        long inner = 1;
        for (int d = 1; d < shape.Rank; d++) inner *= shape[d];
        return inner;
    }

    /// <summary>The index depth K, the number of index tuples and the flat element offset of each, checked against
    /// <paramref name="shape"/> (the slice size is the product of shape[K:]).</summary>
    internal static (int K, long[] Offsets, long SliceSize) IndexTuples(OpKernelContext ctx, Tensor indicesT, long[] shape, string against)
    {
        if (indicesT.Shape.Rank < 1) throw ctx.Error($"indices must be at least a vector, got shape {indicesT.Shape}.");
        var idx = SparseTriple.Longs(ctx, indicesT, "indices");
        int k = indicesT.Shape[-1];
        if (k > shape.Length) throw ctx.Error($"index innermost dimension length must be <= {against} rank; saw: {k} vs. {shape.Length}");
        long tuples = 1;
        for (int d = 0; d < indicesT.Shape.Rank - 1; d++) tuples *= indicesT.Shape[d];
        long slice = 1;
        for (int d = k; d < shape.Length; d++) slice *= shape[d];
        var strides = new long[k];
        long acc = slice;
        for (int d = k - 1; d >= 0; d--)
        {
            strides[d] = acc;
            acc *= shape[d];
        }
        var offsets = new long[tuples];
        for (long t = 0; t < tuples; t++)
        {
            long off = 0;
            for (int d = 0; d < k; d++)
            {
                long v = idx[t * k + d];
                if (v < 0 || v >= shape[d])
                    throw ctx.Error($"indices[{t}] = [{string.Join(", ", idx.Skip((int)(t * k)).Take(k))}] does not index into {against} shape [{string.Join(",", shape)}]");
                off += v * strides[d];
            }
            offsets[t] = off;
        }
        return (k, offsets, slice);
    }

    // TF's GatherNdOp: output shape indices.shape[:-1] + params.shape[K:].
    private static void GatherNd(OpKernelContext ctx, Tensor p)
    {
        var indicesT = ctx.Input(1);
        var pShape = p.Shape.ToArray().Select(d => (long)d).ToArray();
        var (k, offsets, slice) = IndexTuples(ctx, indicesT, pShape, "param");
        var dims = indicesT.Shape.ToArray()[..^1].Concat(p.Shape.ToArray()[k..]).ToArray();
        var y = ctx.AllocateOutput(0, p.DType, new TensorShape(dims));
        for (long t = 0; t < offsets.Length; t++) Elements.Copy(p, offsets[t], y, t * slice, slice);
    }

    /// <summary>Checks that updates.shape == indices.shape[:-1] + shape[K:] (TF's ValidateUpdateShape).</summary>
    internal static void CheckUpdateShape(OpKernelContext ctx, Tensor indices, Tensor updates, long[] shape, int k)
    {
        var want = indices.Shape.ToArray()[..^1].Select(d => (long)d).Concat(shape[k..]).ToArray();
        if (!updates.Shape.ToArray().Select(d => (long)d).SequenceEqual(want))
            throw ctx.Error($"Dimensions [0,{indices.Shape.Rank - 1}) of indices[shape={indices.Shape}] = [{string.Join(",", indices.Shape.ToArray()[..^1])}] plus shape[{k}:] must equal updates.shape = {updates.Shape} (expected [{string.Join(",", want)}]).");
    }

    internal static T Combine<T>(ScatterOp op, T old, T u) where T : INumber<T> => op switch
    {
        ScatterOp.Update => u,
        ScatterOp.Add => old + u,
        ScatterOp.Sub => old - u,
        ScatterOp.Mul => old * u,
        ScatterOp.Div => old / u,
        ScatterOp.Max => u > old ? u : old,
        _ => u < old ? u : old,
    };

    // ScatterNd(indices, updates, shape): zeros of `shape`, updates summed in (duplicates accumulate).
    private sealed class ScatterNdKernel(Node node) : NumericKernel(node)
    {
        protected override int TypeInput => 1;

        protected override void Compute<T>(OpKernelContext ctx)
        {
            var indices = ctx.Input(0);
            var updates = ctx.Input(1);
            var shape = IndexValues.Read(ctx, 2, "shape");
            foreach (var d in shape)
                if (d < 0) throw ctx.Error($"shape must not have negative dimensions, got [{string.Join(",", shape)}].");
            var (k, offsets, slice) = IndexTuples(ctx, indices, shape, "output");
            CheckUpdateShape(ctx, indices, updates, shape, k);
            var y = ctx.AllocateOutput(0, updates.DType, TensorShape.FromLongs(shape));
            var o = y.AsSpan<T>();
            o.Clear();
            var u = updates.AsSpan<T>();
            for (long t = 0; t < offsets.Length; t++)
                for (long e = 0; e < slice; e++) o[(int)(offsets[t] + e)] += u[(int)(t * slice + e)];
        }
    }

    // TensorScatterX(tensor, indices, updates): a copy of tensor with the slices combined in index order.
    private sealed class TensorScatterKernel(Node node, ScatterOp op) : NumericKernel(node)
    {
        protected override void Compute<T>(OpKernelContext ctx)
        {
            var tensor = ctx.Input(0);
            var indices = ctx.Input(1);
            var updates = ctx.Input(2);
            if (updates.DType != tensor.DType) throw ctx.Error($"updates are {DataTypes.Name(updates.DType)} but tensor is {DataTypes.Name(tensor.DType)}.");
            var shape = tensor.Shape.ToArray().Select(d => (long)d).ToArray();
            var (k, offsets, slice) = IndexTuples(ctx, indices, shape, "input");
            CheckUpdateShape(ctx, indices, updates, shape, k);
            var y = ctx.AllocateOutput(0, tensor.DType, tensor.Shape);
            var o = y.AsSpan<T>();
            tensor.AsSpan<T>().CopyTo(o);
            var u = updates.AsSpan<T>();
            for (long t = 0; t < offsets.Length; t++)
                for (long e = 0; e < slice; e++)
                {
                    ref T dst = ref o[(int)(offsets[t] + e)];
                    dst = Combine(op, dst, u[(int)(t * slice + e)]);
                }
        }
    }
}
