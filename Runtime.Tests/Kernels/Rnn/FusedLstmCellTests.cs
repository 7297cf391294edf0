using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using TypedGraph.Training;

namespace TypedGraph.Tests.Kernels.Rnn;

/// <summary>
/// LSTMBlockCell, BlockLSTM and BlockLSTMV2 (tensorflow/core/kernels/rnn/lstm_ops.cc) against <see cref="LstmReference"/>,
/// and their gradients (LSTMBlockCellGrad / BlockLSTMGrad(V2) + the registered Python gradients) against central
/// differences of that double reference.
/// </summary>
public sealed class FusedLstmCellTests
{
    private const int I = 3, C = 2, B = 2;

    private static LstmReference.Params RandomParams(int seed, int time, double peepScale = 0.5)
    {
        var rng = new Random(seed);
        return new LstmReference.Params(LstmReference.Rand(rng, time * B * I, 1), LstmReference.Rand(rng, B * C, 0.8), LstmReference.Rand(rng, B * C, 0.8),
            LstmReference.Rand(rng, (I + C) * 4 * C, 0.7), LstmReference.Rand(rng, C, peepScale), LstmReference.Rand(rng, C, peepScale),
            LstmReference.Rand(rng, C, peepScale), LstmReference.Rand(rng, 4 * C, 0.5));
    }

    private static Tensor[] Inputs(LstmReference.Params p, int time, bool block)
    {
        var list = new List<Tensor>
        {
            block ? Tensor.Create(LstmReference.F32(p.X), time, B, I) : Tensor.Create(LstmReference.F32(p.X), B, I),
            Tensor.Create(LstmReference.F32(p.Cs0), B, C), Tensor.Create(LstmReference.F32(p.H0), B, C),
            Tensor.Create(LstmReference.F32(p.W), I + C, 4 * C), Tensor.Create(LstmReference.F32(p.Wci), C),
            Tensor.Create(LstmReference.F32(p.Wcf), C), Tensor.Create(LstmReference.F32(p.Wco), C), Tensor.Create(LstmReference.F32(p.B), 4 * C),
        };
        return list.ToArray();
    }

    private static void AssertOutputs(double[][] expected, Tensor[] actual, double tol = 2e-6)
    {
        string[] names = ["i", "cs", "f", "o", "ci", "co", "h"];
        for (int k = 0; k < 7; k++)
        {
            var a = actual[k].ToArray<float>();
            Assert.Equal(expected[k].Length, a.Length);
            for (int e = 0; e < a.Length; e++)
                Assert.True(Math.Abs(expected[k][e] - a[e]) <= tol, $"{names[k]}[{e}]: expected {expected[k][e]}, got {a[e]}");
        }
    }

    [Fact]
    public void LstmBlockCell_SevenOutputs_MatchDoubleCell_WithPeepholesForgetBiasAndClip()
    {
        var p = RandomParams(1, 1);
        var attrs = OpHarness.Attrs(("forget_bias", 0.7f), ("cell_clip", 0.3f), ("use_peephole", true));
        var outs = OpHarness.Run("LSTMBlockCell", Inputs(p, 1, block: false), 7, attrs);
        AssertOutputs(LstmReference.Run(p, 1, B, I, C, 0.7, 0.3, peephole: true, ifco: false, seqLenMax: 1), outs);
        // The clip is exercised: some cell state sits exactly at ±0.3.
        Assert.Contains(outs[1].ToArray<float>(), v => Math.Abs(v) == 0.3f);
    }

    [Fact]
    public void LstmBlockCell_NegativeClipMeansNoClip_AndPeepholesIgnoredWhenOff()
    {
        var p = RandomParams(2, 1, peepScale: 3);
        var attrs = OpHarness.Attrs(("forget_bias", 1f), ("cell_clip", -1f), ("use_peephole", false));
        var outs = OpHarness.Run("LSTMBlockCell", Inputs(p, 1, block: false), 7, attrs);
        AssertOutputs(LstmReference.Run(p, 1, B, I, C, 1, -1, peephole: false, ifco: false, seqLenMax: 1), outs);
    }

    [Fact]
    public void BlockLstm_MatchesTheCellLoop_AndZeroesCsAndHPastSeqLenMax()
    {
        const int T = 4;
        var p = RandomParams(3, T);
        var attrs = OpHarness.Attrs(("forget_bias", 0.5f), ("cell_clip", 0.6f), ("use_peephole", true));
        var outs = OpHarness.Run("BlockLSTM", [Tensor.FromScalar(2L), .. Inputs(p, T, block: true)], 7, attrs);
        var expected = LstmReference.Run(p, T, B, I, C, 0.5, 0.6, peephole: true, ifco: false, seqLenMax: 2);
        AssertOutputs(expected, outs);
        foreach (var k in new[] { 1, 6 })
            Assert.All(outs[k].ToArray<float>()[(2 * B * C)..], v => Assert.Equal(0f, v));
        Assert.Contains(expected[6][..(2 * B * C)], v => Math.Abs(v) > 0.05);
    }

