using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>
/// Gradients of <c>MatrixDeterminant</c> and <c>LogMatrixDeterminant</c>, after TF's linalg_grad.py
/// (<c>_MatrixDeterminantGrad</c>: <c>dA = (g·det)[…, None, None] · A⁻ᴴ</c>; <c>_LogMatrixDeterminantGrad</c>:
/// <c>dA = g_log[…, None, None] · A⁻ᴴ</c>, the sign output carrying no gradient). A⁻ᴴ is
/// <c>MatrixInverse(A, adjoint=true)</c>, so a singular A fails at run time with the inverse's error, as in TF.
/// <para>
/// Complex inputs differ from TF on purpose. With TF's convention (the gradient of a real loss L at z = u + iv is
/// ∂L/∂u + i·∂L/∂v) and d det = det·tr(A⁻¹·dA), the gradient is <c>g·conj(det)·A⁻ᴴ</c>: TF's formula multiplies by det
/// unconjugated, which is right only where det is real (the central-difference test in ComplexGradientTests fails
/// with TF's form; the same fix is ChainRules.jl issue 600 and PyTorch's <c>linalg_det_backward</c>). For
/// LogMatrixDeterminant, log|det| = Re(log det) and sign = det/|det| both move with A: with t = tr(A⁻¹·dA),
/// d log|det| = Re t and d sign = sign·i·Im t, so the gradient is <c>(Re g_log − i·Im(conj(g_sign)·sign))·A⁻ᴴ</c>.
/// TF's <c>g_log·A⁻ᴴ</c> agrees only when g_log is real and the sign is unused. Real dtypes are exactly TF's (the
/// sign is locally constant there).
/// </para>
/// </summary>
internal static class DeterminantGradients
{
    public static void Register()
    {
        GradientRegistry.Register("MatrixDeterminant", (c, op, g) =>
        {
            var b = c.Builder;
            var det = c.Out(op);
            return [Scaled(c, b.Multiply(g[0]!.Value, ComplexGradients.Conj(c, det), "mul"), det, c.In(op, 0))];
        });
        GradientRegistry.Register("LogMatrixDeterminant", (c, op, g) =>
        {
            var a = c.In(op, 0);
            if (!ComplexGradients.IsComplex(a.BaseType))
                return g[1] is Output gLog ? [Scaled(c, gLog, c.Out(op, 1), a)] : [null];
            if (g[0] is null && g[1] is null) return [null];
            var b = c.Builder;
            var logAbs = c.Out(op, 1);
            // Re g_log (zeros when only the sign is used) and −Im(conj(g_sign)·sign) (zeros when only log|det| is used).
            var re = g[1] is Output gl ? ComplexGradients.Part(c, "Real", gl) : ComplexGradients.Part(c, "Real", b.ZerosLike(logAbs, "zeros_like"));
            var im = g[0] is Output gs
                ? b.Negate(ComplexGradients.Part(c, "Imag", b.Multiply(ComplexGradients.Conj(c, gs), c.Out(op, 0), "mul")), "Neg")
                : b.ZerosLike(re, "zeros_like_1");
            return [Scaled(c, ComplexGradients.MakeComplex(c, re, im, "Complex"), logAbs, a)];
        });
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
