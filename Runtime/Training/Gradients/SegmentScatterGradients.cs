using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>
/// Gradients of segment, scatter, stitch and split/pad variants, as TF's math_grad.py / array_grad.py / data_flow_grad.py:
/// <list type="bullet">
/// <item><c>_SegmentSumGrad</c>: gather(g, ids); <c>_SegmentMeanGrad</c>: gather(g / segment_sum(ones, ids), ids);
/// <c>_UnsortedSegmentSumGrad</c>: gather(g, max(ids, 0)) with the rows of negative ids zeroed
/// (<c>_GatherDropNegatives</c>: those rows were dropped by the forward op);</item>
/// <item><c>_ScatterNdGrad</c>: gather_nd(g, indices) for the updates; <c>_TensorScatterUpdateGrad</c>: (g with the
/// updated slots zeroed, gather_nd(g, indices)); <c>_TensorScatterAddGrad</c> / <c>_TensorScatterSubGrad</c>: (g, ±gather_nd(g, indices));</item>
/// <item><c>_DynamicStitchGrads</c>: gather(g, indicesᵢ) for each data input (a repeated index sends its gradient to
/// every occurrence, as TF, although the forward op keeps only the last);</item>
/// <item><c>_SplitVGrad</c>: concat of the output gradients (zeros for missing ones) along the axis; <c>_PadGrad</c> for
/// PadV2; <c>_ReverseSequenceGrad</c>: the same ReverseSequence of g; <c>_ConcatGrad</c> for the V1 Concat (axis first).</item>
/// </list>
/// </summary>
internal static class SegmentScatterGradients
{
    public static void Register()
    {
        GradientRegistry.Register("SegmentSum", (c, op, g) => [c.Builder.Gather(g[0]!.Value, c.In(op, 1)), null]);
        GradientRegistry.Register("SegmentMean", (c, op, g) =>
        {
            var b = c.Builder;
            var data = c.In(op, 0);
            var ids = c.In(op, 1);
            int rank = StaticRank(c, op, data);
            var onesShape = b.Concat([b.Shape(ids, "Shape"), b.Constant(Enumerable.Repeat(1, rank - 1).ToArray(), "ones_rank")], 0, "concat");
            var ones = b.Fill(onesShape, c.Scalar(1, data, "one"), "ones");
            var counts = b.OutputOf(b.AddOperation("SegmentSum", [ones, ids], null, "SegmentSum"));
            return [b.Gather(b.Divide(g[0]!.Value, counts), ids), null];
        });
        GradientRegistry.Register("UnsortedSegmentSum", (c, op, g) => [GatherDropNegatives(c, op, g[0]!.Value, c.In(op, 1)), null, null]);
        GradientRegistry.Register("ScatterNd", (c, op, g) => [null, GatherNd(c, g[0]!.Value, c.In(op, 0)), null]);
        GradientRegistry.Register("TensorScatterUpdate", (c, op, g) =>
        {
            var b = c.Builder;
            var grad = g[0]!.Value;
            var indices = c.In(op, 1);
            var cleared = b.OutputOf(b.AddOperation("TensorScatterUpdate", [b.Identity(grad), indices, b.ZerosLike(c.In(op, 2))], null, "TensorScatterUpdate"));
            return [cleared, null, GatherNd(c, grad, indices)];
        });
        GradientRegistry.Register("TensorScatterAdd", (c, op, g) => [g[0], null, GatherNd(c, g[0]!.Value, c.In(op, 1))]);
        GradientRegistry.Register("TensorScatterSub", (c, op, g) => [g[0], null, c.Builder.Negate(GatherNd(c, g[0]!.Value, c.In(op, 1)))]);
        foreach (var kind in new[] { "DynamicStitch", "ParallelDynamicStitch" })
            GradientRegistry.Register(kind, (c, op, g) =>
            {
                var b = c.Builder;
                int n = op.Inputs.Count / 2;
                var result = new Output?[2 * n];
                for (int i = 0; i < n; i++)
                {
                    var index = c.In(op, i);
                    result[n + i] = b.Gather(g[0]!.Value, index.BaseType == DataType.DtInt32 ? index : b.Cast(index, DataType.DtInt32));
                }
                return result;
            });
        GradientRegistry.Register("SplitV", (c, op, g) =>
        {
            var b = c.Builder;
            var parts = g.Select((x, i) => x ?? b.ZerosLike(c.Out(op, i))).ToList();
            return [b.OutputOf(b.AddOperation("ConcatV2", [.. parts, c.In(op, 2)], null, "concat")), null, null];
        });
        GradientRegistry.Register("PadV2", (c, op, g) => [.. GradientRegistry.Find("Pad")!(c, op, g), null]);
        GradientRegistry.Register("ReverseSequence", (c, op, g) =>
            [c.Builder.OutputOf(c.Builder.AddOperation("ReverseSequence", [g[0]!.Value, c.In(op, 1)], GradientContext.CopyAttrs(op, "seq_dim", "batch_dim"), "ReverseSequence")), null]);
        GradientRegistry.Register("Concat", (c, op, g) => ArrayGradients.ConcatGrad(c, op, g[0]!.Value, valuesStart: 1, axisIndex: 0));
    }

    private static int StaticRank(GradientContext c, Node op, Output x)
        => StaticShapes.Of(c.Builder, x)?.Length ?? throw new NotSupportedException($"Gradient of '{op.Name}' ({op.Op}) needs the rank of its data input to be known.");

    private static Output GatherNd(GradientContext c, Output grad, Output indices)
        => c.Builder.OutputOf(c.Builder.AddOperation("GatherNd", [grad, indices], null, "GatherNd"));

    // gather(params, max(ids, 0)) with the rows whose id is negative set to zero (ids reshaped to [ids…, 1, …] to broadcast).
    private static Output GatherDropNegatives(GradientContext c, Node op, Output grad, Output ids)
    {
        var b = c.Builder;
        var clipped = b.Maximum(ids, b.ZerosLike(ids, "zeros_like"));
        var gathered = b.Gather(grad, clipped);
        int extra = StaticRank(c, op, c.In(op, 0)) - StaticRank(c, op, ids);
        var positive = b.Binary("GreaterEqual", ids, b.ZerosLike(ids, "zeros_like_1"), "GreaterEqual");
        var shape = b.Concat([b.Shape(ids, "Shape"), b.Constant(Enumerable.Repeat(1, extra).ToArray(), "ones")], 0, "concat");
        var mask = b.Reshape(positive, shape, "Reshape");
        return b.OutputOf(b.AddOperation("SelectV2", [mask, gathered, b.ZerosLike(gathered, "zeros_like_2")], null, "SelectV2"));
    }
}
