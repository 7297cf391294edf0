using System.Numerics;
using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Linalg;

/// <summary>
/// <c>MatrixTriangularSolve</c> for half, float, double, complex64 and complex128 — the dtypes TF's
/// <c>matrix_triangular_solve_op_impl.h</c> registers on CPU — after that file's <c>BaseMatrixTriangularSolveOp</c>:
/// <list type="bullet">
/// <item>batch dims broadcast as <c>MatMulBCast</c> (TF ≥ 2.2), so one matrix can serve a batch of right-hand sides
/// and the other way round; the output is [broadcast batch…, M, N];</item>
/// <item><c>SequentialMatrixTriangularSolveKernel</c> solves with <c>triangularView&lt;Lower|Upper&gt;()</c>, so only
/// the chosen triangle (diagonal included) is read; <c>adjoint</c> solves with that triangle's conjugate transpose;</item>
/// <item>Eigen's <c>triangular_solve_matrix</c> (TriangularSolverMatrix.h) multiplies by the reciprocal of each
/// diagonal element and subtracts every product (a zero coefficient times Inf/NaN gives NaN), as done here;</item>
/// <item>an exactly zero (or NaN) diagonal element is "Input matrix is not invertible." — the check of TF 1.x's
/// <c>matrix_triangular_solve_op.cc</c> (<c>min |Aᵢᵢ| &gt; 0</c>); TF ≥ 2.2's CPU kernel dropped it and returns
/// Inf/NaN there, we keep the clear error;</item>
/// <item>an output with no elements returns before any solve.</item>
/// </list>
/// One generic solve serves the real (computed in double, rounded once) and the complex (computed in complex double,
/// rounded once) dtypes; TF computes float/complex64 in single precision, so those agree to single-precision accuracy.
/// </summary>
internal sealed class TriangularSolveKernel : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("MatrixTriangularSolve", n =>
    {
        bool lower = n.GetBool("lower", true), adjoint = n.GetBool("adjoint", false);
        return new Exec.DelegateKernel(n, ctx => Compute(ctx, lower, adjoint));
    });

    private static void Compute(OpKernelContext ctx, bool lower, bool adjoint)
    {
        var matrix = ctx.Input(0);
        var rhs = ctx.Input(1);
        // The checks and texts of MatrixTriangularSolveOp::ValidateInputTensors and BaseMatrixTriangularSolveOp::Compute.
        if (matrix.Shape.Rank < 2) throw ctx.Error($"In[0] ndims must be >= 2: {matrix.Shape.Rank}");
        if (rhs.Shape.Rank < 2) throw ctx.Error($"In[1] ndims must be >= 2: {rhs.Shape.Rank}");
        int n = matrix.Shape[-1];
        if (matrix.Shape[-2] != n) throw ctx.Error($"In[0] matrices in the last dimensions must be square ({n} =/= {matrix.Shape[-2]})");
        if (rhs.DType != matrix.DType) throw ctx.Error($"matrix and rhs must have the same dtype, got {DataTypes.Name(matrix.DType)} and {DataTypes.Name(rhs.DType)}.");
        var aBatch = new TensorShape(matrix.Shape.ToArray()[..^2]);
        var bBatch = new TensorShape(rhs.Shape.ToArray()[..^2]);
        if (!Broadcast.TryShape(aBatch, bBatch, out var batchShape))
            throw ctx.Error($"In[0] and In[1] must have compatible batch dimensions: {matrix.Shape} vs. {rhs.Shape}");
        if (rhs.Shape[-2] != n)
            throw ctx.Error($"In[0] mismatch In[1] shape: {n} vs. {rhs.Shape[-2]}: {matrix.Shape} {rhs.Shape} {(lower ? 1 : 0)} {(adjoint ? 1 : 0)}");
        int k = rhs.Shape[-1];
        bool complex = ComplexMatrices.IsComplex(matrix.DType);
        if (!complex && matrix.DType is not (DataType.DtFloat or DataType.DtDouble or DataType.DtHalf)) throw KernelAttrs.BadType(ctx.Node, matrix.DType);
        var output = ctx.AllocateOutput(0, rhs.DType, new TensorShape([.. batchShape.ToArray(), n, k]));
        if (output.NumElements == 0) return;
        var plan = new Plan(n, k, lower, adjoint, batchShape, aBatch, bBatch);
        if (complex)
        {
            var x = new Complex[output.NumElements];
            if (!plan.Run(ComplexMatrices.Read(ctx, matrix), ComplexMatrices.Read(ctx, rhs), x)) throw ctx.Error("Input matrix is not invertible.");
            ComplexMatrices.Write(output, x);
        }
        else
        {
            var x = new double[output.NumElements];
            if (!plan.Run(MatrixDecompositionKernels.ReadDoubles(ctx, matrix), MatrixDecompositionKernels.ReadDoubles(ctx, rhs), x)) throw ctx.Error("Input matrix is not invertible.");
            MatrixDecompositionKernels.WriteDoubles(output, x);
        }
    }

    /// <summary>The sizes, triangle and batch broadcasting of one solve, applied to double or complex elements.</summary>
    private readonly record struct Plan(int N, int K, bool Lower, bool Adjoint, TensorShape BatchShape, TensorShape ABatch, TensorShape BBatch)
    {
        /// <summary>Solves every batch into <paramref name="x"/>; false when a used matrix has a zero/NaN diagonal.</summary>
        public bool Run<T>(T[] a, T[] y, T[] x) where T : struct, INumberBase<T>
        {
            int n = N, k = K;
            long batches = BatchShape.NumElements;
            // The effective matrix is the chosen triangle, conjugate-transposed under adjoint: lower·plain and
            // upper·adjoint are lower triangular (forward substitution), the other two upper (backward).
            bool forward = Lower != Adjoint;
            for (long ob = 0; ob < batches; ob++)
            {
                long aAt = MatrixDecompositionKernels.BroadcastIndex(ob, BatchShape, ABatch) * n * n;
                long yAt = MatrixDecompositionKernels.BroadcastIndex(ob, BatchShape, BBatch) * n * k;
                long xAt = ob * n * k;
                for (int i = 0; i < n; i++)
                    if (!(Magnitude(a[aAt + i * n + i]) > 0)) return false;
                Array.Copy(y, yAt, x, xAt, n * k);
                for (int s = 0; s < n; s++)
                {
                    int i = forward ? s : n - 1 - s;
                    for (int t = 0; t < s; t++)
                    {
                        int j = forward ? t : n - 1 - t;
                        T c = Adjoint ? Conj(a[aAt + j * n + i]) : a[aAt + i * n + j];
                        for (int col = 0; col < k; col++) x[xAt + i * k + col] -= c * x[xAt + j * k + col];
                    }
                    T d = Adjoint ? Conj(a[aAt + i * n + i]) : a[aAt + i * n + i];
                    T inverse = T.One / d;
                    for (int col = 0; col < k; col++) x[xAt + i * k + col] *= inverse;
                }
            }
            return true;
        }
    }

    /// <summary>The complex conjugate (the identity on real values); the type test folds away per instantiation.</summary>
    internal static T Conj<T>(T v) where T : struct
        => typeof(T) == typeof(Complex) ? (T)(object)Complex.Conjugate((Complex)(object)v) : v;

    /// <summary>|v| as a double (NaN for a NaN element).</summary>
    internal static double Magnitude<T>(T v) where T : struct
        => typeof(T) == typeof(Complex) ? Complex.Abs((Complex)(object)v) : Math.Abs((double)(object)v);
}
