using TypedGraph.Building;
using TypedGraph.Kernels.Image;
using TypedGraph.Protos;
using TypedGraph.Training;
using Xunit;
using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.TestTensors;

namespace TypedGraph.Tests.Kernels.Image;

/// <summary>
/// ScaleAndTranslate / ScaleAndTranslateGrad: the sampling kernels against the values of TF's
/// <c>sampling_kernels_test.cc</c>; the op against a direct two-dimensional sum written here in double from the op's
/// definition (sample position (x+½)/scale − translation/scale, window ±radius·max(1/scale,1) with antialias, weights
/// normalised over the clamped window, none outside the image); the gradient as the adjoint of the forward map and
/// through <see cref="Gradients.Compute"/> against central differences.
/// </summary>
public class ScaleAndTranslateTests
{
    private static readonly string[] KernelNames = ["lanczos1", "lanczos3", "lanczos5", "gaussian", "box", "triangle", "keyscubic", "mitchellcubic"];

    [Theory]
    [InlineData("gaussian", new[] { 0f, 0.5f, 1f, 1.5f }, new[] { 1f, 0.6065f, 0.1353f, 0f })]
    [InlineData("box", new[] { 0f, 0.25f, 0.5f, 1f }, new[] { 1f, 1f, 0.5f, 0f })]
    [InlineData("triangle", new[] { 0f, 0.5f, 1f }, new[] { 1f, 0.5f, 0f })]
    [InlineData("keyscubic", new[] { 0f, 0.5f, 1f, 1.5f, 2.5f }, new[] { 1f, 0.5625f, 0f, -0.0625f, 0f })]
    [InlineData("mitchellcubic", new[] { 0f, 0.5f, 1f, 1.5f, 2.5f }, new[] { 0.8889f, 0.5347f, 0.0556f, -0.0347f, 0f })]
    [InlineData("lanczos5", new[] { 0f, 0.5f, 1f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f }, new[] { 1f, 0.6262f, 0f, -0.1822f, 0.0810569f, -0.0334f, 0.0077f, 0f })]
    // Not in TF's test: 3·sin(πx)·sin(πx/3)/(πx)², evaluated by hand at 0.5, 1.5 and 2.5.
    [InlineData("lanczos3", new[] { 0f, 0.5f, 1f, 1.5f, 2.5f, 3.5f }, new[] { 1f, 0.6079f, 0f, -0.1351f, 0.0243f, 0f })]
    public void SamplingKernels_HaveTfTestValues(string name, float[] at, float[] expected)
    {
        var f = ScaleAndTranslateKernels.KernelFunction(name, out _)!;
        for (int i = 0; i < at.Length; i++)
            Assert.True(Math.Abs(f(at[i]) - expected[i]) < 1e-4, $"{name}({at[i]}) = {f(at[i])}, expected {expected[i]}");
    }

    // The op's definition, one axis: positions, window bounds and kernel arguments in float as TF computes them
    // (1/scale, −translate/scale, max(1/scale, 1) are float, so a window edge can fall on either side of an integer
    // differently than in double), weights normalised in double. weights[o, i] for output o and input i.
    private static double[,] AxisWeights(string name, int outSize, int inSize, float scale, float translate, bool antialias)
    {
        var f = ScaleAndTranslateKernels.KernelFunction(name, out float radius)!;
        float invScale = 1.0f / scale, invTranslate = -invScale * translate;
        float k = antialias ? Math.Max(invScale, 1.0f) : 1.0f, invK = 1.0f / k;
        var w = new double[outSize, inSize];
        for (int o = 0; o < outSize; o++)
        {
            float s = (o + 0.5f) * invScale + invTranslate;
            if (s < 0 || s > inSize) continue;
            int lo = Math.Clamp((int)MathF.Ceiling(s - radius * k - 0.5f), 0, inSize - 1);
            int hi = Math.Clamp((int)MathF.Floor(s + radius * k - 0.5f), 0, inSize - 1);
            double sum = 0;
            for (int i = lo; i <= hi; i++) sum += w[o, i] = f(MathF.Abs((i + 0.5f - s) * invK));
            for (int i = lo; i <= hi; i++) w[o, i] = sum == 0 ? 0 : w[o, i] / sum;
        }
        return w;
    }

