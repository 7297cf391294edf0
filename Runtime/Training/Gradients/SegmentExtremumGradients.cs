using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>
/// Gradients of the segment max/min/prod reductions, as tensorflow/python/ops/math_grad.py:
/// <list type="bullet">
/// <item><c>_SegmentMinOrMaxGrad</c> (SegmentMax, SegmentMin): the elements equal to their segment's result are
/// selected; each segment's gradient is divided evenly among its selected elements (ties share), others get 0;</item>
/// <item><c>_UnsortedSegmentMinOrMaxGrad</c> (UnsortedSegmentMax, UnsortedSegmentMin): the same through
/// <c>_GatherDropNegatives</c> — elements with a negative id were dropped by the forward op and get 0;</item>
/// <item><c>_SegmentProdGrad</c> / <c>_UnsortedSegmentProdGrad</c>: product / element where the segment has no zero;
/// for a segment with exactly one zero, the zero element gets the product of the others and the rest 0; a segment
/// with two or more zeros gets 0 everywhere (its gradient is zeroed before the gather).</item>
/// </list>
/// </summary>
internal static class SegmentExtremumGradients
{
    public static void Register()
    {
        GradientRegistry.Register("SegmentMax", SortedMinOrMax);
        GradientRegistry.Register("SegmentMin", SortedMinOrMax);
        GradientRegistry.Register("UnsortedSegmentMax", UnsortedMinOrMax);
        GradientRegistry.Register("UnsortedSegmentMin", UnsortedMinOrMax);
        GradientRegistry.Register("SegmentProd", (c, op, g) => [ProdGrad(c, op, g[0]!.Value, sorted: true), null]);
        GradientRegistry.Register("UnsortedSegmentProd", (c, op, g) => [ProdGrad(c, op, g[0]!.Value, sorted: false), null, null]);
    }

    private static Output Op(GraphBuilder b, string type, Output[] inputs, string? name = null) => b.OutputOf(b.AddOperation(type, inputs, null, name ?? type));

    private static Output?[] SortedMinOrMax(GradientContext c, Node op, Output?[] g)
    {
        var b = c.Builder;
        var data = c.In(op, 0);
        var ids = c.In(op, 1);
        var grad = g[0]!.Value;
        var zeros = b.ZerosLike(data, "zeros_like");
        var isSelected = b.Equal(data, b.Gather(c.Out(op), ids, name: "GatherV2"), "Equal");
        var numSelected = Op(b, "SegmentSum", [b.Cast(isSelected, grad.BaseType, "Cast"), ids], "SegmentSum");
        var gathered = b.Gather(b.Divide(grad, numSelected, "truediv"), ids, name: "GatherV2_1");
        return [Op(b, "SelectV2", [isSelected, gathered, zeros], "SelectV2"), null];
    }

    private static Output?[] UnsortedMinOrMax(GradientContext c, Node op, Output?[] g)
    {
        var b = c.Builder;
        var data = c.In(op, 0);
        var ids = c.In(op, 1);
        var grad = g[0]!.Value;
        var clipped = b.Maximum(ids, b.ZerosLike(ids, "zeros_like"), "Maximum");
        var gatheredOut = b.Gather(c.Out(op), clipped, name: "GatherV2");
        var isPositive = PositiveMask(c, op, ids, gatheredOut);
        var isSelected = b.Binary("LogicalAnd", b.Equal(data, gatheredOut, "Equal"), isPositive, "LogicalAnd");
        var numSelected = Op(b, "UnsortedSegmentSum", [b.Cast(isSelected, grad.BaseType, "Cast"), ids, c.In(op, 2)], "UnsortedSegmentSum");
        var gatheredGrad = b.Gather(b.Divide(grad, numSelected, "truediv"), clipped, name: "GatherV2_1");
        gatheredGrad = Op(b, "SelectV2", [isPositive, gatheredGrad, b.ZerosLike(gatheredGrad, "zeros_like_1")], "SelectV2");
        return [Op(b, "SelectV2", [isSelected, gatheredGrad, b.ZerosLike(gatheredGrad, "zeros_like_2")], "SelectV2_1"), null, null];
    }

