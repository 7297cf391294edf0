using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>
/// The gradient of Qr, after TF's <c>_QrGrad</c> (linalg_grad.py). Square and tall inputs (rows ≥ cols; for tall ones
/// <c>full_matrices=false</c> only) use <c>_QrGradSquareAndDeepMatrices</c>: with <c>qdq = Qᴴ·dQ</c>,
/// <c>rdr = R·dRᴴ</c> and <c>M = tril(qdq − qdqᴴ + rdr − rdrᴴ)</c>, <c>dA = Q·(dR + M·R⁻ᴴ) + (dQ − Q·qdq)·R⁻ᴴ</c>
/// (R⁻¹ is a triangular solve of R against an identity shaped like R). Wide inputs (rows &lt; cols, where Q is
/// rows×rows and R rows×cols whatever <c>full_matrices</c> says) use TF's split A = [X | Y], R = [U | V]: X's
/// gradient is the square case on (Q, U) with <c>dQ + Y·dVᴴ</c> and <c>dU</c>, Y's is <c>Q·dV</c>, concatenated on
/// the last axis. As in TF, tall inputs with <c>full_matrices=true</c> have no gradient, and the matrix dims must be
/// known statically.
/// </summary>
internal static class QrGradient
{
    public static void Register() => GradientRegistry.Register("Qr", (c, op, g) =>
    {
        var b = c.Builder;
        var a = c.In(op, 0);
        var shape = StaticShapes.Of(b, a);
        if (shape == null || shape.Length < 2 || shape[^1] < 0 || shape[^2] < 0)
            throw new NotSupportedException($"QrGrad not implemented with dynamic shapes ('{op.Name}' needs statically known matrix dims).");
        long rows = shape[^2], cols = shape[^1];
        if (rows > cols && op.GetBool("full_matrices", false))
            throw new NotSupportedException($"QrGrad not implemented when nrows > ncols and full_matrices is true ('{op.Name}').");
        var q = c.Out(op, 0);
        var r = c.Out(op, 1);
        var dq = g[0] ?? b.ZerosLike(q, "zeros_like");
        var dr = g[1] ?? b.ZerosLike(r, "zeros_like_1");
        if (rows >= cols) return [SquareAndDeep(b, q, r, dq, dr)];

        // Wide: X = A[..., :, :rows] is square; Y = A[..., :, rows:] enters R only through V = Qᴴ·Y.
        int rank = shape.Length;
        var y = LastAxisSlice(b, a, rank, (int)rows, (int)(cols - rows), "strided_slice");
        var u = LastAxisSlice(b, r, rank, 0, (int)rows, "strided_slice_1");
        var dv = LastAxisSlice(b, dr, rank, (int)rows, (int)(cols - rows), "strided_slice_2");
        var du = LastAxisSlice(b, dr, rank, 0, (int)rows, "strided_slice_3");
        var dy = LinalgGradients.Bmm(b, q, dv, false, false, "MatMul_wide");
        var dx = SquareAndDeep(b, q, u, b.Add(dq, LinalgGradients.Bmm(b, y, dv, false, true, "MatMul_wide_1"), "add_wide"), du);
        return [b.Concat([dx, dy], rank - 1, "concat")];
    });

    /// <summary>TF's <c>_QrGradSquareAndDeepMatrices</c> (rows ≥ cols, reduced factorization).</summary>
    private static Output SquareAndDeep(GraphBuilder b, Output q, Output r, Output dq, Output dr)
    {
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
        return b.Add(gradA, gradB, "add_2");
    }

    /// <summary><c>x[..., :, start:start+size]</c> for a tensor of static rank <paramref name="rank"/>.</summary>
    internal static Output LastAxisSlice(GraphBuilder b, Output x, int rank, int start, int size, string name)
    {
        var begin = new int[rank];
        var sizes = Enumerable.Repeat(-1, rank).ToArray();
        begin[^1] = start;
        sizes[^1] = size;
        return b.Slice(x, b.Constant(begin, name + "/begin"), b.Constant(sizes, name + "/size"), name);
    }
}
