using TypedGraph.Protos;

using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.TestTensors;

namespace TypedGraph.Tests.Kernels.Counting;

/// <summary>
/// Bincount/DenseBincount and HistogramFixedWidth against naive counting loops written here and TF's doc examples;
/// TopKV2/InTopKV2 tie and non-finite handling against brute-force definitions (TF's in_topk_op.h and topk_op.cc).
/// </summary>
public class BincountHistogramTopKTests
{
    [Fact]
    public void Bincount_CountsAndWeights_MatchANaiveLoop_ValuesPastSizeDropped()
    {
        var rng = new Random(7);
        int[] arr = Enumerable.Range(0, 200).Select(_ => rng.Next(0, 12)).ToArray();
        float[] w = Enumerable.Range(0, 200).Select(_ => (float)rng.NextDouble()).ToArray();
        const int size = 9; // values 9..11 fall outside and are dropped
        var counts = new float[size];
        var sums = new double[size];
        for (int i = 0; i < arr.Length; i++)
            if (arr[i] < size) { counts[arr[i]]++; sums[arr[i]] += w[i]; }
        var unweighted = Compute1("Bincount", [I(arr), Tensor.FromScalar(size), F([])]);
        Assert.Equal(new TensorShape(size), unweighted.Shape);
        Assert.Equal(counts, unweighted.ToArray<float>());
        var weighted = Compute1("Bincount", [I(arr), Tensor.FromScalar(size), F(w)]);
        Close(sums.Select(v => (float)v).ToArray(), weighted.ToArray<float>(), 1e-5f);
        // tf.math.bincount doc: values [1, 1, 2, 3, 2, 4, 4, 5] → [0, 2, 2, 1, 2, 1] (int32 counts via int32 weights).
        var doc = Compute1("Bincount", [I([1, 1, 2, 3, 2, 4, 4, 5]), Tensor.FromScalar(6), I([])]);
        Assert.Equal([0, 2, 2, 1, 2, 1], doc.ToArray<int>());
        Assert.Equal(new TensorShape(0), Compute1("Bincount", [I([3]), Tensor.FromScalar(0), F([])]).Shape);
        Assert.Equal(new float[4], Compute1("Bincount", [I([]), Tensor.FromScalar(4), F([])]).ToArray<float>());
    }

    [Fact]
    public void Bincount_BadInput_FailsWithTfMessages()
    {
        Assert.Contains("Input arr must be non-negative!", Assert.Throws<GraphExecutionException>(
            () => Compute1("Bincount", [I([1, -1]), Tensor.FromScalar(3), F([])])).Message);
        Assert.Contains("size (-1) must be non-negative", Assert.Throws<GraphExecutionException>(
            () => Compute1("Bincount", [I([1]), Tensor.FromScalar(-1), F([])])).Message);
        Assert.Contains("Input indices and weights must have the same size", Assert.Throws<GraphExecutionException>(
            () => Compute1("Bincount", [I([1, 2]), Tensor.FromScalar(3), F([1f])])).Message);
        Assert.Contains("Shape must be rank 0", Assert.Throws<GraphExecutionException>(
            () => Compute1("Bincount", [I([1]), I([3]), F([])])).Message);
    }

    [Fact]
    public void DenseBincount_Rank2PerRow_BinaryOutput_Int64Values()
    {
        long[] data = [1, 1, 3, 7, 0, 2, 2, 2, 5, 5, 4, 0];
        double[] w = data.Select((_, i) => 0.5 * i + 1).ToArray();
        const int rows = 3, cols = 4, size = 6;
        var counts = new double[rows * size];
        var sums = new double[rows * size];
        var seen = new double[rows * size];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
            {
                long v = data[r * cols + c];
                if (v >= size) continue;
                counts[r * size + v]++;
                sums[r * size + v] += w[r * cols + c];
                seen[r * size + v] = 1;
            }
        Tensor Run(double[] weights, bool binary, int[] shape) => Compute1("DenseBincount",
            [L(data, shape), Tensor.FromScalar((long)size), Tensor.Create(weights, weights.Length == 0 ? [0] : shape)], ("binary_output", ToAttr(binary)));
        var byRow = Run([], false, [rows, cols]);
        Assert.Equal(new TensorShape(rows, size), byRow.Shape);
        Assert.Equal(counts, byRow.ToArray<double>());
        Assert.Equal(sums, Run(w, false, [rows, cols]).ToArray<double>());
        Assert.Equal(seen, Run([], true, [rows, cols]).ToArray<double>());
        // Rank 1: one histogram over everything.
        var flat = Run([], false, [rows * cols]).ToArray<double>();
        for (int b = 0; b < size; b++) Assert.Equal(counts[b] + counts[size + b] + counts[2 * size + b], flat[b]);
        Assert.Contains("at most rank 2", Assert.Throws<GraphExecutionException>(() => Run([], false, [1, 3, 4])).Message);
    }

