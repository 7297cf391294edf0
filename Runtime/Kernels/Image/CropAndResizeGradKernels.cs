using System.Numerics;
using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Image;

/// <summary>
/// The two gradients of <c>CropAndResize</c> that TF's <c>image_grad.py</c> emits, after <c>crop_and_resize_op.cc</c>
/// (CropAndResizeBackpropImage / CropAndResizeBackpropBoxes on the CPU):
/// <list type="bullet">
/// <item><c>CropAndResizeGradImage(grads: float [N,ch,cw,C], boxes, box_ind, image_size: int32 [4]; T, method)</c> → T
/// [B,H,W,C], T ∈ {float, half, double}: each sample that the forward read inside the image sends its gradient to the
/// pixels it read — bilinear: the four corners with (1−ly)(1−lx)… formed in float, cast to T and accumulated in T
/// (so half sums round after every add); nearest: the round-half-away pixel. Samples outside the image (the ones that
/// got extrapolation_value) send nothing.</item>
/// <item><c>CropAndResizeGradBoxes(grads, image: T, boxes, box_ind; method = "bilinear")</c> → float [N,4]: the
/// derivative of the bilinear sample with respect to y1, x1, y2, x2 (image_grad_y/x times the coordinate's
/// dependence on each box edge), summed in float in TF's order; for crop size 1 the ·0.5·(H−1) term is formed in
/// double and added to the float sum, as TF's mixed-precision expression does.</item>
/// </list>
/// Both check box shapes as TF's ParseAndCheckBoxSizes and box_ind as RunIfBoxIndexIsValid (OutOfRange
/// "box_index has values outside [0, batch_size)"). Non-finite box coordinates are refused here (TF's forward refuses
/// them; its backward kernels would cast NaN to an index, undefined behaviour).
/// </summary>
internal sealed class CropAndResizeGradKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("CropAndResizeGradImage", n =>
        {
            string method = n.GetString("method", "bilinear");
            if (method is not ("bilinear" or "nearest")) throw KernelAttrs.Err(n, $"method must be 'bilinear' or 'nearest', got '{method}'.");
            var dtype = KernelAttrs.TypeOf(n, DataType.DtFloat);
            if (dtype is not (DataType.DtFloat or DataType.DtHalf or DataType.DtDouble))
                throw KernelAttrs.Err(n, $"CropAndResizeGradImage is registered for float, half and double, not {DataTypes.Name(dtype)}.");
            return new DelegateKernel(n, ctx => GradImage(ctx, dtype, method == "nearest"));
        });
        registry.Add("CropAndResizeGradBoxes", n =>
        {
            string method = n.GetString("method", "bilinear");
            if (method != "bilinear") throw KernelAttrs.Err(n, $"method must be 'bilinear', got '{method}'.");
            return new DelegateKernel(n, GradBoxes);
        });
    }

    /// <summary>The per-box sampling geometry shared by the forward and both gradients.</summary>
    internal readonly record struct BoxGeometry(float Y1, float X1, float Y2, float X2, int ImageH, int ImageW, int CropH, int CropW)
    {
        public float HeightScale => CropH > 1 ? (Y2 - Y1) * (ImageH - 1) / (CropH - 1) : 0;
        public float WidthScale => CropW > 1 ? (X2 - X1) * (ImageW - 1) / (CropW - 1) : 0;

        /// <summary>Row y's source coordinate; for a single row the box centre, computed in double as TF's
        /// <c>0.5 * (y1 + y2) * (image_height - 1)</c> (0.5 is a double literal there).</summary>
        public float InY(int y, float heightScale) => CropH > 1 ? Y1 * (ImageH - 1) + y * heightScale : (float)(0.5 * (Y1 + Y2) * (ImageH - 1));

        /// <summary>Column x's source coordinate (see <see cref="InY"/>).</summary>
        public float InX(int x, float widthScale) => CropW > 1 ? X1 * (ImageW - 1) + x * widthScale : (float)(0.5 * (X1 + X2) * (ImageW - 1));
    }

    /// <summary>TF's ParseAndCheckBoxSizes, plus the finite check; returns the boxes as floats and the box count.</summary>
    internal static (float[] Boxes, long[] BoxInd) ReadBoxes(OpKernelContext ctx, int boxesInput, int boxIndInput, int batch)
    {
        var boxesT = ctx.Input(boxesInput);
        var boxIndT = ctx.Input(boxIndInput);
        if (boxesT.NumElements == 0 && boxIndT.NumElements == 0) return ([], []);
        if (boxesT.Shape.Rank != 2) throw ctx.Error($"boxes must be 2-D{boxesT.Shape}");
        if (boxesT.Shape[1] != 4) throw ctx.Error("boxes must have 4 columns");
        if (boxIndT.Shape.Rank != 1) throw ctx.Error($"box_index must be 1-D{boxIndT.Shape}");
        if (boxIndT.Shape[0] != boxesT.Shape[0]) throw ctx.Error("box_index has incompatible shape");
        var boxes = ResizeKernels.ToFloat(boxesT);
        foreach (var v in boxes)
            if (!float.IsFinite(v)) throw ctx.Error("Boxes contains at least one element that is not finite");
        var boxInd = IndexValues.Read(ctx, boxIndInput, "box_ind");
        foreach (var b in boxInd)
            if (b < 0 || b >= batch) throw ctx.Error($"box_index has values outside [0, batch_size), got {b} for batch_size {batch}");
        return (boxes, boxInd);
    }

    private static (int CropH, int CropW, int Depth, int NumBoxes) ReadGrads(OpKernelContext ctx)
    {
        var grads = ctx.Input(0);
        if (grads.Shape.Rank != 4) throw ctx.Error($"grads image must be 4-D{grads.Shape}");
        if (grads.DType != DataType.DtFloat) throw ctx.Error($"grads must be float, got {DataTypes.Name(grads.DType)}");
        if (grads.Shape[1] <= 0 || grads.Shape[2] <= 0) throw ctx.Error("grads dimensions must be positive");
        return (grads.Shape[1], grads.Shape[2], grads.Shape[3], grads.Shape[0]);
    }

    private static void GradImage(OpKernelContext ctx, DataType dtype, bool nearest)
    {
        var (cropH, cropW, depth, gradBoxes) = ReadGrads(ctx);
        var sizeT = ctx.Input(3);
        if (sizeT.Shape.Rank != 1) throw ctx.Error($"image_size must be 1-D{sizeT.Shape}");
        if (sizeT.Shape[0] != 4) throw ctx.Error($"image_size must have 4 elements{sizeT.Shape}");
        var size = IndexValues.Read(ctx, 3, "image_size");
        if (size[1] <= 0 || size[2] <= 0) throw ctx.Error("image dimensions must be positive");
        if (size[3] != depth) throw ctx.Error("image_size and grads are incompatible");
        if (size[0] < 0) throw ctx.Error($"image_size has a negative batch size {size[0]}");
        int batch = checked((int)size[0]), h = checked((int)size[1]), w = checked((int)size[2]);
        var (boxes, boxInd) = ReadBoxes(ctx, 1, 2, batch);
        if (gradBoxes != boxInd.Length) throw ctx.Error("boxes and grads have incompatible shape");
        var output = ctx.AllocateOutput(0, dtype, new TensorShape(batch, h, w, depth));
        output.Bytes.Clear(); // pooled outputs arrive with stale contents; the scatter adds onto zeros (TF's setZero)
        var g = ctx.Input(0).AsSpan<float>();
        switch (dtype)
        {
            case DataType.DtFloat: ScatterImage(g, boxes, boxInd, h, w, cropH, cropW, depth, nearest, output.AsSpan<float>()); break;
            case DataType.DtDouble: ScatterImage(g, boxes, boxInd, h, w, cropH, cropW, depth, nearest, output.AsSpan<double>()); break;
            default: ScatterImage(g, boxes, boxInd, h, w, cropH, cropW, depth, nearest, output.AsSpan<Half>()); break;
        }
    }

    private static void ScatterImage<T>(ReadOnlySpan<float> g, float[] boxes, long[] boxInd, int h, int w, int cropH, int cropW, int depth, bool nearest, Span<T> o)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int b = 0; b < boxInd.Length; b++)
        {
            var box = new BoxGeometry(boxes[b * 4], boxes[b * 4 + 1], boxes[b * 4 + 2], boxes[b * 4 + 3], h, w, cropH, cropW);
            float hs = box.HeightScale, ws = box.WidthScale;
            long image = boxInd[b];
            for (int y = 0; y < cropH; y++)
            {
                float inY = box.InY(y, hs);
                if (inY < 0 || inY > h - 1) continue;
                int top = (int)MathF.Floor(inY), bottom = (int)MathF.Ceiling(inY);
                float ly = inY - top;
                for (int x = 0; x < cropW; x++)
                {
                    float inX = box.InX(x, ws);
                    if (inX < 0 || inX > w - 1) continue;
                    int from = ((b * cropH + y) * cropW + x) * depth;
                    if (nearest)
                    {
                        long at = ((image * h + (long)MathF.Round(inY, MidpointRounding.AwayFromZero)) * w + (long)MathF.Round(inX, MidpointRounding.AwayFromZero)) * depth;
                        for (int d = 0; d < depth; d++) o[(int)(at + d)] += T.CreateTruncating(g[from + d]);
                        continue;
                    }
                    int left = (int)MathF.Floor(inX), right = (int)MathF.Ceiling(inX);
                    float lx = inX - left;
                    long tl = ((image * h + top) * w + left) * depth, tr = ((image * h + top) * w + right) * depth;
                    long bl = ((image * h + bottom) * w + left) * depth, br = ((image * h + bottom) * w + right) * depth;
                    for (int d = 0; d < depth; d++)
                    {
                        float dtop = (1 - ly) * g[from + d];
                        o[(int)(tl + d)] += T.CreateTruncating((1 - lx) * dtop);
                        o[(int)(tr + d)] += T.CreateTruncating(lx * dtop);
                        float dbottom = ly * g[from + d];
                        o[(int)(bl + d)] += T.CreateTruncating((1 - lx) * dbottom);
                        o[(int)(br + d)] += T.CreateTruncating(lx * dbottom);
                    }
                }
            }
        }
    }

    private static void GradBoxes(OpKernelContext ctx)
    {
        var (cropH, cropW, depth, gradBoxes) = ReadGrads(ctx);
        var imageT = ctx.Input(1);
        if (imageT.Shape.Rank != 4) throw ctx.Error($"input image must be 4-D{imageT.Shape}");
        int batch = imageT.Shape[0], h = imageT.Shape[1], w = imageT.Shape[2];
        if (h <= 0 || w <= 0) throw ctx.Error("image dimensions must be positive");
        if (imageT.Shape[3] != depth) throw ctx.Error("image, grads depth differ");
        var (boxes, boxInd) = ReadBoxes(ctx, 2, 3, batch);
        if (gradBoxes != boxInd.Length) throw ctx.Error("boxes and grads have incompatible shape");
        var o = ctx.AllocateOutput(0, DataType.DtFloat, new TensorShape(boxInd.Length, 4)).AsSpan<float>();
        o.Clear();
        var g = ctx.Input(0).AsSpan<float>();
        var image = ResizeKernels.ToFloat(imageT);
        for (int b = 0; b < boxInd.Length; b++)
        {
            var box = new BoxGeometry(boxes[b * 4], boxes[b * 4 + 1], boxes[b * 4 + 2], boxes[b * 4 + 3], h, w, cropH, cropW);
            float heightRatio = cropH > 1 ? (float)(h - 1) / (cropH - 1) : 0;
            float widthRatio = cropW > 1 ? (float)(w - 1) / (cropW - 1) : 0;
            float hs = cropH > 1 ? (box.Y2 - box.Y1) * heightRatio : 0;
            float ws = cropW > 1 ? (box.X2 - box.X1) * widthRatio : 0;
            long img = boxInd[b];
            for (int y = 0; y < cropH; y++)
            {
                float inY = box.InY(y, hs);
                if (inY < 0 || inY > h - 1) continue;
                int top = (int)MathF.Floor(inY), bottom = (int)MathF.Ceiling(inY);
                float ly = inY - top;
                for (int x = 0; x < cropW; x++)
                {
                    float inX = box.InX(x, ws);
                    if (inX < 0 || inX > w - 1) continue;
                    int left = (int)MathF.Floor(inX), right = (int)MathF.Ceiling(inX);
                    float lx = inX - left;
                    int from = ((b * cropH + y) * cropW + x) * depth;
                    long tl = ((img * h + top) * w + left) * depth, tr = ((img * h + top) * w + right) * depth;
                    long bl = ((img * h + bottom) * w + left) * depth, br = ((img * h + bottom) * w + right) * depth;
                    for (int d = 0; d < depth; d++)
                    {
                        float topLeft = image[tl + d], topRight = image[tr + d], bottomLeft = image[bl + d], bottomRight = image[br + d];
                        float gradY = (1 - lx) * (bottomLeft - topLeft) + lx * (bottomRight - topRight);
                        float gradX = (1 - ly) * (topRight - topLeft) + ly * (bottomRight - bottomLeft);
                        float topGrad = g[from + d];
                        gradY *= topGrad;
                        gradX *= topGrad;
                        if (cropH > 1)
                        {
                            o[b * 4] += gradY * (h - 1 - y * heightRatio);
                            o[b * 4 + 2] += gradY * (y * heightRatio);
                        }
                        else
                        {
                            o[b * 4] = (float)(o[b * 4] + gradY * 0.5 * (h - 1));
                            o[b * 4 + 2] = (float)(o[b * 4 + 2] + gradY * 0.5 * (h - 1));
                        }
                        if (cropW > 1)
                        {
                            o[b * 4 + 1] += gradX * (w - 1 - x * widthRatio);
                            o[b * 4 + 3] += gradX * (x * widthRatio);
                        }
                        else
                        {
                            o[b * 4 + 1] = (float)(o[b * 4 + 1] + gradX * 0.5 * (w - 1));
                            o[b * 4 + 3] = (float)(o[b * 4 + 3] + gradX * 0.5 * (w - 1));
                        }
                    }
                }
            }
        }
    }
}
