using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;

using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.TestTensors;

namespace TypedGraph.Tests.Kernels.Sampling;

/// <summary>
/// FixedUnigram / LearnedUnigram / ThreadUnsafeUnigram / All candidate samplers and ComputeAccidentalHits (TF's
/// candidate_sampler_ops.cc, range_sampler.cc, distribution_sampler.h, weighted_picker.cc): expected counts against
/// probabilities computed here from the weights (distortion, reserved ids, shards as range_sampler.cc builds them),
/// sample frequencies by chi-square, the exact draw order of DistributionSampler::Sample on a hand-built alias table,
/// the learned sampler's weight updates across runs of one session, and TF's error texts.
/// </summary>
public class UnigramCandidateSamplerTests
{
    private static double ChiSquare(long[] counts, double[] p)
    {
        long n = counts.Sum();
        double chi = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            if (p[i] == 0) { Assert.Equal(0, counts[i]); continue; }
            double e = p[i] * n;
            chi += (counts[i] - e) * (counts[i] - e) / e;
        }
        return chi;
    }

    private static Tensor[] Fixed(Tensor trueClasses, int numSampled, bool unique, long range, Action<NodeDef> extra)
        => Compute("FixedUnigramCandidateSampler", [trueClasses], 3, d =>
        {
            d.Attr["num_true"] = ExecGraph.Int(trueClasses.Shape[1]);
            d.Attr["num_sampled"] = ExecGraph.Int(numSampled);
            d.Attr["unique"] = ExecGraph.Bool(unique);
            d.Attr["range_max"] = ExecGraph.Int(range);
            d.Attr["seed"] = ExecGraph.Int(7);
            d.Attr["seed2"] = ExecGraph.Int(11);
            extra(d);
        });

    private static AttrValue Floats(params float[] v)
    {
        var a = new AttrValue { List = new AttrValue.Types.ListValue() };
        a.List.F.AddRange(v);
        return a;
    }

    [Fact]
    public void FixedUnigram_with_distortion_reserved_ids_and_shards_matches_the_weights()
    {
        // unigrams [1..6], 3 reserved ids, 2 shards, shard 1: reserved id 1 → weight 0; the unigram ids then start at 1
        // (the count of reserved ids kept, as range_sampler.cc does), so ids 1, 3, 5 → unigrams 1, 3, 5 are kept.
        // distortion 0.5 → weights [0, 1, √3, √5].
        double[] w = [0, 1, Math.Sqrt(3), Math.Sqrt(5)];
        double total = w.Sum();
        var p = w.Select(x => x / total).ToArray();
        const int n = 20000;
        var trueClasses = L([0, 1, 2, 3, 9, -1], 3, 2);
        var r = Fixed(trueClasses, n, unique: false, range: 4, d =>
        {
            d.Attr["unigrams"] = Floats(1, 2, 3, 4, 5, 6);
            d.Attr["distortion"] = ExecGraph.Float(0.5f);
            d.Attr["num_reserved_ids"] = ExecGraph.Int(3);
            d.Attr["num_shards"] = ExecGraph.Int(2);
            d.Attr["shard"] = ExecGraph.Int(1);
        });
        var sampled = r[0].ToArray<long>();
        var counts = new long[4];
        foreach (long v in sampled) counts[v]++;
        Assert.Equal(0, counts[0]); // the reserved id has weight 0
        Assert.True(ChiSquare(counts, p) < 30, $"chi2 {ChiSquare(counts, p)}"); // df 2
        Assert.True(ChiSquare(counts, [0, 1 / 3.0, 1 / 3.0, 1 / 3.0]) > 500);
        // Non-unique: expected count p·n; ids outside the weights have probability 0.
        var trueExpected = r[1].ToArray<float>();
        double[] pTrue = [p[0], p[1], p[2], p[3], 0, 0];
        for (int i = 0; i < 6; i++) Assert.Equal(pTrue[i] * n, trueExpected[i], Math.Max(1e-3, 1e-5 * pTrue[i] * n));
        var sampledExpected = r[2].ToArray<float>();
        for (int i = 0; i < 50; i++) Assert.Equal(p[sampled[i]] * n, sampledExpected[i], 1e-5 * n);
    }

    [Fact]
    public void FixedUnigram_draws_follow_DistributionSampler_RandFloat_then_Uniform()
    {
        // Weights [1, 3]: proportional [0.5, 1.5]; Walker pairs low 0 with high 1 (alias[0] = 1, bucket 1 left at
        // exactly 1). A draw takes r = RandFloat() then idx = Uniform(2) (one 32-bit word, masked as n is a power of
        // two): idx 1 → 1; idx 0 → 0 when r < 0.5, else 1. The op's stream is Philox(seed, seed2).
        var r = Fixed(L([0], 1, 1), 8, unique: false, range: 2, d => d.Attr["unigrams"] = Floats(1, 3));
        var rnd = new SimplePhilox(new Philox(7, 11));
        var expected = new long[8];
        for (int i = 0; i < 8; i++)
        {
            float u = Philox.ToFloat(rnd.Rand32());
            uint idx = rnd.Rand32() & 1;
            expected[i] = idx == 1 ? 1 : u < 0.5f ? 0 : 1;
        }
        Assert.Equal(expected, r[0].ToArray<long>());
        Assert.Equal([0.25f * 8], r[1].ToArray<float>());
    }

    [Fact]
    public void FixedUnigram_unique_counts_and_vocab_file_parsing()
    {
        // A CSV vocabulary: the last field of each line is the weight; "\r\n" endings and a final newline are fine.
        string path = Path.Combine(Path.GetTempPath(), $"tg_vocab_{Guid.NewGuid():N}.csv");
        try
        {
            File.WriteAllText(path, "the,5\r\nof,a,3\nand,2\nto, 0.5 \n");
            double[] w = [5, 3, 2, 0.5];
            double total = w.Sum();
            var r = Fixed(L([0, 3], 2, 1), 3, unique: true, range: 4, d => d.Attr["vocab_file"] = ExecGraph.Str(path));
            var sampled = r[0].ToArray<long>();
            Assert.Equal(3, sampled.Distinct().Count());
            var expected = r[2].ToArray<float>();
            // Each count is 1 − (1 − p)^tries for one integer number of tries ≥ 3.
            double p0 = w[sampled[0]] / total;
            long tries = (long)Math.Round(Math.Log(1 - expected[0]) / Math.Log(1 - p0));
            Assert.True(tries >= 3);
            for (int i = 0; i < 3; i++) Assert.Equal(1 - Math.Pow(1 - w[sampled[i]] / total, tries), expected[i], 1e-5);
            Assert.Equal(1 - Math.Pow(1 - w[3] / total, tries), r[1].ToArray<float>()[1], 1e-5);

            File.WriteAllText(path, "the,5\nof,x\n");
            Assert.Contains("Wrong vocabulary format at line: of,x",
                Assert.Throws<GraphExecutionException>(() => Fixed(L([0], 1, 1), 1, false, 2, d => d.Attr["vocab_file"] = ExecGraph.Str(path))).Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void FixedUnigram_errors_follow_tf()
    {
        Assert.Contains("Must provide either vocab_file or unigrams.", Assert.Throws<GraphExecutionException>(() => Fixed(L([0], 1, 1), 1, false, 2, _ => { })).Message);
        Assert.Contains("Must only provide one of vocab_file and unigrams.", Assert.Throws<GraphExecutionException>(() => Fixed(L([0], 1, 1), 1, false, 2, d =>
        {
            d.Attr["unigrams"] = Floats(1, 2);
            d.Attr["vocab_file"] = ExecGraph.Str("v.txt");
        })).Message);
        Assert.Contains("range is 3 must be equal to weights size  2", Assert.Throws<GraphExecutionException>(() => Fixed(L([0], 1, 1), 1, false, 3, d => d.Attr["unigrams"] = Floats(1, 2))).Message);
        Assert.Contains("Sampler's range is too small.", Assert.Throws<GraphExecutionException>(() => Fixed(L([0], 1, 1), 3, true, 2, d => d.Attr["unigrams"] = Floats(1, 2))).Message);
        // Unique sampling with fewer non-zero weights than num_sampled would never finish (TF spins to a CHECK): refused.
        Assert.Contains("non-zero probability", Assert.Throws<GraphExecutionException>(() => Fixed(L([0], 1, 1), 2, true, 3, d => d.Attr["unigrams"] = Floats(1, 0, 0))).Message);
        Assert.Contains("could not be read", Assert.Throws<GraphExecutionException>(() => Fixed(L([0], 1, 1), 1, false, 2, d => d.Attr["vocab_file"] = ExecGraph.Str("/nonexistent/vocab.csv"))).Message);
    }

    [Theory]
    [InlineData("LearnedUnigramCandidateSampler")]
    [InlineData("ThreadUnsafeUnigramCandidateSampler")]
    public void LearnedUnigram_weights_start_at_one_and_grow_with_the_true_classes_across_runs(string op)
    {
        const int range = 5, n = 20000;
        var g = new ExecGraph();
        var trueClasses = g.Const("true", L([2, 2, 4, 2], 2, 2));
        g.Op("s", op, [trueClasses], ("num_true", ExecGraph.Int(2)), ("num_sampled", ExecGraph.Int(n)), ("unique", ExecGraph.Bool(false)),
            ("range_max", ExecGraph.Int(range)), ("seed", ExecGraph.Int(3)), ("seed2", ExecGraph.Int(4)));
        using var s = new Session(g.Graph);
        // Run 1: every weight 1 → p = 1/5.
        var first = s.Run(["s:0", "s:1"]);
        Assert.All(first[1].ToArray<float>(), c => Assert.Equal(n / 5f, c, 1e-2f));
        // After run 1: weights [1, 1, 4, 1, 2] (2 three times, 4 once), total 9. Run 2 samples from them.
        double[] p = [1 / 9.0, 1 / 9.0, 4 / 9.0, 1 / 9.0, 2 / 9.0];
        var second = s.Run(["s:0", "s:1", "s:2"]);
        Assert.Equal(new float[] { (float)(p[2] * n), (float)(p[2] * n), (float)(p[4] * n), (float)(p[2] * n) }, second[1].ToArray<float>(),
            (a, b) => Math.Abs(a - b) <= 1e-3f * a);
        var counts = new long[range];
        foreach (long v in second[0].ToArray<long>()) counts[v]++;
        Assert.True(ChiSquare(counts, p) < 30, $"chi2 {ChiSquare(counts, p)}"); // df 4
        Assert.True(ChiSquare(counts, Enumerable.Repeat(0.2, 5).ToArray()) > 500);
        // Run 3 sees weights [1, 1, 7, 1, 3], total 13.
        Assert.Equal(7f / 13 * n, s.Run(["s:1"])[0].ToArray<float>()[0], 1e-3f * n);
    }

    [Fact]
    public void LearnedUnigram_refuses_true_classes_outside_the_range()
        => Assert.Contains("outside [0, 3)", Assert.Throws<GraphExecutionException>(() => Compute("LearnedUnigramCandidateSampler", [L([3], 1, 1)], 3, d =>
        {
            d.Attr["num_true"] = ExecGraph.Int(1); d.Attr["num_sampled"] = ExecGraph.Int(2);
            d.Attr["unique"] = ExecGraph.Bool(false); d.Attr["range_max"] = ExecGraph.Int(3);
        })).Message);

    [Fact]
    public void AllCandidateSampler_returns_every_id_with_expected_count_one()
    {
        var r = Compute("AllCandidateSampler", [L([4, 1, 0, 2], 2, 2)], 3, d =>
        {
            d.Attr["num_true"] = ExecGraph.Int(2); d.Attr["num_sampled"] = ExecGraph.Int(5); d.Attr["unique"] = ExecGraph.Bool(true);
        });
        Assert.Equal([0L, 1, 2, 3, 4], r[0].ToArray<long>());
        Assert.Equal(new TensorShape(2, 2), r[1].Shape);
        Assert.All(r[1].ToArray<float>(), c => Assert.Equal(1f, c));
        Assert.All(r[2].ToArray<float>(), c => Assert.Equal(1f, c));
    }

    [Fact]
    public void ComputeAccidentalHits_lists_true_classes_found_among_the_samples()
    {
        // Rows [3, 7], [7, 1], [9, 3]; sampled [7, 2, 3, 7]: 7 last at position 3, 3 at 2.
        var r = Compute("ComputeAccidentalHits", [L([3, 7, 7, 1, 9, 3], 3, 2), L([7, 2, 3, 7])], 3, d => d.Attr["num_true"] = ExecGraph.Int(2));
        Assert.Equal([0, 0, 1, 2], r[0].ToArray<int>());
        Assert.Equal([2L, 3, 3, 2], r[1].ToArray<long>());
        Assert.All(r[2].ToArray<float>(), wgt => Assert.Equal(-float.MaxValue, wgt));
        Assert.Contains("true_candidates must be a batch_size * num_true matrix", Assert.Throws<GraphExecutionException>(
            () => Compute("ComputeAccidentalHits", [L([3, 7], 1, 2), L([7])], 3, d => d.Attr["num_true"] = ExecGraph.Int(1))).Message);
    }
}
