using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>
/// Gradients of the complex ops, after TF's math_grad.py (<c>_RealGrad</c>, <c>_ImagGrad</c>, <c>_ComplexGrad</c>,
/// <c>_ConjGrad</c>, <c>_ComplexAbsGrad</c>, <c>_AngleGrad</c>). TF's convention: for a real loss L and a complex input
/// z = u + iv, the gradient is ∂L/∂u + i·∂L/∂v; the real ops (Mul, Div, MatMul, Exp, Log, …) conjugate their inputs
/// (math_ops.conj, a no-op on real dtypes) so the chain rule keeps that convention (see <see cref="Conj"/>).
/// </summary>
internal static class ComplexGradients
{
    public static void Register()
    {
        // _RealGrad: complex(grad, 0); _ImagGrad: complex(0, grad).
        GradientRegistry.Register("Real", (c, op, g) => [MakeComplex(c, g[0]!.Value, c.Scalar(0, g[0]!.Value), "Complex")]);
        GradientRegistry.Register("Imag", (c, op, g) => [MakeComplex(c, c.Scalar(0, g[0]!.Value), g[0]!.Value, "Complex")]);
        // _ComplexGrad: the real and imaginary parts of grad, each summed back to its input's shape.
        GradientRegistry.Register("Complex", (c, op, g) =>
            c.BroadcastReduce(c.In(op, 0), c.In(op, 1), () => Part(c, "Real", g[0]!.Value), () => Part(c, "Imag", g[0]!.Value)));
        // _ConjGrad: conj(grad).
        GradientRegistry.Register("Conj", (c, op, g) => [Conj(c, g[0]!.Value)]);
        // _ComplexAbsGrad: div_no_nan(complex(grad, 0)·x, complex(|x|, 0)) = grad·x/|x|, 0 at x = 0.
        GradientRegistry.Register("ComplexAbs", (c, op, g) =>
        {
            var b = c.Builder;
            var grad = g[0]!.Value;
            var y = c.Out(op);
            var num = b.Multiply(MakeComplex(c, grad, b.ZerosLike(grad, "zeros_like"), "Complex"), c.In(op, 0), "mul");
            var den = MakeComplex(c, y, b.ZerosLike(y, "zeros_like"), "Complex");
            return [b.Binary("DivNoNan", num, den, "div_no_nan")];
        });
        // _AngleGrad: −complex(grad, 0) · 1/complex(imag x, real x), built after grad (control dependency as TF).
        GradientRegistry.Register("Angle", (c, op, g) =>
        {
            var b = c.Builder;
            var grad = g[0]!.Value;
            var x = c.In(op, 0);
            using (b.ControlDependencies([grad.NodeName]))
            {
                var re = Part(c, "Real", x);
                var im = Part(c, "Imag", x);
                var z = b.Reciprocal(MakeComplex(c, im, re, "Complex"));
                var complexGrad = MakeComplex(c, grad, c.Scalar(0, grad), "Complex_1");
                return [b.Multiply(b.Negate(complexGrad), z, "mul")];
            }
        });
    }

    /// <summary>True for complex64 and complex128.</summary>
    public static bool IsComplex(DataType dtype) => dtype is DataType.DtComplex64 or DataType.DtComplex128;

    /// <summary>math_ops.conj: a Conj node for a complex tensor, the tensor itself otherwise (TF adds no node for real
    /// dtypes, so real gradient graphs keep their layout).</summary>
    public static Output Conj(GradientContext c, Output x, string name = "Conj")
        => IsComplex(x.BaseType) ? c.Builder.OutputOf(c.Builder.AddOperation("Conj", [x], null, name)) : x;

    /// <summary>Real/Imag of x with Tout = the part type (the catalog's default Tout is float).</summary>
    internal static Output Part(GradientContext c, string op, Output x)
        => c.Builder.OutputOf(c.Builder.AddOperation(op, [x],
            new Dictionary<string, AttrValue> { ["Tout"] = Attrs.Type(x.BaseType == DataType.DtComplex128 ? DataType.DtDouble : DataType.DtFloat) }, op));

    /// <summary>Complex(re, im) with Tout from the parts' type.</summary>
    internal static Output MakeComplex(GradientContext c, Output re, Output im, string name)
        => c.Builder.OutputOf(c.Builder.AddOperation("Complex", [re, im],
            new Dictionary<string, AttrValue> { ["Tout"] = Attrs.Type(re.BaseType == DataType.DtDouble ? DataType.DtComplex128 : DataType.DtComplex64) }, name));
}
