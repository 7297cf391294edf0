using System.Runtime.Intrinsics;
using TypedGraph.Building;
using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.NN;
using TypedGraph.Training;
using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.TestTensors;

namespace TypedGraph.Tests.Kernels;

/// <summary>
/// Winograd F(4×4, 3×3) convolution (<see cref="WinogradConv2D"/>) against the naive reference convolution, and the
/// plan-time choice rule that sends a 3×3 stride-1 conv to it or to the implicit-GEMM path (F(2×2, 5×5):
/// <see cref="Winograd5x5ConvTests"/>, which uses this class's error bound).
/// </summary>
/// <remarks>
/// Tolerance: Winograd's rounding error is not bounded by direct summation's γ·Σ|x|·|w|: the transforms multiply
/// values by up to 5 (Bᵀ) and 8 (Aᵀ) before the cancellations that give the result. Every transform step is a short
/// sum, so the standard forward-error bound of a product of linear maps holds: |ŷ − y| ≤ γₙ · S with
/// S = |Aᵀ|·(Σ_c (|G|·|g|·|Gᵀ|) ⊙ (|Bᵀ|·|d|·|B|))·|A| (every matrix and value replaced by its absolute value) and
/// γₙ = n·u / (1 − n·u), u = 2⁻²⁴, n the longest chain of roundings: at most 4 in the input transform, 8 in the filter
/// transform (its 1/6, 1/12, 1/24 are themselves rounded), C in the channel sum, 6 in the output transform and 1 for the
/// product — n = C + 19, taken as C + 24. S is computed here from the test's own copy of the matrices (Lavin &amp; Gray's
/// F(4,3), points 0, ±1, ±2); it is 18–660 times Σ|x|·|w| depending on the output's place in its tile, which is the
/// known error growth of F(4,3). The float rounding of the double-precision reference adds u·|y|.
/// For F(2×2, 5×5) (same points, same Bᵀ) the chain is 4 (input) + 10 (filter: 4 roundings per pass of a 5-tap row,
/// and its rounded ⅙, 1/12, 1/24, ⅓, ⅔) + C + 6 (output: 3 per pass) + 1 = C + 21, within the same C + 24.
/// </remarks>
public class WinogradConvTests
{
    private static readonly double[,] Bt =
    {
        { 4, 0, -5, 0, 1, 0 }, { 0, -4, -4, 1, 1, 0 }, { 0, 4, -4, -1, 1, 0 },
        { 0, -2, -1, 2, 1, 0 }, { 0, 2, -1, -2, 1, 0 }, { 0, 4, 0, -5, 0, 1 },
    };

    private static readonly double[,] G =
    {
        { 0.25, 0, 0 }, { -1.0 / 6, -1.0 / 6, -1.0 / 6 }, { -1.0 / 6, 1.0 / 6, -1.0 / 6 },
        { 1.0 / 24, 1.0 / 12, 1.0 / 6 }, { 1.0 / 24, -1.0 / 12, 1.0 / 6 }, { 0, 0, 1 },
    };

    private static readonly double[,] At =
    {
        { 1, 1, 1, 1, 1, 0 }, { 0, 1, -1, 2, -2, 0 }, { 0, 1, 1, 4, 4, 0 }, { 0, 1, -1, 8, -8, 1 },
    };

    /// <summary>F(2, 5)'s G on the same points: rows (1, p, p², p³, p⁴) / Π_{q≠p}(p − q), and the ∞ row.</summary>
    internal static readonly double[,] G5 =
    {
        { 0.25, 0, 0, 0, 0 }, { -1.0 / 6, -1.0 / 6, -1.0 / 6, -1.0 / 6, -1.0 / 6 }, { -1.0 / 6, 1.0 / 6, -1.0 / 6, 1.0 / 6, -1.0 / 6 },
        { 1.0 / 24, 1.0 / 12, 1.0 / 6, 1.0 / 3, 2.0 / 3 }, { 1.0 / 24, -1.0 / 12, 1.0 / 6, -1.0 / 3, 2.0 / 3 }, { 0, 0, 0, 0, 1 },
    };

    /// <summary>F(2, 5)'s Aᵀ: rows pⁱ for i = 0, 1, the ∞ point in the last row.</summary>
    internal static readonly double[,] At2 = { { 1, 1, 1, 1, 1, 0 }, { 0, 1, -1, 2, -2, 1 } };

