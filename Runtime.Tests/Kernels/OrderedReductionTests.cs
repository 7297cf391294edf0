using TypedGraph.Kernels.Simd;

namespace TypedGraph.Tests.Kernels;

/// <summary>
/// Reductions give the same bits wherever the values sit in memory (a tensor's buffer lands at a different address on
/// every run), and agree with a double-precision sum.
/// </summary>
public sealed class OrderedReductionTests
{
    [Theory]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(1000)]
    [InlineData(4099)]
    public void SumDotAndSquares_AreTheSameBitsAtEveryAlignment(int n)
    {
        var r = new Random(n);
        var values = Enumerable.Range(0, n).Select(_ => (r.NextSingle() - 0.5f) * MathF.Pow(10, r.Next(-3, 4))).ToArray();
        var other = Enumerable.Range(0, n).Select(_ => r.NextSingle() - 0.5f).ToArray();
        float sum0 = 0, dot0 = 0, sq0 = 0;
        // The same values copied to 16 different offsets of a buffer: every float alignment within a 64-byte line.
        for (int offset = 0; offset < 16; offset++)
        {
            var buf = new float[n + 16];
            var buf2 = new float[n + 16];
            values.CopyTo(buf, offset);
            other.CopyTo(buf2, 15 - offset);
            var x = buf.AsSpan(offset, n);
            var y = buf2.AsSpan(15 - offset, n);
            float sum = OrderedReductions.Sum<float>(x), dot = OrderedReductions.Dot<float>(x, y), sq = OrderedReductions.SumOfSquares<float>(x);
            if (offset == 0) (sum0, dot0, sq0) = (sum, dot, sq);
            Assert.Equal(BitConverter.SingleToInt32Bits(sum0), BitConverter.SingleToInt32Bits(sum));
            Assert.Equal(BitConverter.SingleToInt32Bits(dot0), BitConverter.SingleToInt32Bits(dot));
            Assert.Equal(BitConverter.SingleToInt32Bits(sq0), BitConverter.SingleToInt32Bits(sq));
        }
        double refSum = values.Sum(v => (double)v), refDot = values.Zip(other, (a, b) => (double)a * b).Sum(), refSq = values.Sum(v => (double)v * v);
        double scale = values.Sum(v => Math.Abs((double)v));
        Assert.True(Math.Abs(sum0 - refSum) <= 1e-6 * scale * Math.Sqrt(n), $"sum {sum0} vs {refSum}");
        Assert.True(Math.Abs(dot0 - refDot) <= 1e-6 * values.Zip(other, (a, b) => Math.Abs((double)a * b)).Sum() * Math.Sqrt(n), $"dot {dot0} vs {refDot}");
        Assert.True(Math.Abs(sq0 - refSq) <= 1e-6 * refSq * Math.Sqrt(n), $"sum of squares {sq0} vs {refSq}");
    }

    [Fact]
    public void DoubleSumAndProduct_MatchIndexOrderReferences()
    {
        var x = Enumerable.Range(1, 37).Select(i => 1.0 + i * 1e-3).ToArray();
        Assert.Equal(x.Sum(), OrderedReductions.Sum<double>(x), 12);
        double prod = 1;
        foreach (var v in x) prod *= v;
        Assert.Equal(prod, OrderedReductions.Product<double>(x));
        Assert.Equal(0.0, OrderedReductions.Sum<double>([]));
        Assert.Equal(1.0, OrderedReductions.Product<double>([]));
        Assert.Equal(6, OrderedReductions.Sum<int>([1, 2, 3]));
    }
}
