using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>
/// The gradient of Qr, after TF's <c>_QrGrad</c> / <c>_QrGradSquareAndDeepMatrices</c> (linalg_grad.py), for
/// square and tall inputs (rows ≥ cols) with <c>full_matrices=false</c>, or square with either setting:
/// with <c>qdq = Qᴴ·dQ</c>, <c>rdr = R·dRᴴ</c> and <c>M = tril(qdq − qdqᴴ + rdr − rdrᴴ)</c>,
/// <c>dA = Q·(dR + M·R⁻ᴴ) + (dQ − Q·qdq)·R⁻ᴴ</c>. R⁻¹ is a triangular solve of R against an identity shaped like R.
/// TF's wide-matrix branch (rows &lt; cols) is not built here; like TF, tall inputs with <c>full_matrices=true</c>
/// have no gradient.
/// </summary>
internal static class QrGradient
{
    public static void Register() => GradientRegistry.Register("Qr", (c, op, g) =>
    {
        var b = c.Builder;
        var a = c.In(op, 0);
        var shape = StaticShapes.Of(b, a);
        if (shape == null || shape.Length < 2 || shape[^1] < 0 || shape[^2] < 0)
            throw new NotSupportedException($"Gradient of '{op.Name}' (Qr) needs statically known matrix dims.");
        long rows = shape[^2], cols = shape[^1];
        if (rows < cols) throw new NotSupportedException($"Gradient of '{op.Name}' (Qr) for a wide matrix ({rows}x{cols}) is not implemented.");
        if (rows > cols && op.GetBool("full_matrices", false))
            throw new NotSupportedException($"QrGrad not implemented when nrows > ncols and full_matrices is true ('{op.Name}').");
        var q = c.Out(op, 0);
        var r = c.Out(op, 1);
        var dq = g[0] ?? b.ZerosLike(q, "zeros_like");
        var dr = g[1] ?? b.ZerosLike(r, "zeros_like_1");
        var qdq = LinalgGradients.Bmm(b, q, dq, true, false, "MatMul");
        var qdqT = LinalgGradients.Bmm(b, dq, q, true, false, "MatMul_1"); // (Qᴴ·dQ)ᴴ = dQᴴ·Q
        var rdr = LinalgGradients.Bmm(b, r, dr, false, true, "MatMul_2");
        var rdrT = LinalgGradients.Bmm(b, dr, r, false, true, "MatMul_3"); // (R·dRᴴ)ᴴ = dR·Rᴴ
        var sum = b.Add(b.Subtract(qdq, qdqT, "sub"), b.Subtract(rdr, rdrT, "sub_1"), "add");
        var tril = b.OutputOf(b.AddOperation("MatrixBandPart",
            [sum, b.Constant(Tensor.FromScalar(-1L), "MatrixBandPart/num_lower"), b.Constant(Tensor.FromScalar(0L), "MatrixBandPart/num_upper")], null, "MatrixBandPart"));
        var eye = b.OutputOf(b.AddOperation("MatrixDiag",
            [b.OnesLike(b.OutputOf(b.AddOperation("MatrixDiagPart", [r], null, "MatrixDiagPart")), "ones_like")], null, "eye"));
        var rInv = b.OutputOf(b.AddOperation("MatrixTriangularSolve", [r, eye],
            new Dictionary<string, AttrValue> { ["lower"] = Attrs.Bool(false), ["adjoint"] = Attrs.Bool(false) }, "MatrixTriangularSolve"));
        // _TriangularSolve(x, r) = x·R⁻ᴴ.
        var gradA = LinalgGradients.Bmm(b, q, b.Add(dr, LinalgGradients.Bmm(b, tril, rInv, false, true, "MatMul_4"), "add_1"), false, false, "MatMul_5");
        var gradB = LinalgGradients.Bmm(b, b.Subtract(dq, LinalgGradients.Bmm(b, q, qdq, false, false, "MatMul_6"), "sub_2"), rInv, false, true, "MatMul_7");
        return [b.Add(gradA, gradB, "add_2")];
    });
}