    /// <summary>The shared input transform (<see cref="Bt"/>) and F(4,3)'s G and Aᵀ, for the matrix identity test.</summary>
    internal static (double[,] Bt, double[,] G, double[,] At) F43 => (Bt, G, At);

    /// <summary>The per-output error bound γₙ·S described on the class (NHWC, same order as the output), for a 3×3 (F(4,3))
    /// or 5×5 (F(2,5)) window.</summary>
    internal static double[] ErrorBound(float[] x, float[] f, Window2D g, int oc)
    {
        int k = g.KH, m = 7 - k;
        var gk = k == 3 ? G : G5;
        var at = k == 3 ? At : At2;
        int c = g.C, tilesH = (g.OH + m - 1) / m, tilesW = (g.OW + m - 1) / m;
        double u = Math.Pow(2, -24), n = c + 24, gamma = n * u / (1 - n * u);
        // |U| for every (c, o): |G|·|g|·|Gᵀ|.
        var absU = new double[c * oc * 36];
        for (int ci = 0; ci < c; ci++)
            for (int o = 0; o < oc; o++)
                for (int i = 0; i < 6; i++)
                    for (int j = 0; j < 6; j++)
                    {
                        double s = 0;
                        for (int y = 0; y < k; y++)
                            for (int xx = 0; xx < k; xx++)
                                s += Math.Abs(gk[i, y]) * Math.Abs(f[((y * k + xx) * c + ci) * oc + o]) * Math.Abs(gk[j, xx]);
                        absU[(ci * oc + o) * 36 + i * 6 + j] = s;
                    }
        var bound = new double[g.N * g.OH * g.OW * oc];
        var absV = new double[36];
        var p = new double[oc * 36];
        for (int b = 0; b < g.N; b++)
            for (int ty = 0; ty < tilesH; ty++)
                for (int tx = 0; tx < tilesW; tx++)
                {
                    Array.Clear(p);
                    for (int ci = 0; ci < c; ci++)
                    {
                        // |V| = |Bᵀ|·|d|·|B| over the tile's zero-padded 6×6 patch.
                        for (int i = 0; i < 6; i++)
                            for (int j = 0; j < 6; j++)
                            {
                                double s = 0;
                                for (int r = 0; r < 6; r++)
                                    for (int q = 0; q < 6; q++)
                                    {
                                        int ih = ty * m + r - g.PadTop, iw = tx * m + q - g.PadLeft;
                                        if ((uint)ih >= (uint)g.H || (uint)iw >= (uint)g.W) continue;
                                        s += Math.Abs(Bt[i, r]) * Math.Abs(x[((b * g.H + ih) * g.W + iw) * c + ci]) * Math.Abs(Bt[j, q]);
                                    }
                                absV[i * 6 + j] = s;
                            }
                        for (int o = 0; o < oc; o++)
                            for (int xi = 0; xi < 36; xi++) p[o * 36 + xi] += absU[(ci * oc + o) * 36 + xi] * absV[xi];
                    }
                    for (int i = 0; i < m && ty * m + i < g.OH; i++)
                        for (int j = 0; j < m && tx * m + j < g.OW; j++)
                            for (int o = 0; o < oc; o++)
                            {
                                double s = 0;
                                for (int r = 0; r < 6; r++)
                                    for (int q = 0; q < 6; q++) s += Math.Abs(at[i, r]) * p[o * 36 + r * 6 + q] * Math.Abs(at[j, q]);
                                bound[((b * g.OH + ty * m + i) * g.OW + tx * m + j) * oc + o] = gamma * s;
                            }
                }
        return bound;
    }

    internal static void WithinBound(float[] expected, float[] got, double[] bound, string what)
    {
        Assert.Equal(expected.Length, got.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double allowed = bound[i] + Math.Pow(2, -24) * Math.Abs(expected[i]);
            Assert.True(Math.Abs((double)got[i] - expected[i]) <= allowed,
                $"{what}[{i}]: expected {expected[i]}, got {got[i]} (|error| {Math.Abs((double)got[i] - expected[i]):G3} > bound {allowed:G3})");
        }
    }

    internal static Window2D Geometry(int n, int h, int w, int c, string padding, (int, int, int, int) pads = default, int k = 3)
        => Window2D.Create(n, h, w, c, k, k, 1, 1, 1, 1, Padding.Parse(padding), pads);

