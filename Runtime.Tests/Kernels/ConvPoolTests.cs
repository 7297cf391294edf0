using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.TestTensors;

namespace TypedGraph.Tests.Kernels;

public class ConvPoolTests
{
    private static Action<Protos.NodeDef> ConvAttrs(int sh, int sw, string padding, string format = "NHWC", int dh = 1, int dw = 1, int[]? explicitPads = null) => def =>
    {
        bool nchw = format == "NCHW";
        def.Attr["strides"] = ToAttr(nchw ? new[] { 1, 1, sh, sw } : [1, sh, sw, 1]);
        def.Attr["dilations"] = ToAttr(nchw ? new[] { 1, 1, dh, dw } : [1, dh, dw, 1]);
        def.Attr["padding"] = ToAttr(padding);
        def.Attr["data_format"] = ToAttr(format);
        if (explicitPads != null) def.Attr["explicit_paddings"] = ToAttr(explicitPads);
    };

    /// <summary>Direct 7-loop convolution, NHWC, TF padding split.</summary>
    internal static float[] NaiveConv(float[] x, int n, int h, int w, int c, float[] f, int kh, int kw, int oc,
        int sh, int sw, int dh, int dw, int oh, int ow, int padT, int padL, bool depthwise = false)
    {
        int outC = depthwise ? c * oc : oc;
        var y = new float[n * oh * ow * outC];
        for (int b = 0; b < n; b++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                    for (int o = 0; o < outC; o++)
                    {
                        double s = 0;
                        for (int u = 0; u < kh; u++)
                            for (int v = 0; v < kw; v++)
                            {
                                int ih = i * sh - padT + u * dh, iw = j * sw - padL + v * dw;
                                if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                                if (depthwise)
                                {
                                    int ch = o / oc, m = o % oc;
                                    s += x[((b * h + ih) * w + iw) * c + ch] * f[((u * kw + v) * c + ch) * oc + m];
                                }
                                else
                                    for (int ch = 0; ch < c; ch++)
                                        s += x[((b * h + ih) * w + iw) * c + ch] * f[((u * kw + v) * c + ch) * oc + o];
                            }
                        y[((b * oh + i) * ow + j) * outC + o] = (float)s;
                    }
        return y;
    }

    [Fact]
    public void Conv3x3SameOnA4x4RampIsHandChecked()
    {
        // Input 1..16 as a 4×4 single-channel image, an all-ones 3×3 filter: each output is the sum of
        // its clipped 3×3 neighbourhood. Corner (0,0): 1+2+5+6 = 14; (1,1): 1+2+3+5+6+7+9+10+11 = 54.
        var x = F(Enumerable.Range(1, 16).Select(v => (float)v).ToArray(), 1, 4, 4, 1);
        var k = F(Enumerable.Repeat(1f, 9).ToArray(), 3, 3, 1, 1);
        var y = Compute1("Conv2D", [x, k], ConvAttrs(1, 1, "SAME"));
        Assert.Equal(new TensorShape(1, 4, 4, 1), y.Shape);
        Assert.Equal([14f, 24, 30, 22, 33, 54, 63, 45, 57, 90, 99, 69, 46, 72, 78, 54], y.ToArray<float>());
        // Stride 2 SAME on an even input: out 2×2, total pad 1 → 0 before, 1 after: windows start at rows/cols 0 and 2.
        var s2 = Compute1("Conv2D", [x, k], ConvAttrs(2, 2, "SAME"));
        Assert.Equal(new TensorShape(1, 2, 2, 1), s2.Shape);
        // Windows rows/cols {0,1,2}×{0,1,2} = 54, {0,1,2}×{2,3} = 3+4+7+8+11+12 = 45, {2,3}×{0,1,2} = 9+10+11+13+14+15 = 72, {2,3}×{2,3} = 54.
        Assert.Equal([54f, 45, 72, 54], s2.ToArray<float>());
        var valid = Compute1("Conv2D", [x, k], ConvAttrs(1, 1, "VALID"));
        Assert.Equal(new TensorShape(1, 2, 2, 1), valid.Shape);
        Assert.Equal([54f, 63, 90, 99], valid.ToArray<float>());
    }

    [Fact]
    public void ConvBadShapesAreNamedErrors()
    {
        var x = F(new float[16], 1, 4, 4, 1);
        var ex = Assert.Throws<GraphExecutionException>(() => Compute1("Conv2D", [x, F(new float[18], 3, 3, 2, 1)], ConvAttrs(1, 1, "SAME")));
        Assert.Contains("in_depth", ex.Message);
        Assert.Contains("'node'", ex.Message);
        Assert.Throws<GraphExecutionException>(() => Compute1("Conv2D", [F(new float[4], 2, 2), F(new float[9], 3, 3, 1, 1)], ConvAttrs(1, 1, "SAME")));
        Assert.Throws<GraphExecutionException>(() => Compute1("Conv2D", [F(new float[4], 1, 2, 2, 1), F(new float[16], 4, 4, 1, 1)], ConvAttrs(1, 1, "VALID")));
    }

    [Theory]
    [InlineData(1, 5, 5, 3, 3, 3, 4, 1, 1, 1, 1, "SAME", "NHWC")]
    [InlineData(2, 6, 7, 2, 3, 2, 5, 2, 2, 1, 1, "SAME", "NHWC")]
    [InlineData(2, 8, 8, 3, 2, 2, 3, 2, 1, 1, 1, "SAME", "NHWC")]  // even kernel: extra pad at the end
    [InlineData(1, 9, 9, 2, 3, 3, 4, 1, 1, 2, 2, "SAME", "NHWC")]  // dilated
    [InlineData(1, 9, 8, 2, 3, 3, 4, 2, 3, 1, 1, "VALID", "NHWC")]
    [InlineData(2, 7, 6, 3, 3, 3, 5, 1, 2, 1, 1, "SAME", "NCHW")]
    [InlineData(3, 4, 4, 5, 1, 1, 7, 1, 1, 1, 1, "VALID", "NHWC")] // pointwise: one GEMM
    [InlineData(2, 33, 31, 3, 5, 5, 37, 1, 1, 1, 1, "SAME", "NHWC")] // several im2col chunks
    [InlineData(1, 5, 6, 2, 3, 3, 3, 2, 2, 1, 1, "EXPLICIT", "NHWC")]
    public void ConvMatchesNaiveReference(int n, int h, int w, int c, int kh, int kw, int oc, int sh, int sw, int dh, int dw, string padding, string format)
    {
        var r = new Random(h * 100 + w + oc);
        var x = RandomFloats(r, n * h * w * c);
        var f = RandomFloats(r, kh * kw * c * oc);
        int[]? pads = padding == "EXPLICIT" ? [0, 0, 2, 1, 0, 1, 0, 0] : null;
        var kind = TypedGraph.Kernels.Common.Padding.Parse(padding);
        int pt = pads?[2] ?? 0, pb = pads?[3] ?? 0, pl = pads?[4] ?? 0, pr = pads?[5] ?? 0;
        int oh = TypedGraph.Kernels.Common.Padding.OutputSize(h, kh, dh, sh, kind, ref pt, ref pb);
        int ow = TypedGraph.Kernels.Common.Padding.OutputSize(w, kw, dw, sw, kind, ref pl, ref pr);
        var expected = NaiveConv(x, n, h, w, c, f, kh, kw, oc, sh, sw, dh, dw, oh, ow, pt, pl);
        bool nchw = format == "NCHW";
        var input = nchw ? F(ToNchw(x, n, h, w, c), n, c, h, w) : F(x, n, h, w, c);
        var y = Compute1("Conv2D", [input, F(f, kh, kw, c, oc)], ConvAttrs(sh, sw, padding, format, dh, dw, pads));
        var got = nchw ? ToNhwc(y.ToArray<float>(), n, oh, ow, oc) : y.ToArray<float>();
        Close(expected, got, 1e-4f, "conv");
    }

    [Theory]
    [InlineData(1, 6, 6, 4, 3, 3, 1, 1, 1, "SAME")]
    [InlineData(2, 7, 5, 3, 3, 3, 2, 2, 2, "SAME")]
    [InlineData(1, 8, 8, 16, 5, 5, 1, 2, 1, "VALID")]
    // Vector paths: 16- and 8-channel blocks plus a scalar remainder (C = 40, 27), 4-pixel groups with a 1–3 pixel tail.
    [InlineData(2, 9, 11, 40, 3, 3, 1, 1, 1, "SAME")]
    [InlineData(1, 10, 7, 27, 5, 3, 1, 2, 3, "SAME")]
    [InlineData(1, 6, 13, 32, 3, 3, 1, 1, 2, "VALID")]
    [InlineData(1, 5, 5, 16, 3, 3, 3, 1, 1, "SAME")]
    public void DepthwiseMatchesNaiveReference(int n, int h, int w, int c, int kh, int kw, int mult, int sh, int sw, string padding)
    {
        var r = new Random(h + 17 * c + mult);
        var x = RandomFloats(r, n * h * w * c);
        var f = RandomFloats(r, kh * kw * c * mult);
        var kind = TypedGraph.Kernels.Common.Padding.Parse(padding);
        int pt = 0, pb = 0, pl = 0, pr = 0;
        int oh = TypedGraph.Kernels.Common.Padding.OutputSize(h, kh, 1, sh, kind, ref pt, ref pb);
        int ow = TypedGraph.Kernels.Common.Padding.OutputSize(w, kw, 1, sw, kind, ref pl, ref pr);
        var expected = NaiveConv(x, n, h, w, c, f, kh, kw, mult, sh, sw, 1, 1, oh, ow, pt, pl, depthwise: true);
        var y = Compute1("DepthwiseConv2dNative", [F(x, n, h, w, c), F(f, kh, kw, c, mult)], ConvAttrs(sh, sw, padding));
        Assert.Equal(new TensorShape(n, oh, ow, c * mult), y.Shape);
        Close(expected, y.AsSpan<float>(), 1e-4f, "depthwise");
    }

    [Theory]
    [InlineData(1, 12, 12, 48, 3, 3, 2, 2, 1, 1, "SAME")]
    [InlineData(2, 11, 9, 24, 3, 3, 3, 2, 2, 1, "VALID")]
    public void DilatedDepthwiseMatchesNaiveReference(int n, int h, int w, int c, int kh, int kw, int dh, int dw, int sh, int sw, string padding)
    {
        var r = new Random(h * 31 + c + dh);
        var x = RandomFloats(r, n * h * w * c);
        var f = RandomFloats(r, kh * kw * c);
        var kind = TypedGraph.Kernels.Common.Padding.Parse(padding);
        int pt = 0, pb = 0, pl = 0, pr = 0;
        int oh = TypedGraph.Kernels.Common.Padding.OutputSize(h, kh, dh, sh, kind, ref pt, ref pb);
        int ow = TypedGraph.Kernels.Common.Padding.OutputSize(w, kw, dw, sw, kind, ref pl, ref pr);
        var expected = NaiveConv(x, n, h, w, c, f, kh, kw, 1, sh, sw, dh, dw, oh, ow, pt, pl, depthwise: true);
        var y = Compute1("DepthwiseConv2dNative", [F(x, n, h, w, c), F(f, kh, kw, c, 1)], ConvAttrs(sh, sw, padding, "NHWC", dh, dw));
        Assert.Equal(new TensorShape(n, oh, ow, c), y.Shape);
        Close(expected, y.AsSpan<float>(), 1e-4f, "dilated depthwise");
    }

    private static Action<Protos.NodeDef> PoolAttrs(int k, int s, string padding, string format = "NHWC") => def =>
    {
        bool nchw = format == "NCHW";
        def.Attr["ksize"] = ToAttr(nchw ? new[] { 1, 1, k, k } : [1, k, k, 1]);
        def.Attr["strides"] = ToAttr(nchw ? new[] { 1, 1, s, s } : [1, s, s, 1]);
        def.Attr["padding"] = ToAttr(padding);
        def.Attr["data_format"] = ToAttr(format);
    };

    [Fact]
    public void PoolingSameCountsOnlyValidCells()
    {
        // 3×3 input 1..9, 2×2 window stride 2 SAME: out 2×2, pad 0 before / 1 after.
        var x = F(Enumerable.Range(1, 9).Select(v => (float)v).ToArray(), 1, 3, 3, 1);
        var max = Compute1("MaxPool", [x], PoolAttrs(2, 2, "SAME"));
        Assert.Equal(new TensorShape(1, 2, 2, 1), max.Shape);
        Assert.Equal([5f, 6, 8, 9], max.ToArray<float>());
        var avg = Compute1("AvgPool", [x], PoolAttrs(2, 2, "SAME"));
        // Windows: {1,2,4,5}/4=3, {3,6}/2=4.5, {7,8}/2=7.5, {9}/1=9 — padding cells are not counted.
        Assert.Equal([3f, 4.5f, 7.5f, 9], avg.ToArray<float>());
        var valid = Compute1("MaxPool", [x], PoolAttrs(2, 1, "VALID"));
        Assert.Equal([5f, 6, 8, 9], valid.ToArray<float>());
        var neg = Compute1("MaxPool", [F([-5, -4, -3, -2], 1, 2, 2, 1)], PoolAttrs(3, 1, "SAME"));
        Assert.Equal([-2f, -2, -2, -2], neg.ToArray<float>()); // padding never wins a max
        var v2 = Compute1("MaxPoolV2", [x, I([1, 2, 2, 1]), I([1, 2, 2, 1])], def => { def.Attr["padding"] = ToAttr("SAME"); });
        Assert.Equal([5f, 6, 8, 9], v2.ToArray<float>());
    }

    [Theory]
    [InlineData(2, 7, 6, 3, 3, 2, "SAME", "NHWC")]
    [InlineData(2, 7, 6, 32, 2, 2, "SAME", "NHWC")]  // channels fill Vector512s: register path
    [InlineData(3, 28, 28, 6, 2, 2, "SAME", "NHWC")] // a LeNet's first pool: one masked block of 6 lanes
    [InlineData(2, 9, 8, 37, 3, 2, "SAME", "NHWC")]  // two whole blocks and a masked 5-lane tail
    [InlineData(1, 6, 7, 1, 3, 1, "SAME", "NHWC")]   // one channel, overlapping windows
    [InlineData(1, 9, 9, 16, 3, 2, "VALID", "NHWC")]
    [InlineData(1, 8, 8, 5, 2, 2, "VALID", "NHWC")]
    [InlineData(2, 5, 9, 4, 3, 1, "SAME", "NCHW")]
    public void PoolingMatchesNaiveReference(int n, int h, int w, int c, int k, int s, string padding, string format)
    {
        var r = new Random(n + h * w + c);
        var x = RandomFloats(r, n * h * w * c);
        var kind = TypedGraph.Kernels.Common.Padding.Parse(padding);
        int pt = 0, pb = 0, pl = 0, pr = 0;
        int oh = TypedGraph.Kernels.Common.Padding.OutputSize(h, k, 1, s, kind, ref pt, ref pb);
        int ow = TypedGraph.Kernels.Common.Padding.OutputSize(w, k, 1, s, kind, ref pl, ref pr);
        var emax = new float[n * oh * ow * c];
        var eavg = new float[n * oh * ow * c];
        for (int b = 0; b < n; b++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                    for (int ch = 0; ch < c; ch++)
                    {
                        float m = float.NegativeInfinity, sum = 0;
                        int cnt = 0;
                        for (int u = 0; u < k; u++)
                            for (int v = 0; v < k; v++)
                            {
                                int ih = i * s - pt + u, iw = j * s - pl + v;
                                if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                                float val = x[((b * h + ih) * w + iw) * c + ch];
                                m = Math.Max(m, val);
                                sum += val;
                                cnt++;
                            }
                        emax[((b * oh + i) * ow + j) * c + ch] = m;
                        eavg[((b * oh + i) * ow + j) * c + ch] = sum / cnt;
                    }
        bool nchw = format == "NCHW";
        var input = nchw ? F(ToNchw(x, n, h, w, c), n, c, h, w) : F(x, n, h, w, c);
        var gmax = Compute1("MaxPool", [input], PoolAttrs(k, s, padding, format)).ToArray<float>();
        var gavg = Compute1("AvgPool", [input], PoolAttrs(k, s, padding, format)).ToArray<float>();
        Close(emax, nchw ? ToNhwc(gmax, n, oh, ow, c) : gmax, 1e-6f, "max");
        Close(eavg, nchw ? ToNhwc(gavg, n, oh, ow, c) : gavg, 1e-5f, "avg");
    }

    internal static float[] ToNchw(float[] x, int n, int h, int w, int c)
    {
        var y = new float[x.Length];
        for (int b = 0; b < n; b++) for (int i = 0; i < h * w; i++) for (int ch = 0; ch < c; ch++) y[(b * c + ch) * h * w + i] = x[(b * h * w + i) * c + ch];
        return y;
    }

    internal static float[] ToNhwc(float[] x, int n, int h, int w, int c)
    {
        var y = new float[x.Length];
        for (int b = 0; b < n; b++) for (int i = 0; i < h * w; i++) for (int ch = 0; ch < c; ch++) y[(b * h * w + i) * c + ch] = x[(b * c + ch) * h * w + i];
        return y;
    }
}