    private static double[] Direct(string name, double[] image, int batch, int h, int w, int c, int oh, int ow, float[] scale, float[] translate, bool antialias)
    {
        var wr = AxisWeights(name, oh, h, scale[0], translate[0], antialias);
        var wc = AxisWeights(name, ow, w, scale[1], translate[1], antialias);
        var r = new double[batch * oh * ow * c];
        for (int b = 0; b < batch; b++)
            for (int y = 0; y < oh; y++)
                for (int x = 0; x < ow; x++)
                    for (int ch = 0; ch < c; ch++)
                    {
                        double s = 0;
                        for (int i = 0; i < h; i++)
                            for (int j = 0; j < w; j++)
                                s += wr[y, i] * wc[x, j] * image[((b * h + i) * w + j) * c + ch];
                        r[((b * oh + y) * ow + x) * c + ch] = s;
                    }
        return r;
    }

    private static (string, AttrValue)[] KernelAttrs(string name, bool antialias)
        => [("kernel_type", TypedGraph.Building.Attrs.String(name)), ("antialias", TypedGraph.Building.Attrs.Bool(antialias))];

    public static TheoryData<string, bool, int, int, float, float, float, float> Cases()
    {
        var d = new TheoryData<string, bool, int, int, float, float, float, float>();
        foreach (var name in KernelNames)
        {
            d.Add(name, true, 11, 7, 11f / 6, 7f / 9, 0f, 0f);     // up rows, down columns
            d.Add(name, false, 11, 7, 11f / 6, 7f / 9, 0.3f, -1.2f); // no antialias, translated
            d.Add(name, true, 3, 4, 0.5f, 0.4f, 0.25f, 0.5f);     // strong downscale (wide spans)
        }
        return d;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_EqualsTheDirectTwoDimensionalSum(string name, bool antialias, int oh, int ow, float rowScale, float colScale, float rowT, float colT)
    {
        const int batch = 2, h = 6, w = 9, c = 2;
        var r = new Random(oh * 31 + ow);
        var image = Enumerable.Range(0, batch * h * w * c).Select(_ => r.NextDouble() * 2 - 1).ToArray();
        var output = Compute1("ScaleAndTranslate", [F(Array.ConvertAll(image, v => (float)v), batch, h, w, c), Tensor.Create(new[] { oh, ow }, [2]),
            F([rowScale, colScale]), F([rowT, colT])], KernelAttrs(name, antialias));
        Assert.Equal(DataType.DtFloat, output.DType);
        Assert.Equal(new[] { batch, oh, ow, c }, output.Shape.ToArray());
        var want = Direct(name, image, batch, h, w, c, oh, ow, [rowScale, colScale], [rowT, colT], antialias);
        var got = output.ToArray<float>();
        for (int i = 0; i < want.Length; i++)
            Assert.True(Math.Abs(got[i] - want[i]) <= 1e-5 * Math.Max(1, Math.Abs(want[i])), $"{name} [{i}]: {got[i]} vs {want[i]}");
    }

    [Fact]
    public void ScaleOneTriangle_IsTheIdentity_AndUint8InputsAreReadAsFloat()
    {
        var bytes = Enumerable.Range(0, 4 * 5).Select(i => (byte)(i * 13 % 256)).ToArray();
        var output = Compute1("ScaleAndTranslate", [Tensor.Create(bytes, [1, 4, 5, 1]), Tensor.Create(new[] { 4, 5 }, [2]), F([1f, 1f]), F([0f, 0f])], KernelAttrs("triangle", true));
        Assert.Equal(bytes.Select(v => (float)v).ToArray(), output.ToArray<float>());
    }

    [Fact]
    public void SamplesOutsideTheImageAreZero()
    {
        // Translation 3 moves output columns 0..2 (samples at (x+½)−3 < 0) off the image.
        var output = Compute1("ScaleAndTranslate", [F(Enumerable.Repeat(1f, 5).ToArray(), 1, 1, 5, 1), Tensor.Create(new[] { 1, 5 }, [2]), F([1f, 1f]), F([0f, 3f])], KernelAttrs("triangle", true)).ToArray<float>();
        Assert.Equal(new[] { 0f, 0f, 0f, 1f, 1f }, output);
    }

    [Theory]
    [InlineData("lanczos3", true)]
    [InlineData("keyscubic", false)]
    [InlineData("box", true)]
    public void Grad_IsTheAdjointOfTheForwardMap(string name, bool antialias)
    {
        const int batch = 2, h = 5, w = 7, c = 3, oh = 8, ow = 4;
        float[] scale = [8f / 5, 4f / 7], translate = [0.2f, -0.4f];
        var r = new Random(5);
        var x = Enumerable.Range(0, batch * h * w * c).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
        var g = Enumerable.Range(0, batch * oh * ow * c).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
        var attrs = KernelAttrs(name, antialias);
        var fx = Compute1("ScaleAndTranslate", [F(x, batch, h, w, c), Tensor.Create(new[] { oh, ow }, [2]), F(scale), F(translate)], attrs).ToArray<float>();
        var gtx = Compute1("ScaleAndTranslateGrad", [F(g, batch, oh, ow, c), F(x, batch, h, w, c), F(scale), F(translate)], attrs);
        Assert.Equal(new[] { batch, h, w, c }, gtx.Shape.ToArray());
        double lhs = 0, rhs = 0;
        var gt = gtx.ToArray<float>();
        for (int i = 0; i < g.Length; i++) lhs += (double)g[i] * fx[i];
        for (int i = 0; i < x.Length; i++) rhs += (double)gt[i] * x[i];
        Assert.True(Math.Abs(lhs - rhs) <= 1e-5 * Math.Max(1, Math.Abs(lhs)), $"<g, F(x)> = {lhs}, <Fᵀ(g), x> = {rhs}");
    }

    [Fact]
    public void RegisteredGradient_MatchesCentralDifferences()
    {
        int[] shape = [1, 4, 5, 2];
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, shape.Select(v => (long)v).ToArray(), "x");
        var y = b.OutputOf(b.AddOperation("ScaleAndTranslate", [x, b.Constant(new[] { 6, 3 }), b.Constant(new[] { 1.5f, 0.6f }), b.Constant(new[] { 0.1f, 0.2f })],
            new Dictionary<string, AttrValue> { ["kernel_type"] = TypedGraph.Building.Attrs.String("mitchellcubic"), ["antialias"] = TypedGraph.Building.Attrs.Bool(true) }, "ScaleAndTranslate"));
        var wts = b.Placeholder(DataType.DtFloat, null, "w");
        var loss = b.ReduceSum(b.Reshape(b.Multiply(y, wts), [-1]), [0]);
        var gx = Gradients.Compute(b, [loss], [x])[0]!.Value;
        Assert.Equal("ScaleAndTranslateGrad", b.Graph.GetNode(gx.NodeName)!.Op);
        using var s = new Session(b.Graph);
        var x0 = Enumerable.Range(0, 40).Select(i => (float)Math.Sin(i * 0.7)).ToArray();
        var wv = Tensor.Create(Enumerable.Range(0, 6 * 3 * 2).Select(i => (float)Math.Cos(i * 1.3)).ToArray(), 1, 6, 3, 2);
        var analytic = s.Run(gx.Name, ("x:0", F(x0, shape)), ("w:0", wv)).ToArray<float>();
        const float h = 0.25f; // linear in x: a wide step is exact up to float rounding
        for (int i = 0; i < x0.Length; i++)
        {
            var p = (float[])x0.Clone();
            var m = (float[])x0.Clone();
            p[i] += h;
            m[i] -= h;
            double numeric = ((double)s.Run(loss.Name, ("x:0", F(p, shape)), ("w:0", wv)).Scalar<float>() - s.Run(loss.Name, ("x:0", F(m, shape)), ("w:0", wv)).Scalar<float>()) / (2 * h);
            Assert.True(Math.Abs(numeric - analytic[i]) <= 1e-4 * Math.Max(1, Math.Abs(numeric)), $"element {i}: numeric {numeric}, analytic {analytic[i]}");
        }
    }

