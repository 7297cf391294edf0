using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using TypedGraph.Training;

namespace TypedGraph.Tests.Training;

/// <summary>
/// MaxPoolGradGrad / MaxPool3DGradGrad kernels (TF's CPU rule: the gradient at the first window cell equal to the
/// pooled output) on a hand-checked table, and the second- and third-order max-pool gradients (nn_grad.py's
/// _MaxPoolGradGrad, _MaxPoolGradGradGrad and their 3-D forms). Those ops are linear in their gradient input g, so
/// ∂(Σ w·op(g))/∂gᵢ is exactly Σ w·op(eᵢ): the reference runs the forward op on each unit vector.
/// </summary>
public class MaxPoolGradGradTests
{
    private static Dictionary<string, AttrValue> Pool(int[] k, int[] s, string padding)
        => new() { ["ksize"] = Attrs.Ints([.. k.Select(v => (long)v)]), ["strides"] = Attrs.Ints([.. s.Select(v => (long)v)]), ["padding"] = Attrs.String(padding) };

    [Fact]
    public void MaxPoolGradGrad_takes_the_gradient_at_the_first_maximum_of_each_window()
    {
        // 2×2 windows, stride 2: maxima 5 at (0,1); 2 at (0,2) (first of three ties); 9 at (2,0) (first of two); 8 at
        // (2,3) (first of two). g[i] = 10 + i, so the outputs are g[1], g[2], g[8], g[11].
        float[] x = [1, 5, 2, 2, 3, 4, 2, 0, 9, 0, 7, 8, 9, 1, 8, 6];
        float[] y = [5, 2, 9, 8];
        var g = Enumerable.Range(0, 16).Select(i => 10f + i).ToArray();
        var attrs = Pool([1, 2, 2, 1], [1, 2, 2, 1], "VALID").Select(kv => (kv.Key, kv.Value)).ToArray();
        var r = OpHarness.Run1("MaxPoolGradGrad", [Tensor.Create(x, 1, 4, 4, 1), Tensor.Create(y, 1, 2, 2, 1), Tensor.Create(g, 1, 4, 4, 1)], attrs);
        Assert.Equal([1, 2, 2, 1], r.Shape.ToArray());
        Assert.Equal([11f, 12f, 18f, 21f], r.ToArray<float>());
        // An output that matches no cell (a stale orig_output) gets 0, as TF's loop leaves it.
        var stale = OpHarness.Run1("MaxPoolGradGrad", [Tensor.Create(x, 1, 4, 4, 1), Tensor.Create(new float[] { 5, 3, 9, 8 }, 1, 2, 2, 1), Tensor.Create(g, 1, 4, 4, 1)], attrs);
        Assert.Equal([11f, 0f, 18f, 21f], stale.ToArray<float>());
    }

    [Fact]
    public void MaxPool3DGradGrad_takes_the_gradient_at_the_first_maximum_of_each_window()
    {
        // One 2×2×2 window over a 2×2×2 input with the maximum 7 at cells 3 and 6: the first (3) counts.
        float[] x = [1, 2, 0, 7, 3, 4, 7, 5];
        var g = Enumerable.Range(0, 8).Select(i => 100f + i).ToArray();
        var attrs = Pool([1, 2, 2, 2, 1], [1, 2, 2, 2, 1], "VALID").Select(kv => (kv.Key, kv.Value)).ToArray();
        var r = OpHarness.Run1("MaxPool3DGradGrad", [Tensor.Create(x, 1, 2, 2, 2, 1), Tensor.Create(new float[] { 7 }, 1, 1, 1, 1, 1), Tensor.Create(g, 1, 2, 2, 2, 1)], attrs);
        Assert.Equal([103f], r.ToArray<float>());
        var e = Assert.ThrowsAny<Exception>(() => OpHarness.Run1("MaxPool3DGradGrad",
            [Tensor.Create(x, 1, 2, 2, 2, 1), Tensor.Create(new float[] { 7 }, 1, 1, 1, 1, 1), Tensor.Create(g[..4], 1, 2, 2, 1, 1)], attrs));
        Assert.Contains("Expected grad shape to be", e.Message);
    }

