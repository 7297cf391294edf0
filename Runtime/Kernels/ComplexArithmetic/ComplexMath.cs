using System.Numerics;
using System.Runtime.InteropServices;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.ComplexArithmetic;

/// <summary>
/// Element access for complex64/complex128 tensors as <see cref="Complex"/> (double) values: complex128
/// is viewed in place (same layout: real then imaginary double); complex64 (real then imaginary float) is widened on
/// read and rounded once on write. The complex kernels compute in double and round once for complex64, like the
/// complex linear-algebra kernels (<c>Linalg/ComplexMatrices.cs</c>): sums and products then agree with TF's float
/// arithmetic to within its last bit rather than bit for bit.
/// </summary>
internal static class ComplexData
{
    /// <summary>True for complex64 and complex128.</summary>
    public static bool IsComplex(DataType dtype) => dtype is DataType.DtComplex64 or DataType.DtComplex128;

    /// <summary>The real dtype of a complex dtype's parts (complex64 → float, complex128 → double).</summary>
    public static DataType PartType(DataType complex) => complex == DataType.DtComplex64 ? DataType.DtFloat : DataType.DtDouble;

    /// <summary>The complex dtype whose parts are <paramref name="real"/> (float → complex64, double → complex128).</summary>
    public static DataType ComplexOf(DataType real) => real == DataType.DtFloat ? DataType.DtComplex64 : DataType.DtComplex128;

    /// <summary>The elements of a complex tensor: a view for complex128, a widened copy for complex64.</summary>
    public static ReadOnlySpan<Complex> Read(Tensor t)
    {
        if (t.DType == DataType.DtComplex128) return MemoryMarshal.Cast<byte, Complex>(t.Bytes);
        var f = MemoryMarshal.Cast<byte, float>(t.Bytes);
        var r = new Complex[f.Length / 2];
        for (int i = 0; i < r.Length; i++) r[i] = new Complex(f[2 * i], f[2 * i + 1]);
        return r;
    }

    /// <summary><paramref name="count"/> elements from element <paramref name="offset"/> (a view or a widened copy).</summary>
    public static ReadOnlySpan<Complex> Read(Tensor t, long offset, int count)
    {
        if (t.DType == DataType.DtComplex128) return MemoryMarshal.Cast<byte, Complex>(t.Bytes).Slice((int)offset, count);
        var f = MemoryMarshal.Cast<byte, float>(t.Bytes).Slice((int)(2 * offset), 2 * count);
        var r = new Complex[count];
        for (int i = 0; i < count; i++) r[i] = new Complex(f[2 * i], f[2 * i + 1]);
        return r;
    }

    /// <summary>A span to compute a complex output into: the tensor itself for complex128, a scratch array for
    /// complex64 (then call <see cref="Commit"/>).</summary>
    public static Span<Complex> Target(Tensor t)
        => t.DType == DataType.DtComplex128 ? MemoryMarshal.Cast<byte, Complex>(t.Bytes) : new Complex[t.NumElements];

    /// <summary>Writes <paramref name="values"/> (from <see cref="Target"/>) into <paramref name="t"/>; a no-op for complex128.</summary>
    public static void Commit(Tensor t, ReadOnlySpan<Complex> values)
    {
        if (t.DType == DataType.DtComplex128) return;
        var f = MemoryMarshal.Cast<byte, float>(t.Bytes);
        for (int i = 0; i < values.Length; i++)
        {
            f[2 * i] = (float)values[i].Real;
            f[2 * i + 1] = (float)values[i].Imaginary;
        }
    }

    /// <summary>Writes real values (double) into a float or double tensor.</summary>
    public static void WriteReal(Tensor t, ReadOnlySpan<double> values)
    {
        if (t.DType == DataType.DtDouble) { values.CopyTo(t.AsSpan<double>()); return; }
        var f = t.AsSpan<float>();
        for (int i = 0; i < values.Length; i++) f[i] = (float)values[i];
    }

    /// <summary>The elements of a float or double tensor as doubles.</summary>
    public static ReadOnlySpan<double> ReadReal(Tensor t)
    {
        if (t.DType == DataType.DtDouble) return t.AsSpan<double>();
        var f = t.AsSpan<float>();
        var r = new double[f.Length];
        for (int i = 0; i < f.Length; i++) r[i] = f[i];
        return r;
    }
}

/// <summary>
/// Scalar complex functions with the formulas TF's CPU kernels use (Eigen's, where Eigen has its own; the C++ standard
/// library's otherwise). Each says where TF's result comes from.
/// </summary>
internal static class ComplexMath
{
    private static Complex C(double re, double im) => new(re, im);

