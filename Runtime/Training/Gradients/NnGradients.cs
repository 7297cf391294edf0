using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>Gradients of NN ops, after TF's <c>nn_grad.py</c>.</summary>
internal static class NnGradients
{
    public static void Register()
    {
        GradientRegistry.Register("Relu", (c, op, g) => [c.Builder.Binary("ReluGrad", g[0]!.Value, c.Out(op), "ReluGrad")]);
        GradientRegistry.Register("Relu6", (c, op, g) => [c.Builder.Binary("Relu6Grad", g[0]!.Value, c.Out(op), "Relu6Grad")]);
        GradientRegistry.Register("Elu", (c, op, g) => [c.Builder.Binary("EluGrad", g[0]!.Value, c.Out(op), "EluGrad")]);
        GradientRegistry.Register("Selu", (c, op, g) => [c.Builder.Binary("SeluGrad", g[0]!.Value, c.Out(op), "SeluGrad")]);
        GradientRegistry.Register("Softplus", (c, op, g) => [c.Builder.Binary("SoftplusGrad", g[0]!.Value, c.In(op, 0), "SoftplusGrad")]);
        GradientRegistry.Register("BiasAdd", (c, op, g) => [g[0], c.Builder.OutputOf(c.Builder.AddOperation("BiasAddGrad", [g[0]!.Value], GradientContext.CopyAttrs(op, "data_format"), "BiasAddGrad"))]);
        GradientRegistry.Register("Conv2D", (c, op, g) =>
        {
            var b = c.Builder;
            var x = c.In(op, 0);
            var f = c.In(op, 1);
            var shapes = b.AddOperation("ShapeN", [x, f], null, "ShapeN");
            // TF's _Conv2DGrad passes explicit_paddings to both backprop ops (nn_grad.py).
            var attrs = GradientContext.CopyAttrs(op, "dilations", "strides", "padding", "explicit_paddings", "use_cudnn_on_gpu", "data_format");
            var dx = b.OutputOf(b.AddOperation("Conv2DBackpropInput", [b.OutputOf(shapes, 0), f, g[0]!.Value], attrs, "Conv2DBackpropInput"));
            var df = b.OutputOf(b.AddOperation("Conv2DBackpropFilter", [x, b.OutputOf(shapes, 1), g[0]!.Value], attrs, "Conv2DBackpropFilter"));
            return [dx, df];
        });
        GradientRegistry.Register("DepthwiseConv2dNative", (c, op, g) =>
        {
            var b = c.Builder;
            // TF's _DepthwiseConv2dNativeGrad (nn_grad.py): backprop input from shape(input), backprop filter from
            // shape(filter). TF 2.x passes dilations and explicit_paddings too (older versions dropped dilations).
            var attrs = GradientContext.CopyAttrs(op, "dilations", "strides", "padding", "explicit_paddings", "data_format");
            var dx = b.OutputOf(b.AddOperation("DepthwiseConv2dNativeBackpropInput", [b.Shape(c.In(op, 0)), c.In(op, 1), g[0]!.Value], attrs, "DepthwiseConv2dNativeBackpropInput"));
            var df = b.OutputOf(b.AddOperation("DepthwiseConv2dNativeBackpropFilter", [c.In(op, 0), b.Shape(c.In(op, 1)), g[0]!.Value], attrs, "DepthwiseConv2dNativeBackpropFilter"));
            return [dx, df];
        });
        GradientRegistry.Register("MaxPool", (c, op, g) => [c.Builder.OutputOf(c.Builder.AddOperation("MaxPoolGrad", [c.In(op, 0), c.Out(op), g[0]!.Value],
            GradientContext.CopyAttrs(op, "ksize", "strides", "padding", "data_format"), "MaxPoolGrad"))]);
        GradientRegistry.Register("AvgPool", (c, op, g) => [c.Builder.OutputOf(c.Builder.AddOperation("AvgPoolGrad", [c.Builder.Shape(c.In(op, 0)), g[0]!.Value],
            GradientContext.CopyAttrs(op, "ksize", "strides", "padding", "data_format"), "AvgPoolGrad"))]);
        GradientRegistry.Register("Softmax", (c, op, g) =>
        {
            // (grad - sum(grad * softmax, -1, keepdims)) * softmax
            var b = c.Builder;
            var y = c.Out(op);
            var sum = b.ReduceSum(b.Multiply(g[0]!.Value, y, "mul"), [-1], keepDims: true);
            return [b.Multiply(b.Subtract(g[0]!.Value, sum, "sub"), y, "mul")];
        });
        GradientRegistry.Register("LogSoftmax", (c, op, g) =>
        {
            var b = c.Builder;
            var softmax = b.Exp(c.Out(op));
            var sum = b.ReduceSum(g[0]!.Value, [-1], keepDims: true);
            return [b.Subtract(g[0]!.Value, b.Multiply(sum, softmax, "mul"), "sub")];
        });
        GradientRegistry.Register("SoftmaxCrossEntropyWithLogits", (c, op, g) =>
        {
            // TF 1.13: features get grad_loss[:, None] * backprop; labels get grad_loss[:, None] * -log_softmax(logits).
            var b = c.Builder;
            var features = BroadcastMul(b, g[0]!.Value, c.Out(op, 1));
            var labels = BroadcastMul(b, g[0]!.Value, b.Negate(b.LogSoftmax(c.In(op, 0))));
            return [features, labels];
        });
        GradientRegistry.Register("SparseSoftmaxCrossEntropyWithLogits", (c, op, g) =>
        {
            var b = c.Builder;
            var msg = new Dictionary<string, AttrValue> { ["message"] = Attrs.String("Currently there is no way to take the second derivative of sparse_softmax_cross_entropy_with_logits due to the fused implementation's interaction with tf.gradients()") };
            var backprop = b.OutputOf(b.AddOperation("PreventGradient", [c.Out(op, 1)], msg, "PreventGradient"));
            return [BroadcastMul(b, g[0]!.Value, backprop), null];
        });
        GradientRegistry.Register("LRN", (c, op, g) => [c.Builder.OutputOf(c.Builder.AddOperation("LRNGrad", [g[0]!.Value, c.In(op, 0), c.Out(op)],
            GradientContext.CopyAttrs(op, "depth_radius", "bias", "alpha", "beta"), "LRNGrad"))]);
        GradientRegistry.Register("L2Loss", (c, op, g) => [c.Builder.Multiply(c.In(op, 0), g[0]!.Value, "mul")]);
    }

