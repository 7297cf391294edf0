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
            // TF's _MatrixTriangularSolveGrad: an adjoint solve for rhs, −gradB·Xᴴ (or −X·gradBᴴ) banded for the matrix,
            // then each summed over the batch dims it was broadcast along (the kernel broadcasts batch dims). The
            // products are BatchMatMulV2 so they broadcast like the kernel; adjoint flags make them TF's complex ones.
            var b = c.Builder;
            bool adjoint = op.GetBool("adjoint", false), lower = op.GetBool("lower", true);
            var a = c.In(op, 0);
            var rhs = c.In(op, 1);
            var x = c.Out(op);
            var gradB = b.OutputOf(b.AddOperation("MatrixTriangularSolve", [a, g[0]!.Value], new Dictionary<string, AttrValue> { ["lower"] = Attrs.Bool(lower), ["adjoint"] = Attrs.Bool(!adjoint) }, "MatrixTriangularSolve"));
            var product = adjoint ? BmmV2(b, x, gradB, false, true, "MatMul") : BmmV2(b, gradB, x, false, true, "MatMul");
            var gradA = b.Negate(product, "Neg");
            gradA = b.OutputOf(b.AddOperation("MatrixBandPart", [gradA, b.Constant(Tensor.FromScalar<long>(lower ? -1L : 0L), "MatrixBandPart/num_lower"), b.Constant(Tensor.FromScalar<long>(lower ? 0L : -1L), "MatrixBandPart/num_upper")], null, "MatrixBandPart"));
            var sa = StaticShapes.Of(b, a);
            var sb = StaticShapes.Of(b, rhs);
            if (sa != null && sb != null && sa.All(d => d >= 0) && sb.All(d => d >= 0) && sa[..^2].SequenceEqual(sb[..^2]))
                return [gradA, gradB];
            return [.. UnbroadcastBatch(c, gradA, a, gradB, rhs)];
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

    /// <summary>
    /// Sums <paramref name="gradX"/> and <paramref name="gradY"/> over the batch dims (all but the last two) along which
    /// <paramref name="x"/> and <paramref name="y"/> were broadcast against each other, and reshapes each to its input's
    /// shape: linalg_grad.py's <c>broadcast_gradient_args(shape(a)[:-2], shape(b)[:-2])</c> idiom.
    /// </summary>
    internal static Output[] UnbroadcastBatch(GradientContext c, Output gradX, Output x, Output gradY, Output y)
    {
        var b = c.Builder;
        var shapeX = b.Shape(x, "Shape");
        var shapeY = b.Shape(y, "Shape_1");
        var args = b.AddOperation("BroadcastGradientArgs", [BatchDims(b, shapeX, "strided_slice"), BatchDims(b, shapeY, "strided_slice_1")], null, "BroadcastGradientArgs");
        var rx = b.Reshape(b.OutputOf(b.AddOperation("Sum", [gradX, b.OutputOf(args, 0)], null, "Sum")), shapeX, "Reshape");
        var ry = b.Reshape(b.OutputOf(b.AddOperation("Sum", [gradY, b.OutputOf(args, 1)], null, "Sum_1")), shapeY, "Reshape_1");
        return [rx, ry];
    }

    // shape[:-2] of a shape vector.
    private static Output BatchDims(GraphBuilder b, Output shape, string name)
        => b.OutputOf(b.AddOperation("StridedSlice", [shape, b.Constant(new[] { 0 }, name + "/stack"), b.Constant(new[] { -2 }, name + "/stack_1"), b.Constant(new[] { 1 }, name + "/stack_2")],
            new Dictionary<string, AttrValue> { ["begin_mask"] = new AttrValue { I = 1 } }, name));

    /// <summary>A BatchMatMulV2 (batch dims broadcast) with adjoint flags.</summary>
    internal static Output BmmV2(GraphBuilder b, Output x, Output y, bool adjX, bool adjY, string name)
        => b.OutputOf(b.AddOperation("BatchMatMulV2", [x, y], new Dictionary<string, AttrValue> { ["adj_x"] = Attrs.Bool(adjX), ["adj_y"] = Attrs.Bool(adjY) }, name));

    /// <summary>A BatchMatMul with adjoint flags (rank ≥ 2, same batch dims).</summary>
    internal static Output Bmm(GraphBuilder b, Output x, Output y, bool adjX, bool adjY, string name) => b.BatchMatMul(x, y, adjX, adjY, name);

    private static Output Op(GradientContext c, string type, Output[] inputs, Dictionary<string, AttrValue>? attrs = null)
        => c.Builder.OutputOf(c.Builder.AddOperation(type, inputs, attrs, type));
}
