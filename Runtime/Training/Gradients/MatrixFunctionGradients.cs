using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>
/// Gradients of <c>MatrixSolveLs</c> and <c>MatrixSquareRoot</c>, after TF's linalg_grad.py (<c>_MatrixSolveLsGrad</c>,
/// <c>_MatrixSquareRootGrad</c>). TF registers none for MatrixExponential, MatrixLogarithm (tf.linalg.expm in TF2 is a
/// Python composite whose ops carry their own gradients).
/// <para>
/// MatrixSolveLs (fast=true only — TF raises "Gradient not defined for fast=False"): with the Cholesky factor L of the
/// regularized Gramian (<c>linalg_ops._RegularizedGramianCholesky</c>: AᴴA + λI for rows ≥ cols, AAᴴ + λI otherwise,
/// λ cast to A's dtype) and <c>cholesky_solve</c> as two triangular solves, the overdetermined case is
/// <c>z = (LLᴴ)⁻¹·g</c>, <c>dA = −A·(X·zᴴ + (X·zᴴ)ᵀ) + B·zᴴ</c>, <c>dB = A·z</c>; the underdetermined one
/// <c>dB = (LLᴴ)⁻¹·A·g</c>, <c>t = (LLᴴ)⁻¹·B</c>, <c>dA = −dB·(tᴴ·A) + t·(g − Aᴴ·dB)ᴴ</c>; λ gets none. TF picks the case
/// by a <c>tf.cond</c> when the matrix dims are not static; we require them static (a clear error otherwise).
/// </para>
/// <para>
/// MatrixSquareRoot: S = √A satisfies dA = S·dS + dS·S, so TF solves the Kronecker system
/// <c>(I ⊗ Sᵀ + S ⊗ I)·vec(dSᵀ) = vec(gᵀ)</c> (row-major vec) with MatrixSolve and transposes back; built here with the
/// same ops (broadcast products of [.., n, 1, n, 1] and [.., 1, n, 1, n] reshapes). The rank and the matrix order must
/// be known statically (for the transposes and n²); batch dims may be dynamic.
/// </para>
/// </summary>
internal static class MatrixFunctionGradients
{
    public static void Register()
    {
        GradientRegistry.Register("MatrixSolveLs", (c, op, g) =>
        {
            var b = c.Builder;
            if (!op.GetBool("fast", true)) throw new NotSupportedException($"Gradient not defined for fast=False ('{op.Name}', MatrixSolveLs).");
            var a = c.In(op, 0);
            var rhs = c.In(op, 1);
            var shape = StaticShapes.Of(b, a);
            if (shape == null || shape.Length < 2 || shape[^1] < 0 || shape[^2] < 0)
                throw new NotSupportedException($"Gradient of '{op.Name}' (MatrixSolveLs) needs statically known matrix dims (TF chooses the over-/underdetermined formula with a tf.cond).");
            int rank = shape.Length;
            var grad = g[0]!.Value;
            var l2 = c.In(op, 2);
            if (a.BaseType != DataType.DtDouble) l2 = b.Cast(l2, a.BaseType, "Cast");
            if (shape[^2] >= shape[^1])
            {
                var chol = RegularizedGramianCholesky(b, a, l2, firstKind: true);
                var z = CholeskySolve(b, chol, grad, "cholesky_solve");
                var x = c.Out(op);
                var xzt = LinalgGradients.Bmm(b, x, z, false, true, "MatMul");
                var zxSym = b.Add(xzt, Transpose(b, xzt, rank, "transpose"), "add");
                var gradA = b.Add(b.Negate(LinalgGradients.Bmm(b, a, zxSym, false, false, "MatMul_1"), "Neg"),
                    LinalgGradients.Bmm(b, rhs, z, false, true, "MatMul_2"), "add_1");
                return [gradA, LinalgGradients.Bmm(b, a, z, false, false, "MatMul_3"), null];
            }
            else
            {
                var chol = RegularizedGramianCholesky(b, a, l2, firstKind: false);
                var gradB = CholeskySolve(b, chol, LinalgGradients.Bmm(b, a, grad, false, false, "MatMul"), "cholesky_solve");
                var tmp = CholeskySolve(b, chol, rhs, "cholesky_solve_1");
                var a1 = b.Negate(LinalgGradients.Bmm(b, gradB, LinalgGradients.Bmm(b, tmp, a, true, false, "MatMul_1"), false, false, "MatMul_2"), "Neg");
                var a2 = b.Subtract(grad, LinalgGradients.Bmm(b, a, gradB, true, false, "MatMul_3"), "sub");
                a2 = LinalgGradients.Bmm(b, tmp, a2, false, true, "MatMul_4");
                return [b.Add(a1, a2, "add"), gradB, null];
            }
        });

        GradientRegistry.Register("MatrixSquareRoot", (c, op, g) =>
        {
            var b = c.Builder;
            var s = c.Out(op);
            var shape = StaticShapes.Of(b, s) ?? StaticShapes.Of(b, c.In(op, 0));
            if (shape == null || shape.Length < 2 || shape[^1] < 0)
                throw new NotSupportedException($"Gradient of '{op.Name}' (MatrixSquareRoot) needs a statically known rank and matrix order.");
            int rank = shape.Length;
            int n = (int)shape[^1];
            var fullShape = b.Shape(s, "Shape");
            var batchShape = b.OutputOf(b.AddOperation("Slice", [fullShape, b.Constant(new[] { 0 }, "Slice/begin"), b.Constant(new[] { rank - 2 }, "Slice/size")], null, "Slice"));
            Output WithBatch(int[] tail, string name) => b.Concat([batchShape, b.Constant(tail, name + "/tail")], 0, name);
            // eye_batch: the identity in every batch slot (TF tiles linalg_ops.eye; a MatrixDiag of ones is the same tensor).
            var eye = b.OutputOf(b.AddOperation("MatrixDiag", [b.OnesLike(b.OutputOf(b.AddOperation("MatrixDiagPart", [s], null, "MatrixDiagPart")), "ones_like")], null, "eye"));
            Output Kronecker(Output b1, Output b2, string name)
            {
                var r1 = b.Reshape(b1, WithBatch([n, 1, n, 1], name + "/shape1"), name + "/Reshape");
                var r2 = b.Reshape(b2, WithBatch([1, n, 1, n], name + "/shape2"), name + "/Reshape_1");
                return b.Reshape(b.Multiply(r1, r2, name + "/mul"), WithBatch([n * n, n * n], name + "/kprod_shape"), name + "/Reshape_2");
            }
            var k1 = Kronecker(eye, Transpose(b, s, rank, "transpose"), "Kronecker");
            var k2 = Kronecker(s, eye, "Kronecker_1");
            var ksum = b.Add(k1, k2, "Add");
            var vecDa = b.Reshape(Transpose(b, g[0]!.Value, rank, "transpose_1"), WithBatch([n * n, 1], "shape_vec_da"), "Reshape");
            var vecDs = b.OutputOf(b.AddOperation("MatrixSolve", [ksum, vecDa], new Dictionary<string, AttrValue> { ["adjoint"] = Attrs.Bool(false) }, "MatrixSolve"));
            var dsT = b.Reshape(vecDs, fullShape, "Reshape_1");
            return [Transpose(b, dsT, rank, "transpose_2")];
        });
    }

