namespace TypedGraph.Tests.Support;

/// <summary>
/// Reference gradients for the control-flow gradient tests: central differences (h = 1e-5) of a double-precision
/// loss written in the test, compared with the float gradients our graph computes.
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
}
