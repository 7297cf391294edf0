using TypedGraph.Building;

namespace TypedGraph.Training;

/// <summary>Gradients of slicing, padding, tiling and gathering (Slice, Pad, Tile, GatherV2), after TF's <c>array_grad.py</c>.</summary>
internal static class SliceGatherGradients
{
    public static void Register()
    {
        GradientRegistry.Register("Slice", (c, op, g) =>
        {
            // Pad the gradient back: before = begin, after = shape(x) − shape(grad) − begin.
            var b = c.Builder;
            var x = c.In(op, 0);
            var begin = c.In(op, 1);
            var rank = b.Unary("Rank", x, "Rank");
            var shape = b.Stack([rank, b.Constant(1, "stack/1")]);
            var before = b.Reshape(begin, shape, "Reshape");
            var after = b.Reshape(b.Subtract(b.Subtract(b.Shape(x), b.Shape(g[0]!.Value, "Shape_1"), "sub"), begin, "sub_1"), shape, "Reshape_1");
            var paddings = b.OutputOf(b.AddOperation("ConcatV2", [before, after, b.Constant(1, "concat/axis")], null, "concat"));
            return [b.OutputOf(b.AddOperation("Pad", [g[0]!.Value, paddings], null, "Pad")), null, null];
        });
        GradientRegistry.Register("Pad", (c, op, g) =>
        {
            // Slice out the unpadded part: begin = paddings[:, 0], size = shape(x).
            var b = c.Builder;
            var x = c.In(op, 0);
            var paddings = c.In(op, 1);
            var rank = b.Unary("Rank", x, "Rank");
            var first = b.Slice(paddings, b.Constant(new[] { 0, 0 }, "Slice/begin"), b.Stack([rank, b.Constant(1, "stack/1")]), "Slice");
            var begin = b.Reshape(first, [-1], "Reshape");
            return [b.Slice(g[0]!.Value, begin, b.Shape(x), "Slice_1"), null];
        });
        GradientRegistry.Register("Tile", (c, op, g) =>
        {
            // Reshape the gradient to [m0, s0, m1, s1, …] and sum over the multiples' axes (TF's _TileGrad).
            var b = c.Builder;
            var x = c.In(op, 0);
            var multiples = c.In(op, 1);
            var split = b.Reshape(b.Transpose(b.Stack([multiples, b.Shape(x)]), [1, 0]), [-1], "Reshape");
            var axes = b.OutputOf(b.AddOperation("Range", [b.Constant(0, "range/start"), b.Unary("Size", split, "Size"), b.Constant(2, "range/delta")], null, "range"));
            var sum = b.OutputOf(b.AddOperation("Sum", [b.Reshape(g[0]!.Value, split, "Reshape_1"), axes], null, "Sum"));
            return [b.Reshape(sum, b.Shape(x, "Shape_1"), "Reshape_2"), null];
        });
        GradientRegistry.Register("GatherV2", (c, op, g) =>
        {
            var axis = StaticShapes.ConstValues(c.Builder, op.Inputs[2]);
            if (axis is not [0]) throw new NotSupportedException($"Gradient of '{op.Name}' (GatherV2) is implemented for a constant axis 0 only.");
            return [GatherRowsGrad(c, op, g[0]!.Value), null, null];
        });
        // The v1 Gather (TF 1.x tf.gather / embedding_lookup; always axis 0): array_grad.py _GatherGrad.
        GradientRegistry.Register("Gather", (c, op, g) => [GatherRowsGrad(c, op, g[0]!.Value), null]);
    }

    // Dense form of TF's IndexedSlices gradient of an axis-0 gather: scatter-add the rows back with UnsortedSegmentSum.
    private static Output GatherRowsGrad(GradientContext c, Node op, Output grad)
    {
        var b = c.Builder;
        var parameters = c.In(op, 0);
        var indices = c.In(op, 1);
        var pShape = b.Shape(parameters);
        var flatIdx = b.Reshape(indices, [-1], "Reshape");
        var rowShape = b.Slice(pShape, b.Constant(new[] { 1 }, "Slice/begin"), b.Constant(new[] { -1 }, "Slice/size"), "Slice");
        var valuesShape = b.OutputOf(b.AddOperation("ConcatV2", [b.Constant(new[] { -1 }, "concat/values_0"), rowShape, b.Constant(0, "concat/axis")], null, "concat"));
        var values = b.Reshape(grad, valuesShape, "Reshape_1");
        var rows = b.Slice(pShape, b.Constant(new[] { 0 }, "Slice_1/begin"), b.Constant(new[] { 1 }, "Slice_1/size"), "Slice_1");
        var n = b.Reshape(rows, Array.Empty<int>(), "Reshape_2");
        var dense = b.OutputOf(b.AddOperation("UnsortedSegmentSum", [values, flatIdx, n], null, "UnsortedSegmentSum"));
        // TF returns IndexedSlices here; the optimizer finds them through SparseGradients and updates rows only.
        return SparseGradients.Record(b, dense, new IndexedSlices(values, flatIdx, pShape));
    }
}
