using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;

using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.TestTensors;

namespace TypedGraph.Tests.Kernels.Sampling;

/// <summary>
/// Multinomial/StatelessMultinomial and the uniform/log-uniform candidate samplers: sample frequencies against the
/// exact distribution with a chi-square bound at p ≈ 1e-6 (and a check that the same counts are far outside the
/// bound for a wrong distribution, so the bound has power), plus seeding determinism and TF's error texts.
/// </summary>
public class SamplingKernelTests
{
    /// <summary>Pearson's chi-square statistic of <paramref name="counts"/> against probabilities <paramref name="p"/>.</summary>
    private static double ChiSquare(long[] counts, double[] p)
    {
        long n = counts.Sum();
        double chi = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            double e = p[i] * n;
            chi += (counts[i] - e) * (counts[i] - e) / e;
        }
        return chi;
    }

    private static long[] Histogram(IEnumerable<long> values, int bins)
    {
        var c = new long[bins];
        foreach (long v in values) c[v]++;
        return c;
    }

    private static (string, AttrValue)[] Seeds(long seed, long seed2) => [("seed", ExecGraph.Int(seed)), ("seed2", ExecGraph.Int(seed2))];

    [Fact]
    public void Multinomial_SampleFrequencies_MatchSoftmax_NegInfClassNeverDrawn()
    {
        // Row 0: 5 classes, one -inf; row 1: large logits (the max subtraction keeps exp finite).
        float[] logits = [1f, 0f, float.NegativeInfinity, 2f, -0.5f, 1000f, 1001f, 999f, 1000.5f, 998f];
        const int n = 20000;
        var o = Run("Multinomial", [F(logits, 2, 5), Tensor.FromScalar(n)], 1,
            [.. Seeds(17, 5), ("output_dtype", ExecGraph.Type(DataType.DtInt64))])[0];
        Assert.Equal(new TensorShape(2, n), o.Shape);
        var s = o.ToArray<long>();
        for (int row = 0; row < 2; row++)
        {
            var x = logits.Skip(row * 5).Take(5).Select(v => (double)v).ToArray();
            double max = x.Where(double.IsFinite).Max();
            double z = x.Where(double.IsFinite).Sum(v => Math.Exp(v - max));
            double[] p = x.Select(v => double.IsFinite(v) ? Math.Exp(v - max) / z : 0).ToArray();
            var counts = Histogram(s.Skip(row * n).Take(n), 5);
            if (row == 0) Assert.Equal(0, counts[2]);
            var finite = Enumerable.Range(0, 5).Where(j => p[j] > 0).ToArray();
            var fc = finite.Select(j => counts[j]).ToArray();
            var fp = finite.Select(j => p[j]).ToArray();
            Assert.True(ChiSquare(fc, fp) < 35, $"row {row}: chi2 {ChiSquare(fc, fp)} over the df={finite.Length - 1} bound"); // df 3: p ≈ 1e-7; df 4: 35 is p ≈ 4e-7
            Assert.True(ChiSquare(fc, fp.Select(_ => 1.0 / fp.Length).ToArray()) > 1000); // a uniform draw would fail
        }
    }

    [Fact]
    public void Multinomial_SeededOp_IsReproducible_AndContinuesItsStreamAcrossRuns()
    {
        Tensor[] RunTwice(long seed, long seed2)
        {
            var g = new ExecGraph();
            var l = g.Const("l", F([0f, 0.5f, 1f, 1.5f], 1, 4));
            var k = g.Const("k", Tensor.FromScalar(64));
            g.Op("m", "Multinomial", [l, k], Seeds(seed, seed2));
            using var session = new Session(g.Graph);
            return [session.Run(["m:0"])[0], session.Run(["m:0"])[0]];
        }
        var a = RunTwice(3, 9);
        var b = RunTwice(3, 9);
        Assert.Equal(a[0].ToArray<long>(), b[0].ToArray<long>());
        Assert.Equal(a[1].ToArray<long>(), b[1].ToArray<long>());
        Assert.NotEqual(a[0].ToArray<long>(), a[1].ToArray<long>());
        Assert.NotEqual(a[0].ToArray<long>(), RunTwice(4, 9)[0].ToArray<long>());
    }

    [Fact]
    public void StatelessMultinomial_SameSeedSameSamples_FrequenciesMatch_AndInt32Output()
    {
        float[] logits = [0.2f, -1f, 0.7f];
        Tensor Draw(long s0, long s1, int n = 30000) => Compute1("StatelessMultinomial",
            [F(logits, 1, 3), Tensor.FromScalar(n), L([s0, s1])], ("output_dtype", ExecGraph.Type(DataType.DtInt32)));
        var first = Draw(1, 2);
        Assert.Equal(DataType.DtInt32, first.DType);
        Assert.Equal(first.ToArray<int>(), Draw(1, 2).ToArray<int>());
        Assert.NotEqual(first.ToArray<int>(), Draw(2, 1).ToArray<int>());
        double z = logits.Sum(v => Math.Exp(v));
        double[] p = logits.Select(v => Math.Exp(v) / z).ToArray();
        var counts = Histogram(first.ToArray<int>().Select(v => (long)v), 3);
        Assert.True(ChiSquare(counts, p) < 27.6, $"chi2 {ChiSquare(counts, p)}"); // df 2: p ≈ 1e-6
        Assert.True(ChiSquare(counts, [1 / 3.0, 1 / 3.0, 1 / 3.0]) > 1000);
        // The seed scramble is GenerateKey's: one Philox call on counter (seed0, seed1) under key (0x3ec8f720, 0x02461e29).
        var scramble = new Philox(0x02461e29_3ec8f720UL, 2);
        scramble.Skip(1);
        var (m0, m1, m2, m3) = scramble.Next();
        var expectedStart = new Philox(m0 | (ulong)m1 << 32, m2 | (ulong)m3 << 32).Next();
        Assert.Equal(expectedStart, GuardedPhilox.StatelessGenerator(1, 2).Next());
    }

    [Fact]
    public void Multinomial_BadInput_FailsWithTfMessages()
    {
        Assert.Contains("logits should be a matrix", Assert.Throws<GraphExecutionException>(
            () => Compute1("Multinomial", [F([1f, 2f]), Tensor.FromScalar(3)])).Message);
        Assert.Contains("num_samples should be non-negative, got -1", Assert.Throws<GraphExecutionException>(
            () => Compute1("Multinomial", [F([1f, 2f], 1, 2), Tensor.FromScalar(-1)])).Message);
        Assert.Contains("num_classes should be positive, got 0", Assert.Throws<GraphExecutionException>(
            () => Compute1("Multinomial", [F([], 2, 0), Tensor.FromScalar(1)])).Message);
        Assert.Contains("seed must have shape [2]", Assert.Throws<GraphExecutionException>(
            () => Compute1("StatelessMultinomial", [F([1f, 2f], 1, 2), Tensor.FromScalar(1), L([1, 2, 3])])).Message);
        Assert.Equal(new TensorShape(3, 0), Compute1("Multinomial", [F([1f, 2f, 3f], 3, 1), Tensor.FromScalar(0)]).Shape);
    }

    private static Tensor[] Sample(string op, Tensor trueClasses, int numSampled, bool unique, long range, long seed = 7)
        => Compute(op, [trueClasses], 3, d =>
        {
            d.Attr["num_true"] = ExecGraph.Int(trueClasses.Shape[1]);
            d.Attr["num_sampled"] = ExecGraph.Int(numSampled);
            d.Attr["unique"] = ExecGraph.Bool(unique);
            d.Attr["range_max"] = ExecGraph.Int(range);
            d.Attr["seed"] = ExecGraph.Int(seed);
            d.Attr["seed2"] = ExecGraph.Int(11);
        });

    [Theory]
    [InlineData("UniformCandidateSampler")]
    [InlineData("LogUniformCandidateSampler")]
    public void CandidateSampler_WithReplacement_FrequenciesAndExpectedCountsAreExact(string op)
    {
        const int range = 20, n = 20000;
        bool log = op.StartsWith("Log", StringComparison.Ordinal);
        double P(long v) => log ? Math.Log((v + 2.0) / (v + 1.0)) / Math.Log(range + 1.0) : 1.0 / range;
        var trueClasses = L([0, 3, 19, 7], 2, 2);
        var r = Sample(op, trueClasses, n, unique: false, range);
        var sampled = r[0].ToArray<long>();
        Assert.All(sampled, v => Assert.InRange(v, 0, range - 1));
        var p = Enumerable.Range(0, range).Select(v => P(v)).ToArray();
        Assert.Equal(1.0, p.Sum(), 12);
        var counts = Histogram(sampled, range);
        Assert.True(ChiSquare(counts, p) < 60, $"chi2 {ChiSquare(counts, p)}"); // df 19: p ≈ 4e-6
        var wrong = log ? Enumerable.Repeat(1.0 / range, range).ToArray() : Enumerable.Range(0, range).Select(v => Math.Log((v + 2.0) / (v + 1.0)) / Math.Log(range + 1.0)).ToArray();
        Assert.True(ChiSquare(counts, wrong) > 1000);
        // Without uniqueness the expected count is p * num_sampled.
        Assert.Equal(new TensorShape(2, 2), r[1].Shape);
        Assert.Equal(trueClasses.ToArray<long>().Select(v => (float)(P(v) * n)).ToArray(), r[1].ToArray<float>(), (a, b) => Math.Abs(a - b) <= 1e-3f * Math.Max(1, a));
        Assert.Equal(sampled.Select(v => (float)(P(v) * n)).ToArray(), r[2].ToArray<float>(), (a, b) => Math.Abs(a - b) <= 1e-3f * Math.Max(1, a));
    }

    [Theory]
    [InlineData("UniformCandidateSampler")]
    [InlineData("LogUniformCandidateSampler")]
    public void CandidateSampler_Unique_GivesDistinctIds_AndCountsFromOneTryNumber(string op)
    {
        const int range = 50, n = 30;
        bool log = op.StartsWith("Log", StringComparison.Ordinal);
        double P(long v) => log ? Math.Log((v + 2.0) / (v + 1.0)) / Math.Log(range + 1.0) : 1.0 / range;
        var r = Sample(op, L([1, 2, 40], 3, 1), n, unique: true, range);
        var sampled = r[0].ToArray<long>();
        Assert.Equal(n, sampled.Distinct().Count());
        Assert.All(sampled, v => Assert.InRange(v, 0, range - 1));
        // Every expected count is 1 - (1 - p)^tries for one integer tries >= n (the draws it took).
        var expected = r[2].ToArray<float>();
        double tries = Math.Log(1 - expected[0]) / Math.Log(1 - P(sampled[0]));
        long t = (long)Math.Round(tries);
        Assert.True(t >= n, $"tries {tries}");
        for (int i = 0; i < n; i++) Assert.Equal(1 - Math.Pow(1 - P(sampled[i]), t), expected[i], 1e-4);
        var trueCounts = r[1].ToArray<float>();
        long[] ids = [1, 2, 40];
        for (int i = 0; i < 3; i++) Assert.Equal(1 - Math.Pow(1 - P(ids[i]), t), trueCounts[i], 1e-4);
        // Same seeds → same candidates; other seed → others.
        Assert.Equal(sampled, Sample(op, L([1, 2, 40], 3, 1), n, true, range)[0].ToArray<long>());
        Assert.NotEqual(sampled, Sample(op, L([1, 2, 40], 3, 1), n, true, range, seed: 8)[0].ToArray<long>());
    }

    [Fact]
    public void CandidateSampler_BadInput_FailsWithTfMessages()
    {
        Assert.Contains("Sampler's range is too small.", Assert.Throws<GraphExecutionException>(
            () => Sample("UniformCandidateSampler", L([1], 1, 1), 6, unique: true, range: 5)).Message);
        Assert.Contains("true_classes must be a matrix", Assert.Throws<GraphExecutionException>(
            () => Compute("UniformCandidateSampler", [L([1, 2])], 3, d =>
            {
                d.Attr["num_true"] = ExecGraph.Int(2); d.Attr["num_sampled"] = ExecGraph.Int(1);
                d.Attr["unique"] = ExecGraph.Bool(false); d.Attr["range_max"] = ExecGraph.Int(5);
            })).Message);
        Assert.Contains("true_classes must have num_true columns", Assert.Throws<GraphExecutionException>(
            () => Compute("UniformCandidateSampler", [L([1, 2], 1, 2)], 3, d =>
            {
                d.Attr["num_true"] = ExecGraph.Int(1); d.Attr["num_sampled"] = ExecGraph.Int(1);
                d.Attr["unique"] = ExecGraph.Bool(false); d.Attr["range_max"] = ExecGraph.Int(5);
            })).Message);
    }
}
