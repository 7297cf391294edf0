namespace TypedGraph.Kernels.Elementwise;

/// <summary>
/// The special functions behind TF's <c>Lgamma</c>, <c>Digamma</c>, <c>Igamma</c>, <c>Igammac</c>, <c>Betainc</c>,
/// <c>Polygamma</c> and <c>Zeta</c> kernels, in double. TF evaluates them with Eigen's
/// <c>SpecialFunctionsImpl.h</c> (Cephes-derived): digamma (reflection through the nearest integer, recurrence to ≥ 10,
/// the Bernoulli asymptotic series; NaN at non-positive integers), zeta (Euler–Maclaurin with Cephes' A[] table and
/// Eigen's domain rules), polygamma (<c>(−1)^(n+1) n! ζ(n+1, x)</c>, NaN unless n is a non-negative integer),
/// igamma/igammac (Cephes series below / continued fraction above, switched on <c>x &gt; 1 ∧ x &gt; a</c>) and
/// betainc (Cephes <c>incbet</c>: power series, the two continued fractions and the symmetry swap). Eigen's lgamma is
/// the C library's; here it is the Stirling series after shifting the argument to ≥ 15, Taylor series in ζ(k) around 1
/// and 2 (where lgamma has its zeros, to keep the relative error small) and the reflection formula below ½.
/// float inputs are evaluated here in double and rounded once, at least as accurate as Eigen's float paths.
/// </summary>
internal static class GammaFamilyFunctions
{
    private const double MachEp = 1.11022302462515654042e-16; // 2^-53, Cephes MACHEP
    private const double MaxLog = 7.09782712893383996843e2;
    private const double MinLog = -7.451332191019412076235e2;
    private const double MaxGam = 171.624376956302725;
    private const double Big = 4.503599627370496e15;
    private const double BigInv = 2.22044604925031308085e-16;
    private const double EulerGamma = 0.57721566490153286060651209008240243;
    private static readonly double HalfLog2Pi = 0.5 * Math.Log(2 * Math.PI);

    // Cephes zeta.c's A[]: (2k)!/B_2k, the Euler–Maclaurin correction denominators (Eigen's zeta_impl). Declared before
    // s_zetaInts, whose initializer uses it.
    private static readonly double[] s_zetaA =
    [
        12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9, 7.47242496e10, -2.950130727918164224e12,
        1.1646782814350067249e14, -4.5979787224074726105e15, 1.8152105401943546773e17, -7.1661652561756670113e18,
    ];

    // ζ(k) for k = 2 … 40, the Taylor coefficients of lgamma(1 + ε) = −γε + Σ (−ε)^k ζ(k)/k.
    private static readonly double[] s_zetaInts = Enumerable.Range(0, 41).Select(k => k < 2 ? 0 : Zeta(k, 1)).ToArray();

    /// <summary>log |Γ(x)|; +∞ at the poles (non-positive integers).</summary>
    public static double Lgamma(double x)
    {
        if (double.IsNaN(x)) return x;
        if (double.IsInfinity(x)) return double.PositiveInfinity;
        if (x <= 0 && x == Math.Floor(x)) return double.PositiveInfinity;
        if (x < 0.5)
        {
            // Reflection: Γ(x)Γ(1 − x) = π / sin(πx); sin(πx) from the fractional part keeps it exact near integers.
            return Math.Log(Math.PI / AbsSinPi(x)) - Lgamma(1 - x);
        }
        if (Math.Abs(x - 1) <= 0.2) return LgammaNearOne(x - 1);
        if (Math.Abs(x - 2) <= 0.2) return LgammaNearOne(x - 2) + double.LogP1(x - 2);
        double shift = 0;
        double z = x;
        // lgamma(x) = lgamma(x + n) − log(x (x+1) … (x+n−1)), the product accumulated in pieces to stay in range.
        double product = 1;
        while (z < 15)
        {
            product *= z;
            if (product > 1e280) { shift += Math.Log(product); product = 1; }
            z += 1;
        }
        shift += Math.Log(product);
        return Stirling(z) - shift;
    }

    private static double Stirling(double z)
    {
        double inv = 1 / z, inv2 = inv * inv;
        // Σ B_2k / (2k(2k−1) z^(2k−1)) for k = 1 … 7.
        double series = inv * (1.0 / 12 + inv2 * (-1.0 / 360 + inv2 * (1.0 / 1260 + inv2 * (-1.0 / 1680 + inv2 * (1.0 / 1188
            + inv2 * (-691.0 / 360360 + inv2 * (1.0 / 156)))))));
        return (z - 0.5) * Math.Log(z) - z + HalfLog2Pi + series;
    }

