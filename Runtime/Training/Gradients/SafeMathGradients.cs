using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>
/// Gradients of the zero-safe binary ops and Softsign, as TF's math_grad.py / nn_grad.py, each summed over its broadcast
/// dims: <c>_XLogyGrad</c> (xlogy(x ≠ 0, y)·g, xdivy(x, y)·g), <c>_XDivyGrad</c> (xdivy(x ≠ 0, y)·g, xdivy(−x, y²)·g),
/// <c>_DivNoNanGrad</c> (div_no_nan(g, y), g·div_no_nan(div_no_nan(−x, y), y), x and y conjugated),
/// <c>_MulNoNanGrad</c> (mul_no_nan(g, y), mul_no_nan(x, g)); <c>_SoftsignGrad</c> is TF's SoftsignGrad kernel
/// g/(1 + |x|)², built here from Abs, Add, Square and RealDiv (there is no SoftsignGrad kernel).
/// </summary>
internal static class SafeMathGradients
{
    public static void Register()
    {
        GradientRegistry.Register("Xlogy", (c, op, g) => XGrad(c, op, g[0]!.Value, "Xlogy",
            (b, x, y) => b.Binary("Xdivy", x, y, "Xdivy")));
        GradientRegistry.Register("Xdivy", (c, op, g) => XGrad(c, op, g[0]!.Value, "Xdivy",
            (b, x, y) => b.Binary("Xdivy", b.Negate(x), b.Square(y), "Xdivy_1")));
        GradientRegistry.Register("DivNoNan", (c, op, g) =>
        {
            var b = c.Builder;
            var grad = g[0]!.Value;
            var x = ComplexGradients.Conj(c, c.In(op, 0));
            var y = ComplexGradients.Conj(c, c.In(op, 1), "Conj_1");
            return c.BroadcastReduce(c.In(op, 0), c.In(op, 1), () => b.Binary("DivNoNan", grad, y, "div_no_nan"),
                () => b.Multiply(grad, b.Binary("DivNoNan", b.Binary("DivNoNan", b.Negate(x), y, "div_no_nan_1"), y, "div_no_nan_2"), "mul"));
        });
        GradientRegistry.Register("MulNoNan", (c, op, g) =>
        {
            var b = c.Builder;
            var grad = g[0]!.Value;
            return c.BroadcastReduce(c.In(op, 0), c.In(op, 1), () => b.Binary("MulNoNan", grad, c.In(op, 1), "MulNoNan"),
                () => b.Binary("MulNoNan", c.In(op, 0), grad, "MulNoNan_1"));
        });
        GradientRegistry.Register("Softsign", (c, op, g) =>
        {
            var b = c.Builder;
            var x = c.In(op, 0);
            return [b.Divide(g[0]!.Value, b.Square(b.Add(c.Scalar(1, x), b.Abs(x))), "SoftsignGrad")];
        });
    }

    // (op(cast(x ≠ 0), y)·g, dy(x, y)·g): the x-partial is 0 where x is 0, as the forward op is identically 0 there.
    private static Output?[] XGrad(GradientContext c, Node op, Output grad, string kind, Func<GraphBuilder, Output, Output, Output> yPartial)
    {
        var b = c.Builder;
        Output x = c.In(op, 0), y = c.In(op, 1);
        using (b.ControlDependencies([grad.NodeName]))
        {
            var notZero = b.Cast(b.Binary("NotEqual", x, b.ZerosLike(x, "zeros_like"), "NotEqual"), x.BaseType);
            var px = b.Binary(kind, notZero, y, kind);
            var py = yPartial(b, x, y);
            return c.BroadcastReduce(x, y, () => b.Multiply(px, grad, "mul"), () => b.Multiply(py, grad, "mul_1"));
        }
    }
}
