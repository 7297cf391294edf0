using System.Runtime.Intrinsics;
using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.NN;
using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.TestTensors;

namespace TypedGraph.Tests.Kernels;

/// <summary>
/// The direct (few-input-channel) conv's register tiles: output rows cut into near-equal tiles of 1–14 pixels, 32- and
/// 16-wide output-channel tiles, pixel strides 1, 2, 3 and others, window rows in the top/bottom padding skipped, and the
/// bias/Relu/Relu6 epilogue applied in registers — each against the naive double-precision reference
/// (<see cref="ConvPoolTests.NaiveConv"/>). Also pins the cost rule's choice for the 1-channel convs of image nets.
/// </summary>
public class DirectConvTileTests
{
    private static Epilogue Fused(string activation)
        => Epilogue.Parse(activation == "" ? ["BiasAdd"] : ["BiasAdd", activation], 1, 0.3f, null!);

    // TF's activations as written in tensorflow/core/kernels/fused_eigen_output_kernels.h (Relu: max(x, 0); Relu6:
    // min(max(x, 0), 6); Elu: x < 0 ? exp(x) − 1 : x; LeakyRelu: x < 0 ? αx : x), applied to the reference in double.
    private static float Activate(string activation, double v) => activation switch
    {
        "" => (float)v,
        "Relu" => (float)Math.Max(v, 0),
        "Relu6" => (float)Math.Min(Math.Max(v, 0), 6),
        "Elu" => (float)(v < 0 ? Math.Exp(v) - 1 : v),
        "LeakyRelu" => (float)(v < 0 ? 0.3 * v : v),
        "Tanh" => (float)Math.Tanh(v),
        "Sigmoid" => (float)(1 / (1 + Math.Exp(-v))),
        _ => throw new ArgumentException(activation),
    };

