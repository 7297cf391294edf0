using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.ComplexArithmetic;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Elementwise;

/// <summary>The elementwise unary ops.</summary>
internal enum UnaryOp
{
    Neg, Abs, Square, Sqrt, Rsqrt, Exp, Log, Log1p, Reciprocal, Tanh, Sigmoid, Relu, Relu6, Elu, Selu,
    Softplus, LeakyRelu, Floor, Ceil, Round, Sign,
    Expm1, Sin, Cos, Tan, Asin, Acos, Atan, Sinh, Cosh, Asinh, Acosh, Atanh, Softsign, Rint,
}

/// <summary>
/// Elementwise unary math and activations (Neg … Sign, Relu/Relu6/Elu/Selu/Softplus/LeakyRelu/Softsign,
/// Expm1, trigonometric and hyperbolic functions, Rint). Float and
/// double go through <see cref="TensorPrimitives"/>; the ops TF also defines on integers (Neg, Abs,
/// Square, Sign, Relu, Relu6, Reciprocal) accept int32/int64 too. Round is half-to-even, as TF's.
/// </summary>
internal sealed class UnaryKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        foreach (var op in Enum.GetValues<UnaryOp>())
            registry.Add(op.ToString(), n => new UnaryKernel(n, op));
        registry.Add("Inv", n => new UnaryKernel(n, UnaryOp.Reciprocal));
    }
}

/// <summary>One elementwise unary node.</summary>
internal sealed class UnaryKernel : OpKernel
{
    private readonly UnaryOp _op;
    private readonly float _alpha;

    public UnaryKernel(Node node, UnaryOp op) : base(node)
    {
        _op = op;
        _alpha = op == UnaryOp.LeakyRelu ? node.GetFloat("alpha", 0.2f) : 0f;
    }

    public override void Compute(OpKernelContext context)
    {
        var x = context.Input(0);
        var y = context.AllocateOutput(0, x.DType, x.Shape);
        long n = x.NumElements;
        switch (x.DType)
        {
            // Static lambdas with the data as state: no closure allocated per run.
            case DataType.DtFloat: Workers.For(n, 1 << 15, (_op, _alpha, x, y), static (st, s, e) => Float(st._op, st._alpha, st.x.AsSpan<float>()[(int)s..(int)e], st.y.AsSpan<float>()[(int)s..(int)e])); break;
            case DataType.DtDouble: Workers.For(n, 1 << 15, (_op, _alpha, x, y), static (st, s, e) => Float(st._op, (double)st._alpha, st.x.AsSpan<double>()[(int)s..(int)e], st.y.AsSpan<double>()[(int)s..(int)e])); break;
            case DataType.DtInt32: Integer(x.AsSpan<int>(), y.AsSpan<int>()); break;
            case DataType.DtInt64: Integer(x.AsSpan<long>(), y.AsSpan<long>()); break;
            case DataType.DtComplex64 or DataType.DtComplex128 when ComplexElementwise.SupportsUnary(Node.Op): ComplexElementwise.Unary(Node.Op, x, y); break;
            default: throw KernelAttrs.BadType(Node, x.DType);
        }
    }

