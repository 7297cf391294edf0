using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using TypedGraph.Training;

namespace TypedGraph.Tests.Kernels.Rnn;

/// <summary>
/// GRUBlockCell (tensorflow/core/kernels/rnn/gru_ops.cc) against a hand-written double GRU cell from the op doc's
/// equations (r, u = σ([x, h]·w_ru + b_ru); c = tanh([x, r⊙h]·w_c + b_c); h' = u⊙h + (1−u)⊙c), and its gradient
/// (GRUBlockCellGrad + contrib gru_ops.py's <c>_GRUBlockCellGrad</c>) against central differences.
/// </summary>
public sealed class FusedGruCellTests
{
    private const int I = 3, C = 2, B = 2;

    private sealed record Params(double[] X, double[] H0, double[] Wru, double[] Wc, double[] Bru, double[] Bc);

    private static Params RandomParams(int seed, int steps)
    {
        var rng = new Random(seed);
        return new Params(LstmReference.Rand(rng, steps * B * I, 1), LstmReference.Rand(rng, B * C, 0.8), LstmReference.Rand(rng, (I + C) * 2 * C, 0.8),
            LstmReference.Rand(rng, (I + C) * C, 0.8), LstmReference.Rand(rng, 2 * C, 0.5), LstmReference.Rand(rng, C, 0.5));
    }

    /// <summary>r, u, c, h of each step, [steps·batch·cell] each.</summary>
    private static double[][] Reference(Params p, int steps)
    {
        var outs = Enumerable.Range(0, 4).Select(_ => new double[steps * B * C]).ToArray();
        var h = (double[])p.H0.Clone();
        static double Sig(double v) => 1 / (1 + Math.Exp(-v));
        for (int t = 0; t < steps; t++)
        {
            var nh = new double[B * C];
            for (int b = 0; b < B; b++)
            {
                double X(int k) => p.X[(t * B + b) * I + k];
                var ru = new double[2 * C];
                for (int col = 0; col < 2 * C; col++)
                {
                    double s = p.Bru[col];
                    for (int k = 0; k < I; k++) s += X(k) * p.Wru[k * 2 * C + col];
                    for (int k = 0; k < C; k++) s += h[b * C + k] * p.Wru[(I + k) * 2 * C + col];
                    ru[col] = Sig(s);
                }
                for (int j = 0; j < C; j++)
                {
                    double s = p.Bc[j];
                    for (int k = 0; k < I; k++) s += X(k) * p.Wc[k * C + j];
                    for (int k = 0; k < C; k++) s += ru[k] * h[b * C + k] * p.Wc[(I + k) * C + j];
                    double c = Math.Tanh(s), u = ru[C + j];
                    int o = (t * B + b) * C + j;
                    outs[0][o] = ru[j]; outs[1][o] = u; outs[2][o] = c; outs[3][o] = u * h[b * C + j] + (1 - u) * c;
                    nh[b * C + j] = outs[3][o];
                }
            }
            h = nh;
        }
        return outs;
    }

    private static Tensor[] Inputs(Params p, int step) =>
    [
        Tensor.Create(LstmReference.F32(p.X[(step * B * I)..((step + 1) * B * I)]), B, I), Tensor.Create(LstmReference.F32(p.H0), B, C),
        Tensor.Create(LstmReference.F32(p.Wru), I + C, 2 * C), Tensor.Create(LstmReference.F32(p.Wc), I + C, C),
        Tensor.Create(LstmReference.F32(p.Bru), 2 * C), Tensor.Create(LstmReference.F32(p.Bc), C),
    ];

    [Fact]
    public void GruBlockCell_RUCH_MatchTheDoubleCell()
    {
        var p = RandomParams(11, 1);
        var outs = OpHarness.Run("GRUBlockCell", Inputs(p, 0), 4);
        var expected = Reference(p, 1);
        string[] names = ["r", "u", "c", "h"];
        for (int k = 0; k < 4; k++)
        {
            var a = outs[k].ToArray<float>();
            for (int e = 0; e < a.Length; e++)
                Assert.True(Math.Abs(expected[k][e] - a[e]) <= 2e-6, $"{names[k]}[{e}]: expected {expected[k][e]}, got {a[e]}");
        }
    }

