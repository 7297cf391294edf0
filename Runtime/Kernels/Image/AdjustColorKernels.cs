using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Image;

/// <summary>
/// <c>AdjustContrastv2</c>, <c>AdjustSaturation</c> and <c>AdjustHue</c> on float [..., H, W, 3] images (TF's CPU
/// kernels are float-only; <c>tf.image.adjust_*</c> converts other dtypes to float around the op):
/// <list type="bullet">
/// <item>AdjustContrastv2 (<c>adjust_contrast_op.cc</c>): per image and channel, mean = sum·(1/(H·W)) with the sum
/// taken by TF's halving fold (pixel i += pixel i + ceil(n/2), repeated), then out = mean + factor·(x − mean);</item>
/// <item>AdjustSaturation (<c>adjust_saturation_op.cc</c>): its own rgb_to_hsv, S = clamp(S·scale, 0, 1), then its
/// sector-based hsv_to_rgb;</item>
/// <item>AdjustHue (<c>adjust_hue_op.cc</c>): hue in [0, 6) from the max/mid/min channels, h += 6·delta wrapped
/// into [0, 6), then back with the same min and max.</item>
/// </list>
/// </summary>
internal sealed class AdjustColorKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("AdjustContrastv2", n => new DelegateKernel(n, AdjustContrast));
        registry.Add("AdjustSaturation", n => new DelegateKernel(n, ctx => PerPixel(ctx, "scale", AdjustSaturation)));
        registry.Add("AdjustHue", n => new DelegateKernel(n, ctx => PerPixel(ctx, "delta", AdjustHue)));
    }

    private static (Tensor X, float Value) ReadInputs(OpKernelContext ctx, string what)
    {
        var x = ctx.Input(0);
        var v = ctx.Input(1);
        if (x.Shape.Rank < 3) throw ctx.Error($"input must be at least 3-D, got shape{x.Shape}");
        if (v.Shape.Rank != 0) throw ctx.Error($"{what} must be scalar: {v.Shape}");
        if (x.DType != DataType.DtFloat || v.DType != DataType.DtFloat)
            throw ctx.Error($"no CPU kernel for dtype {DataTypes.Name(x.DType)} (TF registers float only)");
        return (x, v.Scalar<float>());
    }

    private static void AdjustContrast(OpKernelContext ctx)
    {
        var (x, factor) = ReadInputs(ctx, "contrast_factor");
        int rank = x.Shape.Rank;
        long h = x.Shape[rank - 3], w = x.Shape[rank - 2], ch = x.Shape[rank - 1];
        var y = ctx.AllocateOutput(0, DataType.DtFloat, x.Shape);
        if (x.NumElements == 0) return;
        var src = x.AsSpan<float>();
        var dst = y.AsSpan<float>();
        long imageSize = h * w, plane = imageSize * ch, batch = x.NumElements / plane;
        var sum = new float[plane];
        var mean = new float[ch];
        for (long b = 0; b < batch; b++)
        {
            var input = src.Slice((int)(b * plane), (int)plane);
            FoldSum(input, sum, imageSize, ch);
            float scaling = 1.0f / imageSize;
            for (int c = 0; c < ch; c++) mean[c] = sum[c] * scaling;
            var output = dst.Slice((int)(b * plane), (int)plane);
            for (int i = 0; i < output.Length; i++)
            {
                float m = mean[i % ch];
                output[i] = m + factor * (input[i] - m);
            }
        }
    }

    /// <summary>TF's ReduceMeanAcrossImage summation: the right half of the pixels is added onto the left half (the
    /// odd middle pixel copied in the first round) until one pixel remains; float rounding follows that order.</summary>
    private static void FoldSum(ReadOnlySpan<float> input, float[] scratch, long imageSize, long ch)
    {
        long remaining = imageSize;
        bool first = true;
        do
        {
            long right = remaining / 2, left = remaining - right;
            if (first)
            {
                for (long i = 0; i < right * ch; i++) scratch[i] = input[(int)(left * ch + i)] + input[(int)i];
                if (left > right)
                    for (long i = right * ch; i < left * ch; i++) scratch[i] = input[(int)i];
            }
            else
            {
                for (long i = 0; i < right * ch; i++) scratch[i] += scratch[left * ch + i];
            }
            first = false;
            remaining = left;
        } while (remaining > 1);
    }

    private delegate void PixelFn(float value, ref float r, ref float g, ref float b);

    private static void PerPixel(OpKernelContext ctx, string what, PixelFn fn)
    {
        var (x, value) = ReadInputs(ctx, what);
        int channels = x.Shape[x.Shape.Rank - 1];
        if (channels != 3) throw ctx.Error($"input must have 3 channels but instead has {channels} channels.");
        var y = ctx.AllocateOutput(0, DataType.DtFloat, x.Shape);
        var src = x.AsSpan<float>();
        var dst = y.AsSpan<float>();
        for (int i = 0; i < src.Length; i += 3)
        {
            float r = src[i], g = src[i + 1], b = src[i + 2];
            fn(value, ref r, ref g, ref b);
            dst[i] = r; dst[i + 1] = g; dst[i + 2] = b;
        }
    }

    private static void AdjustSaturation(float scale, ref float r, ref float g, ref float b)
    {
        // rgb_to_hsv of adjust_saturation_op.cc (the 2/6 and 4/6 offsets are double constants there).
        float v = MathF.Max(r, MathF.Max(g, b));
        float range = v - MathF.Min(r, MathF.Min(g, b));
        float s = v > 0 ? range / v : 0;
        float norm = 1.0f / (6.0f * range);
        float h = r == v ? norm * (g - b) : g == v ? (float)(norm * (b - r) + 2.0 / 6.0) : (float)(norm * (r - g) + 4.0 / 6.0);
        if (range <= 0) h = 0;
        if (h < 0) h += 1;
        s = MathF.Min(1.0f, MathF.Max(0.0f, s * scale));
        // hsv_to_rgb: sector int(6h), x = c·(1 − |((6h) mod 2) − 1|) with TF's loop-based mod that maps 0 to 2.
        float c = s * v, m = v - c, dh = h * 6;
        int sector = (int)dh;
        float fmodu = dh;
        while (fmodu <= 0) fmodu += 2.0f;
        while (fmodu >= 2.0f) fmodu -= 2.0f;
        float xx = c * (1 - MathF.Abs(fmodu - 1));
        var (rr, gg, bb) = sector switch
        {
            0 => (c, xx, 0f),
            1 => (xx, c, 0f),
            2 => (0f, c, xx),
            3 => (0f, xx, c),
            4 => (xx, 0f, c),
            5 => (c, 0f, xx),
            _ => (0f, 0f, 0f),
        };
        r = rr + m; g = gg + m; b = bb + m;
    }

    private static void AdjustHue(float delta, ref float r, ref float g, ref float b)
    {
        // rgb_to_hv_range: which channel is max/mid/min picks one of six hue sectors (ties may go either way in TF's
        // comparisons; the branches below are TF's).
        float vMax, vMid, vMin;
        int sector;
        if (r < g)
        {
            if (b < r) { vMax = g; vMid = r; vMin = b; sector = 1; }
            else if (b > g) { vMax = b; vMid = g; vMin = r; sector = 3; }
            else { vMax = g; vMid = b; vMin = r; sector = 2; }
        }
        else
        {
            if (b < g) { vMax = r; vMid = g; vMin = b; sector = 0; }
            else if (b > r) { vMax = b; vMid = r; vMin = g; sector = 4; }
            else { vMax = r; vMid = b; vMin = g; sector = 5; }
        }
        float h;
        if (vMax == vMin) h = 0;
        else
        {
            float ratio = (vMid - vMin) / (vMax - vMin);
            h = sector + ((sector & 1) == 0 ? ratio : 1 - ratio);
        }
        h += delta * 6;
        // TF wraps with repeated ±6 steps; a huge or infinite delta would make that loop (practically) endless, so
        // far-out hues wrap arithmetically instead, and a NaN hue (infinite delta, NaN pixel) gives a NaN pixel.
        if (!(MathF.Abs(h) < 1e4f)) h -= 6 * MathF.Floor(h / 6);
        if (float.IsNaN(h)) { r = g = b = float.NaN; return; }
        while (h < 0) h += 6;
        while (h >= 6) h -= 6;
        // hv_range_to_rgb
        int cat = (int)h;
        float t = h - cat;
        if ((cat & 1) != 0) t = 1 - t;
        float mid = vMin + t * (vMax - vMin);
        (r, g, b) = cat switch
        {
            0 => (vMax, mid, vMin),
            1 => (mid, vMax, vMin),
            2 => (vMin, vMax, mid),
            3 => (vMin, mid, vMax),
            4 => (mid, vMin, vMax),
            _ => (vMax, vMin, mid),
        };
    }
}
