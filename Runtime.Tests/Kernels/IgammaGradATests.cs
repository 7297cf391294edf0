using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;

namespace TypedGraph.Tests.Kernels;

/// <summary>
/// IgammaGradA (∂P(a, x)/∂a, Eigen's igamma_der_a) and RandomGammaGrad (Eigen's gamma_sample_der_alpha) against
/// references computed here by other means — a closed form at a = 1 through the exponential integral, central
/// differences of the Igamma kernel in a, the implicit-reparameterization identity ds/dα = −(∂P/∂α)/p(s | α) — and
/// the a-gradients of Igamma/Igammac through a graph with broadcasting.
/// </summary>
public class IgammaGradATests
{
    private static double Run(string op, double a, double x, DataType dtype = DataType.DtDouble)
    {
        var t = dtype == DataType.DtDouble
            ? OpHarness.Run1(op, [Tensor.FromScalar(a), Tensor.FromScalar(x)]).ToArray<double>()[0]
            : OpHarness.Run1(op, [Tensor.FromScalar((float)a), Tensor.FromScalar((float)x)]).ToArray<float>()[0];
        return t;
    }

    // E1(x) = −γ − ln x − Σ_{k≥1} (−x)^k/(k·k!), summed to convergence (fine for x ≤ 10 in double).
    private static double E1(double x)
    {
        double sum = 0, term = 1;
        for (int k = 1; k < 200; k++)
        {
            term *= -x / k;
            sum += term / k;
        }
        return -0.57721566490153286061 - Math.Log(x) - sum;
    }

    [Theory]
    [InlineData(0.3)]
    [InlineData(0.9)]
    [InlineData(2.5)]
    [InlineData(8.0)]
    public void IgammaGradA_at_a_one_is_the_exponential_integral_closed_form(double x)
    {
        // P(a, x) = γ(a, x)/Γ(a); at a = 1: ∂γ/∂a = ∫₀ˣ e⁻ᵗ ln t dt = −e⁻ˣ ln x − E1(x) − γ_E and ψ(1) = −γ_E, so
        // ∂P/∂a = −e⁻ˣ ln x − E1(x) − γ_E·e⁻ˣ. x = 0.3, 0.9 take the series, 2.5 and 8 the continued fraction.
        double expected = -Math.Exp(-x) * Math.Log(x) - E1(x) - 0.57721566490153286061 * Math.Exp(-x);
        double got = Run("IgammaGradA", 1, x);
        Assert.True(Math.Abs(got - expected) <= 1e-12 * Math.Max(1, Math.Abs(expected)), $"x={x}: expected {expected}, got {got}");
    }

    [Fact]
    public void IgammaGradA_matches_central_differences_of_Igamma_over_both_regimes()
    {
        foreach (var a in new[] { 0.3, 1.7, 4.2, 12.0, 40.0 })
            foreach (var x in new[] { 0.2, 1.5, 3.9, 10.0, 25.0, 60.0 })
            {
                double h = 1e-5 * Math.Max(1, a);
                double numeric = (Run("Igamma", a + h, x) - Run("Igamma", a - h, x)) / (2 * h);
                double got = Run("IgammaGradA", a, x);
                Assert.True(Math.Abs(got - numeric) <= 1e-7 * Math.Max(1, Math.Abs(numeric)), $"a={a} x={x}: numeric {numeric}, got {got}");
                // float inputs are evaluated in double and rounded once.
                Assert.Equal((float)Run("IgammaGradA", (float)a, (float)x), Run("IgammaGradA", a, x, DataType.DtFloat));
            }
    }

    [Fact]
    public void IgammaGradA_domain_is_Eigens()
    {
        Assert.Equal(0, Run("IgammaGradA", 2, 0));
        Assert.True(double.IsNaN(Run("IgammaGradA", 0, 1)));
        Assert.True(double.IsNaN(Run("IgammaGradA", -1, 1)));
        Assert.True(double.IsNaN(Run("IgammaGradA", 1, -1)));
        Assert.True(double.IsNaN(Run("IgammaGradA", double.NaN, 1)));
        Assert.Equal(0, Run("IgammaGradA", 2, double.PositiveInfinity));
        // Broadcasting as a cwise binary op: a [2] against x [2, 1] → [2, 2].
        var y = OpHarness.Run1("IgammaGradA", [Tensor.Create(new[] { 1.0, 3.0 }, 2), Tensor.Create(new[] { 0.5, 4.0 }, 2, 1)]);
        Assert.Equal([2, 2], y.Shape.ToArray());
        Assert.Equal(Run("IgammaGradA", 3.0, 0.5), y.ToArray<double>()[1]);
        Assert.Equal(Run("IgammaGradA", 1.0, 4.0), y.ToArray<double>()[2]);
    }

    [Fact]
    public void RandomGammaGrad_is_the_implicit_reparameterization_derivative()
    {
        foreach (var alpha in new[] { 0.4, 1.0, 3.5, 20.0 })
            foreach (var s in new[] { 0.05, 0.8, 2.7, 9.0, 30.0 })
            {
                // ∂P/∂α by central differences of P in the lower half and of Q = 1 − P in the upper tail, where P
                // rounds to 1 but Q keeps its digits.
                double h = 1e-5 * Math.Max(1, alpha);
                double dPda = Run("Igamma", alpha, s) < 0.5
                    ? (Run("Igamma", alpha + h, s) - Run("Igamma", alpha - h, s)) / (2 * h)
                    : -(Run("Igammac", alpha + h, s) - Run("Igammac", alpha - h, s)) / (2 * h);
                double density = Math.Exp((alpha - 1) * Math.Log(s) - s - Run1Lgamma(alpha));
                double expected = -dPda / density;
                double got = Run("RandomGammaGrad", alpha, s);
                Assert.True(Math.Abs(got - expected) <= 1e-6 * Math.Max(1, Math.Abs(expected)), $"alpha={alpha} s={s}: expected {expected}, got {got}");
            }
        Assert.Equal(0, Run("RandomGammaGrad", 2, 0));
    }

    private static double Run1Lgamma(double x) => OpHarness.Run1("Lgamma", [Tensor.FromScalar(x)]).ToArray<double>()[0];

    [Theory]
    [InlineData("Igamma")]
    [InlineData("Igammac")]
    public void Igamma_gradient_wrt_a_with_broadcasting_matches_central_differences(string op)
    {
        // a [3] against x [2, 3]: the a-gradient (IgammaGradA, negated for Igammac) summed over the broadcast rows.
        var x = Tensor.Create(new[] { 0.4, 2.0, 7.5, 1.1, 5.0, 0.9 }, 2, 3);
        CentralDifferences.CheckGraphGradient((b, a) => b.OutputOf(b.AddOperation(op, [a, b.Constant(x, "x")])), [0.8, 2.5, 6.0], [3], tol: 1e-7);
    }
}
