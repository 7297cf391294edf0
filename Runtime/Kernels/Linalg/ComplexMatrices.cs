using System.Numerics;
using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Linalg;

/// <summary>
/// Dense complex linear algebra shared by the matrix-function, least-squares and general-eigen kernels: every matrix is
/// a row-major <see cref="Complex"/> array. Real inputs go through the same code with zero imaginary parts; sums,
/// products and quotients of complex numbers whose imaginary parts are zero give exactly the real result (and a zero
/// imaginary part), so a real matrix is computed exactly as a double implementation would compute it.
/// </summary>
internal static class ComplexMatrices
{
    // std::numeric_limits<double>::min(), the tolerance of Eigen's makeHouseholder.
    private const double MinNormal = 2.2250738585072014e-308;

    /// <summary>float/double/complex64/complex128 elements as complex doubles.</summary>
    public static Complex[] Read(OpKernelContext ctx, Tensor t)
    {
        switch (t.DType)
        {
            case DataType.DtComplex128: return t.ToArray<Complex>();
            case DataType.DtComplex64:
            {
                var f = t.AsSpan<float>();
                var r = new Complex[f.Length / 2];
                for (int i = 0; i < r.Length; i++) r[i] = new Complex(f[2 * i], f[2 * i + 1]);
                return r;
            }
            case DataType.DtDouble: return Array.ConvertAll(t.ToArray<double>(), v => new Complex(v, 0));
            case DataType.DtFloat: return Array.ConvertAll(t.ToArray<float>(), v => new Complex(v, 0));
            default: throw KernelAttrs.BadType(ctx.Node, t.DType);
        }
    }

    /// <summary>Writes complex doubles into a float/double (real parts) or complex64/complex128 output.</summary>
    public static void Write(Tensor t, ReadOnlySpan<Complex> values)
    {
        switch (t.DType)
        {
            case DataType.DtComplex128: values.CopyTo(t.AsSpan<Complex>()); break;
            case DataType.DtComplex64:
            {
                var f = t.AsSpan<float>();
                for (int i = 0; i < values.Length; i++) { f[2 * i] = (float)values[i].Real; f[2 * i + 1] = (float)values[i].Imaginary; }
                break;
            }
            case DataType.DtDouble: { var o = t.AsSpan<double>(); for (int i = 0; i < values.Length; i++) o[i] = values[i].Real; break; }
            default: { var o = t.AsSpan<float>(); for (int i = 0; i < values.Length; i++) o[i] = (float)values[i].Real; break; }
        }
    }

    /// <summary>Whether the dtype is complex64/complex128.</summary>
    public static bool IsComplex(DataType t) => t is DataType.DtComplex64 or DataType.DtComplex128;

    /// <summary>Eigen's <c>NumTraits&lt;Scalar&gt;::epsilon()</c> of the dtype TF computes in (float for float/complex64).</summary>
    public static double Epsilon(DataType t) => t is DataType.DtFloat or DataType.DtComplex64 ? 1.1920928955078125e-7 : 2.220446049250313e-16;

    /// <summary>The n×n block of <paramref name="src"/> at <paramref name="at"/> as a new array.</summary>
    public static Complex[] Block(Complex[] src, int at, int count) => src.AsSpan(at, count).ToArray();

    /// <summary>C = A·B for row-major A (m×k) and B (k×n).</summary>
    public static Complex[] Mul(Complex[] a, Complex[] b, int m, int k, int n)
    {
        var c = new Complex[m * n];
        for (int i = 0; i < m; i++)
            for (int p = 0; p < k; p++)
            {
                var aip = a[i * k + p];
                if (aip == Complex.Zero) continue;
                for (int j = 0; j < n; j++) c[i * n + j] += aip * b[p * n + j];
            }
        return c;
    }

    /// <summary>Q·T·Qᴴ for n×n matrices.</summary>
    public static Complex[] Similarity(Complex[] q, Complex[] t, int n)
    {
        var qt = Mul(q, t, n, n, n);
        var r = new Complex[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                Complex s = 0;
                for (int p = 0; p < n; p++) s += qt[i * n + p] * Complex.Conjugate(q[j * n + p]);
                r[i * n + j] = s;
            }
        return r;
    }

