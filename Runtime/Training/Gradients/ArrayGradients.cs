using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>Gradients of array ops, after TF's <c>array_grad.py</c>.</summary>
internal static class ArrayGradients
{
    public static void Register()
    {
        GradientRegistry.Register("Identity", (c, op, g) => [g[0]]);
        GradientRegistry.Register("Snapshot", (c, op, g) => [g[0]]);
        GradientRegistry.Register("ReadVariableOp", (c, op, g) => [g[0]]); // the handle's gradient is the value's (TF's _ReadGrad)
        GradientRegistry.Register("PlaceholderWithDefault", (c, op, g) => [g[0]]);
        GradientRegistry.Register("Reshape", (c, op, g) => [c.Builder.Reshape(g[0]!.Value, c.ShapeOf(c.In(op, 0)), "Reshape"), null]);
        GradientRegistry.Register("ExpandDims", (c, op, g) => [c.Builder.Reshape(g[0]!.Value, c.ShapeOf(c.In(op, 0)), "Reshape"), null]);
        GradientRegistry.Register("Squeeze", (c, op, g) => [c.Builder.Reshape(g[0]!.Value, c.ShapeOf(c.In(op, 0)), "Reshape")]);
        GradientRegistry.Register("Transpose", (c, op, g) =>
        {
            // A constant perm is inverted here (TF would emit InvertPermutation, which then folds to the same Const).
            var perm = StaticShapes.ConstValues(c.Builder, op.Inputs[1]);
            Output inv;
            if (perm != null)
            {
                var inverse = new int[perm.Length];
                for (int i = 0; i < perm.Length; i++) inverse[perm[i]] = i;
                inv = c.Builder.Constant(inverse, "InvertPermutation");
            }
            else inv = c.Builder.Unary("InvertPermutation", c.In(op, 1), "InvertPermutation");
            return [c.Builder.OutputOf(c.Builder.AddOperation("Transpose", [g[0]!.Value, inv], null, "transpose")), null];
        });
        GradientRegistry.Register("ConcatV2", (c, op, g) =>
        {
            // TF's _ConcatGradHelper: ConcatOffset of the input shapes, then one Slice per input.
            var b = c.Builder;
            int n = op.Inputs.Count - 1;
            var axis = c.In(op, n);
            var inputs = Enumerable.Range(0, n).Select(i => c.In(op, i)).ToList();
            var rank = b.Unary("Rank", inputs[0], "Rank");
            var mod = b.Binary("FloorMod", axis, rank, "mod");
            var shapes = b.AddOperation("ShapeN", inputs, null, "ShapeN");
            var shapeOuts = Enumerable.Range(0, n).Select(i => b.OutputOf(shapes, i)).ToList();
            var offsets = b.AddOperation("ConcatOffset", [mod, .. shapeOuts], null, "ConcatOffset");
            var result = new Output?[n + 1];
            for (int i = 0; i < n; i++) result[i] = b.Slice(g[0]!.Value, b.OutputOf(offsets, i), shapeOuts[i]);
            return result;
        });
        GradientRegistry.Register("Split", (c, op, g) =>
        {
            var b = c.Builder;
            var parts = g.Select((x, i) => x ?? b.ZerosLike(c.Out(op, i))).ToList();
            var concat = b.AddOperation("ConcatV2", [.. parts, c.In(op, 0)], null, "concat");
            return [null, b.OutputOf(concat)];
        });
        GradientRegistry.Register("Pack", (c, op, g) =>
        {
            var node = c.Builder.AddOperation("Unpack", [g[0]!.Value], new Dictionary<string, AttrValue> { ["num"] = Attrs.Int(op.Inputs.Count), ["axis"] = Attrs.Int(op.GetInt("axis", 0)) }, "unstack");
            return Enumerable.Range(0, op.Inputs.Count).Select(i => (Output?)c.Builder.OutputOf(node, i)).ToArray();
        });
        GradientRegistry.Register("Unpack", (c, op, g) =>
        {
            var parts = g.Select((x, i) => x ?? c.Builder.ZerosLike(c.Out(op, i))).ToList();
            return [c.Builder.Stack(parts, (int)op.GetInt("axis", 0))];
        });
        GradientRegistry.Register("Select", (c, op, g) =>
        {
            var b = c.Builder;
            var zeros = b.ZerosLike(c.In(op, 1), "zeros_like");
            return [null, b.Select(c.In(op, 0), g[0]!.Value, zeros), b.Select(c.In(op, 0), zeros, g[0]!.Value, "Select_1")];
        });
    }
}

/// <summary>More array gradients (Slice, Pad, Tile, GatherV2), after TF's <c>array_grad.py</c>.</summary>
internal static class ArrayGradients2
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
            // Dense form of TF's IndexedSlices gradient, axis 0 only: scatter-add the rows back with UnsortedSegmentSum.
            var b = c.Builder;
            var axis = StaticShapes.ConstValues(b, op.Inputs[2]);
            if (axis is not [0]) throw new NotSupportedException($"Gradient of '{op.Name}' (GatherV2) is implemented for a constant axis 0 only.");
            var parameters = c.In(op, 0);
            var indices = c.In(op, 1);
            var pShape = b.Shape(parameters);
            var flatIdx = b.Reshape(indices, [-1], "Reshape");
            var rowShape = b.Slice(pShape, b.Constant(new[] { 1 }, "Slice/begin"), b.Constant(new[] { -1 }, "Slice/size"), "Slice");
            var valuesShape = b.OutputOf(b.AddOperation("ConcatV2", [b.Constant(new[] { -1 }, "concat/values_0"), rowShape, b.Constant(0, "concat/axis")], null, "concat"));
            var values = b.Reshape(g[0]!.Value, valuesShape, "Reshape_1");
            var rows = b.Slice(pShape, b.Constant(new[] { 0 }, "Slice_1/begin"), b.Constant(new[] { 1 }, "Slice_1/size"), "Slice_1");
            var n = b.Reshape(rows, Array.Empty<int>(), "Reshape_2");
            return [b.OutputOf(b.AddOperation("UnsortedSegmentSum", [values, flatIdx, n], null, "UnsortedSegmentSum")), null, null];
        });
    }
}
