using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using TypedGraph.Training;

namespace TypedGraph.Tests.Kernels;

/// <summary>
/// Conv3D / Conv3DBackpropInputV2 / Conv3DBackpropFilterV2 (conv_ops_3d.cc, conv_grad_ops_3d.cc) against a direct
/// NDHWC convolution written here (TF's SAME rule: total padding <c>max((out−1)·s + (k−1)·d + 1 − in, 0)</c>, the
/// smaller half first), the backprop kernels against central differences of that direct convolution (exact: it is
/// linear), and nn_grad.py's <c>_Conv3DGrad</c> through <see cref="Gradients"/> against the session's own central
/// differences.
/// </summary>
public sealed class Conv3DKernelTests
{
    internal static double[] Rand(int n, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
    }

    private static int Pad(int input, int k, int s, int d, bool same, out int output)
    {
        int eff = (k - 1) * d + 1;
        if (!same) { output = (input - eff + s) / s; return 0; }
        output = (input + s - 1) / s;
        return Math.Max((output - 1) * s + eff - input, 0) / 2;
    }

    internal static double[] Direct(double[] x, int[] xs, double[] f, int[] fs, int[] s, int[] d, bool same, out int[] ys)
    {
        var pads = new int[3];
        var outs = new int[3];
        for (int i = 0; i < 3; i++) pads[i] = Pad(xs[i + 1], fs[i], s[i], d[i], same, out outs[i]);
        int n = xs[0], c = xs[4], oc = fs[4];
        ys = [n, outs[0], outs[1], outs[2], oc];
        var y = new double[n * outs[0] * outs[1] * outs[2] * oc];
        for (int b = 0; b < n; b++)
            for (int od = 0; od < outs[0]; od++)
                for (int oh = 0; oh < outs[1]; oh++)
                    for (int ow = 0; ow < outs[2]; ow++)
                        for (int o = 0; o < oc; o++)
                        {
                            double sum = 0;
                            for (int kd = 0; kd < fs[0]; kd++)
                                for (int kh = 0; kh < fs[1]; kh++)
                                    for (int kw = 0; kw < fs[2]; kw++)
                                    {
                                        int id = od * s[0] - pads[0] + kd * d[0], ih = oh * s[1] - pads[1] + kh * d[1], iw = ow * s[2] - pads[2] + kw * d[2];
                                        if (id < 0 || id >= xs[1] || ih < 0 || ih >= xs[2] || iw < 0 || iw >= xs[3]) continue;
                                        for (int ci = 0; ci < c; ci++)
                                            sum += x[(((b * xs[1] + id) * xs[2] + ih) * xs[3] + iw) * c + ci] * f[(((kd * fs[1] + kh) * fs[2] + kw) * c + ci) * oc + o];
                                    }
                            y[(((b * outs[0] + od) * outs[1] + oh) * outs[2] + ow) * oc + o] = sum;
                        }
        return y;
    }

    private static (string, AttrValue)[] ConvAttrs(int[] s, int[] d, bool same) =>
    [
        ("strides", Attrs.Ints(1, s[0], s[1], s[2], 1)), ("dilations", Attrs.Ints(1, d[0], d[1], d[2], 1)),
        ("padding", Attrs.String(same ? "SAME" : "VALID")),
    ];

