using TypedGraph.Kernels.NN;
using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.TestTensors;

namespace TypedGraph.Tests.Kernels;

/// <summary>
/// Every DepthwiseConv2dNative path (border pixels, the 8- and 4-pixel register blocks for 3-wide windows at stride 1
/// and 2, the generic 4-pixel block, 16- and 8-channel vectors, the scalar remainder and multiplier > 1) against a
/// double-precision reference loop written here, with TF's output-size and padding rules restated independently.
/// </summary>
public class DepthwiseConvPathTests
{
    /// <summary>A depthwise problem in NHWC with the padding TF resolves for it.</summary>
    internal sealed record Problem(int N, int H, int W, int C, int KH, int KW, int M, int SH, int SW, int DH, int DW, string Padding,
        int[]? Explicit = null)
    {
        public int OH => Out(H, KH, SH, DH, Explicit?[2] ?? 0, Explicit?[3] ?? 0);

        public int OW => Out(W, KW, SW, DW, Explicit?[4] ?? 0, Explicit?[5] ?? 0);

        public int PadTop => Pad(H, KH, SH, DH, OH, Explicit?[2] ?? 0);

        public int PadLeft => Pad(W, KW, SW, DW, OW, Explicit?[4] ?? 0);

        // TF's GetWindowedOutputSizeVerbose (core/framework/kernel_shape_util.cc): VALID ⌈(in − eff + 1)/s⌉, SAME ⌈in/s⌉,
        // EXPLICIT (in + before + after − eff)/s + 1, with eff = (k − 1)·d + 1; SAME puts the odd padding pixel after.
        private int Out(int size, int k, int s, int d, int before, int after) => Padding switch
        {
            "VALID" => (size - ((k - 1) * d + 1) + s) / s,
            "SAME" => (size + s - 1) / s,
            _ => (size + before + after - ((k - 1) * d + 1)) / s + 1,
        };

        private int Pad(int size, int k, int s, int d, int outSize, int before) => Padding switch
        {
            "VALID" => 0,
            "SAME" => Math.Max(0, (outSize - 1) * s + (k - 1) * d + 1 - size) / 2,
            _ => before,
        };

        public Action<Protos.NodeDef> Attrs(string format = "NHWC") => def =>
        {
            bool nchw = format == "NCHW";
            def.Attr["strides"] = ToAttr(nchw ? new[] { 1, 1, SH, SW } : [1, SH, SW, 1]);
            def.Attr["dilations"] = ToAttr(nchw ? new[] { 1, 1, DH, DW } : [1, DH, DW, 1]);
            def.Attr["padding"] = ToAttr(Padding);
            def.Attr["data_format"] = ToAttr(format);
            if (Explicit != null) def.Attr["explicit_paddings"] = ToAttr(nchw ? new[] { 0, 0, 0, 0, Explicit[2], Explicit[3], Explicit[4], Explicit[5] } : Explicit);
        };

        public override string ToString() => $"{N}x{H}x{W}x{C} k{KH}x{KW} m{M} s{SH},{SW} d{DH},{DW} {Padding}";
    }

    /// <summary>
    /// y[b, oh, ow, c·M + m] = Σ x[b, oh·SH − PT + ky·DH, ow·SW − PL + kx·DW, c]·f[ky, kx, c, m] in double, with
    /// Σ|x·f| per output for the error bound.
    /// </summary>
    internal static (double[] Y, double[] Abs) Reference(Problem p, float[] x, float[] f)
    {
        int oc = p.C * p.M;
        var y = new double[(long)p.N * p.OH * p.OW * oc];
        var abs = new double[y.Length];
        for (int b = 0; b < p.N; b++)
            for (int oh = 0; oh < p.OH; oh++)
                for (int ow = 0; ow < p.OW; ow++)
                    for (int c = 0; c < p.C; c++)
                        for (int m = 0; m < p.M; m++)
                        {
                            double s = 0, a = 0;
                            for (int ky = 0; ky < p.KH; ky++)
                                for (int kx = 0; kx < p.KW; kx++)
                                {
                                    int ih = oh * p.SH - p.PadTop + ky * p.DH, iw = ow * p.SW - p.PadLeft + kx * p.DW;
                                    if (ih < 0 || ih >= p.H || iw < 0 || iw >= p.W) continue;
                                    double t = (double)x[((b * p.H + ih) * p.W + iw) * p.C + c] * f[((ky * p.KW + kx) * p.C + c) * p.M + m];
                                    s += t;
                                    a += Math.Abs(t);
                                }
                            long o = (((long)b * p.OH + oh) * p.OW + ow) * oc + c * p.M + m;
                            y[o] = s;
                            abs[o] = a;
                        }
        return (y, abs);
    }

