using TypedGraph.Kernels.Simd;

namespace TypedGraph.Tests.Kernels;

/// <summary>
/// <see cref="Gemm.ForceVector256"/> is process-wide, so while a test here sets it every other GEMM in the process takes
/// the AVX2 kernels (another summation order): the class runs alone, not beside tests that compare GEMM results with
/// earlier ones (ConcurrencyAndPoolingTests failed that way once in a full run).
/// </summary>
[CollectionDefinition("Gemm", DisableParallelization = true)]
public sealed class GemmCollection;

[Collection("Gemm")]
public class GemmTests
{
    private static float[] Naive(bool ta, bool tb, int m, int n, int k, float[] a, float[] b, float[]? c0)
    {
        var c = new float[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = c0?[i * n + j] ?? 0;
                for (int p = 0; p < k; p++)
                    s += (double)(ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
                c[i * n + j] = (float)s;
            }
        return c;
    }

    /// <summary>Runs <paramref name="test"/> with the AVX-512 kernels (where the machine has them) and with the AVX2 ones.</summary>
    private static void OnBothWidths(Action<bool> test)
    {
        foreach (bool use256 in new[] { false, true })
        {
            Gemm.ForceVector256 = use256;
            try
            {
                test(use256);
            }
            finally { Gemm.ForceVector256 = false; }
        }
    }

    private static float[] Random(Random r, int len)
    {
        var x = new float[len];
        for (int i = 0; i < len; i++) x[i] = (float)(r.NextDouble() * 2 - 1);
        return x;
    }

    [Fact]
    public void HandComputed2x3Times3x2()
    {
        float[] a = [1, 2, 3, 4, 5, 6];
        float[] b = [7, 8, 9, 10, 11, 12];
        var c = new float[4];
        Gemm.Sgemm(false, false, 2, 2, 3, a, b, c);
        Assert.Equal([58f, 64f, 139f, 154f], c);
        // Accumulate adds onto what is there.
        Gemm.Sgemm(false, false, 2, 2, 3, a, b, c, accumulate: true);
        Assert.Equal([116f, 128f, 278f, 308f], c);
    }

    [Fact]
    public void ZeroDepthClearsOrKeeps()
    {
        var c = new float[] { 5, 5 };
        Gemm.Sgemm(false, false, 1, 2, 0, [], [], c, accumulate: true);
        Assert.Equal([5f, 5f], c);
        Gemm.Sgemm(false, false, 1, 2, 0, [], [], c);
        Assert.Equal([0f, 0f], c);
    }

    [Fact]
    public void ShortSpansAreRejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 2, 2, 2, new float[3], new float[4], new float[4]));
        Assert.Contains("m=2", ex.Message);
    }

    public static TheoryData<int, int, int> Shapes => new()
    {
        { 1, 1, 1 }, { 1, 7, 3 }, { 3, 1, 5 }, { 2, 33, 17 }, { 4, 130, 784 }, { 5, 17, 1 }, { 8, 32, 256 },
        { 9, 33, 257 }, { 17, 65, 300 }, { 64, 128, 784 }, { 100, 10, 128 }, { 129, 47, 513 }, { 7, 2100, 9 },
        { 300, 70, 40 }, { 30, 100, 784 },
        // Short A (GemmSmall): one row across the 128-, 64- and 16-wide blocks and the scalar tail; 2–3 rows (missing rows of the 4-row block).
        { 1, 211, 50 }, { 1, 128, 784 }, { 1, 10, 128 }, { 1, 13, 1 }, { 1, 19, 2 }, { 2, 150, 31 }, { 3, 81, 9 }, { 3, 64, 1 },
        // C narrower than one vector with more rows (4-row groups), incl. a column split whose second part is 8 wide.
        { 64, 10, 128 }, { 13, 1, 40 }, { 6, 15, 1 }, { 9, 40, 3000 },
        // … and 8-row groups (GemmSmall.NarrowRows8) followed by 4-row groups and a last partial group.
        { 21, 7, 33 }, { 8, 15, 1000 }, { 67, 3, 5 },
        // Row split over the cores with B packed once and shared (parts over Gemm.ShortRowPart rows: two depth blocks, partial
        // panels and rows); short row parts that split the columns instead (a batch of 64 times 784×200, 130-row parts; with
        // transA only for 40×64).
        { 600, 70, 300 }, { 64, 200, 784 }, { 260, 300, 300 }, { 40, 64, 600 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MatchesNaiveForAllTransposes(int m, int n, int k)
    {
        var r = new Random(m * 1000 + n * 10 + k);
        var a = Random(r, m * k);
        var b = Random(r, k * n);
        var c0 = Random(r, m * n);
        OnBothWidths(use256 =>
        {
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                    foreach (bool acc in new[] { false, true })
                    {
                        var expected = Naive(ta, tb, m, n, k, a, b, acc ? c0 : null);
                        var c = (float[])c0.Clone();
                        Gemm.Sgemm(ta, tb, m, n, k, a, b, c, acc);
                        for (int i = 0; i < c.Length; i++)
                            Assert.True(Math.Abs(c[i] - expected[i]) <= 1e-4f * (1 + k / 64f),
                                $"m={m} n={n} k={k} ta={ta} tb={tb} acc={acc} v256={use256}: c[{i}]={c[i]} expected {expected[i]}");
                        var cs = (float[])c0.Clone();
                        Gemm.SgemmSerial(ta, tb, m, n, k, a, b, cs, acc);
                        for (int i = 0; i < cs.Length; i++)
                            Assert.True(Math.Abs(cs[i] - expected[i]) <= 1e-4f * (1 + k / 64f), $"serial c[{i}]={cs[i]} expected {expected[i]}");
                    }
        });
    }

    [Theory]
    [InlineData(1, 512, 256)]
    [InlineData(3, 400, 400)]
    [InlineData(1, 1024, 300)]
    [InlineData(1, 700, 400)]
    [InlineData(1, 1200, 600)]
    [InlineData(2, 520, 600)]
    [InlineData(3, 257, 1100)]
    public void ShortAColumnSplitIsBitIdenticalToOneCore(int m, int n, int k)
    {
        // B of 512 KiB or more with ≤ 4 rows of A: the columns are split across the cores (Gemm.ShortAParallelB); each column is
        // the same chain of operations whichever core computes it, so not a bit may change.
        var r = new Random(m * 7 + n * 3 + k);
        var a = Random(r, m * k);
        var b = Random(r, k * n);
        OnBothWidths(use256 =>
        {
            foreach (bool tb in new[] { false, true })
            {
                var serial = new float[m * n];
                var split = new float[m * n];
                Gemm.SgemmSerial(false, tb, m, n, k, a, b, serial);
                Gemm.Sgemm(false, tb, m, n, k, a, b, split);
                var expected = Naive(false, tb, m, n, k, a, b, null);
                for (int i = 0; i < split.Length; i++)
                {
                    Assert.True(BitConverter.SingleToInt32Bits(serial[i]) == BitConverter.SingleToInt32Bits(split[i]),
                        $"m={m} n={n} k={k} tb={tb} v256={use256}: c[{i}] {split[i]} on the cores, {serial[i]} on one");
                    Assert.True(Math.Abs(split[i] - expected[i]) <= 1e-4f * (1 + k / 64f), $"c[{i}]={split[i]} expected {expected[i]}");
                }
            }
        });
    }

    [Theory]
    [InlineData(1, 37, 256)]
    [InlineData(1, 20, 50)]
    [InlineData(3, 19, 129)]
    [InlineData(4, 9, 7)]
    public void TransposedBShortARoundsTheSameWhereverTheValuesSit(int m, int n, int k)
    {
        // A · Bᵀ with few rows (matrix-vector products, attention scores of one query): a column's bits must not depend on
        // the buffers' alignment or on which group of columns it was computed with.
        var r = new Random(m + n + k);
        var a = Random(r, m * k);
        var b = Random(r, n * k);
        OnBothWidths(use256 =>
        {
            var whole = new float[m * n];
            Gemm.SgemmSerial(false, true, m, n, k, a, b, whole);
            var expected = Naive(false, true, m, n, k, a, b, null);
            for (int i = 0; i < whole.Length; i++)
                Assert.True(Math.Abs(whole[i] - expected[i]) <= 1e-4f * (1 + k / 64f), $"c[{i}]={whole[i]} expected {expected[i]}");
            // The same operands one float further into their buffers (another alignment).
            var a1 = new float[m * k + 1];
            var b1 = new float[n * k + 1];
            a.CopyTo(a1, 1);
            b.CopyTo(b1, 1);
            var shifted = new float[m * n];
            Gemm.SgemmSerial(false, true, m, n, k, a1.AsSpan(1), b1.AsSpan(1), shifted);
            // Columns 3.. alone: each lands in another group of eight (or none).
            int from = Math.Min(3, n - 1), cols = n - from;
            var part = new float[m * cols];
            Gemm.SgemmSerial(false, true, m, cols, k, a, b.AsSpan(from * k), part);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    int w = BitConverter.SingleToInt32Bits(whole[i * n + j]);
                    Assert.True(w == BitConverter.SingleToInt32Bits(shifted[i * n + j]), $"v256={use256} c[{i},{j}] moved with the buffers");
                    if (j >= from)
                        Assert.True(w == BitConverter.SingleToInt32Bits(part[i * cols + j - from]), $"v256={use256} c[{i},{j}] changed with its column group");
                }
        });
    }

    [Theory]
    [InlineData(3, 5, 7)]
    [InlineData(50, 64, 800)]
    [InlineData(19, 2100, 260)]
    [InlineData(9, 33, 25)]
    public void PrepackedBMatchesNaive(int m, int n, int k)
    {
        var r = new Random(m + n + k);
        var a = Random(r, m * k);
        var b = Random(r, k * n);
        OnBothWidths(use256 =>
        {
            using var packed = Gemm.PackB(false, k, n, b);
            foreach (bool ta in new[] { false, true })
            {
                var c = new float[m * n];
                Gemm.SgemmPackedSerial(ta, m, n, k, a, b, packed, c);
                var expected = Naive(ta, false, m, n, k, a, b, null);
                for (int i = 0; i < c.Length; i++)
                    Assert.True(Math.Abs(c[i] - expected[i]) <= 1e-4f * (1 + k / 64f), $"m={m} n={n} k={k} ta={ta}: c[{i}]={c[i]} vs {expected[i]}");
            }
        });
    }
}
