using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>
/// Gradients of the TensorArray v3 ops, after TF's tensor_array_grad.py: the gradient of a TensorArray is another
/// TensorArray (<c>TensorArrayGradV3</c>, keyed by the gradient scope, <c>gradients</c> / <c>gradients_1</c>…) that
/// receives a write where the forward array was read, and is read where it was written. The flow tensors carry the
/// ordering (the <c>write_barrier</c> makes the gradient array wait for the forward write).
/// </summary>
internal static class TensorArrayGradients
{
    public static void Register()
    {
        GradientRegistry.Register("TensorArrayReadV3", ReadGrad);
        GradientRegistry.Register("TensorArrayWriteV3", WriteGrad);
        GradientRegistry.Register("TensorArrayGatherV3", GatherGrad);
        GradientRegistry.Register("TensorArrayScatterV3", ScatterGrad);
        GradientRegistry.Register("TensorArrayConcatV3", ConcatGrad);
        GradientRegistry.Register("TensorArraySplitV3", SplitGrad);
        GradientRegistry.NotDifferentiable("TensorArrayV3", "TensorArrayGradV3", "TensorArraySizeV3", "TensorArrayCloseV3",
            "StackV2", "StackPushV2", "StackPopV2", "StackCloseV2");
    }

    /// <summary>_GetGradSource: the name prefix up to the last component starting with "gradients".</summary>
    internal static string GradSource(Output grad)
    {
        var parts = grad.NodeName.Split('/');
        int last = Array.FindLastIndex(parts, p => p.StartsWith("gradients", StringComparison.Ordinal));
        if (last < 0) throw new InvalidOperationException($"Expected op/tensor name to start with gradients (excluding scope), got: {grad.NodeName}");
        return string.Join('/', parts[..(last + 1)]);
    }

    // TensorArray.grad(source, flow): TensorArrayGrad/TensorArrayGradV3 + gradient_flow (after the grad handle).
    private static GraphTensorArray GradArray(GraphBuilder b, Output handle, Output flow, string source, DataType dtype)
    {
        using var _ = b.NameScope("TensorArrayGrad");
        using var __ = b.ColocateWith(handle.NodeName);
        var g = b.AddOperation("TensorArrayGradV3", [handle, flow], new Dictionary<string, AttrValue> { ["source"] = Attrs.String(source) }, "TensorArrayGradV3");
        var gradFlow = b.OutputOf(b.AddOperation("Identity", [flow], null, "gradient_flow", [g.Name]));
        return new GraphTensorArray(b.OutputOf(g, 0), gradFlow, dtype, b.ElementShapeOf(handle)); // g._element_shape = self._element_shape
    }

    private static Output?[] ReadGrad(GradientContext ctx, Node op, Output?[] grads)
    {
        if (grads[0] is not Output grad) return [null, null, null];
        var b = ctx.Builder;
        var g = GradArray(b, ctx.In(op, 0), ctx.In(op, 2), GradSource(grad), op.GetType("dtype"));
        return [null, null, b.TensorArrayWrite(g, ctx.In(op, 1), grad).Flow];
    }

    // _TensorArrayWriteGrad / _TensorArrayScatterGrad: the gradient array must wait for the forward write
    // (flow_out → write_barrier) before it is read.
    private static Output Barrier(GradientContext ctx, Node op, Output flowGrad)
    {
        var b = ctx.Builder;
        var flowOut = b.Identity(ctx.Out(op, 0), "flow_out");
        return b.OutputOf(b.AddOperation("Identity", [flowGrad], null, "write_barrier", [flowOut.NodeName]));
    }

    private static Output?[] WriteGrad(GradientContext ctx, Node op, Output?[] grads)
    {
        if (grads[0] is not Output flowGrad) return [null, null, null, null];
        var b = ctx.Builder;
        var source = GradSource(flowGrad);
        var flow = Barrier(ctx, op, flowGrad);
        var g = GradArray(b, ctx.In(op, 0), flow, source, op.GetType("T"));
        return [null, null, b.TensorArrayRead(g, ctx.In(op, 1)), flow];
    }

    private static Output?[] GatherGrad(GradientContext ctx, Node op, Output?[] grads)
    {
        if (grads[0] is not Output grad) return [null, null, null];
        var b = ctx.Builder;
        var g = GradArray(b, ctx.In(op, 0), ctx.In(op, 2), GradSource(grad), op.GetType("dtype"));
        return [null, null, b.TensorArrayScatter(g, ctx.In(op, 1), grad).Flow];
    }

    private static Output?[] ScatterGrad(GradientContext ctx, Node op, Output?[] grads)
    {
        if (grads[0] is not Output flowGrad) return [null, null, null, null];
        var b = ctx.Builder;
        var source = GradSource(flowGrad);
        var flow = Barrier(ctx, op, flowGrad);
        var g = GradArray(b, ctx.In(op, 0), flow, source, op.GetType("T"));
        return [null, null, b.TensorArrayGather(g, ctx.In(op, 1)), flow];
    }

    // _TensorArrayConcatGrad: the value's gradient is split into the gradient array with the forward lengths.
    private static Output?[] ConcatGrad(GradientContext ctx, Node op, Output?[] grads)
    {
        if (grads[0] is not Output grad) return [null, null];
        var b = ctx.Builder;
        var g = GradArray(b, ctx.In(op, 0), ctx.In(op, 1), GradSource(grad), op.GetType("dtype"));
        return [null, b.TensorArraySplit(g, grad, ctx.Out(op, 1)).Flow];
    }

    // _TensorArraySplitGrad: after the forward split (write_barrier), the gradient array concatenated is the value's
    // gradient; the flow gradient passes through.
    private static Output?[] SplitGrad(GradientContext ctx, Node op, Output?[] grads)
    {
        if (grads[0] is not Output flowGrad) return [null, null, null, null];
        var b = ctx.Builder;
        var source = GradSource(flowGrad);
        var flow = Barrier(ctx, op, flowGrad);
        var g = GradArray(b, ctx.In(op, 0), flow, source, op.GetType("T"));
        return [null, b.TensorArrayConcat(g).Value, null, flow];
    }
}