    /// <summary>|got − exact| ≤ (K + 2)·u·Σ|x·f| (K = terms per output, u = 2⁻²⁴): float summation's rigorous bound.</summary>
    internal static void AssertWithinBound(double[] exact, double[] abs, ReadOnlySpan<float> got, int terms, string what)
    {
        Assert.Equal(exact.Length, got.Length);
        double u = Math.Pow(2, -24);
        for (int i = 0; i < exact.Length; i++)
        {
            double bound = (terms + 2) * u * abs[i] + 1e-30;
            if (Math.Abs(got[i] - exact[i]) > bound)
                Assert.Fail($"{what}: element {i}: got {got[i]}, exact {exact[i]}, bound {bound}");
        }
    }

    private static void Check(Problem p, int seed, string format = "NHWC")
    {
        var r = new Random(seed);
        var x = RandomFloats(r, (long)p.N * p.H * p.W * p.C);
        var f = RandomFloats(r, (long)p.KH * p.KW * p.C * p.M);
        var (exact, abs) = Reference(p, x, f);
        bool nchw = format == "NCHW";
        var input = nchw ? F(ToNchw(x, p.N, p.H, p.W, p.C), p.N, p.C, p.H, p.W) : F(x, p.N, p.H, p.W, p.C);
        var y = Compute1("DepthwiseConv2dNative", [input, F(f, p.KH, p.KW, p.C, p.M)], p.Attrs(format));
        int oc = p.C * p.M;
        Assert.Equal(nchw ? new TensorShape(p.N, oc, p.OH, p.OW) : new TensorShape(p.N, p.OH, p.OW, oc), y.Shape);
        var got = nchw ? ToNhwc(y.ToArray<float>(), p.N, p.OH, p.OW, oc) : y.ToArray<float>();
        AssertWithinBound(exact, abs, got, p.KH * p.KW, p.ToString());
    }

    internal static float[] ToNchw(float[] x, int n, int h, int w, int c)
    {
        var r = new float[x.Length];
        for (int b = 0; b < n; b++)
            for (int i = 0; i < h * w; i++)
                for (int ch = 0; ch < c; ch++) r[(b * c + ch) * h * w + i] = x[(b * h * w + i) * c + ch];
        return r;
    }

    internal static float[] ToNhwc(float[] x, int n, int h, int w, int c)
    {
        var r = new float[x.Length];
        for (int b = 0; b < n; b++)
            for (int i = 0; i < h * w; i++)
                for (int ch = 0; ch < c; ch++) r[(b * h * w + i) * c + ch] = x[(b * c + ch) * h * w + i];
        return r;
    }

    public static TheoryData<string> MobileNetShapes => new()
    {
        // 3×3 stride 1: interior widths 8k, 8k + 4, 8k + 4 + 1..3 (register blocks, the 4-block, single interior pixels).
        "1x9x10x32 3x3 m1 s1x1 d1x1 SAME", "2x7x14x16 3x3 m1 s1x1 d1x1 SAME", "1x5x19x48 3x3 m1 s1x1 d1x1 SAME",
        "1x6x23x64 3x3 m1 s1x1 d1x1 VALID", "3x4x17x24 3x3 m1 s1x1 d1x1 SAME", "1x3x30x40 3x3 m1 s1x1 d1x1 VALID",
        // 3×3 stride 2, even and odd sizes (SAME pads 0 before on even input, 1 on odd).
        "1x16x16x32 3x3 m1 s2x2 d1x1 SAME", "1x17x33x16 3x3 m1 s2x2 d1x1 SAME", "2x9x21x24 3x3 m1 s2x2 d1x1 VALID",
        "1x12x40x8 3x3 m1 s2x2 d1x1 SAME", "1x7x7x512 3x3 m1 s1x1 d1x1 SAME", "1x14x14x144 3x3 m1 s2x2 d1x1 SAME",
    };

    [Theory]
    [MemberData(nameof(MobileNetShapes))]
    public void ThreeByThreeRegisterBlocksMatchReference(string shape) => Check(Parse(shape), Seed(shape));

    [Theory]
    [MemberData(nameof(MobileNetShapes))]
    public void ThreeByThreeRegisterBlocksMatchReferenceWith8WideVectors(string shape)
    {
        // The AVX2 path on any machine with Vector256 + FMA (on AVX-512 machines it otherwise only serves C % 16 ≥ 8).
        DepthwiseConv2DKernel.ForceVector256 = true;
        try { Check(Parse(shape), Seed(shape)); }
        finally { DepthwiseConv2DKernel.ForceVector256 = false; }
    }

