using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.NN;
using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.TestTensors;

namespace TypedGraph.Tests.Kernels;

/// <summary>
/// Every Conv2D path — direct (≤ 8 input channels, OC in whole vectors), im2col + GEMM, pointwise GEMM — against the naive
/// 7-loop reference, on shapes chosen so that each path is the one the choice rule picks.
/// </summary>
public class ConvPathTests
{
    private static Action<Protos.NodeDef> Attrs(int sh, int sw, string padding, int dh, int dw, int[]? pads) => def =>
    {
        def.Attr["strides"] = ToAttr(new[] { 1, sh, sw, 1 });
        def.Attr["dilations"] = ToAttr(new[] { 1, dh, dw, 1 });
        def.Attr["padding"] = ToAttr(padding);
        def.Attr["data_format"] = ToAttr("NHWC");
        if (pads != null) def.Attr["explicit_paddings"] = ToAttr(pads);
    };

    private static (float[] Expected, float[] Got, Window2D G) Convolve(int seed, int n, int h, int w, int c, int kh, int kw, int oc,
        int sh, int sw, int dh, int dw, string padding)
    {
        var r = new Random(seed);
        var x = RandomFloats(r, n * h * w * c);
        var f = RandomFloats(r, kh * kw * c * oc);
        int[]? pads = padding == "EXPLICIT" ? [0, 0, 1, 2, 2, 0, 0, 0] : null;
        var kind = Padding.Parse(padding);
        int pt = pads?[2] ?? 0, pb = pads?[3] ?? 0, pl = pads?[4] ?? 0, pr = pads?[5] ?? 0;
        var g = Window2D.Create(n, h, w, c, kh, kw, sh, sw, dh, dw, kind, (pt, pb, pl, pr));
        var expected = ConvPoolTests.NaiveConv(x, n, h, w, c, f, kh, kw, oc, sh, sw, dh, dw, g.OH, g.OW, g.PadTop, g.PadLeft);
        var y = Compute1("Conv2D", [F(x, n, h, w, c), F(f, kh, kw, c, oc)], Attrs(sh, sw, padding, dh, dw, pads));
        Assert.Equal(new TensorShape(n, g.OH, g.OW, oc), y.Shape);
        return (expected, y.ToArray<float>(), g);
    }

    [Theory]
    [InlineData(32, 28, 28, 1, 5, 5, 32, 1, 1, 1, 1, "SAME")]    // the MNIST first layer (benchmark case)
    [InlineData(2, 28, 28, 1, 3, 3, 16, 1, 1, 1, 1, "SAME")]
    [InlineData(1, 30, 29, 3, 3, 3, 64, 1, 1, 1, 1, "SAME")]     // RGB first layer, odd width (row tails)
    [InlineData(2, 17, 19, 3, 5, 5, 32, 2, 2, 1, 1, "SAME")]     // stride 2
    [InlineData(1, 20, 21, 2, 3, 3, 48, 1, 1, 2, 2, "SAME")]     // dilated
    [InlineData(1, 12, 13, 4, 3, 2, 16, 1, 2, 1, 1, "VALID")]
    [InlineData(1, 6, 5, 1, 5, 5, 32, 1, 1, 1, 1, "SAME")]       // narrower than a pixel block: border path only
    [InlineData(1, 11, 14, 1, 3, 3, 16, 2, 1, 1, 1, "EXPLICIT")]
    [InlineData(3, 14, 14, 6, 5, 5, 16, 1, 1, 1, 1, "SAME")]     // a LeNet's second conv: 6 channels
    [InlineData(2, 13, 11, 8, 3, 3, 32, 2, 1, 1, 1, "SAME")]     // 8 channels, stride 2 rows
    public void DirectPath_MatchesNaiveReference(int n, int h, int w, int c, int kh, int kw, int oc, int sh, int sw, int dh, int dw, string padding)
    {
        var (expected, got, g) = Convolve(h * 31 + w + oc, n, h, w, c, kh, kw, oc, sh, sw, dh, dw, padding);
        Assert.Equal(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated, DirectConv2D.IsPreferred(g, oc));
        Close(expected, got, 1e-4f, "direct conv");
    }

    [Theory]
    [InlineData(2, 14, 14, 12, 3, 3, 48, 1, 1, "SAME")]  // 12 input channels, OC not whole 32-panels: im2col + GEMM
    [InlineData(1, 9, 9, 12, 3, 3, 10, 1, 1, "SAME")]    // OC not a multiple of 16, C > 8: im2col + GEMM
    [InlineData(2, 7, 7, 3, 1, 1, 32, 1, 1, "VALID")]    // pointwise: one GEMM
    public void OtherPaths_AreNotDirect_AndMatchNaiveReference(int n, int h, int w, int c, int kh, int kw, int oc, int sh, int sw, string padding)
    {
        var (expected, got, g) = Convolve(h * 7 + c + oc, n, h, w, c, kh, kw, oc, sh, sw, 1, 1, padding);
        Assert.False(DirectConv2D.IsPreferred(g, oc) && !(kh == 1 && kw == 1));
        Assert.False(ImplicitGemmConv2D.IsPreferred(g, oc) && !(kh == 1 && kw == 1));
        Close(expected, got, 1e-4f, "conv");
    }

