using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using TypedGraph.Training;

namespace TypedGraph.Tests.Kernels;

/// <summary>
/// MaxPool3D / AvgPool3D and their gradients (pooling_ops_3d.cc): forward values against a direct loop written here
/// (window clipped to the input; the average divides by the clipped size, as Eigen's cuboid pooling and TF's
/// <c>LaunchAvgPooling3dGradOp</c> do); gradients through nn_grad.py's <c>_MaxPool3DGrad</c> / <c>_AvgPool3DGrad</c>
/// against central differences; TF's MaxPool3DGrad rule that every cell within 1e-5 of the max gets the gradient.
/// </summary>
public sealed class Pooling3DKernelTests
{
    private static (string, AttrValue)[] PoolAttrs(int[] k, int[] s, bool same) =>
    [
        ("ksize", Attrs.Ints(1, k[0], k[1], k[2], 1)), ("strides", Attrs.Ints(1, s[0], s[1], s[2], 1)), ("padding", Attrs.String(same ? "SAME" : "VALID")),
    ];

    private static double[] Direct(double[] x, int[] xs, int[] k, int[] s, bool same, bool max, out int[] ys)
    {
        var outs = new int[3];
        var pads = new int[3];
        for (int i = 0; i < 3; i++)
        {
            outs[i] = same ? (xs[i + 1] + s[i] - 1) / s[i] : (xs[i + 1] - k[i] + s[i]) / s[i];
            pads[i] = same ? Math.Max((outs[i] - 1) * s[i] + k[i] - xs[i + 1], 0) / 2 : 0;
        }
        int c = xs[4];
        ys = [xs[0], outs[0], outs[1], outs[2], c];
        var y = new double[ys.Aggregate(1, (a, b) => a * b)];
        for (int b = 0; b < xs[0]; b++)
            for (int od = 0; od < outs[0]; od++)
                for (int oh = 0; oh < outs[1]; oh++)
                    for (int ow = 0; ow < outs[2]; ow++)
                        for (int ci = 0; ci < c; ci++)
                        {
                            double acc = max ? double.NegativeInfinity : 0;
                            int count = 0;
                            for (int kd = 0; kd < k[0]; kd++)
                                for (int kh = 0; kh < k[1]; kh++)
                                    for (int kw = 0; kw < k[2]; kw++)
                                    {
                                        int id = od * s[0] - pads[0] + kd, ih = oh * s[1] - pads[1] + kh, iw = ow * s[2] - pads[2] + kw;
                                        if (id < 0 || id >= xs[1] || ih < 0 || ih >= xs[2] || iw < 0 || iw >= xs[3]) continue;
                                        double v = x[(((b * xs[1] + id) * xs[2] + ih) * xs[3] + iw) * c + ci];
                                        acc = max ? Math.Max(acc, v) : acc + v;
                                        count++;
                                    }
                            y[(((b * outs[0] + od) * outs[1] + oh) * outs[2] + ow) * c + ci] = max ? acc : acc / count;
                        }
        return y;
    }

