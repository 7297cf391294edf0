using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;

namespace TypedGraph.Tests.Kernels;

/// <summary>
/// Lgamma, Digamma, Igamma, Igammac, Betainc, Zeta, Polygamma against double references written here by other means
/// than the kernels use — the Lanczos approximation (g = 7, n = 9) for lgamma, closed forms (integer and half-integer
/// incomplete gamma, binomial sums for integer-parameter betainc, ζ(2) = π²/6 …), the Euler–Maclaurin sum with a
/// large cut-off for Hurwitz zeta, central differences for ψ — at double precision, Eigen's domain rules (NaN/∞ cases
/// in SpecialFunctionsImpl.h), float rounding, and math_grad.py's gradients against central differences.
/// </summary>
public sealed class SpecialMathKernelTests
{
    private static readonly double[] LanczosP =
    [
        0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
        12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
    ];

    private static double LanczosLgamma(double z)
    {
        if (z < 0.5) return Math.Log(Math.PI / Math.Abs(Math.Sin(Math.PI * z))) - LanczosLgamma(1 - z);
        z -= 1;
        double x = LanczosP[0];
        for (int i = 1; i < 9; i++) x += LanczosP[i] / (z + i);
        double t = z + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (z + 0.5) * Math.Log(t) - t + Math.Log(x);
    }

    private static double[] Run(string op, DataType dtype, params double[][] inputs)
    {
        var tensors = inputs.Select(v => dtype == DataType.DtDouble ? Tensor.Create(v, v.Length) : Tensor.Create(v.Select(d => (float)d).ToArray(), v.Length)).ToArray();
        var y = OpHarness.Run1(op, tensors);
        return dtype == DataType.DtDouble ? y.ToArray<double>() : y.ToArray<float>().Select(f => (double)f).ToArray();
    }

    private static void Near(double expected, double actual, double tol, string what)
    {
        if (double.IsNaN(expected)) { Assert.True(double.IsNaN(actual), $"{what}: expected NaN, got {actual}"); return; }
        if (double.IsInfinity(expected)) { Assert.Equal(expected, actual); return; }
        Assert.True(Math.Abs(expected - actual) <= tol * Math.Max(1, Math.Abs(expected)), $"{what}: expected {expected:R}, got {actual:R}");
    }

    [Fact]
    public void Lgamma_matches_Lanczos_and_factorials_including_near_its_zeros_and_poles()
    {
        double[] xs = [0.001, 0.1, 0.5, 0.9, 0.999, 1, 1.001, 1.5, 1.999, 2, 2.0001, 2.5, 3.7, 10, 30.5, 150, -0.5, -1.3, -2.75, 1e-8];
        var y = Run("Lgamma", DataType.DtDouble, xs);
        for (int i = 0; i < xs.Length; i++) Near(LanczosLgamma(xs[i]), y[i], 1e-13, $"lgamma({xs[i]})");
        // log((n − 1)!) exactly, and the zeros at 1 and 2 to relative precision via the ζ-series reference value
        // lgamma(1 + ε) ≈ −γε + (π²/12)ε² for tiny ε.
        Near(Math.Log(3628800), Run("Lgamma", DataType.DtDouble, [11])[0], 1e-15, "lgamma(11)");
        double nearOne = 1 + 1e-7, eps = nearOne - 1, euler = 0.5772156649015329; // eps exact: the x the kernel sees
        Assert.Equal(-euler * eps + Math.PI * Math.PI / 12 * eps * eps, Run("Lgamma", DataType.DtDouble, [nearOne])[0], 1e-20);
        Assert.Equal(new[] { double.PositiveInfinity, double.PositiveInfinity }, Run("Lgamma", DataType.DtDouble, [0, -3]));
        var f = Run("Lgamma", DataType.DtFloat, [0.5, 4.25]);
        Assert.Equal((float)LanczosLgamma(0.5), (float)f[0]);
        Assert.Equal((float)LanczosLgamma(4.25), (float)f[1]);
    }

