using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Training;

namespace TypedGraph.Tests.Support;

/// <summary>
/// Reference gradients: central differences of a double-precision loss written in the test (control-flow tests), or of
/// a graph's own weighted-sum loss in double (<see cref="CheckGraphGradient"/>), compared with the gradients our graph
/// computes.
/// </summary>
internal static class CentralDifferences
{
    /// <summary>n uniform values in [−scale, scale).</summary>
    public static float[] Rand(Random rng, int n, double scale) => Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 2 - 1) * scale)).ToArray();

    /// <summary>The values widened to double.</summary>
    public static double[] D64(float[] v) => Array.ConvertAll(v, f => (double)f);

    /// <summary>∂f/∂at[i] for every i by central differences.</summary>
    public static double[] Numeric(Func<double[], double> f, double[] at)
    {
        var g = new double[at.Length];
        for (int i = 0; i < at.Length; i++)
        {
            var p = (double[])at.Clone();
            var m = (double[])at.Clone();
            p[i] += 1e-5;
            m[i] -= 1e-5;
            g[i] = (f(p) - f(m)) / 2e-5;
        }
        return g;
    }

    /// <summary>Each element within <paramref name="tol"/> relative (absolute below 1) of the reference.</summary>
    public static void AssertClose(double[] expected, float[] actual, string what, double tol = 2e-4)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol * Math.Max(1, Math.Abs(expected[i])), $"{what}[{i}]: expected {expected[i]}, got {actual[i]}");
    }

    /// <summary>
    /// Builds y = f(x) for a double placeholder x of <paramref name="shape"/>, the loss Σ y·w with fixed random weights
    /// w (seed 99, uniform in [−1, 1)), and checks <c>Gradients.Compute</c>'s ∂loss/∂x at <paramref name="x0"/> against
    /// central differences (h = 1e-6) of the same loss run by the session, element by element within
    /// <paramref name="tol"/> relative (absolute below 1). <paramref name="placeholderShape"/> (default: the fed shape)
    /// lets a test hide dims from the graph's static shapes (−1 = unknown).
    /// </summary>
    public static void CheckGraphGradient(Func<GraphBuilder, Output, Output> f, double[] x0, int[] shape, double tol = 1e-6, long[]? placeholderShape = null)
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtDouble, placeholderShape ?? shape.Select(d => (long)d).ToArray(), "x");
        var y = f(b, x);
        var w = b.Placeholder(DataType.DtDouble, null, "w");
        var loss = b.ReduceSum(b.Reshape(b.Multiply(y, w), [-1]), [0]);
        var g = Gradients.Compute(b, [loss], [x])[0]!.Value;
        using var s = new Session(b.Graph);
        var xv = Tensor.Create((ReadOnlySpan<double>)x0, shape);
        var yShape = s.Run(y.Name, ("x:0", xv)).Shape;
        var rng = new Random(99);
        var weights = Enumerable.Range(0, (int)yShape.NumElements).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        var wv = Tensor.Create(weights, yShape.ToArray());
        var analytic = s.Run(g.Name, ("x:0", xv), ("w:0", wv)).ToArray<double>();
        const double h = 1e-6;
        for (int i = 0; i < x0.Length; i++)
        {
            var plus = (double[])x0.Clone();
            var minus = (double[])x0.Clone();
            plus[i] += h;
            minus[i] -= h;
            double numeric = (s.Run(loss.Name, ("x:0", Tensor.Create((ReadOnlySpan<double>)plus, shape)), ("w:0", wv)).ToArray<double>()[0]
                - s.Run(loss.Name, ("x:0", Tensor.Create((ReadOnlySpan<double>)minus, shape)), ("w:0", wv)).ToArray<double>()[0]) / (2 * h);
            Assert.True(Math.Abs(numeric - analytic[i]) <= tol * Math.Max(1, Math.Abs(numeric)), $"element {i}: numeric {numeric}, analytic {analytic[i]}");
        }
    }
}
