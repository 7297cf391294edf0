using TypedGraph.Building;
using TypedGraph.Kernels.Training;
using TypedGraph.Protos;
using TypedGraph.Training;
using static TypedGraph.Tests.Kernels.DepthwiseConvPathTests;
using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.TestTensors;

namespace TypedGraph.Tests.Training;

/// <summary>
/// DepthwiseConv2dNativeBackpropInput / BackpropFilter against the adjoint sums of the forward reference loop (written
/// in the test, double precision), on every kernel path (stride-1 input gradient as a forward conv, the gather path,
/// 16/8-wide and scalar channels, multipliers 2 and 3, NCHW), and the DepthwiseConv2dNative gradient built by
/// <see cref="Gradients"/> against central differences of the reference loss.
/// </summary>
public sealed class DepthwiseConvGradTests
{
    /// <summary>dx = Σ_o w[o]·∂y[o]/∂x and df likewise (exact adjoints of <see cref="Reference"/>), with Σ|terms| per element.</summary>
    private static (double[] Dx, double[] DxAbs, double[] Df, double[] DfAbs) Adjoint(Problem p, float[] x, float[] f, float[] w)
    {
        int oc = p.C * p.M;
        var dx = new double[x.Length];
        var dxAbs = new double[x.Length];
        var df = new double[f.Length];
        var dfAbs = new double[f.Length];
        for (int b = 0; b < p.N; b++)
            for (int oh = 0; oh < p.OH; oh++)
                for (int ow = 0; ow < p.OW; ow++)
                    for (int c = 0; c < p.C; c++)
                        for (int m = 0; m < p.M; m++)
                        {
                            double g = w[(((long)b * p.OH + oh) * p.OW + ow) * oc + c * p.M + m];
                            for (int ky = 0; ky < p.KH; ky++)
                                for (int kx = 0; kx < p.KW; kx++)
                                {
                                    int ih = oh * p.SH - p.PadTop + ky * p.DH, iw = ow * p.SW - p.PadLeft + kx * p.DW;
                                    if (ih < 0 || ih >= p.H || iw < 0 || iw >= p.W) continue;
                                    int xi = ((b * p.H + ih) * p.W + iw) * p.C + c, fi = ((ky * p.KW + kx) * p.C + c) * p.M + m;
                                    dx[xi] += g * f[fi];
                                    dxAbs[xi] += Math.Abs(g * f[fi]);
                                    df[fi] += g * x[xi];
                                    dfAbs[fi] += Math.Abs(g * x[xi]);
                                }
                        }
        return (dx, dxAbs, df, dfAbs);
    }

    private static void CheckKernels(Problem p, int seed, string format = "NHWC")
    {
        var r = new Random(seed);
        var x = RandomFloats(r, (long)p.N * p.H * p.W * p.C);
        var f = RandomFloats(r, (long)p.KH * p.KW * p.C * p.M);
        int oc = p.C * p.M;
        var w = RandomFloats(r, (long)p.N * p.OH * p.OW * oc);
        var (dx, dxAbs, df, dfAbs) = Adjoint(p, x, f, w);
        bool nchw = format == "NCHW";
        int[] xShape = nchw ? [p.N, p.C, p.H, p.W] : [p.N, p.H, p.W, p.C];
        var xt = nchw ? F(ToNchw(x, p.N, p.H, p.W, p.C), xShape) : F(x, xShape);
        var wt = nchw ? F(ToNchw(w, p.N, p.OH, p.OW, oc), p.N, oc, p.OH, p.OW) : F(w, p.N, p.OH, p.OW, oc);
        var gotDx = Compute1("DepthwiseConv2dNativeBackpropInput", [I(xShape), F(f, p.KH, p.KW, p.C, p.M), wt], p.Attrs(format));
        var gotDf = Compute1("DepthwiseConv2dNativeBackpropFilter", [xt, I([p.KH, p.KW, p.C, p.M]), wt], p.Attrs(format));
        Assert.Equal(new TensorShape(xShape), gotDx.Shape);
        Assert.Equal(new TensorShape(p.KH, p.KW, p.C, p.M), gotDf.Shape);
        var dxNhwc = nchw ? ToNhwc(gotDx.ToArray<float>(), p.N, p.H, p.W, p.C) : gotDx.ToArray<float>();
        // Each dx element sums ≤ KH·KW·M products; each df element N·OH·OW of them, in up to #cores partial sums.
        AssertWithinBound(dx, dxAbs, dxNhwc, p.KH * p.KW * p.M, "dInput " + p);
        AssertWithinBound(df, dfAbs, gotDf.ToArray<float>(), p.N * p.OH * p.OW + 16, "dFilter " + p);
    }