    [Theory]
    // Channels not a multiple of 8 (scalar remainder after 16/8 vectors), multipliers 2 and 3, dilations, stride 3,
    // unequal strides, wide and tall windows, 1×1, windows wider than the image (SAME), batch > 1.
    [InlineData("2x9x11x37 3x3 m1 s1x1 d1x1 SAME")]
    [InlineData("1x10x7x5 3x3 m1 s1x1 d1x1 SAME")]
    [InlineData("2x8x9x13 3x3 m2 s1x1 d1x1 SAME")]
    [InlineData("1x11x12x16 3x3 m3 s2x2 d1x1 VALID")]
    [InlineData("1x7x9x4 5x3 m2 s2x1 d1x1 SAME")]
    [InlineData("1x12x12x48 3x3 m1 s1x1 d2x2 SAME")]
    [InlineData("2x11x19x24 3x3 m1 s2x1 d3x2 VALID")]
    [InlineData("1x13x25x32 5x5 m1 s1x1 d1x1 SAME")]
    [InlineData("1x13x25x32 3x3 m1 s3x3 d1x1 SAME")]
    [InlineData("1x10x20x16 1x1 m1 s1x1 d1x1 VALID")]
    [InlineData("1x9x20x16 3x7 m1 s1x2 d1x1 SAME")]
    [InlineData("1x3x4x16 5x7 m1 s1x1 d1x1 SAME")]
    [InlineData("4x6x6x20 3x3 m1 s2x2 d1x1 SAME")]
    [InlineData("1x5x12x16 3x3 m1 s1x1 d1x3 SAME")]
    public void OtherWindowsChannelsAndMultipliersMatchReference(string shape) => Check(Parse(shape), Seed(shape));

    [Theory]
    [InlineData("1x9x17x32 3x3 m1 s1x1 d1x1 EXPLICIT", 0, 2, 3, 1)]
    [InlineData("2x8x12x24 3x3 m2 s2x2 d1x1 EXPLICIT", 1, 0, 0, 2)]
    [InlineData("1x6x30x16 3x3 m1 s1x1 d1x1 EXPLICIT", 4, 4, 5, 0)]
    public void ExplicitPaddingMatchesReference(string shape, int top, int bottom, int left, int right)
        => Check(Parse(shape) with { Explicit = [0, 0, top, bottom, left, right, 0, 0] }, top + 7 * left);

    [Theory]
    [InlineData("2x9x10x32 3x3 m1 s1x1 d1x1 SAME")]
    [InlineData("1x8x11x5 3x3 m2 s2x2 d1x1 VALID")]
    public void NchwMatchesReference(string shape) => Check(Parse(shape), 3, "NCHW");

    [Fact]
    public void RandomShapesMatchReference()
    {
        var r = new Random(1234);
        string[] pads = ["SAME", "VALID", "EXPLICIT"];
        for (int i = 0; i < 60; i++)
        {
            int kh = r.Next(1, 5), kw = r.Next(1, 5), dh = r.Next(1, 3), dw = r.Next(1, 3);
            int[] cs = [1, 3, 8, 16, 19, 24, 32, 45];
            var p = new Problem(r.Next(1, 3), r.Next(1, 15), r.Next(1, 30), cs[r.Next(cs.Length)], kh, kw, r.Next(1, 4) > 2 ? 2 : 1,
                r.Next(1, 4), r.Next(1, 4), dh, dw, pads[r.Next(3)]);
            if (p.Padding == "EXPLICIT") p = p with { Explicit = [0, 0, r.Next(0, 3), r.Next(0, 3), r.Next(0, 3), r.Next(0, 3), 0, 0] };
            if (p.OH <= 0 || p.OW <= 0) continue;
            Check(p, i);
        }
    }

    [Fact]
    public void EmptyBatchAndZeroChannelsGiveEmptyOutputs()
    {
        var y = Compute1("DepthwiseConv2dNative", [F([], 0, 5, 5, 16), F(new float[9 * 16], 3, 3, 16, 1)], Parse("0x5x5x16 3x3 m1 s1x1 d1x1 SAME").Attrs());
        Assert.Equal(new TensorShape(0, 5, 5, 16), y.Shape);
        var p = Parse("1x4x6x0 3x3 m2 s2x2 d1x1 VALID");
        var z = Compute1("DepthwiseConv2dNative", [F([], 1, 4, 6, 0), F([], 3, 3, 0, 2)], p.Attrs());
        Assert.Equal(new TensorShape(1, 1, 2, 0), z.Shape);
    }

    private static int Seed(string s) => s.Aggregate(17, (h, ch) => h * 31 + ch) & 0xffff;

    /// <summary>"NxHxWxC KHxKW mM sSHxSW dDHxDW PADDING".</summary>
    internal static Problem Parse(string s)
    {
        var t = s.Split(' ');
        var d = t[0].Split('x').Select(int.Parse).ToArray();
        var k = t[1].Split('x').Select(int.Parse).ToArray();
        var st = t[3][1..].Split('x').Select(int.Parse).ToArray();
        var di = t[4][1..].Split('x').Select(int.Parse).ToArray();
        return new Problem(d[0], d[1], d[2], d[3], k[0], k[1], int.Parse(t[2][1..]), st[0], st[1], di[0], di[1], t[5]);
    }
}
