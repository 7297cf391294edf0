using System.Runtime.Intrinsics;
using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.NN;
using TypedGraph.Kernels.Training;
using static TypedGraph.Tests.Support.TestTensors;

namespace TypedGraph.Tests.Training;

/// <summary>
/// The thin filter gradient (C ≤ 8, 1–15 outputs; lane accumulators per pattern phase folded into channels at the end)
/// against dF[ky,kx,c,o] = Σ x[n, oh·SH − top + ky·DH, ow·SW − left + kx·DW, c] · dOut[n, oh, ow, o] summed in doubles:
/// every OC from 1 to 15, strides (phases), dilations, SAME/VALID/EXPLICIT, rows of many vectors, images cut into
/// several bands, fewer work units than cores.
/// </summary>
public sealed class ThinConvFilterGradTests
{
    private static double[] Reference(Window2D g, int oc, float[] x, float[] dy)
    {
        var df = new double[g.KH * g.KW * g.C * oc];
        for (int b = 0; b < g.N; b++)
            for (int oh = 0; oh < g.OH; oh++)
                for (int ow = 0; ow < g.OW; ow++)
                    for (int ky = 0; ky < g.KH; ky++)
                        for (int kx = 0; kx < g.KW; kx++)
                        {
                            int ih = oh * g.SH - g.PadTop + ky * g.DH, iw = ow * g.SW - g.PadLeft + kx * g.DW;
                            if ((uint)ih >= (uint)g.H || (uint)iw >= (uint)g.W) continue;
                            for (int c = 0; c < g.C; c++)
                                for (int o = 0; o < oc; o++)
                                    df[((ky * g.KW + kx) * g.C + c) * oc + o] += (double)x[((b * g.H + ih) * g.W + iw) * g.C + c] * dy[((b * g.OH + oh) * g.OW + ow) * oc + o];
                        }
        return df;
    }

    private static void Check(Window2D g, int oc, Random r, string what)
    {
        var x = RandomFloats(r, g.N * g.H * g.W * g.C);
        var dy = RandomFloats(r, g.N * g.OH * g.OW * oc);
        var expected = Reference(g, oc, x, dy);
        var df = new float[expected.Length + 8];
        Array.Fill(df, float.NaN);
        ThinConvFilterGrad.Run(g, oc, x, dy, df);
        double scale = Math.Sqrt((double)g.N * g.OH * g.OW);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(df[i] - expected[i]) <= 2e-6 * scale * (1 + Math.Abs(expected[i])), $"{what}: dF[{i}] = {df[i]}, reference {expected[i]}");
        for (int i = expected.Length; i < df.Length; i++) Assert.True(float.IsNaN(df[i]), $"{what}: wrote past dF at {i}");
    }

    [Fact]
    public void RandomShapes_MatchTheAdjointSum()
    {
        var r = new Random(83);
        for (int trial = 0; trial < 45; trial++)
        {
            var (g, oc, kind, pads) = TypedGraph.Tests.Kernels.ThinConvTests.RandomThinGeometry(r, trial);
            Assert.Equal(Vector512.IsHardwareAccelerated, ThinConvFilterGrad.Applies(g, oc));
            if (!Vector512.IsHardwareAccelerated) continue; // the rule above is what such a machine can check
            Check(g, oc, r, $"trial {trial}: {g.N}x{g.H}x{g.W}x{g.C} -> {oc} {g.KH}x{g.KW} s{g.SH},{g.SW} d{g.DH},{g.DW} {kind}{pads}");
        }
    }

    [Theory]
    [InlineData(64, 28, 28, 1, 5, 6)]   // a LeNet's first layer at batch 64
    [InlineData(1, 40, 700, 8, 3, 15)]  // one image in several bands (rows of ~10,000 floats), parts within one image
    [InlineData(1, 3, 5, 2, 3, 7)]      // one work unit for two cores
    public void LargerShapes_MatchTheAdjointSum(int n, int h, int w, int c, int k, int oc)
    {
        if (!Vector512.IsHardwareAccelerated) return; // Applies is false there; the random test checks that
        var g = Window2D.Create(n, h, w, c, k, k, 1, 1, 1, 1, PaddingKind.Same, default);
        Check(g, oc, new Random(n + h + w + oc), $"{n}x{h}x{w}x{c} -> {oc}");
    }
}