    /// <summary>Random input and filter for a k×k window (k = g.KH) and the naive reference convolution.</summary>
    internal static (float[] X, float[] F, float[] Expected) Case(int seed, Window2D g, int oc)
    {
        var r = new Random(seed);
        var x = RandomFloats(r, (long)g.N * g.H * g.W * g.C);
        var f = RandomFloats(r, (long)g.KH * g.KW * g.C * oc);
        var expected = ConvPoolTests.NaiveConv(x, g.N, g.H, g.W, g.C, f, g.KH, g.KW, oc, 1, 1, 1, 1, g.OH, g.OW, g.PadTop, g.PadLeft);
        return (x, f, expected);
    }

    [Theory]
    [InlineData(1, 8, 8, 16, 16, "SAME")]      // whole 4×4 tiles
    [InlineData(2, 9, 11, 16, 32, "SAME")]     // partial edge tiles in both directions, batch 2
    [InlineData(1, 13, 7, 32, 48, "VALID")]    // 11×5 output; OC 48 = one and a half GEMM panels
    [InlineData(3, 5, 6, 16, 16, "VALID")]     // 3×4 output: one partial tile per image
    [InlineData(1, 3, 3, 16, 16, "VALID")]     // a single output pixel
    [InlineData(2, 20, 17, 64, 32, "SAME")]    // many channels
    [InlineData(1, 6, 5, 272, 16, "SAME")]     // C deeper than one GEMM depth block (256)
    public void Winograd_MatchesNaiveReference_WithinItsErrorBound(int n, int h, int w, int c, int oc, string padding)
    {
        var g = Geometry(n, h, w, c, padding);
        var (x, f, expected) = Case(n * 1000 + h * 31 + w + c + oc, g, oc);
        WithinBound(expected, RunWinograd(g, oc, x, f), ErrorBound(x, f, g, oc), "winograd");
    }

    /// <summary>
    /// Runs the Winograd kernel directly. It needs AVX-512 (the benchmark / CI machine has it); elsewhere it must refuse
    /// with a typed exception, and the op falls back to the implicit-GEMM or im2col path (the choice rule says false).
    /// </summary>
    internal static float[] RunWinograd(Window2D g, int oc, float[] x, float[] f, Epilogue? epilogue = null, Tensor? bias = null)
    {
        var got = new float[g.N * g.OH * g.OW * oc];
        if (Vector512.IsHardwareAccelerated) WinogradConv2D.Run(g, oc, x, f, got, epilogue, bias);
        else
        {
            Assert.Throws<InvalidOperationException>(() => WinogradConv2D.Run(g, oc, x, f, got, epilogue, bias));
            Assert.False(WinogradConv2D.IsPreferred(g, oc));
            Conv2DKernel.Run(g, oc, x, f, got, epilogue, bias);
        }
        return got;
    }

    [Theory]
    [InlineData(1, 11, 14, 32, 32, 2, 0, 1, 3)]   // EXPLICIT: more padding on one side than the other
    [InlineData(2, 7, 9, 16, 64, 0, 2, 0, 0)]     // EXPLICIT: bottom only
    public void Winograd_ExplicitPadding_MatchesNaiveReference(int n, int h, int w, int c, int oc, int top, int bottom, int left, int right)
    {
        var g = Geometry(n, h, w, c, "EXPLICIT", (top, bottom, left, right));
        var (x, f, expected) = Case(h * 7 + w + top + right, g, oc);
        WithinBound(expected, RunWinograd(g, oc, x, f), ErrorBound(x, f, g, oc), "winograd explicit");
    }

    [Fact]
    public void Winograd_RandomShapes_MatchNaiveReference()
    {
        var r = new Random(2026);
        for (int i = 0; i < 16; i++)
        {
            int n = r.Next(1, 4), h = r.Next(3, 26), w = r.Next(3, 26), c = 16 * r.Next(1, 5), oc = 16 * r.Next(1, 5);
            var g = Geometry(n, h, w, c, r.Next(0, 2) == 0 ? "SAME" : "VALID");
            var (x, f, expected) = Case(i, g, oc);
            WithinBound(expected, RunWinograd(g, oc, x, f), ErrorBound(x, f, g, oc), $"random case {i} ({n}x{h}x{w}x{c} -> {oc}, pads {g.PadTop},{g.PadLeft})");
        }
    }