    private static void Float<T>(UnaryOp op, T alpha, ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (op)
        {
            case UnaryOp.Neg: TensorPrimitives.Negate(x, y); break;
            case UnaryOp.Abs: TensorPrimitives.Abs(x, y); break;
            case UnaryOp.Square: TensorPrimitives.Multiply(x, x, y); break;
            case UnaryOp.Sqrt: TensorPrimitives.Sqrt(x, y); break;
            case UnaryOp.Rsqrt: TensorPrimitives.ReciprocalSqrt(x, y); break;
            case UnaryOp.Exp: TensorPrimitives.Exp(x, y); break;
            case UnaryOp.Log: TensorPrimitives.Log(x, y); break;
            case UnaryOp.Log1p: for (int i = 0; i < x.Length; i++) y[i] = AccurateLogP1(x[i]); break;
            case UnaryOp.Reciprocal: TensorPrimitives.Reciprocal(x, y); break;
            case UnaryOp.Tanh: TensorPrimitives.Tanh(x, y); break;
            case UnaryOp.Sigmoid: TensorPrimitives.Sigmoid(x, y); break;
            case UnaryOp.Relu: TensorPrimitives.Max(x, T.Zero, y); break;
            case UnaryOp.Relu6: TensorPrimitives.Clamp(x, T.Zero, T.CreateTruncating(6), y); break;
            case UnaryOp.Floor: TensorPrimitives.Floor(x, y); break;
            case UnaryOp.Ceil: TensorPrimitives.Ceiling(x, y); break;
            case UnaryOp.Round: TensorPrimitives.Round(x, y); break;
            // Elu and Selu compute exp(x) - 1, not expm1: TF's Elu/Selu functors (core/kernels/relu_op_functor.h) write
            // `features.exp() - features.constant(1)`, so a tiny negative x gives exactly what exp(x) - 1 rounds to
            // (Elu(-1e-10f) = 0 in float), and we match TF rather than the more accurate expm1.
            case UnaryOp.Elu: for (int i = 0; i < x.Length; i++) y[i] = x[i] < T.Zero ? T.Exp(x[i]) - T.One : x[i]; break;
            case UnaryOp.Selu:
                {
                    // Constants from TF's Selu functor (relu_op_functor.h; Klambauer et al.).
                    T scale = T.CreateTruncating(1.0507009873554804934193349852946);
                    T scaleAlpha = T.CreateTruncating(1.7580993408473768599402175208123);
                    for (int i = 0; i < x.Length; i++) y[i] = x[i] < T.Zero ? scaleAlpha * (T.Exp(x[i]) - T.One) : scale * x[i];
                    break;
                }
            case UnaryOp.Softplus:
                {
                    // As TF's softplus functor: x itself when large, exp(x) when very negative, else log1p(exp(x)).
                    T eps = typeof(T) == typeof(float) ? T.CreateTruncating(1.1920929e-07f) : T.CreateTruncating(2.220446049250313e-16);
                    T threshold = T.Log(eps) + T.CreateTruncating(2);
                    for (int i = 0; i < x.Length; i++)
                    {
                        T v = x[i];
                        y[i] = v > -threshold ? v : v < threshold ? T.Exp(v) : AccurateLogP1(T.Exp(v));
                    }
                    break;
                }
            case UnaryOp.Expm1: for (int i = 0; i < x.Length; i++) y[i] = AccurateExpM1(x[i]); break;
            case UnaryOp.Sin: TensorPrimitives.Sin(x, y); break;
            case UnaryOp.Cos: TensorPrimitives.Cos(x, y); break;
            case UnaryOp.Tan: TensorPrimitives.Tan(x, y); break;
            case UnaryOp.Asin: TensorPrimitives.Asin(x, y); break;
            case UnaryOp.Acos: TensorPrimitives.Acos(x, y); break;
            case UnaryOp.Atan: TensorPrimitives.Atan(x, y); break;
            case UnaryOp.Sinh: TensorPrimitives.Sinh(x, y); break;
            case UnaryOp.Cosh: TensorPrimitives.Cosh(x, y); break;
            case UnaryOp.Asinh: TensorPrimitives.Asinh(x, y); break;
            case UnaryOp.Acosh: TensorPrimitives.Acosh(x, y); break;
            case UnaryOp.Atanh: TensorPrimitives.Atanh(x, y); break;
            case UnaryOp.Rint: TensorPrimitives.Round(x, y); break; // half to even, like Round
            case UnaryOp.Softsign: for (int i = 0; i < x.Length; i++) y[i] = x[i] / (T.One + T.Abs(x[i])); break;
            case UnaryOp.LeakyRelu: for (int i = 0; i < x.Length; i++) y[i] = x[i] > T.Zero ? x[i] : x[i] * alpha; break;
            case UnaryOp.Sign: for (int i = 0; i < x.Length; i++) y[i] = x[i] > T.Zero ? T.One : x[i] < T.Zero ? -T.One : x[i]; break;
        }
    }

    // .NET's LogP1/ExpM1 are log(1 + x) and exp(x) - 1, which lose every digit for tiny x (log1p(1e-10)
    // gave 0); TF uses accurate ones (Eigen/std::log1p). Goldberg's and Kahan's corrections restore them.
    internal static T AccurateLogP1<T>(T x) where T : IFloatingPointIeee754<T>
    {
        T u = T.One + x;
        if (u == T.One) return x;
        if (T.IsPositiveInfinity(u)) return u;
        return T.Log(u) * (x / (u - T.One));
    }

    internal static T AccurateExpM1<T>(T x) where T : IFloatingPointIeee754<T>
    {
        T u = T.Exp(x);
        if (u == T.One) return x;
        if (T.IsPositiveInfinity(u)) return u;
        T um1 = u - T.One;
        if (um1 == -T.One) return um1;
        return um1 * (x / T.Log(u));
    }

    private void Integer<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IBinaryInteger<T>, ISignedNumber<T>
    {
        switch (_op)
        {
            case UnaryOp.Neg: TensorPrimitives.Negate(x, y); break;
            case UnaryOp.Abs: for (int i = 0; i < x.Length; i++) y[i] = T.IsNegative(x[i]) ? -x[i] : x[i]; break;
            case UnaryOp.Square: TensorPrimitives.Multiply(x, x, y); break;
            case UnaryOp.Relu: TensorPrimitives.Max(x, T.Zero, y); break;
            case UnaryOp.Relu6: TensorPrimitives.Clamp(x, T.Zero, T.CreateTruncating(6), y); break;
            case UnaryOp.Sign: for (int i = 0; i < x.Length; i++) y[i] = T.CreateTruncating(x[i].CompareTo(T.Zero)); break;
            case UnaryOp.Floor or UnaryOp.Ceil or UnaryOp.Round: x.CopyTo(y); break;
            case UnaryOp.Reciprocal:
                for (int i = 0; i < x.Length; i++)
                    y[i] = T.IsZero(x[i]) ? throw Error("Integer division by zero.") : T.One / x[i];
                break;
            default: throw Error($"dtype {DataTypes.Name(DataTypes.Of<T>())} is not supported by {Node.Op}.");
        }
    }
}
