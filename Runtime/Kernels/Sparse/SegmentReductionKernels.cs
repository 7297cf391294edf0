using System.Numerics;
using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.Exec;

namespace TypedGraph.Kernels.Sparse;

/// <summary>The reduction a segment op applies.</summary>
internal enum SegmentReducer { Sum, Mean, Max, Min, Prod }

/// <summary>
/// The segment reductions of TF's <c>segment_reduction_ops_impl.h</c>.
/// <list type="bullet">
/// <item><c>Segment{Sum,Mean,Max,Min,Prod}(data, segment_ids)</c>: ids are a sorted 1-D vector as long as
/// data's first dim; the output has <c>last id + 1</c> rows. Rows no id names get the op's default value, which
/// TF's <c>SegmentReductionOp</c> template sets to 0 for Sum/Mean/Max/Min and 1 for Prod. Negative ids fail
/// with "segment ids must be >= 0", a decrease with "segment ids are not increasing".</item>
/// <item><c>UnsortedSegment{Sum,Max,Min,Prod}(data, segment_ids, num_segments)</c>: ids are any prefix-shaped
/// tensor; negative ids are dropped (TF ≥ 1.9 doc: "If the given segment ID i is negative, the value is
/// dropped"), ids ≥ num_segments fail. Empty segments hold the reducer's identity: 0, lowest, highest, 1
/// (TF's <c>Lowest</c>/<c>Highest</c> initial values in <c>UnsortedSegmentFunctor</c>).</item>
/// </list>
/// Every real number type (float, double, int32, int64 …); Mean is float-only in practice but TF registers it
/// on real numbers and divides in the element type, as here.
/// </summary>
internal sealed class SegmentReductionKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        foreach (var r in Enum.GetValues<SegmentReducer>())
            registry.Add("Segment" + r, n => new SortedSegmentKernel(n, r));
        foreach (var r in new[] { SegmentReducer.Sum, SegmentReducer.Max, SegmentReducer.Min, SegmentReducer.Prod })
            registry.Add("UnsortedSegment" + r, n => new UnsortedSegmentKernel(n, r));
    }

    internal static T Identity<T>(SegmentReducer r) where T : INumber<T>, IMinMaxValue<T> => r switch
    {
        SegmentReducer.Max => T.MinValue, // numeric_limits<T>::lowest(); for float that is -FLT_MAX, not -inf
        SegmentReducer.Min => T.MaxValue,
        SegmentReducer.Prod => T.One,
        _ => T.Zero,
    };

    internal static T Combine<T>(SegmentReducer r, T acc, T x) where T : INumber<T> => r switch
    {
        SegmentReducer.Max => x > acc ? x : acc, // std::max(acc, x): a NaN after the first element is not taken
        SegmentReducer.Min => x < acc ? x : acc,
        SegmentReducer.Prod => acc * x,
        _ => acc + x,
    };

    private sealed class SortedSegmentKernel(Node node, SegmentReducer reducer) : NumericKernel(node)
    {
        protected override void Compute<T>(OpKernelContext ctx)
        {
            var data = ctx.Input(0);
            var idsT = ctx.Input(1);
            if (idsT.Shape.Rank != 1) throw ctx.Error($"segment_ids should be a vector, got shape {idsT.Shape}.");
            var ids = IndexValues.Read(ctx, 1, "segment_ids");
            if (data.Shape.Rank == 0 || data.Shape[0] != ids.Length)
                throw ctx.Error($"segment_ids should be the same size as dimension 0 of input, got data shape {data.Shape} and {ids.Length} segment ids.");
            for (int i = 0; i < ids.Length; i++)
            {
                if (ids[i] < 0) throw ctx.Error($"segment ids must be >= 0 (segment_ids[{i}] = {ids[i]}).");
                if (i > 0 && ids[i] < ids[i - 1]) throw ctx.Error($"segment ids are not increasing (segment_ids[{i}] = {ids[i]} after {ids[i - 1]}).");
            }
            int rows = ids.Length == 0 ? 0 : checked((int)ids[^1] + 1);
            var dims = data.Shape.ToArray();
            dims[0] = rows;
            var y = ctx.AllocateOutput(0, data.DType, new TensorShape(dims));
            long inner = 1;
            for (int k = 1; k < dims.Length; k++) inner *= dims[k];
            var src = data.AsSpan<T>();
            var dst = y.AsSpan<T>();
            // Gaps get TF's default value (0, or 1 for Prod); segments start from the reducer's first element.
            dst.Fill(reducer == SegmentReducer.Prod ? T.One : T.Zero);
            int start = 0;
            while (start < ids.Length)
            {
                int end = start;
                while (end < ids.Length && ids[end] == ids[start]) end++;
                var o = dst.Slice(checked((int)(ids[start] * inner)), (int)inner);
                for (int k = 0; k < inner; k++)
                {
                    T acc = src[(int)(start * inner + k)];
                    for (int i = start + 1; i < end; i++) acc = Combine(reducer, acc, src[(int)(i * inner + k)]);
                    if (reducer == SegmentReducer.Mean) acc /= T.CreateTruncating(end - start);
                    o[k] = acc;
                }
                start = end;
            }
        }
    }

    private sealed class UnsortedSegmentKernel(Node node, SegmentReducer reducer) : NumericKernel(node)
    {
        protected override void Compute<T>(OpKernelContext ctx)
        {
            var data = ctx.Input(0);
            var idsShape = ctx.Input(1).Shape;
            var ids = IndexValues.Read(ctx, 1, "segment_ids");
            long n = IndexValues.Scalar(ctx, 2, "num_segments");
            if (n < 0) throw ctx.Error($"num_segments must be >= 0, got {n}.");
            if (data.Shape.Rank < idsShape.Rank || !data.Shape.Dims[..idsShape.Rank].SequenceEqual(idsShape.Dims))
                throw ctx.Error($"data.shape = {data.Shape} does not start with segment_ids.shape = {idsShape}.");
            var dims = new List<int> { checked((int)n) };
            dims.AddRange(data.Shape.Dims[idsShape.Rank..].ToArray());
            var y = ctx.AllocateOutput(0, data.DType, new TensorShape(dims.ToArray()));
            long inner = 1;
            for (int k = idsShape.Rank; k < data.Shape.Rank; k++) inner *= data.Shape[k];
            var src = data.AsSpan<T>();
            var dst = y.AsSpan<T>();
            dst.Fill(Identity<T>(reducer));
            for (int i = 0; i < ids.Length; i++)
            {
                long id = ids[i];
                if (id < 0) continue;
                if (id >= n) throw ctx.Error($"segment_ids[{i}] = {id} is out of range [0, {n}).");
                for (long k = 0; k < inner; k++)
                {
                    ref T o = ref dst[(int)(id * inner + k)];
                    o = Combine(reducer, o, src[(int)(i * inner + k)]);
                }
            }
        }
    }
}
