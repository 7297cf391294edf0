using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>
/// Gradients of the linear-algebra and diagonal ops, after TF's <c>linalg_grad.py</c> (<c>_MatrixInverseGrad</c>,
/// <c>_MatrixSolveGrad</c>, <c>_CholeskyGrad</c>, <c>_MatrixTriangularSolveGrad</c>) and <c>array_grad.py</c>
/// (<c>_MatrixDiagGrad</c>, <c>_MatrixDiagPartGrad</c>, <c>_MatrixSetDiagGrad</c>, <c>_MatrixBandPartGrad</c>,
/// <c>_DiagGrad</c>, <c>_DiagPartGrad</c>, and their V2/V3 forms). Matrix transposes are folded into BatchMatMul's
/// adjoint flags so no static rank is needed.
/// </summary>
internal static class LinalgGradients
{
    public static void Register()
    {
        GradientRegistry.Register("MatrixInverse", (c, op, g) =>
        {
            // d(A⁻¹) = −A⁻¹·dA·A⁻¹ ⇒ dA = −A⁻ᵀ·g·A⁻ᵀ (adjoint: −A⁻¹ᴴ… with the flags swapped, as TF).
            var b = c.Builder;
            var ainv = c.Out(op);
            bool adjoint = op.GetBool("adjoint", false);
            var inner = Bmm(b, g[0]!.Value, ainv, adjoint, !adjoint, "MatMul");
            return [b.Negate(Bmm(b, ainv, inner, !adjoint, false, "MatMul_1"), "Neg")];
        });
        GradientRegistry.Register("MatrixSolve", (c, op, g) =>
        {
            var b = c.Builder;
            bool adjoint = op.GetBool("adjoint", false);
            var sol = c.Out(op);
            var gradB = b.OutputOf(b.AddOperation("MatrixSolve", [c.In(op, 0), g[0]!.Value], new Dictionary<string, AttrValue> { ["adjoint"] = Attrs.Bool(!adjoint) }, "MatrixSolve"));
            var gradA = adjoint ? Bmm(b, sol, gradB, false, true, "MatMul") : Bmm(b, gradB, sol, false, true, "MatMul");
            return [b.Negate(gradA, "Neg"), gradB];
        });
        GradientRegistry.Register("Cholesky", (c, op, g) =>
        {
            // TF's _CholeskyGrad (Murray 2016): Φ(Lᵀ·g) with Φ taking the lower triangle and halving the diagonal,
            // then dA = ½·L⁻ᵀ·(Φ + Φᵀ)·L⁻¹. L⁻¹ is a triangular solve against an identity shaped like L's batch.
            var b = c.Builder;
            var l = c.Out(op);
            var eye = b.OutputOf(b.AddOperation("MatrixDiag", [b.OnesLike(b.OutputOf(b.AddOperation("MatrixDiagPart", [l], null, "MatrixDiagPart")), "ones_like")], null, "eye"));
            var lInv = b.OutputOf(b.AddOperation("MatrixTriangularSolve", [l, eye], new Dictionary<string, AttrValue> { ["lower"] = Attrs.Bool(true), ["adjoint"] = Attrs.Bool(false) }, "MatrixTriangularSolve"));
            var middle = Bmm(b, l, g[0]!.Value, true, false, "MatMul");
            var halfDiag = b.Multiply(b.OutputOf(b.AddOperation("MatrixDiagPart", [middle], null, "MatrixDiagPart_1")), 0.5, "mul");
            middle = b.OutputOf(b.AddOperation("MatrixSetDiag", [middle, halfDiag], null, "MatrixSetDiag"));
            middle = b.OutputOf(b.AddOperation("MatrixBandPart", [middle, b.Constant(Tensor.FromScalar(-1L), "MatrixBandPart/num_lower"), b.Constant(Tensor.FromScalar(0L), "MatrixBandPart/num_upper")], null, "MatrixBandPart"));
            var a1 = Bmm(b, lInv, Bmm(b, middle, lInv, false, false, "MatMul_1"), true, false, "MatMul_2");
            var a2 = Bmm(b, lInv, Bmm(b, middle, lInv, true, false, "MatMul_3"), true, false, "MatMul_4");
            return [b.Multiply(b.Add(a1, a2, "add"), 0.5, "mul_1")];
        });
        GradientRegistry.Register("MatrixTriangularSolve", (c, op, g) =>
        {
            var b = c.Builder;
            bool adjoint = op.GetBool("adjoint", false), lower = op.GetBool("lower", true);
            var a = c.In(op, 0);
            var rhs = c.In(op, 1);
            var sa = StaticShapes.Of(b, a);
            var sb = StaticShapes.Of(b, rhs);
            // TF unbroadcasts when the batch shapes differ; we support the common case of equal batch dims only.
            if (sa == null || sb == null || sa.Length != sb.Length || !sa[..^2].SequenceEqual(sb[..^2]) || sa[..^2].Any(d => d < 0))
                throw new NotSupportedException($"Gradient of '{op.Name}' (MatrixTriangularSolve) needs matrix and rhs with the same, statically known batch dims.");
            var x = c.Out(op);
            var gradB = b.OutputOf(b.AddOperation("MatrixTriangularSolve", [a, g[0]!.Value], new Dictionary<string, AttrValue> { ["lower"] = Attrs.Bool(lower), ["adjoint"] = Attrs.Bool(!adjoint) }, "MatrixTriangularSolve"));
            var gradA = b.Negate(adjoint ? Bmm(b, x, gradB, false, true, "MatMul") : Bmm(b, gradB, x, false, true, "MatMul"), "Neg");
            gradA = b.OutputOf(b.AddOperation("MatrixBandPart", [gradA, b.Constant(Tensor.FromScalar<long>(lower ? -1L : 0L), "MatrixBandPart/num_lower"), b.Constant(Tensor.FromScalar<long>(lower ? 0L : -1L), "MatrixBandPart/num_upper")], null, "MatrixBandPart"));
            return [gradA, gradB];
        });

        GradientRegistry.Register("Diag", (c, op, g) => [Op(c, "DiagPart", [g[0]!.Value])]);
        GradientRegistry.Register("DiagPart", (c, op, g) => [Op(c, "Diag", [g[0]!.Value])]);
        GradientRegistry.Register("MatrixDiag", (c, op, g) => [Op(c, "MatrixDiagPart", [g[0]!.Value])]);
        GradientRegistry.Register("MatrixDiagPart", (c, op, g) => [Op(c, "MatrixSetDiag", [c.Builder.ZerosLike(c.In(op, 0)), g[0]!.Value])]);
        GradientRegistry.Register("MatrixSetDiag", (c, op, g) =>
            [Op(c, "MatrixSetDiag", [g[0]!.Value, c.Builder.ZerosLike(c.In(op, 1))]), Op(c, "MatrixDiagPart", [g[0]!.Value])]);
        GradientRegistry.Register("MatrixBandPart", (c, op, g) => [Op(c, "MatrixBandPart", [g[0]!.Value, c.In(op, 1), c.In(op, 2)]), null, null]);
        foreach (var v in new[] { "V2", "V3" })
        {
            string suffix = v;
            var align = suffix == "V3" ? new[] { "align" } : [];
            GradientRegistry.Register("MatrixDiag" + suffix, (c, op, g) =>
                [Op(c, "MatrixDiagPart" + suffix, [g[0]!.Value, c.In(op, 1), c.Scalar(0, g[0]!.Value, "padding")], GradientContext.CopyAttrs(op, align)), null, null, null, null]);
            GradientRegistry.Register("MatrixDiagPart" + suffix, (c, op, g) =>
                [Op(c, "MatrixSetDiag" + suffix, [c.Builder.ZerosLike(c.In(op, 0)), g[0]!.Value, c.In(op, 1)], GradientContext.CopyAttrs(op, align)), null, null]);
            GradientRegistry.Register("MatrixSetDiag" + suffix, (c, op, g) =>
            [
                Op(c, "MatrixSetDiag" + suffix, [g[0]!.Value, c.Builder.ZerosLike(c.In(op, 1)), c.In(op, 2)], GradientContext.CopyAttrs(op, align)),
                Op(c, "MatrixDiagPart" + suffix, [g[0]!.Value, c.In(op, 2), c.Scalar(0, g[0]!.Value, "padding")], GradientContext.CopyAttrs(op, align)),
                null,
            ]);
        }
    }

    /// <summary>A BatchMatMul with adjoint flags (rank ≥ 2, same batch dims).</summary>
    internal static Output Bmm(GraphBuilder b, Output x, Output y, bool adjX, bool adjY, string name) => b.BatchMatMul(x, y, adjX, adjY, name);

    private static Output Op(GradientContext c, string type, Output[] inputs, Dictionary<string, AttrValue>? attrs = null)
        => c.Builder.OutputOf(c.Builder.AddOperation(type, inputs, attrs, type));
}
