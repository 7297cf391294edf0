using TypedGraph.Building;
using TypedGraph.Formats;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using Xunit;
using static TypedGraph.Tests.Support.ExecGraph;

namespace TypedGraph.Tests.Perf;

/// <summary>
/// TF's dependency optimization at plan time: a side-effect-free node whose outputs nothing reads, there only because
/// a control edge waits on it, runs as a NoOp (and so does a chain feeding only it); the results are those of the full
/// plan; nodes the request names, stateful ops, Assert, control flow and Switch readers are kept.
/// </summary>
public class DependencyOptimizerTests
{
    private static string OpOf(Session s, string[] fetches, string[] feeds, string[] targets, string node)
        => s.GetPlan(fetches, feeds, targets).Steps.Single(st => st.Node.Name == node).Node.Op;

    private static ExecGraph Grouped()
    {
        // out = Identity(y, ^group); group waits on y and on `unused` = MatMul(Neg(x), w2), which nothing reads.
        var g = new ExecGraph();
        var t = T(DataType.DtFloat);
        g.Placeholder("x", DataType.DtFloat, [-1, 3]);
        g.Const("w", Tensor.Create(new[] { 1f, 2f, 3f, 4f, 5f, 6f }, 3, 2));
        g.Const("w2", Tensor.Create(new[] { 1f, 0f, 0f, 1f, 1f, 1f }, 3, 2));
        g.Op("y", "MatMul", ["x", "w"], t);
        g.Op("neg", "Neg", ["x"], t);
        g.Op("unused", "MatMul", ["neg", "w2"], t);
        g.Op("group", "NoOp", ["^y", "^unused"]);
        g.Op("out", "Identity", ["y", "^group"], t);
        return g;
    }

    [Fact]
    public void ControlOnlyChainsRunAsNoOps_AndTheFetchKeepsItsValue()
    {
        var g = Grouped();
        using var s = new Session(g.Graph);
        using var full = new Session(g.Graph, new SessionOptions { OptimizeDependencies = false });
        var feeds = new Dictionary<string, Tensor> { ["x:0"] = Tensor.Create(new[] { 1f, 1f, 1f, 2f, 0f, -1f }, 2, 3) };
        Assert.Equal("NoOp", OpOf(s, ["out:0"], ["x:0"], [], "unused"));
        Assert.Equal("NoOp", OpOf(s, ["out:0"], ["x:0"], [], "neg")); // it fed only `unused`
        Assert.Equal("MatMul", OpOf(s, ["out:0"], ["x:0"], [], "y"));
        Assert.Equal("MatMul", OpOf(full, ["out:0"], ["x:0"], [], "unused"));
        // x·w by hand: [1,1,1]·w = [9, 12]; [2,0,-1]·w = [2-5, 4-6] = [-3, -2].
        Assert.Equal([9f, 12f, -3f, -2f], s.Run(["out:0"], feeds)[0].ToArray<float>());
        Assert.Equal([9f, 12f, -3f, -2f], full.Run(["out:0"], feeds)[0].ToArray<float>());
        // The NoOp still waits for what the node waited for: `neg` keeps its place before `group`.
        var steps = s.GetPlan(["out:0"], ["x:0"], []).Steps.Select(st => st.Node.Name).ToList();
        Assert.True(steps.IndexOf("unused") < steps.IndexOf("group"));
        Assert.True(steps.IndexOf("neg") < steps.IndexOf("unused"));
    }

    /// <summary>TF skips such a node, so a node that would fail does not fail the run (TF's grappler does the same); with
    /// the optimization off it runs and fails.</summary>
    [Fact]
    public void ASkippedNodeNeverRuns()
    {
        var g = new ExecGraph();
        var t = T(DataType.DtFloat);
        g.Placeholder("x", DataType.DtFloat, [-1, 3]);
        g.Const("bad", Tensor.Create(new float[4 * 2], 4, 2));
        g.Op("y", "Neg", ["x"], t);
        g.Op("broken", "MatMul", ["x", "bad"], t); // 3 vs 4: fails if it runs
        g.Op("out", "Identity", ["y", "^broken"], t);
        var feeds = new Dictionary<string, Tensor> { ["x:0"] = Tensor.Create(new[] { 1f, 2f, 3f }, 1, 3) };
        using var s = new Session(g.Graph);
        Assert.Equal([-1f, -2f, -3f], s.Run(["out:0"], feeds)[0].ToArray<float>());
        using var full = new Session(g.Graph, new SessionOptions { OptimizeDependencies = false });
        Assert.Throws<GraphExecutionException>(() => full.Run(["out:0"], feeds));
    }

