using TypedGraph.Protos;
using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.TestTensors;

namespace TypedGraph.Tests.Kernels.Image;

/// <summary>RGBToHSV/HSVToRGB, AdjustContrastv2/Saturation/Hue and ExtractImagePatches against reference loops written
/// from the textbook HSV formulas (Python's colorsys, which TF's own image_ops tests compare against) and TF's op docs.</summary>
public class ColorAndPatchKernelTests
{
    // colorsys.rgb_to_hsv / hsv_to_rgb, in double.
    private static (double H, double S, double V) RefRgbToHsv(double r, double g, double b)
    {
        double max = Math.Max(r, Math.Max(g, b)), min = Math.Min(r, Math.Min(g, b));
        if (max == min) return (0, 0, max);
        double s = (max - min) / max, rc = (max - r) / (max - min), gc = (max - g) / (max - min), bc = (max - b) / (max - min);
        double h = r == max ? bc - gc : g == max ? 2 + rc - bc : 4 + gc - rc;
        h = h / 6 - Math.Floor(h / 6);
        return (h, s, max);
    }

    private static (double R, double G, double B) RefHsvToRgb(double h, double s, double v)
    {
        if (s == 0) return (v, v, v);
        int i = (int)Math.Floor(h * 6);
        double f = h * 6 - i, p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
        return (((i % 6) + 6) % 6) switch { 0 => (v, t, p), 1 => (q, v, p), 2 => (p, v, t), 3 => (p, q, v), 4 => (t, p, v), _ => (v, p, q) };
    }

    private static float[] RandomColors(int pixels, int seed)
    {
        var r = new Random(seed);
        var x = new float[pixels * 3];
        for (int i = 0; i < x.Length; i++) x[i] = (float)r.NextDouble();
        // Ties and greys exercise the branch order: pure primaries, a grey, black, two equal maxima.
        float[] special = [1, 0, 0, 0, 1, 0, 0, 0, 1, 0.5f, 0.5f, 0.5f, 0, 0, 0, 0.8f, 0.8f, 0.2f, 0.2f, 0.8f, 0.8f];
        special.CopyTo(x, 0);
        return x;
    }

    [Fact]
    public void RgbToHsv_AndBack_MatchColorsys_ForFloatDoubleAndHalf()
    {
        var rgb = RandomColors(40, 1);
        var hsv = Compute1("RGBToHSV", [F(rgb, 2, 20, 3)]);
        Assert.Equal(new TensorShape(2, 20, 3), hsv.Shape);
        var expected = new float[rgb.Length];
        for (int i = 0; i < rgb.Length; i += 3)
        {
            var (h, s, v) = RefRgbToHsv(rgb[i], rgb[i + 1], rgb[i + 2]);
            expected[i] = (float)h; expected[i + 1] = (float)s; expected[i + 2] = (float)v;
        }
        Close(expected, hsv.ToArray<float>(), 2e-6f);
        Close([0f, 1, 1, 1 / 3f, 1, 1, 2 / 3f, 1, 1, 0, 0, 0.5f], hsv.ToArray<float>().AsSpan(0, 12), 1e-6f); // red, green, blue, grey
        var back = Compute1("HSVToRGB", [hsv]);
        Close(rgb, back.ToArray<float>(), 3e-6f);
        // HSVToRGB against colorsys on arbitrary hsv triples.
        var anyHsv = RandomColors(30, 2);
        var rgbOut = Compute1("HSVToRGB", [F(anyHsv, 30, 3)]).ToArray<float>();
        for (int i = 0; i < anyHsv.Length; i += 3)
        {
            var (r, g, b) = RefHsvToRgb(anyHsv[i], anyHsv[i + 1], anyHsv[i + 2]);
            Close([(float)r, (float)g, (float)b], rgbOut.AsSpan(i, 3), 3e-6f, $"pixel {i / 3}");
        }
        var dbl = Compute1("RGBToHSV", [Tensor.Create(rgb.Select(v => (double)v).ToArray(), [40, 3])]).ToArray<double>();
        for (int i = 0; i < rgb.Length; i++) Assert.True(Math.Abs(dbl[i] - expected[i]) < 1e-6, $"double [{i}]");
        var half = Compute1("RGBToHSV", [Tensor.Create(rgb.Select(v => (Half)v).ToArray(), [40, 3])]);
        Assert.Equal(DataType.DtHalf, half.DType);
        var hv = half.ToArray<Half>();
        for (int i = 0; i < rgb.Length; i += 3)
        {
            var (h, s, v) = RefRgbToHsv((float)(Half)rgb[i], (float)(Half)rgb[i + 1], (float)(Half)rgb[i + 2]);
            Close([(float)h, (float)s, (float)v], hv.AsSpan(i, 3).ToArray().Select(q => (float)q).ToArray(), 2e-3f, $"half pixel {i / 3}");
        }
        Assert.Contains("3 channels", Assert.Throws<GraphExecutionException>(() => Compute1("RGBToHSV", [F(new float[8], 2, 4)])).Message);
        Assert.Equal(new TensorShape(0, 3), Compute1("HSVToRGB", [F([], 0, 3)]).Shape);
    }

