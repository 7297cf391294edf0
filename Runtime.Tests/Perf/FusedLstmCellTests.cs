using TypedGraph.Building;
using TypedGraph.Formats;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using Xunit;
using static TypedGraph.Tests.Support.ExecGraph;

namespace TypedGraph.Tests.Perf;

/// <summary>
/// Plan-time fusion of an LSTM cell's elementwise tail (Split → Sigmoid/Tanh → Mul/Add) into <c>_FusedLstmCell</c>:
/// bit-identical to the unfused plan on every shape and layout (TF1 BasicLSTMCell, Keras gate order, operands swapped,
/// broadcast state, a split along another dim), checked against an independent computation in doubles, fused only when
/// the intermediates are hidden — and on the real char-RNN and Keras LSTM files.
/// </summary>
public class FusedLstmCellTests
{
    private static float[] Random(Random rng, int n, float scale) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1) * scale).ToArray();

    /// <summary>How the hand-written cell is laid out.</summary>
    private sealed record Layout(int[] GateOfSplit, bool ForgetBias, bool Swapped, int Axis = 1, long[]? CShape = null);

    /// <summary>TF1 BasicLSTMCell: split i, j, f, o; <c>c * σ(f + 1) + σ(i) * tanh(j)</c>; <c>tanh(c') * σ(o)</c>.</summary>
    private static readonly Layout BasicLstm = new([0, 1, 2, 3], ForgetBias: true, Swapped: false);

    /// <summary>Keras standard_lstm: split i, f, c, o; <c>f * c + i * tanh(c̃)</c>; <c>o * tanh(c')</c> — operands the other way.</summary>
    private static readonly Layout Keras = new([0, 2, 1, 3], ForgetBias: false, Swapped: true);

    /// <summary>gates, c → the cell's tail as separate ops; returns (h', c'). Gate roles: 0 = i, 1 = j, 2 = f, 3 = o.</summary>
    private static (string H, string C) Cell(ExecGraph g, string gates, string c, Layout layout, string prefix = "cell")
    {
        var t = T(DataType.DtFloat);
        g.Const(prefix + "/axis", Tensor.FromScalar(layout.Axis));
        g.Op(prefix + "/split", "Split", [prefix + "/axis", gates], t, ("num_split", Int(4)));
        string Part(int role) => $"{prefix}/split:{Array.IndexOf(layout.GateOfSplit, role)}".Replace(":0", "");
        string[] Order(string a, string b) => layout.Swapped ? [b, a] : [a, b];
        string forget = Part(2);
        if (layout.ForgetBias)
        {
            g.Const(prefix + "/forget_bias", Tensor.FromScalar(1f));
            forget = g.Op(prefix + "/add", "Add", Order(Part(2), prefix + "/forget_bias"), t);
        }
        var si = g.Op(prefix + "/si", "Sigmoid", [Part(0)], t);
        var tj = g.Op(prefix + "/tj", "Tanh", [Part(1)], t);
        var sf = g.Op(prefix + "/sf", "Sigmoid", [forget], t);
        var so = g.Op(prefix + "/so", "Sigmoid", [Part(3)], t);
        var keep = g.Op(prefix + "/keep", "Mul", Order(c, sf), t);
        var write = g.Op(prefix + "/write", "Mul", Order(si, tj), t);
        var newC = g.Op(prefix + "/new_c", "AddV2", Order(keep, write), t);
        var tc = g.Op(prefix + "/tanh_c", "Tanh", [newC], t);
        var newH = g.Op(prefix + "/new_h", "Mul", Order(tc, so), t);
        return (newH, newC);
    }

    private static void AssertSameBits(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        var e = expected.ToArray<float>();
        var a = actual.ToArray<float>();
        for (int i = 0; i < e.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(e[i]) == BitConverter.SingleToInt32Bits(a[i]), $"{what}[{i}]: unfused {e[i]:R}, fused {a[i]:R}");
    }

    private static Tensor[] RunBoth(ExecGraph g, string[] fetches, Dictionary<string, Tensor> feeds, out Session fused)
    {
        fused = new Session(g.Graph);
        using var plain = new Session(g.Graph, new SessionOptions { FuseKernels = false });
        var got = fused.Run(fetches, feeds);
        var want = plain.Run(fetches, feeds);
        for (int k = 0; k < fetches.Length; k++) AssertSameBits(want[k], got[k], fetches[k]);
        return got;
    }

    private static string[] PlanOps(Session s, string[] fetches, string[] feeds) => s.GetPlan(fetches, feeds, []).Steps.Select(st => st.Node.Op).ToArray();

    /// <summary>The cell in doubles from the gate matrix [rows, 4H] (split along the last dim) and c [rows, H].</summary>
    private static (double[] H, double[] C) Reference(float[] gates, float[] c, int rows, int cell, Layout layout)
    {
        var h = new double[rows * cell];
        var newC = new double[rows * cell];
        static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
        for (int r = 0; r < rows; r++)
            for (int u = 0; u < cell; u++)
            {
                double Gate(int role) => gates[r * 4 * cell + Array.IndexOf(layout.GateOfSplit, role) * cell + u];
                double cv = c[r * cell + u] * Sigmoid(Gate(2) + (layout.ForgetBias ? 1 : 0)) + Sigmoid(Gate(0)) * Math.Tanh(Gate(1));
                newC[r * cell + u] = cv;
                h[r * cell + u] = Math.Tanh(cv) * Sigmoid(Gate(3));
            }
        return (h, newC);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RandomCellsAreFused_BitIdenticalToTheSeparateOps_AndMatchDoubles(bool keras)
    {
        var layout = keras ? Keras : BasicLstm;
        var rng = new Random(keras ? 7 : 3);
        // Row lengths around the vector width and blocks of rows (1 KB per gate), batches that split unevenly.
        (int Rows, int Cell)[] shapes = [(1, 1), (1, 3), (3, 1), (2, 7), (5, 16), (1, 17), (4, 33), (7, 40), (32, 128), (3, 300), (9, 100), (64, 20), (1, 1000), (130, 64)];
        foreach (var (rows, cell) in shapes)
        {
            var g = new ExecGraph();
            g.Placeholder("gates", DataType.DtFloat, [-1, 4 * cell]);
            g.Placeholder("c", DataType.DtFloat, [-1, cell]);
            var (h, c) = Cell(g, "gates", "c", layout);
            var gates = Random(rng, rows * 4 * cell, 6f);
            var state = Random(rng, rows * cell, 3f);
            // Saturating and special values: large magnitudes, ±0.
            gates[0] = 40f;
            if (gates.Length > 1) gates[^1] = -45f;
            if (state.Length > 1) state[1] = -0f;
            var feeds = new Dictionary<string, Tensor> { ["gates:0"] = Tensor.Create(gates, rows, 4 * cell), ["c:0"] = Tensor.Create(state, rows, cell) };
            var got = RunBoth(g, [h + ":0", c + ":0"], feeds, out var fused);
            using (fused)
            {
                var ops = PlanOps(fused, [h + ":0", c + ":0"], ["gates:0", "c:0"]);
                Assert.Equal(1, ops.Count(op => op == "_FusedLstmCell"));
                Assert.DoesNotContain("Sigmoid", ops);
                Assert.DoesNotContain("Split", ops);
            }
            var (wantH, wantC) = Reference(gates, state, rows, cell, layout);
            var gotH = got[0].ToArray<float>();
            var gotC = got[1].ToArray<float>();
            for (int e = 0; e < gotH.Length; e++)
            {
                Assert.True(Math.Abs(gotC[e] - wantC[e]) <= 2e-6 * Math.Max(1, Math.Abs(wantC[e])), $"{rows}x{cell} c'[{e}]: {gotC[e]}, doubles {wantC[e]}");
                Assert.True(Math.Abs(gotH[e] - wantH[e]) <= 2e-6, $"{rows}x{cell} h'[{e}]: {gotH[e]}, doubles {wantH[e]}");
            }
        }
    }

    [Fact]
    public void RankThreeGatesAndEmptyBatches_TakeTheRowRoute()
    {
        var rng = new Random(17);
        foreach (var dims in new[] { new long[] { 2, 3, 4 * 20 }, [0, 4 * 8], [2, 0, 4 * 5] })
        {
            var g = new ExecGraph();
            g.Placeholder("gates", DataType.DtFloat);
            g.Placeholder("c", DataType.DtFloat);
            var (h, c) = Cell(g, "gates", "c", BasicLstm with { Axis = -1 });
            var gd = dims.Select(d => (int)d).ToArray();
            var cd = (int[])gd.Clone();
            cd[^1] /= 4;
            int n = gd.Aggregate(1, (a, b) => a * b);
            var feeds = new Dictionary<string, Tensor>
            {
                ["gates:0"] = Tensor.Create(Random(rng, n, 5f), gd),
                ["c:0"] = Tensor.Create(Random(rng, n / 4, 2f), cd),
            };
            var got = RunBoth(g, [h + ":0", c + ":0"], feeds, out var fused);
            fused.Dispose();
            Assert.Equal(cd, got[0].Shape.Dims.ToArray());
        }
    }

    /// <summary>Shapes the row route does not take: a broadcast old state, a per-unit forget bias, a split along dim 0.
    /// The general route gives the separate ops' values (and their broadcast shapes).</summary>
    [Fact]
    public void BroadcastStatesAddendsAndOtherSplitDims_GiveTheSeparateOpsResults()
    {
        var rng = new Random(23);
        const int Rows = 5, Units = 12;
        // Old state [1, H] and [H]: broadcast over the batch.
        foreach (var cShape in new[] { new[] { 1, Units }, [Units], [Rows, 1] })
        {
            var g = new ExecGraph();
            g.Placeholder("gates", DataType.DtFloat);
            g.Placeholder("c", DataType.DtFloat);
            var (h, c) = Cell(g, "gates", "c", BasicLstm);
            var feeds = new Dictionary<string, Tensor>
            {
                ["gates:0"] = Tensor.Create(Random(rng, Rows * 4 * Units, 4f), Rows, 4 * Units),
                ["c:0"] = Tensor.Create(Random(rng, cShape.Aggregate(1, (a, b) => a * b), 2f), cShape),
            };
            RunBoth(g, [h + ":0", c + ":0"], feeds, out var fused);
            Assert.Contains("_FusedLstmCell", PlanOps(fused, [h + ":0", c + ":0"], ["gates:0", "c:0"]));
            fused.Dispose();
        }
        // A per-unit forget bias [H] fed as a tensor, and an old state [2, 1, H] that widens the outputs to rank 3.
        {
            var g = new ExecGraph();
            var t = T(DataType.DtFloat);
            g.Placeholder("gates", DataType.DtFloat);
            g.Placeholder("c", DataType.DtFloat);
            g.Placeholder("fb", DataType.DtFloat);
            g.Const("axis", Tensor.FromScalar(1));
            g.Op("split", "Split", ["axis", "gates"], t, ("num_split", Int(4)));
            g.Op("f_plus", "Add", ["split:2", "fb"], t);
            g.Op("si", "Sigmoid", ["split"], t);
            g.Op("tj", "Tanh", ["split:1"], t);
            g.Op("sf", "Sigmoid", ["f_plus"], t);
            g.Op("so", "Sigmoid", ["split:3"], t);
            g.Op("keep", "Mul", ["c", "sf"], t);
            g.Op("write", "Mul", ["si", "tj"], t);
            g.Op("new_c", "Add", ["keep", "write"], t);
            g.Op("tanh_c", "Tanh", ["new_c"], t);
            g.Op("new_h", "Mul", ["tanh_c", "so"], t);
            foreach (var cShape in new[] { new[] { Rows, Units }, [2, 1, Units] })
            {
                var feeds = new Dictionary<string, Tensor>
                {
                    ["gates:0"] = Tensor.Create(Random(rng, Rows * 4 * Units, 4f), Rows, 4 * Units),
                    ["c:0"] = Tensor.Create(Random(rng, cShape.Aggregate(1, (a, b) => a * b), 2f), cShape),
                    ["fb:0"] = Tensor.Create(Random(rng, Units, 1f), Units),
                };
                var got = RunBoth(g, ["new_h:0", "new_c:0"], feeds, out var fused);
                Assert.Contains("_FusedLstmCell", PlanOps(fused, ["new_h:0", "new_c:0"], ["gates:0", "c:0", "fb:0"]));
                fused.Dispose();
                Assert.Equal(cShape.Length == 3 ? [2, Rows, Units] : new[] { Rows, Units }, got[1].Shape.Dims.ToArray());
            }
        }
        // Split along dim 0: gates [4 * rows, H].
        {
            var g = new ExecGraph();
            g.Placeholder("gates", DataType.DtFloat);
            g.Placeholder("c", DataType.DtFloat);
            var (h, c) = Cell(g, "gates", "c", BasicLstm with { Axis = 0 });
            var feeds = new Dictionary<string, Tensor>
            {
                ["gates:0"] = Tensor.Create(Random(rng, 4 * Rows * Units, 4f), 4 * Rows, Units),
                ["c:0"] = Tensor.Create(Random(rng, Rows * Units, 2f), Rows, Units),
            };
            RunBoth(g, [h + ":0", c + ":0"], feeds, out var fused);
            fused.Dispose();
        }
    }

    [Fact]
    public void BadShapesFailWithTheNodesNamed()
    {
        var g = new ExecGraph();
        g.Placeholder("gates", DataType.DtFloat);
        g.Placeholder("c", DataType.DtFloat);
        var (h, _) = Cell(g, "gates", "c", BasicLstm);
        using var s = new Session(g.Graph);
        var odd = Assert.Throws<GraphExecutionException>(() => s.Run([h + ":0"], new Dictionary<string, Tensor>
        {
            ["gates:0"] = Tensor.Create(new float[2 * 10], 2, 10),
            ["c:0"] = Tensor.Create(new float[2 * 2], 2, 2),
        }));
        Assert.Contains("4 equal parts", odd.Message);
        Assert.Contains("cell/split", odd.Message);
        var mismatch = Assert.Throws<GraphExecutionException>(() => s.Run([h + ":0"], new Dictionary<string, Tensor>
        {
            ["gates:0"] = Tensor.Create(new float[2 * 12], 2, 12),
            ["c:0"] = Tensor.Create(new float[2 * 4], 2, 4),
        }));
        Assert.Contains("Incompatible shapes", mismatch.Message);
        Assert.Contains("cell/keep", mismatch.Message);
    }

    [Fact]
    public void VisibleOrSharedIntermediatesAreNotFused_AndCPrimeStaysFetchable()
    {
        var rng = new Random(29);
        var feeds = new Dictionary<string, Tensor>
        {
            ["gates:0"] = Tensor.Create(Random(rng, 3 * 4 * 8, 3f), 3, 4 * 8),
            ["c:0"] = Tensor.Create(Random(rng, 3 * 8, 2f), 3, 8),
        };
        // Fetching an intermediate (σ(o)) keeps the separate ops.
        var g = new ExecGraph();
        g.Placeholder("gates", DataType.DtFloat);
        g.Placeholder("c", DataType.DtFloat);
        var (h, c) = Cell(g, "gates", "c", BasicLstm);
        RunBoth(g, [h + ":0", "cell/so:0"], feeds, out var fused);
        Assert.DoesNotContain("_FusedLstmCell", PlanOps(fused, [h + ":0", "cell/so:0"], ["gates:0", "c:0"]));
        // c' alone, c' read twice, and a control edge from c': fused, c' by its own name.
        g.Op("c_twice", "Mul", [c, c], T(DataType.DtFloat));
        g.Op("after_c", "NoOp", ["^" + c]);
        var got = RunBoth(g, [c + ":0", "c_twice:0", h + ":0"], feeds, out var fused2);
        Assert.Contains("_FusedLstmCell", PlanOps(fused2, [c + ":0", "c_twice:0", h + ":0"], ["gates:0", "c:0"]));
        var cValues = got[0].ToArray<float>();
        Assert.Equal(cValues.Select(v => v * v), got[1].ToArray<float>());
        fused.Dispose();
        fused2.Dispose();
        // A second reader of tanh(j) keeps it.
        var g2 = new ExecGraph();
        g2.Placeholder("gates", DataType.DtFloat);
        g2.Placeholder("c", DataType.DtFloat);
        var (h2, _) = Cell(g2, "gates", "c", BasicLstm);
        g2.Op("extra", "Neg", ["cell/tj"], T(DataType.DtFloat));
        RunBoth(g2, [h2 + ":0", "extra:0"], feeds, out var fused3);
        Assert.DoesNotContain("_FusedLstmCell", PlanOps(fused3, [h2 + ":0", "extra:0"], ["gates:0", "c:0"]));
        fused3.Dispose();
        // Feeding c' (the tanh then reads the fed value): not fused, the fed value is used.
        RunBoth(g, [h + ":0"], new Dictionary<string, Tensor>(feeds) { [c + ":0"] = Tensor.Create(Random(rng, 3 * 8, 1f), 3, 8) }, out var fused4);
        fused4.Dispose();
    }

    /// <summary>dynamic_rnn's loop around a BasicLSTMCell (as TF 1.x builds it): one fused cell per step, the same bits.</summary>
    [Fact]
    public void DynamicRnnLoop_RunsOneFusedCellPerStep_WithTheUnfusedBits()
    {
        const int Steps = 9, B = 4, I = 6, H = 20;
        var rng = new Random(31);
        var kernel = Random(rng, (I + H) * 4 * H, 0.3f);
        var bias = Random(rng, 4 * H, 0.2f);
        var xs = Random(rng, Steps * B * I, 2f);
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [Steps, B, I], "inputs");
        var w = b.Constant(kernel, [I + H, 4 * H], "kernel");
        var bi = b.Constant(bias, [4 * H], "bias");
        var (outputs, exits) = BasicLstmLoop.Build(b, b.Constant(Steps, "steps"), x, w, bi, B, I, H);
        var feeds = new Dictionary<string, Tensor> { ["inputs:0"] = Tensor.Create(xs, Steps, B, I) };

        using var fused = new Session(b.Graph);
        using var plain = new Session(b.Graph, new SessionOptions { FuseKernels = false });
        var got = fused.Run([outputs.Name, exits[2].Name], feeds);
        var want = plain.Run([outputs.Name, exits[2].Name], feeds);
        AssertSameBits(want[0], got[0], "outputs");
        AssertSameBits(want[1], got[1], "final c");
        var loopOps = fused.GetPlan([outputs.Name], ["inputs:0"], []).Loop!.Nodes.Select(n => n.Op).ToList();
        Assert.Equal(1, loopOps.Count(op => op == "_FusedLstmCell"));
        Assert.DoesNotContain("Sigmoid", loopOps);
        Assert.Contains("Sigmoid", plain.GetPlan([outputs.Name], ["inputs:0"], []).Loop!.Nodes.Select(n => n.Op));

        // Independent: the recurrence in doubles.
        var hPrev = new double[B * H];
        var cPrev = new double[B * H];
        var values = got[0].ToArray<float>();
        static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
        for (int t = 0; t < Steps; t++)
        {
            var hNext = new double[B * H];
            for (int r = 0; r < B; r++)
                for (int u = 0; u < H; u++)
                {
                    double Gate(int k)
                    {
                        double z = bias[k * H + u];
                        for (int d = 0; d < I; d++) z += xs[(t * B + r) * I + d] * (double)kernel[d * 4 * H + k * H + u];
                        for (int m = 0; m < H; m++) z += hPrev[r * H + m] * kernel[(I + m) * 4 * H + k * H + u];
                        return z;
                    }
                    double cv = cPrev[r * H + u] * Sigmoid(Gate(2) + 1) + Sigmoid(Gate(0)) * Math.Tanh(Gate(1));
                    cPrev[r * H + u] = cv;
                    hNext[r * H + u] = Math.Tanh(cv) * Sigmoid(Gate(3));
                    Assert.True(Math.Abs(values[(t * B + r) * H + u] - hNext[r * H + u]) <= 1e-5, $"step {t} [{r},{u}]");
                }
            hPrev = hNext;
        }
    }

    /// <summary>The real TF 1.4 char-RNN (BasicLSTMCell in dynamic_rnn with sequence_length masking): its forward loop
    /// runs the fused cell and its logits keep the unfused bits; its training plan (stack pushes read the gates) does not fuse.</summary>
    [Fact]
    public void RealCharRnn_ForwardLoopFusesItsCell_WithTheUnfusedBits()
    {
        var meta = MetaGraph.Load(Fixtures.Path("char_rnn_tensorarray", "model.ckpt.meta"));
        using var fused = new Session(meta.Graph);
        using var plain = new Session(meta.Graph, new SessionOptions { FuseKernels = false });
        fused.Restore(Fixtures.Path("char_rnn_tensorarray"), meta.SaverDef);
        plain.Restore(Fixtures.Path("char_rnn_tensorarray"), meta.SaverDef);
        var rng = new Random(37);
        int[] lengths = [158, 40, 3];
        var ids = Enumerable.Range(0, lengths.Length * 158).Select(_ => rng.Next(92)).ToArray();
        var feeds = new Dictionary<string, Tensor>
        {
            ["x_raw_input:0"] = Tensor.Create(ids, lengths.Length, 158),
            ["length_of_each_sequence:0"] = Tensor.Create(lengths),
            ["batch_size:0"] = Tensor.FromScalar(lengths.Length),
        };
        AssertSameBits(plain.Run(["logits:0"], feeds)[0], fused.Run(["logits:0"], feeds)[0], "logits");
        var loop = fused.GetPlan(["logits:0"], [.. feeds.Keys], []).Loop!.Nodes;
        var cell = Assert.Single(loop, n => n.Op == "_FusedLstmCell");
        Assert.StartsWith("rnn/while/rnn/basic_lstm_cell/", cell.Name);
        Assert.DoesNotContain(loop, n => n.Op is "Sigmoid" or "Split");
        var train = fused.GetPlan([], [.. feeds.Keys, "y_target_label:0", "decay_iter_divide_decay_speed:0"], ["GradientDescent"]).Loop!.Nodes;
        Assert.DoesNotContain(train, n => n.Op == "_FusedLstmCell");
    }

    /// <summary>The real TF 2.15 Keras LSTM SavedModel: the cell inside standard_lstm's while body (a function) is fused
    /// there, and the signature's output keeps the unfused bits.</summary>
    [Fact]
    public void RealKerasLstm_FunctionBodyFusesItsCell_WithTheUnfusedBits()
    {
        var meta = MetaGraph.Load(Fixtures.Path("keras_lstm_savedmodel_tf2"));
        using var fused = new Session(meta.Graph);
        using var plain = new Session(meta.Graph, new SessionOptions { FuseKernels = false });
        foreach (var s in new[] { fused, plain })
        {
            // The same deterministic value in every float variable of both sessions.
            var rng = new Random(41);
            foreach (var node in meta.Graph.Nodes.Where(n => n.Op == "VarHandleOp" && n.GetType("dtype") == DataType.DtFloat))
            {
                var shape = node.GetShape("shape")!.Dim.Select(d => (int)d.Size).ToArray();
                int count = shape.Aggregate(1, (a, b) => a * b);
                s.State.Variable(node.GetString("shared_name")).Value = Tensor.Create(Random(rng, count, 0.5f), shape);
            }
        }
        var sig = meta.Proto.SignatureDef["serving_default"];
        var inputs = new Random(43);
        var feeds = new Dictionary<string, Tensor>
        {
            [sig.Inputs["input_1"].Name] = Tensor.Create(Random(inputs, 3 * 13, 2f), 3, 13),
            [sig.Inputs["input_2"].Name] = Tensor.Create(Random(inputs, 3 * 13, 2f), 3, 13, 1),
        };
        string output = sig.Outputs["dense_3"].Name;
        AssertSameBits(plain.Run([output], feeds)[0], fused.Run([output], feeds)[0], "dense_3");
        // The while bodies that hold the cell (standard_lstm's, one per saved concrete function), planned as the function
        // runner plans them: an inner session of the body graph.
        var library = meta.Graph.Def.Library;
        var bodies = library.Function.Where(f => f.Signature.Name.StartsWith("while_body_", StringComparison.Ordinal)
            && f.NodeDef.Any(n => n.Op == "Split") && f.NodeDef.Count(n => n.Op == "Sigmoid") == 3).ToList();
        Assert.NotEmpty(bodies);
        foreach (var bodyDef in bodies)
        {
            var body = TypedGraph.Functions.FunctionBody.Instantiate(library, bodyDef.Signature.Name, new Dictionary<string, AttrValue>(), null, "test");
            using var inner = new Session(body.Graph);
            var steps = inner.GetPlan([.. body.Outputs], [.. body.ArgTensors], [.. body.Targets]).Steps.Select(st => st.Node.Op).ToList();
            Assert.Equal(1, steps.Count(op => op == "_FusedLstmCell"));
            Assert.DoesNotContain("Sigmoid", steps);
        }
    }
}
