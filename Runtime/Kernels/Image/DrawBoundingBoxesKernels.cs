using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Image;

/// <summary>
/// <c>DrawBoundingBoxes</c> and <c>DrawBoundingBoxesV2</c> on float or half [batch, H, W, depth] images, as TF's CPU
/// kernel (<c>tensorflow/core/kernels/image/draw_bounding_box_op.cc</c>, read with the search tool):
/// <list type="bullet">
/// <item>a box [y_min, x_min, y_max, x_max] maps to rows y·(H−1) and columns x·(W−1), each product a float converted to
/// an integer by truncation toward zero (C++'s float → int64), so −0.5 becomes row 0, not −1;</item>
/// <item>an inverted box (min &gt; max) or one entirely outside the image is skipped; otherwise each of its four
/// one-pixel edges is drawn if that edge's row/column lies inside the image, over the clamped extent of the other
/// axis;</item>
/// <item>box i of an image takes color i mod the table length; V2's <c>colors</c> [n, ≥ depth] supplies the table (its
/// first <c>depth</c> values per row), an empty <c>colors</c> or V1 uses TF's 10-color default table (yellow, blue,
/// red, lime, purple, olive, maroon, navy, aqua, fuchsia; RGBA) whose first channel is set to 1 for depth-1 images
/// (white boxes on grey images);</item>
/// <item>depth must be 1, 3 or 4 — TF's error texts.</item>
/// </list>
/// A NaN box coordinate is undefined behaviour in TF's float → int64 conversion; we skip such a box (not verified
/// against TF's output).
/// </summary>
internal sealed class DrawBoundingBoxesKernels : KernelSet
{
    private static readonly float[][] DefaultColors =
    [
        [1, 1, 0, 1], [0, 0, 1, 1], [1, 0, 0, 1], [0, 1, 0, 1], [0.5f, 0, 0.5f, 1],
        [0.5f, 0.5f, 0, 1], [0.5f, 0, 0, 1], [0, 0, 0.5f, 1], [0, 1, 1, 1], [1, 0, 1, 1],
    ];

    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("DrawBoundingBoxes", n => new DelegateKernel(n, Draw));
        registry.Add("DrawBoundingBoxesV2", n => new DelegateKernel(n, Draw));
    }

    private static void Draw(OpKernelContext ctx)
    {
        var images = ctx.Input(0);
        var boxes = ctx.Input(1);
        if (images.Shape.Rank != 4) throw ctx.Error("The rank of the images should be 4");
        if (boxes.Shape.Rank != 3) throw ctx.Error("The rank of the boxes tensor should be 3");
        if (images.Shape[0] != boxes.Shape[0]) throw ctx.Error("The batch sizes should be the same");
        int depth = images.Shape[3];
        if (depth != 1 && depth != 3 && depth != 4) throw ctx.Error("Channel depth should be either 1 (GRY), 3 (RGB), or 4 (RGBA)");
        if (boxes.Shape[2] != 4) throw ctx.Error($"The size of the third dimension of the box must be 4. Received: {boxes.Shape[2]}");
        if (boxes.DType != DataType.DtFloat) throw ctx.Error($"boxes must be float, got {DataTypes.Name(boxes.DType)}");
        if (images.DType != DataType.DtFloat && images.DType != DataType.DtHalf)
            throw ctx.Error($"no CPU kernel for dtype {DataTypes.Name(images.DType)} (TF registers float and half)");
        var table = ColorTable(ctx, depth);
        var output = ctx.AllocateOutput(0, images.DType, images.Shape);
        if (images.DType == DataType.DtFloat)
        {
            images.AsSpan<float>().CopyTo(output.AsSpan<float>());
            Paint(output.AsSpan<float>(), boxes, table, images.Shape, static v => v);
        }
        else
        {
            images.AsSpan<Half>().CopyTo(output.AsSpan<Half>());
            Paint(output.AsSpan<Half>(), boxes, table, images.Shape, static v => (Half)v);
        }
    }

    private static float[][] ColorTable(OpKernelContext ctx, int depth)
    {
        if (ctx.InputCount == 3)
        {
            var colors = ctx.Input(2);
            if (colors.Shape.Rank != 2) throw ctx.Error($"colors must be a 2-D matrix{colors.Shape}");
            if (colors.Shape[1] < depth) throw ctx.Error($"colors must have equal or more channels than the image provided: {colors.Shape}");
            if (colors.NumElements != 0)
            {
                var values = colors.AsSpan<float>();
                int width = colors.Shape[1];
                var table = new float[colors.Shape[0]][];
                for (int i = 0; i < table.Length; i++) table[i] = values.Slice(i * width, depth).ToArray();
                return table;
            }
        }
        var defaults = new float[DefaultColors.Length][];
        for (int i = 0; i < defaults.Length; i++)
        {
            defaults[i] = DefaultColors[i][..depth];
            if (depth == 1) defaults[i][0] = 1;
        }
        return defaults;
    }

    private static void Paint<T>(Span<T> canvas, Tensor boxes, float[][] table, TensorShape shape, Func<float, T> convert)
    {
        long batch = shape[0], height = shape[1], width = shape[2];
        int depth = shape[3];
        int numBoxes = boxes.Shape[1];
        var box = boxes.AsSpan<float>();
        for (long b = 0; b < batch; b++)
        {
            long image = b * height * width * depth;
            for (int bb = 0; bb < numBoxes; bb++)
            {
                var coords = box.Slice((int)((b * numBoxes + bb) * 4), 4);
                if (float.IsNaN(coords[0]) || float.IsNaN(coords[1]) || float.IsNaN(coords[2]) || float.IsNaN(coords[3])) continue;
                long minRow = Truncate(coords[0] * (float)(height - 1)), maxRow = Truncate(coords[2] * (float)(height - 1));
                long minCol = Truncate(coords[1] * (float)(width - 1)), maxCol = Truncate(coords[3] * (float)(width - 1));
                if (minRow > maxRow || minCol > maxCol) continue; // inverted: TF logs a warning and skips it
                if (minRow >= height || maxRow < 0 || minCol >= width || maxCol < 0) continue; // entirely outside
                long minRowClamp = Math.Max(minRow, 0), maxRowClamp = Math.Min(maxRow, height - 1);
                long minColClamp = Math.Max(minCol, 0), maxColClamp = Math.Min(maxCol, width - 1);
                var color = table[bb % table.Length];
                void Put(Span<T> c, long row, long col)
                {
                    long at = image + (row * width + col) * depth;
                    for (int ch = 0; ch < depth; ch++) c[(int)(at + ch)] = convert(color[ch]);
                }
                if (minRow >= 0) for (long j = minColClamp; j <= maxColClamp; j++) Put(canvas, minRow, j);
                if (maxRow < height) for (long j = minColClamp; j <= maxColClamp; j++) Put(canvas, maxRow, j);
                if (minCol >= 0) for (long i = minRowClamp; i <= maxRowClamp; i++) Put(canvas, i, minCol);
                if (maxCol < width) for (long i = minRowClamp; i <= maxRowClamp; i++) Put(canvas, i, maxCol);
            }
        }
    }

    // C++'s float → int64 conversion (truncation toward zero), saturated for values beyond int64.
    private static long Truncate(float v) => v >= 9.2e18f ? long.MaxValue : v <= -9.2e18f ? long.MinValue : (long)v;
}