    [Fact]
    public void AdjustContrastv2_MeanPerImageAndChannel_ThenScalesDeviation()
    {
        // 2×2 single channel: mean 2.5, factor 2 → 2.5 + 2(x − 2.5).
        Close([-0.5f, 1.5f, 3.5f, 5.5f], Compute1("AdjustContrastv2", [F([1, 2, 3, 4], 2, 2, 1), Tensor.FromScalar(2f)]).ToArray<float>());
        // Batch of 3 (a 5-D input: leading dims all batch), odd image size 5×3, 3 channels.
        var x = RandomFloats(new Random(4), 2 * 3 * 5 * 3 * 3, 10f);
        var y = Compute1("AdjustContrastv2", [F(x, 2, 3, 5, 3, 3), Tensor.FromScalar(0.3f)]).ToArray<float>();
        int plane = 5 * 3 * 3;
        for (int img = 0; img < 6; img++)
            for (int c = 0; c < 3; c++)
            {
                double mean = 0;
                for (int p = 0; p < 15; p++) mean += x[img * plane + p * 3 + c];
                mean /= 15;
                for (int p = 0; p < 15; p++)
                {
                    int i = img * plane + p * 3 + c;
                    Assert.True(Math.Abs(mean + 0.3 * (x[i] - mean) - y[i]) < 1e-5, $"image {img} pixel {p} channel {c}");
                }
            }
        Close([7f, 7f], Compute1("AdjustContrastv2", [F([7, 7], 1, 1, 2), Tensor.FromScalar(5f)]).ToArray<float>()); // 1×1: mean is the pixel
        Assert.Contains("at least 3-D", Assert.Throws<GraphExecutionException>(() => Compute1("AdjustContrastv2", [F([1, 2], 1, 2), Tensor.FromScalar(2f)])).Message);
        Assert.Contains("contrast_factor must be scalar", Assert.Throws<GraphExecutionException>(() => Compute1("AdjustContrastv2", [F([1, 2], 1, 1, 2), F([2f])])).Message);
    }

    [Fact]
    public void AdjustSaturationAndHue_MatchColorsysRoundTrip()
    {
        var rgb = RandomColors(50, 3);
        foreach (float scale in new[] { 0f, 0.5f, 1.7f, 5f })
        {
            var y = Compute1("AdjustSaturation", [F(rgb, 5, 10, 3), Tensor.FromScalar(scale)]).ToArray<float>();
            for (int i = 0; i < rgb.Length; i += 3)
            {
                var (h, s, v) = RefRgbToHsv(rgb[i], rgb[i + 1], rgb[i + 2]);
                var (r, g, b) = RefHsvToRgb(h, Math.Clamp(s * scale, 0, 1), v);
                Close([(float)r, (float)g, (float)b], y.AsSpan(i, 3), 1e-5f, $"scale {scale} pixel {i / 3}");
            }
        }
        foreach (float delta in new[] { 0f, 0.25f, -0.7f, 1.5f })
        {
            var y = Compute1("AdjustHue", [F(rgb, 5, 10, 3), Tensor.FromScalar(delta)]).ToArray<float>();
            for (int i = 0; i < rgb.Length; i += 3)
            {
                var (h, s, v) = RefRgbToHsv(rgb[i], rgb[i + 1], rgb[i + 2]);
                double nh = h + delta;
                var (r, g, b) = RefHsvToRgb(nh - Math.Floor(nh), s, v);
                Close([(float)r, (float)g, (float)b], y.AsSpan(i, 3), 1e-5f, $"delta {delta} pixel {i / 3}");
            }
        }
        // An infinite delta must not spin in TF's ±6 wrap loop.
        Assert.All(Compute1("AdjustHue", [F([0.9f, 0.2f, 0.1f], 1, 1, 3), Tensor.FromScalar(float.PositiveInfinity)]).ToArray<float>(), v => Assert.True(float.IsNaN(v)));
        Assert.Contains("3 channels", Assert.Throws<GraphExecutionException>(() => Compute1("AdjustHue", [F(new float[4], 1, 1, 4), Tensor.FromScalar(0.1f)])).Message);
        Assert.Contains("float", Assert.Throws<GraphExecutionException>(() => Compute1("AdjustSaturation", [Tensor.Create(new byte[3], [1, 1, 3]), Tensor.FromScalar(0.1f)])).Message);
    }

