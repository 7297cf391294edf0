using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>
/// Gradients after TF's <c>math_grad.py</c> (<c>_CumsumGrad</c>, <c>_CumprodGrad</c>, <c>_ErfGrad</c>,
/// <c>_ErfcGrad</c>, <c>_ClipByValueGrad</c>) and <c>array_grad.py</c> (<c>_CheckNumericsGrad</c>,
/// <c>_FakeQuantWithMinMax*Gradient</c>, <c>_StridedSliceGrad</c>).
/// </summary>
internal static class MathExtraGradients
{
    private const double TwoOverSqrtPi = 1.1283791670955126;

    public static void Register()
    {
        GradientRegistry.Register("Cumsum", (c, op, g) =>
        {
            // The adjoint of a forward scan is the same scan run the other way.
            var attrs = GradientContext.CopyAttrs(op, "exclusive");
            attrs["reverse"] = Attrs.Bool(!op.GetBool("reverse", false));
            return [Op(c, "Cumsum", [g[0]!.Value, c.In(op, 1)], attrs), null];
        });
        GradientRegistry.Register("Cumprod", (c, op, g) =>
        {
            // TF's _CumprodGrad: cumsum(cumprod(x)·g, reversed) / x (undefined where x = 0, as TF's).
            var b = c.Builder;
            var x = c.In(op, 0);
            var axis = c.In(op, 1);
            var prod = Op(c, "Cumprod", [x, axis], GradientContext.CopyAttrs(op, "exclusive", "reverse"));
            var attrs = GradientContext.CopyAttrs(op, "exclusive");
            attrs["reverse"] = Attrs.Bool(!op.GetBool("reverse", false));
            var summed = Op(c, "Cumsum", [b.Multiply(prod, g[0]!.Value, "mul"), axis], attrs);
            return [b.Divide(summed, x, "truediv"), null];
        });
        GradientRegistry.Register("Erf", (c, op, g) =>
        {
            // d/dx erf(x) = 2/√π·e^(−x²)
            var b = c.Builder;
            var x = c.In(op, 0);
            var dx = b.Multiply(c.Scalar(TwoOverSqrtPi, x, "two_over_root_pi"), b.Exp(b.Negate(b.Square(x, "Square"), "Neg"), "Exp"), "mul");
            return [b.Multiply(g[0]!.Value, dx, "mul_1")];
        });
        GradientRegistry.Register("Erfc", (c, op, g) =>
        {
            var b = c.Builder;
            var x = c.In(op, 0);
            var dx = b.Multiply(c.Scalar(-TwoOverSqrtPi, x, "minus_two_over_root_pi"), b.Exp(b.Negate(b.Square(x, "Square"), "Neg"), "Exp"), "mul");
            return [b.Multiply(g[0]!.Value, dx, "mul_1")];
        });
        GradientRegistry.Register("ClipByValue", (c, op, g) =>
        {
            // The gradient flows to t where lo ≤ t ≤ hi, else to the bound that was hit (summed to its shape).
            var b = c.Builder;
            var x = c.In(op, 0);
            var lo = c.In(op, 1);
            var hi = c.In(op, 2);
            var grad = g[0]!.Value;
            var zeros = b.ZerosLike(grad, "zeros");
            var below = b.Less(x, lo, "Less");
            var above = b.Greater(x, hi, "Greater");
            var outside = b.Binary("LogicalOr", below, above, "LogicalOr");
            var gx = b.OutputOf(b.AddOperation("SelectV2", [outside, zeros, grad], null, "SelectV2"));
            var glo = ReduceTo(c, b.OutputOf(b.AddOperation("SelectV2", [below, grad, zeros], null, "SelectV2_1")), lo);
            var ghi = ReduceTo(c, b.OutputOf(b.AddOperation("SelectV2", [above, grad, zeros], null, "SelectV2_2")), hi);
            return [gx, glo, ghi];
        });
        GradientRegistry.Register("CheckNumerics", (c, op, g) =>
        [
            Op(c, "CheckNumerics", [g[0]!.Value], new Dictionary<string, AttrValue>
            {
                ["message"] = Attrs.String("Not a number (NaN) or infinity (Inf) values detected in gradient. " + op.GetString("message", "")),
            }),
        ]);
        GradientRegistry.Register("CheckNumericsV2", (c, op, g) =>
        [
            Op(c, "CheckNumericsV2", [g[0]!.Value], new Dictionary<string, AttrValue>
            {
                ["message"] = Attrs.String("Not a number (NaN) or infinity (Inf) values detected in gradient. " + op.GetString("message", "")),
            }),
        ]);
        GradientRegistry.Register("FakeQuantWithMinMaxArgs", (c, op, g) =>
            [Op(c, "FakeQuantWithMinMaxArgsGradient", [g[0]!.Value, c.In(op, 0)], GradientContext.CopyAttrs(op, "min", "max", "num_bits", "narrow_range"))]);
        foreach (var kind in new[] { "FakeQuantWithMinMaxVars", "FakeQuantWithMinMaxVarsPerChannel" })
        {
            string gradOp = kind + "Gradient";
            GradientRegistry.Register(kind, (c, op, g) =>
            {
                var b = c.Builder;
                var node = b.AddOperation(gradOp, [g[0]!.Value, c.In(op, 0), c.In(op, 1), c.In(op, 2)], GradientContext.CopyAttrs(op, "num_bits", "narrow_range"), gradOp);
                return [b.OutputOf(node, 0), b.OutputOf(node, 1), b.OutputOf(node, 2)];
            });
        }
        GradientRegistry.Register("StridedSlice", (c, op, g) =>
        {
            var b = c.Builder;
            var begin = c.In(op, 1);
            var shape = b.Shape(c.In(op, 0), "Shape");
            if (begin.BaseType == DataType.DtInt64) shape = b.Cast(shape, DataType.DtInt64, "Cast");
            var attrs = GradientContext.CopyAttrs(op, "begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask");
            return [Op(c, "StridedSliceGrad", [shape, begin, c.In(op, 2), c.In(op, 3), g[0]!.Value], attrs), null, null, null];
        });
        GradientRegistry.NotDifferentiable("FakeQuantWithMinMaxArgsGradient", "FakeQuantWithMinMaxVarsGradient", "FakeQuantWithMinMaxVarsPerChannelGradient");
    }

    /// <summary>Sums a gradient of the broadcast shape back to <paramref name="like"/>'s shape.</summary>
    internal static Output ReduceTo(GradientContext c, Output grad, Output like)
    {
        var b = c.Builder;
        var sLike = b.Shape(like, "Shape");
        var args = b.AddOperation("BroadcastGradientArgs", [b.Shape(grad, "Shape_1"), sLike], null, "BroadcastGradientArgs");
        var sum = b.OutputOf(b.AddOperation("Sum", [grad, b.OutputOf(args, 1)], null, "Sum"));
        return b.Reshape(sum, sLike, "Reshape");
    }

    private static Output Op(GradientContext c, string type, Output[] inputs, Dictionary<string, AttrValue>? attrs = null)
        => c.Builder.OutputOf(c.Builder.AddOperation(type, inputs, attrs, type));
}
