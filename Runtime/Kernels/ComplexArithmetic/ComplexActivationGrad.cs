using System.Numerics;

namespace TypedGraph.Kernels.ComplexArithmetic;

/// <summary>
/// The complex forms of the (y, dy) backprop kernels (cwise_ops_gradients.h, registered for complex64/complex128 on CPU):
/// SqrtGrad = 0.5·dy / conj(y), RsqrtGrad = −0.5·dy·conj(y)³, ReciprocalGrad/InvGrad = −dy·conj(y)², each 0 where
/// dy = 0 (TF's <c>if (output_gradient == T(0)) return T(0)</c>), TanhGrad = dy·(1 − y²) and SigmoidGrad = dy·y·(1 − y)
/// (no conjugate in the kernel: math_grad.py conjugates y before calling these two).
/// </summary>
internal static class ComplexActivationGrad
{
    /// <summary>True for the backprop ops with a complex form.</summary>
    public static bool Supports(string op) => op is "SqrtGrad" or "RsqrtGrad" or "ReciprocalGrad" or "InvGrad" or "TanhGrad" or "SigmoidGrad";

    /// <summary>z = op(y, dy) elementwise (same shapes, checked by the caller).</summary>
    public static void Run(string op, Tensor y, Tensor dy, Tensor z)
    {
        Func<Complex, Complex, Complex> f = op switch
        {
            "SqrtGrad" => static (y, g) => g == Complex.Zero ? Complex.Zero : ComplexMath.Divide(0.5 * g, Complex.Conjugate(y)),
            "RsqrtGrad" => static (y, g) =>
            {
                if (g == Complex.Zero) return Complex.Zero;
                var c = Complex.Conjugate(y);
                return -0.5 * ComplexMath.Multiply(ComplexMath.Multiply(g, c), ComplexMath.Multiply(c, c));
            },
            "ReciprocalGrad" or "InvGrad" => static (y, g) =>
            {
                if (g == Complex.Zero) return Complex.Zero;
                var c = Complex.Conjugate(y);
                return -ComplexMath.Multiply(ComplexMath.Multiply(c, c), g);
            },
            "TanhGrad" => static (y, g) => ComplexMath.Multiply(g, Complex.One - ComplexMath.Multiply(y, y)),
            "SigmoidGrad" => static (y, g) => ComplexMath.Multiply(ComplexMath.Multiply(g, y), Complex.One - y),
            _ => throw new NotSupportedException($"{op} has no complex form."),
        };
        var a = ComplexData.Read(y);
        var b = ComplexData.Read(dy);
        var d = ComplexData.Target(z);
        for (int i = 0; i < d.Length; i++) d[i] = f(a[i], b[i]);
        ComplexData.Commit(z, d);
    }
}
