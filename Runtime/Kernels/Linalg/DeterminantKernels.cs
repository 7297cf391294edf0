using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Linalg;

/// <summary>
/// <c>MatrixDeterminant</c> and <c>LogMatrixDeterminant</c> over the innermost two (square) dims, after TF's
/// <c>determinant_op.cc</c> <c>SLogDet</c>: a partially pivoted LU (Eigen's <c>PartialPivLU</c>, shared with MatrixInverse:
/// the largest |value| in the column, the first one on ties, every product of the update formed), <c>log|det| = Σ log|Uᵢᵢ|</c> and the sign from the permutation's parity
/// and the diagonal's signs. When <c>log|det|</c> is not finite (a singular matrix, or NaN/Inf inputs) the sign is 0 and
/// <c>log|det|</c> is −∞ (+∞ only when the sum overflowed upwards) — checked against the CPU <c>SLogDet</c>, which ends
/// with <c>if (!isfinite(log_abs_det)) { *sign = 0; log_abs_det = log_abs_det &gt; 0 ? -log(0) : log(0); }</c>, so a
/// NaN sum (NaN &gt; 0 is false) gives −∞. The determinant is <c>sign·exp(log|det|)</c>, as TF's CPU
/// <c>DeterminantOp</c> computes it (so a singular matrix gives 0, and NaN inputs give 0, not NaN; TF's GPU kernels
/// multiply getrf's pivots directly and can give NaN there). An empty (0×0) matrix has
/// determinant 1. Computed in double and rounded once for float outputs (TF accumulates in the input type, so float
/// results may differ from TF's in the last bit). complex64/complex128 go to <see cref="ComplexDecompositions.Determinant"/>
/// (TF's complex SLogDet: a complex sign).
/// </summary>
internal sealed class DeterminantKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("MatrixDeterminant", n => new Exec.DelegateKernel(n, ctx =>
        {
            if (ComplexMatrices.IsComplex(ctx.Input(0).DType)) { ComplexDecompositions.Determinant(ctx, logForm: false); return; }
            var (input, n2, batch, outShape) = Prepare(ctx);
            var det = new double[batch];
            for (int b = 0; b < batch; b++)
            {
                var (sign, logAbs) = SLogDet(input, b * n2 * n2, n2);
                det[b] = sign * Math.Exp(logAbs);
            }
            MatrixDecompositionKernels.WriteDoubles(ctx.AllocateOutput(0, ctx.Input(0).DType, outShape), det);
        }));
        registry.Add("LogMatrixDeterminant", n => new Exec.DelegateKernel(n, ctx =>
        {
            if (ComplexMatrices.IsComplex(ctx.Input(0).DType)) { ComplexDecompositions.Determinant(ctx, logForm: true); return; }
            var (input, n2, batch, outShape) = Prepare(ctx);
            var signs = new double[batch];
            var logs = new double[batch];
            for (int b = 0; b < batch; b++) (signs[b], logs[b]) = SLogDet(input, b * n2 * n2, n2);
            MatrixDecompositionKernels.WriteDoubles(ctx.AllocateOutput(0, ctx.Input(0).DType, outShape), signs);
            MatrixDecompositionKernels.WriteDoubles(ctx.AllocateOutput(1, ctx.Input(0).DType, outShape), logs);
        }));
    }

    private static (double[] Input, int N, int Batch, TensorShape OutShape) Prepare(OpKernelContext ctx)
    {
        var t = ctx.Input(0);
        if (t.DType is not (DataType.DtFloat or DataType.DtDouble)) throw KernelAttrs.BadType(ctx.Node, t.DType);
        var (batch, n, _) = MatrixDecompositionKernels.Matrices(ctx, t, "Input", square: true);
        return (MatrixDecompositionKernels.ReadDoubles(ctx, t), n, batch, new TensorShape(t.Shape.ToArray()[..^2]));
    }

    /// <summary>TF's <c>SLogDet</c> on the n×n matrix at <paramref name="source"/>[<paramref name="at"/>…] (copied).</summary>
    internal static (double Sign, double LogAbsDet) SLogDet(double[] source, int at, int n)
    {
        double sign = 1, logAbs = 0;
        if (n > 0)
        {
            var a = source.AsSpan(at, n * n).ToArray();
            // The shared LU (MatrixInverse/MatrixSolve use it): Eigen's order, every product formed, so 0·Inf gives NaN.
            var perm = MatrixDecompositionKernels.Lu(a, 0, n);
            // The permutation's parity: each cycle of length L is L − 1 row swaps.
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
                double d = a[k * n + k];
                logAbs += Math.Log(Math.Abs(d));
                sign *= d / Math.Abs(d);
            }
        }
        if (!double.IsFinite(logAbs))
        {
            sign = 0;
            logAbs = logAbs > 0 ? double.PositiveInfinity : double.NegativeInfinity;
        }
        return (sign, logAbs);
    }
}
