using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Linalg;

/// <summary>
/// <c>SelfAdjointEigV2</c> and <c>Svd</c> over the innermost two dims of float or double tensors (computed in double,
/// rounded once on output). TF registers complex64/complex128 as well: SelfAdjointEigV2 runs them through
/// <see cref="ComplexDecompositions.SelfAdjointEig"/>, Svd through <see cref="ComplexDecompositions.Svd"/>.
/// <para>
/// <b>SelfAdjointEigV2</b> (TF's <c>self_adjoint_eig_v2_op_impl.h</c>, Eigen's <c>SelfAdjointEigenSolver</c>): only the
/// lower triangle is read, as Eigen does; eigenvalues come out ascending with eigenvectors as columns in the same order.
/// The eigenvector signs (and the basis chosen inside a repeated eigenvalue's eigenspace) are not specified by TF — they
/// depend on Eigen's tridiagonal QL iterations; ours come from cyclic Jacobi rotations, so they may differ from TF's while
/// spanning the same spaces. With <c>compute_v = false</c> the unused <c>v</c> output is a scalar, as TF's
/// <c>LinearAlgebraOp::PrepareOutputs</c> allocates it (a rank-0 tensor; TF leaves it uninitialised, we write 0). A 0×0
/// matrix gives empty outputs. A non-finite value in the lower triangle of an n ≥ 2 matrix is refused with TF's
/// "Self Adjoint Eigen decomposition was not successful" error (Eigen's QL iteration cannot deflate a NaN off-diagonal
/// and reports NoConvergence; in the rare layouts where Eigen's tridiagonal form keeps the NaN decoupled, e.g. a
/// diagonal matrix, Eigen returns NaN eigenvalues instead); a 1×1 matrix is its own eigenvalue with eigenvector [1]
/// (Eigen's n == 1 shortcut), NaN included.
/// </para>
/// <para>
/// <b>Svd</b> (TF's <c>svd_op_impl.h</c>, Eigen's <c>BDCSVD</c>): singular values descending and non-negative; U is
/// m×min(m,n) (m×m with <c>full_matrices</c>), V is n×min(m,n) (n×n), with A = U·diag(s)·Vᴴ. Singular vectors carry no
/// sign guarantee in TF either. Our factorization is a one-sided (Hestenes) Jacobi SVD; columns of U for zero singular
/// values and the extra columns of a full U/V are completed to an orthonormal basis. An empty matrix gives empty s and,
/// with <c>full_matrices</c>, identity U (m×m) / V (n×n), as TF. A non-finite input fills s, U and V with NaN — TF's
/// handling of <c>BDCSVD</c> failing (Eigen ≥ 3.4 reports InvalidInput when the input's max |value| is not finite).
/// With <c>compute_uv = false</c> the unused u and v outputs are scalars (see above).
/// </para>
/// </summary>
internal sealed class SpectralDecompositionKernels : KernelSet
{
    private const int MaxSweeps = 100;

    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("SelfAdjointEigV2", n =>
        {
            bool v = n.GetBool("compute_v", true);
            return new Exec.DelegateKernel(n, ctx =>
            {
                // complex64/complex128 (Hermitian input), as TF registers them: ComplexDecompositions.SelfAdjointEig.
                var input = ctx.Input(0);
                if (ComplexMatrices.IsComplex(input.DType))
                {
                    if (input.Shape.Rank < 2) throw ctx.Error($"Input tensor 0 must have rank >= 2, got {input.Shape.Rank}");
                    if (input.Shape[-1] != input.Shape[-2]) throw ctx.Error("Input matrix must be square.");
                    ComplexDecompositions.SelfAdjointEig(ctx, v);
                }
                else Eig(ctx, v);
            });
        });
        registry.Add("Svd", n =>
        {
            bool uv = n.GetBool("compute_uv", true), full = n.GetBool("full_matrices", false);
            return new Exec.DelegateKernel(n, ctx =>
            {
                var input = ctx.Input(0);
                if (ComplexMatrices.IsComplex(input.DType))
                {
                    if (input.Shape.Rank < 2) throw ctx.Error($"Input tensor 0 must have rank >= 2, got {input.Shape.Rank}");
                    ComplexDecompositions.Svd(ctx, uv, full);
                }
                else Svd(ctx, uv, full);
            });
        });
    }

    private static (int Batch, int Rows, int Cols, int[] Lead) Validate(OpKernelContext ctx, Tensor input, bool square)
    {
        if (input.DType is not (DataType.DtFloat or DataType.DtDouble)) throw KernelAttrs.BadType(ctx.Node, input.DType);
        // LinearAlgebraOp::AnalyzeInputs / ValidateSingleSquareMatrix messages.
        if (input.Shape.Rank < 2) throw ctx.Error($"Input tensor 0 must have rank >= 2, got {input.Shape.Rank}");
        var (batch, rows, cols) = MatrixDecompositionKernels.Matrices(ctx, input, "Input", square: false);
        if (square && rows != cols) throw ctx.Error("Input matrix must be square.");
        return (batch, rows, cols, input.Shape.ToArray()[..^2]);
    }

    private static void Eig(OpKernelContext ctx, bool computeV)
    {
        var input = ctx.Input(0);
        var (batch, n, _, lead) = Validate(ctx, input, square: true);
        var eOut = ctx.AllocateOutput(0, input.DType, new TensorShape([.. lead, n]));
        var vOut = ctx.AllocateOutput(1, input.DType, computeV ? input.Shape : new TensorShape());
        var a = MatrixDecompositionKernels.ReadDoubles(ctx, input);
        var values = new double[(long)batch * n];
        var vectors = new double[computeV ? a.Length : 1];
        var m = new double[n * n];
        var v = new double[n * n];
        for (int b = 0; b < batch; b++)
        {
            int at = b * n * n;
            if (n == 1)
            {
                values[b] = a[at];
                if (computeV) vectors[at] = 1;
                continue;
            }
            // Symmetric copy from the lower triangle, scaled by its max |value| as Eigen does (no overflow in the squares).
            double scale = 0;
            for (int i = 0; i < n; i++)
                for (int j = 0; j <= i; j++)
                {
                    double x = a[at + i * n + j];
                    if (!double.IsFinite(x)) throw ctx.Error("Self Adjoint Eigen decomposition was not successful. The input might not be valid.");
                    m[i * n + j] = m[j * n + i] = x;
                    scale = Math.Max(scale, Math.Abs(x));
                }
            if (scale == 0) scale = 1;
            for (int i = 0; i < m.Length; i++) m[i] /= scale;
            if (!SymmetricJacobi(m, n, v)) throw ctx.Error("Self Adjoint Eigen decomposition was not successful. The input might not be valid.");
            // Ascending eigenvalues, eigenvectors (columns of v) in the same order; stable on ties.
            var order = Enumerable.Range(0, n).OrderBy(k => m[k * n + k]).ToArray();
            for (int k = 0; k < n; k++)
            {
                int src = order[k];
                values[(long)b * n + k] = m[src * n + src] * scale;
                if (computeV)
                    for (int i = 0; i < n; i++) vectors[at + i * n + k] = v[i * n + src];
            }
        }
        MatrixDecompositionKernels.WriteDoubles(eOut, values);
        MatrixDecompositionKernels.WriteDoubles(vOut, computeV ? vectors : [0.0]);
    }

    /// <summary>Cyclic Jacobi rotations on the symmetric n×n matrix <paramref name="a"/> (row-major, in place) until its
    /// off-diagonal part is exactly zero; the diagonal then holds the eigenvalues and the columns of <paramref name="v"/>
    /// the orthonormal eigenvectors. An off-diagonal entry too small to change either diagonal entry it couples is set
    /// to zero after a few sweeps (the classic Jacobi threshold), so the loop ends. False when it does not converge.</summary>
    internal static bool SymmetricJacobi(double[] a, int n, double[] v)
    {
        Array.Clear(v, 0, n * n);
        for (int i = 0; i < n; i++) v[i * n + i] = 1;
        for (int sweep = 0; sweep < MaxSweeps; sweep++)
        {
            bool rotated = false;
            for (int p = 0; p < n - 1; p++)
                for (int q = p + 1; q < n; q++)
                {
                    double apq = a[p * n + q];
                    if (apq == 0) continue;
                    double app = a[p * n + p], aqq = a[q * n + q];
                    if (sweep > 3 && Math.Abs(app) + 100 * Math.Abs(apq) == Math.Abs(app) && Math.Abs(aqq) + 100 * Math.Abs(apq) == Math.Abs(aqq))
                    {
                        a[p * n + q] = a[q * n + p] = 0;
                        continue;
                    }
                    rotated = true;
                    double theta = (aqq - app) / (2 * apq);
                    double t = 1 / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    if (theta < 0) t = -t;
                    double c = 1 / Math.Sqrt(t * t + 1), s = t * c;
                    for (int r = 0; r < n; r++)
                    {
                        if (r == p || r == q) continue;
                        double arp = a[r * n + p], arq = a[r * n + q];
                        a[r * n + p] = a[p * n + r] = c * arp - s * arq;
                        a[r * n + q] = a[q * n + r] = s * arp + c * arq;
                    }
                    a[p * n + p] = app - t * apq;
                    a[q * n + q] = aqq + t * apq;
                    a[p * n + q] = a[q * n + p] = 0;
                    for (int r = 0; r < n; r++)
                    {
                        double vrp = v[r * n + p], vrq = v[r * n + q];
                        v[r * n + p] = c * vrp - s * vrq;
                        v[r * n + q] = s * vrp + c * vrq;
                    }
                }
            if (!rotated) return true;
        }
        return false;
    }

    private static void Svd(OpKernelContext ctx, bool computeUv, bool full)
    {
        var input = ctx.Input(0);
        var (batch, m, n, lead) = Validate(ctx, input, square: false);
        int p = Math.Min(m, n);
        int uCols = full ? m : p, vCols = full ? n : p;
        var sOut = ctx.AllocateOutput(0, input.DType, new TensorShape([.. lead, p]));
        var uOut = ctx.AllocateOutput(1, input.DType, computeUv ? new TensorShape([.. lead, m, uCols]) : new TensorShape());
        var vOut = ctx.AllocateOutput(2, input.DType, computeUv ? new TensorShape([.. lead, n, vCols]) : new TensorShape());
        var a = MatrixDecompositionKernels.ReadDoubles(ctx, input);
        var s = new double[(long)batch * p];
        var u = new double[computeUv ? (long)batch * m * uCols : 1];
        var v = new double[computeUv ? (long)batch * n * vCols : 1];
        for (int b = 0; b < batch; b++)
        {
            long aAt = (long)b * m * n, uAt = (long)b * m * uCols, vAt = (long)b * n * vCols;
            if (p == 0)
            {
                // TF: an empty matrix still gets the identity for the non-empty dimension under full_matrices.
                if (computeUv && full)
                {
                    for (int i = 0; i < m; i++) u[uAt + i * uCols + i] = 1;
                    for (int i = 0; i < n; i++) v[vAt + i * vCols + i] = 1;
                }
                continue;
            }
            bool finite = true;
            for (long i = 0; i < (long)m * n; i++) if (!double.IsFinite(a[aAt + i])) { finite = false; break; }
            if (!finite)
            {
                Array.Fill(s, double.NaN, b * p, p);
                if (computeUv)
                {
                    Array.Fill(u, double.NaN, (int)uAt, m * uCols);
                    Array.Fill(v, double.NaN, (int)vAt, n * vCols);
                }
                continue;
            }
            // Factor the tall orientation: A (m ≥ n) or Aᵀ (m < n), whose U and V swap roles.
            bool transpose = m < n;
            int rows = transpose ? n : m, cols = p;
            var w = new double[rows * cols]; // columns are orthogonalised in place: W = A·V = U·diag(s)
            double scale = 0;
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double x = a[aAt + i * n + j];
                    if (transpose) w[j * cols + i] = x; else w[i * cols + j] = x;
                    scale = Math.Max(scale, Math.Abs(x));
                }
            if (scale == 0) scale = 1;
            for (int i = 0; i < w.Length; i++) w[i] /= scale;
            var right = new double[cols * cols];
            OneSidedJacobi(w, rows, cols, right);
            var sigma = new double[cols];
            for (int j = 0; j < cols; j++)
            {
                double norm = 0;
                for (int i = 0; i < rows; i++) norm += w[i * cols + j] * w[i * cols + j];
                sigma[j] = Math.Sqrt(norm);
            }
            var order = Enumerable.Range(0, cols).OrderByDescending(j => sigma[j]).ToArray();
            for (int k = 0; k < p; k++) s[(long)b * p + k] = sigma[order[k]] * scale;
            if (!computeUv) continue;
            // Left vectors: W's columns normalised (a zero column is completed below); right vectors: the rotations.
            int leftRows = rows, leftCols = transpose ? vCols : uCols, rightRows = cols, rightCols = transpose ? uCols : vCols;
            var left = new double[leftRows * leftCols];
            var rightOut = new double[rightRows * rightCols];
            int known = 0;
            var missing = new List<int>();
            for (int k = 0; k < p; k++)
            {
                int j = order[k];
                if (sigma[j] > 0) { for (int i = 0; i < rows; i++) left[i * leftCols + k] = w[i * cols + j] / sigma[j]; known++; }
                else missing.Add(k);
                for (int i = 0; i < cols; i++) rightOut[i * rightCols + k] = right[i * cols + j];
            }
            for (int k = p; k < leftCols; k++) missing.Add(k);
            CompleteBasis(left, leftRows, leftCols, missing);
            CompleteBasis(rightOut, rightRows, rightCols, Enumerable.Range(p, rightCols - p).ToList());
            // Place them: without transpose, left = U (m×uCols), right = V (n×vCols); with transpose the other way round.
            var (uSrc, vSrc) = transpose ? (rightOut, left) : (left, rightOut);
            Array.Copy(uSrc, 0, u, uAt, m * uCols);
            Array.Copy(vSrc, 0, v, vAt, n * vCols);
        }
        MatrixDecompositionKernels.WriteDoubles(sOut, s);
        MatrixDecompositionKernels.WriteDoubles(uOut, computeUv ? u : [0.0]);
        MatrixDecompositionKernels.WriteDoubles(vOut, computeUv ? v : [0.0]);
    }

    /// <summary>One-sided (Hestenes) Jacobi on the rows×cols matrix <paramref name="w"/> (rows ≥ cols, row-major): plane
    /// rotations of column pairs until every pair is orthogonal to working precision, accumulated into the cols×cols
    /// <paramref name="v"/>, so that W_final = W_initial·V with V orthogonal.</summary>
    private static void OneSidedJacobi(double[] w, int rows, int cols, double[] v)
    {
        Array.Clear(v);
        for (int i = 0; i < cols; i++) v[i * cols + i] = 1;
        const double eps = 2.220446049250313e-16;
        for (int sweep = 0; sweep < MaxSweeps; sweep++)
        {
            bool rotated = false;
            for (int p = 0; p < cols - 1; p++)
                for (int q = p + 1; q < cols; q++)
                {
                    double alpha = 0, beta = 0, gamma = 0;
                    for (int i = 0; i < rows; i++)
                    {
                        double x = w[i * cols + p], y = w[i * cols + q];
                        alpha += x * x;
                        beta += y * y;
                        gamma += x * y;
                    }
                    if (gamma == 0 || Math.Abs(gamma) <= eps * Math.Sqrt(alpha * beta)) continue;
                    rotated = true;
                    double zeta = (beta - alpha) / (2 * gamma);
                    double t = 1 / (Math.Abs(zeta) + Math.Sqrt(1 + zeta * zeta));
                    if (zeta < 0) t = -t;
                    double c = 1 / Math.Sqrt(1 + t * t), s = c * t;
                    for (int i = 0; i < rows; i++)
                    {
                        double x = w[i * cols + p], y = w[i * cols + q];
                        w[i * cols + p] = c * x - s * y;
                        w[i * cols + q] = s * x + c * y;
                    }
                    for (int i = 0; i < cols; i++)
                    {
                        double x = v[i * cols + p], y = v[i * cols + q];
                        v[i * cols + p] = c * x - s * y;
                        v[i * cols + q] = s * x + c * y;
                    }
                }
            if (!rotated) return;
        }
    }

    /// <summary>Fills the listed columns of the rows×cols matrix <paramref name="q"/> (its other columns orthonormal)
    /// with unit vectors orthogonal to every column placed so far: for each, the standard basis vector with the largest
    /// residual after two Gram–Schmidt passes (at least 1/rows of its norm survives, so the choice is well conditioned).</summary>
    private static void CompleteBasis(double[] q, int rows, int cols, List<int> missing)
    {
        if (missing.Count == 0) return;
        var filled = Enumerable.Range(0, cols).Where(c => !missing.Contains(c)).ToList();
        var candidate = new double[rows];
        var best = new double[rows];
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
                        double dot = 0;
                        for (int i = 0; i < rows; i++) dot += q[i * cols + c] * candidate[i];
                        for (int i = 0; i < rows; i++) candidate[i] -= dot * q[i * cols + c];
                    }
                double norm = 0;
                for (int i = 0; i < rows; i++) norm += candidate[i] * candidate[i];
                if (norm > bestNorm) { bestNorm = norm; Array.Copy(candidate, best, rows); }
            }
            double inv = 1 / Math.Sqrt(bestNorm);
            for (int i = 0; i < rows; i++) q[i * cols + target] = best[i] * inv;
            filled.Add(target);
        }
    }
}
