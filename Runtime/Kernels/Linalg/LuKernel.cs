using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Linalg;

/// <summary>
/// <c>Lu</c> (tf.linalg.lu), after TF's <c>lu_op.cc</c>: Eigen's <c>PartialPivLU</c> of each square matrix in the
/// innermost two dims (the same partial-pivot LU as MatrixInverse, <see cref="MatrixDecompositionKernels.Lu"/>), output
/// packed — the strict lower triangle is L (unit diagonal implied), the upper triangle U — with <c>p</c> the row
/// permutation such that <c>L·U = A[p]</c> (TF writes <c>permutationP().transpose()</c>'s indices, i.e. row i of L·U is
/// row p[i] of A; tf.linalg.lu_reconstruct gathers with invert_permutation(p) to undo it). <c>p</c> is int32 or int64
/// after <c>output_idx_type</c>. As in TF, a matrix whose U has an exactly zero pivot (min |Uᵢᵢ| not &gt; 0, taken
/// Eigen's scalar way so a leading NaN pivot counts) fails with "Input is not invertible."; a 0×0 matrix gives empty
/// outputs; non-square input is "Input matrix must be square.". float and double (computed in double, rounded once);
/// complex64/complex128 as TF registers them, through <see cref="ComplexDecompositions.LuOp"/>. TF registers no gradient for Lu (linalg_grad.py has none).
/// </summary>
internal sealed class LuKernel : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("Lu", node =>
    {
        var indexType = node.GetType("output_idx_type", DataType.DtInt32);
        if (indexType is not (DataType.DtInt32 or DataType.DtInt64)) throw KernelAttrs.BadType(node, indexType);
        return new Exec.DelegateKernel(node, ctx => Compute(ctx, indexType));
    });

    private static void Compute(OpKernelContext ctx, DataType indexType)
    {
        var input = ctx.Input(0);
        if (input.DType is not (DataType.DtFloat or DataType.DtDouble or DataType.DtComplex64 or DataType.DtComplex128)) throw KernelAttrs.BadType(ctx.Node, input.DType);
        if (input.Shape.Rank < 2) throw ctx.Error($"Input tensor must have rank >= 2, got {input.Shape.Rank}");
        if (input.Shape[-2] != input.Shape[-1]) throw ctx.Error("Input matrix must be square.");
        if (ComplexMatrices.IsComplex(input.DType)) { ComplexDecompositions.LuOp(ctx, indexType); return; }
        var (batch, n, _) = MatrixDecompositionKernels.Matrices(ctx, input, "Input", square: true);
        var a = MatrixDecompositionKernels.ReadDoubles(ctx, input);
        var perms = new long[(long)batch * n];
        for (int b = 0; b < batch && n > 0; b++)
        {
            int at = b * n * n;
            var perm = MatrixDecompositionKernels.Lu(a, at, n);
            if (!MatrixDecompositionKernels.PivotsNonZero(a, at, n)) throw ctx.Error("Input is not invertible.");
            for (int i = 0; i < n; i++) perms[(long)b * n + i] = perm[i];
        }
        MatrixDecompositionKernels.WriteDoubles(ctx.AllocateOutput(0, input.DType, input.Shape), a);
        var pOut = ctx.AllocateOutput(1, indexType, new TensorShape(input.Shape.ToArray()[..^1]));
        if (indexType == DataType.DtInt64) perms.CopyTo(pOut.AsSpan<long>());
        else { var o = pOut.AsSpan<int>(); for (int i = 0; i < perms.Length; i++) o[i] = (int)perms[i]; }
    }
}
