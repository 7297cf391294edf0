using System.Runtime.Intrinsics;
using Xunit.Abstractions;
using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.NN;
using static TypedGraph.Tests.Kernels.WinogradConvTests;
using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.TestTensors;

namespace TypedGraph.Tests.Kernels;

/// <summary>
/// Winograd F(2×2, 5×5) (<see cref="WinogradConv2D"/> on a 5×5 window) against the naive reference convolution within
/// the forward-error bound described on <see cref="WinogradConvTests"/> (same points, same Bᵀ, F(2,5)'s G and Aᵀ), the
/// transform matrices against the 1-D correlation they must compute, and the plan-time choice for 5×5 convolutions.
/// </summary>
public class Winograd5x5ConvTests(ITestOutputHelper output)
{
    [Fact]
    public void TransformMatrices_ComputeTheCorrelation_ForBothAlgorithms()
    {
        // y = Aᵀ·[(G·g) ⊙ (Bᵀ·d)] must be y_i = Σ_k g_k·d_{i+k} (TF's Conv2D is a correlation) for every g and d: checked on
        // the unit vectors, which span both spaces (the map is bilinear), in double.
        var (bt, g3, at4) = F43;
        foreach (var (gm, at, r) in new[] { (g3, at4, 3), (G5, At2, 5) })
        {
            int m = 7 - r;
            for (int kg = 0; kg < r; kg++)
                for (int kd = 0; kd < 6; kd++)
                    for (int i = 0; i < m; i++)
                    {
                        double y = 0;
                        for (int p = 0; p < 6; p++) y += at[i, p] * gm[p, kg] * bt[p, kd];
                        Assert.True(Math.Abs(y - (kd == i + kg ? 1 : 0)) < 1e-12, $"F({m},{r}): g e{kg}, d e{kd}, y[{i}] = {y}");
                    }
        }
    }

    [Theory]
    [InlineData(1, 8, 8, 16, 16, "SAME")]      // whole 2×2 tiles
    [InlineData(2, 9, 11, 16, 32, "SAME")]     // odd sizes: partial edge tiles in both directions, batch 2
    [InlineData(1, 13, 8, 32, 48, "VALID")]    // 9×4 output; OC 48 = one and a half GEMM panels
    [InlineData(3, 6, 7, 16, 16, "VALID")]     // 2×3 output: one whole and one partial tile per image
    [InlineData(1, 5, 5, 16, 16, "VALID")]     // a single output pixel
    [InlineData(2, 14, 14, 32, 64, "SAME")]    // the TF MNIST net's second conv, 2 images
    [InlineData(1, 7, 6, 272, 16, "SAME")]     // C deeper than one GEMM depth block (256)
    [InlineData(2, 3, 4, 16, 16, "SAME")]      // image smaller than the window: most taps read padding
    public void Winograd5x5_MatchesNaiveReference_WithinItsErrorBound(int n, int h, int w, int c, int oc, string padding)
    {
        var g = Geometry(n, h, w, c, padding, k: 5);
        var (x, f, expected) = Case(n * 1000 + h * 31 + w + c + oc, g, oc);
        WithinBound(expected, RunWinograd(g, oc, x, f), ErrorBound(x, f, g, oc), "winograd 5x5");
    }

    [Fact]
    public void Winograd5x5_ExplicitPadding_AndRandomShapes_MatchNaiveReference()
    {
        var ge = Geometry(2, 9, 12, 16, "EXPLICIT", (3, 0, 1, 4), k: 5);
        var (xe, fe, ee) = Case(41, ge, 32);
        WithinBound(ee, RunWinograd(ge, 32, xe, fe), ErrorBound(xe, fe, ge, 32), "explicit");
        var r = new Random(2027);
        for (int i = 0; i < 12; i++)
        {
            int n = r.Next(1, 4), h = r.Next(5, 24), w = r.Next(5, 24), c = 16 * r.Next(1, 4), oc = 16 * r.Next(1, 5);
            var g = Geometry(n, h, w, c, r.Next(0, 2) == 0 ? "SAME" : "VALID", k: 5);
            var (x, f, expected) = Case(100 + i, g, oc);
            WithinBound(expected, RunWinograd(g, oc, x, f), ErrorBound(x, f, g, oc), $"random case {i} ({n}x{h}x{w}x{c} -> {oc}, pads {g.PadTop},{g.PadLeft})");
        }
    }

