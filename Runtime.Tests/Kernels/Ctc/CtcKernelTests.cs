using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using TypedGraph.Training;

namespace TypedGraph.Tests.Kernels.Ctc;

/// <summary>
/// CTCLoss, CTCGreedyDecoder and CTCBeamSearchDecoder (tensorflow/core/kernels/ctc_loss_op.cc, ctc_decoder_ops.cc)
/// against <see cref="CtcBruteForce"/> (all alignments enumerated) on tiny inputs, in TF's time-major layout.
/// </summary>
public sealed class CtcKernelTests
{
    private static double[][][] RandomLogits(int seed, int time, int batch, int classes)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, batch).Select(_ => Enumerable.Range(0, time).Select(_ => Enumerable.Range(0, classes).Select(_ => rng.NextDouble() * 4 - 2).ToArray()).ToArray()).ToArray();
    }

    /// <summary>[time, batch, classes] tensor from per-batch [time][classes] logits.</summary>
    private static Tensor TimeMajor(double[][][] perBatch, bool asFloat)
    {
        int batch = perBatch.Length, time = perBatch[0].Length, classes = perBatch[0][0].Length;
        var flat = new double[time * batch * classes];
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < time; t++)
                for (int k = 0; k < classes; k++) flat[(t * batch + b) * classes + k] = perBatch[b][t][k];
        return asFloat ? Tensor.Create(Array.ConvertAll(flat, v => (float)v), time, batch, classes) : Tensor.Create(flat, time, batch, classes);
    }

    private static (Tensor Indices, Tensor Values) SparseLabels(int[][] labels)
    {
        var ix = new List<long>();
        var vals = new List<int>();
        for (int b = 0; b < labels.Length; b++)
            for (int j = 0; j < labels[b].Length; j++) { ix.Add(b); ix.Add(j); vals.Add(labels[b][j]); }
        return (Tensor.Create(ix.ToArray(), vals.Count, 2), Tensor.Create(vals.ToArray(), vals.Count));
    }

    private static Tensor[] CtcLoss(double[][][] logits, int[][] labels, int[] lengths, bool merge = true, bool collapse = false, bool ignoreLonger = false)
    {
        var (ix, vals) = SparseLabels(labels);
        return OpHarness.Run("CTCLoss", [TimeMajor(logits, asFloat: false), ix, vals, Tensor.Create(lengths, lengths.Length)], 2,
            OpHarness.Attrs(("ctc_merge_repeated", merge), ("preprocess_collapse_repeated", collapse), ("ignore_longer_outputs_than_inputs", ignoreLonger)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void CtcLoss_EqualsMinusLogOfTheSumOverAllAlignments(bool mergeRepeated)
    {
        // Batch 0: a repeated label (needs a blank between its two copies when repeats merge); batch 1: shorter sequence.
        var logits = RandomLogits(1, 5, 2, 4);
        int[][] labels = [[1, 1, 0], [2, 0]];
        int[] lengths = [5, 4];
        var r = CtcLoss(logits, labels, lengths, merge: mergeRepeated);
        var loss = r[0].ToArray<double>();
        for (int b = 0; b < 2; b++)
        {
            double expected = CtcBruteForce.Loss(logits[b][..lengths[b]], labels[b], mergeRepeated);
            Assert.Equal(expected, loss[b], 10);
        }
    }

    [Fact]
    public void CtcLoss_PreprocessCollapseRepeated_DropsRepeatsFromTheLabels()
    {
        var logits = RandomLogits(2, 4, 1, 3);
        var r = CtcLoss(logits, [[0, 0, 1]], [4], collapse: true);
        Assert.Equal(CtcBruteForce.Loss(logits[0], [0, 1], mergeRepeated: true), r[0].ToArray<double>()[0], 10);
    }

    [Fact]
    public void CtcLoss_GradientOutput_IsTheDerivativeOfTheLossByTheLogits_AndZeroPastTheSequence()
    {
        var logits = RandomLogits(3, 4, 2, 3);
        int[][] labels = [[0, 1], [1]];
        int[] lengths = [4, 3];
        var grad = CtcLoss(logits, labels, lengths)[1].ToArray<double>();
        const int B = 2, C = 3;
        for (int b = 0; b < B; b++)
            for (int t = 0; t < 4; t++)
                for (int k = 0; k < C; k++)
                {
                    double g = grad[(t * B + b) * C + k];
                    if (t >= lengths[b]) { Assert.Equal(0, g); continue; }
                    var plus = logits[b].Select(r => (double[])r.Clone()).ToArray();
                    var minus = logits[b].Select(r => (double[])r.Clone()).ToArray();
                    plus[t][k] += 1e-5;
                    minus[t][k] -= 1e-5;
                    double numeric = (CtcBruteForce.Loss(plus[..lengths[b]], labels[b], true) - CtcBruteForce.Loss(minus[..lengths[b]], labels[b], true)) / 2e-5;
                    // TF computes the α·β/p term with expf even for double, so agreement is to float precision.
                    Assert.True(Math.Abs(numeric - g) < 1e-6, $"grad[{t},{b},{k}]: numeric {numeric}, kernel {g}");
                }
    }

    [Fact]
    public void CtcLossGradient_ThroughGradientsCompute_ScalesByTheIncomingLossGradient()
    {
        var logits = RandomLogits(4, 3, 2, 3);
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [3, 2, 3], "logits");
        var (ix, vals) = SparseLabels([[0], [1, 0]]);
        var node = b.AddOperation("CTCLoss", [x, b.Constant(ix), b.Constant(vals), b.Constant(Tensor.Create(new[] { 3, 3 }, 2))], null, "ctc");
        var loss = b.ReduceSum(b.Multiply(b.OutputOf(node, 0), b.Constant(new[] { 0.5f, -2f })), [0]);
        var g = Gradients.Compute(b, [loss], [x])[0]!.Value;
        Assert.Contains(b.Graph.Nodes, n => n.Op == "PreventGradient");
        using var s = new Session(b.Graph);
        var got = s.Run(g.Name, ("logits:0", TimeMajor(logits, asFloat: true))).ToArray<float>();
        int[][] labels = [[0], [1, 0]];
        double[] weights = [0.5, -2];
        for (int bb = 0; bb < 2; bb++)
            for (int t = 0; t < 3; t++)
                for (int k = 0; k < 3; k++)
                {
                    var plus = logits[bb].Select(r => Array.ConvertAll(r, v => (double)(float)v)).ToArray();
                    var minus = logits[bb].Select(r => Array.ConvertAll(r, v => (double)(float)v)).ToArray();
                    plus[t][k] += 1e-5;
                    minus[t][k] -= 1e-5;
                    double numeric = weights[bb] * (CtcBruteForce.Loss(plus, labels[bb], true) - CtcBruteForce.Loss(minus, labels[bb], true)) / 2e-5;
                    Assert.True(Math.Abs(numeric - got[(t * 2 + bb) * 3 + k]) < 1e-4, $"[{t},{bb},{k}]: numeric {numeric}, graph {got[(t * 2 + bb) * 3 + k]}");
                }
    }

    [Fact]
    public void CtcLoss_TFsErrors_ForTooShortInputEmptyLabelsAndUnsortedIndices()
    {
        var logits = RandomLogits(5, 2, 1, 3);
        var e = Assert.Throws<GraphExecutionException>(() => CtcLoss(logits, [[0, 1, 0]], [2]));
        Assert.Contains("Not enough time for target transition sequence (required: 3, available: 2)", e.Message);
        // With ignore_longer_outputs_than_inputs the entry gets loss 0 and a zero gradient.
        var r = CtcLoss(logits, [[0, 1, 0]], [2], ignoreLonger: true);
        Assert.Equal(0, r[0].ToArray<double>()[0]);
        Assert.All(r[1].ToArray<double>(), v => Assert.Equal(0, v));
        var two = RandomLogits(5, 2, 2, 3);
        e = Assert.Throws<GraphExecutionException>(() => CtcLoss(two, [[0], []], [2, 2]));
        Assert.Contains("Labels length is zero in batch 1", e.Message);
        var bad = OpHarness.Attrs(("ctc_merge_repeated", true));
        e = Assert.Throws<GraphExecutionException>(() => OpHarness.Run("CTCLoss",
            [TimeMajor(two, false), Tensor.Create(new long[] { 1, 0, 0, 0 }, 2, 2), Tensor.Create(new[] { 0, 1 }, 2), Tensor.Create(new[] { 2, 2 }, 2)], 2, bad));
        Assert.Contains("is out of order", e.Message);
    }

    [Theory]
    [InlineData(false, -1)]
    [InlineData(true, -1)]
    [InlineData(true, 0)]
    public void GreedyDecoder_TakesEachStepsArgmax_DropsBlanks_AndMergesRepeatsWhenAsked(bool merge, int blankIndex)
    {
        // Rows chosen so the argmax sequence is 1 1 2 0 1 (batch 0, all 5 steps) and 0 0 1 (batch 1, 3 steps).
        double[][] b0 = [[0, 3, 1], [0, 2, 1], [0, 1, 4], [5, 1, 1], [1, 3, 2]];
        double[][] b1 = [[4, 1, 1], [3, 0, 1], [0, 3, 2], [9, 9, 9], [9, 9, 9]];
        var r = OpHarness.Run("CTCGreedyDecoder", [TimeMajor([b0, b1], asFloat: true), Tensor.Create(new[] { 5, 3 }, 2)], 4,
            OpHarness.Attrs(("merge_repeated", merge), ("blank_index", blankIndex)));
        int blank = blankIndex < 0 ? 3 + blankIndex : blankIndex;
        var expected = new List<int>[2];
        int[][] argmax = [[1, 1, 2, 0, 1], [0, 0, 1]];
        for (int b = 0; b < 2; b++)
        {
            expected[b] = [];
            for (int t = 0; t < argmax[b].Length; t++)
                if (argmax[b][t] != blank && !(merge && t > 0 && argmax[b][t] == argmax[b][t - 1])) expected[b].Add(argmax[b][t]);
        }
        var ix = r[0].ToArray<long>();
        var vals = r[1].ToArray<long>();
        Assert.Equal(expected[0].Count + expected[1].Count, vals.Length);
        int o = 0;
        for (int b = 0; b < 2; b++)
            for (int j = 0; j < expected[b].Count; j++, o++)
            {
                Assert.Equal(b, ix[2 * o]);
                Assert.Equal(j, ix[2 * o + 1]);
                Assert.Equal(expected[b][j], vals[o]);
            }
        Assert.Equal(new long[] { 2, Math.Max(expected[0].Count, expected[1].Count) }, r[2].ToArray<long>());
        // log_probability = −Σ max logit over each entry's steps.
        Assert.Equal(new float[] { -(3 + 2 + 4 + 5 + 3), -(4 + 3 + 3) }, r[3].ToArray<float>());
    }

    [Fact]
    public void BeamSearch_WithAWideBeam_GivesTheBruteForceTopLabelingsAndTheirLogProbabilities()
    {
        // 3 steps of 2 labels + blank: at most 15 prefixes, so a beam of 16 never prunes and the prefix probabilities are exact.
        var logits = RandomLogits(6, 3, 2, 3);
        int[] lengths = [3, 2];
        const int top = 3;
        var r = OpHarness.Run("CTCBeamSearchDecoder", [TimeMajor(logits, asFloat: false), Tensor.Create(lengths, 2)], 3 * top + 1,
            OpHarness.Attrs(("beam_width", 16), ("top_paths", top), ("merge_repeated", false)));
        var logProb = r[3 * top].ToArray<double>();
        for (int b = 0; b < 2; b++)
        {
            var best = CtcBruteForce.Labelings(logits[b][..lengths[b]], mergeRepeated: true).OrderByDescending(kv => kv.Value).Take(top).ToList();
            for (int p = 0; p < top; p++)
            {
                var ix = r[p].ToArray<long>();
                var vals = r[top + p].ToArray<long>();
                var decoded = Enumerable.Range(0, vals.Length).Where(i => ix[2 * i] == b).Select(i => vals[i]).ToList();
                Assert.Equal(best[p].Key, string.Join(",", decoded));
                Assert.Equal(Math.Log(best[p].Value), logProb[b * top + p], 9);
            }
        }
    }

    [Fact]
    public void BeamSearch_MergeRepeated_CollapsesARepeatedLabelInTheOutput_AsTFDoes()
    {
        // Steps favour 0, blank, 0: the best labeling is "0 0"; merge_repeated=true (TF's default) reports it as "0".
        double[][] x = [[5, 0, 0], [0, 0, 5], [5, 0, 0]];
        foreach (var merge in new[] { false, true })
        {
            var r = OpHarness.Run("CTCBeamSearchDecoder", [TimeMajor([x], asFloat: true), Tensor.Create(new[] { 3 }, 1)], 4,
                OpHarness.Attrs(("beam_width", 8), ("top_paths", 1), ("merge_repeated", merge)));
            Assert.Equal(merge ? new long[] { 0 } : new long[] { 0, 0 }, r[1].ToArray<long>());
            double expected = Math.Log(CtcBruteForce.Labelings(x, mergeRepeated: true)["0,0"]);
            Assert.Equal(expected, r[3].ToArray<float>()[0], 5);
        }
    }

    [Fact]
    public void BeamSearch_MorePathsThanTheBeam_IsTFsError()
    {
        var logits = RandomLogits(7, 2, 1, 3);
        var e = Assert.Throws<GraphExecutionException>(() => OpHarness.Run("CTCBeamSearchDecoder", [TimeMajor(logits, true), Tensor.Create(new[] { 2 }, 1)], 7,
            OpHarness.Attrs(("beam_width", 1), ("top_paths", 2))));
        Assert.Contains("requested more paths than the beam width.", e.Message);
    }
}
