using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>
/// Gradients of the padding and patch-extraction ops, as tensorflow/python/ops/array_grad.py:
/// <list type="bullet">
/// <item><c>_MirrorPadGrad</c>: MirrorPadGrad(g, paddings, mode) folds the mirrored border back onto the input;
/// <c>_MirrorPadGradGrad</c>: MirrorPad(g, paddings, mode) (the fold's adjoint);</item>
/// <item><c>_ExtractImagePatchesGrad</c>: TF numbers the input pixels 1…H·W (0 marks padding), runs
/// ExtractImagePatches on that index image to learn which pixel every patch entry copied, and sums the gradient's
/// entries per pixel with a sparse [H·W, R·C·kr·kc] × [R·C·kr·kc, B·D] product. The same sum is built here with
/// UnsortedSegmentSum over the patch entries keyed by pixel − 1 (padding, −1, is dropped), which adds exactly the
/// entries TF's sparse matrix holds ones for; the reshapes and transposes around it are TF's.</item>
/// </list>
/// </summary>
internal static class MirrorPadPatchesGradients
{
    public static void Register()
    {
        GradientRegistry.Register("MirrorPad", (c, op, g) => [Op(c, "MirrorPadGrad", [g[0]!.Value, c.In(op, 1)], GradientContext.CopyAttrs(op, "mode")), null]);
        GradientRegistry.Register("MirrorPadGrad", (c, op, g) => [Op(c, "MirrorPad", [g[0]!.Value, c.In(op, 1)], GradientContext.CopyAttrs(op, "mode")), null]);
        GradientRegistry.Register("ExtractImagePatches", ExtractImagePatchesGrad);
    }

    private static Output Op(GradientContext c, string type, Output[] inputs, Dictionary<string, AttrValue>? attrs = null, string? name = null)
        => c.Builder.OutputOf(c.Builder.AddOperation(type, inputs, attrs, name ?? type));

    private static Output Dim(GraphBuilder b, Output shape, int i, string name) => b.Gather(shape, b.Constant(i, name + "/index"), name: name);

    private static Output?[] ExtractImagePatchesGrad(GradientContext c, Node op, Output?[] g)
    {
        var b = c.Builder;
        var ksizes = op.GetInts("ksizes");
        if (ksizes.Length != 4) throw new InvalidOperationException($"Gradient of '{op.Name}' (ExtractImagePatches): ksizes must have 4 entries, got {ksizes.Length}.");
        int kr = (int)ksizes[1], kc = (int)ksizes[2];
        var inShape = b.Shape(c.In(op, 0), "Shape");
        var outShape = b.Shape(c.Out(op), "Shape_1");
        Output batch = Dim(b, inShape, 0, "batch_size"), rowsIn = Dim(b, inShape, 1, "rows_in"), colsIn = Dim(b, inShape, 2, "cols_in"), channels = Dim(b, inShape, 3, "channels");
        Output rowsOut = Dim(b, outShape, 1, "rows_out"), colsOut = Dim(b, outShape, 2, "cols_out");
        var one = b.Constant(1, "one");

        // Pixel numbers 1…H·W laid out as a [1, H, W, 1] image, then patched like the forward op (0 = padding).
        var pixels = b.Multiply(rowsIn, colsIn, "mul");
        var indexImage = b.Reshape(Op(c, "Range", [one, b.Add(pixels, one, "add"), one], name: "range"), b.Stack([one, rowsIn, colsIn, one], 0, "stack"), "Reshape");
        var patched = Op(c, "ExtractImagePatches", [indexImage], GradientContext.CopyAttrs(op, "ksizes", "strides", "rates", "padding"), "ExtractImagePatches");
        var segmentIds = b.Subtract(b.Reshape(patched, [-1], "Reshape_1"), b.Constant(new[] { 1 }, "ones"), "sub");

        // g [B, R, C, kr·kc·D] → [R, C, kr, kc, B, D] → [R·C·kr·kc, B·D], TF's grad_flat.
        var grad = g[0]!.Value;
        var expanded = b.Reshape(grad, b.Stack([batch, rowsOut, colsOut, b.Constant(kr, "ksize_r"), b.Constant(kc, "ksize_c"), channels], 0, "stack_1"), "Reshape_2");
        var flat = b.Reshape(b.Transpose(expanded, [1, 2, 3, 4, 0, 5], "transpose"), b.Stack([b.Constant(-1, "minus_one"), b.Multiply(batch, channels, "mul_1")], 0, "stack_2"), "Reshape_3");
        var summed = Op(c, "UnsortedSegmentSum", [flat, segmentIds, pixels], name: "UnsortedSegmentSum");
        var byPixel = b.Reshape(summed, b.Stack([rowsIn, colsIn, batch, channels], 0, "stack_3"), "Reshape_4");
        return [b.Transpose(byPixel, [2, 0, 1, 3], "transpose_1")];
    }
}
