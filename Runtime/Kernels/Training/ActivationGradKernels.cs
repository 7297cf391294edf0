using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Training;

/// <summary>
/// Backprops of elementwise activations and unary math (TF's <c>cwise_op_*_grad</c> / <c>relu_op.h</c>):
/// ReluGrad, Relu6Grad, EluGrad, SeluGrad, SoftplusGrad take (gradients, features|outputs); SigmoidGrad,
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
        registry.Add("ReluGrad", n => new GradKernel(n, static (g, x) => x > 0 ? g : 0));
        registry.Add("Relu6Grad", n => new GradKernel(n, static (g, x) => x > 0 && x < 6 ? g : 0));
        registry.Add("EluGrad", n => new GradKernel(n, static (g, y) => y < 0 ? g * (y + 1) : g));
        registry.Add("SeluGrad", n => new GradKernel(n, static (g, y) => y < 0 ? g * (y + SeluScale * SeluAlpha) : g * SeluScale));
        registry.Add("SoftplusGrad", n => new GradKernel(n, static (g, x) => g / (1 + Math.Exp(-x))));
        // (y, dy) → dx
        registry.Add("SigmoidGrad", n => new GradKernel(n, static (y, dy) => dy * y * (1 - y)));
        registry.Add("TanhGrad", n => new GradKernel(n, static (y, dy) => dy * (1 - y * y)));
        registry.Add("SqrtGrad", n => new GradKernel(n, static (y, dy) => dy * 0.5 / y));
        registry.Add("RsqrtGrad", n => new GradKernel(n, static (y, dy) => dy * -0.5 * y * y * y));
        registry.Add(["ReciprocalGrad", "InvGrad"], n => new GradKernel(n, static (y, dy) => -dy * y * y));
    }

    private sealed class GradKernel(Node node, Func<double, double, double> f) : OpKernel(node)
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
                    Workers.For(a.NumElements, 1 << 14, (s, e) =>
                    {
                        var pa = a.AsSpan<float>();
                        var pb = b.AsSpan<float>();
                        var py = y.AsSpan<float>();
                        for (long i = s; i < e; i++) py[(int)i] = (float)f(pa[(int)i], pb[(int)i]);
                    });
                    break;
                case DataType.DtDouble:
                {
                    var pa = a.AsSpan<double>();
                    var pb = b.AsSpan<double>();
                    var py = y.AsSpan<double>();
                    for (int i = 0; i < pa.Length; i++) py[i] = f(pa[i], pb[i]);
                    break;
                }
                default: throw KernelAttrs.BadType(Node, a.DType);
            }
        }
    }
}
