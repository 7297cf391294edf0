using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using static TypedGraph.Tests.Training.FiniteDifferences;

namespace TypedGraph.Tests.Training;

public class GradientKernelTests
{
    // (forward op, grad op, grad takes (g, x) rather than (y, dy)/(g, y)) — inputs avoid kinks (0 and 6).
    public static TheoryData<string, string, string> Activations => new()
    {
        { "Relu", "ReluGrad", "g,x" }, { "Relu6", "Relu6Grad", "g,x" }, { "Elu", "EluGrad", "g,y" }, { "Selu", "SeluGrad", "g,y" },
        { "Softplus", "SoftplusGrad", "g,x" }, { "Sigmoid", "SigmoidGrad", "y,g" }, { "Tanh", "TanhGrad", "y,g" },
        { "Sqrt", "SqrtGrad", "y,g" }, { "Rsqrt", "RsqrtGrad", "y,g" }, { "Reciprocal", "ReciprocalGrad", "y,g" }, { "Inv", "InvGrad", "y,g" },
    };

    [Theory]
    [MemberData(nameof(Activations))]
    public void Activation_grads_match_finite_differences(string forward, string grad, string args)
    {
        bool positive = forward is "Sqrt" or "Rsqrt" or "Reciprocal" or "Inv";
        var raw = Random(24, forward.Length, positive ? 0.5 : -3, positive ? 3 : 8).Select(v => Math.Abs(v) < 0.05 || Math.Abs(v - 6) < 0.05 ? v + 0.2 : v).ToArray();
        var x = Tensor.Create(raw, 4, 6);
        var w = Random(24, 7);
        var g = Tensor.Create(w, 4, 6);
        var y = OpHarness.Compute1(forward, [x]);
        var inputs = args switch { "g,x" => new[] { g, x }, "g,y" => [g, y], _ => [y, g] };
        var analytic = OpHarness.Compute1(grad, inputs).ToArray<double>();
        var numeric = NumericGradient(t => OpHarness.Compute1(forward, [t]), x, w, 1e-6);
        for (int i = 0; i < analytic.Length; i++) Assert.Equal(numeric[i], analytic[i], 5);
    }

    [Fact]
    public void Float_activation_grads_work_and_mismatched_shapes_are_rejected()
    {
        var y = Tensor.Create(new[] { 0.5f, 0.25f }, 2);
        var dy = Tensor.Create(new[] { 2f, 4f }, 2);
        Assert.Equal([0.5f, 0.75f], OpHarness.Compute1("SigmoidGrad", [y, dy]).ToArray<float>()); // 2·0.5·0.5, 4·0.25·0.75
        var e = Assert.Throws<GraphExecutionException>(() => OpHarness.Compute1("TanhGrad", [y, Tensor.Create(new[] { 1f }, 1)]));
        Assert.Contains("same shape", e.Message);
        Assert.Contains("TanhGrad", e.Message);
    }

    [Fact]
    public void BiasAddGrad_sums_over_all_but_the_channel_dim()
    {
        var g = Tensor.Create(Enumerable.Range(1, 12).Select(i => (float)i).ToArray(), 2, 2, 3);
        Assert.Equal([1f + 4 + 7 + 10, 2f + 5 + 8 + 11, 3f + 6 + 9 + 12], OpHarness.Compute1("BiasAddGrad", [g]).ToArray<float>());
        (string, AttrValue)[] nchw = [("data_format", Attrs.String("NCHW"))];
        // NCHW [1, 2, 2, 3]: channel 0 = 1..6, channel 1 = 7..12.
        var g4 = Tensor.Create(Enumerable.Range(1, 12).Select(i => (float)i).ToArray(), 1, 2, 2, 3);
        Assert.Equal([21f, 57f], OpHarness.Compute1("BiasAddGrad", [g4], nchw).ToArray<float>());
    }

    [Theory]
    [InlineData(new[] { 2, 3, 4 }, new[] { 3, 1 }, new int[0], new[] { 0, 2 })]
    [InlineData(new[] { 1 }, new[] { 2, 1 }, new[] { 0, 1 }, new[] { 1 })]
    [InlineData(new[] { 5, 4 }, new[] { 5, 4 }, new int[0], new int[0])]
    [InlineData(new int[0], new[] { 3 }, new[] { 0 }, new int[0])]
    public void BroadcastGradientArgs_matches_TFs_BCast(int[] s0, int[] s1, int[] r0, int[] r1)
    {
        var r = OpHarness.Compute("BroadcastGradientArgs", [Tensor.Create(s0, s0.Length), Tensor.Create(s1, s1.Length)], outputs: 2);
        Assert.Equal(r0, r[0].ToArray<int>());
        Assert.Equal(r1, r[1].ToArray<int>());
        // The int64 form (T = int64) gives the same indices as int64.
        var r64 = OpHarness.Compute("BroadcastGradientArgs", [Tensor.Create(s0.Select(v => (long)v).ToArray(), s0.Length), Tensor.Create(s1.Select(v => (long)v).ToArray(), s1.Length)], outputs: 2);
        Assert.Equal(r0.Select(v => (long)v), r64[0].ToArray<long>());
        Assert.Equal(r1.Select(v => (long)v), r64[1].ToArray<long>());
        var e = Assert.Throws<GraphExecutionException>(() => OpHarness.Compute("BroadcastGradientArgs", [Tensor.Create(new[] { 2 }, 1), Tensor.Create(new[] { 3 }, 1)], outputs: 2));
        Assert.Contains("incompatible shapes", e.Message);
    }