    [Fact]
    public void Winograd_TypicalError_IsWithin16TimesDirectSummations()
    {
        // The worst-case bound above is loose by design (actual errors are 10⁻⁴–10⁻³ of it), so it would not notice a
        // kernel that lost a few bits. This checks the typical error: rounding errors add up like a random walk, and the
        // transforms' constants (up to 5 in Bᵀ, 8 in Aᵀ) scale it by a few times — 4.1×, 5.4× and 3.9× the RMS error of
        // float direct summation were seen on uniform data for 2×24×24×64→64, 1×20×20×16→16 and 1×12×12×256→32. 16×
        // leaves room for other data; a transform evaluated in a lossy order or in reduced precision would exceed it.
        var g = Geometry(2, 24, 24, 64, "SAME");
        var (x, f, expected) = Case(77, g, 64);
        var got = RunWinograd(g, 64, x, f);
        var direct = new float[got.Length];
        ImplicitOrIm2Col(g, 64, x, f, direct);
        double errW = 0, errD = 0;
        for (int i = 0; i < got.Length; i++)
        {
            errW += Math.Pow(got[i] - (double)expected[i], 2);
            errD += Math.Pow(direct[i] - (double)expected[i], 2);
        }
        Assert.True(errW <= 16 * 16 * Math.Max(errD, 1e-30), $"RMS error winograd {Math.Sqrt(errW / got.Length):G3}, direct {Math.Sqrt(errD / got.Length):G3}");
    }

    private static void ImplicitOrIm2Col(Window2D g, int oc, float[] x, float[] f, float[] y)
    {
        if (ImplicitGemmConv2D.IsPreferred(g, oc)) ImplicitGemmConv2D.Run(g, oc, x, f, y, null, null);
        else Conv2DKernel.RunIm2Col(g, oc, x, f, y);
    }

    [Theory]
    [InlineData(1, 56, 56, 64, 64, 3, 1, 1, true)]     // ResNet-style layer: 196 tiles amortize the filter transform
    [InlineData(1, 112, 112, 32, 32, 3, 1, 1, true)]   // large image, 32 channels
    [InlineData(1, 48, 48, 64, 64, 3, 1, 1, true)]
    [InlineData(1, 28, 28, 128, 128, 3, 1, 1, false)]  // 49 tiles: transforming 36·128·128 filter values costs too much
    [InlineData(1, 7, 7, 512, 512, 3, 1, 1, false)]    // 4 tiles, 9.4 M transformed filter values
    [InlineData(8, 14, 14, 32, 32, 3, 1, 1, false)]    // depth 32 GEMMs: estimated no cheaper (measured about even)
    [InlineData(4, 9, 11, 16, 64, 3, 1, 1, false)]     // depth-16 GEMMs on 36 tiles
    [InlineData(1, 56, 56, 64, 64, 3, 2, 1, false)]    // stride 2: F(4,3) does not apply
    [InlineData(1, 56, 56, 64, 64, 3, 1, 2, false)]    // dilated
    [InlineData(1, 56, 56, 24, 64, 3, 1, 1, false)]    // C not a multiple of 16
    [InlineData(1, 56, 56, 64, 40, 3, 1, 1, false)]    // OC not a multiple of 16
    public void ChoiceRule_PicksWinogradOnlyWhereItsCostWins(int n, int h, int w, int c, int oc, int k, int stride, int dilation, bool winograd)
    {
        var g = Window2D.Create(n, h, w, c, k, k, stride, stride, dilation, dilation, PaddingKind.Same, default);
        Assert.Equal(winograd && Vector512.IsHardwareAccelerated, WinogradConv2D.IsPreferred(g, oc));
        if (winograd) Assert.True(WinogradConv2D.Cost(g, oc) < 0.7 * WinogradConv2D.DirectCost(g, oc));
    }

    [Fact]
    public void Conv2DOp_OnAShapeTheRulePicks_RunsWinograd_AndMatchesNaiveReference()
    {
        var g = Geometry(1, 48, 48, 64, "SAME");
        var (x, f, expected) = Case(48, g, 64);
        Assert.Equal(Vector512.IsHardwareAccelerated, WinogradConv2D.IsPreferred(g, 64));
        var y = Compute1("Conv2D", [F(x, 1, 48, 48, 64), F(f, 3, 3, 64, 64)], Attrs("SAME")).ToArray<float>();
        // Bit-identical to the Winograd kernel called directly (the plan took this path), and within its error bound.
        Assert.Equal(RunWinograd(g, 64, x, f), y);
        WithinBound(expected, y, ErrorBound(x, f, g, 64), "Conv2D op");
    }

