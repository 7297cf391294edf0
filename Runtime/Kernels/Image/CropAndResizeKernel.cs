using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Image;

/// <summary>
/// <c>CropAndResize(image [B,H,W,C], boxes [N,4], box_ind [N], crop_size [2]; method, extrapolation_value)</c> →
/// float [N, crop_h, crop_w, C], after TF's <c>crop_and_resize_op.cc</c>: a box [y1, x1, y2, x2] in normalized
/// coordinates samples at in_y = y1·(H − 1) + y·(y2 − y1)·(H − 1)/(crop_h − 1) (the box centre when crop_h = 1);
/// samples outside [0, H − 1] get extrapolation_value; "bilinear" interpolates between floor and ceil,
/// "nearest" takes round(in). box_ind outside [0, B) fails as TF's "box_index has values outside [0, batch_size)",
/// non-finite boxes as TF's "Boxes contains at least one element that is not finite"; box shapes are checked as TF's
/// ParseAndCheckBoxSizes (<see cref="CropAndResizeGradKernels.ReadBoxes"/>).
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
        if (image.Shape.Rank != 4) throw ctx.Error($"input image must be 4-D, got {image.Shape}");
        var cropSize = IndexValues.Read(ctx, 3, "crop_size");
        if (cropSize.Length != 2) throw ctx.Error($"crop_size must be a 1-D tensor of length 2, got {ctx.Input(3).Shape}");
        if (cropSize[0] <= 0 || cropSize[1] <= 0) throw ctx.Error("crop dimensions must be positive");
        int batch = image.Shape[0], h = image.Shape[1], w = image.Shape[2], ch = image.Shape[3];
        if (h <= 0 || w <= 0) throw ctx.Error("image dimensions must be positive");
        var (boxes, boxInd) = CropAndResizeGradKernels.ReadBoxes(ctx, 1, 2, batch);
        int nBoxes = boxInd.Length, cropH = (int)cropSize[0], cropW = (int)cropSize[1];
        var src = ResizeKernels.ToFloat(image);
        var o = ctx.AllocateOutput(0, DataType.DtFloat, new TensorShape(nBoxes, cropH, cropW, ch)).AsSpan<float>();
        for (int bi = 0; bi < nBoxes; bi++)
        {
            var box = new CropAndResizeGradKernels.BoxGeometry(boxes[bi * 4], boxes[bi * 4 + 1], boxes[bi * 4 + 2], boxes[bi * 4 + 3], h, w, cropH, cropW);
            long img = boxInd[bi];
            float hScale = box.HeightScale, wScale = box.WidthScale;
            for (int y = 0; y < cropH; y++)
            {
                float inY = box.InY(y, hScale);
                for (int x = 0; x < cropW; x++)
                {
                    int at = ((bi * cropH + y) * cropW + x) * ch;
                    float inX = box.InX(x, wScale);
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