    /// <summary>Runs <see cref="DirectConv2D.Run"/> into an output pre-filled with NaN (a pixel left unwritten, or
    /// written from the wrong tile, shows) and compares with the reference (+ bias and activation when fused).</summary>
    private static void Check(int seed, int n, int h, int w, int c, int kh, int kw, int oc, int sh, int sw, int dh, int dw,
        PaddingKind kind, (int, int, int, int) pads = default, string? activation = null, float scale = 1f)
    {
        if (!Vector512.IsHardwareAccelerated) return; // the direct path is never chosen without AVX-512
        var r = new Random(seed);
        var x = RandomFloats(r, (long)n * h * w * c, scale);
        var f = RandomFloats(r, (long)kh * kw * c * oc);
        var b = RandomFloats(r, oc);
        var g = Window2D.Create(n, h, w, c, kh, kw, sh, sw, dh, dw, kind, pads);
        var expected = ConvPoolTests.NaiveConv(x, n, h, w, c, f, kh, kw, oc, sh, sw, dh, dw, g.OH, g.OW, g.PadTop, g.PadLeft);
        if (activation != null)
            for (int i = 0; i < expected.Length; i++) expected[i] = Activate(activation, (double)expected[i] + b[i % oc]);
        var got = new float[expected.Length];
        Array.Fill(got, float.NaN);
        DirectConv2D.Run(g, oc, x, f, got, activation == null ? null : Fused(activation), activation == null ? null : F(b, oc));
        Close(expected, got, 1e-4f, $"{n}x{h}x{w}x{c} {kh}x{kw}->{oc} s{sh},{sw} d{dh},{dw} {kind} {activation}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]
    public void EveryTileWidth_1ChannelSame_MatchesReference(int k)
    {
        // OW 1…30: one tile of 1…14 pixels, then 15…28 as two near-equal tiles (e.g. 15 → 7 + 8), 29 and 30 as three.
        for (int w = 1; w <= 30; w++)
            Check(w * 7 + k, 2, 5, w, 1, k, k, 32, 1, 1, 1, 1, PaddingKind.Same);
    }

    [Fact]
    public void MnistFirstConv_BothBatchSizes_MatchReference()
    {
        Check(1, 32, 28, 28, 1, 5, 5, 32, 1, 1, 1, 1, PaddingKind.Same);
        Check(2, 64, 28, 28, 1, 5, 5, 32, 1, 1, 1, 1, PaddingKind.Same, activation: "Relu");
    }

    [Theory]
    [InlineData(1, 1, 16)]   // one 16-wide OC tile
    [InlineData(1, 1, 48)]   // a 32-wide then a 16-wide tile
    [InlineData(1, 1, 64)]   // two 32-wide tiles
    [InlineData(1, 2, 32)]   // pixel stride 2 (C = 1, stride 2)
    [InlineData(2, 1, 32)]   // pixel stride 2 (C = 2)
    [InlineData(3, 1, 64)]   // pixel stride 3 (RGB)
    [InlineData(3, 2, 16)]   // pixel stride 6: the variable-stride tiles
    [InlineData(4, 1, 48)]   // pixel stride 4
    public void ChannelAndStrideVariants_MatchReference(int c, int s, int oc)
    {
        Check(c * 100 + s * 10 + oc, 2, 17, 23, c, 5, 5, oc, s, s, 1, 1, PaddingKind.Same);
        Check(c * 100 + s * 10 + oc + 1, 1, 16, 31, c, 3, 3, oc, s, s, 1, 1, PaddingKind.Valid);
    }

    [Fact]
    public void RandomShapes_MatchReference()
    {
        // 1-channel 5×5 and 3×3 mostly, odd sizes, strides 1–2 per axis, dilation 1–2, VALID/SAME, batch 1–3, every epilogue.
        var r = new Random(909);
        string?[] epilogues = [null, "", "Relu", "Relu6", "Elu", "LeakyRelu", "Tanh", "Sigmoid"];
        for (int i = 0; i < 60; i++)
        {
            int c = r.Next(0, 3) == 0 ? r.Next(2, 5) : 1;
            int k = r.Next(0, 2) == 0 ? 5 : 3, kw = r.Next(0, 4) == 0 ? r.Next(2, 6) : k;
            int sh = r.Next(1, 3), sw = r.Next(1, 3), d = r.Next(0, 4) == 0 ? 2 : 1;
            int h = r.Next((k - 1) * d + 1, 33), w = r.Next((kw - 1) * d + 1, 41);
            int oc = 16 * r.Next(1, 5);
            var kind = r.Next(0, 2) == 0 ? PaddingKind.Same : PaddingKind.Valid;
            var g = Window2D.Create(1, h, w, c, k, kw, sh, sw, d, d, kind, default);
            Assert.Equal(Vector512.IsHardwareAccelerated, DirectConv2D.IsPreferred(g, oc));
            Check(i, r.Next(1, 4), h, w, c, k, kw, oc, sh, sw, d, d, kind, activation: epilogues[r.Next(epilogues.Length)], scale: 3f);
        }
    }

    [Fact]
    public void WindowRowsWhollyInPadding_GiveZeroPlusBias()
    {
        // EXPLICIT padding larger than the window: the first output rows see only padding (no window row is summed),
        // so they are the bias (after the activation); the left columns likewise, through the zero-bordered copy.
        Check(41, 2, 4, 6, 1, 3, 3, 32, 1, 1, 1, 1, PaddingKind.Explicit, (5, 1, 4, 2));
        Check(42, 2, 4, 6, 1, 3, 3, 32, 1, 1, 1, 1, PaddingKind.Explicit, (5, 1, 4, 2), activation: "Relu");
        Check(43, 1, 3, 7, 2, 5, 5, 48, 2, 1, 1, 1, PaddingKind.Explicit, (0, 9, 3, 0), activation: "Relu6", scale: 4f);
    }

    [Fact]
    public void FusedReluAndRelu6_PropagateNaN_AsTfFusedOutputKernels()
    {
        if (!Vector512.IsHardwareAccelerated) return;
        // One input pixel NaN: every output whose window covers it is NaN after Relu/Relu6, as TF's
        // fused_eigen_output_kernels.h Relu (cwiseMax(0), NaN-propagating) and the unfused Relu give.
        int h = 6, w = 9, oc = 32;
        var r = new Random(5);
        var x = RandomFloats(r, h * w);
        x[2 * w + 4] = float.NaN;
        var f = RandomFloats(r, 9 * oc);
        var g = Window2D.Create(1, h, w, 1, 3, 3, 1, 1, 1, 1, PaddingKind.Same, default);
        foreach (var act in new[] { "Relu", "Relu6" })
        {
            var y = new float[h * w * oc];
            DirectConv2D.Run(g, oc, x, f, y, Fused(act), F(new float[oc], oc));
            for (int oh = 0; oh < h; oh++)
                for (int ow = 0; ow < w; ow++)
                {
                    bool covers = Math.Abs(oh - 2) <= 1 && Math.Abs(ow - 4) <= 1;
                    for (int o = 0; o < oc; o++)
                    {
                        float v = y[(oh * w + ow) * oc + o];
                        Assert.Equal(covers, float.IsNaN(v));
                        if (!covers) Assert.InRange(v, 0f, act == "Relu6" ? 6f : float.MaxValue);
                    }
                }
        }
    }

    [Fact]
    public void FusedOp_BiasAndEachActivation_MatchesConvThenBiasThenActivation()
    {
        // Through the _FusedConv2D kernel: the MNIST CNN's first conv shape at batch 3, every activation TF fuses.
        int n = 3, h = 28, w = 28, oc = 32;
        var r = new Random(77);
        var x = RandomFloats(r, n * h * w);
        var f = RandomFloats(r, 25 * oc);
        var bias = RandomFloats(r, oc);
        var g = Window2D.Create(n, h, w, 1, 5, 5, 1, 1, 1, 1, PaddingKind.Same, default);
        Assert.Equal(Vector512.IsHardwareAccelerated, DirectConv2D.IsPreferred(g, oc));
        var conv = ConvPoolTests.NaiveConv(x, n, h, w, 1, f, 5, 5, oc, 1, 1, 1, 1, g.OH, g.OW, g.PadTop, g.PadLeft);
        foreach (var act in new[] { "", "Relu", "Relu6", "Elu", "LeakyRelu", "Tanh", "Sigmoid" })
        {
            var y = Compute1("_FusedConv2D", [F(x, n, h, w, 1), F(f, 5, 5, 1, oc), F(bias, oc)], def =>
            {
                def.Attr["strides"] = ToAttr(new[] { 1, 1, 1, 1 });
                def.Attr["padding"] = ToAttr("SAME");
                def.Attr["data_format"] = ToAttr("NHWC");
                def.Attr["num_args"] = ToAttr(1);
                def.Attr["leakyrelu_alpha"] = ToAttr(0.3f);
                var ops = new Protos.AttrValue.Types.ListValue { S = { Google.Protobuf.ByteString.CopyFromUtf8("BiasAdd") } };
                if (act != "") ops.S.Add(Google.Protobuf.ByteString.CopyFromUtf8(act));
                def.Attr["fused_ops"] = new Protos.AttrValue { List = ops };
            });
            var expected = new float[conv.Length];
            for (int i = 0; i < conv.Length; i++) expected[i] = Activate(act, (double)conv[i] + bias[i % oc]);
            Close(expected, y.ToArray<float>(), 1e-4f, "fused " + act);
        }
    }

    [Fact]
    public void MissingBiasForEpilogue_IsRejected()
    {
        if (!Vector512.IsHardwareAccelerated) return;
        var g = Window2D.Create(1, 5, 5, 1, 3, 3, 1, 1, 1, 1, PaddingKind.Same, default);
        var e = Assert.Throws<ArgumentException>(() => DirectConv2D.Run(g, 16, new float[25], new float[9 * 16], new float[25 * 16], Fused("Relu"), null));
        Assert.Contains("bias", e.Message);
    }

    [Theory]
    [InlineData(32, 28, 28, 5, 32)]   // the MNIST first conv (ConvBench) and, at batch 64, the Session CNN benchmark's
    [InlineData(64, 28, 28, 5, 32)]
    [InlineData(32, 28, 28, 3, 32)]
    [InlineData(1, 224, 224, 3, 64)]
    [InlineData(4, 27, 31, 5, 48)]
    public void CostRule_OneChannelConvs_TakeTheDirectPath_NeverWinograd(int n, int h, int w, int k, int oc)
    {
        var g = Window2D.Create(n, h, w, 1, k, k, 1, 1, 1, 1, PaddingKind.Same, default);
        Assert.Equal(Vector512.IsHardwareAccelerated, DirectConv2D.IsPreferred(g, oc));
        Assert.False(WinogradConv2D.IsPreferred(g, oc, filterCached: false));
        Assert.False(WinogradConv2D.IsPreferred(g, oc, filterCached: true));
        // OC not a multiple of 16 leaves the direct path (im2col + GEMM), still never Winograd (C = 1 is not a multiple of 16).
        Assert.False(DirectConv2D.IsPreferred(g, oc + 4));
        Assert.False(WinogradConv2D.IsPreferred(g, oc + 4, filterCached: true));
    }
}
