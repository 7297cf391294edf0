using TypedGraph.Building;

namespace TypedGraph.Training;

/// <summary>
/// Gradients of the trigonometric and hyperbolic ops, as TF's math_grad.py writes them (each built after the incoming
/// gradient, as TF's control dependency; x conjugated for complex inputs): <c>_SinGrad</c> g·cos x, <c>_CosGrad</c>
/// −g·sin x, <c>_TanGrad</c> g·(1/cos x)², <c>_AsinGrad</c> g·1/√(1 − x²), <c>_AcosGrad</c> −g·1/√(1 − x²),
/// <c>_AtanGrad</c> g·1/(1 + x²), <c>_SinhGrad</c> g·cosh x, <c>_CoshGrad</c> g·sinh x, <c>_AsinhGrad</c> g/cosh y,
/// <c>_AcoshGrad</c> g/sinh y (y the op's output), <c>_AtanhGrad</c> g·1/(1 − x²), and <c>_Atan2Grad</c>
/// (x·g/(x² + y²), −y·g/(x² + y²)) for atan2(y, x), each summed over its broadcast dims (TF's current form).
/// </summary>
internal static class TrigGradients
{
    public static void Register()
    {
        Unary("Sin", (c, x) => c.Builder.Unary("Cos", x));
        Unary("Cos", (c, x) => c.Builder.Negate(c.Builder.Unary("Sin", x)));
        Unary("Tan", (c, x) => c.Builder.Square(c.Builder.Reciprocal(c.Builder.Unary("Cos", x))));
        Unary("Asin", (c, x) => c.Builder.Reciprocal(c.Builder.Sqrt(c.Builder.Subtract(c.Scalar(1, x), c.Builder.Square(x)))));
        Unary("Acos", (c, x) => c.Builder.Negate(c.Builder.Reciprocal(c.Builder.Sqrt(c.Builder.Subtract(c.Scalar(1, x), c.Builder.Square(x))))));
        Unary("Atan", (c, x) => c.Builder.Reciprocal(c.Builder.Add(c.Scalar(1, x), c.Builder.Square(x))));
        Unary("Sinh", (c, x) => c.Builder.Unary("Cosh", x));
        Unary("Cosh", (c, x) => c.Builder.Unary("Sinh", x));
        Unary("Atanh", (c, x) => c.Builder.Reciprocal(c.Builder.Subtract(c.Scalar(1, x), c.Builder.Square(x))));
        Unary("Asinh", (c, y) => c.Builder.Reciprocal(c.Builder.Unary("Cosh", y)), fromOutput: true);
        Unary("Acosh", (c, y) => c.Builder.Reciprocal(c.Builder.Unary("Sinh", y)), fromOutput: true);
        GradientRegistry.Register("Atan2", (c, op, g) =>
        {
            var b = c.Builder;
            Output y = c.In(op, 0), x = c.In(op, 1), grad = g[0]!.Value;
            Output gradInv;
            using (b.ControlDependencies([grad.NodeName]))
                gradInv = b.Divide(grad, b.Add(b.Square(x), b.Square(y)));
            return c.BroadcastReduce(y, x, () => b.Multiply(x, gradInv), () => b.Negate(b.Multiply(y, gradInv)));
        });
    }

    // grad · derivative(conj(input or output)), the derivative built under a control dependency on grad.
    private static void Unary(string op, Func<GradientContext, Output, Output> derivative, bool fromOutput = false)
        => GradientRegistry.Register(op, (c, node, g) =>
        {
            var grad = g[0]!.Value;
            Output d;
            using (c.Builder.ControlDependencies([grad.NodeName]))
                d = derivative(c, ComplexGradients.Conj(c, fromOutput ? c.Out(node) : c.In(node, 0)));
            return [c.Builder.Multiply(grad, d)];
        });
}
