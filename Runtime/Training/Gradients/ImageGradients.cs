using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>
/// Gradients of the image ops, as TF's <c>image_grad.py</c> registers them:
/// <list type="bullet">
/// <item><c>ResizeBilinear</c> → <c>ResizeBilinearGrad(grad, images)</c>; <c>ResizeBicubic</c> →
/// <c>ResizeBicubicGrad(grad, images)</c> (only for float/double images, else no gradient, as TF's allowed_types);
/// <c>ResizeNearestNeighbor</c> → <c>ResizeNearestNeighborGrad(grad, image H and W)</c>, the size a Const when the
/// image's H and W are statically known, else <c>Shape(images)[1:3]</c>. align_corners / half_pixel_centers are copied.</item>
/// <item><c>CropAndResize</c> → <c>CropAndResizeGradImage(grad, boxes, box_ind, image shape)</c> for half/float/double
/// images (T and method copied) and always <c>CropAndResizeGradBoxes(grad, image, boxes, box_ind)</c> (bilinear, also
/// for a nearest forward — TF's own approximation); none for box_ind and crop_size.</item>
/// <item><c>ScaleAndTranslate</c> → <c>ScaleAndTranslateGrad(grad, images, scale, translation)</c> with kernel_type and
/// antialias copied (float images only: the gradient kernel is float-only); none for size, scale and translation.</item>
/// </list>
/// TF's bilinear gradient has no dtype guard (an integer image would fail to build); here an image of a dtype the
/// gradient kernel does not take simply gets no gradient, since integer tensors carry none.
/// <c>ResizeBilinearGrad</c> is not differentiable (TF's <c>ops.NotDifferentiable</c>).
/// </summary>
internal static class ImageGradients
{
    public static void Register()
    {
        GradientRegistry.Register("ResizeBilinear", (c, op, g) =>
        {
            var image = c.In(op, 0);
            if (image.BaseType is not (DataType.DtFloat or DataType.DtDouble or DataType.DtHalf or DataType.DtBfloat16)) return [null, null];
            return [Op(c, "ResizeBilinearGrad", [g[0]!.Value, image], GradientContext.CopyAttrs(op, "align_corners", "half_pixel_centers")), null];
        });
        GradientRegistry.Register("ResizeBicubic", (c, op, g) =>
        {
            var image = c.In(op, 0);
            if (image.BaseType is not (DataType.DtFloat or DataType.DtDouble)) return [null, null];
            return [Op(c, "ResizeBicubicGrad", [g[0]!.Value, image], GradientContext.CopyAttrs(op, "align_corners", "half_pixel_centers")), null];
        });
        GradientRegistry.Register("ResizeNearestNeighbor", (c, op, g) =>
        {
            var b = c.Builder;
            var image = c.In(op, 0);
            var shape = StaticShapes.Of(b, image);
            Output size = shape != null && shape.Length == 4 && shape[1] >= 0 && shape[2] >= 0
                ? b.Constant(new[] { checked((int)shape[1]), checked((int)shape[2]) }, "Const")
                : b.OutputOf(b.AddOperation("StridedSlice", [b.Shape(image), b.Constant(new[] { 1 }, "strided_slice/stack"),
                    b.Constant(new[] { 3 }, "strided_slice/stack_1"), b.Constant(new[] { 1 }, "strided_slice/stack_2")],
                    new Dictionary<string, AttrValue> { ["Index"] = Attrs.Type(DataType.DtInt32) }, "strided_slice"));
            return [Op(c, "ResizeNearestNeighborGrad", [g[0]!.Value, size], GradientContext.CopyAttrs(op, "align_corners", "half_pixel_centers")), null];
        });
        // image_grad.py _ScaleAndTranslateGrad: ScaleAndTranslateGrad(grad, images, scale, translation) with the forward's
        // kernel_type and antialias; none for size, scale and translation.
        GradientRegistry.Register("ScaleAndTranslate", (c, op, g) =>
        {
            var image = c.In(op, 0);
            if (image.BaseType != DataType.DtFloat) return [null, null, null, null];
            return [Op(c, "ScaleAndTranslateGrad", [g[0]!.Value, image, c.In(op, 2), c.In(op, 3)], GradientContext.CopyAttrs(op, "kernel_type", "antialias")), null, null, null];
        });
        GradientRegistry.Register("CropAndResize", (c, op, g) =>
        {
            var image = c.In(op, 0);
            Output? gradImage = null;
            if (image.BaseType is DataType.DtHalf or DataType.DtFloat or DataType.DtDouble)
            {
                var attrs = GradientContext.CopyAttrs(op, "method");
                attrs["T"] = Attrs.Type(image.BaseType);
                gradImage = Op(c, "CropAndResizeGradImage", [g[0]!.Value, c.In(op, 1), c.In(op, 2), c.ShapeOf(image)], attrs);
            }
            var gradBoxes = Op(c, "CropAndResizeGradBoxes", [g[0]!.Value, image, c.In(op, 1), c.In(op, 2)], null);
            return [gradImage, gradBoxes, null, null];
        });
        GradientRegistry.NotDifferentiable("ResizeBilinearGrad");
    }

    private static Output Op(GradientContext c, string type, Output[] inputs, Dictionary<string, AttrValue>? attrs)
        => c.Builder.OutputOf(c.Builder.AddOperation(type, inputs, attrs, type));
}
