using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>
/// Gradients of the block rearrangement ops, as TF's <c>array_ops/array_grad.py</c> registers them — each op's gradient
/// is its inverse applied to the incoming gradient with the same block arguments:
/// <c>_SpaceToBatchNDGrad</c> → <c>BatchToSpaceND(grad, block_shape, paddings)</c>, <c>_BatchToSpaceNDGrad</c> →
/// <c>SpaceToBatchND(grad, block_shape, crops)</c>, <c>_SpaceToBatchGrad</c> / <c>_BatchToSpaceGrad</c> the same with
/// <c>block_size</c>, <c>_SpaceToDepthGrad</c> → <c>DepthToSpace</c> and <c>_DepthToSpaceGrad</c> → <c>SpaceToDepth</c>
/// (block_size and data_format copied; TF raises for NCHW_VECT_C, which has no gradient here either). None for the
/// block shape, paddings and crops.
/// </summary>
internal static class SpaceBatchGradients
{
    public static void Register()
    {
        GradientRegistry.Register("SpaceToBatchND", (c, op, g) => [Op(c, "BatchToSpaceND", [g[0]!.Value, c.In(op, 1), c.In(op, 2)], null), null, null]);
        GradientRegistry.Register("BatchToSpaceND", (c, op, g) => [Op(c, "SpaceToBatchND", [g[0]!.Value, c.In(op, 1), c.In(op, 2)], null), null, null]);
        GradientRegistry.Register("SpaceToBatch", (c, op, g) => [Op(c, "BatchToSpace", [g[0]!.Value, c.In(op, 1)], GradientContext.CopyAttrs(op, "block_size")), null]);
        GradientRegistry.Register("BatchToSpace", (c, op, g) => [Op(c, "SpaceToBatch", [g[0]!.Value, c.In(op, 1)], GradientContext.CopyAttrs(op, "block_size")), null]);
        GradientRegistry.Register("SpaceToDepth", (c, op, g) => [DepthGrad(c, op, g, "DepthToSpace")]);
        GradientRegistry.Register("DepthToSpace", (c, op, g) => [DepthGrad(c, op, g, "SpaceToDepth")]);
    }

    private static Output? DepthGrad(GradientContext c, Node op, Output?[] g, string inverse)
    {
        if (op.GetString("data_format", "NHWC") == "NCHW_VECT_C")
            throw new InvalidOperationException($"Node '{op.Name}': {op.Op} with data_format NCHW_VECT_C has no gradient (TF's array_grad.py raises the same).");
        return Op(c, inverse, [g[0]!.Value], GradientContext.CopyAttrs(op, "block_size", "data_format"));
    }

    private static Output Op(GradientContext c, string type, Output[] inputs, Dictionary<string, AttrValue>? attrs)
        => c.Builder.OutputOf(c.Builder.AddOperation(type, inputs, attrs, type));
}