    /// <summary>The identity n×n.</summary>
    public static Complex[] Identity(int n)
    {
        var r = new Complex[n * n];
        for (int i = 0; i < n; i++) r[i * n + i] = 1;
        return r;
    }

    /// <summary>Max column sum of |aᵢⱼ| (the 1-norm Eigen's matrix functions use).</summary>
    public static double Norm1(Complex[] a, int n)
    {
        double best = 0;
        for (int j = 0; j < n; j++)
        {
            double s = 0;
            for (int i = 0; i < n; i++) s += Complex.Abs(a[i * n + j]);
            if (s > best || double.IsNaN(s)) best = s;
        }
        return best;
    }

    /// <summary>Solves A·X = B (A n×n, B n×k) by LU with partial pivoting on |aᵢⱼ|; A and B are overwritten, X is
    /// returned in B. A zero pivot divides (giving Inf/NaN, as Eigen's PartialPivLU::solve does without a check).</summary>
    public static void Solve(Complex[] a, Complex[] b, int n, int k)
    {
        for (int c = 0; c < n; c++)
        {
            int p = c;
            double best = Complex.Abs(a[c * n + c]);
            for (int i = c + 1; i < n; i++)
            {
                double v = Complex.Abs(a[i * n + c]);
                if (v > best) { best = v; p = i; }
            }
            if (p != c)
            {
                for (int j = 0; j < n; j++) (a[c * n + j], a[p * n + j]) = (a[p * n + j], a[c * n + j]);
                for (int j = 0; j < k; j++) (b[c * k + j], b[p * k + j]) = (b[p * k + j], b[c * k + j]);
            }
            var pivot = a[c * n + c];
            for (int i = c + 1; i < n; i++)
            {
                var f = a[i * n + c] / pivot;
                if (f == Complex.Zero) continue;
                for (int j = c + 1; j < n; j++) a[i * n + j] -= f * a[c * n + j];
                for (int j = 0; j < k; j++) b[i * k + j] -= f * b[c * k + j];
            }
        }
        for (int i = n - 1; i >= 0; i--)
            for (int j = 0; j < k; j++)
            {
                var s = b[i * k + j];
                for (int p = i + 1; p < n; p++) s -= a[i * n + p] * b[p * k + j];
                b[i * k + j] = s / a[i * n + i];
            }
    }

    /// <summary>
    /// The Householder reflector that maps x = <paramref name="x"/>[<paramref name="at"/> + i·<paramref name="stride"/>],
    /// i &lt; <paramref name="len"/>, to β·e₁, as Eigen's <c>makeHouseholder</c>: β = −sign(Re x₀)·‖x‖, the essential
    /// part v = x₁…/(x₀ − β) (v₀ = 1 implied) and τ = conj((β − x₀)/β), so that (I − τ·v·vᴴ)·x = β·e₁ with β real.
    /// A tail that is already zero with a real x₀ gives τ = 0 (no reflection). The vector is overwritten with
    /// [β, v₁, …]. Returns τ.
    /// </summary>
    public static Complex MakeHouseholder(Complex[] x, int at, int stride, int len)
    {
        double tailSq = 0;
        for (int i = 1; i < len; i++) { var v = x[at + i * stride]; tailSq += v.Real * v.Real + v.Imaginary * v.Imaginary; }
        var c0 = x[at];
        if (tailSq <= MinNormal && c0.Imaginary * c0.Imaginary <= MinNormal)
        {
            for (int i = 1; i < len; i++) x[at + i * stride] = 0;
            return 0;
        }
        double beta = Math.Sqrt(c0.Real * c0.Real + c0.Imaginary * c0.Imaginary + tailSq);
        if (c0.Real >= 0) beta = -beta;
        var denom = c0 - beta;
        for (int i = 1; i < len; i++) x[at + i * stride] /= denom;
        x[at] = beta;
        return Complex.Conjugate((beta - c0) / beta);
    }

    /// <summary>Applies (I − τ·v·vᴴ) from the left to rows r0…r0+len−1 of the row-major matrix <paramref name="m"/>
    /// (width <paramref name="cols"/>), columns c0…cols−1; v₀ = 1 and v₁… are read from <paramref name="v"/>.</summary>
    public static void ReflectRows(Complex[] m, int cols, int r0, int c0, Complex tau, Complex[] v, int len)
    {
        if (tau == Complex.Zero) return;
        for (int j = c0; j < cols; j++)
        {
            Complex s = m[r0 * cols + j];
            for (int i = 1; i < len; i++) s += Complex.Conjugate(v[i]) * m[(r0 + i) * cols + j];
            s *= tau;
            m[r0 * cols + j] -= s;
            for (int i = 1; i < len; i++) m[(r0 + i) * cols + j] -= s * v[i];
        }
    }