    // x with distinct values (no ties: 3-D MaxPool3DGrad gives ties all the gradient, its GradGrad only the first).
    private static float[] Distinct(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(i => (float)i * 0.37f).OrderBy(_ => r.Next()).ToArray();
    }

    /// <summary>
    /// Builds op(x, MaxPool(x), g) for a float placeholder g, takes ∂(Σ w·op)/∂g and ∂/∂x, and checks the former against
    /// Σ w·op(eᵢ) for every unit vector eᵢ and the latter against zeros.
    /// </summary>
    private static void CheckLinear(string op, string pool, int[] xShape, int[] k, int[] s, string padding, bool gLikeInput)
    {
        var b = new GraphBuilder();
        int n = xShape.Aggregate(1, (p, d) => p * d);
        var xv = Distinct(n, n);
        var x = b.Placeholder(DataType.DtFloat, xShape.Select(d => (long)d).ToArray(), "x");
        var attrs = Pool(k, s, padding);
        var y = b.OutputOf(b.AddOperation(pool, [x], attrs, "pool"));
        using var probe = new Session(b.Graph);
        var yShape = probe.Run(y.Name, ("x:0", Tensor.Create(xv, xShape))).Shape.ToArray();
        var gShape = gLikeInput ? xShape : yShape;
        var g = b.Placeholder(DataType.DtFloat, gShape.Select(d => (long)d).ToArray(), "g");
        var f = b.OutputOf(b.AddOperation(op, [x, y, g], attrs, "op"));
        var w = b.Placeholder(DataType.DtFloat, null, "w");
        var loss = b.ReduceSum(b.Reshape(b.Multiply(f, w), [-1]), [0]);
        var grads = Gradients.Compute(b, [loss], [g, x]);
        using var session = new Session(b.Graph);
        int ng = gShape.Aggregate(1, (p, d) => p * d);
        var fShape = session.Run(f.Name, ("x:0", Tensor.Create(xv, xShape)), ("g:0", Tensor.Create(new float[ng], gShape))).Shape.ToArray();
        var rng = new Random(5);
        var wv = Tensor.Create(Enumerable.Range(0, fShape.Aggregate(1, (p, d) => p * d)).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray(), fShape);
        var g0 = Enumerable.Range(0, ng).Select(i => (float)Math.Sin(i)).ToArray();
        (string, Tensor)[] Feeds(float[] gv) => [("x:0", Tensor.Create(xv, xShape)), ("g:0", Tensor.Create(gv, gShape)), ("w:0", wv)];
        var analytic = session.Run(grads[0]!.Value.Name, Feeds(g0)).ToArray<float>();
        for (int i = 0; i < ng; i++)
        {
            var unit = new float[ng];
            unit[i] = 1;
            float expected = session.Run(loss.Name, Feeds(unit)).ToArray<float>()[0];
            Assert.True(Math.Abs(expected - analytic[i]) <= 1e-5f * Math.Max(1, Math.Abs(expected)), $"{op} g[{i}]: expected {expected}, got {analytic[i]}");
        }
        var dx = session.Run(grads[1]!.Value.Name, Feeds(g0));
        Assert.Equal(xShape, dx.Shape.ToArray());
        Assert.All(dx.ToArray<float>(), v => Assert.Equal(0f, v));
    }

    [Theory]
    [InlineData("MaxPoolGrad", true)]
    [InlineData("MaxPoolGradGrad", false)]
    public void MaxPool_second_and_third_order_gradients_are_the_exact_linear_adjoints(string op, bool gLikeOutput)
        // MaxPoolGrad's g is shaped like the pooled output, MaxPoolGradGrad's like the input.
        => CheckLinear(op, "MaxPool", [2, 4, 5, 2], [1, 3, 3, 1], [1, 1, 2, 1], "SAME", gLikeInput: !gLikeOutput);

    [Theory]
    [InlineData("MaxPool3DGrad", true)]
    [InlineData("MaxPool3DGradGrad", false)]
    public void MaxPool3D_second_and_third_order_gradients_are_the_exact_linear_adjoints(string op, bool gLikeOutput)
        => CheckLinear(op, "MaxPool3D", [1, 3, 4, 3, 2], [1, 2, 2, 2, 1], [1, 1, 2, 1, 1], "SAME", gLikeInput: !gLikeOutput);
}
