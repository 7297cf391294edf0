namespace TypedGraph.Kernels.Elementwise;

/// <summary>
/// The a-derivatives behind TF's <c>IgammaGradA</c> and <c>RandomGammaGrad</c> kernels: Eigen's
/// <c>igamma_der_a_impl</c> and <c>gamma_sample_der_alpha_impl</c> (SpecialFunctionsImpl.h,
/// <c>igamma_generic_impl&lt;Scalar, DERIVATIVE | SAMPLE_DERIVATIVE&gt;</c>): forward-mode differentiation in a of the
/// igamma code — the power series below and the continued fraction of igammac above, switched on
/// <c>x &gt; 1 ∧ x &gt; a</c> as for the value (see <see cref="GammaFamilyFunctions.Igamma"/>), each carrying the
/// derivative of its terms, stopped when the derivative's increment is below machine epsilon (at most 500 steps, Eigen's
/// double budget), then combined with the derivative of the prefactor xᵃe⁻ˣ/Γ(a) (Γ(a + 1) for the series).
/// <list type="bullet">
/// <item>IgammaGradA(a, x) = ∂P(a, x)/∂a (the continued fraction gives −∂Q/∂a);</item>
/// <item>RandomGammaGrad(α, s) = ds/dα of a Gamma(α, 1) sample by implicit differentiation,
/// −(∂P(α, s)/∂α)/p(s | α), with the density's factors cancelled inside the formula (Figurnov et al. 2018).</item>
/// </list>
/// Domain as Eigen: x = 0 gives 0, x &lt; 0 or a ≤ 0 gives NaN, NaN propagates. Computed in double (float inputs
/// rounded once on output, as the other special functions here).
/// </summary>
internal static class IgammaDerivatives
{
    private const double MachEp = 1.11022302462515654042e-16; // 2^-53, Eigen's cephes_helper<double>::machep()
    private const double Big = 4.503599627370496e15;           // 1/ε
    private const double BigInv = 2.22044604925031308085e-16;  // ε
    private const int Iterations = 500;                         // igamma_num_iterations<double, DERIVATIVE>

    /// <summary>∂P(a, x)/∂a (TF's <c>IgammaGradA</c>).</summary>
    public static double IgammaDerA(double a, double x) => Generic(a, x, sample: false);

    /// <summary>The reparameterization derivative of a Gamma(α, 1) sample (TF's <c>RandomGammaGrad</c>).</summary>
    public static double GammaSampleDerAlpha(double alpha, double sample) => Generic(alpha, sample, sample: true);

    private static double Generic(double a, double x, bool sample)
    {
        if (x == 0) return 0;
        if (x < 0 || a <= 0) return double.NaN;
        if (double.IsNaN(a) || double.IsNaN(x)) return double.NaN;
        // The continued fraction works on Q = 1 − P, so both derivative modes negate its result (Eigen's
        // igamma_generic_impl returns −ret for every mode but VALUE).
        if (x > 1 && x > a) return -ContinuedFraction(a, x, sample);
        return Series(a, x, sample);
    }

    // igamma_series_impl: P = xᵃe⁻ˣ/Γ(a+1) · Σ xᵏ/((a+1)…(a+k)), with the a-derivative of each term carried along.
    private static double Series(double a, double x, bool sample)
    {
        double r = a, c = 1, ans = 1, dcDa = 0, dansDa = 0;
        for (int i = 0; i < Iterations; i++)
        {
            r += 1;
            double term = x / r;
            double dtermDa = -x / (r * r);
            dcDa = term * dcDa + dtermDa * c;
            dansDa += dcDa;
            c *= term;
            ans += c;
            if (Math.Abs(dcDa) <= MachEp * Math.Abs(dansDa)) break;
        }
        double logax = a * Math.Log(x) - x - GammaFamilyFunctions.Lgamma(a + 1);
        double dlogaxDa = Math.Log(x) - GammaFamilyFunctions.Digamma(a + 1);
        if (sample) return -(dansDa + ans * dlogaxDa) * x / a;
        double ax = Math.Exp(logax);
        return ans * ax * dlogaxDa + dansDa * ax;
    }

    // igammac_cf_impl: Q = xᵃe⁻ˣ/Γ(a) · (Cephes' continued fraction), the convergents' numerators and denominators
    // differentiated in a alongside, rescaled together when they grow past 1/ε.
    private static double ContinuedFraction(double a, double x, bool sample)
    {
        if (double.IsPositiveInfinity(x)) return 0;
        double y = 1 - a, z = x + y + 1, c = 0;
        double pkm2 = 1, qkm2 = x, pkm1 = x + 1, qkm1 = z * x;
        double ans = pkm1 / qkm1;
        double dpkm2Da = 0, dqkm2Da = 0, dpkm1Da = 0, dqkm1Da = -x;
        double dansDa = (dpkm1Da - ans * dqkm1Da) / qkm1;
        for (int i = 0; i < Iterations; i++)
        {
            c += 1;
            y += 1;
            z += 2;
            double yc = y * c;
            double pk = pkm1 * z - pkm2 * yc, qk = qkm1 * z - qkm2 * yc;
            double dpkDa = dpkm1Da * z - pkm1 - dpkm2Da * yc + pkm2 * c;
            double dqkDa = dqkm1Da * z - qkm1 - dqkm2Da * yc + qkm2 * c;
            if (qk != 0)
            {
                ans = pk / qk;
                double previous = dansDa;
                dansDa = (dpkDa - ans * dqkDa) / qk;
                if (Math.Abs(dansDa - previous) <= MachEp) break;
            }
            (pkm2, pkm1, qkm2, qkm1) = (pkm1, pk, qkm1, qk);
            (dpkm2Da, dpkm1Da, dqkm2Da, dqkm1Da) = (dpkm1Da, dpkDa, dqkm1Da, dqkDa);
            if (Math.Abs(pk) > Big)
            {
                pkm2 *= BigInv; pkm1 *= BigInv; qkm2 *= BigInv; qkm1 *= BigInv;
                dpkm2Da *= BigInv; dpkm1Da *= BigInv; dqkm2Da *= BigInv; dqkm1Da *= BigInv;
            }
        }
        double logax = a * Math.Log(x) - x - GammaFamilyFunctions.Lgamma(a);
        double dlogaxDa = Math.Log(x) - GammaFamilyFunctions.Digamma(a);
        if (sample) return -(dansDa + ans * dlogaxDa) * x;
        double ax = Math.Exp(logax);
        return ans * ax * dlogaxDa + dansDa * ax;
    }
}
