using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Training;

namespace TypedGraph.Tests.Training;

/// <summary>
/// The Einsum gradient (TF's <c>_EinsumGrad</c> cases: ellipsis with broadcast batch dims, repeated labels in one
/// operand, labels summed out of one operand only, unary einsums) against central differences in double precision,
/// for every operand at once: L = Σ w ⊙ einsum(x…) with random w.
/// </summary>
public class EinsumGradientTests
{
    private static double[] Random(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => r.NextDouble() * 2 - 1).ToArray();
    }

    private static int Count(int[] shape) => shape.Aggregate(1, (p, d) => p * d);

    /// <summary>
    /// Builds einsum(equation) over double placeholders shaped <paramref name="shapes"/> (declared with
    /// <paramref name="declared"/> when given, e.g. unknown dims), and compares the gradient of every operand with
    /// central differences of the loss.
    /// </summary>
    private static void Check(string equation, int[][] shapes, long[][]? declared = null)
    {
        var b = new GraphBuilder();
        var xs = shapes.Select((s, i) => b.Placeholder(DataType.DtDouble, declared?[i] ?? s.Select(d => (long)d).ToArray(), $"x{i}")).ToArray();
        var y = b.OutputOf(b.AddOperation("Einsum", xs, new Dictionary<string, AttrValue> { ["equation"] = Attrs.String(equation) }, "Einsum"));
        var w = b.Placeholder(DataType.DtDouble, null, "w");
        var loss = b.ReduceSum(b.Reshape(b.Multiply(y, w), [-1]), [0]);
        var grads = Gradients.Compute(b, [loss], xs);
        using var s = new Session(b.Graph);
        var values = shapes.Select((sh, i) => Random(Count(sh), 40 + i)).ToArray();
        (string, Tensor)[] Feeds(double[][] v, Tensor? wv)
        {
            var feeds = v.Select((d, i) => ($"x{i}:0", Tensor.Create((ReadOnlySpan<double>)d, shapes[i]))).ToList();
            if (wv != null) feeds.Add(("w:0", wv));
            return feeds.ToArray();
        }
        var yShape = s.Run(y.Name, Feeds(values, null)).Shape;
        var wv = Tensor.Create(Random((int)yShape.NumElements, 99), yShape.ToArray());
        const double h = 1e-6;
        for (int k = 0; k < shapes.Length; k++)
        {
            var analytic = s.Run(grads[k]!.Value.Name, Feeds(values, wv));
            Assert.Equal(new TensorShape(shapes[k]), analytic.Shape);
            var a = analytic.ToArray<double>();
            for (int e = 0; e < a.Length; e++)
            {
                var plus = values.Select(v => (double[])v.Clone()).ToArray();
                var minus = values.Select(v => (double[])v.Clone()).ToArray();
                plus[k][e] += h;
                minus[k][e] -= h;
                double numeric = (s.Run(loss.Name, Feeds(plus, wv)).ToArray<double>()[0] - s.Run(loss.Name, Feeds(minus, wv)).ToArray<double>()[0]) / (2 * h);
                Assert.True(Math.Abs(numeric - a[e]) <= 1e-6 * Math.Max(1, Math.Abs(numeric)), $"'{equation}' operand {k} element {e}: numeric {numeric}, analytic {a[e]}");
            }
        }
    }

    // Unary einsums: diagonal, trace (explicit and implicit), a label summed away, transpose, TF's own example
    // "aabbcd->ca" (generalized trace + transpose + reduction), batched diagonal, and an inflating output.
    [Theory]
    [InlineData("ii->i", new[] { 3, 3 })]
    [InlineData("ii->", new[] { 3, 3 })]
    [InlineData("ii", new[] { 3, 3 })]
    [InlineData("ij->i", new[] { 2, 3 })]
    [InlineData("ij->", new[] { 2, 3 })]
    [InlineData("ij->ji", new[] { 2, 3 })]
    [InlineData("aabbcd->ca", new[] { 2, 2, 3, 3, 2, 2 })]
    [InlineData("...ii->...i", new[] { 2, 3, 3 })]
    [InlineData("...ij->...", new[] { 2, 3, 2 })]
    [InlineData("i...j->j...", new[] { 2, 3, 2 })]
    [InlineData("i->ii", new[] { 3 })]
    public void Unary_einsum_gradient_matches_central_differences(string equation, int[] shape) => Check(equation, [shape]);

    // Binary einsums: ellipsis with equal batch, with broadcast batch (size-1 and missing dims), one operand without an
    // ellipsis (TF appends one), TF's reduced-label example "abc,cd->ad", repeated labels in one operand, an
    // inflating output, and an implicit output.
    [Theory]
    [InlineData("...ij,...jk->...ik", new[] { 2, 3, 4 }, new[] { 2, 4, 2 })]
    [InlineData("...ij,...jk->...ik", new[] { 2, 1, 3, 2 }, new[] { 3, 2, 2 })]
    [InlineData("...ij,jk->...ik", new[] { 2, 3, 4 }, new[] { 4, 2 })]
    [InlineData("ij,...jk->...ik", new[] { 3, 4 }, new[] { 2, 4, 2 })]
    [InlineData("ij,...jk->...ik", new[] { 3, 4 }, new[] { 4, 2 })]
    [InlineData("abc,cd->ad", new[] { 2, 3, 4 }, new[] { 4, 2 })]
    [InlineData("ii,i->i", new[] { 3, 3 }, new[] { 3 })]
    [InlineData("iij,jk->ik", new[] { 3, 3, 2 }, new[] { 2, 4 })]
    [InlineData("ij,j->ii", new[] { 3, 2 }, new[] { 2 })]
    [InlineData("ij,jk", new[] { 2, 3 }, new[] { 3, 4 })]
    [InlineData("b...i,...i->b...", new[] { 2, 3, 4 }, new[] { 1, 4 })]
    public void Binary_einsum_gradient_matches_central_differences(string equation, int[] x, int[] y) => Check(equation, [x, y]);

    // Unknown static dims: the unbroadcasting step runs on Shape/StridedSlice/BroadcastGradientArgs at run time,
    // both when the batch shapes broadcast and when they turn out equal.
    [Fact]
    public void Ellipsis_gradient_with_unknown_dims_unbroadcasts_at_run_time()
    {
        Check("...ij,...jk->...ik", [[2, 1, 3, 2], [3, 2, 2]], [[-1, -1, -1, -1], [-1, -1, -1]]);
        Check("...ij,...jk->...ik", [[2, 3, 4], [2, 4, 2]], [[-1, 3, 4], [-1, 4, 2]]);
    }
}
