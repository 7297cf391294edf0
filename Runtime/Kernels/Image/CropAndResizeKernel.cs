using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Image;

/// <summary>
/// <c>CropAndResize(image [B,H,W,C], boxes [N,4], box_ind [N], crop_size [2]; method, extrapolation_value)</c> →
/// float [N, crop_h, crop_w, C], after TF's <c>crop_and_resize_op.cc</c>: a box [y1, x1, y2, x2] in normalized
/// coordinates samples at in_y = y1·(H − 1) + y·(y2 − y1)·(H − 1)/(crop_h − 1) (the box centre when crop_h = 1);
/// samples outside [0, H − 1] get extrapolation_value; "bilinear" interpolates between floor and ceil,
/// "nearest" takes round(in). box_ind outside [0, B) fails as TF's "box_index has values outside [0, batch_size)".
/// </summary>
internal sealed class CropAndResizeKernel : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("CropAndResize", n =>
    {
        string method = n.GetString("method", "bilinear");
        if (method is not ("bilinear" or "nearest")) throw KernelAttrs.Err(n, $"method must be 'bilinear' or 'nearest', got '{method}'.");
        float extrapolation = n.GetFloat("extrapolation_value", 0f);
        return new DelegateKernel(n, ctx => Compute(ctx, method == "nearest", extrapolation));
    });

    private static void Compute(OpKernelContext ctx, bool nearest, float extrapolation)
    {
        var image = ctx.Input(0);
        var boxesT = ctx.Input(1);
        var boxInd = IndexValues.Read(ctx, 2, "box_ind");
        var cropSize = IndexValues.Read(ctx, 3, "crop_size");
        if (image.Shape.Rank != 4) throw ctx.Error($"input image must be 4-D, got {image.Shape}");
        if (boxesT.Shape.Rank != 2 || boxesT.Shape[1] != 4) throw ctx.Error($"boxes must be 2-D [num_boxes, 4], got {boxesT.Shape}");
        if (ctx.Input(2).Shape.Rank != 1 || boxInd.Length != boxesT.Shape[0]) throw ctx.Error($"box_index has incompatible shape {ctx.Input(2).Shape} for {boxesT.Shape[0]} boxes");
        if (cropSize.Length != 2) throw ctx.Error($"crop_size must be a 1-D tensor of length 2, got {ctx.Input(3).Shape}");
        if (cropSize[0] <= 0 || cropSize[1] <= 0) throw ctx.Error("crop dimensions must be positive");
        int batch = image.Shape[0], h = image.Shape[1], w = image.Shape[2], ch = image.Shape[3];
        int nBoxes = boxesT.Shape[0], cropH = (int)cropSize[0], cropW = (int)cropSize[1];
        foreach (var b in boxInd)
            if (b < 0 || b >= batch) throw ctx.Error($"box_index has values outside [0, batch_size), got {b} for batch_size {batch}");
        var boxes = ResizeKernels.ToFloat(boxesT);
        var src = ResizeKernels.ToFloat(image);
        var o = ctx.AllocateOutput(0, DataType.DtFloat, new TensorShape(nBoxes, cropH, cropW, ch)).AsSpan<float>();
        for (int bi = 0; bi < nBoxes; bi++)
        {
            float y1 = boxes[bi * 4], x1 = boxes[bi * 4 + 1], y2 = boxes[bi * 4 + 2], x2 = boxes[bi * 4 + 3];
            long img = boxInd[bi];
            float hScale = cropH > 1 ? (y2 - y1) * (h - 1) / (cropH - 1) : 0;
            float wScale = cropW > 1 ? (x2 - x1) * (w - 1) / (cropW - 1) : 0;
            for (int y = 0; y < cropH; y++)
            {
                float inY = cropH > 1 ? y1 * (h - 1) + y * hScale : 0.5f * (y1 + y2) * (h - 1);
                for (int x = 0; x < cropW; x++)
                {
                    int at = ((bi * cropH + y) * cropW + x) * ch;
                    float inX = cropW > 1 ? x1 * (w - 1) + x * wScale : 0.5f * (x1 + x2) * (w - 1);
                    if (inY < 0 || inY > h - 1 || inX < 0 || inX > w - 1)
                    {
                        o.Slice(at, ch).Fill(extrapolation);
                        continue;
                    }
                    if (nearest)
                    {
                        long cy = (long)MathF.Round(inY, MidpointRounding.AwayFromZero), cx = (long)MathF.Round(inX, MidpointRounding.AwayFromZero);
                        long from = ((img * h + cy) * w + cx) * ch;
                        for (int c = 0; c < ch; c++) o[at + c] = src[from + c];
                        continue;
                    }
                    int top = (int)MathF.Floor(inY), bottom = (int)MathF.Ceiling(inY), left = (int)MathF.Floor(inX), right = (int)MathF.Ceiling(inX);
                    float ly = inY - top, lx = inX - left;
                    long tl = ((img * h + top) * w + left) * ch, tr = ((img * h + top) * w + right) * ch;
                    long bl = ((img * h + bottom) * w + left) * ch, br = ((img * h + bottom) * w + right) * ch;
                    for (int c = 0; c < ch; c++)
                    {
                        float t = src[tl + c] + (src[tr + c] - src[tl + c]) * lx;
                        float bo = src[bl + c] + (src[br + c] - src[bl + c]) * lx;
                        o[at + c] = t + (bo - t) * ly;
                    }
                }
            }
        }
    }
}
