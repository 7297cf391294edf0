using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>
/// Gradients of the small array/math ops added with their kernels, as TF registers them:
/// <c>_RollGrad</c> (manip_grad.py) → <c>Roll(grad, −shift, axis)</c>; <c>_CrossGrad</c> (math_grad.py) →
/// (<c>Cross(b, grad)</c>, <c>Cross(grad, a)</c>); <c>_EnsureShapeGrad</c> (array_grad.py) → grad;
/// <c>_CumulativeLogsumexpGrad</c> (math_grad.py) → <c>exp(CumulativeLogsumexp(log⁺grad − out, reverse = !reverse) + x)
/// − exp(CumulativeLogsumexp(log⁻grad − out, …) + x)</c> with <c>log⁺grad = log(grad)</c> where grad &gt; 0 and the
/// dtype's lowest value elsewhere (<c>log⁻</c> the same for −grad); <c>_LeakyReluGradGrad</c> (nn_grad.py) →
/// (<c>LeakyReluGrad(grad, features)</c>, zeros). None for shifts, axes and the scan axis.
/// </summary>
internal static class ArrayExtraGradients
{
    public static void Register()
    {
        GradientRegistry.Register("Roll", (c, op, g) => [Op(c, "Roll", [g[0]!.Value, c.Builder.Negate(c.In(op, 1)), c.In(op, 2)], null), null, null]);
        GradientRegistry.Register("Cross", (c, op, g) =>
            [Op(c, "Cross", [c.In(op, 1), g[0]!.Value], null), Op(c, "Cross", [g[0]!.Value, c.In(op, 0)], null)]);
        GradientRegistry.Register("EnsureShape", (c, op, g) => [g[0]]);
        GradientRegistry.Register("LeakyReluGrad", (c, op, g) =>
        {
            var x = c.In(op, 1);
            return [Op(c, "LeakyReluGrad", [g[0]!.Value, x], GradientContext.CopyAttrs(op, "alpha")), c.Builder.ZerosLike(x)];
        });
        GradientRegistry.Register("CumulativeLogsumexp", (c, op, g) =>
        {
            var b = c.Builder;
            var x = c.In(op, 0);
            var axis = c.In(op, 1);
            var result = c.Out(op);
            var grad = g[0]!.Value;
            var lowest = b.ScalarConstant(x.BaseType == DataType.DtDouble ? double.MinValue : x.BaseType == DataType.DtHalf ? (double)Half.MinValue : float.MinValue, x.BaseType, "lowest");
            var zero = b.ScalarConstant(0, x.BaseType, "zero");
            var lowestLike = b.Fill(b.Shape(grad), lowest);
            var logPositive = b.Select(b.Greater(grad, zero), b.Log(grad), lowestLike);
            var logNegative = b.Select(b.Less(grad, zero), b.Log(b.Negate(grad)), lowestLike);
            var attrs = new Dictionary<string, AttrValue>
            {
                ["exclusive"] = Attrs.Bool(op.GetBool("exclusive", false)),
                ["reverse"] = Attrs.Bool(!op.GetBool("reverse", false)),
            };
            var pos = b.Exp(b.Add(Op(c, "CumulativeLogsumexp", [b.Subtract(logPositive, result), axis], attrs), x));
            var neg = b.Exp(b.Add(Op(c, "CumulativeLogsumexp", [b.Subtract(logNegative, result), axis], attrs), x));
            return [b.Subtract(pos, neg), null];
        });
        GradientRegistry.NotDifferentiable("Bitcast");
        GradientRegistry.NotDifferentiable("LinSpace");
        GradientRegistry.NotDifferentiable("UnravelIndex");
    }

    private static Output Op(GradientContext c, string type, Output[] inputs, Dictionary<string, AttrValue>? attrs)
        => c.Builder.OutputOf(c.Builder.AddOperation(type, inputs, attrs, type));
}
