using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>
/// Gradients of <c>MatrixDeterminant</c> and <c>LogMatrixDeterminant</c>, after TF's linalg_grad.py
/// (<c>_MatrixDeterminantGrad</c>: <c>dA = (g·det)[…, None, None] · A⁻ᴴ</c>; <c>_LogMatrixDeterminantGrad</c>:
/// <c>dA = g_log[…, None, None] · A⁻ᴴ</c>, the sign output carrying no gradient). A⁻ᴴ is
/// <c>MatrixInverse(A, adjoint=true)</c>, so a singular A fails at run time with the inverse's error, as in TF.
/// </summary>
internal static class DeterminantGradients
{
    public static void Register()
    {
        GradientRegistry.Register("MatrixDeterminant", (c, op, g) =>
        {
            var b = c.Builder;
            var det = c.Out(op);
            return [Scaled(c, b.Multiply(g[0]!.Value, det, "mul"), det, c.In(op, 0))];
        });
        GradientRegistry.Register("LogMatrixDeterminant", (c, op, g) =>
            g[1] is Output gLog ? [Scaled(c, gLog, c.Out(op, 1), c.In(op, 0))] : [null]);
    }

    /// <summary><c>reshape(multiplier, shape(like) + [1, 1]) · MatrixInverse(a, adjoint=true)</c>.</summary>
    private static Output Scaled(GradientContext c, Output multiplier, Output like, Output a)
    {
        var b = c.Builder;
        var inverse = b.OutputOf(b.AddOperation("MatrixInverse", [a], new Dictionary<string, AttrValue> { ["adjoint"] = Attrs.Bool(true) }, "MatrixInverse"));
        var shape = b.Concat([b.Shape(like, "Shape"), b.Constant(new[] { 1, 1 }, "concat/values_1")], 0, "concat");
        return b.Multiply(b.Reshape(multiplier, shape, "Reshape"), inverse, "mul_1");
    }
}
