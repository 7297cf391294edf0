using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Linalg;

/// <summary>
/// Dense factorizations and solves over the innermost two dims of float, double or half tensors (computed in double,
/// rounded once on output): <c>MatrixInverse</c> (partial-pivot LU in Eigen's order; TF's <c>matrix_inverse_op.cc</c>
/// rejects an exactly zero pivot with "Input is not invertible."; NaN/Inf propagate as through Eigen), <c>MatrixSolve</c>, <c>Cholesky</c> (Eigen's LLT over the lower
/// triangle, as TF's <c>cholesky_op.cc</c>; the strict upper triangle of the result is zero), <c>Qr</c> (Householder
/// reflections with Eigen's sign choice, so Q and R match TF's <c>qr_op_impl.h</c> and not merely some QR).
/// complex64/complex128 inputs go to <see cref="ComplexDecompositions"/> (TF registers them). MatrixTriangularSolve is
/// <see cref="TriangularSolveKernel"/>.
/// </summary>
internal sealed class MatrixDecompositionKernels : KernelSet
{
    // std::numeric_limits<double>::min(): below it Eigen's makeHouseholder treats a column tail as zero (no reflection).
    private const double MinNormal = 2.2250738585072014e-308;

    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("MatrixInverse", n => { bool adjoint = n.GetBool("adjoint", false); return new Exec.DelegateKernel(n, ctx => Inverse(ctx, adjoint)); });
        registry.Add("MatrixSolve", n => { bool adjoint = n.GetBool("adjoint", false); return new Exec.DelegateKernel(n, ctx => Solve(ctx, adjoint)); });
        registry.Add("Cholesky", n => new Exec.DelegateKernel(n, Cholesky));
        registry.Add("Qr", n => { bool full = n.GetBool("full_matrices", false); return new Exec.DelegateKernel(n, ctx => Qr(ctx, full)); });
    }

    /// <summary>The elements of a float/double/half tensor as doubles.</summary>
    internal static double[] ReadDoubles(OpKernelContext ctx, Tensor t)
    {
        switch (t.DType)
        {
            case DataType.DtDouble: return t.ToArray<double>();
            case DataType.DtFloat: return Array.ConvertAll(t.ToArray<float>(), v => (double)v);
            case DataType.DtHalf: return Array.ConvertAll(t.ToArray<Half>(), v => (double)v);
            default: throw KernelAttrs.BadType(ctx.Node, t.DType);
        }
    }

    /// <summary>Writes doubles into a float/double/half output.</summary>
    internal static void WriteDoubles(Tensor t, ReadOnlySpan<double> values)
    {
        switch (t.DType)
        {
            case DataType.DtDouble: values.CopyTo(t.AsSpan<double>()); break;
            case DataType.DtFloat: { var o = t.AsSpan<float>(); for (int i = 0; i < values.Length; i++) o[i] = (float)values[i]; break; }
            default: { var o = t.AsSpan<Half>(); for (int i = 0; i < values.Length; i++) o[i] = (Half)values[i]; break; }
        }
    }

    internal static (int Batch, int Rows, int Cols) Matrices(OpKernelContext ctx, Tensor t, string what, bool square)
    {
        if (t.Shape.Rank < 2) throw ctx.Error($"{what} must have rank >= 2, got shape {t.Shape}.");
        int rows = t.Shape[-2], cols = t.Shape[-1];
        if (square && rows != cols) throw ctx.Error($"{what} must be square, got shape {t.Shape}.");
        long batch = 1;
        for (int i = 0; i < t.Shape.Rank - 2; i++) batch *= t.Shape[i];
        return (checked((int)batch), rows, cols);
    }

    /// <summary>LU with partial pivoting of the n×n matrix at <paramref name="a"/>[<paramref name="at"/>…], in place, in
    /// the order of Eigen's <c>PartialPivLU</c> (<c>partial_lu_impl::unblocked_lu</c>, which TF's matrix_inverse_op.cc and
    /// matrix_solve_op.cc use): the pivot is the first largest |value| in the column (a NaN wins only where it comes
    /// first, as Eigen's <c>maxCoeff</c> compares with <c>&gt;</c>); a non-zero pivot (NaN included) divides the column
    /// below it; an exactly zero pivot is left as it is and the factorization goes on; and the trailing block always
    /// gets the full rank-1 update, zero multipliers included, so 0·Inf and 0·NaN give NaN as in Eigen. Returns the
    /// row permutation. Eigen switches to a blocked variant above 16×16 (same products, another summation order).</summary>
    internal static int[] Lu(double[] a, int at, int n)
    {
        var perm = new int[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        for (int k = 0; k < n; k++)
        {
            int p = k;
            double best = Math.Abs(a[at + k * n + k]);
            for (int i = k + 1; i < n; i++)
            {
                double v = Math.Abs(a[at + i * n + k]);
                if (v > best) { best = v; p = i; }
            }
            if (best != 0)
            {
                if (p != k)
                {
                    for (int j = 0; j < n; j++) (a[at + k * n + j], a[at + p * n + j]) = (a[at + p * n + j], a[at + k * n + j]);
                    (perm[k], perm[p]) = (perm[p], perm[k]);
                }
                double pivot = a[at + k * n + k];
                for (int i = k + 1; i < n; i++) a[at + i * n + k] /= pivot;
            }
            for (int i = k + 1; i < n; i++)
            {
                double f = a[at + i * n + k];
                for (int j = k + 1; j < n; j++) a[at + i * n + j] -= f * a[at + k * n + j];
            }
        }
        return perm;
    }

    /// <summary>TF's invertibility check after the LU: <c>min |Uᵢᵢ| &gt; 0</c>, the minimum taken as Eigen's scalar
    /// <c>minCoeff</c> reduction of the (strided) diagonal does (<c>std::min</c> from the first element on), so a NaN
    /// first pivot fails the check and a later NaN pivot does not (its NaN then flows into the result).</summary>
    internal static bool PivotsNonZero(double[] lu, int at, int n)
    {
        if (n == 0) return true;
        double min = Math.Abs(lu[at]);
        for (int i = 1; i < n; i++)
        {
            double v = Math.Abs(lu[at + i * n + i]);
            if (v < min) min = v;
        }
        return min > 0;
    }

    /// <summary>Solves LU·X = P·B for an n×k right-hand side (row-major), overwriting <paramref name="b"/>: the unit-lower
    /// then the upper triangular solve with every product formed (no zero skipped, as Eigen's <c>trsmKernelL</c>) and
    /// the diagonal applied as a multiplication by its reciprocal, as that kernel does.</summary>
    private static void LuSolve(double[] lu, int at, int n, int[] perm, double[] b, int bAt, int k)
    {
        var x = new double[n * k];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < k; c++) x[i * k + c] = b[bAt + perm[i] * k + c];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++)
            {
                double l = lu[at + i * n + j];
                for (int c = 0; c < k; c++) x[i * k + c] -= l * x[j * k + c];
            }
        for (int i = n - 1; i >= 0; i--)
        {
            for (int j = i + 1; j < n; j++)
            {
                double u = lu[at + i * n + j];
                for (int c = 0; c < k; c++) x[i * k + c] -= u * x[j * k + c];
            }
            double inverse = 1 / lu[at + i * n + i];
            for (int c = 0; c < k; c++) x[i * k + c] *= inverse;
        }
        Array.Copy(x, 0, b, bAt, n * k);
    }

    private static void TransposeSquares(double[] a, int batch, int n)
    {
        for (int b = 0; b < batch; b++)
            for (int i = 0; i < n; i++)
                for (int j = i + 1; j < n; j++)
                    (a[b * n * n + i * n + j], a[b * n * n + j * n + i]) = (a[b * n * n + j * n + i], a[b * n * n + i * n + j]);
    }

    private static void Inverse(OpKernelContext ctx, bool adjoint)
    {
        var input = ctx.Input(0);
        if (ComplexMatrices.IsComplex(input.DType)) { ComplexDecompositions.Inverse(ctx, adjoint); return; }
        var (batch, n, _) = Matrices(ctx, input, "Input", square: true);
        var a = ReadDoubles(ctx, input);
        if (adjoint) TransposeSquares(a, batch, n);
        var result = new double[a.Length];
        for (int b = 0; b < batch; b++)
        {
            int at = b * n * n;
            var perm = Lu(a, at, n);
            if (!PivotsNonZero(a, at, n)) throw ctx.Error("Input is not invertible.");
            for (int i = 0; i < n; i++) result[at + i * n + i] = 1;
            LuSolve(a, at, n, perm, result, at, n);
        }
        WriteDoubles(ctx.AllocateOutput(0, input.DType, input.Shape), result);
    }

    private static void Solve(OpKernelContext ctx, bool adjoint)
    {
        var matrix = ctx.Input(0);
        if (ComplexMatrices.IsComplex(matrix.DType)) { ComplexDecompositions.Solve(ctx, adjoint); return; }
        var rhs = ctx.Input(1);
        var (batch, n, _) = Matrices(ctx, matrix, "Input matrix", square: true);
        if (rhs.DType != matrix.DType) throw ctx.Error($"matrix and rhs must have the same dtype, got {DataTypes.Name(matrix.DType)} and {DataTypes.Name(rhs.DType)}.");
        if (rhs.Shape.Rank != matrix.Shape.Rank || !rhs.Shape.Dims[..^1].SequenceEqual(matrix.Shape.Dims[..^1]))
            throw ctx.Error($"Input matrix and right-hand side must have the same rows and batch dims, got {matrix.Shape} and {rhs.Shape}.");
        int k = rhs.Shape[-1];
        var a = ReadDoubles(ctx, matrix);
        if (adjoint) TransposeSquares(a, batch, n);
        var x = ReadDoubles(ctx, rhs);
        for (int b = 0; b < batch; b++)
        {
            if (n == 0 || k == 0) break;
            var perm = Lu(a, b * n * n, n);
            if (!PivotsNonZero(a, b * n * n, n)) throw ctx.Error("Input matrix is not invertible.");
            LuSolve(a, b * n * n, n, perm, x, b * n * k, k);
        }
        WriteDoubles(ctx.AllocateOutput(0, rhs.DType, rhs.Shape), x);
    }

    private static void Cholesky(OpKernelContext ctx)
    {
        var input = ctx.Input(0);
        if (ComplexMatrices.IsComplex(input.DType)) { ComplexDecompositions.Cholesky(ctx); return; }
        var (batch, n, _) = Matrices(ctx, input, "Input", square: true);
        var a = ReadDoubles(ctx, input);
        var l = new double[a.Length];
        for (int b = 0; b < batch; b++)
        {
            int at = b * n * n;
            for (int j = 0; j < n; j++)
            {
                double d = a[at + j * n + j];
                for (int k = 0; k < j; k++) d -= l[at + j * n + k] * l[at + j * n + k];
                // Eigen's LLT stops at the first non-positive pivot; TF turns that into this error.
                if (d <= 0) throw ctx.Error("Cholesky decomposition was not successful. The input might not be valid.");
                double djj = Math.Sqrt(d);
                l[at + j * n + j] = djj;
                for (int i = j + 1; i < n; i++)
                {
                    double s = a[at + i * n + j];
                    for (int k = 0; k < j; k++) s -= l[at + i * n + k] * l[at + j * n + k];
                    l[at + i * n + j] = s / djj;
                }
            }
        }
        WriteDoubles(ctx.AllocateOutput(0, input.DType, input.Shape), l);
    }

    private static void Qr(OpKernelContext ctx, bool full)
    {
        var input = ctx.Input(0);
        if (ComplexMatrices.IsComplex(input.DType)) { ComplexDecompositions.Qr(ctx, full); return; }
        var (batch, m, n) = Matrices(ctx, input, "Input", square: false);
        int p = Math.Min(m, n);
        int qCols = full ? m : p, rRows = full ? m : p;
        var lead = input.Shape.ToArray()[..^2];
        var qOut = ctx.AllocateOutput(0, input.DType, new TensorShape([.. lead, m, qCols]));
        var rOut = ctx.AllocateOutput(1, input.DType, new TensorShape([.. lead, rRows, n]));
        var a = ReadDoubles(ctx, input);
        var q = new double[(long)batch * m * qCols];
        var r = new double[(long)batch * rRows * n];
        var tau = new double[p];
        var v = new double[m];
        for (int b = 0; b < batch; b++)
        {
            int at = b * m * n;
            // Householder QR in place (Eigen's HouseholderQR): column k below the diagonal becomes the reflector's
            // essential part, the diagonal becomes beta = -sign(x0)·‖x‖ (or x0 itself when the tail is zero).
            for (int k = 0; k < p; k++)
            {
                double c0 = a[at + k * n + k], tail = 0;
                for (int i = k + 1; i < m; i++) tail += a[at + i * n + k] * a[at + i * n + k];
                double beta;
                if (tail <= MinNormal)
                {
                    tau[k] = 0;
                    beta = c0;
                    for (int i = k + 1; i < m; i++) a[at + i * n + k] = 0;
                }
                else
                {
                    beta = Math.Sqrt(c0 * c0 + tail);
                    if (c0 >= 0) beta = -beta;
                    for (int i = k + 1; i < m; i++) a[at + i * n + k] /= c0 - beta;
                    tau[k] = (beta - c0) / beta;
                }
                a[at + k * n + k] = beta;
                if (tau[k] == 0) continue;
                // Apply H = I - tau·v·vᵀ (v = [1, essential]) to the columns right of k.
                for (int j = k + 1; j < n; j++)
                {
                    double dot = a[at + k * n + j];
                    for (int i = k + 1; i < m; i++) dot += a[at + i * n + k] * a[at + i * n + j];
                    dot *= tau[k];
                    a[at + k * n + j] -= dot;
                    for (int i = k + 1; i < m; i++) a[at + i * n + j] -= dot * a[at + i * n + k];
                }
            }
            for (int i = 0; i < Math.Min(rRows, m); i++)
                for (int j = i; j < n; j++) r[(long)b * rRows * n + i * n + j] = a[at + i * n + j];
            // Q = H0·H1·…·H(p-1) applied to the first qCols columns of the identity, last reflector first.
            long qAt = (long)b * m * qCols;
            for (int i = 0; i < Math.Min(m, qCols); i++) q[qAt + i * qCols + i] = 1;
            for (int k = p - 1; k >= 0; k--)
            {
                if (tau[k] == 0) continue;
                v[k] = 1;
                for (int i = k + 1; i < m; i++) v[i] = a[at + i * n + k];
                for (int j = 0; j < qCols; j++)
                {
                    double dot = 0;
                    for (int i = k; i < m; i++) dot += v[i] * q[qAt + i * qCols + j];
                    dot *= tau[k];
                    for (int i = k; i < m; i++) q[qAt + i * qCols + j] -= dot * v[i];
                }
            }
        }
        WriteDoubles(qOut, q);
        WriteDoubles(rOut, r);
    }

    /// <summary>The flat index into a (broadcast) operand batch shape of output batch <paramref name="flat"/>.</summary>
    internal static long BroadcastIndex(long flat, TensorShape outShape, TensorShape inShape)
    {
        long index = 0, stride = 1;
        for (int d = outShape.Rank - 1, e = inShape.Rank - 1; d >= 0; d--, e--)
        {
            int coord = (int)(flat % outShape[d]);
            flat /= outShape[d];
            if (e < 0) continue;
            if (inShape[e] != 1) index += coord * stride;
            stride *= inShape[e];
        }
        return index;
    }
}