    private static double LgammaNearOne(double e)
    {
        double sum = -EulerGamma * e, power = -e; // (−ε)^k
        for (int k = 2; k < s_zetaInts.Length; k++)
        {
            power *= -e;
            double term = s_zetaInts[k] * power / k;
            sum += term;
            if (Math.Abs(term) < 1e-18 * Math.Abs(sum)) break;
        }
        return sum;
    }

    // |sin(πx)| from the distance to the nearest integer, exact near the integers where sin(π·x) would lose digits.
    private static double AbsSinPi(double x)
    {
        double frac = x - Math.Floor(x);
        return Math.Sin(Math.PI * Math.Min(frac, 1 - frac));
    }

    /// <summary>ψ(x) as Eigen's <c>digamma_impl</c>.</summary>
    public static double Digamma(double x)
    {
        if (double.IsNaN(x)) return x;
        bool negative = false;
        double nz = 0;
        if (x <= 0)
        {
            negative = true;
            double q = x, p = Math.Floor(q);
            if (p == q) return double.NaN;
            nz = q - p;
            if (nz != 0.5)
            {
                if (nz > 0.5) { p += 1; nz = q - p; }
                nz = Math.PI / Math.Tan(Math.PI * nz);
            }
            else nz = 0;
            x = 1 - x;
        }
        double s = x, w = 0;
        while (s < 10) { w += 1 / s; s += 1; }
        double y = 0;
        if (s < 1e17)
        {
            double z = 1 / (s * s);
            // Eigen's double A[]: Bernoulli terms of the asymptotic series, highest power first.
            y = z * (((((((8.33333333333333333333E-2 * z - 2.10927960927960927961E-2) * z + 7.57575757575757575758E-3) * z
                - 4.16666666666666666667E-3) * z + 3.96825396825396825397E-3) * z - 8.33333333333333333333E-3) * z) + 8.33333333333333333333E-2);
        }
        y = Math.Log(s) - 0.5 / s - y - w;
        return negative ? y - nz : y;
    }

    /// <summary>Hurwitz ζ(x, q) = Σ_k (k + q)^−x as Eigen's <c>zeta_impl</c> (double series).</summary>
    public static double Zeta(double x, double q)
    {
        if (x == 1) return double.PositiveInfinity;
        if (x < 1) return double.NaN;
        if (q <= 0)
        {
            if (q == Math.Floor(q)) return Math.Round(0.5 * x, MidpointRounding.ToEven) == 0.5 * x ? double.PositiveInfinity : double.NaN;
            if (x != Math.Floor(x)) return double.NaN;
        }
        double s = Math.Pow(q, -x), a = q, b = 0;
        int i = 0;
        while (i < 9 || a <= 9.0)
        {
            i++;
            a += 1;
            b = Math.Pow(a, -x);
            s += b;
            if (Math.Abs(b / s) < MachEp) return s;
        }
        if (b == 0) return s;
        double w = a;
        s += b * w / (x - 1);
        s -= 0.5 * b;
        a = 1;
        double k = 0;
        for (i = 0; i < 12; i++)
        {
            a *= x + k;
            b /= w;
            double t = a * b / s_zetaA[i];
            s += t;
            if (Math.Abs(t / s) < MachEp) break;
            k += 1;
            a *= x + k;
            b /= w;
            k += 1;
        }
        return s;
    }

    /// <summary>ψ⁽ⁿ⁾(x) as Eigen's <c>polygamma_impl</c>.</summary>
    public static double Polygamma(double n, double x)
    {
        if (Math.Floor(n) != n || n < 0) return double.NaN;
        if (n == 0) return Digamma(x);
        double factorial = Math.Exp(Lgamma(n + 1));
        return Math.Pow(-1, n + 1) * factorial * Zeta(n + 1, x);
    }

    /// <summary>The regularized lower incomplete gamma P(a, x) as Eigen's <c>igamma_generic_impl</c>.</summary>
    public static double Igamma(double a, double x)
    {
        if (x == 0) return 0;
        if (x < 0 || a <= 0) return double.NaN;
        if (double.IsNaN(a) || double.IsNaN(x)) return double.NaN;
        if (x > 1 && x > a) return 1 - IgammacContinuedFraction(a, x);
        return IgammaSeries(a, x);
    }

