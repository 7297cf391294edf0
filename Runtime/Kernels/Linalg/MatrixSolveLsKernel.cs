using System.Numerics;
using System.Runtime.InteropServices;
using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Linalg;

/// <summary>
/// <c>MatrixSolveLs</c> (tf.linalg.lstsq), after TF's <c>matrix_solve_ls_op_impl.h</c> (<c>MatrixSolveLsOp::ComputeMatrix</c>),
/// float/double/complex64/complex128 as TF registers, batched:
/// <list type="bullet">
/// <item><c>fast=true</c>, rows ≥ cols: the regularized normal equations (AᴴA + λI)·X = AᴴB by Cholesky (Eigen's LLT of
/// the lower triangle; λ added only when &gt; 0). rows &lt; cols: the second kind, X = Aᴴ·(AAᴴ + λI)⁻¹·B. A pivot that is
/// not &gt; 0 fails with TF's texts "Input matrix was rank deficient or ill-conditioned. Try setting fast=False or
/// provide a larger l2_regularizer &gt; 0." (overdetermined) / "… or provide an l2_regularizer &gt; 0." (underdetermined).
/// Gramian, factorization and solves run in the input's precision (<see cref="IScalarOps{T}"/>; float/complex64 in
/// single precision) as TF's Eigen code does, so a float matrix too ill-conditioned for a float Cholesky fails as in TF
/// even though its double Gramian would factor.</item>
/// <item><c>fast=false</c>: Eigen's <c>completeOrthogonalDecomposition().solve</c>, the minimum-norm least-squares
/// solution even for rank-deficient A (λ ignored): Householder QR with column pivoting, the rank as Eigen's
/// <c>ColPivHouseholderQR::rank()</c> counts it (|Rᵢᵢ| &gt; max|Rᵢᵢ|·ε·min(rows, cols), ε of the input dtype), then the
/// leading rank rows of R reduced to triangular form from the right (a Householder QR of their adjoint) and the
/// triangular system solved, the trailing part of the solution zero. Computed in (complex) double and rounded once;
/// only the rank threshold uses the dtype's ε, so a float matrix whose rank is decided at that edge may differ.</item>
/// </list>
/// Checks as TF: rank ≥ 2 ("Input tensor 0 must have rank &gt;= 2, got N"), equal ranks and batch dims, equal row
/// counts ("Input matrix and rhs are incompatible."), then per matrix (so not for an empty batch) a scalar
/// <c>l2_regularizer</c> ("l2_regularizer must be scalar, got shape [..]") that is ≥ 0 ("l2_regularizer must be &gt;= 0.").
/// An empty matrix or right-hand side gives zeros (TF returns early and leaves the output as allocated).
/// </summary>
internal sealed class MatrixSolveLsKernel : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("MatrixSolveLs", node =>
    {
        bool fast = node.GetBool("fast", true);
        return new Exec.DelegateKernel(node, ctx => Compute(ctx, fast));
    });

    private static void Compute(OpKernelContext ctx, bool fast)
    {
        var matrix = ctx.Input(0);
        var rhs = ctx.Input(1);
        if (matrix.DType is not (DataType.DtFloat or DataType.DtDouble or DataType.DtComplex64 or DataType.DtComplex128)) throw KernelAttrs.BadType(ctx.Node, matrix.DType);
        if (matrix.Shape.Rank < 2) throw ctx.Error($"Input tensor 0 must have rank >= 2, got {matrix.Shape.Rank}");
        if (rhs.Shape.Rank != matrix.Shape.Rank) throw ctx.Error("All input tensors must have the same rank.");
        for (int d = 0; d < matrix.Shape.Rank - 2; d++)
            if (rhs.Shape[d] != matrix.Shape[d]) throw ctx.Error("All input tensors must have the same outer dimensions.");
        if (rhs.DType != matrix.DType) throw ctx.Error($"Invalid input dtype {DataTypes.Name(rhs.DType)} vs {DataTypes.Name(matrix.DType)}");
        var (batch, m, n) = MatrixDecompositionKernels.Matrices(ctx, matrix, "Input", square: false);
        int k = rhs.Shape[-1];
        if (rhs.Shape[-2] != m) throw ctx.Error("Input matrix and rhs are incompatible.");
        var outShape = new TensorShape([.. matrix.Shape.ToArray()[..^2], n, k]);
        var output = ctx.AllocateOutput(0, matrix.DType, outShape);
        if (batch == 0) return;
        var l2Tensor = ctx.Input(2);
        if (l2Tensor.Shape.Rank != 0) throw ctx.Error($"l2_regularizer must be scalar, got shape {l2Tensor.Shape}");
        double l2 = l2Tensor.DType == DataType.DtDouble ? l2Tensor.AsSpan<double>()[0] : throw KernelAttrs.BadType(ctx.Node, l2Tensor.DType);
        if (!(l2 >= 0)) throw ctx.Error("l2_regularizer must be >= 0.");
        if (m == 0 || n == 0 || k == 0) return;   // zeros, as allocated
        if (fast) { FastBatched(ctx, matrix, rhs, output, batch, m, n, k, l2); return; }
        var a = ComplexMatrices.Read(ctx, matrix);
        var bAll = ComplexMatrices.Read(ctx, rhs);
        var x = new Complex[(long)batch * n * k];
        double eps = ComplexMatrices.Epsilon(matrix.DType);
        for (int b = 0; b < batch; b++)
        {
            var am = ComplexMatrices.Block(a, b * m * n, m * n);
            var bm = ComplexMatrices.Block(bAll, b * m * k, m * k);
            var sol = CompleteOrthogonal(am, bm, m, n, k, eps);
            sol.CopyTo(x, (long)b * n * k);
        }
        ComplexMatrices.Write(output, x);
    }

    /// <summary>The fast path over every matrix of the batch, in the input's precision (<see cref="IScalarOps{T}"/>).</summary>
    private static void FastBatched(OpKernelContext ctx, Tensor matrix, Tensor rhs, Tensor output, int batch, int m, int n, int k, double l2)
    {
        switch (matrix.DType)
        {
            case DataType.DtFloat: Fast<float, FloatOps>(ctx, matrix.AsSpan<float>(), rhs.AsSpan<float>(), output.AsSpan<float>(), batch, m, n, k, l2); break;
            case DataType.DtDouble: Fast<double, DoubleOps>(ctx, matrix.AsSpan<double>(), rhs.AsSpan<double>(), output.AsSpan<double>(), batch, m, n, k, l2); break;
            case DataType.DtComplex64:
                Fast<ComplexF, Complex64Ops>(ctx, MemoryMarshal.Cast<float, ComplexF>(matrix.AsSpan<float>()), MemoryMarshal.Cast<float, ComplexF>(rhs.AsSpan<float>()),
                    MemoryMarshal.Cast<float, ComplexF>(output.AsSpan<float>()), batch, m, n, k, l2);
                break;
            default: Fast<Complex, Complex128Ops>(ctx, matrix.AsSpan<Complex>(), rhs.AsSpan<Complex>(), output.AsSpan<Complex>(), batch, m, n, k, l2); break;
        }
    }

    private static void Fast<T, TOps>(OpKernelContext ctx, Span<T> a, Span<T> b, Span<T> x, int batch, int m, int n, int k, double l2)
        where T : struct where TOps : struct, IScalarOps<T>
    {
        for (int i = 0; i < batch; i++)
            Normal<T, TOps>(ctx, a.Slice(i * m * n, m * n).ToArray(), b.Slice(i * m * k, m * k).ToArray(), m, n, k, l2).CopyTo(x.Slice(i * n * k, n * k));
    }

    /// <summary>The fast path: Cholesky of the (regularized) Gramian of the first (rows ≥ cols) or second kind, every
    /// product and the factorization in T's precision as TF's Eigen code runs them.</summary>
    private static T[] Normal<T, TOps>(OpKernelContext ctx, T[] a, T[] b, int m, int n, int k, double l2)
        where T : struct where TOps : struct, IScalarOps<T>
    {
        bool first = m >= n;
        int s = first ? n : m;
        // Gramian G = AᴴA (s = n) or AAᴴ (s = m); only its lower triangle is formed, as TF's triangularView<Lower>.
        var g = new T[s * s];
        for (int i = 0; i < s; i++)
            for (int j = 0; j <= i; j++)
            {
                T sum = TOps.Zero;
                if (first) for (int r = 0; r < m; r++) sum = TOps.Add(sum, TOps.Mul(TOps.Conj(a[r * n + i]), a[r * n + j]));
                else for (int c = 0; c < n; c++) sum = TOps.Add(sum, TOps.Mul(a[i * n + c], TOps.Conj(a[j * n + c])));
                g[i * s + j] = sum;
            }
        // Scalar(l2_regularizer): the double attr rounded to T before it is added to the diagonal.
        if (l2 > 0)
            for (int i = 0; i < s; i++) g[i * s + i] = TOps.Add(g[i * s + i], TOps.FromReal(l2));
        if (!Llt<T, TOps>(g, s))
            throw ctx.Error(first
                ? "Input matrix was rank deficient or ill-conditioned. Try setting fast=False or provide a larger l2_regularizer > 0."
                : "Input matrix was rank deficient or ill-conditioned. Try setting fast=False or provide an l2_regularizer > 0.");
        if (first)
        {
            // X = G⁻¹·AᴴB.
            var y = new T[n * k];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < k; j++)
                {
                    T sum = TOps.Zero;
                    for (int r = 0; r < m; r++) sum = TOps.Add(sum, TOps.Mul(TOps.Conj(a[r * n + i]), b[r * k + j]));
                    y[i * k + j] = sum;
                }
            CholeskySolve<T, TOps>(g, s, y, k);
            return y;
        }
        // X = Aᴴ·(G⁻¹·B).
        var z = (T[])b.Clone();
        CholeskySolve<T, TOps>(g, s, z, k);
        var x = new T[n * k];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < k; j++)
            {
                T sum = TOps.Zero;
                for (int r = 0; r < m; r++) sum = TOps.Add(sum, TOps.Mul(TOps.Conj(a[r * n + i]), z[r * k + j]));
                x[i * k + j] = sum;
            }
        return x;
    }

    /// <summary>Eigen's <c>LLT&lt;…, Lower&gt;</c> (<c>llt_inplace::unblocked</c>, the path below 32×32) in place on the
    /// lower triangle, in T's precision: the pivot Re(gₖₖ) − ‖lₖ‖² (the squared norm summed in the real type); the
    /// factorization fails (false) at the first pivot that is not &gt; 0 — a NaN pivot passes, as Eigen tests
    /// <c>x &lt;= 0</c>; the column below is (gᵢₖ − Σ lᵢₚ·conj(lₖₚ)) / √pivot.</summary>
    internal static bool Llt<T, TOps>(T[] g, int s) where T : struct where TOps : struct, IScalarOps<T>
    {
        for (int j = 0; j < s; j++)
        {
            double squared = 0;
            for (int p = 0; p < j; p++) squared = TOps.RoundReal(squared + TOps.Abs2(g[j * s + p]));
            double d = TOps.RoundReal(TOps.Re(g[j * s + j]) - squared);
            if (d <= 0) return false;
            T root = TOps.FromReal(Math.Sqrt(d));
            g[j * s + j] = root;
            for (int i = j + 1; i < s; i++)
            {
                T sum = TOps.Zero;
                for (int p = 0; p < j; p++) sum = TOps.Add(sum, TOps.Mul(g[i * s + p], TOps.Conj(g[j * s + p])));
                g[i * s + j] = TOps.Div(TOps.Sub(g[i * s + j], sum), root);
            }
        }
        return true;
    }

    /// <summary>Solves L·Lᴴ·Y = Y in place (L the lower triangle of <paramref name="l"/>, Y s×k): <c>LLT::solveInPlace</c>,
    /// two triangular solves each multiplying by the reciprocal of the diagonal as Eigen's triangular_solve_matrix.</summary>
    private static void CholeskySolve<T, TOps>(T[] l, int s, T[] y, int k) where T : struct where TOps : struct, IScalarOps<T>
    {
        for (int i = 0; i < s; i++)
        {
            T inverse = TOps.Div(TOps.One, l[i * s + i]);
            for (int j = 0; j < k; j++)
            {
                T sum = TOps.Zero;
                for (int p = 0; p < i; p++) sum = TOps.Add(sum, TOps.Mul(l[i * s + p], y[p * k + j]));
                y[i * k + j] = TOps.Mul(TOps.Sub(y[i * k + j], sum), inverse);
            }
        }
        for (int i = s - 1; i >= 0; i--)
        {
            T inverse = TOps.Div(TOps.One, TOps.Conj(l[i * s + i]));
            for (int j = 0; j < k; j++)
            {
                T sum = TOps.Zero;
                for (int p = i + 1; p < s; p++) sum = TOps.Add(sum, TOps.Mul(TOps.Conj(l[p * s + i]), y[p * k + j]));
                y[i * k + j] = TOps.Mul(TOps.Sub(y[i * k + j], sum), inverse);
            }
        }
    }

    /// <summary>The minimum-norm least-squares solution by a complete orthogonal decomposition A·P = Q·[T 0; 0 0]·Zᴴ.</summary>
    private static Complex[] CompleteOrthogonal(Complex[] a, Complex[] b, int m, int n, int k, double eps)
    {
        int p = Math.Min(m, n);
        var perm = Enumerable.Range(0, n).ToArray();
        var v = new Complex[m];
        double maxPivot = 0;
        var diag = new double[p];
        for (int c = 0; c < p; c++)
        {
            // Pivot: the remaining column with the largest norm below row c (the first on ties).
            int best = c;
            double bestNorm = -1;
            for (int j = c; j < n; j++)
            {
                double sq = 0;
                for (int r = c; r < m; r++) { var z = a[r * n + j]; sq += z.Real * z.Real + z.Imaginary * z.Imaginary; }
                if (sq > bestNorm) { bestNorm = sq; best = j; }
            }
            if (best != c)
            {
                for (int r = 0; r < m; r++) (a[r * n + c], a[r * n + best]) = (a[r * n + best], a[r * n + c]);
                (perm[c], perm[best]) = (perm[best], perm[c]);
            }
            int len = m - c;
            for (int i = 0; i < len; i++) v[i] = a[(c + i) * n + c];
            var tau = ComplexMatrices.MakeHouseholder(v, 0, 1, len);
            var beta = v[0];
            v[0] = 1;
            ComplexMatrices.ReflectRows(a, n, c, c + 1, tau, v, len);
            ComplexMatrices.ReflectRows(b, k, c, 0, tau, v, len);
            a[c * n + c] = beta;
            for (int i = 1; i < len; i++) a[(c + i) * n + c] = 0;
            diag[c] = Complex.Abs(beta);
            maxPivot = Math.Max(maxPivot, diag[c]);
        }
        double threshold = maxPivot * eps * p;
        int rank = diag.Count(d => d > threshold);
        var w = new Complex[n * k];
        if (rank > 0)
        {
            // Y = R[0:rank, :] (rank×n). Householder QR of Yᴴ (n×rank): Hᵣ₋₁…H₀·Yᴴ = [R₂; 0], so Y = [R₂ᴴ 0]·Q₂ᴴ with
            // Q₂ = H₀ᴴ…Hᵣ₋₁ᴴ; the minimum-norm W with Y·W = C (C = (QᴴB)[0:rank]) is Q₂·[R₂⁻ᴴ·C; 0].
            var yt = new Complex[n * rank];
            for (int i = 0; i < rank; i++)
                for (int j = 0; j < n; j++) yt[j * rank + i] = Complex.Conjugate(a[i * n + j]);
            var taus = new Complex[rank];
            var vs = new Complex[rank][];
            var hv = new Complex[n];
            for (int c = 0; c < rank; c++)
            {
                int len = n - c;
                for (int i = 0; i < len; i++) hv[i] = yt[(c + i) * rank + c];
                taus[c] = ComplexMatrices.MakeHouseholder(hv, 0, 1, len);
                var beta = hv[0];
                hv[0] = 1;
                vs[c] = hv[..len];
                ComplexMatrices.ReflectRows(yt, rank, c, c + 1, taus[c], vs[c], len);
                yt[c * rank + c] = beta;
            }
            // U_top = R₂⁻ᴴ·C by forward substitution (R₂ᴴ is lower triangular).
            for (int i = 0; i < rank; i++)
                for (int j = 0; j < k; j++)
                {
                    var sum = b[i * k + j];
                    for (int q = 0; q < i; q++) sum -= Complex.Conjugate(yt[q * rank + i]) * w[q * k + j];
                    w[i * k + j] = sum / Complex.Conjugate(yt[i * rank + i]);
                }
            // W = H₀ᴴ…Hᵣ₋₁ᴴ·U: the last reflection first.
            for (int c = rank - 1; c >= 0; c--)
                ComplexMatrices.ReflectRows(w, k, c, 0, Complex.Conjugate(taus[c]), vs[c], n - c);
        }
        var x = new Complex[n * k];
        for (int j = 0; j < n; j++)
            for (int c = 0; c < k; c++) x[perm[j] * k + c] = w[j * k + c];
        return x;
    }
}
