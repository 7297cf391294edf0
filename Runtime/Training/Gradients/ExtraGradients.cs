using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>Gradients of max/min reductions, Fill, BroadcastTo, ReverseV2, SelectV2, BatchMatMul, Log1p, Expm1,
/// LeakyRelu and BiasAddV1 (TF's <c>math_grad.py</c> / <c>array_grad.py</c> / <c>nn_grad.py</c>).</summary>
internal static class ExtraGradients
{
    public static void Register()
    {
        GradientRegistry.Register("Max", MinOrMax);
        GradientRegistry.Register("Min", MinOrMax);
        GradientRegistry.Register("Log1p", (c, op, g) =>
        {
            Output r;
            using (c.Builder.ControlDependencies([g[0]!.Value.NodeName])) r = c.Builder.Reciprocal(c.Builder.Add(c.In(op, 0), 1.0, "add"));
            return [c.Builder.Multiply(g[0]!.Value, r, "mul")];
        });
        GradientRegistry.Register("Expm1", (c, op, g) => [c.Builder.Multiply(g[0]!.Value, c.Builder.Exp(c.In(op, 0)), "mul")]);
        GradientRegistry.Register("LeakyRelu", (c, op, g) =>
        {
            // grad where x > 0, alpha · grad elsewhere (TF ≥ 1.13 emits LeakyReluGrad; this composes the same value).
            var b = c.Builder;
            var x = c.In(op, 0);
            var mask = b.Greater(x, b.ZerosLike(x, "zeros_like"));
            return [b.Select(mask, g[0]!.Value, b.Multiply(g[0]!.Value, op.GetFloat("alpha", 0.2f), "mul"))];
        });
        GradientRegistry.Register("BiasAddV1", (c, op, g) => [g[0], c.Builder.OutputOf(c.Builder.AddOperation("BiasAddGrad", [g[0]!.Value], null, "BiasAddGrad"))]);
        GradientRegistry.Register("Fill", (c, op, g) => [null, c.Builder.ReduceSum(g[0]!.Value, null, rank: StaticShapes.Of(c.Builder, g[0]!.Value)?.Length)]);
        GradientRegistry.Register("BroadcastTo", (c, op, g) =>
        {
            var b = c.Builder;
            var x = c.In(op, 0);
            var sx = c.ShapeOf(x);
            var args = b.AddOperation("BroadcastGradientArgs", [sx, c.In(op, 1)], null, "BroadcastGradientArgs");
            var sum = b.OutputOf(b.AddOperation("Sum", [g[0]!.Value, b.OutputOf(args, 0)], new Dictionary<string, AttrValue> { ["keep_dims"] = Attrs.Bool(true) }, "Sum"));
            return [b.Reshape(sum, sx, "Reshape"), null];
        });
        GradientRegistry.Register("ReverseV2", (c, op, g) => [c.Builder.OutputOf(c.Builder.AddOperation("ReverseV2", [g[0]!.Value, c.In(op, 1)], null, "ReverseV2")), null]);
        GradientRegistry.Register("SelectV2", (c, op, g) =>
        {
            var b = c.Builder;
            var zeros = b.ZerosLike(g[0]!.Value, "zeros_like");
            var gx = b.OutputOf(b.AddOperation("SelectV2", [c.In(op, 0), g[0]!.Value, zeros], null, "SelectV2"));
            var gy = b.OutputOf(b.AddOperation("SelectV2", [c.In(op, 0), zeros, g[0]!.Value], null, "SelectV2"));
            return [null, ReduceTo(c, gx, c.In(op, 1)), ReduceTo(c, gy, c.In(op, 2))];
        });
        GradientRegistry.Register("BatchMatMul", (c, op, g) =>
        {
            // Same-rank operands only (BatchMatMul does not broadcast batch dims).
            var b = c.Builder;
            var x = c.In(op, 0);
            var y = c.In(op, 1);
            var grad = g[0]!.Value;
            bool ax = op.GetBool("adj_x", false), ay = op.GetBool("adj_y", false);
            Output Bmm(Output p, Output q, bool aq, bool bq) => b.OutputOf(b.AddOperation("BatchMatMul", [p, q],
                new Dictionary<string, AttrValue> { ["adj_x"] = Attrs.Bool(aq), ["adj_y"] = Attrs.Bool(bq) }, "MatMul"));
            return (ax, ay) switch
            {
                (false, false) => [Bmm(grad, y, false, true), Bmm(x, grad, true, false)],
                (false, true) => [Bmm(grad, y, false, false), Bmm(grad, x, true, false)],
                (true, false) => [Bmm(y, grad, false, true), Bmm(x, grad, false, false)],
                (true, true) => [Bmm(y, grad, true, true), Bmm(grad, x, true, true)],
            };
        });
    }

    // Sums a broadcast gradient back to the shape of `like`.
    private static Output ReduceTo(GradientContext c, Output grad, Output like)
    {
        var b = c.Builder;
        var sLike = b.Shape(like);
        var args = b.AddOperation("BroadcastGradientArgs", [b.Shape(grad), sLike], null, "BroadcastGradientArgs");
        var sum = b.OutputOf(b.AddOperation("Sum", [grad, b.OutputOf(args, 1)], null, "Sum"));
        return b.Reshape(sum, sLike, "Reshape");
    }

    // TF's _MinOrMaxGrad: the gradient goes to the elements equal to the extremum, split evenly between ties.
    private static Output?[] MinOrMax(GradientContext c, Node op, Output?[] g)
    {
        var b = c.Builder;
        var x = c.In(op, 0);
        var shape = StaticShapes.Of(b, x) ?? throw new NotSupportedException($"Gradient of '{op.Name}' ({op.Op}) needs the static rank of '{x.Name}'.");
        var axes = StaticShapes.ConstValues(b, op.Inputs[1]) ?? throw new NotSupportedException($"Gradient of '{op.Name}' ({op.Op}) needs constant reduction indices.");
        var reduced = axes.Select(a => (int)(a < 0 ? a + shape.Length : a)).ToHashSet();
        // Kept-dims shape: dynamic sizes on kept dims, 1 on reduced dims.
        var s = b.Shape(x);
        var keepMask = Enumerable.Range(0, shape.Length).Select(i => reduced.Contains(i) ? 0 : 1).ToArray();
        var kept = b.Add(b.Multiply(s, b.Constant(keepMask, "keep_mask")), b.Constant(keepMask.Select(m => 1 - m).ToArray(), "reduced_mask"), "kept_dims");
        var y = b.Reshape(c.Out(op), kept, "Reshape");
        var grad = b.Reshape(g[0]!.Value, kept, "Reshape_1");
        var indicators = b.Cast(b.Equal(y, x), x.BaseType);
        var count = b.ReduceSum(indicators, reduced.Order().ToArray(), keepDims: true);
        return [b.Multiply(b.Divide(indicators, count, "truediv"), grad, "mul"), null];
    }
}
