using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>
/// Gradients of the 3-D convolution and pooling ops, as TF's <c>ops/nn_grad.py</c> builds them:
/// <c>_Conv3DGrad</c> → <c>Conv3DBackpropInputV2(ShapeN[0], filter, grad)</c> and
/// <c>Conv3DBackpropFilterV2(input, ShapeN[1], grad)</c> (dilations, strides, padding, data_format copied);
/// <c>_MaxPool3DGrad</c> → <c>MaxPool3DGrad(input, output, grad)</c>; <c>_AvgPool3DGrad</c> →
/// <c>AvgPool3DGrad(Shape(input), grad)</c> (ksize, strides, padding, data_format copied); the second-order
/// <c>_Conv3DBackpropInputGrad</c> → (none, <c>Conv3DBackpropFilterV2(grad, Shape(filter), out_backprop)</c>,
/// <c>Conv3D(grad, filter)</c>), <c>_Conv3DBackpropFilterGrad</c> → (<c>Conv3DBackpropInputV2(Shape(input), grad,
/// out_backprop)</c>, none, <c>Conv3D(input, grad)</c>) and <c>_AvgPool3DGradGrad</c> → (none, <c>AvgPool3D(grad)</c>).
/// </summary>
internal static class Nn3DGradients
{
    private static readonly string[] ConvAttrs = ["dilations", "strides", "padding", "data_format"];
    private static readonly string[] PoolAttrs = ["ksize", "strides", "padding", "data_format"];

    public static void Register()
    {
        GradientRegistry.Register("Conv3D", (c, op, g) =>
        {
            var b = c.Builder;
            var x = c.In(op, 0);
            var f = c.In(op, 1);
            var shapes = b.AddOperation("ShapeN", [x, f], null, "ShapeN");
            var dx = Op(c, "Conv3DBackpropInputV2", [b.OutputOf(shapes, 0), f, g[0]!.Value], GradientContext.CopyAttrs(op, ConvAttrs));
            var df = Op(c, "Conv3DBackpropFilterV2", [x, b.OutputOf(shapes, 1), g[0]!.Value], GradientContext.CopyAttrs(op, ConvAttrs));
            return [dx, df];
        });
        GradientRegistry.Register("Conv3DBackpropInputV2", (c, op, g) =>
        {
            var filter = c.In(op, 1);
            var dFilter = Op(c, "Conv3DBackpropFilterV2", [g[0]!.Value, c.ShapeOf(filter), c.In(op, 2)], GradientContext.CopyAttrs(op, ConvAttrs));
            var dOut = Op(c, "Conv3D", [g[0]!.Value, filter], GradientContext.CopyAttrs(op, ConvAttrs));
            return [null, dFilter, dOut];
        });
        GradientRegistry.Register("Conv3DBackpropFilterV2", (c, op, g) =>
        {
            var input = c.In(op, 0);
            var dInput = Op(c, "Conv3DBackpropInputV2", [c.ShapeOf(input), g[0]!.Value, c.In(op, 2)], GradientContext.CopyAttrs(op, ConvAttrs));
            var dOut = Op(c, "Conv3D", [input, g[0]!.Value], GradientContext.CopyAttrs(op, ConvAttrs));
            return [dInput, null, dOut];
        });
        GradientRegistry.Register("MaxPool3D", (c, op, g) =>
            [Op(c, "MaxPool3DGrad", [c.In(op, 0), c.Out(op), g[0]!.Value], GradientContext.CopyAttrs(op, PoolAttrs))]);
        GradientRegistry.Register("AvgPool3D", (c, op, g) =>
            [Op(c, "AvgPool3DGrad", [c.ShapeOf(c.In(op, 0)), g[0]!.Value], GradientContext.CopyAttrs(op, PoolAttrs))]);
        GradientRegistry.Register("AvgPool3DGrad", (c, op, g) =>
            [null, Op(c, "AvgPool3D", [g[0]!.Value], GradientContext.CopyAttrs(op, PoolAttrs))]);
    }

    private static Output Op(GradientContext c, string type, Output[] inputs, Dictionary<string, AttrValue>? attrs)
        => c.Builder.OutputOf(c.Builder.AddOperation(type, inputs, attrs, type));
}
