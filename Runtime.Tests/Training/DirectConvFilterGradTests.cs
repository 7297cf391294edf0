using System.Runtime.Intrinsics;
using TypedGraph.Building;
using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.NN;
using TypedGraph.Kernels.Training;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;

namespace TypedGraph.Tests.Training;

/// <summary>
/// Conv2DBackpropFilter's direct path (few input channels, OC a multiple of 16: no patch matrix, 8 taps per register
/// group, images split across the cores) against the adjoint sum written out in doubles,
/// df[y,x,c,o] = Σ x[b, oh·s − top + y·d, ow·s − left + x·d, c] · dy[b,oh,ow,o], on random shapes: every remainder of taps
/// modulo 8, strides and dilations 1–3, SAME/VALID/EXPLICIT (TF's padding arithmetic), batches that split unevenly.
/// </summary>
public sealed class DirectConvFilterGradTests
{
    [Fact]
    public void RandomShapes_MatchTheAdjointSum()
    {
        var r = new Random(2026);
        for (int trial = 0; trial < 48; trial++)
        {
            int n = r.Next(1, 6), c = r.Next(1, 17), oc = 16 * r.Next(1, 5);
            int kh = r.Next(1, 6), kw = r.Next(1, 6), sh = r.Next(1, 4), sw = r.Next(1, 4);
            int dh = sh == 1 ? r.Next(1, 3) : 1, dw = sw == 1 ? r.Next(1, 3) : 1; // TF: dilation > 1 needs stride 1
            int h = r.Next((kh - 1) * dh + 1, 20), w = r.Next((kw - 1) * dw + 1, 20);
            string padding = new[] { "SAME", "VALID", "EXPLICIT" }[trial % 3];
            var pads = padding == "EXPLICIT" ? (r.Next(0, 4), r.Next(0, 4), r.Next(0, 4), r.Next(0, 4)) : (0, 0, 0, 0);
            Check(trial, n, h, w, c, kh, kw, oc, sh, sw, dh, dw, padding, pads);
        }
    }

    [Fact]
    public void TrainingShapes_MatchTheAdjointSum()
    {
        Check(100, 3, 28, 28, 6, 5, 5, 16, 1, 1, 1, 1, "SAME", default);  // the training benchmark's LeNet layer
        Check(101, 2, 28, 28, 1, 5, 5, 32, 1, 1, 1, 1, "SAME", default);  // the TF MNIST net's first conv
        Check(102, 1, 9, 9, 16, 3, 3, 64, 2, 2, 1, 1, "VALID", default);  // the widest C and OC the path takes
        Check(103, 2, 6, 7, 3, 3, 3, 16, 1, 1, 1, 1, "EXPLICIT", (5, 1, 0, 4)); // padding larger than the window
    }

    [Theory]
    [InlineData(6, 16, true)]
    [InlineData(16, 64, true)]
    [InlineData(17, 16, false)] // many channels: im2col + GEMM
    [InlineData(6, 24, false)]  // OC not a whole number of vectors
    public void Rule_TakesFewChannelsAndWholeVectorsOfOc(int c, int oc, bool direct)
    {
        var g = Window2D.Create(2, 8, 8, c, 3, 3, 1, 1, 1, 1, PaddingKind.Same, default);
        Assert.Equal(direct && Vector512.IsHardwareAccelerated, DirectConvFilterGrad.Applies(g, oc));
    }

    private static void Check(int seed, int n, int h, int w, int c, int kh, int kw, int oc, int sh, int sw, int dh, int dw,
        string padding, (int Top, int Bottom, int Left, int Right) pads)
    {
        var kind = padding switch { "SAME" => PaddingKind.Same, "VALID" => PaddingKind.Valid, _ => PaddingKind.Explicit };
        var g = Window2D.Create(n, h, w, c, kh, kw, sh, sw, dh, dw, kind, pads);
        Assert.Equal(Vector512.IsHardwareAccelerated, DirectConvFilterGrad.Applies(g, oc));
        var r = new Random(seed);
        var xs = Enumerable.Range(0, n * h * w * c).Select(_ => r.NextSingle() * 2 - 1).ToArray();
        var gs = Enumerable.Range(0, n * g.OH * g.OW * oc).Select(_ => r.NextSingle() * 2 - 1).ToArray();
        var df = new double[kh * kw * c * oc];
        for (int b = 0; b < n; b++)
            for (int i = 0; i < g.OH; i++)
                for (int j = 0; j < g.OW; j++)
                    for (int ky = 0; ky < kh; ky++)
                        for (int kx = 0; kx < kw; kx++)
                        {
                            int ih = i * sh - g.PadTop + ky * dh, iw = j * sw - g.PadLeft + kx * dw;
                            if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                            for (int ci = 0; ci < c; ci++)
                                for (int o = 0; o < oc; o++)
                                    df[((ky * kw + kx) * c + ci) * oc + o] += (double)gs[((b * g.OH + i) * g.OW + j) * oc + o] * xs[((b * h + ih) * w + iw) * c + ci];
                        }
        var attrs = new List<(string, AttrValue)>
        {
            ("strides", Attrs.Ints(1, sh, sw, 1)), ("padding", Attrs.String(padding)), ("dilations", Attrs.Ints(1, dh, dw, 1)),
        };
        if (padding == "EXPLICIT") attrs.Add(("explicit_paddings", Attrs.Ints(0, 0, pads.Top, pads.Bottom, pads.Left, pads.Right, 0, 0)));
        var got = OpHarness.Compute1("Conv2DBackpropFilter",
            [Tensor.Create(xs, n, h, w, c), Tensor.Create(new[] { kh, kw, c, oc }, 4), Tensor.Create(gs, n, g.OH, g.OW, oc)], [.. attrs]).ToArray<float>();
        Assert.Equal(df.Length, got.Length);
        double scale = Math.Sqrt(n * g.OH * g.OW);
        for (int i = 0; i < df.Length; i++)
            Assert.True(Math.Abs(got[i] - df[i]) <= 2e-6 * scale * (1 + Math.Abs(df[i])) + 1e-5,
                $"{n}x{h}x{w}x{c} filter {kh}x{kw}x{oc} s{sh},{sw} d{dh},{dw} {padding}{pads}: df[{i}] = {got[i]}, adjoint sum {df[i]}");
    }
}
