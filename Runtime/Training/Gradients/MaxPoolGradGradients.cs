using TypedGraph.Building;

namespace TypedGraph.Training;

/// <summary>
/// Second- and third-order max-pool gradients, as TF's nn_grad.py: <c>_MaxPoolGradGrad</c> (MaxPoolGrad →
/// <c>MaxPoolGradGrad(orig_input, orig_output, grad)</c>), <c>_MaxPoolGradGradGrad</c> (MaxPoolGradGrad →
/// <c>MaxPoolGrad(orig_input, orig_output, grad)</c>) and their 3-D forms <c>_MaxPool3DGradGrad</c> /
/// <c>_MaxPool3DGradGradGrad</c>; ksize, strides, padding and data_format are copied. The pooling inputs get zeros
/// (TF's zeros_like: the argmax is piecewise constant in them). MaxPoolGradV2's forms are not registered: there is no
/// MaxPoolGradV2 kernel here.
/// </summary>
internal static class MaxPoolGradGradients
{
    private static readonly string[] PoolAttrs = ["ksize", "strides", "padding", "data_format"];

    public static void Register()
    {
        Pair("MaxPoolGrad", "MaxPoolGradGrad");
        Pair("MaxPoolGradGrad", "MaxPoolGrad");
        Pair("MaxPool3DGrad", "MaxPool3DGradGrad");
        Pair("MaxPool3DGradGrad", "MaxPool3DGrad");
    }

    // The gradient of `forward` wrt its third input (a linear map of it) is `backward` on the same window plan.
    private static void Pair(string forward, string backward) => GradientRegistry.Register(forward, (c, op, g) =>
    {
        var b = c.Builder;
        var input = c.In(op, 0);
        var output = c.In(op, 1);
        var grad = b.OutputOf(b.AddOperation(backward, [input, output, g[0]!.Value], GradientContext.CopyAttrs(op, PoolAttrs), backward));
        return [b.ZerosLike(input, "zeros_like"), b.ZerosLike(output, "zeros_like_1"), grad];
    });
}