    public static TheoryData<string> Shapes => new()
    {
        // Stride 1, M = 1: the input gradient runs as a forward conv (8- and 4-pixel blocks, borders).
        "1x9x21x32 3x3 m1 s1x1 d1x1 SAME", "2x7x12x24 3x3 m1 s1x1 d1x1 VALID", "1x6x11x16 5x3 m1 s1x1 d2x1 SAME",
        // Strided, dilated, multipliers, channels not a multiple of 8: the gather path and the scalar remainder.
        "1x16x16x32 3x3 m1 s2x2 d1x1 SAME", "2x9x13x37 3x3 m1 s2x1 d1x1 SAME", "1x11x12x16 3x3 m3 s2x2 d1x1 VALID",
        "2x8x9x13 3x3 m2 s1x1 d1x1 SAME", "1x13x25x20 3x3 m1 s3x3 d1x2 SAME", "1x7x9x5 5x3 m2 s2x1 d1x1 SAME",
        "3x14x14x48 3x3 m1 s1x1 d1x1 SAME", "1x3x4x16 5x7 m1 s1x1 d1x1 SAME", "1x10x10x8 1x1 m1 s2x2 d1x1 VALID",
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void BackpropKernelsMatchAdjointOfReference(string shape) => CheckKernels(Parse(shape), shape.Length * 131 + shape[2]);

    [Theory]
    [MemberData(nameof(Shapes))]
    public void BackpropKernelsMatchAdjointOfReferenceWith8WideVectors(string shape)
    {
        DepthwiseConvBackpropKernels.ForceVector256 = true;
        TypedGraph.Kernels.NN.DepthwiseConv2DKernel.ForceVector256 = true;
        try { CheckKernels(Parse(shape), shape.Length * 7 + shape[3]); }
        finally
        {
            DepthwiseConvBackpropKernels.ForceVector256 = false;
            TypedGraph.Kernels.NN.DepthwiseConv2DKernel.ForceVector256 = false;
        }
    }

    [Theory]
    [InlineData("1x9x17x32 3x3 m1 s1x1 d1x1 EXPLICIT", 0, 2, 3, 1)]
    [InlineData("2x8x12x24 3x3 m2 s2x2 d1x1 EXPLICIT", 1, 0, 0, 2)]
    [InlineData("1x6x10x16 3x3 m1 s1x1 d1x1 EXPLICIT", 4, 4, 5, 0)]
    public void BackpropKernelsWithExplicitPaddingMatchAdjoint(string shape, int top, int bottom, int left, int right)
        => CheckKernels(Parse(shape) with { Explicit = [0, 0, top, bottom, left, right, 0, 0] }, top + 5 * right);

    [Theory]
    [InlineData("2x9x10x32 3x3 m1 s1x1 d1x1 SAME")]
    [InlineData("1x8x11x5 3x3 m2 s2x2 d1x1 VALID")]
    public void NchwBackpropKernelsMatchAdjoint(string shape) => CheckKernels(Parse(shape), 11, "NCHW");

    [Fact]
    public void RandomShapesMatchAdjoint()
    {
        var r = new Random(4321);
        string[] pads = ["SAME", "VALID", "EXPLICIT"];
        int[] cs = [1, 3, 8, 16, 19, 24, 32];
        int done = 0;
        for (int i = 0; i < 40; i++)
        {
            var p = new Problem(r.Next(1, 3), r.Next(1, 12), r.Next(1, 20), cs[r.Next(cs.Length)], r.Next(1, 5), r.Next(1, 5), r.Next(1, 4),
                r.Next(1, 4), r.Next(1, 4), r.Next(1, 3), r.Next(1, 3), pads[r.Next(3)]);
            if (p.Padding == "EXPLICIT") p = p with { Explicit = [0, 0, r.Next(0, 3), r.Next(0, 3), r.Next(0, 3), r.Next(0, 3), 0, 0] };
            if (p.OH <= 0 || p.OW <= 0) continue;
            CheckKernels(p, i);
            done++;
        }
        Assert.True(done >= 20, $"only {done} of the random shapes had an output");
    }

    [Fact]
    public void EmptyBatchGivesZeroFilterGradientAndEmptyInputGradient()
    {
        var p = Parse("0x5x6x16 3x3 m1 s1x1 d1x1 SAME");
        var df = Compute1("DepthwiseConv2dNativeBackpropFilter", [F([], 0, 5, 6, 16), I([3, 3, 16, 1]), F([], 0, 5, 6, 16)], p.Attrs());
        Assert.Equal(new TensorShape(3, 3, 16, 1), df.Shape);
        Assert.All(df.ToArray<float>(), v => Assert.Equal(0f, v));
        var dx = Compute1("DepthwiseConv2dNativeBackpropInput", [I([0, 5, 6, 16]), F(new float[144], 3, 3, 16, 1), F([], 0, 5, 6, 16)], p.Attrs());
        Assert.Equal(new TensorShape(0, 5, 6, 16), dx.Shape);
    }

    [Fact]
    public void MismatchedOutBackpropShapeIsRejectedNamingTheNode()
    {
        var p = Parse("1x5x6x16 3x3 m1 s1x1 d1x1 SAME");
        var e = Assert.ThrowsAny<Exception>(() => Compute1("DepthwiseConv2dNativeBackpropInput", [I([1, 5, 6, 16]), F(new float[144], 3, 3, 16, 1), F(new float[1 * 5 * 5 * 16], 1, 5, 5, 16)], p.Attrs()));
        Assert.Contains("out_backprop", e.Message);
        var e2 = Assert.ThrowsAny<Exception>(() => Compute1("DepthwiseConv2dNativeBackpropFilter", [F(new float[480], 1, 5, 6, 16), I([3, 3, 16]), F(new float[480], 1, 5, 6, 16)], p.Attrs()));
        Assert.Contains("filter_sizes", e2.Message);
    }

    [Theory]
    [InlineData("1x6x7x3 3x3 m2 s1x1 d1x1 SAME", "NHWC")]
    [InlineData("2x7x6x16 3x3 m1 s2x2 d1x1 SAME", "NHWC")]
    [InlineData("1x8x9x2 3x2 m1 s1x2 d2x1 VALID", "NHWC")]
    [InlineData("1x5x6x4 3x3 m1 s1x1 d1x1 EXPLICIT", "NHWC")]
    [InlineData("1x6x5x3 3x3 m2 s2x1 d1x1 SAME", "NCHW")]
    public void GradientOfDepthwiseConvMatchesCentralDifferences(string shape, string format)
    {
        var p = Parse(shape);
        if (p.Padding == "EXPLICIT") p = p with { Explicit = [0, 0, 2, 0, 1, 3, 0, 0] };
        bool nchw = format == "NCHW";
        var r = new Random(shape.Length + 3);
        var x = RandomFloats(r, (long)p.N * p.H * p.W * p.C);
        var f = RandomFloats(r, (long)p.KH * p.KW * p.C * p.M);
        int oc = p.C * p.M;
        var w = RandomFloats(r, (long)p.N * p.OH * p.OW * oc);
        int[] xShape = nchw ? [p.N, p.C, p.H, p.W] : [p.N, p.H, p.W, p.C];
        int[] yShape = nchw ? [p.N, oc, p.OH, p.OW] : [p.N, p.OH, p.OW, oc];

        var b = new GraphBuilder();
        var xp = b.Placeholder(DataType.DtFloat, xShape.Select(d => (long)d).ToArray(), "x");
        var fp = b.Placeholder(DataType.DtFloat, [p.KH, p.KW, p.C, p.M], "f");
        var node = new Protos.NodeDef();
        p.Attrs(format)(node);
        var y = b.OutputOf(b.AddOperation("DepthwiseConv2dNative", [xp, fp], node.Attr.ToDictionary(a => a.Key, a => a.Value), "depthwise"));
        var wc = b.Constant(Tensor.Create(nchw ? ToNchw(w, p.N, p.OH, p.OW, oc) : w, yShape), "w");
        var loss = b.ReduceSum(b.Reshape(b.Multiply(y, wc), [-1]), [0]);
        var grads = Gradients.Compute(b, [loss], [xp, fp]);
        using var s = new Session(b.Graph);
        var xt = Tensor.Create(nchw ? ToNchw(x, p.N, p.H, p.W, p.C) : x, xShape);
        var res = s.Run([grads[0]!.Value.Name, grads[1]!.Value.Name], new Dictionary<string, Tensor> { ["x:0"] = xt, ["f:0"] = Tensor.Create(f, [p.KH, p.KW, p.C, p.M]) });
        var gx = nchw ? ToNhwc(res[0].ToArray<float>(), p.N, p.H, p.W, p.C) : res[0].ToArray<float>();
        var gf = res[1].ToArray<float>();

        // Loss in double from the reference loop; central differences with h = 1e-3 (the loss is linear in x and in f,
        // so the difference quotient is exact up to rounding of the double sums).
        double Loss(float[] xv, float[] fv) => Reference(p, xv, fv).Y.Select((v, i) => v * w[i]).Sum();
        const float h = 1e-3f;
        for (int i = 0; i < x.Length; i++)
        {
            var xp1 = (float[])x.Clone();
            var xm1 = (float[])x.Clone();
            xp1[i] += h;
            xm1[i] -= h;
            double num = (Loss(xp1, f) - Loss(xm1, f)) / ((double)xp1[i] - xm1[i]);
            Assert.True(Math.Abs(num - gx[i]) <= 1e-4 * Math.Max(1, Math.Abs(num)), $"dx[{i}]: central difference {num}, gradient {gx[i]} ({shape})");
        }
        for (int i = 0; i < f.Length; i++)
        {
            var fp1 = (float[])f.Clone();
            var fm1 = (float[])f.Clone();
            fp1[i] += h;
            fm1[i] -= h;
            double num = (Loss(x, fp1) - Loss(x, fm1)) / ((double)fp1[i] - fm1[i]);
            Assert.True(Math.Abs(num - gf[i]) <= 1e-4 * Math.Max(1, Math.Abs(num)), $"df[{i}]: central difference {num}, gradient {gf[i]} ({shape})");
        }
    }
}