    [Fact]
    public void Digamma_matches_harmonic_numbers_its_identities_and_the_lgamma_derivative()
    {
        const double euler = 0.57721566490153286;
        var y = Run("Digamma", DataType.DtDouble, [1, 5, 0.5]);
        Near(-euler, y[0], 1e-15, "psi(1)");
        Near(-euler + 1 + 0.5 + 1.0 / 3 + 0.25, y[1], 1e-15, "psi(5)");
        Near(-euler - 2 * Math.Log(2), y[2], 1e-15, "psi(1/2)");
        foreach (var x in new[] { 0.3, 1.7, 4.2, 12.5, -0.3, -2.6 })
        {
            double h = 1e-5;
            double numeric = (LanczosLgamma(x + h) - LanczosLgamma(x - h)) / (2 * h);
            var r = Run("Digamma", DataType.DtDouble, [x, x + 1, 1 - x]);
            Near(numeric, r[0], 1e-8, $"psi({x}) vs d lgamma");
            Near(r[0] + 1 / x, r[1], 1e-14, $"psi({x}+1) recurrence");
            Near(r[0] + Math.PI / Math.Tan(Math.PI * x), r[2], 1e-12, $"psi(1-{x}) reflection");
        }
        Assert.True(double.IsNaN(Run("Digamma", DataType.DtDouble, [0])[0]));
        Assert.True(double.IsNaN(Run("Digamma", DataType.DtDouble, [-2])[0]));
    }

    [Fact]
    public void Igamma_and_Igammac_match_closed_forms()
    {
        static double Erf(double z)
        {
            // Maclaurin series, fine in double for |z| ≤ 3.
            double sum = 0, term = z;
            for (int n = 0; n < 200; n++)
            {
                sum += term / (2 * n + 1);
                term *= -z * z / (n + 1);
            }
            return 2 / Math.Sqrt(Math.PI) * sum;
        }
        static double PInteger(int n, double x)
        {
            double s = 0, term = 1;
            for (int k = 0; k < n; k++) { s += term; term *= x / (k + 1); }
            return 1 - Math.Exp(-x) * s;
        }
        foreach (var (a, x) in new[] { (1.0, 0.3), (3.0, 2.5), (5.0, 9.0), (2.0, 0.01), (7.0, 3.0), (4.0, 20.0) })
        {
            var p = Run("Igamma", DataType.DtDouble, [a], [x])[0];
            var q = Run("Igammac", DataType.DtDouble, [a], [x])[0];
            Near(PInteger((int)a, x), p, 1e-14, $"P({a}, {x})");
            Near(1 - PInteger((int)a, x), q, 1e-13, $"Q({a}, {x})");
        }
        foreach (var x in new[] { 0.04, 0.5, 2.0, 6.0 })
            Near(Erf(Math.Sqrt(x)), Run("Igamma", DataType.DtDouble, [0.5], [x])[0], 1e-14, $"P(0.5, {x})");
        // Eigen's domain rules; broadcasting of a scalar a.
        Assert.Equal(0, Run("Igamma", DataType.DtDouble, [2], [0])[0]);
        Assert.True(double.IsNaN(Run("Igamma", DataType.DtDouble, [-1], [1])[0]));
        Assert.True(double.IsNaN(Run("Igammac", DataType.DtDouble, [1], [-1])[0]));
        Assert.Equal(0, Run("Igammac", DataType.DtDouble, [2], [double.PositiveInfinity])[0]);
        var y = OpHarness.Run1("Igamma", [Tensor.FromScalar(3.0), Tensor.Create(new[] { 1.0, 2.0 }, 2)]).ToArray<double>();
        Near(PInteger(3, 1), y[0], 1e-14, "broadcast 0");
        Near(PInteger(3, 2), y[1], 1e-14, "broadcast 1");
    }

    [Fact]
    public void Betainc_matches_binomial_sums_symmetry_and_TFs_shape_rule()
    {
        static double Binomial(int n, int k) => Math.Exp(LanczosLgamma(n + 1) - LanczosLgamma(k + 1) - LanczosLgamma(n - k + 1));
        foreach (var (a, b, x) in new[] { (2, 3, 0.4), (1, 1, 0.7), (5, 2, 0.9), (3, 7, 0.05), (10, 12, 0.5), (4, 1, 0.99) })
        {
            int n = a + b - 1;
            double expected = 0;
            for (int j = a; j <= n; j++) expected += Binomial(n, j) * Math.Pow(x, j) * Math.Pow(1 - x, n - j);
            Near(expected, Run("Betainc", DataType.DtDouble, [a], [b], [x])[0], 1e-12, $"I_{x}({a}, {b})");
        }
        foreach (var (a, b, x) in new[] { (0.5, 2.5, 0.3), (2.2, 0.7, 0.85), (30.5, 12.25, 0.7) })
        {
            var r = Run("Betainc", DataType.DtDouble, [a, b], [b, a], [x, 1 - x]);
            Near(1, r[0] + r[1], 1e-13, $"I_x({a},{b}) + I_(1−x)({b},{a})");
        }
        Assert.Equal(new[] { 0.0, 1.0 }, Run("Betainc", DataType.DtDouble, [2, 2], [3, 3], [0, 1]));
        Assert.True(double.IsNaN(Run("Betainc", DataType.DtDouble, [2], [3], [1.5])[0]));
        Assert.True(double.IsNaN(Run("Betainc", DataType.DtDouble, [0], [3], [0.5])[0]));
        var e = Assert.Throws<GraphExecutionException>(() => OpHarness.Run1("Betainc",
            [Tensor.Create(new[] { 1.0, 2.0 }, 2), Tensor.Create(new[] { 1.0, 2.0, 3.0 }, 3), Tensor.FromScalar(0.5)]));
        Assert.Contains("Shapes of a and b are inconsistent", e.Message);
    }