    /// <summary>
    /// Complex Schur decomposition A = Q·T·Qᴴ (T upper triangular, Q unitary) of the n×n matrix, after Eigen's
    /// <c>ComplexSchur</c>: Householder reduction to Hessenberg form, then single-shift QR sweeps with Givens rotations
    /// on the active window, the shift being the eigenvalue of the trailing 2×2 block nearer its last diagonal entry
    /// (exceptional shifts |Re hᵢ,ᵢ₋₁| + |Re hᵢ₋₁,ᵢ₋₂| at the 10th and 20th iteration on one eigenvalue), a subdiagonal
    /// entry being negligible when |h|₁ ≤ ε·(|hᵢᵢ|₁ + |hᵢ₊₁,ᵢ₊₁|₁) (|z|₁ = |Re z| + |Im z|). Returns false when more than
    /// 30·n sweeps do not converge (Eigen's <c>NoConvergence</c>).
    /// </summary>
    public static bool Schur(Complex[] a, int n, out Complex[] t, out Complex[] q)
    {
        t = (Complex[])a.Clone();
        q = Identity(n);
        // Hessenberg reduction: T = Hᴴ·A·H, Q accumulates the reflections.
        var v = new Complex[n];
        for (int k = 0; k < n - 2; k++)
        {
            int len = n - k - 1;
            for (int i = 0; i < len; i++) v[i] = t[(k + 1 + i) * n + k];
            var tau = MakeHouseholder(v, 0, 1, len);
            t[(k + 1) * n + k] = v[0];
            for (int i = 1; i < len; i++) t[(k + 1 + i) * n + k] = 0;
            if (tau == Complex.Zero) continue;
            v[0] = 1;
            ReflectRows(t, n, k + 1, k + 1, tau, v, len);
            // From the right: T·(I − τ·v·vᴴ)ᴴ = T·(I − conj(τ)·v·vᴴ)… applied as Hᴴ on the right of rows 0..n−1.
            for (int r = 0; r < n; r++)
            {
                Complex s = 0;
                for (int i = 0; i < len; i++) s += t[r * n + k + 1 + i] * v[i];
                s *= Complex.Conjugate(tau);
                for (int i = 0; i < len; i++) t[r * n + k + 1 + i] -= s * Complex.Conjugate(v[i]);
            }
            for (int r = 0; r < n; r++)
            {
                Complex s = 0;
                for (int i = 0; i < len; i++) s += q[r * n + k + 1 + i] * v[i];
                s *= Complex.Conjugate(tau);
                for (int i = 0; i < len; i++) q[r * n + k + 1 + i] -= s * Complex.Conjugate(v[i]);
            }
        }
        if (n < 2) return true;

        int iu = n - 1, iter = 0, total = 0, maxIters = 30 * n;
        while (true)
        {
            while (iu > 0)
            {
                if (Negligible(t, n, iu - 1)) { t[iu * n + iu - 1] = 0; iter = 0; iu--; }
                else break;
            }
            if (iu == 0) return true;
            iter++;
            total++;
            if (total > maxIters) return false;
            int il = iu - 1;
            while (il > 0 && !Negligible(t, n, il - 1)) il--;
            var shift = Shift(t, n, iu, iter);
            var (c, s) = Givens(t[il * n + il] - shift, t[(il + 1) * n + il]);
            RotateRows(t, n, il, il + 1, c, s, il);
            RotateCols(t, n, il, il + 1, c, s, Math.Min(il + 2, iu) + 1);
            RotateCols(q, n, il, il + 1, c, s, n);
            for (int i = il + 1; i < iu; i++)
            {
                (c, s) = Givens(t[i * n + i - 1], t[(i + 1) * n + i - 1]);
                RotateRows(t, n, i, i + 1, c, s, i - 1);
                t[(i + 1) * n + i - 1] = 0;
                RotateCols(t, n, i, i + 1, c, s, Math.Min(i + 2, iu) + 1);
                RotateCols(q, n, i, i + 1, c, s, n);
            }
        }
    }