    /// <summary>TF's <c>_RegularizedGramianCholesky</c>: cholesky(AᴴA + λI) (first kind) or cholesky(AAᴴ + λI).</summary>
    private static Output RegularizedGramianCholesky(GraphBuilder b, Output a, Output l2, bool firstKind)
    {
        var gramian = LinalgGradients.Bmm(b, a, a, firstKind, !firstKind, "MatMul_gramian");
        var eye = b.OutputOf(b.AddOperation("MatrixDiag", [b.OnesLike(b.OutputOf(b.AddOperation("MatrixDiagPart", [gramian], null, "MatrixDiagPart")), "ones_like")], null, "eye"));
        gramian = b.Add(gramian, b.Multiply(l2, eye, "mul_l2"), "add_l2");
        return b.OutputOf(b.AddOperation("Cholesky", [gramian], null, "Cholesky"));
    }

    /// <summary>TF's <c>cholesky_solve</c>: L·y = rhs, then Lᴴ·x = y.</summary>
    private static Output CholeskySolve(GraphBuilder b, Output chol, Output rhs, string name)
    {
        var y = b.OutputOf(b.AddOperation("MatrixTriangularSolve", [chol, rhs], new Dictionary<string, AttrValue> { ["lower"] = Attrs.Bool(true), ["adjoint"] = Attrs.Bool(false) }, name + "/MatrixTriangularSolve"));
        return b.OutputOf(b.AddOperation("MatrixTriangularSolve", [chol, y], new Dictionary<string, AttrValue> { ["lower"] = Attrs.Bool(true), ["adjoint"] = Attrs.Bool(true) }, name + "/MatrixTriangularSolve_1"));
    }

    /// <summary>Swaps the last two dims of a rank-<paramref name="rank"/> tensor (array_ops.matrix_transpose).</summary>
    private static Output Transpose(GraphBuilder b, Output x, int rank, string name)
    {
        var perm = Enumerable.Range(0, rank).ToArray();
        (perm[^1], perm[^2]) = (perm[^2], perm[^1]);
        return b.Transpose(x, perm, name);
    }
}
