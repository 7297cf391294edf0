using TypedGraph.Tests.Support;

namespace TypedGraph.Tests.Kernels;

/// <summary>
/// Softmax takes a block path for rows shorter than 64 values (one vectorized exp over many rows) and a per-row path
/// for longer ones; both must equal exp(x − max) / Σ exp(x − max) per row, computed here in double.
/// </summary>
public class SoftmaxRowLengthTests
{
    private static double[] Reference(float[] x, int c)
    {
        var y = new double[x.Length];
        for (int o = 0; o < x.Length; o += c)
        {
            double max = double.NegativeInfinity;
            bool nan = false;
            for (int i = 0; i < c; i++)
            {
                nan |= float.IsNaN(x[o + i]);
                max = Math.Max(max, x[o + i]);
            }
            if (nan) max = double.NaN;
            double sum = 0;
            for (int i = 0; i < c; i++) sum += Math.Exp(x[o + i] - max);
            for (int i = 0; i < c; i++) y[o + i] = Math.Exp(x[o + i] - max) / sum;
        }
        return y;
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(64, 10)]
    [InlineData(3, 2)]
    [InlineData(7, 63)]
    [InlineData(5, 64)]
    [InlineData(4, 100)]
    [InlineData(2000, 10)] // several chunks across workers
    public void MatchesDoubleReference(int rows, int c)
    {
        var rng = new Random(rows * 131 + c);
        var x = Enumerable.Range(0, rows * c).Select(_ => (float)(rng.NextDouble() * 40 - 20)).ToArray();
        var y = OpHarness.Compute1("Softmax", [Tensor.Create(x, rows, c)]).AsSpan<float>().ToArray();
        var expected = Reference(x, c);
        for (int i = 0; i < y.Length; i++)
            Assert.True(Math.Abs(y[i] - expected[i]) <= 2e-6 * Math.Max(expected[i], 1e-3), $"element {i}: {y[i]} vs {expected[i]}");
        for (int r = 0; r < rows; r++) Assert.Equal(1.0, y.Skip(r * c).Take(c).Sum(v => (double)v), 5);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(100)]
    public void NonFiniteRows_FollowTheFormula(int c)
    {
        // Row 0: a NaN → all NaN. Row 1: +Inf → Inf − Inf = NaN → all NaN. Row 2: all −Inf → NaN. Row 3: some −Inf → 0 there.
        var x = new float[4 * c];
        for (int i = 0; i < x.Length; i++) x[i] = (i % 7) * 0.5f;
        x[3] = float.NaN;
        x[c + 1] = float.PositiveInfinity;
        for (int i = 0; i < c; i++) x[2 * c + i] = float.NegativeInfinity;
        x[3 * c] = float.NegativeInfinity;
        x[3 * c + 2] = float.NegativeInfinity;
        var y = OpHarness.Compute1("Softmax", [Tensor.Create(x, 4, c)]).AsSpan<float>().ToArray();
        var expected = Reference(x, c);
        for (int i = 0; i < y.Length; i++)
        {
            if (double.IsNaN(expected[i])) Assert.True(float.IsNaN(y[i]), $"element {i}: {y[i]}, expected NaN");
            else Assert.True(Math.Abs(y[i] - expected[i]) <= 2e-6 * Math.Max(expected[i], 1e-3), $"element {i}: {y[i]} vs {expected[i]}");
        }
        Assert.Equal(0f, y[3 * c]);
    }
}