    [Fact]
    public void Winograd5x5_TypicalError_IsWithin8TimesDirectSummations()
    {
        // As WinogradConvTests' typical-error check (the worst-case bound cannot see a few lost bits). F(2,5)'s transforms
        // scale less than F(4,3)'s (|Aᵀ| ≤ 2, against 8): its RMS error is a few times float direct summation's on uniform
        // data (the figures are printed); 8× leaves room for other data, and a transform evaluated in a lossy order would
        // exceed it.
        var g = Geometry(8, 14, 14, 32, "SAME", k: 5);
        var (x, f, expected) = Case(78, g, 64);
        var got = RunWinograd(g, 64, x, f);
        var direct = new float[got.Length];
        ImplicitGemmConv2D.Run(g, 64, x, f, direct, null, null);
        double errW = 0, errD = 0, maxAbs = 0, maxRel = 0;
        for (int i = 0; i < got.Length; i++)
        {
            double e = got[i] - (double)expected[i];
            errW += e * e;
            errD += Math.Pow(direct[i] - (double)expected[i], 2);
            maxAbs = Math.Max(maxAbs, Math.Abs(e));
            maxRel = Math.Max(maxRel, Math.Abs(e) / Math.Max(Math.Abs(expected[i]), 1e-3));
        }
        output.WriteLine($"RMS error winograd {Math.Sqrt(errW / got.Length):G3}, direct {Math.Sqrt(errD / got.Length):G3}, ratio {Math.Sqrt(errW / Math.Max(errD, 1e-30)):F2}; " +
            $"winograd max abs {maxAbs:G3}, max rel {maxRel:G3} (vs the double reference rounded to float)");
        Assert.True(errW <= 8 * 8 * Math.Max(errD, 1e-30),
            $"RMS error winograd {Math.Sqrt(errW / got.Length):G3}, direct {Math.Sqrt(errD / got.Length):G3} (max abs {maxAbs:G3}, max rel {maxRel:G3})");
    }

    [Theory]
    // n, h, w, c, oc, kept filter chosen, per-call filter chosen
    [InlineData(64, 14, 14, 32, 64, true, true)]     // the TF MNIST net's second conv (batch 64)
    [InlineData(64, 14, 14, 64, 32, true, true)]     // its input gradient: dOut (64 channels) with the rotated filter
    [InlineData(8, 14, 14, 32, 64, true, false)]     // few tiles: the per-call transform is not paid back
    [InlineData(3, 17, 19, 64, 32, true, true)]      // the back conv of ConvBackpropPathTests' 5×5 input-gradient case
    [InlineData(1, 56, 56, 64, 64, true, true)]
    [InlineData(1, 14, 14, 256, 256, false, false)]  // 49 tiles stream 36·256·256 kept floats
    [InlineData(32, 28, 28, 16, 32, false, false)]   // depth-16 GEMMs
    [InlineData(32, 28, 28, 1, 32, false, false)]    // the MNIST net's first conv: 1 channel (the direct path's)
    [InlineData(8, 14, 14, 24, 64, false, false)]    // C not a multiple of 16
    public void ChoiceRule5x5_PicksWinogradOnlyWhereItsCostWins(int n, int h, int w, int c, int oc, bool cached, bool uncached)
    {
        var g = Geometry(n, h, w, c, "SAME", k: 5);
        Assert.Equal(cached && Vector512.IsHardwareAccelerated, WinogradConv2D.IsPreferred(g, oc, filterCached: true));
        Assert.Equal(uncached && Vector512.IsHardwareAccelerated, WinogradConv2D.IsPreferred(g, oc, filterCached: false));
        double direct = WinogradConv2D.DirectCost(g, oc);
        if (cached) Assert.True(WinogradConv2D.Cost(g, oc, filterCached: true) < WinogradConv2D.Threshold(5) * direct);
        if (c == 1) Assert.True(DirectConv2D.IsPreferred(g, oc));
    }