    public static TheoryData<int[], int[], int[], bool> Cases => new()
    {
        { new[] { 2, 4, 5, 3, 2 }, new[] { 2, 2, 2 }, new[] { 2, 2, 2 }, true },
        { new[] { 1, 5, 4, 6, 3 }, new[] { 3, 2, 3 }, new[] { 1, 2, 2 }, false },
        { new[] { 1, 3, 3, 3, 1 }, new[] { 3, 3, 3 }, new[] { 1, 1, 1 }, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MaxPool3D_and_AvgPool3D_match_a_direct_loop(int[] xs, int[] k, int[] s, bool same)
    {
        var x = Conv3DKernelTests.Rand(xs.Aggregate(1, (a, b) => a * b), 1);
        foreach (bool max in new[] { true, false })
        {
            var expected = Direct(x, xs, k, s, same, max, out var ys);
            // AvgPool3D registers double; MaxPool3D is checked in float (its OpDef's widest type).
            var y = max
                ? OpHarness.Run1("MaxPool3D", [Tensor.Create(x.Select(v => (float)v).ToArray(), xs)], PoolAttrs(k, s, same))
                : OpHarness.Run1("AvgPool3D", [Tensor.Create(x, xs)], PoolAttrs(k, s, same));
            Assert.Equal(ys, y.Shape.ToArray());
            var got = max ? y.ToArray<float>().Select(v => (double)v).ToArray() : y.ToArray<double>();
            for (int i = 0; i < expected.Length; i++) Assert.Equal(max ? (float)expected[i] : expected[i], got[i], 12);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Pool3D_gradients_match_central_differences(int[] xs, int[] k, int[] s, bool same)
    {
        var x0 = Conv3DKernelTests.Rand(xs.Aggregate(1, (a, b) => a * b), 2);
        var attrs = PoolAttrs(k, s, same).ToDictionary(a => a.Item1, a => a.Item2);
        CentralDifferences.CheckGraphGradient((b, x) => b.OutputOf(b.AddOperation("AvgPool3D", [x], attrs)), x0, xs);
        // MaxPool3D's OpDef has no double; its gradient is checked in float against central differences of the direct loop.
        var ys = Direct(x0, xs, k, s, same, true, out var yShape);
        var w = Conv3DKernelTests.Rand(ys.Length, 3);
        var numeric = CentralDifferences.Numeric(xv => Direct(xv, xs, k, s, same, true, out _).Zip(w, (p, q) => p * q).Sum(), x0);
        var b2 = new GraphBuilder();
        var xf = b2.Placeholder(DataType.DtFloat, xs.Select(d => (long)d).ToArray(), "x");
        var y = b2.OutputOf(b2.AddOperation("MaxPool3D", [xf], attrs));
        var loss = b2.ReduceSum(b2.Reshape(b2.Multiply(y, b2.Constant(Tensor.Create(w.Select(v => (float)v).ToArray(), yShape), "w")), [-1]), [0]);
        var g = Gradients.Compute(b2, [loss], [xf])[0]!.Value;
        Assert.Equal("MaxPool3DGrad", b2.Graph.Nodes.Single(n => n.Op.StartsWith("MaxPool3DGrad")).Op);
        using var session = new Session(b2.Graph);
        var got = session.Run(g.Name, ("x:0", Tensor.Create(x0.Select(v => (float)v).ToArray(), xs))).ToArray<float>();
        CentralDifferences.AssertClose(numeric, got, "dMaxPool3D", 1e-4);
    }

    [Fact]
    public void MaxPool3DGrad_gives_every_cell_within_1e5_of_the_max_the_gradient()
    {
        // pooling_ops_3d.cc LaunchMaxPooling3dGradOp: select |in − out| < 1e-5 → all tied cells receive the gradient.
        var x = Tensor.Create(new float[] { 3, 1, 3, 3 + 5e-6f, 0, 2, 2, 2 }, 1, 2, 2, 2, 1);
        var attrs = PoolAttrs([2, 2, 2], [2, 2, 2], false);
        var y = OpHarness.Run1("MaxPool3D", [x], attrs);
        Assert.Equal(3 + 5e-6f, y.ToArray<float>()[0]);
        var dx = OpHarness.Run1("MaxPool3DGrad", [x, y, Tensor.Create(new[] { 10f }, 1, 1, 1, 1, 1)], attrs).ToArray<float>();
        Assert.Equal(new float[] { 10, 0, 10, 10, 0, 0, 0, 0 }, dx);
    }

    [Fact]
    public void AvgPool3DGrad_divides_by_the_clipped_window_size()
    {
        // Input [1, 1, 1, 3, 1], window 1x1x2 stride 1 SAME: out 3 cells, the last window holds one cell.
        var attrs = PoolAttrs([1, 1, 2], [1, 1, 1], true);
        var dx = OpHarness.Run1("AvgPool3DGrad", [Tensor.Create(new[] { 1, 1, 1, 3, 1 }, 5), Tensor.Create(new[] { 2f, 4f, 6f }, 1, 1, 1, 3, 1)], attrs).ToArray<float>();
        Assert.Equal(new float[] { 1, 1 + 2, 2 + 6 }, dx);
    }

    [Fact]
    public void Invalid_arguments_fail_with_TFs_messages()
    {
        var x = Tensor.Create(new float[8], 1, 2, 2, 2, 1);
        Assert.Contains("Pooling is not yet supported on the depth dimension.",
            Assert.Throws<GraphExecutionException>(() => OpHarness.Run1("MaxPool3D", [x],
                ("ksize", Attrs.Ints(1, 1, 1, 1, 2)), ("strides", Attrs.Ints(1, 1, 1, 1, 1)), ("padding", Attrs.String("VALID")))).Message);
        Assert.Contains("Sliding window ksize field must specify 5 dimensions",
            Assert.Throws<GraphExecutionException>(() => OpHarness.Run1("AvgPool3D", [x],
                ("ksize", Attrs.Ints(1, 1, 1, 1)), ("strides", Attrs.Ints(1, 1, 1, 1, 1)), ("padding", Attrs.String("VALID")))).Message);
        Assert.Contains("tensor_in must be 1-dimensional and 5 elements",
            Assert.Throws<GraphExecutionException>(() => OpHarness.Run1("AvgPool3DGrad", [Tensor.Create(new[] { 1, 2, 2, 2 }, 4), x], PoolAttrs([1, 1, 1], [1, 1, 1], true))).Message);
        Assert.Contains("Expected grad shape to be",
            Assert.Throws<GraphExecutionException>(() => OpHarness.Run1("MaxPool3DGrad", [x, Tensor.Create(new float[1], 1, 1, 1, 1, 1), Tensor.Create(new float[8], 1, 2, 2, 2, 1)], PoolAttrs([2, 2, 2], [2, 2, 2], false))).Message);
    }
}