    [Fact]
    public void FusedConvBiasRelu_OnTheWinogradPath_IsWinogradThenBiasThenRelu()
    {
        var g = Geometry(1, 48, 48, 64, "SAME");
        var (x, f, _) = Case(49, g, 64);
        var bias = RandomFloats(new Random(50), 64);
        var expected = RunWinograd(g, 64, x, f);
        for (int i = 0; i < expected.Length; i++) expected[i] = Math.Max(0f, expected[i] + bias[i % 64]);
        var y = Compute1("_FusedConv2D", [F(x, 1, 48, 48, 64), F(f, 3, 3, 64, 64), F(bias, 64)], def =>
        {
            Attrs("SAME")(def);
            def.Attr["num_args"] = ToAttr(1);
            def.Attr["fused_ops"] = new Protos.AttrValue { List = new Protos.AttrValue.Types.ListValue { S = { Google.Protobuf.ByteString.CopyFromUtf8("BiasAdd"), Google.Protobuf.ByteString.CopyFromUtf8("Relu") } } };
        });
        Assert.Equal(expected, y.ToArray<float>());
    }

    [Theory]
    [InlineData(1, 24, 24, 64, 64, true, false)]     // the filter transform (36·64·64 values) outweighs the saving per call, not when kept
    [InlineData(1, 28, 28, 128, 128, true, false)]   // 49 tiles: the transform alone cost more than the direct conv
    [InlineData(1, 56, 56, 64, 64, true, true)]      // chosen either way
    [InlineData(1, 7, 7, 512, 512, false, false)]    // 4 tiles stream 36·512·512 kept floats: still direct
    [InlineData(8, 14, 14, 32, 32, false, false)]    // depth-32 GEMMs: not cheaper even without the transform
    public void ChoiceRule_WithAKeptFilter_DropsTheTransformButChargesReadingIt(int n, int h, int w, int c, int oc, bool cached, bool uncached)
    {
        var g = Window2D.Create(n, h, w, c, 3, 3, 1, 1, 1, 1, PaddingKind.Same, default);
        Assert.Equal(cached && Vector512.IsHardwareAccelerated, WinogradConv2D.IsPreferred(g, oc, filterCached: true));
        Assert.Equal(uncached && Vector512.IsHardwareAccelerated, WinogradConv2D.IsPreferred(g, oc, filterCached: false));
        Assert.True(WinogradConv2D.Cost(g, oc, filterCached: true) < WinogradConv2D.Cost(g, oc));
    }

    [Theory]
    [InlineData(1, 8, 8, 16, 16, "SAME")]
    [InlineData(2, 9, 11, 16, 48, "SAME")]
    [InlineData(1, 6, 5, 272, 16, "VALID")]
    public void KeptTransformedFilter_GivesTheSameOutputsAsTransformingPerCall(int n, int h, int w, int c, int oc, string padding)
    {
        var g = Geometry(n, h, w, c, padding);
        var (x, f, expected) = Case(h * 13 + w + c, g, oc);
        var kept = WinogradConv2D.TransformFilter(f, 3, c, oc);
        var got = new float[g.N * g.OH * g.OW * oc];
        if (Vector512.IsHardwareAccelerated) WinogradConv2D.Run(g, oc, x, f, got, null, null, kept);
        else
        {
            Assert.Throws<InvalidOperationException>(() => WinogradConv2D.Run(g, oc, x, f, got, null, null, kept));
            Conv2DKernel.Run(g, oc, x, f, got);
        }
        // The same transform and packing, made once instead of per call: bit-identical, and within the error bound.
        Assert.Equal(RunWinograd(g, oc, x, f), got);
        WithinBound(expected, got, ErrorBound(x, f, g, oc), "kept filter");
        // A form made for other channel counts is not used (the call transforms its own filter).
        var other = WinogradConv2D.TransformFilter(new float[9 * c * (oc + 16)], 3, c, oc + 16);
        var got2 = new float[got.Length];
        if (Vector512.IsHardwareAccelerated) WinogradConv2D.Run(g, oc, x, f, got2, null, null, other);
        else Conv2DKernel.Run(g, oc, x, f, got2);
        Assert.Equal(got, got2);
    }