    [Fact]
    public void NamedStatefulAssertAndSwitchFedNodesAreKept()
    {
        var g = new ExecGraph();
        var t = T(DataType.DtFloat);
        g.Placeholder("x", DataType.DtFloat, [-1, 3]);
        g.Placeholder("p", DataType.DtBool, []);
        g.Const("shape", Tensor.Create(new[] { 2 }));
        g.Op("rand", "RandomUniform", ["shape"], ("dtype", Type(DataType.DtFloat)), ("T", Type(DataType.DtInt32)));
        g.Const("msg", Tensor.FromString("checked"));
        g.Op("check", "Assert", ["p", "msg"], ("T", Types(DataType.DtString)));
        g.Op("sw", "Switch", ["x", "p"], t);
        g.Op("branch", "Neg", ["sw:1"], t);
        g.Op("fetched", "Neg", ["x"], t);
        g.Op("target", "Neg", ["x"], t);
        g.Op("out", "Identity", ["x", "^rand", "^check", "^branch", "^fetched"], t);
        using var s = new Session(g.Graph);
        string[] feeds = ["x:0", "p:0"];
        Assert.Equal("RandomUniform", OpOf(s, ["out:0", "fetched:0"], feeds, ["target"], "rand"));
        Assert.Equal("Assert", OpOf(s, ["out:0", "fetched:0"], feeds, ["target"], "check"));
        Assert.Equal("Neg", OpOf(s, ["out:0", "fetched:0"], feeds, ["target"], "branch"));
        Assert.Equal("Neg", OpOf(s, ["out:0", "fetched:0"], feeds, ["target"], "fetched"));
        Assert.Equal("Neg", OpOf(s, ["out:0", "fetched:0"], feeds, ["target"], "target"));
        // With p false the branch is dead: `out` (which waits on it) is dead too, as in TF; with p true it runs.
        var run = s.Run(["out:0"], new Dictionary<string, Tensor> { ["x:0"] = Tensor.Create(new[] { 1f, 2f, 3f }, 1, 3), ["p:0"] = Tensor.FromScalar(true) });
        Assert.Equal([1f, 2f, 3f], run[0].ToArray<float>());
    }

    /// <summary>The real TF 1.13 LeNet: its Adam step's first-layer input gradient (only a control input of
    /// <c>gradients/Conv2D_grad/tuple/group_deps</c>) runs as a NoOp, and two steps leave every variable bit-identical to
    /// the full plan's.</summary>
    [Fact]
    public void RealLeNetAdamStep_SkipsTheFirstLayersInputGradient_WithTheSameVariables()
    {
        var meta = MetaGraph.Load(Fixtures.Path("mnist_cnn_meta", "cnn.ckpt.meta"));
        var graph = GraphBuilder.FromMetaGraph(meta.Proto).Graph;
        using var s = new Session(graph, new SessionOptions { GraphSeed = 7 });
        using var full = new Session(graph, new SessionOptions { GraphSeed = 7, OptimizeDependencies = false });
        s.Initialize();
        full.Initialize();
        var rng = new Random(3);
        var labels = new float[16 * 10];
        for (int i = 0; i < 16; i++) labels[i * 10 + i % 10] = 1;
        var feeds = new Dictionary<string, Tensor>
        {
            ["x:0"] = Tensor.Create(Enumerable.Range(0, 16 * 784).Select(_ => (float)rng.NextDouble()).ToArray(), 16, 784),
            ["y_:0"] = Tensor.Create(labels, 16, 10),
            ["Placeholder:0"] = Tensor.Create(labels, 16, 10),
            ["Placeholder_1:0"] = Tensor.FromScalar(100),
            ["pkeep:0"] = Tensor.FromScalar(1f), // dropout keeps everything, so the random mask does not matter
        };
        string[] names = [.. feeds.Keys];
        Assert.Equal("NoOp", OpOf(s, [], names, ["Adam"], "gradients/Conv2D_grad/Conv2DBackpropInput"));
        Assert.Equal("Conv2DBackpropInput", OpOf(s, [], names, ["Adam"], "gradients/Conv2D_1_grad/Conv2DBackpropInput"));
        Assert.Equal("Conv2DBackpropInput", OpOf(full, [], names, ["Adam"], "gradients/Conv2D_grad/Conv2DBackpropInput"));
        for (int v = 0; v < 8; v++)
        {
            string name = v == 0 ? "Variable:0" : $"Variable_{v}:0";
            Assert.Equal(full.Run(name).ToArray<float>(), s.Run(name).ToArray<float>());
        }
        for (int step = 0; step < 2; step++)
        {
            s.Run([], feeds, ["Adam"]);
            full.Run([], feeds, ["Adam"]);
        }
        for (int v = 0; v < 8; v++)
        {
            string name = v == 0 ? "Variable:0" : $"Variable_{v}:0";
            var a = s.Run(name).ToArray<float>();
            var b = full.Run(name).ToArray<float>();
            Assert.Equal(b.Select(BitConverter.SingleToInt32Bits), a.Select(BitConverter.SingleToInt32Bits));
        }
    }
}
