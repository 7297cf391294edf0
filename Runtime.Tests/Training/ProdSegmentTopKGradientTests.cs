using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using TypedGraph.Training;

namespace TypedGraph.Tests.Training;

/// <summary>Shared helpers: random inputs and ∂(Σ w·y)/∂x run by the session for fixed weights.</summary>
internal static class GradientProbe
{
    public static double[] Values(int n, int seed, double lo = -2, double hi = 2)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => lo + (hi - lo) * r.NextDouble()).ToArray();
    }

    public static Output Op(GraphBuilder b, string op, Output[] inputs, Dictionary<string, AttrValue>? attrs = null, int output = 0)
        => b.OutputOf(b.AddOperation(op, inputs, attrs, op), output);

    /// <summary>∂(Σ w·f(x))/∂x at <paramref name="x0"/>, with w given for every element of f(x).</summary>
    public static double[] Gradient(Func<GraphBuilder, Output, Output> f, double[] x0, int[] shape, double[] w, int[] yShape)
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtDouble, shape.Select(d => (long)d).ToArray(), "x");
        var y = f(b, x);
        var loss = b.ReduceSum(b.Reshape(b.Multiply(y, b.Constant(Tensor.Create(w, yShape), "w")), [-1]), [0]);
        var g = Gradients.Compute(b, [loss], [x])[0]!.Value;
        using var s = new Session(b.Graph);
        return s.Run(g.Name, ("x:0", Tensor.Create((ReadOnlySpan<double>)x0, shape))).ToArray<double>();
    }

    public static void AssertClose(double[] expected, double[] actual, double tol = 1e-12)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol * Math.Max(1, Math.Abs(expected[i])), $"[{i}]: expected {expected[i]}, got {actual[i]}");
    }
}

/// <summary>
/// Prod's gradient (TF's math_grad.py <c>_ProdGrad</c>, exclusive cumprods): central differences over several axis
/// sets, keep_dims, negative axes and unknown dims, plus the zero cases against the product of the other elements
/// computed here (one zero in a group: only it gets a nonzero gradient; two zeros: all zero).
/// </summary>
public class ProdGradientTests
{
    private static Output Prod(GraphBuilder b, Output x, int[] axes, bool keep = false)
        => GradientProbe.Op(b, "Prod", [x, b.Constant(axes, "axes")], new() { ["keep_dims"] = Attrs.Bool(keep) });

    [Theory]
    [InlineData(new[] { 1 }, false)]
    [InlineData(new[] { 0 }, true)]
    [InlineData(new[] { 0, 2 }, false)]
    [InlineData(new[] { 2, 0 }, true)]
    [InlineData(new[] { -1 }, false)]
    [InlineData(new[] { 0, 1, 2 }, false)]
    [InlineData(new int[0], false)]
    public void Gradient_matches_central_differences(int[] axes, bool keep)
        => CentralDifferences.CheckGraphGradient((b, x) => Prod(b, x, axes, keep), GradientProbe.Values(24, 5, 0.5, 1.5), [2, 3, 4]);

    [Fact]
    public void Gradient_with_unknown_dims_matches_central_differences()
        => CentralDifferences.CheckGraphGradient((b, x) => Prod(b, x, [1]), GradientProbe.Values(12, 6), [3, 4], placeholderShape: [-1, -1]);

    [Fact]
    public void Zeros_get_the_product_of_the_others_as_TF_exclusive_cumprods()
    {
        // Rows: no zero, one zero, two zeros; reduce along the rows' last axis.
        double[] x = [2, -3, 4, 5, 0, 7, 0, 3, 0];
        double[] w = [0.5, -2, 3];
        var expected = new double[9];
        for (int r = 0; r < 3; r++)
            for (int i = 0; i < 3; i++)
            {
                double others = 1;
                for (int j = 0; j < 3; j++) if (j != i) others *= x[3 * r + j];
                expected[3 * r + i] = w[r] * others;
            }
        var actual = GradientProbe.Gradient((b, v) => Prod(b, v, [1]), x, [3, 3], w, [3]);
        GradientProbe.AssertClose(expected, actual);
        Assert.Equal([0.5 * -12, 0.5 * 8, 0.5 * -6, 0, -2 * 35, 0, 0, 0, 0], actual);
        // Prod is multilinear, so central differences are exact at zeros too.
        CentralDifferences.CheckGraphGradient((b, v) => Prod(b, v, [1]), x, [3, 3]);
    }

    [Fact]
    public void Scalar_input_passes_the_gradient_through()
        => Assert.Equal([2.5], GradientProbe.Gradient((b, v) => Prod(b, v, []), [7.0], [], [2.5], []));