    [Theory]
    [InlineData(3, 1, 24, 24, 64, 64)]   // 3×3: Winograd only because the Const/variable filter's transform is kept (rule test above)
    [InlineData(5, 8, 14, 14, 32, 64)]   // 5×5: F(2×2, 5×5) on a kept filter (Winograd5x5ConvTests' rule test)
    public void VariableFilter_OnTheKeptWinogradPath_FollowsAssignsAndFeeds(int k, int n, int h, int w, int c, int oc)
    {
        var g = Geometry(n, h, w, c, "SAME", k: k);
        Assert.Equal(Vector512.IsHardwareAccelerated, WinogradConv2D.IsPreferred(g, oc, filterCached: true));
        var b = new GraphBuilder();
        var xIn = b.Placeholder(Protos.DataType.DtFloat, null, "x");
        var (x, f0, conv0) = Case(5, g, oc);
        var bias = RandomFloats(new Random(6), oc);
        var filter = b.Variable(Tensor.Create(f0, k, k, c, oc), "f");
        var newF = b.Placeholder(Protos.DataType.DtFloat, null, "new_f");
        var assign = b.Assign(filter, newF, "assign_f");
        b.Relu(b.BiasAdd(b.Conv2D(xIn, filter.Snapshot, [1, 1, 1, 1], "SAME", name: "conv"), b.Constant(Tensor.Create(bias, oc), "bias")), "relu");
        b.GlobalVariablesInitializer();
        using var s = new Session(b.Graph);
        s.Initialize();
        var feed = ("x:0", Tensor.Create(x, n, h, w, c));
        void Check(float[] f, float[] conv, ReadOnlySpan<float> y, string what)
        {
            // relu(conv + bias): ReLU does not grow an error, the bias add rounds once more.
            var bound = ErrorBound(x, f, g, oc);
            var expected = new float[conv.Length];
            for (int i = 0; i < conv.Length; i++)
            {
                expected[i] = (float)Math.Max(0, (double)conv[i] + bias[i % oc]);
                bound[i] += Math.Pow(2, -24) * (Math.Abs(conv[i]) + Math.Abs(bias[i % oc]));
            }
            WithinBound(expected, y.ToArray(), bound, what);
        }
        for (int run = 0; run < 3; run++) Check(f0, conv0, s.Run("relu:0", feed).AsSpan<float>(), $"f0 run {run}");
        var f1 = RandomFloats(new Random(7), k * k * c * oc);
        var conv1 = ConvPoolTests.NaiveConv(x, n, h, w, c, f1, k, k, oc, 1, 1, 1, 1, g.OH, g.OW, g.PadTop, g.PadLeft);
        s.Run([assign.Name], new Dictionary<string, Tensor> { ["new_f:0"] = Tensor.Create(f1, k, k, c, oc) });
        for (int run = 0; run < 3; run++) Check(f1, conv1, s.Run("relu:0", feed).AsSpan<float>(), $"f1 run {run}");
        // A fed filter is the caller's: used as it is, never kept.
        var f2 = RandomFloats(new Random(8), k * k * c * oc);
        var conv2 = ConvPoolTests.NaiveConv(x, n, h, w, c, f2, k, k, oc, 1, 1, 1, 1, g.OH, g.OW, g.PadTop, g.PadLeft);
        Check(f2, conv2, s.Run("relu:0", feed, ("f/read:0", Tensor.Create(f2, k, k, c, oc))).AsSpan<float>(), "fed");
        var plan = s.Prepare(["relu:0"], ["x:0"]);
        var fused = (Conv2DKernel)plan.Plan.Steps.Single(st => st.Node.Name == "relu").Kernel;
        // Transformed on the second sighting of f0 and of f1; the implicit-GEMM panels were never needed.
        Assert.Equal(Vector512.IsHardwareAccelerated ? 2 : 0, fused.FilterCache.Winograd.Builds);
        Assert.Equal(0, fused.FilterPanels.Builds);
    }

    private static Action<Protos.NodeDef> Attrs(string padding) => def =>
    {
        def.Attr["strides"] = ToAttr(new[] { 1, 1, 1, 1 });
        def.Attr["padding"] = ToAttr(padding);
        def.Attr["data_format"] = ToAttr("NHWC");
    };
}
