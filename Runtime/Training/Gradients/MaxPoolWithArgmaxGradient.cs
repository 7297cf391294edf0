using TypedGraph.Building;

namespace TypedGraph.Training;

/// <summary>
/// nn_grad.py's <c>_MaxPoolGradWithArgmax</c>: the gradient of <c>MaxPoolWithArgmax</c>'s output is
/// <c>MaxPoolGradWithArgmax(input, grad, argmax)</c> with ksize, strides, padding and include_batch_in_index copied; the
/// argmax output carries none.
/// </summary>
internal static class MaxPoolWithArgmaxGradient
{
    public static void Register()
        => GradientRegistry.Register("MaxPoolWithArgmax", (c, op, g) =>
        {
            var grad = g[0] ?? c.Builder.ZerosLike(c.Out(op, 0));
            return [c.Builder.OutputOf(c.Builder.AddOperation("MaxPoolGradWithArgmax", [c.In(op, 0), grad, c.Out(op, 1)],
                GradientContext.CopyAttrs(op, "ksize", "strides", "padding", "include_batch_in_index"), "MaxPoolGradWithArgmax"))];
        });
}