    [Fact]
    public void GruBlockCellGradients_ThroughTwoChainedCells_MatchCentralDifferences()
    {
        var p = RandomParams(12, 2);
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [2, B, I], "x");
        var h0 = b.Placeholder(DataType.DtFloat, [B, C], "h0");
        var wru = b.Placeholder(DataType.DtFloat, [I + C, 2 * C], "w_ru");
        var wc = b.Placeholder(DataType.DtFloat, [I + C, C], "w_c");
        var bru = b.Placeholder(DataType.DtFloat, [2 * C], "b_ru");
        var bc = b.Placeholder(DataType.DtFloat, [C], "b_c");
        var x0 = b.Reshape(b.Slice(x, b.Constant([0, 0, 0]), b.Constant([1, B, I])), [B, I]);
        var x1 = b.Reshape(b.Slice(x, b.Constant([1, 0, 0]), b.Constant([1, B, I])), [B, I]);
        var cell0 = b.AddOperation("GRUBlockCell", [x0, h0, wru, wc, bru, bc], null, "gru0");
        var cell1 = b.AddOperation("GRUBlockCell", [x1, b.OutputOf(cell0, 3), wru, wc, bru, bc], null, "gru1");
        var rng = new Random(70);
        var wh = LstmReference.Rand(rng, 2 * B * C, 1);
        var h = b.Reshape(b.Concat([b.OutputOf(cell0, 3), b.OutputOf(cell1, 3)], 0), [-1]);
        var loss = b.ReduceSum(b.Multiply(h, b.Constant(LstmReference.F32(wh))), [0]);
        Output[] xs = [x, h0, wru, wc, bru, bc];
        var grads = Gradients.Compute(b, [loss], xs);
        using var s = new Session(b.Graph);
        var feeds = new Dictionary<string, Tensor>
        {
            ["x:0"] = Tensor.Create(LstmReference.F32(p.X), 2, B, I), ["h0:0"] = Tensor.Create(LstmReference.F32(p.H0), B, C),
            ["w_ru:0"] = Tensor.Create(LstmReference.F32(p.Wru), I + C, 2 * C), ["w_c:0"] = Tensor.Create(LstmReference.F32(p.Wc), I + C, C),
            ["b_ru:0"] = Tensor.Create(LstmReference.F32(p.Bru), 2 * C), ["b_c:0"] = Tensor.Create(LstmReference.F32(p.Bc), C),
        };
        var analytic = s.Run(grads.Select(g => g!.Value.Name).ToArray(), feeds);
        double[][] parts = [p.X, p.H0, p.Wru, p.Wc, p.Bru, p.Bc];
        string[] names = ["x", "h_prev", "w_ru", "w_c", "b_ru", "b_c"];
        for (int k = 0; k < parts.Length; k++)
        {
            int which = k;
            double Loss(double[] v)
            {
                var q = (double[][])parts.Clone();
                q[which] = v;
                return Reference(new Params(q[0], q[1], q[2], q[3], q[4], q[5]), 2)[3].Select((hv, e) => hv * wh[e]).Sum();
            }
            CentralDifferences.AssertClose(CentralDifferences.Numeric(Loss, parts[k]), analytic[k].ToArray<float>(), names[k], 2e-3);
        }
    }

    [Fact]
    public void GruBlockCell_WrongCandidateWeightShape_IsTFsError()
    {
        var p = RandomParams(13, 1);
        var bad = Inputs(p, 0);
        bad[3] = Tensor.Create(new float[(I + C) * 3], I + C, 3);
        var e = Assert.Throws<GraphExecutionException>(() => OpHarness.Run("GRUBlockCell", bad, 4));
        Assert.Contains("w_c.dim_size(1) != cell_size: 3 vs. 2", e.Message);
    }
}
