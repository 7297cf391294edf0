using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Sparse;

/// <summary>
/// The <c>SparseTensor</c> plumbing ops feature columns and <c>tf.sparse</c> emit, on values of any dtype:
/// SparseFillEmptyRows, SparseReshape, SparseToDense, SparseReorder, SparseSlice and SparseConcat. Semantics and
/// error texts follow TF's <c>sparse_fill_empty_rows_op.cc</c>, <c>reshape_util.cc</c>,
/// <c>sparse_to_dense_op.cc</c>, <c>sparse_reorder_op.cc</c>, <c>sparse_slice_op.cc</c> and
/// <c>sparse_concat_op.cc</c>; see each method.
/// </summary>
internal sealed class SparseTensorKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("SparseFillEmptyRows", n => new DelegateKernel(n, FillEmptyRows));
        registry.Add("SparseReshape", n => new DelegateKernel(n, Reshape));
        registry.Add("SparseToDense", n =>
        {
            bool validate = n.GetBool("validate_indices", true);
            return new DelegateKernel(n, ctx => ToDense(ctx, validate));
        });
        registry.Add("SparseReorder", n => new DelegateKernel(n, Reorder));
        registry.Add("SparseSlice", n => new DelegateKernel(n, Slice));
        registry.Add("SparseConcat", n =>
        {
            long dim = n.GetInt("concat_dim");
            return new DelegateKernel(n, ctx => Concat(ctx, dim));
        });
    }

    // TF's SparseFillEmptyRows functor (CPU): rows are counted; when every row has an entry and rows are already
    // non-decreasing the inputs pass through; otherwise entries are placed row by row (keeping their order inside
    // a row) and each empty row gets one entry [row, 0, …, 0] = default_value. reverse_index_map[i] is where
    // input entry i went; empty_row_indicator[r] marks the filled rows.
    private static void FillEmptyRows(OpKernelContext ctx)
    {
        var defaultValue = ctx.Input(3);
        if (ctx.Input(2).Shape.Rank != 1) throw ctx.Error($"dense_shape must be a vector, saw: {ctx.Input(2).Shape}.");
        if (defaultValue.Shape.Rank != 0) throw ctx.Error($"default_value must be a scalar, saw: {defaultValue.Shape}.");
        if (ctx.Input(2).NumElements == 0) throw ctx.Error("Dense shape cannot be empty.");
        var sp = SparseTriple.Read(ctx, 0);
        if (defaultValue.DType != sp.Values.DType) throw ctx.Error($"default_value is {DataTypes.Name(defaultValue.DType)} but values are {DataTypes.Name(sp.Values.DType)}.");
        long denseRows = sp.Shape[0];
        int n = sp.Count, rank = sp.Rank;
        if (denseRows == 0)
        {
            if (n != 0) throw ctx.Error($"Received SparseTensor with dense_shape[0] = 0 but indices.shape[0] = {n}");
            SparseTriple.WriteIndices(ctx, 0, [], 0, rank);
            ctx.AllocateOutput(1, sp.Values.DType, new TensorShape(0));
            ctx.AllocateOutput(2, DataType.DtBool, new TensorShape(0));
            ctx.AllocateOutput(3, DataType.DtInt64, new TensorShape(0));
            return;
        }
        var counts = new long[checked((int)denseRows)];
        bool ordered = true;
        long lastRow = 0;
        for (int i = 0; i < n; i++)
        {
            long row = sp.At(i, 0);
            if (row < 0 || row >= denseRows) throw ctx.Error($"indices({i}, 0) is invalid: {row} >= {denseRows}");
            counts[row]++;
            ordered &= row >= lastRow;
            lastRow = row;
        }
        var empty = ctx.AllocateOutput(2, DataType.DtBool, new TensorShape((int)denseRows)).AsSpan<bool>();
        var offsets = new long[denseRows]; // start of each row in the output
        long total = 0;
        bool allFull = true;
        for (int r = 0; r < denseRows; r++)
        {
            empty[r] = counts[r] == 0;
            allFull &= counts[r] != 0;
            offsets[r] = total;
            total += Math.Max(counts[r], 1);
        }
        var reverse = ctx.AllocateOutput(3, DataType.DtInt64, new TensorShape(n)).AsSpan<long>();
        if (allFull && ordered)
        {
            ctx.SetOutput(0, ctx.Input(0));
            ctx.SetOutput(1, sp.Values);
            for (int i = 0; i < n; i++) reverse[i] = i;
            return;
        }
        var outIdx = new long[total * rank];
        var outVals = ctx.AllocateOutput(1, sp.Values.DType, new TensorShape(checked((int)total)));
        var filled = new long[denseRows];
        for (int i = 0; i < n; i++)
        {
            long row = sp.At(i, 0);
            long at = offsets[row] + filled[row]++;
            for (int d = 0; d < rank; d++) outIdx[at * rank + d] = sp.At(i, d);
            Elements.Copy(sp.Values, i, outVals, at, 1);
            reverse[i] = at;
        }
        for (int r = 0; r < denseRows; r++)
        {
            if (filled[r] != 0) continue;
            long at = offsets[r];
            outIdx[at * rank] = r;
            for (int d = 1; d < rank; d++) outIdx[at * rank + d] = 0;
            Elements.Copy(defaultValue, 0, outVals, at, 1);
        }
        SparseTriple.WriteIndices(ctx, 0, outIdx, (int)total, rank);
    }

    // TF's reshape_util.cc Reshape: one -1 is inferred from the dense element count; each entry's row-major
    // linear index in the input shape is re-split by the output shape.
    private static void Reshape(OpKernelContext ctx)
    {
        var indicesT = ctx.Input(0);
        if (indicesT.Shape.Rank != 2) throw ctx.Error($"Input indices should be a matrix but received shape {indicesT.Shape}");
        if (ctx.Input(1).Shape.Rank != 1) throw ctx.Error($"Input shape should be a vector but received shape {ctx.Input(1).Shape}");
        if (ctx.Input(2).Shape.Rank != 1) throw ctx.Error($"Target shape should be a vector but received shape {ctx.Input(2).Shape}");
        var indices = SparseTriple.Longs(ctx, indicesT, "input_indices");
        var inShape = SparseTriple.Longs(ctx, ctx.Input(1), "input_shape");
        var target = SparseTriple.Longs(ctx, ctx.Input(2), "new_shape");
        int n = indicesT.Shape[0], inRank = indicesT.Shape[1], outRank = target.Length;
        if (inShape.Length != inRank)
            throw ctx.Error($"Input shape has {inShape.Length} dimensions but the indices have {inRank}.");
        long dense = 1;
        foreach (var d in inShape) dense = checked(dense * d);
        var outShape = (long[])target.Clone();
        int unknown = -1;
        long product = 1;
        for (int d = 0; d < outRank; d++)
        {
            if (target[d] == -1)
            {
                if (unknown != -1) throw ctx.Error($"only one output dimension may be -1, not both {unknown} and {d}");
                unknown = d;
            }
            else if (target[d] < 0) throw ctx.Error($"size {d} must be non-negative, not {target[d]}");
            else product = checked(product * target[d]);
        }
        if (unknown != -1)
        {
            if (product == 0) throw ctx.Error("reshape cannot infer the missing input size for an empty tensor unless all specified input sizes are non-zero");
            long missing = dense / product;
            if (product * missing != dense)
                throw ctx.Error($"Input to reshape is a SparseTensor with {dense} dense values, but the requested shape requires a multiple of {product}. inputShape=[{string.Join(",", inShape)}] outputShape=[{string.Join(",", target)}]");
            outShape[unknown] = missing;
            product *= missing;
        }
        if (product != dense)
            throw ctx.Error($"Input to reshape is a tensor with {dense} dense values, but the requested shape has {product}. inputShape=[{string.Join(",", inShape)}] outputShape=[{string.Join(",", outShape)}]");
        var inStrides = RowMajorStrides(inShape);
        var outStrides = RowMajorStrides(outShape);
        var result = new long[(long)n * outRank];
        for (int i = 0; i < n; i++)
        {
            long linear = 0;
            for (int d = 0; d < inRank; d++) linear += indices[(long)i * inRank + d] * inStrides[d];
            for (int d = 0; d < outRank; d++)
            {
                result[(long)i * outRank + d] = linear / outStrides[d];
                linear %= outStrides[d];
            }
        }
        SparseTriple.WriteIndices(ctx, 0, result, n, outRank);
        SparseTriple.WriteVector(ctx, 1, outShape);
    }

    internal static long[] RowMajorStrides(long[] shape)
    {
        var s = new long[shape.Length];
        long acc = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            s[d] = acc;
            acc *= Math.Max(shape[d], 1);
        }
        return s;
    }

    // TF's SparseToDenseOp: indices are a scalar, a vector (rank-1 coordinates) or an [N, R] matrix; values a
    // scalar (broadcast) or [N]; everything else is default_value. With validate_indices, indices must be in
    // bounds, sorted row-major and unique (SparseTensor::ValidateAndInitializeToDense's messages).
    private static void ToDense(OpKernelContext ctx, bool validate)
    {
        var indicesT = ctx.Input(0);
        var shapeT = ctx.Input(1);
        var values = ctx.Input(2);
        var defaultValue = ctx.Input(3);
        if (indicesT.Shape.Rank > 2) throw ctx.Error($"sparse_indices should be a scalar, vector, or matrix, got {indicesT.Shape}");
        if (shapeT.Shape.Rank > 1) throw ctx.Error($"output_shape should be a scalar or vector, got {shapeT.Shape}");
        var shape = SparseTriple.Longs(ctx, shapeT, "output_shape");
        int n = indicesT.Shape.Rank > 0 ? indicesT.Shape[0] : 1;
        int rank = indicesT.Shape.Rank > 1 ? indicesT.Shape[1] : 1;
        if (shape.Length != rank) throw ctx.Error($"output_shape has incorrect number of elements: {shape.Length} should be: {rank}");
        if (!(values.Shape.Rank == 0 || (values.Shape.Rank == 1 && values.Shape[0] == n)))
            throw ctx.Error($"sparse_values has incorrect shape {values.Shape}, should be [] or [{n}]");
        if (defaultValue.NumElements != 1) throw ctx.Error($"default_value should be a scalar, got {defaultValue.Shape}");
        if (defaultValue.DType != values.DType) throw ctx.Error($"default_value is {DataTypes.Name(defaultValue.DType)} but sparse_values are {DataTypes.Name(values.DType)}.");
        var idx = SparseTriple.Longs(ctx, indicesT, "sparse_indices");
        var outDims = shape.Select(d => d >= 0 ? checked((int)d) : throw ctx.Error($"output_shape has a negative dimension {d}.")).ToArray();
        var y = ctx.AllocateOutput(0, values.DType, new TensorShape(outDims));
        var strides = RowMajorStrides(shape);
        string Index(int i) => "[" + string.Join(",", Enumerable.Range(0, rank).Select(d => idx[(long)i * rank + d])) + "]";
        string Shape() => "[" + string.Join(",", shape) + "]";
        for (int i = 0; i < n; i++)
        {
            for (int d = 0; d < rank; d++)
            {
                long v = idx[(long)i * rank + d];
                if (v < 0 || v >= shape[d])
                    throw validate
                        ? ctx.Error($"indices[{i}] = {Index(i)} is out of bounds: need 0 <= index < {Shape()}")
                        : ctx.Error($"Indices are not valid (out of bounds). Shape: {Shape()}");
            }
            if (validate && i > 0)
            {
                int cmp = 0;
                for (int d = 0; d < rank && cmp == 0; d++) cmp = idx[(long)i * rank + d].CompareTo(idx[(long)(i - 1) * rank + d]);
                if (cmp < 0) throw ctx.Error($"indices[{i}] = {Index(i)} is out of order. Many sparse ops require sorted indices.\n    Use `tf.sparse.reorder` to create a correctly ordered copy.\n\n");
                if (cmp == 0) throw ctx.Error($"indices[{i}] = {Index(i)} is repeated");
            }
        }
        Elements.Fill(y, 0, y.NumElements, defaultValue);
        for (int i = 0; i < n; i++)
        {
            long at = 0;
            for (int d = 0; d < rank; d++) at += idx[(long)i * rank + d] * strides[d];
            Elements.Copy(values, values.Shape.Rank == 0 ? 0 : i, y, at, 1);
        }
    }

    // TF's SparseReorderOp: a stable row-major sort of the entries (indices checked against the shape first).
    private static void Reorder(OpKernelContext ctx)
    {
        var sp = SparseTriple.Read(ctx, 0);
        sp.CheckBounds(ctx);
        var order = sp.RowMajorOrder();
        var coords = new long[(long)sp.Count * sp.Rank];
        for (int k = 0; k < order.Length; k++)
            for (int d = 0; d < sp.Rank; d++) coords[(long)k * sp.Rank + d] = sp.At(order[k], d);
        SparseTriple.WriteIndices(ctx, 0, coords, sp.Count, sp.Rank);
        SparseTriple.GatherValues(ctx, 1, sp.Values, order);
    }

    // TF's SparseTensor::Slice: keeps the entries with start <= index < start + size in every dimension, shifted
    // by -start, in input order; output_shape[d] = max(min(start + size, shape) - start, 0).
    private static void Slice(OpKernelContext ctx)
    {
        var sp = SparseTriple.Read(ctx, 0);
        var start = SparseTriple.Longs(ctx, ctx.Input(3), "start");
        var size = SparseTriple.Longs(ctx, ctx.Input(4), "size");
        if (start.Length != sp.Rank) throw ctx.Error($"Expected start to be a vector of length {sp.Rank} but got length {start.Length}");
        if (size.Length != sp.Rank) throw ctx.Error($"Expected size to be a vector of length {sp.Rank} but got length {size.Length}");
        var outShape = new long[sp.Rank];
        for (int d = 0; d < sp.Rank; d++)
        {
            if (start[d] < 0 || size[d] < 0) throw ctx.Error($"start and size must be non-negative, got start[{d}] = {start[d]}, size[{d}] = {size[d]}.");
            outShape[d] = Math.Max(Math.Min(start[d] + size[d], sp.Shape[d]) - start[d], 0);
        }
        var keep = new List<int>();
        for (int i = 0; i < sp.Count; i++)
        {
            bool inside = true;
            for (int d = 0; d < sp.Rank && inside; d++)
                inside = sp.At(i, d) >= start[d] && sp.At(i, d) < start[d] + outShape[d];
            if (inside) keep.Add(i);
        }
        var coords = new long[(long)keep.Count * sp.Rank];
        for (int k = 0; k < keep.Count; k++)
            for (int d = 0; d < sp.Rank; d++) coords[(long)k * sp.Rank + d] = sp.At(keep[k], d) - start[d];
        SparseTriple.WriteIndices(ctx, 0, coords, keep.Count, sp.Rank);
        SparseTriple.GatherValues(ctx, 1, sp.Values, keep);
        SparseTriple.WriteVector(ctx, 2, outShape);
    }

    // TF's SparseConcatOp: inputs must share rank and every non-concat dimension; each input's indices are shifted
    // by the sizes before it along concat_dim and the result is re-sorted row-major (the doc's "The output elements
    // will be resorted to preserve the sort order along increasing dimension number").
    private static void Concat(OpKernelContext ctx, long concatDim)
    {
        if (ctx.InputCount % 3 != 0 || ctx.InputCount == 0) throw ctx.Error($"expects 3·N inputs (indices, values, shapes), got {ctx.InputCount}.");
        int count = ctx.InputCount / 3;
        var parts = new SparseTriple[count];
        for (int k = 0; k < count; k++)
            parts[k] = SparseTriple.From(ctx, ctx.Input(k), ctx.Input(count + k), ctx.Input(2 * count + k), $"input {k}");
        int rank = parts[0].Rank;
        if (concatDim < -rank || concatDim >= rank) throw ctx.Error($"Concat dimension must be in range [{-rank}, {rank}), got {concatDim}");
        int cd = (int)(concatDim < 0 ? concatDim + rank : concatDim);
        var outShape = (long[])parts[0].Shape.Clone();
        for (int k = 1; k < count; k++)
        {
            if (parts[k].Rank != rank) throw ctx.Error($"Ranks of all input tensors must match: expected {rank} but got {parts[k].Rank} at position {k}");
            if (parts[k].Values.DType != parts[0].Values.DType) throw ctx.Error($"values of input {k} are {DataTypes.Name(parts[k].Values.DType)}, expected {DataTypes.Name(parts[0].Values.DType)}.");
            for (int d = 0; d < rank; d++)
            {
                if (d == cd) continue;
                if (parts[k].Shape[d] != outShape[d])
                    throw ctx.Error($"Input shapes must match: expected {outShape[d]} for dimension {d} but got {parts[k].Shape[d]} at position {k}");
            }
            outShape[cd] += parts[k].Shape[cd];
        }
        int total = parts.Sum(p => p.Count);
        var coords = new long[(long)total * rank];
        var owner = new (int Part, int Entry)[total];
        long offset = 0;
        int at = 0;
        for (int k = 0; k < count; k++)
        {
            for (int i = 0; i < parts[k].Count; i++, at++)
            {
                for (int d = 0; d < rank; d++) coords[(long)at * rank + d] = parts[k].At(i, d) + (d == cd ? offset : 0);
                owner[at] = (k, i);
            }
            offset += parts[k].Shape[cd];
        }
        var order = Enumerable.Range(0, total).OrderBy(i => i, Comparer<int>.Create((a, b) =>
        {
            for (int d = 0; d < rank; d++)
            {
                int c = coords[(long)a * rank + d].CompareTo(coords[(long)b * rank + d]);
                if (c != 0) return c;
            }
            return 0;
        })).ToArray();
        var sorted = new long[coords.Length];
        var values = ctx.AllocateOutput(1, parts[0].Values.DType, new TensorShape(total));
        for (int k = 0; k < total; k++)
        {
            Array.Copy(coords, (long)order[k] * rank, sorted, (long)k * rank, rank);
            var (p, e) = owner[order[k]];
            Elements.Copy(parts[p].Values, e, values, k, 1);
        }
        SparseTriple.WriteIndices(ctx, 0, sorted, total, rank);
        SparseTriple.WriteVector(ctx, 2, outShape);
    }
}
