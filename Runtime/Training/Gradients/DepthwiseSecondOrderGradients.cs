using TypedGraph.Building;

namespace TypedGraph.Training;

/// <summary>
/// Second-order gradients through the depthwise convolution's backprop ops (a depthwise conv2d_transpose, or the
/// gradient of a depthwise layer differentiated again), as tensorflow/python/ops/nn_grad.py:
/// <c>_DepthwiseConv2dNativeBackpropInputGrad</c>: (none, DepthwiseConv2dNativeBackpropFilter(g, shape(filter), dy),
/// DepthwiseConv2dNative(g, filter)); <c>_DepthwiseConv2dNativeBackpropFilterGrad</c>:
/// (DepthwiseConv2dNativeBackpropInput(shape(x), g, dy), none, DepthwiseConv2dNative(x, g)) — dilations, strides,
/// padding, explicit_paddings and data_format copied from the op.
/// </summary>
internal static class DepthwiseSecondOrderGradients
{
    private static readonly string[] ConvAttrs = ["dilations", "strides", "padding", "explicit_paddings", "data_format"];

    public static void Register()
    {
        GradientRegistry.Register("DepthwiseConv2dNativeBackpropInput", (c, n, g) =>
        {
            var b = c.Builder;
            var filter = c.In(n, 1);
            var dFilter = b.OutputOf(b.AddOperation("DepthwiseConv2dNativeBackpropFilter", [g[0]!.Value, b.Shape(filter, "Shape"), c.In(n, 2)],
                GradientContext.CopyAttrs(n, ConvAttrs), "DepthwiseConv2dNativeBackpropFilter"));
            var dOut = b.OutputOf(b.AddOperation("DepthwiseConv2dNative", [g[0]!.Value, filter], GradientContext.CopyAttrs(n, ConvAttrs), "DepthwiseConv2dNative"));
            return [null, dFilter, dOut];
        });
        GradientRegistry.Register("DepthwiseConv2dNativeBackpropFilter", (c, n, g) =>
        {
            var b = c.Builder;
            var input = c.In(n, 0);
            var dInput = b.OutputOf(b.AddOperation("DepthwiseConv2dNativeBackpropInput", [b.Shape(input, "Shape"), g[0]!.Value, c.In(n, 2)],
                GradientContext.CopyAttrs(n, ConvAttrs), "DepthwiseConv2dNativeBackpropInput"));
            var dOut = b.OutputOf(b.AddOperation("DepthwiseConv2dNative", [input, g[0]!.Value], GradientContext.CopyAttrs(n, ConvAttrs), "DepthwiseConv2dNative"));
            return [dInput, null, dOut];
        });
    }
}
