using System.Numerics;
using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.ComplexArithmetic;

/// <summary>
/// The complex64/complex128 forms of the elementwise ops TF registers on complex types on CPU (cwise_op_*.cc: Add,
/// AddV2, Sub, Mul, Div, RealDiv, DivNoNan, MulNoNan, Pow, SquaredDifference, Xlogy, Xdivy; Neg, Square, Reciprocal/Inv,
/// Sqrt, Rsqrt, Exp, Log, Log1p, Expm1, Sin, Cos, Tan, Sinh, Cosh, Tanh, Sigmoid, Sign; Equal, NotEqual; AddN). The real
/// kernels (Elementwise/*) hand complex inputs here, so one op type keeps one kernel; broadcasting is TF's (BCast).
/// </summary>
internal static class ComplexElementwise
{
    /// <summary>True when TF defines binary op <paramref name="op"/> on complex types.</summary>
    public static bool SupportsBinary(string op) => op is "Add" or "AddV2" or "Sub" or "Mul" or "Div" or "RealDiv"
        or "DivNoNan" or "MulNoNan" or "Pow" or "SquaredDifference" or "Xlogy" or "Xdivy";

    /// <summary>True when TF defines unary op <paramref name="op"/> on complex types.</summary>
    public static bool SupportsUnary(string op) => op is "Neg" or "Square" or "Reciprocal" or "Inv" or "Sqrt" or "Rsqrt"
        or "Exp" or "Log" or "Log1p" or "Expm1" or "Sin" or "Cos" or "Tan" or "Sinh" or "Cosh" or "Tanh" or "Sigmoid" or "Sign";

    private static Func<Complex, Complex, Complex> BinaryFunction(string op) => op switch
    {
        "Add" or "AddV2" => static (x, y) => x + y,
        "Sub" => static (x, y) => x - y,
        "Mul" => ComplexMath.Multiply,
        "Div" or "RealDiv" => ComplexMath.Divide,
        // cwise_ops.h div_no_nan_op<T, IsComplex=true>: 0 when b == 0 or a·conj(b) == 0 (|b|² may underflow), else a / b.
        "DivNoNan" => static (x, y) => y == Complex.Zero || ComplexMath.Multiply(x, Complex.Conjugate(y)) == Complex.Zero ? Complex.Zero : ComplexMath.Divide(x, y),
        // cwise_ops.h mul_no_nan_op (no_nan_op): 0 when b == 0, else a·b.
        "MulNoNan" => static (x, y) => y == Complex.Zero ? Complex.Zero : ComplexMath.Multiply(x, y),
        "Pow" => ComplexMath.Pow,
        // cwise_ops.h scalar_squared_difference_op: v·conj(v) with v = a − b, i.e. |a − b|² + 0i (not (a − b)²).
        "SquaredDifference" => static (x, y) => { var v = x - y; return new Complex(v.Real * v.Real + v.Imaginary * v.Imaginary, 0); },
        // cwise_ops.h xlogy_op / xdivy_op: 0 when x == 0, else x·log y / x / y.
        "Xlogy" => static (x, y) => x == Complex.Zero ? Complex.Zero : ComplexMath.Multiply(x, ComplexMath.Log(y)),
        "Xdivy" => static (x, y) => x == Complex.Zero ? Complex.Zero : ComplexMath.Divide(x, y),
        _ => throw new NotSupportedException($"{op} is not defined on complex types."),
    };

    private static Func<Complex, Complex> UnaryFunction(string op) => op switch
    {
        "Neg" => static z => -z,
        "Square" => static z => ComplexMath.Multiply(z, z),
        // scalar_inverse_op: 1 / z through the same complex division as Div.
        "Reciprocal" or "Inv" => static z => ComplexMath.Divide(Complex.One, z),
        "Sqrt" => ComplexMath.Sqrt,
        "Rsqrt" => ComplexMath.Rsqrt,
        "Exp" => ComplexMath.Exp,
        "Log" => ComplexMath.Log,
        "Log1p" => ComplexMath.Log1p,
        "Expm1" => ComplexMath.Expm1,
        "Sin" => Complex.Sin,
        "Cos" => Complex.Cos,
        "Tan" => Complex.Tan,
        "Sinh" => Complex.Sinh,
        "Cosh" => Complex.Cosh,
        "Tanh" => Complex.Tanh,
        "Sigmoid" => ComplexMath.Sigmoid,
        "Sign" => ComplexMath.Sign,
        _ => throw new NotSupportedException($"{op} is not defined on complex types."),
    };

