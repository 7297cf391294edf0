using System.Numerics;
using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Linalg;

/// <summary>
/// <c>Eig</c> (tf.linalg.eig / eigvals), after TF's <c>eig_op_impl.h</c>: Eigen's <c>ComplexEigenSolver</c> on the
/// input viewed as complex (float → complex64, double → complex128, complex as is; the output dtype is the
/// <c>Tout</c> attr), batched, computed in complex double:
/// <list type="bullet">
/// <item>a complex Schur form A = U·T·Uᴴ (<see cref="ComplexMatrices.Schur"/>); the eigenvalues are T's diagonal;</item>
/// <item>eigenvectors as <c>ComplexEigenSolver::doComputeEigenvectors</c>: the unit upper-triangular X with T·X = X·D by
/// back substitution (a zero difference of equal eigenvalues replaced by ε·max|Tᵢⱼ|, ε of the output's real type),
/// V = U·X, each column scaled to unit 2-norm;</item>
/// <item>then <c>sortEigenvalues</c>: a selection sort by ascending |λ| (the first smallest of the remaining ones
/// swapped forward), the eigenvector columns swapped along.</item>
/// </list>
/// TF defines no phase for an eigenvector (ours is Eigen's construction on our Schur basis, which need not be Eigen's),
/// and the order of eigenvalues of equal modulus (a conjugate pair) follows the Schur form. A Schur iteration that does
/// not converge (30·n sweeps, Eigen's limit — e.g. a NaN/Inf that reaches the Hessenberg subdiagonal) fails with TF's "Eigen decomposition was not successful. The input might not be
/// valid."; a 0×0 matrix gives empty outputs; non-square input is "Input matrix must be square.". With
/// <c>compute_v = false</c> the unused <c>v</c> output has shape [0], as current TF's <c>LinearAlgebraOp::PrepareOutputs</c>
/// allocates outputs a kernel does not produce.
/// </summary>
internal sealed class EigKernel : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("Eig", node =>
    {
        bool computeV = node.GetBool("compute_v", true);
        var tout = node.GetType("Tout", DataType.DtComplex64);
        if (!ComplexMatrices.IsComplex(tout)) throw KernelAttrs.BadType(node, tout);
        return new Exec.DelegateKernel(node, ctx => Compute(ctx, computeV, tout));
    });

    private static void Compute(OpKernelContext ctx, bool computeV, DataType tout)
    {
        var input = ctx.Input(0);
        if (input.DType is not (DataType.DtFloat or DataType.DtDouble or DataType.DtComplex64 or DataType.DtComplex128)) throw KernelAttrs.BadType(ctx.Node, input.DType);
        if (input.Shape.Rank < 2) throw ctx.Error($"Input tensor 0 must have rank >= 2, got {input.Shape.Rank}");
        if (input.Shape[-1] != input.Shape[-2]) throw ctx.Error("Input matrix must be square.");
        var (batch, n, _) = MatrixDecompositionKernels.Matrices(ctx, input, "Input", square: true);
        var lead = input.Shape.ToArray()[..^2];
        var eOut = ctx.AllocateOutput(0, tout, new TensorShape([.. lead, n]));
        var vOut = ctx.AllocateOutput(1, tout, computeV ? input.Shape : new TensorShape([0]));
        if (n == 0 || batch == 0) return;
        var a = ComplexMatrices.Read(ctx, input);
        double eps = ComplexMatrices.Epsilon(tout);
        var values = new Complex[(long)batch * n];
        var vectors = computeV ? new Complex[(long)batch * n * n] : null;
        for (int b = 0; b < batch; b++)
        {
            if (!Decompose(ComplexMatrices.Block(a, b * n * n, n * n), n, computeV, eps, out var e, out var v))
                throw ctx.Error("Eigen decomposition was not successful. The input might not be valid.");
            e.CopyTo(values, (long)b * n);
            v?.CopyTo(vectors!, (long)b * n * n);
        }
        ComplexMatrices.Write(eOut, values);
        if (vectors != null) ComplexMatrices.Write(vOut, vectors);
    }

    /// <summary>Eigenvalues (sorted by ascending modulus) and, when asked, unit-norm eigenvectors as columns.</summary>
    internal static bool Decompose(Complex[] a, int n, bool computeV, double eps, out Complex[] values, out Complex[]? vectors)
    {
        vectors = null;
        values = new Complex[n];
        if (!ComplexMatrices.Schur(a, n, out var t, out var u)) return false;
        for (int i = 0; i < n; i++) values[i] = t[i * n + i];
        if (computeV)
        {
            double norm = 0;
            foreach (var z in t) norm = Math.Max(norm, Complex.Abs(z));
            var x = new Complex[n * n];
            for (int k = n - 1; k >= 0; k--)
            {
                x[k * n + k] = 1;
                for (int i = k - 1; i >= 0; i--)
                {
                    var s = -t[i * n + k];
                    for (int j = i + 1; j < k; j++) s -= t[i * n + j] * x[j * n + k];
                    var z = t[i * n + i] - t[k * n + k];
                    if (z == Complex.Zero) z = new Complex(eps * norm, 0);
                    x[i * n + k] = s / z;
                }
            }
            vectors = ComplexMatrices.Mul(u, x, n, n, n);
            for (int k = 0; k < n; k++)
            {
                double sq = 0;
                for (int i = 0; i < n; i++) { var z = vectors[i * n + k]; sq += z.Real * z.Real + z.Imaginary * z.Imaginary; }
                double inv = sq > 0 ? 1 / Math.Sqrt(sq) : 1;
                for (int i = 0; i < n; i++) vectors[i * n + k] *= inv;
            }
        }
        for (int i = 0; i < n; i++)
        {
            int best = i;
            for (int j = i + 1; j < n; j++)
                if (Complex.Abs(values[j]) < Complex.Abs(values[best])) best = j;
            if (best == i) continue;
            (values[i], values[best]) = (values[best], values[i]);
            if (vectors != null)
                for (int r = 0; r < n; r++) (vectors[r * n + i], vectors[r * n + best]) = (vectors[r * n + best], vectors[r * n + i]);
        }
        return true;
    }
}