    [Theory]
    [InlineData(4, 14, 14, 32, 5, 5, 64, 1, 1, 1, 1, "SAME")]   // the TF MNIST net's second conv (pixels a multiple of 8)
    [InlineData(1, 7, 9, 12, 3, 3, 32, 1, 1, 1, 1, "SAME")]     // 63 pixels: a last block of 7
    [InlineData(2, 17, 19, 16, 3, 3, 64, 2, 2, 1, 1, "SAME")]   // stride 2
    [InlineData(1, 20, 21, 12, 3, 3, 32, 1, 1, 2, 2, "SAME")]   // dilated
    [InlineData(1, 12, 13, 10, 3, 2, 32, 1, 2, 1, 1, "VALID")]  // VALID with a leftover column
    [InlineData(1, 11, 14, 9, 3, 3, 96, 2, 1, 1, 1, "EXPLICIT")]
    [InlineData(1, 3, 2, 11, 5, 5, 32, 1, 1, 1, 1, "SAME")]     // fewer pixels than one block, window wider than the image
    public void ImplicitGemmPath_MatchesNaiveReference(int n, int h, int w, int c, int kh, int kw, int oc, int sh, int sw, int dh, int dw, string padding)
    {
        var (expected, got, g) = Convolve(h * 17 + w + c + oc, n, h, w, c, kh, kw, oc, sh, sw, dh, dw, padding);
        Assert.Equal(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated, ImplicitGemmConv2D.IsPreferred(g, oc));
        Assert.False(DirectConv2D.IsPreferred(g, oc));
        Close(expected, got, 1e-4f * (1 + kh * kw * c / 64f), "implicit-GEMM conv");
    }

    [Fact]
    public void RandomShapes_EveryPathMatchesNaiveReference()
    {
        var r = new Random(1234);
        int direct = 0;
        for (int i = 0; i < 40; i++)
        {
            int c = r.Next(1, 6), oc = r.Next(0, 2) == 0 ? 16 * r.Next(1, 5) : r.Next(1, 40);
            int kh = r.Next(1, 6), kw = r.Next(1, 6), s = r.Next(1, 3), d = kh > 3 || kw > 3 ? 1 : r.Next(1, 3);
            int h = r.Next(kh * d, 24), w = r.Next(kw * d, 24);
            var padding = r.Next(0, 2) == 0 ? "SAME" : "VALID";
            var (expected, got, g) = Convolve(i, r.Next(1, 3), h, w, c, kh, kw, oc, s, s, d, d, padding);
            if (DirectConv2D.IsPreferred(g, oc)) direct++;
            Close(expected, got, 1e-4f, $"case {i}");
        }
        if (System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated) Assert.True(direct >= 5, $"only {direct} of 40 random shapes took the direct path");
    }

    [Theory]
    [InlineData(5, 2, 13, 17, 1, 5, 32, "direct")]
    [InlineData(9, 3, 9, 11, 16, 3, 64, "implicit")]   // 297 pixels: a partial last block
    public void FusedConvBiasRelu_OnEachPath_MatchesConvThenBiasThenRelu(int seed, int n, int h, int w, int c, int k, int oc, string path)
    {
        var r = new Random(seed);
        var x = RandomFloats(r, n * h * w * c);
        var f = RandomFloats(r, k * k * c * oc);
        var bias = RandomFloats(r, oc);
        var g = Window2D.Create(n, h, w, c, k, k, 1, 1, 1, 1, PaddingKind.Same, default);
        Assert.Equal(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated,
            path == "direct" ? DirectConv2D.IsPreferred(g, oc) : ImplicitGemmConv2D.IsPreferred(g, oc));
        var expected = ConvPoolTests.NaiveConv(x, n, h, w, c, f, k, k, oc, 1, 1, 1, 1, g.OH, g.OW, g.PadTop, g.PadLeft);
        for (int i = 0; i < expected.Length; i++) expected[i] = Math.Max(0, expected[i] + bias[i % oc]);
        var y = Compute1("_FusedConv2D", [F(x, n, h, w, c), F(f, k, k, c, oc), F(bias, oc)], def =>
        {
            Attrs(1, 1, "SAME", 1, 1, null)(def);
            def.Attr["num_args"] = ToAttr(1);
            def.Attr["fused_ops"] = new Protos.AttrValue { List = new Protos.AttrValue.Types.ListValue { S = { Google.Protobuf.ByteString.CopyFromUtf8("BiasAdd"), Google.Protobuf.ByteString.CopyFromUtf8("Relu") } } };
        });
        Close(expected, y.ToArray<float>(), path == "direct" ? 1e-4f : 3e-4f, "fused " + path + " conv");
    }
}
