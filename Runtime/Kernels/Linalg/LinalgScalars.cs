using System.Numerics;
using System.Runtime.InteropServices;
using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Linalg;

/// <summary>A complex number of two single-precision parts, the element of a complex64 tensor (Eigen's
/// <c>std::complex&lt;float&gt;</c>); arithmetic on it goes through <see cref="Complex64Ops"/>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct ComplexF(float Re, float Im);

/// <summary>
/// The scalar arithmetic a linear-algebra algorithm needs, as static members of an ops struct, so one generic
/// implementation runs in the precision TF's Eigen kernel uses for each dtype — float, double, complex&lt;float&gt;,
/// complex&lt;double&gt; — with the JIT specializing each instantiation (no interface dispatch on the hot path).
/// </summary>
internal interface IScalarOps<T> where T : struct
{
    /// <summary>Whether the real type is float (Eigen's <c>NumTraits&lt;Scalar&gt;::Real</c> is float).</summary>
    static abstract bool Single { get; }
    /// <summary>0.</summary>
    static abstract T Zero { get; }
    /// <summary>1.</summary>
    static abstract T One { get; }
    /// <summary>a + b.</summary>
    static abstract T Add(T a, T b);
    /// <summary>a − b.</summary>
    static abstract T Sub(T a, T b);
    /// <summary>a · b.</summary>
    static abstract T Mul(T a, T b);
    /// <summary>a / b.</summary>
    static abstract T Div(T a, T b);
    /// <summary>a times the real <paramref name="s"/> (first rounded to the real type, as a RealScalar coefficient is).</summary>
    static abstract T Scale(T a, double s);
    /// <summary>|a| computed in the real type (returned widened).</summary>
    static abstract double Abs(T a);
    /// <summary>x rounded to the real type (for norms accumulated in it).</summary>
    static abstract double RoundReal(double x);
    /// <summary>The complex conjugate (the value itself for a real type).</summary>
    static abstract T Conj(T a);
    /// <summary>The real part.</summary>
    static abstract double Re(T a);
    /// <summary>|a|² = re² + im², each operation in the real type (Eigen's <c>abs2</c>).</summary>
    static abstract double Abs2(T a);
    /// <summary>The real x (rounded to the real type) as a T.</summary>
    static abstract T FromReal(double x);
}

/// <summary>float arithmetic.</summary>
internal readonly struct FloatOps : IScalarOps<float>
{
    public static bool Single => true;
    public static float Zero => 0f;
    public static float One => 1f;
    public static float Add(float a, float b) => a + b;
    public static float Sub(float a, float b) => a - b;
    public static float Mul(float a, float b) => a * b;
    public static float Div(float a, float b) => a / b;
    public static float Scale(float a, double s) => a * (float)s;
    public static double Abs(float a) => Math.Abs(a);
    public static double RoundReal(double x) => (float)x;
    public static float Conj(float a) => a;
    public static double Re(float a) => a;
    public static double Abs2(float a) => a * a;
    public static float FromReal(double x) => (float)x;
}

/// <summary>double arithmetic.</summary>
internal readonly struct DoubleOps : IScalarOps<double>
{
    public static bool Single => false;
    public static double Zero => 0d;
    public static double One => 1d;
    public static double Add(double a, double b) => a + b;
    public static double Sub(double a, double b) => a - b;
    public static double Mul(double a, double b) => a * b;
    public static double Div(double a, double b) => a / b;
    public static double Scale(double a, double s) => a * s;
    public static double Abs(double a) => Math.Abs(a);
    public static double RoundReal(double x) => x;
    public static double Conj(double a) => a;
    public static double Re(double a) => a;
    public static double Abs2(double a) => a * a;
    public static double FromReal(double x) => x;
}

