using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using Xunit;
using static TypedGraph.Tests.Support.ExecGraph;

namespace TypedGraph.Tests.Perf;

/// <summary>
/// Plan-time fusion of Conv2D/MatMul → BiasAdd → activation: same results as the unfused plan, and only when
/// the intermediates are invisible to the request.
/// </summary>
public class PlanFusionTests
{
    private static readonly string[] Activations = ["", "Relu", "Relu6", "Elu"];

    private static float[] Random(Random rng, int n, float scale = 1f) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1) * scale).ToArray();

    private static string[] FusedOps(Session s, string[] fetches, string[] feeds, string[]? targets = null)
        => s.GetPlan(fetches, feeds, targets ?? []).Steps.Select(st => st.Node.Op).Where(op => op.StartsWith("_Fused", StringComparison.Ordinal)).ToArray();

    private static void AssertClose(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        var e = expected.ToArray<float>();
        var a = actual.ToArray<float>();
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - a[i]) <= 1e-6f * Math.Max(1f, Math.Abs(e[i])), $"[{i}]: unfused {e[i]}, fused {a[i]}");
    }

    /// <summary>x → MatMul → BiasAdd → act → MatMul → BiasAdd → act2 ("out").</summary>
    private static ExecGraph Mlp(Random rng, int batch, int inputs, int hidden, int outputs, string act, string act2)
    {
        var g = new ExecGraph();
        var t = T(DataType.DtFloat);
        g.Placeholder("x", DataType.DtFloat, [-1, inputs]);
        g.Const("w1", Tensor.Create(Random(rng, inputs * hidden, 0.5f), inputs, hidden));
        g.Const("b1", Tensor.Create(Random(rng, hidden), hidden));
        g.Const("w2", Tensor.Create(Random(rng, hidden * outputs, 0.5f), hidden, outputs));
        g.Const("b2", Tensor.Create(Random(rng, outputs), outputs));
        g.Op("mm1", "MatMul", ["x", "w1"], t);
        g.Op("ba1", "BiasAdd", ["mm1", "b1"], t);
        string h = act == "" ? "ba1" : g.Op("act1", act, ["ba1"], t);
        g.Op("mm2", "MatMul", [h, "w2"], t, ("transpose_b", Bool(false)));
        string last = act2 == "" ? g.Op("out", "BiasAdd", ["mm2", "b2"], t) : g.Op("ba2", "BiasAdd", ["mm2", "b2"], t);
        if (act2 != "") g.Op("out", act2, [last], t);
        return g;
    }

    [Fact]
    public void RandomMlpsGiveTheSameResultsFusedAndUnfused()
    {
        var rng = new Random(11);
        for (int trial = 0; trial < 24; trial++)
        {
            string act = Activations[trial % 4], act2 = Activations[(trial / 4) % 4];
            int batch = rng.Next(1, 40), inputs = rng.Next(1, 70), hidden = rng.Next(1, 50), outputs = rng.Next(1, 20);
            var g = Mlp(rng, batch, inputs, hidden, outputs, act, act2);
            var x = Tensor.Create(Random(rng, batch * inputs, 2f), batch, inputs);
            using var fused = new Session(g.Graph);
            using var plain = new Session(g.Graph, new SessionOptions { FuseKernels = false });
            AssertClose(plain.Run("out:0", ("x:0", x)), fused.Run("out:0", ("x:0", x)));
            // Both fused layers then form one row chain (RowChainFusionTests); the layer descriptions say what each fused.
            var chain = Assert.Single(fused.GetPlan(["out:0"], ["x:0"], []).Steps, st => st.Node.Op == "_FusedMatMulChain").Node;
            Assert.Equal([act == "" ? "BiasAdd" : "BiasAdd," + act, act2 == "" ? "BiasAdd" : "BiasAdd," + act2], chain.GetStrings("layer_fused_ops"));
            Assert.Equal(["_FusedMatMulChain"], FusedOps(fused, ["out:0"], ["x:0"]));
            Assert.Empty(FusedOps(plain, ["out:0"], ["x:0"]));
        }
    }

    /// <summary>
    /// A plan with a TF1 while loop is fused too: a dynamic_rnn-style cell h ← act(BiasAdd(MatMul(concat(x_t, h), W), b))
    /// runs as one <c>_FusedMatMul</c> per step inside the loop executor, and gives the unfused plan's values (and a
    /// hand-written recurrence's). When the cell's BiasAdd is also read by another op of the body, only MatMul → BiasAdd
    /// fuses and the activation stays a separate node.
    /// </summary>
    [Theory]
    [InlineData("Relu", false)]
    [InlineData("Relu6", false)]
    [InlineData("Relu", true)]
    public void LoopBodiesAreFused_AndGiveTheUnfusedValues(string act, bool biasReadTwice)
    {
        const int Steps = 7, B = 3, D = 5, H = 6;
        var rng = new Random(act.Length * 31 + (biasReadTwice ? 1 : 0));
        var kernel = Random(rng, (D + H) * H, 0.4f);
        var bias = Random(rng, H, 0.3f);
        var xs = Random(rng, Steps * B * D, 2f);

        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [Steps, B, D], "inputs");
        var w = b.Constant(kernel, [D + H, H], "kernel");
        var bi = b.Constant(bias, [H], "bias");
        var steps = b.Constant(Steps, "steps");
        var inputTa = b.TensorArrayUnstack(b.TensorArray(steps, DataType.DtFloat, [B, D], tensorArrayName: "input_0"), x);
        var outputTa = b.TensorArray(steps, DataType.DtFloat, [B, H], tensorArrayName: "output_0");
        var exits = b.WhileLoop(
            v => b.Less(v[0], steps),
            v =>
            {
                var pre = b.BiasAdd(b.MatMul(b.Concat([b.TensorArrayRead(inputTa, v[0]), v[2]], 1), w), bi);
                var h = act == "Relu" ? b.Relu(pre) : b.Relu6(pre);
                var written = biasReadTwice ? b.Add(h, pre) : h; // a second reader of the BiasAdd keeps it visible
                return [b.Add(v[0], 1), b.TensorArrayWrite(outputTa.WithFlow(v[1]), v[0], written).Flow, h];
            },
            [b.Constant(0, "time"), outputTa.Flow, b.Constant(new float[B * H], [B, H], "zeros")]);
        var outputs = b.TensorArrayStack(outputTa.WithFlow(exits[1]));
        var feeds = new Dictionary<string, Tensor> { ["inputs:0"] = Tensor.Create(xs, Steps, B, D) };

        using var fused = new Session(b.Graph);
        using var plain = new Session(b.Graph, new SessionOptions { FuseKernels = false });
        var got = fused.Run([outputs.Name], feeds)[0];
        AssertClose(plain.Run([outputs.Name], feeds)[0], got);

        // Independent: the recurrence written out in doubles.
        var hPrev = new double[B * H];
        var values = got.ToArray<float>();
        for (int t = 0; t < Steps; t++)
        {
            var hNext = new double[B * H];
            for (int r = 0; r < B; r++)
                for (int j = 0; j < H; j++)
                {
                    double z = bias[j];
                    for (int d = 0; d < D; d++) z += xs[(t * B + r) * D + d] * (double)kernel[d * H + j];
                    for (int u = 0; u < H; u++) z += hPrev[r * H + u] * kernel[(D + u) * H + j];
                    double hv = act == "Relu" ? Math.Max(0, z) : Math.Clamp(z, 0, 6);
                    hNext[r * H + j] = hv;
                    double expected = biasReadTwice ? hv + z : hv;
                    Assert.True(Math.Abs(values[(t * B + r) * H + j] - expected) <= 1e-4 * Math.Max(1, Math.Abs(expected)),
                        $"step {t} [{r},{j}]: {values[(t * B + r) * H + j]}, recurrence {expected}");
                }
            hPrev = hNext;
        }

        var loopOps = fused.GetPlan([outputs.Name], ["inputs:0"], []).Loop!.Nodes.Select(n => n.Op).ToList();
        var cell = Assert.Single(fused.GetPlan([outputs.Name], ["inputs:0"], []).Loop!.Nodes, n => n.Op == "_FusedMatMul");
        Assert.Equal(biasReadTwice ? ["BiasAdd"] : ["BiasAdd", act], cell.GetStrings("fused_ops"));
        Assert.DoesNotContain("MatMul", loopOps);
        Assert.Equal(biasReadTwice ? 1 : 0, loopOps.Count(op => op == act));
        Assert.DoesNotContain(plain.GetPlan([outputs.Name], ["inputs:0"], []).Loop!.Nodes, n => n.Op.StartsWith("_Fused", StringComparison.Ordinal));
    }

    [Fact]
    public void RandomConvNetsGiveTheSameResultsFusedAndUnfused()
    {
        var rng = new Random(5);
        for (int trial = 0; trial < 16; trial++)
        {
            string act = Activations[trial % 4];
            int n = rng.Next(1, 4), h = rng.Next(3, 12), w = rng.Next(3, 12), c = rng.Next(1, 5), oc = rng.Next(1, 9);
            int kh = rng.Next(1, 4), kw = rng.Next(1, 4), stride = rng.Next(1, 3);
            string padding = rng.Next(2) == 0 ? "SAME" : "VALID";
            var g = new ExecGraph();
            var t = T(DataType.DtFloat);
            g.Placeholder("x", DataType.DtFloat, [-1, h, w, c]);
            g.Const("f", Tensor.Create(Random(rng, kh * kw * c * oc, 0.5f), kh, kw, c, oc));
            g.Const("b", Tensor.Create(Random(rng, oc), oc));
            g.Op("conv", "Conv2D", ["x", "f"], t, ("strides", Ints(1, stride, stride, 1)), ("padding", Str(padding)), ("data_format", Str("NHWC")));
            string last = act == "" ? g.Op("out", "BiasAdd", ["conv", "b"], t) : g.Op("ba", "BiasAdd", ["conv", "b"], t, ("data_format", Str("NHWC")));
            if (act != "") g.Op("out", act, [last], t);
            var x = Tensor.Create(Random(rng, n * h * w * c, 2f), n, h, w, c);
            using var fused = new Session(g.Graph);
            using var plain = new Session(g.Graph, new SessionOptions { FuseKernels = false });
            AssertClose(plain.Run("out:0", ("x:0", x)), fused.Run("out:0", ("x:0", x)));
            Assert.Equal(["_FusedConv2D"], FusedOps(fused, ["out:0"], ["x:0"]));
        }
    }

    [Fact]
    public void FetchingAnIntermediateDisablesFusionOfItsChain()
    {
        var rng = new Random(3);
        var g = Mlp(rng, 4, 6, 5, 3, "Relu", "Relu");
        var x = Tensor.Create(Random(rng, 24, 2f), 4, 6);
        using var fused = new Session(g.Graph);
        using var plain = new Session(g.Graph, new SessionOptions { FuseKernels = false });
        var feeds = new Dictionary<string, Tensor> { ["x:0"] = x };
        // ba1 (the BiasAdd) is fetched: its Relu stays separate, while mm1 (read only by ba1) still fuses into
        // a bias-only _FusedMatMul named ba1. mm2 (a head) is fetched: the second chain stays unfused.
        string[] fetches = ["out:0", "ba1:0", "mm2:0"];
        var a = fused.Run(fetches, feeds);
        var b = plain.Run(fetches, feeds);
        for (int i = 0; i < fetches.Length; i++) AssertClose(b[i], a[i]);
        var steps = fused.GetPlan(fetches, ["x:0"], []).Steps.Select(s => (s.Node.Name, s.Node.Op)).ToArray();
        Assert.Contains(("ba1", "_FusedMatMul"), steps);   // MatMul+BiasAdd, tail visible
        Assert.Contains(("act1", "Relu"), steps);           // BiasAdd's output is fetched: no activation fusion
        Assert.Contains(("mm2", "MatMul"), steps);          // fetched head: the second chain is not fused
        Assert.Contains(("ba2", "BiasAdd"), steps);
        Assert.DoesNotContain(("mm1", "MatMul"), steps);
        // Fetching the head's output disables the whole chain.
        Assert.Empty(FusedOps(fused, ["mm1:0", "mm2:0"], ["x:0"]));
    }

    [Fact]
    public void FeedsExtraReadersControlEdgesAndTargetsKeepIntermediates()
    {
        var rng = new Random(4);
        var g = Mlp(rng, 3, 4, 5, 2, "Relu", "");
        g.Op("side", "Neg", ["ba1"], T(DataType.DtFloat));   // a second reader of ba1
        g.Op("wait", "NoOp", ["^mm2"]);                       // an op waiting on mm2
        var x = Tensor.Create(Random(rng, 12, 2f), 3, 4);
        using var fused = new Session(g.Graph);
        using var plain = new Session(g.Graph, new SessionOptions { FuseKernels = false });
        var feeds = new Dictionary<string, Tensor> { ["x:0"] = x };
        var a = fused.Run(["out:0", "side:0"], feeds, ["wait"]);
        var b = plain.Run(["out:0", "side:0"], feeds, ["wait"]);
        AssertClose(b[0], a[0]);
        AssertClose(b[1], a[1]);
        var ops = fused.GetPlan(["out:0", "side:0"], ["x:0"], ["wait"]).Steps.Select(s => (s.Node.Name, s.Node.Op)).ToArray();
        Assert.Contains(("ba1", "_FusedMatMul"), ops);  // ba1 read twice: only MatMul+BiasAdd fuse
        Assert.Contains(("act1", "Relu"), ops);
        Assert.Contains(("mm2", "MatMul"), ops);        // control edge from mm2: not fused
        Assert.Contains(("out", "BiasAdd"), ops);
        // A fed intermediate cuts the chain: BiasAdd reads the fed value, nothing before it runs.
        var mm1 = Tensor.Create(Random(rng, 15), 3, 5);
        var feeds2 = new Dictionary<string, Tensor> { ["mm1:0"] = mm1 };
        AssertClose(plain.Run(["out:0"], feeds2)[0], fused.Run(["out:0"], feeds2)[0]);
        Assert.Equal(["_FusedMatMul"], FusedOps(fused, ["out:0"], ["mm1:0"])); // only the second chain
        // The head as a target: kept.
        Assert.Single(FusedOps(fused, ["out:0"], ["x:0"], ["mm1"]));
    }
}