    public static TheoryData<int[], int[], int[], int[], bool> Cases => new()
    {
        // x shape, filter shape, strides (d, h, w), dilations, SAME
        { new[] { 2, 4, 5, 3, 2 }, new[] { 3, 2, 2, 2, 3 }, new[] { 1, 1, 1 }, new[] { 1, 1, 1 }, true },
        { new[] { 1, 5, 6, 4, 3 }, new[] { 2, 3, 2, 3, 2 }, new[] { 2, 2, 1 }, new[] { 1, 1, 1 }, false },
        { new[] { 1, 4, 4, 5, 1 }, new[] { 2, 2, 3, 1, 4 }, new[] { 2, 1, 2 }, new[] { 1, 1, 1 }, true },
        { new[] { 1, 5, 5, 5, 2 }, new[] { 2, 2, 2, 2, 2 }, new[] { 1, 1, 1 }, new[] { 2, 1, 2 }, true },   // dilations (TF's GPU kernels)
        { new[] { 2, 3, 3, 3, 2 }, new[] { 1, 1, 1, 2, 3 }, new[] { 1, 1, 1 }, new[] { 1, 1, 1 }, false },  // pointwise
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Conv3D_float_and_double_match_a_direct_convolution(int[] xs, int[] fs, int[] s, int[] d, bool same)
    {
        var x = Rand(xs.Aggregate(1, (a, b) => a * b), 1);
        var f = Rand(fs.Aggregate(1, (a, b) => a * b), 2);
        var expected = Direct(x, xs, f, fs, s, d, same, out var ys);
        var yd = OpHarness.Run1("Conv3D", [Tensor.Create(x, xs), Tensor.Create(f, fs)], ConvAttrs(s, d, same));
        Assert.Equal(ys, yd.Shape.ToArray());
        var got = yd.ToArray<double>();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], got[i], 12);
        var yf = OpHarness.Run1("Conv3D", [Tensor.Create(x.Select(v => (float)v).ToArray(), xs), Tensor.Create(f.Select(v => (float)v).ToArray(), fs)], ConvAttrs(s, d, same));
        TestTensors.Close(expected.Select(v => (float)v).ToArray(), yf.ToArray<float>(), 1e-5f, "float");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Backprop_kernels_match_central_differences_of_the_direct_convolution(int[] xs, int[] fs, int[] s, int[] d, bool same)
    {
        var x = Rand(xs.Aggregate(1, (a, b) => a * b), 3);
        var f = Rand(fs.Aggregate(1, (a, b) => a * b), 4);
        var y = Direct(x, xs, f, fs, s, d, same, out var ys);
        var w = Rand(y.Length, 5);
        double Loss(double[] xv, double[] fv) => Direct(xv, xs, fv, fs, s, d, same, out _).Zip(w, (p, q) => p * q).Sum();
        var dxRef = CentralDifferences.Numeric(xv => Loss(xv, f), x);
        var dfRef = CentralDifferences.Numeric(fv => Loss(x, fv), f);
        var attrs = ConvAttrs(s, d, same);
        var dx = OpHarness.Run1("Conv3DBackpropInputV2", [Tensor.Create(xs, 5), Tensor.Create(f, fs), Tensor.Create(w, ys)], attrs).ToArray<double>();
        var df = OpHarness.Run1("Conv3DBackpropFilterV2", [Tensor.Create(x, xs), Tensor.Create(fs, 5), Tensor.Create(w, ys)], attrs).ToArray<double>();
        for (int i = 0; i < dx.Length; i++) Assert.Equal(dxRef[i], dx[i], 6);
        for (int i = 0; i < df.Length; i++) Assert.Equal(dfRef[i], df[i], 6);
        // The V1 forms take the tensors themselves and compute the same.
        var dx1 = OpHarness.Run1("Conv3DBackpropInput", [Tensor.Create(x, xs), Tensor.Create(f, fs), Tensor.Create(w, ys)], attrs).ToArray<double>();
        var df1 = OpHarness.Run1("Conv3DBackpropFilter", [Tensor.Create(x, xs), Tensor.Create(f, fs), Tensor.Create(w, ys)], attrs).ToArray<double>();
        Assert.Equal(dx, dx1);
        Assert.Equal(df, df1);
    }

