using System.Runtime.Intrinsics;
using TypedGraph.Building;
using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.NN;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using static TypedGraph.Tests.Support.TestTensors;

namespace TypedGraph.Tests.Kernels;

/// <summary>
/// The few-output-channel conv (any C, padded to whole 16-lane vectors, into 1–8 outputs: 3 pixels × 8 outputs of register accumulators, lane
/// sums at the end, rows padded per chunk) against the naive double-precision reference
/// (<see cref="ConvPoolTests.NaiveConv"/>) on random shapes — every OC from 1 to 8, both pixel remainders of the 3-wide
/// tile, strides, dilations, SAME/VALID/EXPLICIT padding, chunks that span images — and through the Conv2D and _FusedConv2D
/// ops; Conv2DBackpropInput into a thin layer takes it at stride 1 (<see cref="Training.ConvBackpropPathTests"/> checks
/// those values against the adjoint sums).
/// </summary>
public sealed class FewOutputConvTests
{
    [Fact]
    public void RandomShapes_MatchTheReference()
    {
        var r = new Random(61);
        for (int trial = 0; trial < 40; trial++)
        {
            // Whole vectors of channels and any other count (padded to whole vectors inside).
            int n = r.Next(1, 4), c = trial % 2 == 0 ? 16 * r.Next(1, 4) : r.Next(6, 40), oc = trial % 8 + 1;
            int kh = r.Next(1, 6), kw = r.Next(kh == 1 ? 2 : 1, 6), sh = r.Next(1, 3), sw = r.Next(1, 3);
            int dh = sh == 1 ? r.Next(1, 3) : 1, dw = sw == 1 ? r.Next(1, 3) : 1;
            int h = r.Next((kh - 1) * dh + 1, 16), w = r.Next((kw - 1) * dw + 1, 16);
            var kind = (trial % 3) switch { 0 => PaddingKind.Same, 1 => PaddingKind.Valid, _ => PaddingKind.Explicit };
            var pads = trial % 3 == 2 ? (r.Next(0, 4), r.Next(0, 4), r.Next(0, 4), r.Next(0, 4)) : (0, 0, 0, 0);
            var g = Window2D.Create(n, h, w, c, kh, kw, sh, sw, dh, dw, kind, pads);
            Assert.Equal(Vector512.IsHardwareAccelerated, FewOutputConv2D.IsPreferred(g, oc));
            if (!Vector512.IsHardwareAccelerated) continue; // the rule above is what such a machine can check
            var x = RandomFloats(r, n * h * w * c);
            var f = RandomFloats(r, kh * kw * c * oc);
            var expected = ConvPoolTests.NaiveConv(x, n, h, w, c, f, kh, kw, oc, sh, sw, dh, dw, g.OH, g.OW, g.PadTop, g.PadLeft);
            var y = new float[expected.Length];
            Array.Fill(y, float.NaN); // a pixel never written shows up
            FewOutputConv2D.Run(g, oc, x, f, y);
            for (int i = 0; i < y.Length; i++)
                Assert.True(Math.Abs(y[i] - expected[i]) <= 1e-4f * (1 + Math.Abs(expected[i])) * Math.Sqrt(kh * kw * c / 16.0),
                    $"trial {trial}: {n}x{h}x{w}x{c} -> {oc} {kh}x{kw} s{sh},{sw} d{dh},{dw} {kind}{pads}: y[{i}] = {y[i]}, reference {expected[i]}");
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(5, 1)]
    [InlineData(6, 1)]
    [InlineData(17, 1)]
    [InlineData(12, 2)]
    [InlineData(13, 2)]
    public void PaddedChannels_AreTakenOnlyWhileAtLeastThreeEighthsOfTheLanesCarryData(int c, int blocks)
    {
        var g = Window2D.Create(1, 8, 8, c, 3, 3, 1, 1, 1, 1, PaddingKind.Same, default);
        bool expected = Vector512.IsHardwareAccelerated && c * 8 >= blocks * 16 * 3;
        Assert.Equal(expected, FewOutputConv2D.IsPreferred(g, 2));
    }

    [Theory]
    [InlineData(1, 28, 28, 16, 5, 6)]  // LeNet's input gradient at stride 1: dOut's 16 channels back to 6
    [InlineData(2, 28, 28, 12, 5, 1)]  // 12 channels (padded to 16) into one map (6 -> 1 is ThinConv2D's)
    [InlineData(2, 17, 13, 32, 3, 1)]  // a last layer to one map
    [InlineData(1, 9, 10, 64, 3, 3)]
    public void ThroughTheConv2DOps_MatchesTheReference(int n, int h, int w, int c, int k, int oc)
    {
        var r = new Random(n * 100 + c + oc);
        var x = RandomFloats(r, n * h * w * c);
        var f = RandomFloats(r, k * k * c * oc);
        var bias = RandomFloats(r, oc);
        var g = Window2D.Create(n, h, w, c, k, k, 1, 1, 1, 1, PaddingKind.Same, default);
        Assert.Equal(Vector512.IsHardwareAccelerated, FewOutputConv2D.IsPreferred(g, oc));
        var expected = ConvPoolTests.NaiveConv(x, n, h, w, c, f, k, k, oc, 1, 1, 1, 1, g.OH, g.OW, g.PadTop, g.PadLeft);
        (string, AttrValue)[] attrs = [("strides", Attrs.Ints(1, 1, 1, 1)), ("padding", Attrs.String("SAME"))];
        var y = OpHarness.Compute1("Conv2D", [Tensor.Create(x, n, h, w, c), Tensor.Create(f, k, k, c, oc)], attrs).ToArray<float>();
        var fused = OpHarness.Compute1("_FusedConv2D", [Tensor.Create(x, n, h, w, c), Tensor.Create(f, k, k, c, oc), Tensor.Create(bias, oc)],
            [.. attrs, ("fused_ops", Attrs.Strings("BiasAdd", "Relu")), ("num_args", Attrs.Int(1))]).ToArray<float>();
        for (int i = 0; i < expected.Length; i++)
        {
            float tolerance = 1e-4f * (1 + Math.Abs(expected[i])) * (float)Math.Sqrt(k * k * c / 16.0);
            Assert.True(Math.Abs(y[i] - expected[i]) <= tolerance, $"Conv2D y[{i}] = {y[i]}, reference {expected[i]}");
            float relu = Math.Max(0f, expected[i] + bias[i % oc]);
            Assert.True(Math.Abs(fused[i] - relu) <= tolerance, $"_FusedConv2D y[{i}] = {fused[i]}, reference {relu}");
        }
    }
}
