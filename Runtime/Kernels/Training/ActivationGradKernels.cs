using System.Runtime.Intrinsics;
using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.ComplexArithmetic;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Training;

/// <summary>
/// Backprops of elementwise activations and unary math (TF's <c>cwise_op_*_grad</c> / <c>relu_op.h</c>):
/// ReluGrad, Relu6Grad, LeakyReluGrad, EluGrad, SeluGrad, SoftplusGrad take (gradients, features|outputs); SigmoidGrad,
/// TanhGrad, SqrtGrad, RsqrtGrad, ReciprocalGrad, InvGrad take (y, dy). Float and double; both inputs
/// must have the same shape (TF does not broadcast these).
/// </summary>
internal sealed class ActivationGradKernels : KernelSet
{
    // SELU constants from TF's selu_op (Klambauer et al.).
    private const double SeluScale = 1.0507009873554804934193349852946;
    private const double SeluAlpha = 1.6732632423543772848170429916717;

    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        // (g, x) → dx
        // TF multiplies by the mask (relu_op_functor.h: gradients * (features > 0)), so an infinite or NaN gradient where
        // the feature is ≤ 0 gives NaN, not 0.
        registry.Add("ReluGrad", n => new GradKernel<ReluGradOp>(n, static (g, x) => g * (x > 0 ? 1 : 0)));
        registry.Add("Relu6Grad", n => new GradKernel<Relu6GradOp>(n, static (g, x) => g * (x > 0 && x < 6 ? 1 : 0)));
        // relu_op_functor.h LeakyReluGrad: (features > 0).select(gradients, gradients * alpha); alpha is a float attr, and a
        // float·float product is exact in double, so the double path rounds to the same float.
        registry.Add("LeakyReluGrad", n => { double alpha = n.GetFloat("alpha", 0.2f); return new GradKernel(n, (g, x) => x > 0 ? g : g * alpha); });
        registry.Add("EluGrad", n => new GradKernel(n, static (g, y) => y < 0 ? g * (y + 1) : g));
        registry.Add("SeluGrad", n => new GradKernel(n, static (g, y) => y < 0 ? g * (y + SeluScale * SeluAlpha) : g * SeluScale));
        registry.Add("SoftplusGrad", n => new GradKernel(n, static (g, x) => g / (1 + Math.Exp(-x))));
        // (y, dy) → dx
        registry.Add("SigmoidGrad", n => new GradKernel<SigmoidGradOp>(n, static (y, dy) => dy * y * (1 - y)));
        registry.Add("TanhGrad", n => new GradKernel<TanhGradOp>(n, static (y, dy) => dy * (1 - y * y)));
        registry.Add("SqrtGrad", n => new GradKernel(n, static (y, dy) => dy * 0.5 / y));
        registry.Add("RsqrtGrad", n => new GradKernel(n, static (y, dy) => dy * -0.5 * y * y * y));
        registry.Add(["ReciprocalGrad", "InvGrad"], n => new GradKernel(n, static (y, dy) => -dy * y * y));
    }

    /// <summary>A float backprop evaluated in float, in TF's operation order, 8 lanes at a time (the double path of
    /// <see cref="GradKernel"/> would round differently in the last bit and costs a delegate call per element).</summary>
    private interface IFloatGrad
    {
        static abstract float Apply(float a, float b);

        static abstract Vector256<float> Apply(Vector256<float> a, Vector256<float> b);
    }

    // cwise_ops_gradients.h scalar_sigmoid_gradient_op: output_gradient * output * (1 - output).
    private readonly struct SigmoidGradOp : IFloatGrad
    {
        public static float Apply(float y, float dy) => dy * y * (1 - y);

        public static Vector256<float> Apply(Vector256<float> y, Vector256<float> dy) => dy * y * (Vector256<float>.One - y);
    }

    // cwise_ops_gradients.h scalar_tanh_gradient_op: output_gradient * (1 - output * output).
    private readonly struct TanhGradOp : IFloatGrad
    {
        public static float Apply(float y, float dy) => dy * (1 - y * y);

        public static Vector256<float> Apply(Vector256<float> y, Vector256<float> dy) => dy * (Vector256<float>.One - y * y);
    }

    // relu_op_functor.h ReluGrad: gradients * (features > 0).
    private readonly struct ReluGradOp : IFloatGrad
    {
        public static float Apply(float g, float x) => g * (x > 0 ? 1f : 0f);

        public static Vector256<float> Apply(Vector256<float> g, Vector256<float> x)
            => g * (Vector256.GreaterThan(x, Vector256<float>.Zero) & Vector256<float>.One);
    }

    // relu_op_functor.h Relu6Grad: gradients * ((features > 0) * (features < 6)).
    private readonly struct Relu6GradOp : IFloatGrad
    {
        public static float Apply(float g, float x) => g * (x > 0 && x < 6 ? 1f : 0f);

        public static Vector256<float> Apply(Vector256<float> g, Vector256<float> x)
            => g * (Vector256.GreaterThan(x, Vector256<float>.Zero) & Vector256.LessThan(x, Vector256.Create(6f)) & Vector256<float>.One);
    }

    private sealed class GradKernel<TFloat>(Node node, Func<double, double, double> f) : GradKernel(node, f) where TFloat : IFloatGrad
    {
        private const int Grain = 1 << 14;

        protected override void ComputeFloat(Tensor a, Tensor b, Tensor y)
        {
            long n = a.NumElements;
            if (n <= Grain) Apply(a.AsSpan<float>(), b.AsSpan<float>(), y.AsSpan<float>());
            else Workers.For(n, Grain, (a, b, y), static (t, s, e) =>
                Apply(t.a.AsSpan<float>()[(int)s..(int)e], t.b.AsSpan<float>()[(int)s..(int)e], t.y.AsSpan<float>()[(int)s..(int)e]));
        }

        private static void Apply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y)
        {
            int i = 0;
            for (; i + 8 <= a.Length; i += 8)
                TFloat.Apply(Vector256.Create(a.Slice(i, 8)), Vector256.Create(b.Slice(i, 8))).CopyTo(y.Slice(i, 8));
            for (; i < a.Length; i++) y[i] = TFloat.Apply(a[i], b[i]);
        }
    }

    private class GradKernel(Node node, Func<double, double, double> f) : OpKernel(node)
    {
        public override void Compute(OpKernelContext context)
        {
            var a = context.Input(0);
            var b = context.Input(1);
            if (a.DType != b.DType) throw Error($"inputs are {DataTypes.Name(a.DType)} and {DataTypes.Name(b.DType)}; they must match.");
            if (a.Shape != b.Shape) throw Error($"inputs must have the same shape, got {a.Shape} and {b.Shape}.");
            var y = context.AllocateOutput(0, a.DType, a.Shape);
            switch (a.DType)
            {
                case DataType.DtFloat:
                    ComputeFloat(a, b, y);
                    break;
                case DataType.DtDouble:
                {
                    var pa = a.AsSpan<double>();
                    var pb = b.AsSpan<double>();
                    var py = y.AsSpan<double>();
                    for (int i = 0; i < pa.Length; i++) py[i] = f(pa[i], pb[i]);
                    break;
                }
                case DataType.DtComplex64 or DataType.DtComplex128 when ComplexActivationGrad.Supports(Node.Op):
                    ComplexActivationGrad.Run(Node.Op, a, b, y);
                    break;
                default: throw KernelAttrs.BadType(Node, a.DType);
            }
        }

        protected virtual void ComputeFloat(Tensor a, Tensor b, Tensor y)
            => Workers.For(a.NumElements, 1 << 14, (s, e) =>
            {
                var pa = a.AsSpan<float>();
                var pb = b.AsSpan<float>();
                var py = y.AsSpan<float>();
                for (long i = s; i < e; i++) py[(int)i] = (float)f(pa[(int)i], pb[(int)i]);
            });
    }
}
