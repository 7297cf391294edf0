using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using Xunit;
using static TypedGraph.Tests.Support.ExecGraph;

namespace TypedGraph.Tests.Perf;

/// <summary>
/// Plan-time fusion of Keras's GRU step (standard_gru: two 3-way Splits, z = σ(x_z + u_z), r = σ(x_r + u_r),
/// hh = tanh(x_h + r·u_h), h = z·h_prev + (1 − z)·hh, written node by node as TF traces it) into <c>_FusedGruCell</c>:
/// bit-identical to the unfused plan on every shape, layout and broadcast, checked against doubles, fused only when the
/// intermediates are hidden, and one fused cell per step in a loop.
/// </summary>
public class GruCellFusionTests
{
    private static float[] Random(Random rng, int n, float scale) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1) * scale).ToArray();

    /// <summary>How the hand-written step is laid out: the split output of each gate (z, r, h) in x and u, operand order, split dim.</summary>
    private sealed record Layout(int[] X, int[] U, bool Swapped, int Axis = 1);

    private static readonly Layout Keras = new([0, 1, 2], [0, 1, 2], Swapped: false);

    /// <summary>x, u, hPrev → the step's ops; returns h.</summary>
    private static string Step(ExecGraph g, string x, string u, string hPrev, Layout layout, string prefix = "gru")
    {
        var t = T(DataType.DtFloat);
        string[] Order(string a, string b) => layout.Swapped ? [b, a] : [a, b];
        string Out(string split, int k) => k == 0 ? split : $"{split}:{k}";
        g.Const(prefix + "/axis", Tensor.FromScalar(layout.Axis));
        g.Op(prefix + "/split", "Split", [prefix + "/axis", x], t, ("num_split", Int(3)));
        g.Op(prefix + "/split_1", "Split", [prefix + "/axis", u], t, ("num_split", Int(3)));
        string X(int gate) => Out(prefix + "/split", layout.X[gate]);
        string U(int gate) => Out(prefix + "/split_1", layout.U[gate]);
        var z = g.Op(prefix + "/z", "Sigmoid", [g.Op(prefix + "/add", "AddV2", Order(X(0), U(0)), t)], t);
        var r = g.Op(prefix + "/r", "Sigmoid", [g.Op(prefix + "/add_1", "AddV2", Order(X(1), U(1)), t)], t);
        var ru = g.Op(prefix + "/mul", "Mul", Order(r, U(2)), t);
        var hh = g.Op(prefix + "/hh", "Tanh", [g.Op(prefix + "/add_2", "AddV2", Order(X(2), ru), t)], t);
        var keep = g.Op(prefix + "/mul_1", "Mul", Order(z, hPrev), t);
        g.Const(prefix + "/sub/x", Tensor.FromScalar(1f));
        var sub = g.Op(prefix + "/sub", "Sub", [prefix + "/sub/x", z], t);
        var blend = g.Op(prefix + "/mul_2", "Mul", Order(sub, hh), t);
        return g.Op(prefix + "/h", "AddV2", Order(keep, blend), t);
    }

    private static void AssertSameBits(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        var e = expected.ToArray<float>();
        var a = actual.ToArray<float>();
        for (int i = 0; i < e.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(e[i]) == BitConverter.SingleToInt32Bits(a[i]), $"{what}[{i}]: unfused {e[i]:R}, fused {a[i]:R}");
    }

    private static (Tensor H, string[] Ops) RunBoth(ExecGraph g, string h, Dictionary<string, Tensor> feeds)
    {
        using var fused = new Session(g.Graph);
        using var plain = new Session(g.Graph, new SessionOptions { FuseKernels = false });
        var got = fused.Run([h + ":0"], feeds)[0];
        AssertSameBits(plain.Run([h + ":0"], feeds)[0], got, h);
        return (got, fused.GetPlan([h + ":0"], [.. feeds.Keys], []).Steps.Select(st => st.Node.Op).ToArray());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RandomStepsAreFused_BitIdenticalToTheSeparateOps_AndMatchDoubles(bool permuted)
    {
        // Keras's order, and a permuted one with the operands the other way round.
        var layout = permuted ? new Layout([2, 0, 1], [1, 2, 0], Swapped: true) : Keras;
        var rng = new Random(permuted ? 5 : 9);
        (int Rows, int Cell)[] shapes = [(1, 1), (1, 5), (3, 2), (2, 7), (5, 16), (1, 17), (4, 33), (32, 64), (3, 300), (9, 100), (64, 20), (130, 48)];
        foreach (var (rows, cell) in shapes)
        {
            var g = new ExecGraph();
            g.Placeholder("x", DataType.DtFloat, [-1, 3 * cell]);
            g.Placeholder("u", DataType.DtFloat, [-1, 3 * cell]);
            g.Placeholder("h_prev", DataType.DtFloat, [-1, cell]);
            var h = Step(g, "x", "u", "h_prev", layout);
            var x = Random(rng, rows * 3 * cell, 4f);
            var u = Random(rng, rows * 3 * cell, 4f);
            var hp = Random(rng, rows * cell, 1f);
            x[0] = 50f;
            if (u.Length > 1) u[^1] = -60f;
            var feeds = new Dictionary<string, Tensor>
            {
                ["x:0"] = Tensor.Create(x, rows, 3 * cell),
                ["u:0"] = Tensor.Create(u, rows, 3 * cell),
                ["h_prev:0"] = Tensor.Create(hp, rows, cell),
            };
            var (got, ops) = RunBoth(g, h, feeds);
            Assert.Equal(1, ops.Count(op => op == "_FusedGruCell"));
            Assert.DoesNotContain("Sigmoid", ops);
            Assert.DoesNotContain("Split", ops);
            static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
            var values = got.ToArray<float>();
            for (int row = 0; row < rows; row++)
                for (int k = 0; k < cell; k++)
                {
                    double X(int gate) => x[row * 3 * cell + layout.X[gate] * cell + k];
                    double U(int gate) => u[row * 3 * cell + layout.U[gate] * cell + k];
                    double z = Sigmoid(X(0) + U(0)), r = Sigmoid(X(1) + U(1)), hh = Math.Tanh(X(2) + r * U(2));
                    double want = z * hp[row * cell + k] + (1 - z) * hh;
                    Assert.True(Math.Abs(values[row * cell + k] - want) <= 2e-6, $"{rows}x{cell} [{row},{k}]: {values[row * cell + k]}, doubles {want}");
                }
        }
    }

    /// <summary>Shapes the row route does not take: a broadcast old state, a split along dim 0, x and u of different
    /// shapes that broadcast, a per-unit "one".</summary>
    [Fact]
    public void BroadcastsAndOtherSplitDims_GiveTheSeparateOpsResults()
    {
        var rng = new Random(13);
        const int Rows = 4, Units = 10;
        foreach (var (xDims, uDims, hDims, axis) in new (int[], int[], int[], int)[]
        {
            ([Rows, 3 * Units], [Rows, 3 * Units], [1, Units], 1),
            ([Rows, 3 * Units], [1, 3 * Units], [Rows, Units], 1),
            ([Rows, 3 * Units], [Rows, 3 * Units], [Units], -1),
            ([3 * Rows, Units], [3 * Rows, Units], [Rows, Units], 0),
            ([2, Rows, 3 * Units], [Rows, 3 * Units], [Rows, Units], -1),
        })
        {
            var g = new ExecGraph();
            g.Placeholder("x", DataType.DtFloat);
            g.Placeholder("u", DataType.DtFloat);
            g.Placeholder("h_prev", DataType.DtFloat);
            var h = Step(g, "x", "u", "h_prev", Keras with { Axis = axis });
            int Count(int[] d) => d.Aggregate(1, (a, b) => a * b);
            var feeds = new Dictionary<string, Tensor>
            {
                ["x:0"] = Tensor.Create(Random(rng, Count(xDims), 3f), xDims),
                ["u:0"] = Tensor.Create(Random(rng, Count(uDims), 3f), uDims),
                ["h_prev:0"] = Tensor.Create(Random(rng, Count(hDims), 1f), hDims),
            };
            var (_, ops) = RunBoth(g, h, feeds);
            Assert.Contains("_FusedGruCell", ops);
        }
    }

    [Fact]
    public void VisibleOrSharedIntermediatesAreNotFused_AndBadShapesNameTheNodes()
    {
        var rng = new Random(17);
        var feeds = new Dictionary<string, Tensor>
        {
            ["x:0"] = Tensor.Create(Random(rng, 2 * 3 * 8, 2f), 2, 24),
            ["u:0"] = Tensor.Create(Random(rng, 2 * 3 * 8, 2f), 2, 24),
            ["h_prev:0"] = Tensor.Create(Random(rng, 2 * 8, 1f), 2, 8),
        };
        var g = new ExecGraph();
        g.Placeholder("x", DataType.DtFloat);
        g.Placeholder("u", DataType.DtFloat);
        g.Placeholder("h_prev", DataType.DtFloat);
        var h = Step(g, "x", "u", "h_prev", Keras);
        using (var s = new Session(g.Graph))
        {
            // z fetched: the step stays as separate ops, with the same values.
            var ops = s.GetPlan([h + ":0", "gru/z:0"], [.. feeds.Keys], []).Steps.Select(st => st.Node.Op).ToList();
            Assert.DoesNotContain("_FusedGruCell", ops);
            var e = Assert.Throws<GraphExecutionException>(() => s.Run([h + ":0"], new Dictionary<string, Tensor>(feeds) { ["x:0"] = Tensor.Create(new float[2 * 25], 2, 25) }));
            Assert.Contains("3 equal parts", e.Message);
            Assert.Contains("gru/split", e.Message);
            var e2 = Assert.Throws<GraphExecutionException>(() => s.Run([h + ":0"], new Dictionary<string, Tensor>(feeds) { ["h_prev:0"] = Tensor.Create(new float[2 * 5], 2, 5) }));
            Assert.Contains("Incompatible shapes", e2.Message);
        }
        // r read elsewhere too: not fused.
        g.Op("extra", "Neg", ["gru/r"], T(DataType.DtFloat));
        using var s2 = new Session(g.Graph);
        Assert.DoesNotContain("_FusedGruCell", s2.GetPlan([h + ":0", "extra:0"], [.. feeds.Keys], []).Steps.Select(st => st.Node.Op));
        Assert.Contains("_FusedGruCell", s2.GetPlan([h + ":0"], [.. feeds.Keys], []).Steps.Select(st => st.Node.Op));
    }

    /// <summary>The step inside a while loop (h carried, x·K and h·R per step, as standard_gru's body): one fused cell per
    /// step, the unfused bits, and a recurrence in doubles.</summary>
    [Fact]
    public void GruLoop_RunsOneFusedCellPerStep_WithTheUnfusedBits()
    {
        const int Steps = 7, B = 3, I = 5, Units = 18;
        var rng = new Random(19);
        var k = Random(rng, I * 3 * Units, 0.4f);
        var rk = Random(rng, Units * 3 * Units, 0.3f);
        var xs = Random(rng, Steps * B * I, 1.5f);
        var b = new GraphBuilder();
        var inputs = b.Placeholder(DataType.DtFloat, [Steps, B, I], "inputs");
        var kernel = b.Constant(k, [I, 3 * Units], "kernel");
        var recurrent = b.Constant(rk, [Units, 3 * Units], "recurrent_kernel");
        var steps = b.Constant(Steps, "steps");
        var inputTa = b.TensorArrayUnstack(b.TensorArray(steps, DataType.DtFloat, [B, I], tensorArrayName: "input_0"), inputs);
        var exits = b.WhileLoop(
            v => b.Less(v[0], steps),
            v =>
            {
                var mx = b.Split(b.MatMul(b.TensorArrayRead(inputTa, v[0]), kernel), 3, 1);
                var mu = b.Split(b.MatMul(v[1], recurrent), 3, 1);
                var z = b.Sigmoid(b.AddV2(mx[0], mu[0]));
                var r = b.Sigmoid(b.AddV2(mx[1], mu[1]));
                var hh = b.Tanh(b.AddV2(mx[2], b.Multiply(r, mu[2])));
                var h = b.AddV2(b.Multiply(z, v[1]), b.Multiply(b.Subtract(1.0, z), hh));
                return [b.Add(v[0], 1), h];
            },
            [b.Constant(0, "time"), b.Constant(new float[B * Units], [B, Units], "h0")]);
        var feeds = new Dictionary<string, Tensor> { ["inputs:0"] = Tensor.Create(xs, Steps, B, I) };
        using var fused = new Session(b.Graph);
        using var plain = new Session(b.Graph, new SessionOptions { FuseKernels = false });
        var got = fused.Run([exits[1].Name], feeds)[0];
        AssertSameBits(plain.Run([exits[1].Name], feeds)[0], got, "h");
        var loopOps = fused.GetPlan([exits[1].Name], ["inputs:0"], []).Loop!.Nodes.Select(n => n.Op).ToList();
        Assert.Equal(1, loopOps.Count(op => op == "_FusedGruCell"));
        Assert.DoesNotContain("Sigmoid", loopOps);

        var hPrev = new double[B * Units];
        static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
        for (int t = 0; t < Steps; t++)
        {
            var next = new double[B * Units];
            for (int row = 0; row < B; row++)
                for (int j = 0; j < Units; j++)
                {
                    double Proj(int gate, bool recurrentPart)
                    {
                        double s = 0;
                        if (!recurrentPart) for (int d = 0; d < I; d++) s += xs[(t * B + row) * I + d] * (double)k[d * 3 * Units + gate * Units + j];
                        else for (int m = 0; m < Units; m++) s += hPrev[row * Units + m] * rk[m * 3 * Units + gate * Units + j];
                        return s;
                    }
                    double z = Sigmoid(Proj(0, false) + Proj(0, true)), r = Sigmoid(Proj(1, false) + Proj(1, true));
                    double hh = Math.Tanh(Proj(2, false) + r * Proj(2, true));
                    next[row * Units + j] = z * hPrev[row * Units + j] + (1 - z) * hh;
                }
            hPrev = next;
        }
        var values = got.ToArray<float>();
        for (int i = 0; i < values.Length; i++) Assert.True(Math.Abs(values[i] - hPrev[i]) <= 1e-5, $"h[{i}]: {values[i]}, doubles {hPrev[i]}");
    }

    /// <summary>TF 1.x's GRUCell (rnn_cell_impl.py) step: gates = σ(pre) split into r, u; r·state feeds the candidate's
    /// MatMul; c = tanh(candidate); new_h = u·state + (1 − u)·c. The blend after the MatMul becomes <c>_FusedGruBlend</c>.</summary>
    [Fact]
    public void Tf1GruCellBlend_IsFused_BitIdentical_AndMatchesDoubles()
    {
        var rng = new Random(23);
        foreach (var (rows, units, stateDims) in new (int, int, int[]?)[] { (1, 3, null), (4, 20, null), (70, 100, null), (5, 12, [1, 12]), (2, 9, [9]) })
        {
            const int In = 6;
            var g = new ExecGraph();
            var t = T(DataType.DtFloat);
            g.Placeholder("x", DataType.DtFloat);
            g.Placeholder("state", DataType.DtFloat);
            g.Placeholder("pre", DataType.DtFloat);
            var wv = Random(rng, (In + units) * units, 0.3f);
            g.Const("w", Tensor.Create(wv, In + units, units));
            g.Const("axis", Tensor.FromScalar(1));
            g.Op("value", "Sigmoid", ["pre"], t);
            g.Op("split", "Split", ["axis", "value"], t, ("num_split", Int(2)));
            g.Op("r_state", "Mul", ["split", "state"], t);
            g.Op("concat", "ConcatV2", ["x", "r_state", "axis"], t, ("N", Int(2)), ("Tidx", Type(DataType.DtInt32)));
            g.Op("candidate", "MatMul", ["concat", "w"], t);
            g.Op("c", "Tanh", ["candidate"], t);
            g.Op("mul", "Mul", ["split:1", "state"], t);
            g.Const("sub/x", Tensor.FromScalar(1f));
            g.Op("sub", "Sub", ["sub/x", "split:1"], t);
            g.Op("mul_1", "Mul", ["sub", "c"], t);
            g.Op("new_h", "AddV2", ["mul", "mul_1"], t);
            var state = Random(rng, stateDims?.Aggregate(1, (a, b) => a * b) ?? rows * units, 1f);
            var x = Random(rng, rows * In, 1f);
            var pre = Random(rng, rows * 2 * units, 3f);
            var feeds = new Dictionary<string, Tensor>
            {
                ["x:0"] = Tensor.Create(x, rows, In),
                ["state:0"] = stateDims == null ? Tensor.Create(state, rows, units) : Tensor.Create(state, stateDims),
                ["pre:0"] = Tensor.Create(pre, rows, 2 * units),
            };
            if (stateDims != null)
            {
                // A broadcast state cannot feed the concat: feed r·state's place with the right shape instead.
                feeds["r_state:0"] = Tensor.Create(Random(rng, rows * units, 1f), rows, units);
            }
            var (got, ops) = RunBoth(g, "new_h", feeds);
            Assert.Equal(1, ops.Count(op => op == "_FusedGruBlend"));
            Assert.DoesNotContain("Tanh", ops);
            if (stateDims != null) continue;
            // Doubles: the same step from the fed values.
            static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
            var values = got.ToArray<float>();
            for (int row = 0; row < rows; row++)
                for (int j = 0; j < units; j++)
                {
                    double cand = 0;
                    for (int d = 0; d < In; d++) cand += x[row * In + d] * (double)wv[d * units + j];
                    for (int m = 0; m < units; m++) cand += Sigmoid(pre[row * 2 * units + m]) * state[row * units + m] * wv[(In + m) * units + j];
                    double u = Sigmoid(pre[row * 2 * units + units + j]);
                    double want = u * state[row * units + j] + (1 - u) * Math.Tanh(cand);
                    Assert.True(Math.Abs(values[row * units + j] - want) <= 1e-5, $"{rows}x{units} [{row},{j}]: {values[row * units + j]}, doubles {want}");
                }
        }
    }

    [Fact]
    public void GruBlend_KeepsAVisibleTanh_AndReadsAVisibleZ()
    {
        var g = new ExecGraph();
        var t = T(DataType.DtFloat);
        g.Placeholder("cand", DataType.DtFloat);
        g.Placeholder("z", DataType.DtFloat);
        g.Placeholder("state", DataType.DtFloat);
        g.Op("c", "Tanh", ["cand"], t);
        g.Op("mul", "Mul", ["state", "z"], t);
        g.Const("one", Tensor.FromScalar(1f));
        g.Op("sub", "Sub", ["one", "z"], t);
        g.Op("mul_1", "Mul", ["c", "sub"], t);
        g.Op("new_h", "Add", ["mul_1", "mul"], t);
        g.Op("z_again", "Neg", ["z"], t);
        var rng = new Random(29);
        var feeds = new Dictionary<string, Tensor>
        {
            ["cand:0"] = Tensor.Create(Random(rng, 3 * 40, 3f), 3, 40),
            ["z:0"] = Tensor.Create(Random(rng, 3 * 40, 1f), 3, 40),
            ["state:0"] = Tensor.Create(Random(rng, 3 * 40, 1f), 3, 40),
        };
        using var s = new Session(g.Graph);
        using var plain = new Session(g.Graph, new SessionOptions { FuseKernels = false });
        // z read elsewhere too: still fused (z stays).
        var ops = s.GetPlan(["new_h:0", "z_again:0"], [.. feeds.Keys], []).Steps.Select(st => st.Node.Op).ToList();
        Assert.Contains("_FusedGruBlend", ops);
        var got = s.Run(["new_h:0", "z_again:0"], feeds);
        var want = plain.Run(["new_h:0", "z_again:0"], feeds);
        AssertSameBits(want[0], got[0], "new_h");
        // tanh(c) fetched: not fused.
        Assert.DoesNotContain("_FusedGruBlend", s.GetPlan(["new_h:0", "c:0"], [.. feeds.Keys], []).Steps.Select(st => st.Node.Op));
    }
}