    /// <summary>Complex input: _ProdGrad's conj(left)·conj(right) (the conjugate direction) against central differences
    /// in the real and imaginary part of every element, a zero element included.</summary>
    [Theory]
    [InlineData(new[] { 2, 3 }, new[] { 1 })]
    [InlineData(new[] { 2, 3, 2 }, new[] { 0, 2 })]
    public void Complex_input_matches_central_differences(int[] shape, int[] axes)
    {
        int n = shape.Aggregate(1, (p, d) => p * d);
        var x0 = ComplexGradientTests.Random(n, 17);
        x0[1] = System.Numerics.Complex.Zero;
        ComplexGradientTests.Check((b, x) => Prod(b, x, axes), x0, shape);
    }

    [Fact]
    public void Reduction_indices_that_are_not_constant_are_named_in_the_error()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtDouble, [2, 3], "x");
        var axes = b.Placeholder(DataType.DtInt32, [1], "axes");
        var y = GradientProbe.Op(b, "Prod", [x, axes]);
        var e = Assert.Throws<NotSupportedException>(() => Gradients.Compute(b, [b.ReduceSum(b.Reshape(y, [-1]), [0])], [x]));
        Assert.Contains("'Prod'", e.Message);
        Assert.Contains("constant reduction indices", e.Message);
    }
}

/// <summary>
/// Segment max/min/prod gradients (TF's math_grad.py <c>_SegmentMinOrMaxGrad</c>, <c>_UnsortedSegmentMinOrMaxGrad</c>,
/// <c>_SegmentProdGrad</c>, <c>_UnsortedSegmentProdGrad</c>): central differences on tie-free random data (with
/// negative, i.e. dropped, ids for the unsorted ops and row-shaped data), ties split equally as computed here, and the
/// zero cases of the products.
/// </summary>
public class SegmentExtremumGradientTests
{
    private static Output Sorted(GraphBuilder b, string op, Output x, int[] ids)
        => GradientProbe.Op(b, op, [x, b.Constant(ids, "ids")]);

    private static Output Unsorted(GraphBuilder b, string op, Output x, int[] ids, int[] idsShape, int n)
        => GradientProbe.Op(b, op, [x, b.Constant(Tensor.Create(ids, idsShape), "ids"), b.Constant(n, "num_segments")]);

    [Theory]
    [InlineData("SegmentMax")]
    [InlineData("SegmentMin")]
    [InlineData("SegmentProd")]
    [InlineData("SegmentSum")]
    public void Sorted_gradient_matches_central_differences(string op)
    {
        // Segment 1 is empty (ids jump from 0 to 2); rows of 2 columns.
        int[] ids = [0, 0, 0, 2, 2, 3];
        CentralDifferences.CheckGraphGradient((b, x) => Sorted(b, op, x, ids), GradientProbe.Values(12, op.Length), [6, 2]);
    }

    [Theory]
    [InlineData("UnsortedSegmentMax")]
    [InlineData("UnsortedSegmentMin")]
    [InlineData("UnsortedSegmentProd")]
    public void Unsorted_gradient_matches_central_differences_with_dropped_ids(string op)
    {
        // 2-D ids [2, 3] over data [2, 3, 2]; −1 entries are dropped by the forward op (zero gradient).
        int[] ids = [2, 0, -1, 0, 1, 2];
        CentralDifferences.CheckGraphGradient((b, x) => Unsorted(b, op, x, ids, [2, 3], 3), GradientProbe.Values(12, op.Length + 7), [2, 3, 2]);
    }

    /// <summary>The expected extremum gradient: each segment's weight split equally among the elements equal to its extremum.</summary>
    private static double[] SplitAmongTies(double[] x, int[] ids, double[] w, bool max)
    {
        var g = new double[x.Length];
        foreach (var s in ids.Where(i => i >= 0).Distinct())
        {
            var members = Enumerable.Range(0, x.Length).Where(i => ids[i] == s).ToArray();
            double best = max ? members.Max(i => x[i]) : members.Min(i => x[i]);
            var ties = members.Where(i => x[i] == best).ToArray();
            foreach (var i in ties) g[i] = w[s] / ties.Length;
        }
        return g;
    }

    [Theory]
    [InlineData("SegmentMax", true)]
    [InlineData("SegmentMin", false)]
    public void Ties_share_the_segment_gradient_equally(string op, bool max)
    {
        double[] x = [5, 1, 5, 5, -2, 3, -2, 3];
        int[] ids = [0, 0, 0, 0, 1, 1, 1, 1];
        double[] w = [3, -1.5];
        var actual = GradientProbe.Gradient((b, v) => Sorted(b, op, v, ids), x, [8], w, [2]);
        GradientProbe.AssertClose(SplitAmongTies(x, ids, w, max), actual);
        Assert.Equal(max ? [1, 0, 1, 1, 0, -0.75, 0, -0.75] : new[] { 0, 3.0, 0, 0, -0.75, 0, -0.75, 0 }, actual);
    }