    // TF's _BroadcastMul: vec[:, None] * mat.
    private static Output BroadcastMul(GraphBuilder b, Output vec, Output mat) => b.Multiply(b.ExpandDims(vec, -1), mat, "mul");
}

/// <summary>FusedBatchNorm / FusedBatchNormV3 gradients (TF's <c>_FusedBatchNormGrad</c>).</summary>
internal static class BatchNormGradients
{
    public static void Register()
    {
        GradientRegistry.Register("FusedBatchNorm", (c, op, g) => Grad(c, op, g, "FusedBatchNormGrad", 5));
        GradientRegistry.Register("FusedBatchNormV3", (c, op, g) => Grad(c, op, g, "FusedBatchNormGradV3", 6));
        // TF sends V2 to FusedBatchNormGradV2, which differs from V1's FusedBatchNormGrad only by the U attr that lets x be
        // half with float statistics; there is no V2 grad kernel here, so V2 takes V1's (a half x fails at run time,
        // naming the node).
        GradientRegistry.Register("FusedBatchNormV2", (c, op, g) => Grad(c, op, g, "FusedBatchNormGrad", 5));
    }

    private static Output?[] Grad(GradientContext c, Node op, Output?[] g, string gradOp, int inputs)
    {
        var b = c.Builder;
        bool training = op.GetBool("is_training", true);
        // Training: the batch statistics the forward op saved (reserve spaces 1/2); inference: the population inputs.
        var mean = training ? c.Out(op, 3) : c.In(op, 3);
        var variance = training ? c.Out(op, 4) : c.In(op, 4);
        List<Output> args = [g[0]!.Value, c.In(op, 0), c.In(op, 1), mean, variance];
        if (inputs == 6) args.Add(c.Out(op, 5));
        var node = b.AddOperation(gradOp, args, GradientContext.CopyAttrs(op, "epsilon", "data_format", "is_training"), gradOp);
        return [b.OutputOf(node, 0), b.OutputOf(node, 1), b.OutputOf(node, 2), null, null];
    }
}