    /// <summary>The regularized upper incomplete gamma Q(a, x) as Eigen's <c>igammac_impl</c>.</summary>
    public static double Igammac(double a, double x)
    {
        if (x < 0 || a <= 0) return double.NaN;
        if (double.IsNaN(a) || double.IsNaN(x)) return double.NaN;
        if (x < 1 || x < a) return 1 - IgammaSeries(a, x);
        return IgammacContinuedFraction(a, x);
    }

    // x^a e^−x / Γ(a), 0 on underflow (Cephes' MAXLOG test).
    private static double IgamFactor(double a, double x)
    {
        double ax = a * Math.Log(x) - x - Lgamma(a);
        return ax < -MaxLog ? 0 : Math.Exp(ax);
    }

    private static double IgammaSeries(double a, double x)
    {
        double ax = IgamFactor(a, x);
        if (ax == 0) return 0;
        double r = a, c = 1, ans = 1;
        for (int i = 0; i < 2000; i++)
        {
            r += 1;
            c *= x / r;
            ans += c;
            if (c <= MachEp * ans) break;
        }
        return ans * ax / a;
    }

    private static double IgammacContinuedFraction(double a, double x)
    {
        if (double.IsPositiveInfinity(x)) return 0;
        double ax = IgamFactor(a, x);
        if (ax == 0) return 0;
        double y = 1 - a, z = x + y + 1, c = 0;
        double pkm2 = 1, qkm2 = x, pkm1 = x + 1, qkm1 = z * x;
        double ans = pkm1 / qkm1;
        for (int i = 0; i < 2000; i++)
        {
            c += 1;
            y += 1;
            z += 2;
            double yc = y * c;
            double pk = pkm1 * z - pkm2 * yc, qk = qkm1 * z - qkm2 * yc;
            double t = 1;
            if (qk != 0)
            {
                double r = pk / qk;
                t = Math.Abs((ans - r) / r);
                ans = r;
            }
            pkm2 = pkm1; pkm1 = pk; qkm2 = qkm1; qkm1 = qk;
            if (Math.Abs(pk) > Big) { pkm2 *= BigInv; pkm1 *= BigInv; qkm2 *= BigInv; qkm1 *= BigInv; }
            if (t <= MachEp) break;
        }
        return ans * ax;
    }

    /// <summary>The regularized incomplete beta I_x(a, b) as Cephes' <c>incbet</c> (Eigen's double betainc).</summary>
    public static double Betainc(double a, double b, double x)
    {
        if (double.IsNaN(a) || double.IsNaN(b) || double.IsNaN(x)) return double.NaN;
        if (a <= 0 || b <= 0) return double.NaN;
        if (x <= 0 || x >= 1)
        {
            if (x == 0) return 0;
            if (x == 1) return 1;
            return double.NaN;
        }
        if (b * x <= 1 && x <= 0.95) return PowerSeries(a, b, x);
        double w = 1 - x, xc;
        bool flag = false;
        if (x > a / (a + b))
        {
            flag = true;
            (a, b) = (b, a);
            xc = x;
            x = w;
        }
        else xc = w;
        if (flag && b * x <= 1 && x <= 0.95)
        {
            double ps = PowerSeries(a, b, x);
            return ps <= MachEp ? 1 - MachEp : 1 - ps;
        }
        double yy = x * (a + b - 2) - (a - 1);
        w = yy < 0 ? ContinuedFraction1(a, b, x) : ContinuedFraction2(a, b, x) / xc;
        double y = a * Math.Log(x), t = b * Math.Log(xc);
        if (a + b < MaxGam && Math.Abs(y) < MaxLog && Math.Abs(t) < MaxLog)
        {
            t = Math.Pow(xc, b) * Math.Pow(x, a) / a * w * Math.Exp(Lgamma(a + b) - Lgamma(a) - Lgamma(b));
        }
        else
        {
            y += t - LogBeta(a, b);
            y += Math.Log(w / a);
            t = y < MinLog ? 0 : Math.Exp(y);
        }
        if (flag) t = t <= MachEp ? 1 - MachEp : 1 - t;
        return t;
    }

    private static double LogBeta(double a, double b) => Lgamma(a) + Lgamma(b) - Lgamma(a + b);

