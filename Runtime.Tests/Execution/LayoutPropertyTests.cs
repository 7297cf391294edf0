using static TypedGraph.Tests.Execution.ExecutionTestValues;
using static TypedGraph.Tests.Support.OpHarness;

namespace TypedGraph.Tests.Execution;

/// <summary>Transpose, Tile and Pad against naive index arithmetic on random shapes.</summary>
public class LayoutPropertyTests
{
    private static int[] Unravel(long flat, int[] dims)
    {
        var idx = new int[dims.Length];
        for (int d = dims.Length - 1; d >= 0; d--)
        {
            idx[d] = (int)(flat % dims[d]);
            flat /= dims[d];
        }
        return idx;
    }

    private static long Ravel(int[] idx, int[] dims)
    {
        long f = 0;
        for (int d = 0; d < dims.Length; d++) f = f * dims[d] + idx[d];
        return f;
    }

    /// <summary>The transposes TF's TransposeOp answers without moving data (identity, rank ≤ 1, only size-1 dims moved —
    /// dynamic_rnn's [batch, time, depth] → [time, batch, depth] at batch 1) give the same values and shapes as a real move.</summary>
    [Theory]
    [InlineData(new[] { 1, 4, 3 }, new[] { 1, 0, 2 })]
    [InlineData(new[] { 2, 1, 3 }, new[] { 1, 0, 2 })]
    [InlineData(new[] { 2, 1, 3 }, new[] { 0, 2, 1 })]
    [InlineData(new[] { 2, 3 }, new[] { 0, 1 })]
    [InlineData(new[] { 5 }, new[] { 0 })]
    [InlineData(new[] { 2, 1, 2, 1, 2 }, new[] { 0, 2, 4, 1, 3 })]
    public void DataPreservingTransposes_GiveTheMovedValues(int[] dims, int[] perm)
    {
        int n = dims.Aggregate(1, (a, b) => a * b);
        var x = Iota(n, dims);
        var t = Run1("Transpose", [x, I(perm)]);
        var tDims = perm.Select(p => dims[p]).ToArray();
        Assert.Equal(new TensorShape(tDims), t.Shape);
        // Only size-1 dims move, so row-major order is unchanged: the values are the input's, in order.
        Assert.Equal(x.ToArray<float>(), t.ToArray<float>());
    }

    [Fact]
    public void RandomTransposesTilesAndPads()
    {
        var rng = new Random(7);
        for (int trial = 0; trial < 60; trial++)
        {
            int rank = rng.Next(1, 5);
            var dims = Enumerable.Range(0, rank).Select(_ => rng.Next(1, 5)).ToArray();
            int n = dims.Aggregate(1, (a, b) => a * b);
            var x = Iota(n, dims);
            var xs = x.ToArray<float>();

            var perm = Enumerable.Range(0, rank).OrderBy(_ => rng.Next()).ToArray();
            var t = Run1("Transpose", [x, I(perm)]);
            var tDims = perm.Select(p => dims[p]).ToArray();
            Assert.Equal(new TensorShape(tDims), t.Shape);
            var ts = t.ToArray<float>();
            for (long f = 0; f < n; f++)
            {
                var o = Unravel(f, tDims);
                var src = new int[rank];
                for (int d = 0; d < rank; d++) src[perm[d]] = o[d];
                Assert.Equal(xs[Ravel(src, dims)], ts[f]);
            }

            var mult = Enumerable.Range(0, rank).Select(_ => rng.Next(1, 4)).ToArray();
            var tile = Run1("Tile", [x, I(mult)]);
            var tileDims = dims.Select((d, i) => d * mult[i]).ToArray();
            var tiles = tile.ToArray<float>();
            Assert.Equal(tileDims.Aggregate(1, (a, b) => a * b), tiles.Length);
            for (long f = 0; f < tiles.Length; f++)
            {
                var o = Unravel(f, tileDims);
                Assert.Equal(xs[Ravel(o.Select((v, d) => v % dims[d]).ToArray(), dims)], tiles[f]);
            }

            var pads = Enumerable.Range(0, 2 * rank).Select(_ => rng.Next(0, 3)).ToArray();
            var padded = Run1("Pad", [x, Tensor.Create(pads, rank, 2)]);
            var pDims = dims.Select((d, i) => d + pads[2 * i] + pads[2 * i + 1]).ToArray();
            var ps = padded.ToArray<float>();
            for (long f = 0; f < ps.Length; f++)
            {
                var o = Unravel(f, pDims);
                var src = o.Select((v, d) => v - pads[2 * d]).ToArray();
                bool inside = src.Select((v, d) => v >= 0 && v < dims[d]).All(b => b);
                Assert.Equal(inside ? xs[Ravel(src, dims)] : 0f, ps[f]);
            }
        }
    }
}