    [Theory]
    [InlineData("UnsortedSegmentMax", true)]
    [InlineData("UnsortedSegmentMin", false)]
    public void Unsorted_ties_share_and_dropped_ids_get_zero(string op, bool max)
    {
        // The dropped element (id −1) equals segment 0's extremum but must not take a share.
        double[] x = [4, 4, 4, 0, 1, 0];
        int[] ids = [0, 2, 0, -1, 2, 2];
        double[] w = [2, 7, -3];
        var actual = GradientProbe.Gradient((b, v) => Unsorted(b, op, v, ids, [6], 3), x, [6], w, [3]);
        GradientProbe.AssertClose(SplitAmongTies(x, ids, w, max), actual);
        Assert.Equal(0, actual[3]);
    }

    [Theory]
    [InlineData("SegmentProd")]
    [InlineData("UnsortedSegmentProd")]
    public void Prod_zeros_follow_TFs_three_cases(string op)
    {
        // Segment 0: no zero; 1: one zero; 2: two zeros.
        double[] x = [2, -3, 5, 0, 4, 0, 0, 6];
        int[] ids = [0, 0, 1, 1, 1, 2, 2, 2];
        double[] w = [1.5, -2, 4];
        double[] expected = [1.5 * -3, 1.5 * 2, 0, -2 * 20, 0, 0, 0, 0];
        var actual = GradientProbe.Gradient((b, v) => op == "SegmentProd" ? Sorted(b, op, v, ids) : Unsorted(b, op, v, ids, [8], 3), x, [8], w, [3]);
        GradientProbe.AssertClose(expected, actual);
    }
}

/// <summary>
/// TopK / TopKV2 gradients (TF's nn_grad.py <c>_TopKGrad</c>: the values' gradient scattered to the reported indices):
/// central differences on distinct values, unknown dims, k = 0 (all zero), k = n, and equal values (the gradient goes
/// to the lower index the kernel reported, as TF).
/// </summary>
public class TopKGradientTests
{
    private static Output TopKV2(GraphBuilder b, Output x, int k) => GradientProbe.Op(b, "TopKV2", [x, b.Constant(k, "k")]);

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]
    public void V2_gradient_matches_central_differences(int k)
        => CentralDifferences.CheckGraphGradient((b, x) => TopKV2(b, x, k), GradientProbe.Values(20, k), [2, 2, 5]);

    [Fact]
    public void V1_gradient_with_unknown_dims_matches_central_differences()
        => CentralDifferences.CheckGraphGradient((b, x) => GradientProbe.Op(b, "TopK", [x], new() { ["k"] = Attrs.Int(2) }),
            GradientProbe.Values(12, 4), [3, 4], placeholderShape: [-1, -1]);

    [Fact]
    public void Equal_values_send_the_gradient_to_the_reported_lower_index()
    {
        double[] x = [3, 1, 3, 3, 0, 2, 2, 2];
        // Row 0 top-2: indices 0, 2 (lower first among the three 3s); row 1 top-2: indices 1, 2.
        var actual = GradientProbe.Gradient((b, v) => TopKV2(b, v, 2), x, [2, 4], [10, 20, 30, 40], [2, 2]);
        Assert.Equal([10, 0, 20, 0, 0, 30, 40, 0], actual);
    }

    [Fact]
    public void K_zero_gives_a_zero_gradient()
        => Assert.Equal(new double[6], GradientProbe.Gradient((b, v) => TopKV2(b, v, 0), GradientProbe.Values(6, 2), [2, 3], [], [2, 0]));

    [Fact]
    public void Values_and_indices_together_only_the_values_carry_gradient()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtDouble, [4], "x");
        var node = b.AddOperation("TopKV2", [x, b.Constant(2, "k")], null, "TopKV2");
        var values = b.OutputOf(node, 0);
        var loss = b.ReduceSum(b.Multiply(values, b.Cast(b.OutputOf(node, 1), DataType.DtDouble)), [0]);
        var g = Gradients.Compute(b, [loss], [x])[0]!.Value;
        using var s = new Session(b.Graph);
        // top-2 of [1, 9, 4, 7]: values [9, 7] at indices [1, 3]; ∂/∂x = indices scattered to those positions.
        Assert.Equal([0.0, 1, 0, 3], s.Run(g.Name, ("x:0", Tensor.Create(new[] { 1.0, 9, 4, 7 }, 4))).ToArray<double>());
    }
}