    private static double ContinuedFraction1(double a, double b, double x)
    {
        double k1 = a, k2 = a + b, k3 = a, k4 = a + 1, k5 = 1, k6 = b - 1, k7 = k4, k8 = a + 2;
        double pkm2 = 0, qkm2 = 1, pkm1 = 1, qkm1 = 1, ans = 1, r = 1;
        const double thresh = 3 * MachEp;
        for (int n = 0; n < 300; n++)
        {
            double xk = -(x * k1 * k2) / (k3 * k4);
            double pk = pkm1 + pkm2 * xk, qk = qkm1 + qkm2 * xk;
            pkm2 = pkm1; pkm1 = pk; qkm2 = qkm1; qkm1 = qk;
            xk = x * k5 * k6 / (k7 * k8);
            pk = pkm1 + pkm2 * xk;
            qk = qkm1 + qkm2 * xk;
            pkm2 = pkm1; pkm1 = pk; qkm2 = qkm1; qkm1 = qk;
            if (qk != 0) r = pk / qk;
            double t;
            if (r != 0) { t = Math.Abs((ans - r) / r); ans = r; }
            else t = 1;
            if (t < thresh) break;
            k1 += 1; k2 += 1; k3 += 2; k4 += 2; k5 += 1; k6 -= 1; k7 += 2; k8 += 2;
            if (Math.Abs(qk) + Math.Abs(pk) > Big) { pkm2 *= BigInv; pkm1 *= BigInv; qkm2 *= BigInv; qkm1 *= BigInv; }
            if (Math.Abs(qk) < BigInv || Math.Abs(pk) < BigInv) { pkm2 *= Big; pkm1 *= Big; qkm2 *= Big; qkm1 *= Big; }
        }
        return ans;
    }

    private static double ContinuedFraction2(double a, double b, double x)
    {
        double k1 = a, k2 = b - 1, k3 = a, k4 = a + 1, k5 = 1, k6 = a + b, k7 = a + 1, k8 = a + 2;
        double pkm2 = 0, qkm2 = 1, pkm1 = 1, qkm1 = 1, z = x / (1 - x), ans = 1, r = 1;
        const double thresh = 3 * MachEp;
        for (int n = 0; n < 300; n++)
        {
            double xk = -(z * k1 * k2) / (k3 * k4);
            double pk = pkm1 + pkm2 * xk, qk = qkm1 + qkm2 * xk;
            pkm2 = pkm1; pkm1 = pk; qkm2 = qkm1; qkm1 = qk;
            xk = z * k5 * k6 / (k7 * k8);
            pk = pkm1 + pkm2 * xk;
            qk = qkm1 + qkm2 * xk;
            pkm2 = pkm1; pkm1 = pk; qkm2 = qkm1; qkm1 = qk;
            if (qk != 0) r = pk / qk;
            double t;
            if (r != 0) { t = Math.Abs((ans - r) / r); ans = r; }
            else t = 1;
            if (t < thresh) break;
            k1 += 1; k2 -= 1; k3 += 2; k4 += 2; k5 += 1; k6 += 1; k7 += 2; k8 += 2;
            if (Math.Abs(qk) + Math.Abs(pk) > Big) { pkm2 *= BigInv; pkm1 *= BigInv; qkm2 *= BigInv; qkm1 *= BigInv; }
            if (Math.Abs(qk) < BigInv || Math.Abs(pk) < BigInv) { pkm2 *= Big; pkm1 *= Big; qkm2 *= Big; qkm1 *= Big; }
        }
        return ans;
    }

    private static double PowerSeries(double a, double b, double x)
    {
        double ai = 1 / a, u = (1 - b) * x, v = u / (a + 1), t1 = v, t = u, n = 2, s = 0, z = MachEp * ai;
        while (Math.Abs(v) > z)
        {
            u = (n - b) * x / n;
            t *= u;
            v = t / (a + n);
            s += v;
            n += 1;
        }
        s += t1;
        s += ai;
        u = a * Math.Log(x);
        if (a + b < MaxGam && Math.Abs(u) < MaxLog) return s * Math.Exp(Lgamma(a + b) - Lgamma(a) - Lgamma(b)) * Math.Pow(x, a);
        t = -LogBeta(a, b) + u + Math.Log(s);
        return t < MinLog ? 0 : Math.Exp(t);
    }
}