    [Fact]
    public void HistogramFixedWidth_TfDocExample_AndNaiveBinning()
    {
        // tf.histogram_fixed_width doc: range [0, 5], nbins 5, values [-1, 0, 1.5, 2, 5, 15] → [2, 1, 1, 0, 2].
        var doc = Compute1("HistogramFixedWidth", [F([-1f, 0f, 1.5f, 2f, 5f, 15f]), F([0f, 5f]), Tensor.FromScalar(5)]);
        Assert.Equal([2, 1, 1, 0, 2], doc.ToArray<int>());
        var rng = new Random(3);
        double[] v = Enumerable.Range(0, 500).Select(_ => rng.NextDouble() * 14 - 2).Append(double.PositiveInfinity).Append(double.NegativeInfinity).ToArray();
        const double lo = 0.5, hi = 10.25;
        const int nbins = 7;
        var expected = new long[nbins];
        foreach (double x in v)
        {
            // Written from the definition: below lo → first bin, at/above hi → last bin, else floor((x - lo) / width).
            int bin = x < lo ? 0 : x >= hi ? nbins - 1 : Math.Min(nbins - 1, (int)Math.Floor((x - lo) / ((hi - lo) / nbins)));
            expected[bin]++;
        }
        var o = Compute1("HistogramFixedWidth", [Tensor.Create(v), Tensor.Create(new[] { lo, hi }), Tensor.FromScalar(nbins)], ("dtype", ToAttr(DataType.DtInt64)));
        Assert.Equal(DataType.DtInt64, o.DType);
        Assert.Equal(expected, o.ToArray<long>());
        // Integer values: the subtraction in int, bins by truncation.
        Assert.Equal([2, 1, 2], Compute1("HistogramFixedWidth", [I([-4, 0, 3, 4, 8]), I([0, 6]), Tensor.FromScalar(3)]).ToArray<int>());
        Assert.Equal([0, 0, 0], Compute1("HistogramFixedWidth", [F([]), F([0f, 1f]), Tensor.FromScalar(3)]).ToArray<int>());
    }

    [Fact]
    public void HistogramFixedWidth_BadInput_FailsWithTfMessages()
    {
        Assert.Contains("must not contain NaN", Assert.Throws<GraphExecutionException>(
            () => Compute1("HistogramFixedWidth", [F([1f, float.NaN]), F([0f, 5f]), Tensor.FromScalar(5)])).Message);
        Assert.Contains("value_range[0] < value_range[1]", Assert.Throws<GraphExecutionException>(
            () => Compute1("HistogramFixedWidth", [F([1f]), F([5f, 5f]), Tensor.FromScalar(5)])).Message);
        Assert.Contains("nbins should be a positive number, but got '0'", Assert.Throws<GraphExecutionException>(
            () => Compute1("HistogramFixedWidth", [F([1f]), F([0f, 5f]), Tensor.FromScalar(0)])).Message);
        Assert.Contains("vector of 2 elements", Assert.Throws<GraphExecutionException>(
            () => Compute1("HistogramFixedWidth", [F([1f]), F([0f, 5f, 6f]), Tensor.FromScalar(2)])).Message);
    }

    [Fact]
    public void TopKV2_Ties_LowerIndexFirst_MatchesBruteForce()
    {
        // Few distinct values so nearly every row has ties straddling k.
        var rng = new Random(11);
        const int rows = 20, n = 9;
        float[] x = Enumerable.Range(0, rows * n).Select(_ => (float)rng.Next(0, 4)).ToArray();
        foreach (int k in new[] { 0, 1, 3, n })
        {
            var r = Compute("TopKV2", [F(x, rows, n), Tensor.FromScalar(k)], 2);
            var values = r[0].ToArray<float>();
            var idx = r[1].ToArray<int>();
            for (int row = 0; row < rows; row++)
            {
                // Brute force: repeatedly take the largest remaining value, earliest position first.
                var taken = new bool[n];
                for (int j = 0; j < k; j++)
                {
                    int best = -1;
                    for (int c = 0; c < n; c++)
                        if (!taken[c] && (best < 0 || x[row * n + c] > x[row * n + best])) best = c;
                    taken[best] = true;
                    Assert.Equal(best, idx[row * k + j]);
                    Assert.Equal(x[row * n + best], values[row * k + j]);
                }
            }
        }
    }

    [Fact]
    public void InTopKV2_TiesCountAsIn_NonFiniteRowsAndBadTargetsAreFalse()
    {
        // in_topk_op.h: true iff fewer than k predictions are strictly greater than the target's; false if any
        // prediction of the row is non-finite or the target is out of range.
        float[] p =
        [
            0.1f, 0.3f, 0.3f, 0.2f, // target 2 ties with class 1 for the top: in top-1
            0.1f, 0.3f, 0.3f, 0.2f, // target 3: two strictly greater → not in top-2, in top-3
            0.5f, float.NaN, 0.1f, 0.2f, // NaN elsewhere in the row → false
            0.5f, float.PositiveInfinity, 0.1f, 0.2f, // +inf elsewhere → false
            0.5f, 0.4f, 0.1f, 0.2f, // target out of range → false
            0.5f, 0.4f, 0.1f, 0.2f, // negative target → false
        ];
        long[] targets = [2, 3, 0, 0, 4, -1];
        bool[] Run(int k) => Compute1("InTopKV2", [F(p, 6, 4), L(targets), Tensor.FromScalar(k)]).ToArray<bool>();
        bool[] Reference(int k) => targets.Select((t, b) =>
        {
            var row = p.Skip(b * 4).Take(4).ToArray();
            if (t < 0 || t >= 4 || row.Any(v => !float.IsFinite(v))) return false;
            return row.Count(v => v > row[t]) < k;
        }).ToArray();
        foreach (int k in new[] { 0, 1, 2, 3, 4 }) Assert.Equal(Reference(k), Run(k));
        Assert.Equal([true, false, false, false, false, false], Run(1));
        Assert.Equal([true, true, false, false, false, false], Run(3));
    }
}