    [Fact]
    public void BadInputsGiveTfErrors()
    {
        string Err(params Tensor[] inputs) => Assert.Throws<GraphExecutionException>(() => Compute1("ScaleAndTranslate", inputs, KernelAttrs("lanczos3", true))).Message;
        var img = F(new float[12], 1, 2, 3, 2);
        var size = Tensor.Create(new[] { 4, 4 }, [2]);
        Assert.Contains("input must be 4-dimensional", Err(F(new float[6], 2, 3), size, F([1f, 1f]), F([0f, 0f])));
        Assert.Contains("output dimensions must be positive", Err(img, Tensor.Create(new[] { 0, 4 }, [2]), F([1f, 1f]), F([0f, 0f])));
        Assert.Contains("Scale must be greater than zero.", Err(img, size, F([0f, 1f]), F([0f, 0f])));
        Assert.Contains("t must have two elements", Err(img, size, F([1f, 1f, 1f]), F([0f, 0f])));
        Assert.Contains("input image must be of non-zero size", Err(F([], 1, 0, 3, 2), size, F([1f, 1f]), F([0f, 0f])));
        Assert.Contains("Unrecognized kernel type: cubic", Assert.Throws<GraphExecutionException>(() =>
            Compute1("ScaleAndTranslate", [img, size, F([1f, 1f]), F([0f, 0f])], KernelAttrs("cubic", true))).Message);
    }
}