    public static TheoryData<int[], int[], int, string, int> Convs => new()
    {
        { new[] { 2, 5, 5, 3 }, new[] { 3, 3, 3, 4 }, 1, "SAME", 1 },
        { new[] { 1, 7, 6, 2 }, new[] { 3, 2, 2, 3 }, 2, "VALID", 1 },
        { new[] { 1, 6, 7, 1 }, new[] { 2, 3, 1, 2 }, 2, "SAME", 1 },
        { new[] { 1, 7, 7, 2 }, new[] { 3, 3, 2, 2 }, 1, "SAME", 2 },
    };

    [Theory]
    [MemberData(nameof(Convs))]
    public void Conv2D_backprops_match_finite_differences(int[] xShape, int[] fShape, int stride, string padding, int dilation)
    {
        (string, AttrValue)[] attrs =
        [
            ("strides", Attrs.Ints(1, stride, stride, 1)), ("padding", Attrs.String(padding)), ("dilations", Attrs.Ints(1, dilation, dilation, 1)),
        ];
        var x = Tensor.Create(Random(xShape.Aggregate(1, (a, b) => a * b), 1).Select(v => (float)v).ToArray(), xShape);
        var f = Tensor.Create(Random(fShape.Aggregate(1, (a, b) => a * b), 2).Select(v => (float)v).ToArray(), fShape);
        var y = OpHarness.Compute1("Conv2D", [x, f], attrs);
        var w = Random((int)y.NumElements, 3);
        var g = Like(y, w);
        var dx = Doubles(OpHarness.Compute1("Conv2DBackpropInput", [Tensor.Create(xShape, 4), f, g], attrs));
        var df = Doubles(OpHarness.Compute1("Conv2DBackpropFilter", [x, Tensor.Create(fShape, 4), g], attrs));
        // The conv is linear in each argument, so central differences are exact up to float rounding.
        var ndx = NumericGradient(t => OpHarness.Compute1("Conv2D", [t, f], attrs), x, w, 0.5);
        var ndf = NumericGradient(t => OpHarness.Compute1("Conv2D", [x, t], attrs), f, w, 0.5);
        for (int i = 0; i < dx.Length; i++) Assert.Equal(ndx[i], dx[i], 3);
        for (int i = 0; i < df.Length; i++) Assert.Equal(ndf[i], df[i], 3);
    }

    [Theory]
    [InlineData("MaxPool", 2, 2, "VALID")]
    [InlineData("MaxPool", 3, 2, "SAME")]
    [InlineData("AvgPool", 3, 2, "SAME")]
    [InlineData("AvgPool", 2, 1, "VALID")]
    public void Pool_grads_match_finite_differences(string pool, int k, int s, string padding)
    {
        (string, AttrValue)[] attrs = [("ksize", Attrs.Ints(1, k, k, 1)), ("strides", Attrs.Ints(1, s, s, 1)), ("padding", Attrs.String(padding))];
        // Distinct values spaced ≥ 0.01 apart, so a 1e-3 nudge never changes which element is the max.
        var values = Enumerable.Range(0, 2 * 5 * 5 * 2).Select(i => (float)((i * 37 % 100) * 0.01)).ToArray();
        var x = Tensor.Create(values, 2, 5, 5, 2);
        var y = OpHarness.Compute1(pool, [x], attrs);
        var w = Random((int)y.NumElements, 5);
        var g = Like(y, w);
        var dx = Doubles(pool == "MaxPool" ? OpHarness.Compute1("MaxPoolGrad", [x, y, g], attrs) : OpHarness.Compute1("AvgPoolGrad", [Tensor.Create(new[] { 2, 5, 5, 2 }, 4), g], attrs));
        var n = NumericGradient(t => OpHarness.Compute1(pool, [t], attrs), x, w, 1e-3);
        for (int i = 0; i < dx.Length; i++) Assert.Equal(n[i], dx[i], 2);
    }

