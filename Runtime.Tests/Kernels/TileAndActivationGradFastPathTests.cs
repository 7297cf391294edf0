using static TypedGraph.Tests.Support.OpHarness;

namespace TypedGraph.Tests.Kernels;

/// <summary>
/// Tile's block-replicating copy and the 8-lane float backprops of Sigmoid, Tanh, Relu and Relu6, each against a
/// naive reference written here: Tile as out[i] = x[i mod shape] per element (TF's tile_ops semantics), the backprops
/// in float in TF's operation order (cwise_ops_gradients.h, relu_op_functor.h), at lengths around the vector width
/// and above the parallel grain.
/// </summary>
public class TileAndActivationGradFastPathTests
{
    public static TheoryData<int[], int[]> TileCases => new()
    {
        { [1, 1, 1], [3, 4, 5] },       // a full reduction's gradient broadcast back
        { [2, 3], [2, 1] },
        { [2, 3], [1, 3] },
        { [2, 1, 3], [2, 4, 2] },
        { [3], [5] },
        { [2, 2, 2, 2], [1, 2, 1, 3] },
        { [], [] },                      // scalar
    };

    [Theory]
    [MemberData(nameof(TileCases))]
    public void Tile_matches_the_modular_index_reference(int[] shape, int[] multiples)
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        var x = Enumerable.Range(0, n).Select(i => i * 1.5f - 3).ToArray();
        var o = Compute1("Tile", [Tensor.Create((ReadOnlySpan<float>)x, shape), Tensor.Create(multiples, multiples.Length)]);
        var dims = shape.Zip(multiples, (d, m) => d * m).ToArray();
        Assert.Equal(dims, o.Shape.Dims.ToArray());
        Assert.Equal(Reference(x, shape, dims), o.ToArray<float>());
        // Strings and int64 take the same path.
        var s = Compute1("Tile", [new Tensor(new TensorShape(shape), x.Select(v => System.Text.Encoding.UTF8.GetBytes(v.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToArray()),
            Tensor.Create(multiples, multiples.Length)]);
        Assert.Equal(Reference(x, shape, dims).Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture)), s.Strings.Select(b => System.Text.Encoding.UTF8.GetString(b)));
        var l = Compute1("Tile", [Tensor.Create((ReadOnlySpan<long>)x.Select(v => (long)(v * 2)).ToArray(), shape), Tensor.Create(multiples.Select(m => (long)m).ToArray(), multiples.Length)]);
        Assert.Equal(Reference(x, shape, dims).Select(v => (long)(v * 2)), l.ToArray<long>());
    }

    [Fact]
    public void Tile_with_a_zero_multiple_is_empty()
        => Assert.Equal(new TensorShape(2, 0), Compute1("Tile", [Tensor.Create(new[] { 1f, 2f, 3f, 4f }, 2, 2), Tensor.Create(new[] { 1, 0 }, 2)]).Shape);

    private static float[] Reference(float[] x, int[] shape, int[] dims)
    {
        int total = dims.Aggregate(1, (a, b) => a * b);
        var result = new float[total];
        var idx = new int[dims.Length];
        for (int flat = 0; flat < total; flat++)
        {
            int rest = flat, src = 0;
            for (int d = dims.Length - 1; d >= 0; d--)
            {
                idx[d] = rest % dims[d];
                rest /= dims[d];
            }
            for (int d = 0; d < dims.Length; d++) src = src * shape[d] + idx[d] % shape[d];
            result[flat] = x[src];
        }
        return result;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(100)]
    [InlineData(40_003)] // above the parallel grain, with a tail
    public void Float_backprops_equal_tfs_float_formulas(int n)
    {
        var rng = new Random(n);
        var y = Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble()).ToArray();      // sigmoid/tanh outputs
        var g = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        var x = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 16 - 5)).ToArray(); // relu features
        x[0] = 0; // the boundary: not > 0
        if (n > 2) x[2] = 6;
        Assert.Equal(y.Zip(g, (yy, dy) => dy * yy * (1 - yy)), Run("SigmoidGrad", y, g));
        Assert.Equal(y.Zip(g, (yy, dy) => dy * (1 - yy * yy)), Run("TanhGrad", y, g));
        Assert.Equal(g.Zip(x, (gg, xx) => xx > 0 ? gg : 0f), Run("ReluGrad", g, x));
        Assert.Equal(g.Zip(x, (gg, xx) => xx > 0 && xx < 6 ? gg : 0f), Run("Relu6Grad", g, x));
    }

    [Fact]
    public void Relu_backprops_multiply_by_the_mask_as_tf()
    {
        // TF computes gradients * (features > 0): an infinite gradient at a non-positive feature is NaN (inf · 0).
        var g = new[] { float.PositiveInfinity, float.NaN, 2f, float.NegativeInfinity, 1, 1, 1, 1, float.PositiveInfinity };
        var x = new[] { -1f, -1f, 0f, 3f, 1, 1, 1, 1, 0 };
        var r = Run("ReluGrad", g, x);
        Assert.True(float.IsNaN(r[0]) && float.IsNaN(r[1]) && float.IsNaN(r[8]));
        Assert.Equal([0f, float.NegativeInfinity, 1, 1, 1, 1], r[2..8]);
        var r6 = Run("Relu6Grad", g, new[] { -1f, 7f, 6f, 5f, 1, 1, 1, 1, 6 });
        Assert.True(float.IsNaN(r6[0]) && float.IsNaN(r6[1]) && float.IsNaN(r6[8]));
        Assert.Equal([0f, float.NegativeInfinity], r6[2..4]);
    }

    private static float[] Run(string op, float[] a, float[] b)
        => Compute1(op, [Tensor.Create(a, a.Length), Tensor.Create(b, b.Length)]).ToArray<float>();
}
