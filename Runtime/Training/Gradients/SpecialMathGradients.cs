using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>
/// Gradients of the special functions, as TF's <c>ops/math_grad.py</c> builds them:
/// <c>_LgammaGrad</c> → grad·Digamma(x); <c>_DigammaGrad</c> → grad·Polygamma(1, x); <c>_IgammaGrad</c> →
/// (grad·IgammaGradA(a, x), grad·exp(−x + (a−1)·log x − Lgamma(a))), each reduced over its broadcast dims,
/// <c>_IgammacGrad</c> their negatives; <c>_BetaincGrad</c> → (none, none, grad·exp(xlog1py(b−1, −x) + xlogy(a−1, x) − lbeta(a, b))) — TF gives no
/// gradient for a and b; <c>_ZetaGrad</c> → (none, grad·(−x·Zeta(x+1, q))); <c>_PolygammaGrad</c> → (none,
/// grad·Polygamma(n+1, x)).
/// </summary>
internal static class SpecialMathGradients
{
    public static void Register()
    {
        GradientRegistry.Register("Lgamma", (c, op, g) => [c.Builder.Multiply(g[0]!.Value, Op(c, "Digamma", [c.In(op, 0)]))]);
        GradientRegistry.Register("Digamma", (c, op, g) =>
        {
            var x = c.In(op, 0);
            return [c.Builder.Multiply(g[0]!.Value, Op(c, "Polygamma", [c.Scalar(1, x), x]))];
        });
        GradientRegistry.Register("Igamma", (c, op, g) => IgammaGrad(c, op, g[0]!.Value, negate: false));
        GradientRegistry.Register("Igammac", (c, op, g) => IgammaGrad(c, op, g[0]!.Value, negate: true));
        GradientRegistry.Register("Betainc", (c, op, g) =>
        {
            var b = c.Builder;
            Output a = c.In(op, 0), bb = c.In(op, 1), x = c.In(op, 2);
            var one = c.Scalar(1, x);
            var logBeta = b.Subtract(b.Add(Op(c, "Lgamma", [a]), Op(c, "Lgamma", [bb])), Op(c, "Lgamma", [b.Add(a, bb)]));
            // TF: exp(xlog1py(b − 1, −x) + xlogy(a − 1, x) − lbeta); xlogy(b − 1, 1 − x) here (no Xlog1py kernel), equal up
            // to the rounding of 1 − x, and 0 where the coefficient is 0 as in TF.
            var partialX = b.Exp(b.Subtract(b.Add(Op(c, "Xlogy", [b.Subtract(bb, one), b.Subtract(one, x)]),
                Op(c, "Xlogy", [b.Subtract(a, one), x])), logBeta));
            // a and b are scalars or x's shape (BetaincOp), so the product has x's shape after broadcasting; reduce to x.
            var product = b.Multiply(g[0]!.Value, partialX);
            var gx = c.BroadcastReduce(x, product, () => product, () => null)[0];
            return [null, null, gx];
        });
        GradientRegistry.Register("Zeta", (c, op, g) =>
        {
            var b = c.Builder;
            Output x = c.In(op, 0), q = c.In(op, 1);
            return c.BroadcastReduce(x, q, () => null,
                () => b.Multiply(g[0]!.Value, b.Negate(b.Multiply(x, Op(c, "Zeta", [b.Add(x, c.Scalar(1, x)), q])))));
        });
        GradientRegistry.Register("Polygamma", (c, op, g) =>
        {
            var b = c.Builder;
            Output n = c.In(op, 0), x = c.In(op, 1);
            return c.BroadcastReduce(n, x, () => null, () => b.Multiply(g[0]!.Value, Op(c, "Polygamma", [b.Add(n, c.Scalar(1, n)), x])));
        });
    }

    private static Output?[] IgammaGrad(GradientContext c, Node op, Output grad, bool negate)
    {
        var b = c.Builder;
        Output a = c.In(op, 0), x = c.In(op, 1);
        Output Sign(Output v) => negate ? b.Negate(v) : v;
        return c.BroadcastReduce(a, x,
            () => Sign(b.Multiply(grad, Op(c, "IgammaGradA", [a, x]))),
            () => Sign(b.Multiply(grad, b.Exp(b.Subtract(b.Subtract(b.Multiply(b.Subtract(a, c.Scalar(1, a)), b.Log(x)), x), Op(c, "Lgamma", [a]))))));
    }

    private static Output Op(GradientContext c, string type, Output[] inputs)
        => c.Builder.OutputOf(c.Builder.AddOperation(type, inputs, null, type));
}