    /// <summary>
    /// MaxPoolGrad with many ties (values from {0, 1, 2}) on several images and channel counts (600: more than the
    /// kernel keeps on the stack) against a reference written here: each window's gradient goes to the first cell, in
    /// row-major window order, holding the channel's maximum; overlapping windows add up.
    /// </summary>
    [Theory]
    [InlineData(3, 7, 6, 3, 2, 1, "VALID")]
    [InlineData(2, 5, 5, 600, 3, 2, "SAME")]
    [InlineData(3, 6, 4, 5, 2, 2, "SAME")]
    [InlineData(4, 28, 28, 6, 2, 2, "SAME")]   // a LeNet's first pool: one masked block of 6 lanes
    [InlineData(2, 9, 9, 20, 3, 2, "VALID")]   // a whole block and a masked tail, overlapping windows
    [InlineData(2, 8, 7, 16, 3, 1, "SAME")]    // whole blocks only, every cell in up to 9 windows
    [InlineData(1, 5, 6, 1, 2, 1, "VALID")]
    [InlineData(2, 7, 9, 20, 2, 2, "SAME")]    // windows tile the input (the last ones partly outside): no clear, every cell stored
    [InlineData(2, 7, 7, 6, 2, 2, "VALID")]    // stride = window but the last row and column are in no window: cleared first
    public void MaxPoolGrad_sends_each_window_gradient_to_its_first_maximum(int n, int h, int w, int c, int k, int stride, string padding)
        => MaxPoolGradMatchesFirstMaximum(n, h, w, c, k, stride, padding, withNaN: false);

    /// <summary>NaN inputs: a NaN in a window's first cell keeps the gradient there, a later NaN never takes it (the
    /// strict "greater than" scan), in the vector lanes as in the scalar rule.</summary>
    [Theory]
    [InlineData(2, 8, 8, 6, 2, 2, "SAME")]
    [InlineData(1, 7, 7, 19, 3, 2, "VALID")]
    public void MaxPoolGrad_with_NaN_inputs_keeps_the_strict_first_maximum(int n, int h, int w, int c, int k, int stride, string padding)
        => MaxPoolGradMatchesFirstMaximum(n, h, w, c, k, stride, padding, withNaN: true);

    private static void MaxPoolGradMatchesFirstMaximum(int n, int h, int w, int c, int k, int stride, string padding, bool withNaN)
    {
        var rng = new Random(h * 31 + c);
        var xv = Enumerable.Range(0, n * h * w * c).Select(_ => withNaN && rng.Next(5) == 0 ? float.NaN : (float)rng.Next(3)).ToArray();
        (string, AttrValue)[] attrs = [("ksize", Attrs.Ints(1, k, k, 1)), ("strides", Attrs.Ints(1, stride, stride, 1)), ("padding", Attrs.String(padding))];
        var x = Tensor.Create(xv, n, h, w, c);
        var y = OpHarness.Compute1("MaxPool", [x], attrs);
        int oh = y.Shape[1], ow = y.Shape[2];
        var gv = Enumerable.Range(0, n * oh * ow * c).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        // Outputs as a session's plan hands them out (reused, not zeroed: NaN here), so a cell the kernel leaves unwritten fails.
        var dx = OpHarness.ComputeDirty1("MaxPoolGrad", [x, y, Tensor.Create(gv, n, oh, ow, c)], attrs).ToArray<float>();
        // TF's SAME padding: total = max((out − 1)·stride + k − in, 0), the smaller half before.
        int padTop = padding == "SAME" ? Math.Max((oh - 1) * stride + k - h, 0) / 2 : 0;
        int padLeft = padding == "SAME" ? Math.Max((ow - 1) * stride + k - w, 0) / 2 : 0;
        var expected = new float[xv.Length];
        for (int b = 0; b < n; b++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                    for (int ch = 0; ch < c; ch++)
                    {
                        int best = -1;
                        for (int yy = oy * stride - padTop; yy < oy * stride - padTop + k; yy++)
                            for (int xx = ox * stride - padLeft; xx < ox * stride - padLeft + k; xx++)
                            {
                                if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
                                int at = ((b * h + yy) * w + xx) * c + ch;
                                if (best < 0 || xv[at] > xv[best]) best = at;
                            }
                        expected[best] += gv[((b * oh + oy) * ow + ox) * c + ch];
                    }
        Assert.Equal(expected, dx);
    }

    /// <summary>BiasAddGrad over channels-last rows (37 rows × 20 channels: whole vectors of channels and a tail; 6 and 1
    /// channels: one masked block; 33: two blocks and a 1-lane tail) sums each channel's rows in order — equal, bit for bit,
    /// to the sequential float sum written here.</summary>
    [Theory]
    [InlineData(37, 20)]
    [InlineData(3001, 6)]
    [InlineData(50, 1)]
    [InlineData(41, 33)]
    public void BiasAddGrad_sums_each_channel_in_row_order(int rows, int channels)
    {
        var rng = new Random(9);
        var gv = Enumerable.Range(0, rows * channels).Select(_ => (float)(rng.NextDouble() * 2e3 - 1e3)).ToArray();
        var got = OpHarness.Compute1("BiasAddGrad", [Tensor.Create(gv, rows, channels)]).ToArray<float>();
        var expected = new float[channels];
        for (int o = 0; o < rows; o++)
            for (int c = 0; c < channels; c++) expected[c] += gv[o * channels + c];
        Assert.Equal(expected, got);
    }
}