    /// <summary>
    /// a / b as Eigen's vectorized complex division (<c>pdiv_complex</c> in Eigen's GenericPacketMath.h, the packet path
    /// TF's Div/RealDiv take on CPU): b is scaled by max(|Re b|, |Im b|) before the conjugate product, so large or tiny
    /// divisors neither overflow nor underflow. A zero divisor gives NaN + NaN·i here (0/0 in the scaling, as the
    /// 2021–2024 Eigen TF pinned); the newest Eigen rewrite of pdiv_complex gives ±∞ for a nonzero a instead — TF's
    /// answer for x/0 depends on its Eigen version, so callers should not rely on it.
    /// </summary>
    public static Complex Divide(Complex a, Complex b)
    {
        double max = Math.Max(Math.Abs(b.Real), Math.Abs(b.Imaginary));
        double cr = b.Real / max, ci = b.Imaginary / max;
        double denom = cr * cr + ci * ci;
        // a · conj(b/max), divided by |b/max|², then by max.
        double re = (a.Real * cr + a.Imaginary * ci) / denom;
        double im = (a.Imaginary * cr - a.Real * ci) / denom;
        return C(re / max, im / max);
    }

    /// <summary>a · b with the textbook formula (Eigen's <c>pmul</c> for complex packets: (ac − bd) + (ad + bc)i; no
    /// C99 Annex G infinity recovery).</summary>
    public static Complex Multiply(Complex a, Complex b)
        => C(a.Real * b.Real - a.Imaginary * b.Imaginary, a.Real * b.Imaginary + a.Imaginary * b.Real);

    /// <summary>|z| = hypot(re, im) (Eigen's <c>scalar_abs_op</c> → std::abs of a complex, which is hypot: no overflow
    /// for large parts).</summary>
    public static double Abs(Complex z) => double.Hypot(z.Real, z.Imaginary);

    /// <summary>The principal square root (Eigen's <c>complex_sqrt</c>, used by <c>scalar_sqrt_op</c> for complex; see
    /// <see cref="SqrtOrRsqrt"/>).</summary>
    public static Complex Sqrt(Complex z) => SqrtOrRsqrt(z, reciprocal: false);

    /// <summary>1/sqrt(z) (Eigen's <c>complex_rsqrt</c>, used by <c>scalar_rsqrt_op</c> for complex; see
    /// <see cref="SqrtOrRsqrt"/>).</summary>
    public static Complex Rsqrt(Complex z) => SqrtOrRsqrt(z, reciprocal: true);

    /// <summary>
    /// Eigen's <c>complex_sqrt_impl</c> (Eigen/src/Core/MathFunctionsImpl.h): with w = sqrt((|x| + |z|)/2), the larger
    /// part ("major") is w (rsqrt: w/|z|) and the smaller ("minor") |y|/2w (rsqrt: |y|/(|x| + |z|)·major); x ≥ 0 gives
    /// (major, ±minor), x &lt; 0 gives (minor, ±major), the sign that of y (rsqrt: of −y), and x = 0 makes minor = major.
    /// Infinite, NaN and zero inputs follow its <c>complex_sqrt_extreme</c>: sqrt(x ± ∞i) = ∞ ± ∞i, sqrt(+∞ + yi) =
    /// ∞ ± 0i, sqrt(−∞ + yi) = 0 ± ∞i, sqrt(0 ± 0i) = 0 ± 0i; rsqrt of anything infinite is 0 ∓ 0i, rsqrt(0) = ∞ + NaN·i;
    /// a NaN part gives NaN + NaN·i (except sqrt's infinite-part cases). Computed in double (complex64 rounds once).
    /// </summary>
    public static Complex SqrtOrRsqrt(Complex z, bool reciprocal)
    {
        double x = z.Real, y = z.Imaginary;
        double ax = Math.Abs(x), ay = Math.Abs(y);
        double p = Math.Max(ax, ay);
        if (double.IsInfinity(x) || double.IsInfinity(y))
        {
            if (reciprocal) return C(0, double.CopySign(0, -y));
            if (double.IsInfinity(y)) return C(double.PositiveInfinity, y);
            double other = double.IsNaN(y) ? y : 0;
            return x > 0 ? C(double.PositiveInfinity, double.CopySign(other, y)) : C(Math.Abs(other), double.CopySign(double.PositiveInfinity, y));
        }
        if (double.IsNaN(x) || double.IsNaN(y)) return C(double.NaN, double.NaN);
        if (x == 0 && y == 0) return reciprocal ? C(double.PositiveInfinity, double.NaN) : C(0, y);
        // Evaluate on z/p and restore sqrt(p) afterwards, so |z| neither overflows nor underflows.
        double h = Math.Sqrt(1 + (Math.Min(ax, ay) / p) * (Math.Min(ax, ay) / p));
        double sum = ax / p + h;
        double w = Math.Sqrt(0.5 * sum);
        double scale = Math.Sqrt(p);
        double major, minor;
        if (reciprocal)
        {
            major = w / h / scale;
            minor = ay / p / sum * major;
        }
        else
        {
            major = w * scale;
            minor = ay / (2 * major);
        }
        if (x == 0) minor = major;
        double sign = reciprocal ? -y : y;
        return x < 0 ? C(minor, double.CopySign(major, sign)) : C(major, double.CopySign(minor, sign));
    }

