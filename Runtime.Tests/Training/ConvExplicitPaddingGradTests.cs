using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using TypedGraph.Training;
using static TypedGraph.Tests.Training.FiniteDifferences;

namespace TypedGraph.Tests.Training;

/// <summary>
/// Conv2D with <c>padding = EXPLICIT</c> (issue 9 item 10): the backprop kernels honour <c>explicit_paddings</c> and
/// the Conv2D gradient passes it on (TF's <c>_Conv2DGrad</c>); both checked against finite differences of the forward
/// conv, with asymmetric pads so a dropped or swapped pad changes the answer.
/// </summary>
public sealed class ConvExplicitPaddingGradTests
{
    public static TheoryData<int[], int[], int, long[]> Cases => new()
    {
        // x, filter, stride, explicit_paddings (NHWC pairs: batch, height, width, channels)
        { new[] { 1, 5, 4, 2 }, new[] { 3, 2, 2, 3 }, 1, new long[] { 0, 0, 1, 2, 0, 3, 0, 0 } },
        { new[] { 2, 6, 5, 1 }, new[] { 2, 3, 1, 2 }, 2, new long[] { 0, 0, 2, 0, 1, 1, 0, 0 } },
        { new[] { 1, 4, 4, 3 }, new[] { 3, 3, 3, 2 }, 2, new long[] { 0, 0, 0, 3, 2, 0, 0, 0 } },
    };

    private static (string, AttrValue)[] Attrs(int stride, long[] pads) =>
    [
        ("strides", global::TypedGraph.Building.Attrs.Ints(1, stride, stride, 1)), ("padding", global::TypedGraph.Building.Attrs.String("EXPLICIT")),
        ("explicit_paddings", global::TypedGraph.Building.Attrs.Ints(pads)),
    ];

    private static Tensor RandomTensor(int[] shape, int seed)
        => Tensor.Create(Random(shape.Aggregate(1, (a, b) => a * b), seed).Select(v => (float)v).ToArray(), shape);

    // Direct definition of the padded conv, independent of the kernels: y[b,oy,ox,o] = Σ x[b, oy·s − top + ky, ox·s − left + kx, c] · f[ky,kx,c,o].
    private static double[] NaiveConv(Tensor x, Tensor f, int stride, long[] pads, out int[] yShape)
    {
        int n = x.Shape[0], h = x.Shape[1], w = x.Shape[2], c = x.Shape[3], kh = f.Shape[0], kw = f.Shape[1], oc = f.Shape[3];
        int top = (int)pads[2], bottom = (int)pads[3], left = (int)pads[4], right = (int)pads[5];
        int oh = (h + top + bottom - kh) / stride + 1, ow = (w + left + right - kw) / stride + 1;
        yShape = [n, oh, ow, oc];
        var xs = x.ToArray<float>();
        var fs = f.ToArray<float>();
        var y = new double[n * oh * ow * oc];
        for (int b = 0; b < n; b++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                    for (int o = 0; o < oc; o++)
                    {
                        double sum = 0;
                        for (int ky = 0; ky < kh; ky++)
                            for (int kx = 0; kx < kw; kx++)
                            {
                                int iy = oy * stride - top + ky, ix = ox * stride - left + kx;
                                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                                for (int ci = 0; ci < c; ci++)
                                    sum += xs[((b * h + iy) * w + ix) * c + ci] * fs[((ky * kw + kx) * c + ci) * oc + o];
                            }
                        y[((b * oh + oy) * ow + ox) * oc + o] = sum;
                    }
        return y;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Backprop_kernels_with_explicit_paddings_match_finite_differences(int[] xShape, int[] fShape, int stride, long[] pads)
    {
        var attrs = Attrs(stride, pads);
        var x = RandomTensor(xShape, 1);
        var f = RandomTensor(fShape, 2);
        var y = OpHarness.Compute1("Conv2D", [x, f], attrs);
        var naive = NaiveConv(x, f, stride, pads, out var yShape);
        Assert.Equal(yShape, y.Shape.ToArray());
        var yv = Doubles(y);
        for (int i = 0; i < naive.Length; i++) Assert.Equal(naive[i], yv[i], 4);

        var w = Random(naive.Length, 3);
        var g = Like(y, w);
        var dx = Doubles(OpHarness.Compute1("Conv2DBackpropInput", [Tensor.Create(xShape, 4), f, g], attrs));
        var df = Doubles(OpHarness.Compute1("Conv2DBackpropFilter", [x, Tensor.Create(fShape, 4), g], attrs));
        // Linear in each argument: central differences of the naive conv are exact up to rounding.
        var ndx = NumericGradient(t => Tensor.Create(NaiveConv(t, f, stride, pads, out _), yShape), x, w, 0.5);
        var ndf = NumericGradient(t => Tensor.Create(NaiveConv(x, t, stride, pads, out _), yShape), f, w, 0.5);
        for (int i = 0; i < dx.Length; i++) Assert.Equal(ndx[i], dx[i], 3);
        for (int i = 0; i < df.Length; i++) Assert.Equal(ndf[i], df[i], 3);
    }

    [Fact]
    public void The_Conv2D_gradient_passes_explicit_paddings_and_computes_the_right_values()
    {
        int[] xShape = [1, 5, 4, 2], fShape = [3, 2, 2, 3];
        long[] pads = [0, 0, 1, 2, 0, 3, 0, 0];
        var xv = RandomTensor(xShape, 4);
        var fv = RandomTensor(fShape, 5);
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, xShape.Select(d => (long)d).ToArray(), "x");
        var f = b.Placeholder(DataType.DtFloat, fShape.Select(d => (long)d).ToArray(), "f");
        var attrs = Attrs(1, pads).ToDictionary(a => a.Item1, a => a.Item2);
        var y = b.OutputOf(b.AddOperation("Conv2D", [x, f], attrs, "conv"));
        NaiveConv(xv, fv, 1, pads, out var yShape);
        var w = Random(yShape.Aggregate(1, (p, q) => p * q), 6);
        var loss = b.ReduceSum(b.Multiply(y, b.Constant(Tensor.Create(w.Select(v => (float)v).ToArray(), yShape), "w")), [0, 1, 2, 3]);
        var grads = Gradients.Compute(b, [loss], [x, f]);
        foreach (var op in new[] { "Conv2DBackpropInput", "Conv2DBackpropFilter" })
        {
            var node = b.Graph.Nodes.Single(n => n.Op == op);
            Assert.Equal("EXPLICIT", node.GetString("padding"));
            Assert.Equal(pads, node.GetInts("explicit_paddings"));
        }
        using var s = new Session(b.Graph);
        var r = s.Run([grads[0]!.Value.Name, grads[1]!.Value.Name], new Dictionary<string, Tensor> { ["x:0"] = xv, ["f:0"] = fv });
        var ndx = NumericGradient(t => Tensor.Create(NaiveConv(t, fv, 1, pads, out _), yShape), xv, w, 0.5);
        var ndf = NumericGradient(t => Tensor.Create(NaiveConv(xv, t, 1, pads, out _), yShape), fv, w, 0.5);
        var dx = Doubles(r[0]);
        var df = Doubles(r[1]);
        for (int i = 0; i < dx.Length; i++) Assert.Equal(ndx[i], dx[i], 3);
        for (int i = 0; i < df.Length; i++) Assert.Equal(ndf[i], df[i], 3);
    }
}
