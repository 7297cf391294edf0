using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using TypedGraph.Training;

namespace TypedGraph.Tests.Kernels;

/// <summary>
/// MaxPoolWithArgmax / MaxPoolGradWithArgmax (maxpooling_op.cc <c>SpatialMaxPoolWithArgMaxHelper</c>): values and
/// TF's flattened argmax (<c>(y·W + x)·C + c</c>, plus the batch term with include_batch_in_index) against a direct
/// loop written here, the first maximum in row-major window order winning ties, and the gradient nn_grad.py builds
/// against central differences.
/// </summary>
public sealed class MaxPoolWithArgmaxTests
{
    private static (string, AttrValue)[] PoolAttrs(int k, int s, bool same, bool withBatch, DataType? targmax = null)
    {
        var list = new List<(string, AttrValue)>
        {
            ("ksize", Attrs.Ints(1, k, k, 1)), ("strides", Attrs.Ints(1, s, s, 1)), ("padding", Attrs.String(same ? "SAME" : "VALID")),
            ("include_batch_in_index", Attrs.Bool(withBatch)),
        };
        if (targmax is { } t) list.Add(("Targmax", Attrs.Type(t)));
        return list.ToArray();
    }

    [Theory]
    [InlineData(2, 2, false, false)]
    [InlineData(3, 2, true, false)]
    [InlineData(3, 1, true, true)]
    [InlineData(2, 3, true, true)]
    public void Values_and_flattened_argmax_match_a_direct_loop(int k, int s, bool same, bool withBatch)
    {
        int n = 2, h = 5, w = 6, c = 3;
        var x = Conv3DKernelTests.Rand(n * h * w * c, 1).Select(v => (float)v).ToArray();
        var r = OpHarness.Run("MaxPoolWithArgmax", [Tensor.Create(x, n, h, w, c)], 2, PoolAttrs(k, s, same, withBatch));
        int oh = same ? (h + s - 1) / s : (h - k + s) / s, ow = same ? (w + s - 1) / s : (w - k + s) / s;
        int padTop = same ? Math.Max((oh - 1) * s + k - h, 0) / 2 : 0, padLeft = same ? Math.Max((ow - 1) * s + k - w, 0) / 2 : 0;
        Assert.Equal(new[] { n, oh, ow, c }, r[0].Shape.ToArray());
        Assert.Equal(DataType.DtInt64, r[1].DType);
        var y = r[0].ToArray<float>();
        var arg = r[1].ToArray<long>();
        for (int b = 0; b < n; b++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                    for (int ch = 0; ch < c; ch++)
                    {
                        float best = float.NegativeInfinity;
                        long bestAt = -1;
                        for (int iy = oy * s - padTop; iy < oy * s - padTop + k; iy++)
                            for (int ix = ox * s - padLeft; ix < ox * s - padLeft + k; ix++)
                            {
                                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                                float v = x[((b * h + iy) * w + ix) * c + ch];
                                if (v > best) { best = v; bestAt = ((long)(withBatch ? b * h + iy : iy) * w + ix) * c + ch; }
                            }
                        int o = ((b * oh + oy) * ow + ox) * c + ch;
                        Assert.Equal(best, y[o]);
                        Assert.Equal(bestAt, arg[o]);
                    }
    }

    [Fact]
    public void Ties_keep_the_first_cell_in_row_major_order_and_int32_argmax_is_honoured()
    {
        var x = Tensor.Create(new[] { 1f, 5f, 5f, 5f }, 1, 2, 2, 1);
        var r = OpHarness.Run("MaxPoolWithArgmax", [x], 2, PoolAttrs(2, 2, false, false, DataType.DtInt32));
        Assert.Equal(new[] { 5f }, r[0].ToArray<float>());
        Assert.Equal(new[] { 1 }, r[1].ToArray<int>());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Gradient_matches_central_differences(bool withBatch)
    {
        int[] shape = [2, 4, 5, 2];
        var x0 = Conv3DKernelTests.Rand(shape.Aggregate(1, (a, b) => a * b), 2).Select(v => (double)(float)v).ToArray();
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, shape.Select(d => (long)d).ToArray(), "x");
        var pool = b.AddOperation("MaxPoolWithArgmax", [x], PoolAttrs(3, 2, true, withBatch).ToDictionary(a => a.Item1, a => a.Item2));
        var y = b.OutputOf(pool, 0);
        var r = OpHarness.Run("MaxPoolWithArgmax", [Tensor.Create(x0.Select(v => (float)v).ToArray(), shape)], 2, PoolAttrs(3, 2, true, withBatch));
        var w = Conv3DKernelTests.Rand((int)r[0].NumElements, 3);
        var loss = b.ReduceSum(b.Reshape(b.Multiply(y, b.Constant(Tensor.Create(w.Select(v => (float)v).ToArray(), r[0].Shape.ToArray()), "w")), [-1]), [0]);
        var g = Gradients.Compute(b, [loss], [x])[0]!.Value;
        using var session = new Session(b.Graph);
        var got = session.Run(g.Name, ("x:0", Tensor.Create(x0.Select(v => (float)v).ToArray(), shape))).ToArray<float>();
        // Reference: the max of each window is piecewise linear in x; differentiate the direct max numerically.
        double Loss(double[] xv)
        {
            var res = OpHarness.Run("MaxPoolWithArgmax", [Tensor.Create(xv, shape)], 1, PoolAttrs(3, 2, true, withBatch))[0].ToArray<double>();
            return res.Zip(w, (p, q) => p * q).Sum();
        }
        var numeric = CentralDifferences.Numeric(Loss, x0);
        CentralDifferences.AssertClose(numeric, got, "dMaxPoolWithArgmax", 1e-4);
    }

    [Fact]
    public void A_wrong_argmax_is_refused()
    {
        var x = Tensor.Create(new float[8], 2, 2, 2, 1);
        var e = Assert.Throws<GraphExecutionException>(() => OpHarness.Run1("MaxPoolGradWithArgmax",
            [x, Tensor.Create(new[] { 1f, 1f }, 2, 1, 1, 1), Tensor.Create(new[] { 0L, 4L }, 2, 1, 1, 1)], PoolAttrs(2, 2, false, false)));
        Assert.Contains("Invalid argmax 4", e.Message);
    }
}