/// <summary>complex&lt;float&gt; arithmetic: each real operation rounded to float, as single-precision complex code
/// computes it (products by the textbook formula, no fused multiply-add); quotients and moduli are formed in double and
/// rounded once (libm's <c>hypotf</c> and complex division are accurate to about that).</summary>
internal readonly struct Complex64Ops : IScalarOps<ComplexF>
{
    public static bool Single => true;
    public static ComplexF Zero => default;
    public static ComplexF One => new(1f, 0f);
    public static ComplexF Add(ComplexF a, ComplexF b) => new(a.Re + b.Re, a.Im + b.Im);
    public static ComplexF Sub(ComplexF a, ComplexF b) => new(a.Re - b.Re, a.Im - b.Im);
    public static ComplexF Mul(ComplexF a, ComplexF b)
    {
        float rr = a.Re * b.Re, ii = a.Im * b.Im, ri = a.Re * b.Im, ir = a.Im * b.Re;
        return new(rr - ii, ri + ir);
    }
    public static ComplexF Div(ComplexF a, ComplexF b)
    {
        var q = new Complex(a.Re, a.Im) / new Complex(b.Re, b.Im);
        return new((float)q.Real, (float)q.Imaginary);
    }
    public static ComplexF Scale(ComplexF a, double s) { float f = (float)s; return new(a.Re * f, a.Im * f); }
    public static double Abs(ComplexF a) => (float)Complex.Abs(new Complex(a.Re, a.Im));
    public static double RoundReal(double x) => (float)x;
    public static ComplexF Conj(ComplexF a) => new(a.Re, -a.Im);
    public static double Re(ComplexF a) => a.Re;
    public static double Abs2(ComplexF a) { float rr = a.Re * a.Re, ii = a.Im * a.Im; return rr + ii; }
    public static ComplexF FromReal(double x) => new((float)x, 0f);
}

/// <summary>complex&lt;double&gt; arithmetic (<see cref="Complex"/>).</summary>
internal readonly struct Complex128Ops : IScalarOps<Complex>
{
    public static bool Single => false;
    public static Complex Zero => Complex.Zero;
    public static Complex One => Complex.One;
    public static Complex Add(Complex a, Complex b) => a + b;
    public static Complex Sub(Complex a, Complex b) => a - b;
    public static Complex Mul(Complex a, Complex b) => a * b;
    public static Complex Div(Complex a, Complex b) => a / b;
    public static Complex Scale(Complex a, double s) => new(a.Real * s, a.Imaginary * s);
    public static double Abs(Complex a) => Complex.Abs(a);
    public static double RoundReal(double x) => x;
    public static Complex Conj(Complex a) => Complex.Conjugate(a);
    public static double Re(Complex a) => a.Real;
    public static double Abs2(Complex a) => a.Real * a.Real + a.Imaginary * a.Imaginary;
    public static Complex FromReal(double x) => new(x, 0);
}

/// <summary>Row-major dense matrix operations over any <see cref="IScalarOps{T}"/> scalar.</summary>
internal static class DenseMatrix<T, TOps> where T : struct where TOps : struct, IScalarOps<T>
{
    /// <summary>C = A·B for row-major A (m×k) and B (k×n); every product is formed (a zero times Inf/NaN gives NaN, as
    /// Eigen's GEMM), each dot product accumulated in T in index order.</summary>
    public static T[] Mul(T[] a, T[] b, int m, int k, int n)
    {
        var c = new T[m * n];
        for (int i = 0; i < m; i++)
            for (int p = 0; p < k; p++)
            {
                T aip = a[i * k + p];
                for (int j = 0; j < n; j++) c[i * n + j] = TOps.Add(c[i * n + j], TOps.Mul(aip, b[p * n + j]));
            }
        return c;
    }

    /// <summary>The n×n identity.</summary>
    public static T[] Identity(int n)
    {
        var r = new T[n * n];
        for (int i = 0; i < n; i++) r[i * n + i] = TOps.One;
        return r;
    }

    /// <summary>Eigen's <c>cwiseAbs().colwise().sum().maxCoeff()</c>: column sums of |aᵢⱼ| accumulated in the real type,
    /// the largest (a NaN sum wins, so a NaN anywhere gives a NaN norm).</summary>
    public static double Norm1(T[] a, int n)
    {
        double best = 0;
        for (int j = 0; j < n; j++)
        {
            double s = 0;
            for (int i = 0; i < n; i++) s = TOps.RoundReal(s + TOps.Abs(a[i * n + j]));
            if (s > best || double.IsNaN(s)) best = s;
        }
        return best;
    }

