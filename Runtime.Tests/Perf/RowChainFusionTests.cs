using TypedGraph.Building;
using TypedGraph.Kernels.Linalg;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using Xunit;
using static TypedGraph.Tests.Support.ExecGraph;

namespace TypedGraph.Tests.Perf;

/// <summary>
/// The plan's row-chain fusion (dense layers → optional Softmax/LogSoftmax into one <c>_FusedMatMulChain</c>): the same
/// bits as the unfused plan on random shapes (first run on raw weights, later runs on packed ones split by rows), values
/// that match a naive double-precision forward pass, and no fusion where an intermediate is visible.
/// </summary>
public class RowChainFusionTests
{
    private static float[] Random(Random rng, int n, float scale = 1f) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1) * scale).ToArray();

    private sealed record LayerSpec(int Inputs, int Outputs, bool TransB, string Act, bool Bias);

    /// <summary>x → (MatMul → [BiasAdd → act]) per layer → [softmax] ("out"); returns the graph and the weights.</summary>
    private static (ExecGraph G, List<(float[] W, float[]? B)> Weights) Chain(Random rng, LayerSpec[] layers, string softmax)
    {
        var g = new ExecGraph();
        var t = T(DataType.DtFloat);
        g.Placeholder("x", DataType.DtFloat, [-1, layers[0].Inputs]);
        string h = "x";
        var weights = new List<(float[], float[]?)>();
        for (int i = 0; i < layers.Length; i++)
        {
            var l = layers[i];
            var w = Random(rng, l.Inputs * l.Outputs, 1f / MathF.Sqrt(l.Inputs));
            g.Const($"w{i}", l.TransB ? Tensor.Create(w, l.Outputs, l.Inputs) : Tensor.Create(w, l.Inputs, l.Outputs));
            h = g.Op($"mm{i}", "MatMul", [h, $"w{i}"], t, ("transpose_b", Bool(l.TransB)));
            float[]? b = null;
            if (l.Bias)
            {
                b = Random(rng, l.Outputs);
                g.Const($"b{i}", Tensor.Create(b, l.Outputs));
                h = g.Op($"ba{i}", "BiasAdd", [h, $"b{i}"], t);
                if (l.Act != "") h = g.Op($"act{i}", l.Act, [h], t);
            }
            weights.Add((w, b));
        }
        if (softmax != "") h = g.Op("sm", softmax, [h], t);
        g.Op("out", "Identity", [h], t);
        return (g, weights);
    }

    /// <summary>The forward pass in double precision, straight from the definitions (TF's MatMul, BiasAdd, Relu, Elu,
    /// Softmax = exp(x - max) / Σ exp, LogSoftmax = x - max - log Σ exp).</summary>
    private static double[] Naive(float[] x, int m, LayerSpec[] layers, List<(float[] W, float[]? B)> weights, string softmax)
    {
        var h = x.Select(v => (double)v).ToArray();
        for (int i = 0; i < layers.Length; i++)
        {
            var l = layers[i];
            var y = new double[m * l.Outputs];
            for (int r = 0; r < m; r++)
                for (int j = 0; j < l.Outputs; j++)
                {
                    double sum = 0;
                    for (int p = 0; p < l.Inputs; p++)
                        sum += h[r * l.Inputs + p] * (l.TransB ? weights[i].W[j * l.Inputs + p] : weights[i].W[p * l.Outputs + j]);
                    if (weights[i].B is { } b) sum += b[j];
                    y[r * l.Outputs + j] = !l.Bias ? sum : l.Act switch
                    {
                        "Relu" => Math.Max(sum, 0),
                        "Relu6" => Math.Clamp(sum, 0, 6),
                        "Elu" => sum < 0 ? Math.Exp(sum) - 1 : sum,
                        _ => sum,
                    };
                }
            h = y;
        }
        if (softmax == "") return h;
        int c = layers[^1].Outputs;
        for (int r = 0; r < m; r++)
        {
            var row = h.AsSpan(r * c, c);
            double max = row.ToArray().Max(), sum = row.ToArray().Sum(v => Math.Exp(v - max));
            for (int j = 0; j < c; j++) row[j] = softmax == "Softmax" ? Math.Exp(row[j] - max) / sum : row[j] - max - Math.Log(sum);
        }
        return h;
    }

    private static MatMulChainKernel ChainKernel(Session s, string fetch, string feed)
        => (MatMulChainKernel)s.GetPlan([fetch], [feed], []).Steps.Single(st => st.Node.Op == "_FusedMatMulChain").Kernel;

    private static void AssertNear(double[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 2e-4 * Math.Max(1, Math.Abs(expected[i])), $"{what} [{i}]: naive {expected[i]}, ours {actual[i]}");
    }

    public static TheoryData<int> Batches => new() { 1, 7, 64, 200 };

    [Theory]
    [MemberData(nameof(Batches))]
    public void Random_chains_give_the_unfused_bits_and_the_naive_values(int batch)
    {
        var rng = new Random(100 + batch);
        string[] acts = ["", "Relu", "Relu6", "Elu"];
        string[] softmaxes = ["Softmax", "LogSoftmax", ""];
        int rowPartRuns = 0;
        for (int trial = 0; trial < 9; trial++)
        {
            // Layer widths around the cases that matter: wide first layers (packed, 784×128 like MNIST), narrow heads
            // (10 classes, < 16 columns), a third layer, transposed weights, layers without a bias.
            int inputs = trial % 3 == 0 ? 784 : rng.Next(1, 300);
            int hidden = trial % 3 == 0 ? 128 : rng.Next(1, 200);
            int outputs = trial % 2 == 0 ? 10 : rng.Next(1, 40);
            var layers = new List<LayerSpec> { new(inputs, hidden, trial % 4 == 3, acts[trial % 4], true) };
            if (trial % 3 == 2) layers.Add(new LayerSpec(hidden, 48, false, "Relu", trial % 2 == 0));
            layers.Add(new LayerSpec(layers[^1].Outputs, outputs, trial == 5, acts[(trial + 1) % 4], trial != 4));
            var spec = layers.ToArray();
            string softmax = softmaxes[trial % 3];
            var (g, weights) = Chain(rng, spec, softmax);
            var xv = Random(rng, batch * inputs, 2f);
            var x = Tensor.Create(xv, batch, inputs);
            using var fused = new Session(g.Graph);
            using var plain = new Session(g.Graph, new SessionOptions { FuseKernels = false });
            var expected = Naive(xv, batch, spec, weights, softmax);
            var unfused = plain.Run("out:0", ("x:0", x)).ToArray<float>();
            AssertNear(expected, unfused, $"trial {trial} unfused");
            // Run 1 reads raw weights, runs 2–3 the packed ones (and split by rows when the chain is big enough).
            for (int run = 0; run < 3; run++)
            {
                var y = fused.Run("out:0", ("x:0", x)).ToArray<float>();
                Assert.True(unfused.AsSpan().SequenceEqual(y), $"trial {trial} run {run}: fused differs from unfused (first at {FirstDifference(unfused, y)})");
            }
            rowPartRuns += ChainKernel(fused, "out:0", "x:0").RowPartRuns;
        }
        // Batch 64 and 200 have chains of over a million multiply-adds: their later runs took the row-part path.
        if (batch >= 64) Assert.True(rowPartRuns >= 6, $"row-part runs {rowPartRuns}");
    }

    private static int FirstDifference(float[] a, float[] b)
    {
        for (int i = 0; i < a.Length; i++)
            if (BitConverter.SingleToInt32Bits(a[i]) != BitConverter.SingleToInt32Bits(b[i])) return i;
        return -1;
    }

    /// <summary>x[64, inputs] → Relu layer of <paramref name="hidden"/> → 10 logits → Softmax, with fused and unfused sessions.</summary>
    private static (LayerSpec[] Spec, List<(float[] W, float[]? B)> Weights, float[] Xv, Tensor X, Session Fused, Session Plain) TwoLayers(int seed, int inputs, int hidden)
    {
        var rng = new Random(seed);
        LayerSpec[] spec = [new(inputs, hidden, false, "Relu", true), new(hidden, 10, false, "", true)];
        var (g, weights) = Chain(rng, spec, "Softmax");
        var xv = Random(rng, 64 * inputs);
        return (spec, weights, xv, Tensor.Create(xv, 64, inputs), new Session(g.Graph), new Session(g.Graph, new SessionOptions { FuseKernels = false }));
    }

    [Fact]
    public void The_mnist_mlp_becomes_one_chain_step_and_fetching_an_intermediate_keeps_it_visible()
    {
        var (spec, weights, xv, x, fused, plain) = TwoLayers(7, 784, 128);
        using var _ = fused;
        using var __ = plain;
        var ops = fused.GetPlan(["out:0"], ["x:0"], []).Steps.Select(s => s.Node.Op).Where(op => op.StartsWith('_')).ToArray();
        Assert.Equal(["_FusedMatMulChain"], ops);
        // The hidden layer fetched too: the first layer stays its own _FusedMatMul (its output is visible), the head
        // (second layer + softmax) still chains, and both fetches equal the unfused plan's.
        var feeds = new Dictionary<string, Tensor> { ["x:0"] = x };
        string[] fetches = ["out:0", "act0:0"];
        for (int run = 0; run < 3; run++)
        {
            var a = fused.Run(fetches, feeds);
            var b = plain.Run(fetches, feeds);
            for (int i = 0; i < 2; i++) Assert.Equal(b[i].ToArray<float>(), a[i].ToArray<float>());
        }
        var steps = fused.GetPlan(fetches, ["x:0"], []).Steps.Select(s => (s.Node.Name, s.Node.Op)).ToArray();
        Assert.Contains(("act0", "_FusedMatMul"), steps);
        Assert.Contains(("sm", "_FusedMatMulChain"), steps);
        // The logits fetched: the layers chain, the softmax stays separate.
        steps = fused.GetPlan(["out:0", "ba1:0"], ["x:0"], []).Steps.Select(s => (s.Node.Name, s.Node.Op)).ToArray();
        Assert.Contains(("ba1", "_FusedMatMulChain"), steps);
        Assert.Contains(("sm", "Softmax"), steps);
        AssertNear(Naive(xv, 64, spec, weights, "Softmax"), fused.Run("out:0", ("x:0", x)).ToArray<float>(), "mnist");
    }

    [Fact]
    public void A_fed_weight_is_used_as_fed_and_never_packed()
    {
        var (spec, weights, xv, x, fused, plain) = TwoLayers(8, 300, 96);
        using var _ = fused;
        using var __ = plain;
        var rng = new Random(80);
        var feeds = new Dictionary<string, Tensor> { ["x:0"] = x };
        for (int run = 0; run < 3; run++) fused.Run(["out:0"], feeds);
        var fedW = Random(rng, 300 * 96, 0.1f);
        feeds["w0:0"] = Tensor.Create(fedW, 300, 96);
        for (int run = 0; run < 3; run++)
            Assert.Equal(plain.Run(["out:0"], feeds)[0].ToArray<float>(), fused.Run(["out:0"], feeds)[0].ToArray<float>());
        var kernel = (MatMulChainKernel)fused.GetPlan(["out:0"], ["w0:0", "x:0"], []).Steps.Single(st => st.Node.Op == "_FusedMatMulChain").Kernel;
        Assert.Equal(0, kernel.PackingOf(0).Packings);
        AssertNear(Naive(xv, 64, spec, [(fedW, weights[0].B), weights[1]], "Softmax"), fused.Run(["out:0"], feeds)[0].ToArray<float>(), "fed w0");
    }

    [Fact]
    public void Variable_weights_are_repacked_after_an_assign_and_results_follow()
    {
        const int m = 64, k = 784, h = 128, n = 10;
        var rng = new Random(9);
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, null, "x");
        var w0 = Random(rng, k * h, 0.05f);
        var w = b.Variable(Tensor.Create(w0, k, h), "w");
        var bias = b.Constant(Tensor.Create(Random(rng, h), h), "bias");
        var w2 = b.Constant(Tensor.Create(Random(rng, h * n, 0.1f), h, n), "w2");
        var newW = b.Placeholder(DataType.DtFloat, null, "new_w");
        var assign = b.Assign(w, newW, "assign_w");
        b.Softmax(b.MatMul(b.Relu(b.BiasAdd(b.MatMul(x, w.Snapshot, name: "mm"), bias, name: "ba"), "relu"), w2, name: "logits"), "out");
        b.GlobalVariablesInitializer();
        using var fused = new Session(b.Graph);
        using var plain = new Session(b.Graph, new SessionOptions { FuseKernels = false });
        fused.Initialize();
        plain.Initialize();
        var feed = ("x:0", Tensor.Create(Random(rng, m * k), m, k));
        for (int run = 0; run < 3; run++) Assert.Equal(plain.Run("out:0", feed).ToArray<float>(), fused.Run("out:0", feed).ToArray<float>());
        var kernel = ChainKernel(fused, "out:0", "x:0");
        Assert.Equal(1, kernel.PackingOf(0).Packings);
        var w1 = Random(rng, k * h, 0.05f);
        foreach (var s in new[] { fused, plain }) s.Run([assign.Name], new Dictionary<string, Tensor> { ["new_w:0"] = Tensor.Create(w1, k, h) });
        for (int run = 0; run < 3; run++) Assert.Equal(plain.Run("out:0", feed).ToArray<float>(), fused.Run("out:0", feed).ToArray<float>());
        Assert.Equal(2, kernel.PackingOf(0).Packings);
        Assert.True(kernel.RowPartRuns >= 2, $"row-part runs {kernel.RowPartRuns}");
    }

    [Fact]
    public void A_mismatched_weight_is_an_error_naming_the_layers_node()
    {
        var rng = new Random(10);
        LayerSpec[] spec = [new(20, 16, false, "Relu", true), new(16, 4, false, "", true)];
        var (g, _) = Chain(rng, spec, "Softmax");
        using var s = new Session(g.Graph);
        var feeds = new Dictionary<string, Tensor>
        {
            ["x:0"] = Tensor.Create(new float[3 * 20], 3, 20),
            ["w1:0"] = Tensor.Create(new float[15 * 4], 15, 4),
        };
        var e = Assert.Throws<GraphExecutionException>(() => s.Run(["out:0"], feeds));
        Assert.Contains("Matrix size-incompatible", e.Message);
        Assert.Contains("'ba1'", e.Message);
        Assert.Equal("ba1", e.NodeName);
    }
}