    [Fact]
    public void BlockLstmV2_ReadsGatesAsIfco_WithoutForgetBias()
    {
        const int T = 3;
        var p = RandomParams(4, T);
        var attrs = OpHarness.Attrs(("cell_clip", 0f), ("use_peephole", true));
        var outs = OpHarness.Run("BlockLSTMV2", [Tensor.FromScalar((long)T), .. Inputs(p, T, block: true)], 7, attrs);
        var ifco = LstmReference.Run(p, T, B, I, C, 0, 0, peephole: true, ifco: true, seqLenMax: T);
        AssertOutputs(ifco, outs);
        // The order matters for these weights: reading them as i, ci, f, o gives another h.
        var icfo = LstmReference.Run(p, T, B, I, C, 0, 0, peephole: true, ifco: false, seqLenMax: T);
        Assert.True(icfo[6].Zip(ifco[6]).Max(z => Math.Abs(z.First - z.Second)) > 1e-2);
    }

    [Theory]
    [InlineData("BlockLSTM", 3)]
    [InlineData("BlockLSTM", 2)]
    [InlineData("BlockLSTMV2", 3)]
    public void BlockLstmGradients_MatchCentralDifferencesOfTheDoubleLstm(string op, int seqLenMax)
    {
        const int T = 3;
        var p = RandomParams(5, T);
        bool v2 = op == "BlockLSTMV2";
        double forgetBias = v2 ? 0 : 0.8;
        var b = new GraphBuilder();
        var seq = b.Placeholder(DataType.DtInt64, [], "seq_len_max");
        var ins = Placeholders(b, T);
        var attrs = new Dictionary<string, AttrValue> { ["cell_clip"] = Attrs.Float(-1f), ["use_peephole"] = Attrs.Bool(true) };
        if (!v2) attrs["forget_bias"] = Attrs.Float((float)forgetBias);
        var lstm = b.AddOperation(op, [seq, .. ins], attrs, "lstm");
        var rng = new Random(50);
        var wh = LstmReference.Rand(rng, T * B * C, 1);
        var wc = LstmReference.Rand(rng, T * B * C, 1);
        var loss = WeightedSum(b, b.OutputOf(lstm, 6), b.OutputOf(lstm, 1), wh, wc);
        var grads = Gradients.Compute(b, [loss], ins);
        using var s = new Session(b.Graph);
        var feeds = Feeds(p, T, block: true);
        feeds["seq_len_max:0"] = Tensor.FromScalar((long)seqLenMax);
        var analytic = s.Run(grads.Select(g => g!.Value.Name).ToArray(), feeds);

        double Loss(LstmReference.Params q)
        {
            var o = LstmReference.Run(q, T, B, I, C, forgetBias, -1, peephole: true, ifco: v2, seqLenMax: seqLenMax);
            return o[6].Select((v, k) => v * wh[k]).Sum() + o[1].Select((v, k) => v * wc[k]).Sum();
        }
        CheckAgainstCentralDifferences(p, Loss, analytic);
    }

    [Fact]
    public void LstmBlockCellGradients_ThroughTwoChainedCells_MatchCentralDifferences()
    {
        // Two steps as two LSTMBlockCell nodes (what dynamic_rnn over tf.contrib.rnn.LSTMBlockCell unrolls to), sharing weights.
        var p = RandomParams(6, 2);
        var b = new GraphBuilder();
        var ins = Placeholders(b, 2);
        var attrs = new Dictionary<string, AttrValue> { ["forget_bias"] = Attrs.Float(1f), ["cell_clip"] = Attrs.Float(-1f), ["use_peephole"] = Attrs.Bool(true) };
        var x0 = b.Reshape(b.Slice(ins[0], b.Constant([0, 0, 0]), b.Constant([1, B, I])), [B, I]);
        var x1 = b.Reshape(b.Slice(ins[0], b.Constant([1, 0, 0]), b.Constant([1, B, I])), [B, I]);
        var cell0 = b.AddOperation("LSTMBlockCell", [x0, ins[1], ins[2], ins[3], ins[4], ins[5], ins[6], ins[7]], attrs, "cell0");
        var cell1 = b.AddOperation("LSTMBlockCell", [x1, b.OutputOf(cell0, 1), b.OutputOf(cell0, 6), ins[3], ins[4], ins[5], ins[6], ins[7]], attrs, "cell1");
        var rng = new Random(60);
        var wh = LstmReference.Rand(rng, 2 * B * C, 1);
        var wc = LstmReference.Rand(rng, 2 * B * C, 1);
        var h = b.Concat([b.OutputOf(cell0, 6), b.OutputOf(cell1, 6)], 0);
        var cs = b.Concat([b.OutputOf(cell0, 1), b.OutputOf(cell1, 1)], 0);
        var loss = WeightedSum(b, h, cs, wh, wc);
        var grads = Gradients.Compute(b, [loss], ins);
        Assert.Contains(b.Graph.Nodes, n => n.Op == "LSTMBlockCellGrad");
        using var s = new Session(b.Graph);
        var analytic = s.Run(grads.Select(g => g!.Value.Name).ToArray(), Feeds(p, 2, block: true));

        double Loss(LstmReference.Params q)
        {
            var o = LstmReference.Run(q, 2, B, I, C, 1, -1, peephole: true, ifco: false, seqLenMax: 2);
            return o[6].Select((v, k) => v * wh[k]).Sum() + o[1].Select((v, k) => v * wc[k]).Sum();
        }
        CheckAgainstCentralDifferences(p, Loss, analytic);
    }

