using System.Numerics;
using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.Exec;

namespace TypedGraph.Kernels.Sparse;

/// <summary>
/// <c>SparseSegment{Sum,Mean,SqrtN}[WithNumSegments](data, indices, segment_ids[, num_segments])</c> — the
/// reductions behind <c>embedding_lookup_sparse</c> and feature columns' combiners, after TF's
/// <c>SparseSegmentReductionOpBase</c>: output row <c>s</c> reduces <c>data[indices[i]]</c> over the <c>i</c> with
/// <c>segment_ids[i] == s</c>; Mean divides by the count, SqrtN by √count. segment_ids must be sorted ("segment ids
/// are not increasing"); the output has <c>last id + 1</c> rows, or <c>num_segments</c> rows for the
/// <c>WithNumSegments</c> forms (an id beyond them fails, as TF's "Segment id … out of range"). Rows with no id are 0.
/// An index outside data's first dim fails with TF's "Bad: indices[i] == x out of range [0, n)".
/// Also the gradient ops <c>SparseSegment{Sum,Mean,SqrtN}Grad(grad, indices, segment_ids, output_dim0)</c>:
/// <c>out[indices[i]] += grad[segment_ids[i]] · w</c> with w = 1, 1/count or 1/√count.
/// </summary>
internal sealed class SparseSegmentReductionKernels : KernelSet
{
    private enum Kind { Sum, Mean, SqrtN }

    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        foreach (var k in Enum.GetValues<Kind>())
        {
            registry.Add("SparseSegment" + k, n => new ReduceKernel(n, k, false));
            registry.Add("SparseSegment" + k + "WithNumSegments", n => new ReduceKernel(n, k, true));
            registry.Add("SparseSegment" + k + "Grad", n => new GradKernel(n, k));
        }
    }

    private static (long[] Indices, long[] Ids) ReadIndices(OpKernelContext ctx)
    {
        var indicesT = ctx.Input(1);
        var idsT = ctx.Input(2);
        if (indicesT.Shape.Rank != 1) throw ctx.Error($"indices should be a vector, got shape {indicesT.Shape}.");
        if (idsT.Shape.Rank != 1) throw ctx.Error($"segment_ids should be a vector, got shape {idsT.Shape}.");
        var indices = IndexValues.Read(ctx, 1, "indices");
        var ids = IndexValues.Read(ctx, 2, "segment_ids");
        if (indices.Length != ids.Length)
            throw ctx.Error($"segment_ids and indices should have same size, got {ids.Length} and {indices.Length}.");
        return (indices, ids);
    }

    private static T Weight<T>(Kind kind, int count) where T : IFloatingPointIeee754<T> => kind switch
    {
        Kind.Mean => T.One / T.CreateTruncating(count),
        Kind.SqrtN => T.One / T.Sqrt(T.CreateTruncating(count)),
        _ => T.One,
    };

    private sealed class ReduceKernel(Node node, Kind kind, bool withNumSegments) : FloatKernel(node)
    {
        protected override void Compute<T>(OpKernelContext ctx)
        {
            var data = ctx.Input(0);
            if (data.Shape.Rank < 1) throw ctx.Error($"data must be at least rank 1, got shape {data.Shape}.");
            var (indices, ids) = ReadIndices(ctx);
            long rows;
            if (withNumSegments)
            {
                rows = IndexValues.Scalar(ctx, 3, "num_segments");
                if (rows < 0) throw ctx.Error($"num_segments must be >= 0, got {rows}.");
            }
            else rows = ids.Length == 0 ? 0 : ids[^1] + 1;
            for (int i = 0; i < ids.Length; i++)
            {
                if (ids[i] < 0) throw ctx.Error($"segment ids must be >= 0 (segment_ids[{i}] = {ids[i]}).");
                if (i > 0 && ids[i] < ids[i - 1]) throw ctx.Error($"segment ids are not increasing (segment_ids[{i}] = {ids[i]} after {ids[i - 1]}).");
            }
            for (int i = 0; i < ids.Length; i++)
            {
                if (ids[i] >= rows) throw ctx.Error($"Segment id {ids[i]} out of range [0, {rows}), possibly because 'segment_ids' input is not sorted.");
            }
            long dataRows = data.Shape[0];
            for (int i = 0; i < indices.Length; i++)
                if (indices[i] < 0 || indices[i] >= dataRows) throw ctx.Error($"Bad: indices[{i}] == {indices[i]} out of range [0, {dataRows}).");
            var dims = data.Shape.ToArray();
            dims[0] = checked((int)rows);
            var y = ctx.AllocateOutput(0, data.DType, new TensorShape(dims));
            int inner = 1;
            for (int k = 1; k < dims.Length; k++) inner *= dims[k];
            var src = data.AsSpan<T>();
            var dst = y.AsSpan<T>();
            dst.Clear();
            int start = 0;
            while (start < ids.Length)
            {
                int end = start;
                while (end < ids.Length && ids[end] == ids[start]) end++;
                var o = dst.Slice(checked((int)ids[start] * inner), inner);
                for (int i = start; i < end; i++)
                {
                    var row = src.Slice(checked((int)indices[i] * inner), inner);
                    for (int k = 0; k < inner; k++) o[k] += row[k];
                }
                T w = Weight<T>(kind, end - start);
                if (kind != Kind.Sum)
                    for (int k = 0; k < inner; k++) o[k] *= w;
                start = end;
            }
        }
    }

    private sealed class GradKernel(Node node, Kind kind) : FloatKernel(node)
    {
        protected override void Compute<T>(OpKernelContext ctx)
        {
            var grad = ctx.Input(0);
            if (grad.Shape.Rank < 1) throw ctx.Error($"grad must be at least rank 1, got shape {grad.Shape}.");
            var (indices, ids) = ReadIndices(ctx);
            long outRows = IndexValues.Scalar(ctx, 3, "output_dim0");
            if (outRows < 0) throw ctx.Error($"output_dim0 must be >= 0, got {outRows}.");
            var dims = grad.Shape.ToArray();
            long gradRows = dims[0];
            dims[0] = checked((int)outRows);
            var y = ctx.AllocateOutput(0, grad.DType, new TensorShape(dims));
            int inner = 1;
            for (int k = 1; k < dims.Length; k++) inner *= dims[k];
            var counts = new Dictionary<long, int>();
            foreach (var id in ids) counts[id] = counts.GetValueOrDefault(id) + 1;
            var g = grad.AsSpan<T>();
            var dst = y.AsSpan<T>();
            dst.Clear();
            for (int i = 0; i < ids.Length; i++)
            {
                if (ids[i] < 0 || ids[i] >= gradRows) throw ctx.Error($"segment_ids[{i}] = {ids[i]} is out of range [0, {gradRows}).");
                if (indices[i] < 0 || indices[i] >= outRows) throw ctx.Error($"Index {indices[i]} out of range [0, {outRows}).");
                T w = Weight<T>(kind, counts[ids[i]]);
                var from = g.Slice(checked((int)ids[i] * inner), inner);
                var to = dst.Slice(checked((int)indices[i] * inner), inner);
                for (int k = 0; k < inner; k++) to[k] += from[k] * w;
            }
        }
    }
}