    private static double Abs1(Complex z) => Math.Abs(z.Real) + Math.Abs(z.Imaginary);

    private static bool Negligible(Complex[] t, int n, int i)
        => Abs1(t[(i + 1) * n + i]) <= 2.220446049250313e-16 * (Abs1(t[i * n + i]) + Abs1(t[(i + 1) * n + i + 1]));

    private static Complex Shift(Complex[] t, int n, int iu, int iter)
    {
        if (iter == 10 || iter == 20)
            return Math.Abs(t[iu * n + iu - 1].Real) + (iu >= 2 ? Math.Abs(t[(iu - 1) * n + iu - 2].Real) : 0);
        var a = t[(iu - 1) * n + iu - 1];
        var b = t[(iu - 1) * n + iu];
        var c = t[iu * n + iu - 1];
        var d = t[iu * n + iu];
        double scale = Abs1(a) + Abs1(b) + Abs1(c) + Abs1(d);
        if (scale == 0) return d;
        a /= scale; b /= scale; c /= scale; d /= scale;
        var half = (a - d) / 2;
        var disc = Complex.Sqrt(half * half + b * c);
        var mean = (a + d) / 2;
        var e1 = mean + disc;
        var e2 = mean - disc;
        // Recompute the smaller eigenvalue from the determinant to avoid cancellation, then take the one nearer d.
        var det = a * d - b * c;
        if (Abs1(e1) > Abs1(e2)) { if (e1 != Complex.Zero) e2 = det / e1; }
        else if (e2 != Complex.Zero) e1 = det / e2;
        return (Abs1(e1 - d) < Abs1(e2 - d) ? e1 : e2) * scale;
    }

    /// <summary>A rotation G = [[c, s], [−conj(s), c]] (c real) with G·[p; q] = [r; 0].</summary>
    private static (double C, Complex S) Givens(Complex p, Complex q)
    {
        if (q == Complex.Zero) return (1, 0);
        if (p == Complex.Zero) return (0, Complex.Conjugate(q) / Complex.Abs(q) * 1);
        double np = Complex.Abs(p), nq = Complex.Abs(q);
        double r = Math.Sqrt(np * np + nq * nq);
        double c = np / r;
        var s = p / np * Complex.Conjugate(q) / r;
        return (c, s);
    }

    // Rows i, j ← G·[row i; row j], columns from c0.
    private static void RotateRows(Complex[] m, int n, int i, int j, double c, Complex s, int c0)
    {
        for (int k = Math.Max(c0, 0); k < n; k++)
        {
            var x = m[i * n + k];
            var y = m[j * n + k];
            m[i * n + k] = c * x + s * y;
            m[j * n + k] = -Complex.Conjugate(s) * x + c * y;
        }
    }

    // Columns i, j ← [col i, col j]·Gᴴ, rows 0…rows−1.
    private static void RotateCols(Complex[] m, int n, int i, int j, double c, Complex s, int rows)
    {
        for (int k = 0; k < rows; k++)
        {
            var x = m[k * n + i];
            var y = m[k * n + j];
            m[k * n + i] = c * x + Complex.Conjugate(s) * y;
            m[k * n + j] = -s * x + c * y;
        }
    }

    /// <summary>The principal square root of an upper-triangular T, as Eigen's <c>matrix_sqrt_triangular</c>:
    /// Rᵢᵢ = √Tᵢᵢ (principal branch), Rᵢⱼ = (Tᵢⱼ − Σₖ RᵢₖRₖⱼ)/(Rᵢᵢ + Rⱼⱼ), column by column upwards.</summary>
    public static Complex[] TriangularSqrt(Complex[] t, int n)
    {
        var r = new Complex[n * n];
        for (int i = 0; i < n; i++) r[i * n + i] = Complex.Sqrt(t[i * n + i]);
        for (int j = 1; j < n; j++)
            for (int i = j - 1; i >= 0; i--)
            {
                var s = t[i * n + j];
                for (int k = i + 1; k < j; k++) s -= r[i * n + k] * r[k * n + j];
                r[i * n + j] = s / (r[i * n + i] + r[j * n + j]);
            }
        return r;
    }
}