    [Fact]
    public void BlockLstm_BadSeqLenMaxAndWeightShape_AreErrorsNamingTheNode()
    {
        var p = RandomParams(7, 2);
        var e = Assert.Throws<GraphExecutionException>(() => OpHarness.Run("BlockLSTM", [Tensor.FromScalar(3L), .. Inputs(p, 2, block: true)], 7));
        Assert.Contains("seq_len_max must be between 0 and 2 but is 3", e.Message);
        Assert.Contains("'op'", e.Message);
        var bad = Inputs(p, 2, block: true);
        bad[3] = Tensor.Create(new float[(I + C) * 3 * C], I + C, 3 * C);
        e = Assert.Throws<GraphExecutionException>(() => OpHarness.Run("BlockLSTM", [Tensor.FromScalar(2L), .. bad], 7));
        Assert.Contains("w.dim_size(1) != cell_size * 4: 6 vs. 8", e.Message);
    }

    private static Output[] Placeholders(GraphBuilder b, int time) =>
    [
        b.Placeholder(DataType.DtFloat, [time, B, I], "x"), b.Placeholder(DataType.DtFloat, [B, C], "cs_prev"), b.Placeholder(DataType.DtFloat, [B, C], "h_prev"),
        b.Placeholder(DataType.DtFloat, [I + C, 4 * C], "w"), b.Placeholder(DataType.DtFloat, [C], "wci"), b.Placeholder(DataType.DtFloat, [C], "wcf"),
        b.Placeholder(DataType.DtFloat, [C], "wco"), b.Placeholder(DataType.DtFloat, [4 * C], "b"),
    ];

    private static Dictionary<string, Tensor> Feeds(LstmReference.Params p, int time, bool block)
    {
        string[] names = ["x", "cs_prev", "h_prev", "w", "wci", "wcf", "wco", "b"];
        var t = Inputs(p, time, block);
        return names.Select((n, k) => (n, t[k])).ToDictionary(z => z.n + ":0", z => z.Item2);
    }

    /// <summary>Σ h·wh + Σ cs·wc over the flattened outputs.</summary>
    private static Output WeightedSum(GraphBuilder b, Output h, Output cs, double[] wh, double[] wc)
    {
        var sh = b.ReduceSum(b.Multiply(b.Reshape(h, [-1]), b.Constant(LstmReference.F32(wh))), [0]);
        var sc = b.ReduceSum(b.Multiply(b.Reshape(cs, [-1]), b.Constant(LstmReference.F32(wc))), [0]);
        return b.Add(sh, sc);
    }

    /// <summary>Each parameter's analytic gradient (from the graph, float) against central differences of
    /// <paramref name="loss"/> (double), within 2e-3 relative (absolute below 1).</summary>
    private static void CheckAgainstCentralDifferences(LstmReference.Params p, Func<LstmReference.Params, double> loss, Tensor[] analytic)
    {
        double[][] parts = [p.X, p.Cs0, p.H0, p.W, p.Wci, p.Wcf, p.Wco, p.B];
        string[] names = ["x", "cs_prev", "h_prev", "w", "wci", "wcf", "wco", "b"];
        for (int k = 0; k < parts.Length; k++)
        {
            int which = k;
            double Of(double[] v)
            {
                var q = (double[][])parts.Clone();
                q[which] = v;
                return loss(new LstmReference.Params(q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7]));
            }
            var numeric = CentralDifferences.Numeric(Of, parts[k]);
            CentralDifferences.AssertClose(numeric, analytic[k].ToArray<float>(), names[k], 2e-3);
        }
    }
}