    // _GatherDropNegatives' mask: ids ≥ 0 reshaped to ids.shape + [1]·(rank(data) − rank(ids)), broadcast to the
    // gathered shape (TF ands it with ones_like(gathered) so that where_v2 sees equal shapes).
    private static Output PositiveMask(GradientContext c, Node op, Output ids, Output gathered)
    {
        var b = c.Builder;
        int dataRank = StaticShapes.Of(b, c.In(op, 0))?.Length
            ?? throw new NotSupportedException($"Gradient of '{op.Name}' ({op.Op}) needs the static rank of its data input.");
        int idsRank = StaticShapes.Of(b, ids)?.Length
            ?? throw new NotSupportedException($"Gradient of '{op.Name}' ({op.Op}) needs the static rank of its segment_ids input.");
        var positive = b.Binary("GreaterEqual", ids, b.ZerosLike(ids, "zeros_like_ids"), "GreaterEqual");
        var shape = b.Concat([b.Shape(ids, "Shape"), c.Ints(Enumerable.Repeat(1, dataRank - idsRank).ToArray(), "ones")], 0, "concat");
        var mask = b.Reshape(positive, shape, "Reshape");
        return Op(b, "BroadcastTo", [mask, b.Shape(gathered, "Shape_1")], "BroadcastTo");
    }

    private static Output ProdGrad(GradientContext c, Node op, Output grad, bool sorted)
    {
        var b = c.Builder;
        var data = c.In(op, 0);
        var ids = c.In(op, 1);
        Output Segment(string reducer, Output values, string name)
            => sorted ? Op(b, "Segment" + reducer, [values, ids], name) : Op(b, "UnsortedSegment" + reducer, [values, ids, c.In(op, 2)], name);

        var isZero = b.Equal(data, b.ZerosLike(data, "zeros_like"), "Equal");
        var numZeros = Segment("Sum", b.Cast(isZero, DataType.DtInt32, "Cast"), "SegmentSum");
        // Segments with two or more zeros: every partial derivative is 0.
        var manyZeros = b.Greater(numZeros, b.OnesLike(numZeros, "ones_like_counts"), "Greater");
        grad = Op(b, "SelectV2", [manyZeros, b.ZerosLike(grad, "zeros_like_1"), grad], "SelectV2");
        // The product of each segment with its zeros replaced by ones.
        var nonZeroData = Op(b, "SelectV2", [isZero, b.OnesLike(data, "ones_like"), data], "SelectV2_1");
        var nonZeroProd = Segment("Prod", nonZeroData, "SegmentProd");
        var gatherIds = sorted ? ids : b.Maximum(ids, b.ZerosLike(ids, "zeros_like_ids"), "Maximum");
        var gatheredProd = b.Gather(c.Out(op), gatherIds, name: "GatherV2");
        var gatheredNonZeroProd = b.Gather(nonZeroProd, gatherIds, name: "GatherV2_1");
        // TF's sorted variant divides by non_zero_data, the unsorted one by data (inf/nan there are discarded by the
        // where below either way).
        var divided = b.Divide(gatheredProd, sorted ? nonZeroData : data, "truediv");
        var partial = Op(b, "SelectV2", [isZero, gatheredNonZeroProd, divided], "SelectV2_2");
        var gatheredGrad = b.Gather(grad, gatherIds, name: "GatherV2_2");
        if (!sorted)
            gatheredGrad = Op(b, "SelectV2", [PositiveMask(c, op, ids, gatheredGrad), gatheredGrad, b.ZerosLike(gatheredGrad, "zeros_like_2")], "SelectV2_3");
        return b.Multiply(gatheredGrad, partial, "mul");
    }
}