    private static (string, AttrValue)[] PatchAttrs(int k, int s, int r, string padding) =>
        Attrs(("ksizes", new[] { 1, k, k, 1 }), ("strides", new[] { 1, s, s, 1 }), ("rates", new[] { 1, r, r, 1 }), ("padding", padding));

    [Fact]
    public void ExtractImagePatches_TfDocExample_10x10_Ksize3_Stride5()
    {
        // tf.image.extract_patches doc: n = 10, images = 1..100 as [1,10,10,1], sizes 3, strides 5, rates 1, VALID →
        // [1,2,2,9] with patches [1 2 3 11 12 13 21 22 23], [6 7 8 16 17 18 26 27 28], [51 …], [56 …].
        var img = F(Enumerable.Range(1, 100).Select(i => (float)i).ToArray(), 1, 10, 10, 1);
        var r = Compute1("ExtractImagePatches", [img], PatchAttrs(3, 5, 1, "VALID"));
        Assert.Equal(new TensorShape(1, 2, 2, 9), r.Shape);
        Assert.Equal([1f, 2, 3, 11, 12, 13, 21, 22, 23, 6, 7, 8, 16, 17, 18, 26, 27, 28, 51, 52, 53, 61, 62, 63, 71, 72, 73, 56, 57, 58, 66, 67, 68, 76, 77, 78], r.ToArray<float>());
        // Same doc, rates 2: each patch samples every other pixel over a 5×5 span → [1,2,2,9] again starting 1, 3, 5, 21 ….
        var dilated = Compute1("ExtractImagePatches", [img], PatchAttrs(3, 5, 2, "VALID"));
        Assert.Equal(new TensorShape(1, 2, 2, 9), dilated.Shape);
        Assert.Equal([1f, 3, 5, 21, 23, 25, 41, 43, 45], dilated.ToArray<float>().AsSpan(0, 9).ToArray());
    }

    [Theory]
    [InlineData(2, 3, 1, 1, "SAME")]
    [InlineData(3, 2, 2, 1, "SAME")]
    [InlineData(2, 1, 1, 2, "VALID")]
    [InlineData(4, 3, 1, 2, "SAME")]
    [InlineData(6, 1, 1, 1, "VALID")] // window as tall as 6 > 5 rows: zero output rows, one column
    public void ExtractImagePatches_MatchesReferenceLoop(int k, int s, int rate, int depth, string padding)
    {
        int b = 2, h = 5, w = 6;
        var x = Enumerable.Range(0, b * h * w * depth).Select(i => i + 1).ToArray();
        var r = Compute1("ExtractImagePatches", [I(x, b, h, w, depth)], PatchAttrs(k, s, rate, padding));
        int eff = k + (k - 1) * (rate - 1);
        int oh = padding == "VALID" ? Math.Max(0, (h - eff + s) / s) : (h + s - 1) / s;
        int ow = padding == "VALID" ? Math.Max(0, (w - eff + s) / s) : (w + s - 1) / s;
        int padTop = padding == "VALID" ? 0 : Math.Max((oh - 1) * s + eff - h, 0) / 2;
        int padLeft = padding == "VALID" ? 0 : Math.Max((ow - 1) * s + eff - w, 0) / 2;
        Assert.Equal(new TensorShape(b, oh, ow, k * k * depth), r.Shape);
        var expected = new List<int>();
        for (int n = 0; n < b; n++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                    for (int i = 0; i < k; i++)
                        for (int j = 0; j < k; j++)
                            for (int d = 0; d < depth; d++)
                            {
                                int iy = oy * s - padTop + i * rate, ix = ox * s - padLeft + j * rate;
                                expected.Add(iy < 0 || iy >= h || ix < 0 || ix >= w ? 0 : x[((n * h + iy) * w + ix) * depth + d]);
                            }
        Assert.Equal(expected, r.ToArray<int>());
    }

    [Fact]
    public void ExtractImagePatches_RejectsBatchOrDepthWindows()
    {
        var img = F(new float[16], 1, 4, 4, 1);
        var bad = Attrs(("ksizes", new[] { 2, 2, 2, 1 }), ("strides", new[] { 1, 1, 1, 1 }), ("rates", new[] { 1, 1, 1, 1 }), ("padding", "VALID"));
        Assert.Contains("Only support ksizes across space", Assert.Throws<GraphExecutionException>(() => Compute1("ExtractImagePatches", [img], bad)).Message);
        // VALID with a window two larger than the image: (4 − 6 + 1) / 1 < 0, TF's "Computed output size would be negative".
        Assert.Contains("negative", Assert.Throws<GraphExecutionException>(() => Compute1("ExtractImagePatches", [img], PatchAttrs(6, 1, 1, "VALID"))).Message);
    }
}
