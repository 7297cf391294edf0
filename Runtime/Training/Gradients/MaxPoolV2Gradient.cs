using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>
/// The gradient of MaxPoolV2 (ksize and strides as inputs), after tensorflow/python/ops/nn_grad.py
/// <c>_MaxPoolGradV2</c>. TF emits MaxPoolGradV2(orig_input, orig_output, grad, ksize, strides); this runtime has the
/// MaxPoolGrad kernel, whose values are the same, so the gradient reads the constant ksize/strides inputs into
/// MaxPoolGrad's attrs. Non-constant ksize/strides (which TF allows) are refused with an error naming the node.
/// </summary>
internal static class MaxPoolV2Gradient
{
    public static void Register() => GradientRegistry.Register("MaxPoolV2", (c, op, g) =>
    {
        var b = c.Builder;
        var ksize = StaticShapes.ConstValues(b, op.Inputs[1]);
        var strides = StaticShapes.ConstValues(b, op.Inputs[2]);
        if (ksize == null || strides == null)
            throw new NotSupportedException($"Gradient of '{op.Name}' (MaxPoolV2) needs constant ksize and strides inputs (MaxPoolGradV2 with fed values is not implemented).");
        var attrs = GradientContext.CopyAttrs(op, "padding", "data_format");
        attrs["ksize"] = Attrs.Ints(ksize);
        attrs["strides"] = Attrs.Ints(strides);
        var dx = b.OutputOf(b.AddOperation("MaxPoolGrad", [c.In(op, 0), c.Out(op), g[0]!.Value], attrs, "MaxPoolGrad"));
        return [dx, null, null];
    });
}