    /// <summary>Solves A·X = B (A n×n, B n×k, both overwritten; X returned in B) by Eigen's <c>PartialPivLU</c>: the
    /// pivot the first largest |aᵢₖ|, a non-zero pivot divides the column below it, the trailing block always gets the
    /// full rank-1 update; then the unit-lower and upper triangular solves, the upper one multiplying by the reciprocal
    /// of each diagonal element as Eigen's <c>triangular_solve_matrix</c>. A zero pivot is not checked (Inf/NaN follow,
    /// as Eigen's <c>solve</c> does without a check).</summary>
    public static void Solve(T[] a, T[] b, int n, int k)
    {
        for (int c = 0; c < n; c++)
        {
            int p = c;
            double best = TOps.Abs(a[c * n + c]);
            for (int i = c + 1; i < n; i++)
            {
                double v = TOps.Abs(a[i * n + c]);
                if (v > best) { best = v; p = i; }
            }
            if (best != 0)
            {
                if (p != c)
                {
                    for (int j = 0; j < n; j++) (a[c * n + j], a[p * n + j]) = (a[p * n + j], a[c * n + j]);
                    for (int j = 0; j < k; j++) (b[c * k + j], b[p * k + j]) = (b[p * k + j], b[c * k + j]);
                }
                T pivot = a[c * n + c];
                for (int i = c + 1; i < n; i++) a[i * n + c] = TOps.Div(a[i * n + c], pivot);
            }
            for (int i = c + 1; i < n; i++)
            {
                T f = a[i * n + c];
                for (int j = c + 1; j < n; j++) a[i * n + j] = TOps.Sub(a[i * n + j], TOps.Mul(f, a[c * n + j]));
            }
        }
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++)
            {
                T l = a[i * n + j];
                for (int c = 0; c < k; c++) b[i * k + c] = TOps.Sub(b[i * k + c], TOps.Mul(l, b[j * k + c]));
            }
        for (int i = n - 1; i >= 0; i--)
        {
            for (int j = i + 1; j < n; j++)
            {
                T u = a[i * n + j];
                for (int c = 0; c < k; c++) b[i * k + c] = TOps.Sub(b[i * k + c], TOps.Mul(u, b[j * k + c]));
            }
            T inverse = TOps.Div(TOps.One, a[i * n + i]);
            for (int c = 0; c < k; c++) b[i * k + c] = TOps.Mul(b[i * k + c], inverse);
        }
    }
}

/// <summary>Runs a per-matrix function over a batch of square matrices in the precision of the tensor's dtype.</summary>
internal static class BatchedSquare
{
    /// <summary>The per-matrix function, generic over the scalar.</summary>
    public interface IFunction
    {
        /// <summary>f(A) for one n×n matrix.</summary>
        T[] Apply<T, TOps>(T[] a, int n) where T : struct where TOps : struct, IScalarOps<T>;
    }

    /// <summary>f of each n×n matrix of <paramref name="input"/> (float, double, complex64 or complex128) into
    /// <paramref name="output"/> (same dtype and shape).</summary>
    public static void Run<TF>(OpKernelContext ctx, Tensor input, Tensor output, int batch, int n, TF f) where TF : IFunction
    {
        switch (input.DType)
        {
            case DataType.DtFloat: Each<float, FloatOps, TF>(input.AsSpan<float>(), output.AsSpan<float>(), batch, n, f); break;
            case DataType.DtDouble: Each<double, DoubleOps, TF>(input.AsSpan<double>(), output.AsSpan<double>(), batch, n, f); break;
            case DataType.DtComplex64:
                Each<ComplexF, Complex64Ops, TF>(MemoryMarshal.Cast<float, ComplexF>(input.AsSpan<float>()), MemoryMarshal.Cast<float, ComplexF>(output.AsSpan<float>()), batch, n, f);
                break;
            case DataType.DtComplex128: Each<Complex, Complex128Ops, TF>(input.AsSpan<Complex>(), output.AsSpan<Complex>(), batch, n, f); break;
            default: throw KernelAttrs.BadType(ctx.Node, input.DType);
        }
    }

    private static void Each<T, TOps, TF>(Span<T> input, Span<T> output, int batch, int n, TF f)
        where T : struct where TOps : struct, IScalarOps<T> where TF : IFunction
    {
        int size = n * n;
        for (int b = 0; b < batch; b++)
            f.Apply<T, TOps>(input.Slice(b * size, size).ToArray(), n).CopyTo(output.Slice(b * size, size));
    }
}
