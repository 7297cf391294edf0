using System.Runtime.Intrinsics;
using TypedGraph.Building;
using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.NN;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using static TypedGraph.Tests.Support.TestTensors;

namespace TypedGraph.Tests.Kernels;

/// <summary>
/// The thin conv (C ≤ 8 into 1–15 outputs, vectors along the interleaved output row over input rows expanded OC-fold)
/// against the naive double-precision reference (<see cref="ConvPoolTests.NaiveConv"/>): every OC from 1 to 15 (each
/// pattern period 1, 3, 5, 7, 9, 11, 13, 15), strides and dilations (stride phases), SAME/VALID/EXPLICIT padding, rows
/// longer than one register tile, bands of one row, windows wholly in the padding, the fused epilogues; nothing is
/// written past the output.
/// </summary>
public sealed class ThinConvTests
{
    private static void Check(float[] expected, float[] y, int taps, string what)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(y[i] - expected[i]) <= 1e-4f * (1 + Math.Abs(expected[i])) * Math.Sqrt(taps / 16.0 + 1),
                $"{what}: y[{i}] = {y[i]}, reference {expected[i]}");
    }

    [Fact]
    public void RandomShapes_MatchTheReference()
    {
        var r = new Random(71);
        for (int trial = 0; trial < 60; trial++)
        {
            var (g, oc, kind, pads) = RandomThinGeometry(r, trial);
            int n = g.N, h = g.H, w = g.W, c = g.C, kh = g.KH, kw = g.KW, sh = g.SH, sw = g.SW, dh = g.DH, dw = g.DW;
            Assert.Equal(Vector512.IsHardwareAccelerated, ThinConv2D.IsPreferred(g, oc));
            if (!Vector512.IsHardwareAccelerated) continue; // the rule above is what such a machine can check
            var x = RandomFloats(r, n * h * w * c);
            var f = RandomFloats(r, kh * kw * c * oc);
            var expected = ConvPoolTests.NaiveConv(x, n, h, w, c, f, kh, kw, oc, sh, sw, dh, dw, g.OH, g.OW, g.PadTop, g.PadLeft);
            var y = new float[expected.Length + 32];
            Array.Fill(y, float.NaN); // a pixel never written shows up
            ThinConv2D.Run(g, oc, x, f, y, null, null);
            string what = $"trial {trial}: {n}x{h}x{w}x{c} -> {oc} {kh}x{kw} s{sh},{sw} d{dh},{dw} {kind}{pads}";
            Check(expected, y, kh * kw * c, what);
            for (int i = expected.Length; i < y.Length; i++) Assert.True(float.IsNaN(y[i]), $"{what}: wrote past the output at {i}");
        }
    }

    /// <summary>A random thin conv (C 1–8, OC = trial mod 15 + 1, windows to 5×5, strides to 3, dilations to 2 at stride 1,
    /// SAME/VALID/EXPLICIT by trial, every fourth row up to 60 wide) for this test and the filter-gradient one.</summary>
    internal static (Window2D G, int Oc, PaddingKind Kind, (int, int, int, int) Pads) RandomThinGeometry(Random r, int trial)
    {
        int n = r.Next(1, 4), c = r.Next(1, 9), oc = trial % 15 + 1;
        int kh = r.Next(1, 6), kw = r.Next(kh == 1 ? 2 : 1, 6), sh = r.Next(1, 4), sw = r.Next(1, 4);
        int dh = sh == 1 ? r.Next(1, 3) : 1, dw = sw == 1 ? r.Next(1, 3) : 1;
        int h = r.Next((kh - 1) * dh + 1, 14), w = r.Next((kw - 1) * dw + 1, trial % 4 == 0 ? 60 : 20);
        var kind = (trial % 3) switch { 0 => PaddingKind.Same, 1 => PaddingKind.Valid, _ => PaddingKind.Explicit };
        var pads = trial % 3 == 2 ? (r.Next(0, 4), r.Next(0, 4), r.Next(0, 4), r.Next(0, 4)) : (0, 0, 0, 0);
        return (Window2D.Create(n, h, w, c, kh, kw, sh, sw, dh, dw, kind, pads), oc, kind, pads);
    }

    [Theory]
    [InlineData(64, 28, 28, 1, 5, 6)]  // LeNet's first layer, 1 -> 6 (pattern period 3)
    [InlineData(2, 28, 28, 6, 5, 1)]   // the input gradient back into it, 6 -> 1
    [InlineData(1, 6, 600, 8, 3, 15)]  // a row of 9000 floats: bands of one row, 36 tiles per row
    [InlineData(3, 5, 7, 3, 3, 8)]
    public void LargerShapes_MatchTheReference(int n, int h, int w, int c, int k, int oc)
    {
        if (!Vector512.IsHardwareAccelerated) return; // IsPreferred is false there; the rule test checks that
        var r = new Random(n + h + w + c + oc);
        var x = RandomFloats(r, n * h * w * c);
        var f = RandomFloats(r, k * k * c * oc);
        var g = Window2D.Create(n, h, w, c, k, k, 1, 1, 1, 1, PaddingKind.Same, default);
        var expected = ConvPoolTests.NaiveConv(x, n, h, w, c, f, k, k, oc, 1, 1, 1, 1, g.OH, g.OW, g.PadTop, g.PadLeft);
        var y = new float[expected.Length];
        ThinConv2D.Run(g, oc, x, f, y, null, null);
        Check(expected, y, k * k * c, $"{n}x{h}x{w}x{c} -> {oc}");
    }

    [Theory]
    [InlineData("Relu", 6)]
    [InlineData("Relu6", 3)]
    [InlineData("Elu", 5)]
    [InlineData(null, 7)]
    public void FusedConv_AppliesBiasAndActivation_IncludingRowsWhoseWindowsAreAllPadding(string? activation, int oc)
    {
        // EXPLICIT padding of 3 rows on top with a 2-row window: output rows 0 and 1 read nothing but padding, so they are the
        // activation of the bias alone.
        int n = 2, h = 9, w = 11, c = 2, kh = 2, kw = 3;
        var r = new Random(oc);
        var x = RandomFloats(r, n * h * w * c);
        var f = RandomFloats(r, kh * kw * c * oc);
        var bias = RandomFloats(r, oc);
        for (int i = 0; i < x.Length; i++) x[i] *= 8; // values beyond 6 and below 0 for Relu6
        var g = Window2D.Create(n, h, w, c, kh, kw, 1, 1, 1, 1, PaddingKind.Explicit, (3, 0, 1, 1));
        Assert.Equal(Vector512.IsHardwareAccelerated, ThinConv2D.IsPreferred(g, oc));
        var conv = ConvPoolTests.NaiveConv(x, n, h, w, c, f, kh, kw, oc, 1, 1, 1, 1, g.OH, g.OW, g.PadTop, g.PadLeft);
        string[] ops = activation == null ? ["BiasAdd"] : ["BiasAdd", activation];
        var y = OpHarness.ComputeDirty1("_FusedConv2D", [Tensor.Create(x, n, h, w, c), Tensor.Create(f, kh, kw, c, oc), Tensor.Create(bias, oc)],
            [("strides", Attrs.Ints(1, 1, 1, 1)), ("padding", Attrs.String("EXPLICIT")), ("explicit_paddings", Attrs.Ints(0, 0, 3, 0, 1, 1, 0, 0)),
             ("fused_ops", Attrs.Strings(ops)), ("num_args", Attrs.Int(1))]).ToArray<float>();
        Assert.Equal(conv.Length, y.Length);
        for (int i = 0; i < conv.Length; i++)
        {
            double v = conv[i] + bias[i % oc];
            double expected = activation switch
            {
                "Relu" => Math.Max(0, v),
                "Relu6" => Math.Min(6, Math.Max(0, v)),
                "Elu" => v < 0 ? Math.Exp(v) - 1 : v,
                _ => v,
            };
            Assert.True(Math.Abs(y[i] - expected) <= 1e-4 * (1 + Math.Abs(expected)) * 8, $"{activation} y[{i}] = {y[i]}, reference {expected}");
        }
        // Output row 0 of image 0 is the activation of the bias alone.
        for (int i = 0; i < g.OW * oc; i++) Assert.Equal(activation switch { "Relu" => Math.Max(0, bias[i % oc]), "Relu6" => Math.Clamp(bias[i % oc], 0, 6), "Elu" => bias[i % oc] < 0 ? MathF.Exp(bias[i % oc]) - 1 : bias[i % oc], _ => bias[i % oc] }, y[i], 5);
    }

    [Theory]
    [InlineData(1, 6, 5, true)]    // LeNet's first layer
    [InlineData(6, 1, 5, true)]    // and its input gradient
    [InlineData(8, 15, 3, true)]
    [InlineData(9, 6, 3, false)]   // more than 8 input channels: FewOutputConv2D or im2col
    [InlineData(1, 16, 3, false)]  // a whole vector of outputs: DirectConv2D
    [InlineData(3, 6, 1, false)]   // 1×1: a GEMM
    public void Rule_TakesFewChannelsOnBothSides(int c, int oc, int k, bool expected)
    {
        var g = Window2D.Create(2, 10, 10, c, k, k, 1, 1, 1, 1, PaddingKind.Same, default);
        Assert.Equal(expected && Vector512.IsHardwareAccelerated, ThinConv2D.IsPreferred(g, oc));
    }
}