    private static double HurwitzReference(double s, double q)
    {
        // Σ_{k<N} (k+q)^−s + Euler–Maclaurin tail with N = 2000 (error far below double precision for s ≥ 1.5).
        const int n = 2000;
        double sum = 0;
        for (int k = n - 1; k >= 0; k--) sum += Math.Pow(k + q, -s);
        double m = n + q;
        return sum + Math.Pow(m, 1 - s) / (s - 1) + 0.5 * Math.Pow(m, -s) + s / 12 * Math.Pow(m, -s - 1);
    }

    [Fact]
    public void Zeta_and_Polygamma_match_known_values_and_a_long_sum()
    {
        var z = Run("Zeta", DataType.DtDouble, [2, 4, 2, 3.5, 1.5], [1, 1, 0.5, 2.75, 0.3]);
        Near(Math.PI * Math.PI / 6, z[0], 1e-15, "zeta(2)");
        Near(Math.Pow(Math.PI, 4) / 90, z[1], 1e-15, "zeta(4)");
        Near(Math.PI * Math.PI / 2, z[2], 1e-15, "zeta(2, 1/2)");
        Near(HurwitzReference(3.5, 2.75), z[3], 1e-13, "zeta(3.5, 2.75)");
        Near(HurwitzReference(1.5, 0.3), z[4], 1e-12, "zeta(1.5, 0.3)");
        // Eigen: x = 1 → ∞; x < 1 → NaN; q a non-positive integer → ∞ for even x, NaN otherwise.
        var edge = Run("Zeta", DataType.DtDouble, [1, 0.5, 2, 3], [1, 1, -1, 0]);
        Assert.Equal(double.PositiveInfinity, edge[0]);
        Assert.True(double.IsNaN(edge[1]));
        Assert.Equal(double.PositiveInfinity, edge[2]);
        Assert.True(double.IsNaN(edge[3]));

        var p = Run("Polygamma", DataType.DtDouble, [1, 1, 2, 0, 1.5], [1, 0.5, 1, 1, 1]);
        Near(Math.PI * Math.PI / 6, p[0], 1e-14, "psi1(1)");
        Near(Math.PI * Math.PI / 2, p[1], 1e-14, "psi1(1/2)");
        Near(-2 * HurwitzReference(3, 1), p[2], 1e-13, "psi2(1)");
        Near(-0.57721566490153286, p[3], 1e-15, "psi0(1)");
        Assert.True(double.IsNaN(p[4]));
    }

    [Theory]
    [InlineData("Lgamma")]
    [InlineData("Digamma")]
    public void Unary_gradients_match_central_differences(string op)
        => CentralDifferences.CheckGraphGradient((b, x) => b.OutputOf(b.AddOperation(op, [x])), [0.7, 1.9, 3.3, 6.1, -0.4, -1.6], [6], tol: 1e-6);

    [Fact]
    public void Binary_and_ternary_gradients_match_central_differences()
    {
        double[] x0 = [0.4, 1.3, 2.2, 5.0];
        CentralDifferences.CheckGraphGradient((b, x) => b.OutputOf(b.AddOperation("Igamma", [b.Constant(Tensor.FromScalar(2.5), "a"), x])), x0, [4]);
        CentralDifferences.CheckGraphGradient((b, x) => b.OutputOf(b.AddOperation("Igammac", [b.Constant(Tensor.FromScalar(1.5), "a"), x])), x0, [4]);
        CentralDifferences.CheckGraphGradient((b, q) => b.OutputOf(b.AddOperation("Zeta", [b.Constant(Tensor.FromScalar(3.0), "s"), q])), x0, [4]);
        CentralDifferences.CheckGraphGradient((b, x) => b.OutputOf(b.AddOperation("Polygamma", [b.Constant(Tensor.FromScalar(1.0), "n"), x])), x0, [4]);
        CentralDifferences.CheckGraphGradient((b, x) => b.OutputOf(b.AddOperation("Betainc",
            [b.Constant(Tensor.FromScalar(2.5), "a"), b.Constant(Tensor.FromScalar(1.5), "b"), x])), [0.1, 0.35, 0.6, 0.92], [4]);
    }
}