    [Fact]
    public void Conv3D_gradient_through_the_registry_matches_central_differences()
    {
        int[] xs = [1, 3, 4, 3, 2], fs = [2, 2, 2, 2, 2];
        var f = Rand(fs.Aggregate(1, (a, b) => a * b), 6);
        CentralDifferences.CheckGraphGradient((b, x) => b.OutputOf(b.AddOperation("Conv3D", [x, b.Constant(Tensor.Create(f, fs), "f")],
            ConvAttrs([1, 2, 1], [1, 1, 1], true).ToDictionary(a => a.Item1, a => a.Item2))), Rand(xs.Aggregate(1, (a, b) => a * b), 7), xs);
        // and with respect to the filter
        var xv = Rand(xs.Aggregate(1, (a, b) => a * b), 8);
        CentralDifferences.CheckGraphGradient((b, fl) => b.OutputOf(b.AddOperation("Conv3D", [b.Constant(Tensor.Create(xv, xs), "x"), fl],
            ConvAttrs([1, 1, 2], [1, 1, 1], false).ToDictionary(a => a.Item1, a => a.Item2))), f, fs);
    }

    [Fact]
    public void Half_Conv3D_is_computed_in_float()
    {
        int[] xs = [1, 2, 3, 3, 2], fs = [2, 2, 2, 2, 1];
        var x = Rand(36, 9).Select(v => (double)(Half)v).ToArray();
        var f = Rand(16, 10).Select(v => (double)(Half)v).ToArray();
        var expected = Direct(x, xs, f, fs, [1, 1, 1], [1, 1, 1], true, out var ys);
        var y = OpHarness.Run1("Conv3D", [Tensor.Create(x.Select(v => (Half)v).ToArray(), xs), Tensor.Create(f.Select(v => (Half)v).ToArray(), fs)], ConvAttrs([1, 1, 1], [1, 1, 1], true));
        Assert.Equal(ys, y.Shape.ToArray());
        var got = y.ToArray<Half>();
        // One half ulp of rounding the float result (≤ 2⁻¹⁰ relative).
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - (double)got[i]) <= 1e-3 * Math.Max(1, Math.Abs(expected[i])), $"[{i}] {expected[i]} vs {got[i]}");
    }

    [Fact]
    public void Invalid_arguments_fail_with_TFs_messages()
    {
        var x = Tensor.Create(new float[2 * 3 * 3 * 3 * 2], 2, 3, 3, 3, 2);
        var f = Tensor.Create(new float[8 * 3], 2, 2, 2, 3, 1);
        Assert.Contains("input and filter must have the same depth",
            Assert.Throws<GraphExecutionException>(() => OpHarness.Run1("Conv3D", [x, f], ConvAttrs([1, 1, 1], [1, 1, 1], true))).Message);
        Assert.Contains("input must be 5-dimensional",
            Assert.Throws<GraphExecutionException>(() => OpHarness.Run1("Conv3D", [Tensor.Create(new float[4], 1, 2, 2, 1), f], ConvAttrs([1, 1, 1], [1, 1, 1], true))).Message);
        Assert.Contains("Current implementation does not yet support strides in the batch and depth dimensions.",
            Assert.Throws<GraphExecutionException>(() => OpHarness.Run1("Conv3D", [x, Tensor.Create(new float[16], 2, 2, 2, 2, 1)],
                ("strides", Attrs.Ints(2, 1, 1, 1, 1)), ("padding", Attrs.String("SAME")))).Message);
        Assert.Contains("CPU implementation of Conv3D currently only supports the NHWC tensor format.",
            Assert.Throws<GraphExecutionException>(() => OpHarness.Run1("Conv3D", [x, Tensor.Create(new float[16], 2, 2, 2, 2, 1)],
                ("strides", Attrs.Ints(1, 1, 1, 1, 1)), ("padding", Attrs.String("SAME")), ("data_format", Attrs.String("NCDHW")))).Message);
        Assert.Contains("Size of out_backprop doesn't match computed",
            Assert.Throws<GraphExecutionException>(() => OpHarness.Run1("Conv3DBackpropInputV2",
                [Tensor.Create(new[] { 2, 3, 3, 3, 2 }, 5), Tensor.Create(new float[16], 2, 2, 2, 2, 1), Tensor.Create(new float[2], 1, 1, 1, 1, 2)], ConvAttrs([1, 1, 1], [1, 1, 1], true))).Message);
    }
}