    [Theory]
    [InlineData(1, 14, 14, 32, 64, 5, 2, 1)]   // stride 2
    [InlineData(1, 14, 14, 32, 64, 5, 1, 2)]   // dilated
    [InlineData(1, 14, 14, 32, 64, 7, 1, 1)]   // 7×7
    [InlineData(1, 14, 14, 32, 64, 4, 1, 1)]   // 4×4
    public void OtherWindows_NeverTakeWinograd(int n, int h, int w, int c, int oc, int k, int stride, int dilation)
    {
        var g = Window2D.Create(n, h, w, c, k, k, stride, stride, dilation, dilation, PaddingKind.Same, default);
        Assert.False(WinogradConv2D.Applies(g, oc));
        Assert.False(WinogradConv2D.IsPreferred(g, oc, filterCached: true));
        // The filter transform knows only the window size: it refuses 4×4 and 7×7 filters.
        if (k != 5) Assert.Throws<ArgumentException>(() => WinogradConv2D.TransformFilter(new float[k * k * c * oc], k, c, oc));
    }

    [Fact]
    public void FusedConvBiasRelu_OnThe5x5WinogradPath_MatchesKernelThenBiasThenRelu()
    {
        // 64×14×14×32 → 64: chosen even with the filter transformed per call (an op input here, not a kept value).
        var g = Geometry(64, 14, 14, 32, "SAME", k: 5);
        Assert.Equal(Vector512.IsHardwareAccelerated, WinogradConv2D.IsPreferred(g, 64));
        var r = new Random(51);
        var x = RandomFloats(r, 64 * 14 * 14 * 32);
        var f = RandomFloats(r, 25 * 32 * 64);
        var bias = RandomFloats(r, 64);
        var expected = RunWinograd(g, 64, x, f);
        for (int i = 0; i < expected.Length; i++) expected[i] = Math.Max(0f, expected[i] + bias[i % 64]);
        var y = Compute1("_FusedConv2D", [F(x, 64, 14, 14, 32), F(f, 5, 5, 32, 64), F(bias, 64)], def =>
        {
            def.Attr["strides"] = ToAttr(new[] { 1, 1, 1, 1 });
            def.Attr["padding"] = ToAttr("SAME");
            def.Attr["num_args"] = ToAttr(1);
            def.Attr["fused_ops"] = new Protos.AttrValue { List = new Protos.AttrValue.Types.ListValue { S = { Google.Protobuf.ByteString.CopyFromUtf8("BiasAdd"), Google.Protobuf.ByteString.CopyFromUtf8("Relu") } } };
        });
        // The op took the Winograd path (bit-identical to the kernel, then bias, then ReLU), and the kernel itself is checked
        // against the naive reference on this shape in Winograd5x5_MatchesNaiveReference (2 images).
        Assert.Equal(expected, y.ToArray<float>());
    }

    [Fact]
    public void KeptTransformedFilter5x5_GivesTheSameOutputsAsTransformingPerCall_AndIsNotUsedForA3x3()
    {
        var g = Geometry(2, 9, 11, 16, "SAME", k: 5);
        var (x, f, expected) = Case(61, g, 32);
        var kept = WinogradConv2D.TransformFilter(f, 5, 16, 32);
        var got = new float[g.N * g.OH * g.OW * 32];
        // Without AVX-512 the kernel refuses (the plan never picks it there) and the checks below compare the fallback.
        void Run(Window2D geo, float[] input, float[] filter, float[] output)
        {
            if (Vector512.IsHardwareAccelerated) WinogradConv2D.Run(geo, 32, input, filter, output, null, null, kept);
            else
            {
                Assert.Throws<InvalidOperationException>(() => WinogradConv2D.Run(geo, 32, input, filter, output, null, null, kept));
                Conv2DKernel.Run(geo, 32, input, filter, output);
            }
        }
        Run(g, x, f, got);
        Assert.Equal(RunWinograd(g, 32, x, f), got);
        WithinBound(expected, got, ErrorBound(x, f, g, 32), "kept 5x5 filter");
        // A 3×3 conv with the same channel counts transforms its own filter instead of using the 5×5 form.
        var g3 = Geometry(2, 9, 11, 16, "SAME");
        var (x3, f3, e3) = Case(62, g3, 32);
        var got3 = new float[g3.N * g3.OH * g3.OW * 32];
        Run(g3, x3, f3, got3);
        Assert.Equal(RunWinograd(g3, 32, x3, f3), got3);
        WithinBound(e3, got3, ErrorBound(x3, f3, g3, 32), "3x3 beside a kept 5x5 form");
    }
}