    /// <summary>log z = log|z| + i·arg z (Eigen's <c>complex_log</c>: log of hypot and atan2; log 0 = −∞ + 0i).</summary>
    public static Complex Log(Complex z)
        => C(Math.Log(double.Hypot(z.Real, z.Imaginary)), Math.Atan2(z.Imaginary, z.Real));

    /// <summary>e^z = e^re (cos im + i sin im) (std::exp of a complex).</summary>
    public static Complex Exp(Complex z)
    {
        double e = Math.Exp(z.Real);
        if (z.Imaginary == 0) return C(e, z.Imaginary); // keeps exp(x + 0i) real exactly
        return C(e * Math.Cos(z.Imaginary), e * Math.Sin(z.Imaginary));
    }

    /// <summary>
    /// log(1 + z) accurate for small z: real part ½·log1p(2x + x² + y²), imaginary part atan2(y, 1 + x) (the form of
    /// Eigen's <c>log1p</c> for complex; unverified against Eigen's source here).
    /// </summary>
    public static Complex Log1p(Complex z)
    {
        double x = z.Real, y = z.Imaginary;
        double t = x * (2 + x) + y * y;
        double re = Math.Abs(t) < 0.5 ? 0.5 * AccurateLog1p(t) : Math.Log(double.Hypot(1 + x, y));
        return C(re, Math.Atan2(y, 1 + x));
    }

    /// <summary>
    /// e^z − 1 accurate for small z: real part expm1(x)·cos y − 2 sin²(y/2), imaginary part e^x·sin y (the form of
    /// Eigen's <c>expm1</c> for complex; unverified against Eigen's source here).
    /// </summary>
    public static Complex Expm1(Complex z)
    {
        double x = z.Real, y = z.Imaginary;
        double s = Math.Sin(0.5 * y);
        double re = AccurateExpm1(x) * Math.Cos(y) - 2 * s * s;
        return C(re, Math.Exp(x) * Math.Sin(y));
    }

    // Goldberg's log1p and Kahan's expm1 (as UnaryKernel's real ones; kept here so this family depends on no other).
    internal static double AccurateLog1p(double x)
    {
        double u = 1 + x;
        if (u == 1) return x;
        if (double.IsPositiveInfinity(u)) return u;
        return Math.Log(u) * (x / (u - 1));
    }

    internal static double AccurateExpm1(double x)
    {
        double u = Math.Exp(x);
        if (u == 1) return x;
        if (double.IsPositiveInfinity(u)) return u;
        double um1 = u - 1;
        if (um1 == -1) return um1;
        return um1 * (x / Math.Log(u));
    }

    /// <summary>z / |z|, 0 for 0 (Eigen's <c>scalar_sign_op</c> for complex).</summary>
    public static Complex Sign(Complex z)
    {
        if (z.Real == 0 && z.Imaginary == 0) return Complex.Zero;
        double a = double.Hypot(z.Real, z.Imaginary);
        return C(z.Real / a, z.Imaginary / a);
    }

    /// <summary>1 / (1 + e^−z) (Eigen's generic <c>scalar_logistic_op</c>, which is this formula for complex).</summary>
    public static Complex Sigmoid(Complex z)
        => Divide(Complex.One, Complex.One + Exp(-z));

    /// <summary>x^y = exp(y · log x), 0 for x = 0 (std::pow of two complex values, libstdc++'s definition;
    /// the x = 0 case is unverified against TF's build).</summary>
    public static Complex Pow(Complex x, Complex y)
    {
        if (x == Complex.Zero) return Complex.Zero;
        return Exp(Multiply(y, Log(x)));
    }
}
