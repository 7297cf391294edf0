using TypedGraph.Building;

namespace TypedGraph.Training;

/// <summary>
/// The gradient of TopK / TopKV2, as tensorflow/python/ops/nn_grad.py <c>_TopKGrad</c>: the values' gradient is
/// scattered (ScatterNd into a zero vector of the input's size) to the positions the indices output names, row by
/// row — each row's indices offset by row · last_dim and flattened — then reshaped to the input's shape. The indices
/// output has no gradient, nor does k. Indices within a row are distinct, so ScatterNd's summing never merges two
/// entries; equal input values are told apart by the kernel's lower-index-first order, so a tie sends the gradient
/// to the element TopK reported. One departure in the plumbing, not the value: TF reshapes the indices to
/// [-1, k], which TF's Reshape cannot infer when k = 0 (an empty tensor); here the row count is the product of the
/// index shape's leading dims, so k = 0 yields the all-zero gradient.
/// </summary>
internal static class TopKGradient
{
    public static void Register()
    {
        GradientRegistry.Register("TopK", (c, op, g) => [Grad(c, op, g)]);
        GradientRegistry.Register("TopKV2", (c, op, g) => [Grad(c, op, g), null]);
    }

    private static Output? Grad(GradientContext c, Node op, Output?[] g)
    {
        if (g[0] is not Output grad) return null;
        var b = c.Builder;
        var inShape = b.Shape(c.In(op, 0), "Shape");
        var indices = c.Out(op, 1);
        var indShape = b.Shape(indices, "Shape_1");
        var k = LastDim(b, indShape, "ind_lastdim");
        var rows = b.OutputOf(b.AddOperation("Prod", [LeadingDims(b, indShape, "outer_dims"), b.Constant(new[] { 0 }, "Const")], null, "outerdim"));
        var ind2d = b.Reshape(indices, b.Stack([rows, k], 0, "stack"), "Reshape");
        var inLast = LastDim(b, inShape, "in_lastdim");
        var offsets = b.OutputOf(b.AddOperation("Range", [b.Constant(0, "range/start"), b.Multiply(rows, inLast, "mul"), inLast], null, "range"));
        var flat = b.Reshape(b.Add(ind2d, b.ExpandDims(offsets, -1), "add"), [-1], "Reshape_1");
        var size = b.ExpandDims(b.OutputOf(b.AddOperation("Prod", [inShape, b.Constant(new[] { 0 }, "Const_1")], null, "Prod")), 0, "size");
        var scattered = b.OutputOf(b.AddOperation("ScatterNd", [b.ExpandDims(flat, -1), b.Reshape(grad, [-1], "Reshape_2"), size], null, "ScatterNd"));
        return b.Reshape(scattered, inShape, "Reshape_3");
    }

    // shape[-1] as a scalar.
    private static Output LastDim(GraphBuilder b, Output shape, string name) => b.OutputOf(b.AddOperation("StridedSlice",
        [shape, b.Constant(new[] { -1 }, name + "/begin"), b.Constant(new[] { 0 }, name + "/end"), b.Constant(new[] { 1 }, name + "/strides")],
        new Dictionary<string, Protos.AttrValue> { ["end_mask"] = Attrs.Int(1), ["shrink_axis_mask"] = Attrs.Int(1) }, name));

    // shape[:-1].
    private static Output LeadingDims(GraphBuilder b, Output shape, string name) => b.OutputOf(b.AddOperation("StridedSlice",
        [shape, b.Constant(new[] { 0 }, name + "/begin"), b.Constant(new[] { -1 }, name + "/end"), b.Constant(new[] { 1 }, name + "/strides")],
        new Dictionary<string, Protos.AttrValue> { ["begin_mask"] = Attrs.Int(1) }, name));
}