    /// <summary>output = op(a, b) with broadcasting; output is allocated by the caller with a's complex dtype and the
    /// broadcast shape (see <see cref="SupportsBinary"/> for the ops).</summary>
    public static void Binary(string op, Tensor a, Tensor b, Tensor output)
    {
        var f = BinaryFunction(op);
        var d = ComplexData.Target(output);
        Broadcasted(ComplexData.Read(a), a.Shape, ComplexData.Read(b), b.Shape, output.Shape, d, f);
        ComplexData.Commit(output, d);
    }

    /// <summary>y = op(x) elementwise (see <see cref="SupportsUnary"/> for the ops).</summary>
    public static void Unary(string op, Tensor x, Tensor y)
    {
        var f = UnaryFunction(op);
        var s = ComplexData.Read(x);
        var d = ComplexData.Target(y);
        for (int i = 0; i < s.Length; i++) d[i] = f(s[i]);
        ComplexData.Commit(y, d);
    }

    /// <summary>Equal (<paramref name="equal"/>) or NotEqual into a bool output of the broadcast shape: both parts
    /// compared (std::complex ==), so a NaN part makes the values unequal.</summary>
    public static void Compare(bool equal, Tensor a, Tensor b, Tensor output)
    {
        var d = output.AsSpan<bool>();
        var result = new Complex[d.Length];
        Broadcasted(ComplexData.Read(a), a.Shape, ComplexData.Read(b), b.Shape, output.Shape, result,
            static (x, y) => x.Real == y.Real && x.Imaginary == y.Imaginary ? Complex.One : Complex.Zero);
        for (int i = 0; i < d.Length; i++) d[i] = (result[i].Real == 1) == equal;
    }

    /// <summary>AddN: the elementwise sum of same-shaped complex inputs, added in input order.</summary>
    public static void AddN(IReadOnlyList<Tensor> inputs, Tensor output)
    {
        var d = ComplexData.Target(output);
        ComplexData.Read(inputs[0]).CopyTo(d);
        for (int k = 1; k < inputs.Count; k++)
        {
            var s = ComplexData.Read(inputs[k]);
            for (int i = 0; i < d.Length; i++) d[i] += s[i];
        }
        ComplexData.Commit(output, d);
    }

    /// <summary>d[i] = f(a[ia], b[ib]) over the broadcast of the two shapes (TF's BCast: trailing dims aligned, 1s stretched).</summary>
    internal static void Broadcasted(ReadOnlySpan<Complex> a, TensorShape aShape, ReadOnlySpan<Complex> b, TensorShape bShape,
        TensorShape outShape, Span<Complex> d, Func<Complex, Complex, Complex> f)
    {
        if (d.IsEmpty) return;
        if (a.Length == d.Length && b.Length == d.Length)
        {
            for (int i = 0; i < d.Length; i++) d[i] = f(a[i], b[i]);
            return;
        }
        var plan = BroadcastPlan.Create(outShape, aShape, bShape);
        int len = plan.InnerLength;
        bool ar = plan.InnerContiguous(0), br = plan.InnerContiguous(1);
        Span<long> offs = stackalloc long[2];
        for (long r = 0; r < plan.Rows; r++)
        {
            plan.RowOffsets(r, offs);
            int ao = (int)offs[0], bo = (int)offs[1], o = (int)(r * len);
            for (int j = 0; j < len; j++) d[o + j] = f(a[ar ? ao + j : ao], b[br ? bo + j : bo]);
        }
    }
}
