using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Elementwise;

/// <summary>
/// <c>Erf</c> and <c>Erfc</c> (GELU's building block) for float, double and half — TF's registered CPU types besides
/// bfloat16 (<c>cwise_op_erf.cc</c>). .NET has no erf, so <see cref="SpecialFunctions"/> evaluates both in double
/// to near full double precision and the result is rounded once to the element type.
/// </summary>
internal sealed class ErfKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("Erf", n => new Exec.DelegateKernel(n, ctx => Apply(ctx, SpecialFunctions.Erf)));
        registry.Add("Erfc", n => new Exec.DelegateKernel(n, ctx => Apply(ctx, SpecialFunctions.Erfc)));
    }

    private static void Apply(OpKernelContext ctx, Func<double, double> f)
    {
        var x = ctx.Input(0);
        var y = ctx.AllocateOutput(0, x.DType, x.Shape);
        switch (x.DType)
        {
            case DataType.DtFloat: { var i = x.AsSpan<float>(); var o = y.AsSpan<float>(); for (int k = 0; k < i.Length; k++) o[k] = (float)f(i[k]); break; }
            case DataType.DtDouble: { var i = x.AsSpan<double>(); var o = y.AsSpan<double>(); for (int k = 0; k < i.Length; k++) o[k] = f(i[k]); break; }
            case DataType.DtHalf: { var i = x.AsSpan<Half>(); var o = y.AsSpan<Half>(); for (int k = 0; k < i.Length; k++) o[k] = (Half)f((double)i[k]); break; }
            default: throw KernelAttrs.BadType(ctx.Node, x.DType);
        }
    }
}

/// <summary>The error function and its complement in double precision.</summary>
internal static class SpecialFunctions
{
    private const double TwoOverSqrtPi = 1.1283791670955126; // 2/√π
    private const double OneOverSqrtPi = 0.5641895835477563; // 1/√π

    /// <summary>erf(x). For |x| &lt; 2 the all-positive series erf(x) = 2/√π·e^(−x²)·Σ (2x²)ⁿ·x / (1·3·…·(2n+1))
    /// (no cancellation); beyond, 1 − erfc(|x|) with the sign of x.</summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        double ax = Math.Abs(x);
        if (ax < 2)
        {
            double x2 = 2 * x * x, term = x, sum = x;
            for (int n = 1; n < 200; n++)
            {
                term *= x2 / (2 * n + 1);
                sum += term;
                if (Math.Abs(term) <= 1e-17 * Math.Abs(sum)) break;
            }
            return TwoOverSqrtPi * Math.Exp(-x * x) * sum;
        }
        double c = Erfc(ax);
        return x > 0 ? 1 - c : c - 1;
    }

    /// <summary>erfc(x) = 1 − erf(x). For x ≥ 2 Laplace's continued fraction
    /// e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))) by modified Lentz, which keeps the relative precision of the
    /// tiny tail; below, 1 − erf(x) (erfc(x) ≥ 0.0046 there, so the subtraction loses at most a few bits).</summary>
    public static double Erfc(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        if (x < 2) return 1 - Erf(x);
        if (x > 27.3) return 0; // e^(−x²) underflows double
        const double tiny = 1e-300;
        double f = x, c = x, d = 0;
        for (int n = 1; n < 5000; n++)
        {
            double a = n * 0.5;
            d = x + a * d;
            if (d == 0) d = tiny;
            c = x + a / c;
            if (c == 0) c = tiny;
            d = 1 / d;
            double delta = c * d;
            f *= delta;
            if (Math.Abs(delta - 1) < 1e-16) break;
        }
        return OneOverSqrtPi * Math.Exp(-x * x) / f;
    }
}
