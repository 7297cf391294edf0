using System.Numerics;
using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Linalg;

/// <summary>
/// The complex64/complex128 paths of MatrixInverse, MatrixSolve, Cholesky, Qr, MatrixDeterminant /
/// LogMatrixDeterminant, Lu, SelfAdjointEigV2 and Svd — TF registers each of these for complex types
/// (<c>matrix_inverse_op.cc</c>, <c>matrix_solve_op.cc</c>, <c>cholesky_op.cc</c>, <c>qr_op_complex*.cc</c>,
/// <c>determinant_op.cc</c>, <c>lu_op.cc</c>, <c>self_adjoint_eig_v2_op_complex*.cc</c>, <c>svd_op_complex*.cc</c>). The real kernels call in here
/// when their input is complex; the algorithms are the real ones carried over to complex arithmetic (computed in
/// complex double, rounded once), with the conjugations Eigen applies:
/// <list type="bullet">
/// <item>LU: Eigen's <c>PartialPivLU</c> order, the pivot the first largest modulus; the invertibility check
/// min |Uᵢᵢ| &gt; 0 as the real kernels; <c>adjoint</c> means the conjugate transpose.</item>
/// <item>Cholesky: Eigen's LLT of the lower triangle (the real part of the diagonal), Lᵢⱼ = (aᵢⱼ − Σ Lᵢₖ·conj(Lⱼₖ))/Lⱼⱼ.</item>
/// <item>Qr: Eigen's <c>HouseholderQR</c> with complex reflectors (<see cref="ComplexMatrices.MakeHouseholder"/>: R's
/// diagonal real), Q = H₀ᴴ·H₁ᴴ·…, so Q and R are Eigen's, not merely some QR.</item>
/// <item>Determinants: TF's <c>SLogDet</c> — sign = det(P)·Π Uᵢᵢ/|Uᵢᵢ| (complex), log|det| = Σ log|Uᵢᵢ| (written as a
/// complex with zero imaginary part), a non-finite log|det| gives sign 0 and ∓∞; the determinant is sign·exp(log|det|).</item>
/// <item>SelfAdjointEigV2: the Hermitian matrix Eigen reads (lower triangle, real diagonal) diagonalized through the
/// complex Schur form (for a Hermitian matrix T = QᴴAQ is diagonal up to rounding, Q's columns the orthonormal
/// eigenvectors); eigenvalues real, ascending, output as complex with zero imaginary part (the op's <c>e: T</c>).
/// Eigenvector phases are not specified by TF and differ from Eigen's tridiagonal QL ones.</item>
/// </list>
/// </summary>
internal static class ComplexDecompositions
{
    /// <summary>LU with partial pivoting in place (Eigen's order, full rank-1 updates); returns the row permutation.</summary>
    public static int[] Lu(Complex[] a, int at, int n)
    {
        var perm = new int[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        for (int k = 0; k < n; k++)
        {
            int p = k;
            double best = Complex.Abs(a[at + k * n + k]);
            for (int i = k + 1; i < n; i++)
            {
                double v = Complex.Abs(a[at + i * n + k]);
                if (v > best) { best = v; p = i; }
            }
            if (best != 0)
            {
                if (p != k)
                {
                    for (int j = 0; j < n; j++) (a[at + k * n + j], a[at + p * n + j]) = (a[at + p * n + j], a[at + k * n + j]);
                    (perm[k], perm[p]) = (perm[p], perm[k]);
                }
                var pivot = a[at + k * n + k];
                for (int i = k + 1; i < n; i++) a[at + i * n + k] /= pivot;
            }
            for (int i = k + 1; i < n; i++)
            {
                var f = a[at + i * n + k];
                for (int j = k + 1; j < n; j++) a[at + i * n + j] -= f * a[at + k * n + j];
            }
        }
        return perm;
    }

    private static bool PivotsNonZero(Complex[] lu, int at, int n)
    {
        if (n == 0) return true;
        double min = Complex.Abs(lu[at]);
        for (int i = 1; i < n; i++)
        {
            double v = Complex.Abs(lu[at + i * n + i]);
            if (v < min) min = v;
        }
        return min > 0;
    }

    private static void LuSolve(Complex[] lu, int at, int n, int[] perm, Complex[] b, int bAt, int k)
    {
        var x = new Complex[n * k];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < k; c++) x[i * k + c] = b[bAt + perm[i] * k + c];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++)
            {
                var l = lu[at + i * n + j];
                for (int c = 0; c < k; c++) x[i * k + c] -= l * x[j * k + c];
            }
        for (int i = n - 1; i >= 0; i--)
        {
            for (int j = i + 1; j < n; j++)
            {
                var u = lu[at + i * n + j];
                for (int c = 0; c < k; c++) x[i * k + c] -= u * x[j * k + c];
            }
            var inverse = 1 / lu[at + i * n + i];
            for (int c = 0; c < k; c++) x[i * k + c] *= inverse;
        }
        Array.Copy(x, 0, b, bAt, n * k);
    }

    private static void AdjointSquares(Complex[] a, int batch, int n)
    {
        for (int b = 0; b < batch; b++)
        {
            int at = b * n * n;
            for (int i = 0; i < n; i++)
            {
                a[at + i * n + i] = Complex.Conjugate(a[at + i * n + i]);
                for (int j = i + 1; j < n; j++)
                    (a[at + i * n + j], a[at + j * n + i]) = (Complex.Conjugate(a[at + j * n + i]), Complex.Conjugate(a[at + i * n + j]));
            }
        }
    }

    public static void Inverse(OpKernelContext ctx, bool adjoint)
    {
        var input = ctx.Input(0);
        var (batch, n, _) = MatrixDecompositionKernels.Matrices(ctx, input, "Input", square: true);
        var a = ComplexMatrices.Read(ctx, input);
        if (adjoint) AdjointSquares(a, batch, n);
        var result = new Complex[a.Length];
        for (int b = 0; b < batch; b++)
        {
            int at = b * n * n;
            var perm = Lu(a, at, n);
            if (!PivotsNonZero(a, at, n)) throw ctx.Error("Input is not invertible.");
            for (int i = 0; i < n; i++) result[at + i * n + i] = 1;
            LuSolve(a, at, n, perm, result, at, n);
        }
        ComplexMatrices.Write(ctx.AllocateOutput(0, input.DType, input.Shape), result);
    }

    public static void Solve(OpKernelContext ctx, bool adjoint)
    {
        var matrix = ctx.Input(0);
        var rhs = ctx.Input(1);
        var (batch, n, _) = MatrixDecompositionKernels.Matrices(ctx, matrix, "Input matrix", square: true);
        if (rhs.DType != matrix.DType) throw ctx.Error($"matrix and rhs must have the same dtype, got {DataTypes.Name(matrix.DType)} and {DataTypes.Name(rhs.DType)}.");
        if (rhs.Shape.Rank != matrix.Shape.Rank || !rhs.Shape.Dims[..^1].SequenceEqual(matrix.Shape.Dims[..^1]))
            throw ctx.Error($"Input matrix and right-hand side must have the same rows and batch dims, got {matrix.Shape} and {rhs.Shape}.");
        int k = rhs.Shape[-1];
        var a = ComplexMatrices.Read(ctx, matrix);
        if (adjoint) AdjointSquares(a, batch, n);
        var x = ComplexMatrices.Read(ctx, rhs);
        for (int b = 0; b < batch; b++)
        {
            if (n == 0 || k == 0) break;
            var perm = Lu(a, b * n * n, n);
            if (!PivotsNonZero(a, b * n * n, n)) throw ctx.Error("Input matrix is not invertible.");
            LuSolve(a, b * n * n, n, perm, x, b * n * k, k);
        }
        ComplexMatrices.Write(ctx.AllocateOutput(0, rhs.DType, rhs.Shape), x);
    }

    public static void Cholesky(OpKernelContext ctx)
    {
        var input = ctx.Input(0);
        var (batch, n, _) = MatrixDecompositionKernels.Matrices(ctx, input, "Input", square: true);
        var a = ComplexMatrices.Read(ctx, input);
        var l = new Complex[a.Length];
        for (int b = 0; b < batch; b++)
        {
            int at = b * n * n;
            for (int j = 0; j < n; j++)
            {
                double d = a[at + j * n + j].Real;
                for (int k = 0; k < j; k++) { var z = l[at + j * n + k]; d -= z.Real * z.Real + z.Imaginary * z.Imaginary; }
                if (d <= 0) throw ctx.Error("Cholesky decomposition was not successful. The input might not be valid.");
                double root = Math.Sqrt(d);
                l[at + j * n + j] = root;
                for (int i = j + 1; i < n; i++)
                {
                    var s = a[at + i * n + j];
                    for (int k = 0; k < j; k++) s -= l[at + i * n + k] * Complex.Conjugate(l[at + j * n + k]);
                    l[at + i * n + j] = s / root;
                }
            }
        }
        ComplexMatrices.Write(ctx.AllocateOutput(0, input.DType, input.Shape), l);
    }

    public static void Qr(OpKernelContext ctx, bool full)
    {
        var input = ctx.Input(0);
        var (batch, m, n) = MatrixDecompositionKernels.Matrices(ctx, input, "Input", square: false);
        int p = Math.Min(m, n);
        int qCols = full ? m : p, rRows = full ? m : p;
        var lead = input.Shape.ToArray()[..^2];
        var qOut = ctx.AllocateOutput(0, input.DType, new TensorShape([.. lead, m, qCols]));
        var rOut = ctx.AllocateOutput(1, input.DType, new TensorShape([.. lead, rRows, n]));
        var a = ComplexMatrices.Read(ctx, input);
        var q = new Complex[(long)batch * m * qCols];
        var r = new Complex[(long)batch * rRows * n];
        var taus = new Complex[p];
        var vs = new Complex[p][];
        for (int b = 0; b < batch; b++)
        {
            var block = ComplexMatrices.Block(a, b * m * n, m * n);
            for (int k = 0; k < p; k++)
            {
                int len = m - k;
                var v = new Complex[len];
                for (int i = 0; i < len; i++) v[i] = block[(k + i) * n + k];
                taus[k] = ComplexMatrices.MakeHouseholder(v, 0, 1, len);
                block[k * n + k] = v[0];
                for (int i = 1; i < len; i++) block[(k + i) * n + k] = 0;
                v[0] = 1;
                vs[k] = v;
                ComplexMatrices.ReflectRows(block, n, k, k + 1, taus[k], v, len);
            }
            for (int i = 0; i < Math.Min(rRows, m); i++)
                for (int j = i; j < n; j++) r[(long)b * rRows * n + i * n + j] = block[i * n + j];
            // Q = H₀ᴴ·…·Hₚ₋₁ᴴ on the first qCols identity columns, the last reflection first.
            var qb = new Complex[m * qCols];
            for (int i = 0; i < Math.Min(m, qCols); i++) qb[i * qCols + i] = 1;
            for (int k = p - 1; k >= 0; k--)
                ComplexMatrices.ReflectRows(qb, qCols, k, 0, Complex.Conjugate(taus[k]), vs[k], m - k);
            qb.CopyTo(q, (long)b * m * qCols);
        }
        ComplexMatrices.Write(qOut, q);
        ComplexMatrices.Write(rOut, r);
    }

    /// <summary>TF's SLogDet for complex input: (sign, log|det|).</summary>
    public static (Complex Sign, double LogAbsDet) SLogDet(Complex[] source, int at, int n)
    {
        Complex sign = 1;
        double logAbs = 0;
        if (n > 0)
        {
            var a = source.AsSpan(at, n * n).ToArray();
            var perm = Lu(a, 0, n);
            var seen = new bool[n];
            for (int i = 0; i < n; i++)
            {
                if (seen[i]) continue;
                int length = 0;
                for (int j = i; !seen[j]; j = perm[j]) { seen[j] = true; length++; }
                if (length % 2 == 0) sign = -sign;
            }
            for (int k = 0; k < n; k++)
            {
                var d = a[k * n + k];
                double abs = Complex.Abs(d);
                logAbs += Math.Log(abs);
                sign *= d / abs;
            }
        }
        if (!double.IsFinite(logAbs))
        {
            sign = 0;
            logAbs = logAbs > 0 ? double.PositiveInfinity : double.NegativeInfinity;
        }
        return (sign, logAbs);
    }

    /// <summary>MatrixDeterminant (<paramref name="logForm"/> false) or LogMatrixDeterminant for complex input.</summary>
    public static void Determinant(OpKernelContext ctx, bool logForm)
    {
        var t = ctx.Input(0);
        var (batch, n, _) = MatrixDecompositionKernels.Matrices(ctx, t, "Input", square: true);
        var outShape = new TensorShape(t.Shape.ToArray()[..^2]);
        var a = ComplexMatrices.Read(ctx, t);
        var first = new Complex[batch];
        var second = new Complex[batch];
        for (int b = 0; b < batch; b++)
        {
            var (sign, logAbs) = SLogDet(a, b * n * n, n);
            if (logForm) { first[b] = sign; second[b] = logAbs; }
            else first[b] = sign * Math.Exp(logAbs);
        }
        ComplexMatrices.Write(ctx.AllocateOutput(0, t.DType, outShape), first);
        if (logForm) ComplexMatrices.Write(ctx.AllocateOutput(1, t.DType, outShape), second);
    }

    /// <summary>Lu for complex input: packed L\U and the permutation, as the real kernel.</summary>
    public static void LuOp(OpKernelContext ctx, DataType indexType)
    {
        var input = ctx.Input(0);
        var (batch, n, _) = MatrixDecompositionKernels.Matrices(ctx, input, "Input", square: true);
        var a = ComplexMatrices.Read(ctx, input);
        var perms = new long[(long)batch * n];
        for (int b = 0; b < batch && n > 0; b++)
        {
            int at = b * n * n;
            var perm = Lu(a, at, n);
            if (!PivotsNonZero(a, at, n)) throw ctx.Error("Input is not invertible.");
            for (int i = 0; i < n; i++) perms[(long)b * n + i] = perm[i];
        }
        ComplexMatrices.Write(ctx.AllocateOutput(0, input.DType, input.Shape), a);
        var pOut = ctx.AllocateOutput(1, indexType, new TensorShape(input.Shape.ToArray()[..^1]));
        if (indexType == DataType.DtInt64) perms.CopyTo(pOut.AsSpan<long>());
        else { var o = pOut.AsSpan<int>(); for (int i = 0; i < perms.Length; i++) o[i] = (int)perms[i]; }
    }

    /// <summary>SelfAdjointEigV2 for complex (Hermitian) input.</summary>
    public static void SelfAdjointEig(OpKernelContext ctx, bool computeV)
    {
        var input = ctx.Input(0);
        var (batch, n, _) = MatrixDecompositionKernels.Matrices(ctx, input, "Input", square: true);
        var lead = input.Shape.ToArray()[..^2];
        var eOut = ctx.AllocateOutput(0, input.DType, new TensorShape([.. lead, n]));
        var vOut = ctx.AllocateOutput(1, input.DType, computeV ? input.Shape : new TensorShape());
        var a = ComplexMatrices.Read(ctx, input);
        var values = new Complex[(long)batch * n];
        var vectors = new Complex[computeV ? a.Length : 1];
        for (int b = 0; b < batch; b++)
        {
            int at = b * n * n;
            // The Hermitian matrix Eigen's SelfAdjointEigenSolver reads: the lower triangle, the diagonal's real part.
            var h = new Complex[n * n];
            for (int i = 0; i < n; i++)
            {
                h[i * n + i] = a[at + i * n + i].Real;
                for (int j = 0; j < i; j++)
                {
                    h[i * n + j] = a[at + i * n + j];
                    h[j * n + i] = Complex.Conjugate(a[at + i * n + j]);
                }
            }
            if (h.Any(z => !double.IsFinite(z.Real) || !double.IsFinite(z.Imaginary)) || !ComplexMatrices.Schur(h, n, out var t, out var q))
                throw ctx.Error("Self Adjoint Eigen decomposition was not successful. The input might not be valid.");
            var order = Enumerable.Range(0, n).OrderBy(k => t[k * n + k].Real).ToArray();
            for (int k = 0; k < n; k++)
            {
                int src = order[k];
                values[(long)b * n + k] = t[src * n + src].Real;
                if (computeV)
                    for (int i = 0; i < n; i++) vectors[at + i * n + k] = q[i * n + src];
            }
        }
        ComplexMatrices.Write(eOut, values);
        ComplexMatrices.Write(vOut, vectors);
    }
    /// <summary>
    /// Svd for complex input, as the real kernel (<see cref="SpectralDecompositionKernels"/>) does it: one-sided
    /// (Hestenes) Jacobi on the tall orientation (A, or Aᴴ for wide A, swapping U and V), singular values descending,
    /// zero singular values and <c>full_matrices</c> columns completed to orthonormal bases, non-finite input filled
    /// with NaN (TF's BDCSVD failure path). The complex rotation of a column pair (x, y) first turns y by the phase of
    /// γ = xᴴy so the pair's inner product is real, then applies the real Jacobi rotation; the accumulated column
    /// operations are unitary, so A = W·Vᴴ with W's columns orthogonal. Singular vectors' phases are not specified by TF.
    /// </summary>
    public static void Svd(OpKernelContext ctx, bool computeUv, bool full)
    {
        var input = ctx.Input(0);
        var (batch, m, n) = MatrixDecompositionKernels.Matrices(ctx, input, "Input", square: false);
        var lead = input.Shape.ToArray()[..^2];
        int p = Math.Min(m, n);
        int uCols = full ? m : p, vCols = full ? n : p;
        var sOut = ctx.AllocateOutput(0, input.DType, new TensorShape([.. lead, p]));
        var uOut = ctx.AllocateOutput(1, input.DType, computeUv ? new TensorShape([.. lead, m, uCols]) : new TensorShape());
        var vOut = ctx.AllocateOutput(2, input.DType, computeUv ? new TensorShape([.. lead, n, vCols]) : new TensorShape());
        var a = ComplexMatrices.Read(ctx, input);
        var s = new Complex[(long)batch * p];
        var u = new Complex[computeUv ? (long)batch * m * uCols : 1];
        var v = new Complex[computeUv ? (long)batch * n * vCols : 1];
        var nan = new Complex(double.NaN, double.NaN);
        for (int b = 0; b < batch; b++)
        {
            int aAt = b * m * n, uAt = b * m * uCols, vAt = b * n * vCols;
            if (p == 0)
            {
                if (computeUv && full)
                {
                    for (int i = 0; i < m; i++) u[uAt + i * uCols + i] = 1;
                    for (int i = 0; i < n; i++) v[vAt + i * vCols + i] = 1;
                }
                continue;
            }
            bool finite = true;
            for (int i = 0; i < m * n; i++)
                if (!double.IsFinite(a[aAt + i].Real) || !double.IsFinite(a[aAt + i].Imaginary)) { finite = false; break; }
            if (!finite)
            {
                Array.Fill(s, nan, b * p, p);
                if (computeUv) { Array.Fill(u, nan, uAt, m * uCols); Array.Fill(v, nan, vAt, n * vCols); }
                continue;
            }
            bool transpose = m < n;
            int rows = transpose ? n : m, cols = p;
            var w = new Complex[rows * cols];
            double scale = 0;
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    var x = a[aAt + i * n + j];
                    if (transpose) w[j * cols + i] = Complex.Conjugate(x); else w[i * cols + j] = x;
                    scale = Math.Max(scale, Complex.Abs(x));
                }
            if (scale == 0) scale = 1;
            for (int i = 0; i < w.Length; i++) w[i] /= scale;
            var right = ComplexMatrices.Identity(cols);
            OneSidedJacobi(w, rows, cols, right);
            var sigma = new double[cols];
            for (int j = 0; j < cols; j++)
            {
                double norm = 0;
                for (int i = 0; i < rows; i++) { var z = w[i * cols + j]; norm += z.Real * z.Real + z.Imaginary * z.Imaginary; }
                sigma[j] = Math.Sqrt(norm);
            }
            var order = Enumerable.Range(0, cols).OrderByDescending(j => sigma[j]).ToArray();
            for (int k = 0; k < p; k++) s[(long)b * p + k] = sigma[order[k]] * scale;
            if (!computeUv) continue;
            int leftCols = transpose ? vCols : uCols, rightCols = transpose ? uCols : vCols;
            var left = new Complex[rows * leftCols];
            var rightOut = new Complex[cols * rightCols];
            var missing = new List<int>();
            for (int k = 0; k < p; k++)
            {
                int j = order[k];
                if (sigma[j] > 0) for (int i = 0; i < rows; i++) left[i * leftCols + k] = w[i * cols + j] / sigma[j];
                else missing.Add(k);
                for (int i = 0; i < cols; i++) rightOut[i * rightCols + k] = right[i * cols + j];
            }
            for (int k = p; k < leftCols; k++) missing.Add(k);
            CompleteBasis(left, rows, leftCols, missing);
            CompleteBasis(rightOut, cols, rightCols, Enumerable.Range(p, rightCols - p).ToList());
            var (uSrc, vSrc) = transpose ? (rightOut, left) : (left, rightOut);
            Array.Copy(uSrc, 0, u, uAt, m * uCols);
            Array.Copy(vSrc, 0, v, vAt, n * vCols);
        }
        ComplexMatrices.Write(sOut, s);
        ComplexMatrices.Write(uOut, computeUv ? u : [Complex.Zero]);
        ComplexMatrices.Write(vOut, computeUv ? v : [Complex.Zero]);
    }

    private static void OneSidedJacobi(Complex[] w, int rows, int cols, Complex[] v)
    {
        const double eps = 2.220446049250313e-16;
        for (int sweep = 0; sweep < 100; sweep++)
        {
            bool rotated = false;
            for (int p = 0; p < cols - 1; p++)
                for (int q = p + 1; q < cols; q++)
                {
                    double alpha = 0, beta = 0;
                    Complex gamma = 0;
                    for (int i = 0; i < rows; i++)
                    {
                        var x = w[i * cols + p];
                        var y = w[i * cols + q];
                        alpha += x.Real * x.Real + x.Imaginary * x.Imaginary;
                        beta += y.Real * y.Real + y.Imaginary * y.Imaginary;
                        gamma += Complex.Conjugate(x) * y;
                    }
                    double g = Complex.Abs(gamma);
                    if (g == 0 || g <= eps * Math.Sqrt(alpha * beta)) continue;
                    rotated = true;
                    var phase = Complex.Conjugate(gamma) / g; // e^{−iφ}: y·e^{−iφ} has a real inner product with x
                    double zeta = (beta - alpha) / (2 * g);
                    double t = 1 / (Math.Abs(zeta) + Math.Sqrt(1 + zeta * zeta));
                    if (zeta < 0) t = -t;
                    double c = 1 / Math.Sqrt(1 + t * t), sn = c * t;
                    for (int i = 0; i < rows; i++)
                    {
                        var x = w[i * cols + p];
                        var y = w[i * cols + q] * phase;
                        w[i * cols + p] = c * x - sn * y;
                        w[i * cols + q] = sn * x + c * y;
                    }
                    for (int i = 0; i < cols; i++)
                    {
                        var x = v[i * cols + p];
                        var y = v[i * cols + q] * phase;
                        v[i * cols + p] = c * x - sn * y;
                        v[i * cols + q] = sn * x + c * y;
                    }
                }
            if (!rotated) return;
        }
    }

    /// <summary>Fills the listed columns with unit vectors orthogonal (complex inner product) to every column placed so
    /// far: the standard basis vector with the largest residual after two Gram–Schmidt passes.</summary>
    private static void CompleteBasis(Complex[] q, int rows, int cols, List<int> missing)
    {
        if (missing.Count == 0) return;
        var filled = Enumerable.Range(0, cols).Where(c => !missing.Contains(c)).ToList();
        var candidate = new Complex[rows];
        var best = new Complex[rows];
        foreach (int target in missing)
        {
            double bestNorm = -1;
            for (int e = 0; e < rows; e++)
            {
                Array.Clear(candidate);
                candidate[e] = 1;
                for (int pass = 0; pass < 2; pass++)
                    foreach (int c in filled)
                    {
                        Complex dot = 0;
                        for (int i = 0; i < rows; i++) dot += Complex.Conjugate(q[i * cols + c]) * candidate[i];
                        for (int i = 0; i < rows; i++) candidate[i] -= dot * q[i * cols + c];
                    }
                double norm = 0;
                foreach (var z in candidate) norm += z.Real * z.Real + z.Imaginary * z.Imaginary;
                if (norm > bestNorm) { bestNorm = norm; Array.Copy(candidate, best, rows); }
            }
            double inv = 1 / Math.Sqrt(bestNorm);
            for (int i = 0; i < rows; i++) q[i * cols + target] = best[i] * inv;
            filled.Add(target);
        }
    }
}
