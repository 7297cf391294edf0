using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>Gradients of array ops, after TF's <c>array_grad.py</c>.</summary>
internal static class ArrayGradients
{
    public static void Register()
    {
        GradientRegistry.Register("Identity", (c, op, g) => [g[0]]);
        GradientRegistry.Register("IdentityN", (c, op, g) => g); // _IdentityNGrad: each output's gradient to its input
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
        GradientRegistry.Register("ConcatV2", (c, op, g) => ConcatGrad(c, op, g[0]!.Value, valuesStart: 0, axisIndex: op.Inputs.Count - 1));
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

    /// <summary>
    /// TF's _ConcatGradHelper: ConcatOffset of the input shapes, then one Slice of <paramref name="grad"/> per value input
    /// (values at <paramref name="valuesStart"/>…, the axis at <paramref name="axisIndex"/>, which gets no gradient).
    /// </summary>
    internal static Output?[] ConcatGrad(GradientContext c, Node op, Output grad, int valuesStart, int axisIndex)
    {
        var b = c.Builder;
        int n = op.Inputs.Count - 1;
        var axis = c.In(op, axisIndex);
        var inputs = Enumerable.Range(valuesStart, n).Select(i => c.In(op, i)).ToList();
        var rank = b.Unary("Rank", inputs[0], "Rank");
        var mod = b.Binary("FloorMod", axis, rank, "mod");
        var shapes = b.AddOperation("ShapeN", inputs, null, "ShapeN");
        var shapeOuts = Enumerable.Range(0, n).Select(i => b.OutputOf(shapes, i)).ToList();
        var offsets = b.AddOperation("ConcatOffset", [mod, .. shapeOuts], null, "ConcatOffset");
        var result = new Output?[n + 1];
        for (int i = 0; i < n; i++) result[valuesStart + i] = b.Slice(grad, b.OutputOf(offsets, i), shapeOuts[i]);
        return result;
    }
}
