using TypedGraph.Building;

namespace TypedGraph.Tests.Execution;

/// <summary>The session's plan cache: one plan per request, found in any feed order, bounded with LRU eviction.</summary>
public class PlanCacheTests
{
    private static (Graph Graph, string[] Outputs) Graph(int outputs)
    {
        var g = new GraphBuilder();
        var x = g.Placeholder(Protos.DataType.DtFloat, [], "x");
        var y = g.Placeholder(Protos.DataType.DtFloat, [], "y");
        var names = new string[outputs];
        for (int i = 0; i < outputs; i++) names[i] = g.Add(g.Multiply(x, g.Constant((float)i)), y, $"out{i}").NodeName;
        return (g.Graph, names);
    }

    [Fact]
    public void SameRequest_InAnyFeedOrder_ReusesOnePlan_AndGivesTheRightValues()
    {
        var (graph, outs) = Graph(1);
        using var s = new Session(graph);
        var a = new Dictionary<string, Tensor> { ["x:0"] = Tensor.FromScalar(2f), ["y:0"] = Tensor.FromScalar(5f) };
        var b = new Dictionary<string, Tensor> { ["y:0"] = Tensor.FromScalar(1f), ["x:0"] = Tensor.FromScalar(3f) };
        Assert.Equal(5f, s.Run([outs[0] + ":0"], a)[0].Scalar<float>()); // 2·0 + 5
        Assert.Equal(1f, s.Run([outs[0] + ":0"], b)[0].Scalar<float>());
        Assert.Equal(1, s.CachedPlanCount);
        s.Run([outs[0] + ":0", outs[0] + ":0"], a);
        Assert.Equal(2, s.CachedPlanCount); // fetch list differs: a second plan
    }

    [Fact]
    public void ManyDistinctRequests_KeepAtMostCapacityPlans_AndEvictedRequestsStillRun()
    {
        var (graph, outs) = Graph(40);
        using var s = new Session(graph, new SessionOptions { PlanCacheCapacity = 8 });
        var feeds = new Dictionary<string, Tensor> { ["x:0"] = Tensor.FromScalar(2f), ["y:0"] = Tensor.FromScalar(1f) };
        for (int round = 0; round < 2; round++)
            for (int i = 0; i < outs.Length; i++)
            {
                Assert.Equal(2f * i + 1f, s.Run([outs[i] + ":0"], feeds)[0].Scalar<float>());
                Assert.True(s.CachedPlanCount <= 8, $"{s.CachedPlanCount} plans cached");
            }
        Assert.Equal(8, s.CachedPlanCount);
    }

    /// <summary>
    /// Fused nodes are made per plan (PlanFusion): their kernels go with the plan. Requests cycling through more fused
    /// heads than the cache holds rebuild plans again and again; the session keeps kernels only for its graph's nodes.
    /// </summary>
    [Fact]
    public void EvictedPlans_DoNotLeaveTheirFusedKernelsBehind()
    {
        const int Heads = 5;
        var g = new GraphBuilder();
        var x = g.Placeholder(Protos.DataType.DtFloat, [-1, 3], "x");
        var names = new string[Heads];
        for (int i = 0; i < Heads; i++)
        {
            var w = g.Constant(Enumerable.Range(0, 6).Select(v => (float)(v - i)).ToArray(), [3, 2], $"w{i}");
            var bias = g.Constant(new[] { 0.5f * i, -1f }, [2], $"b{i}");
            names[i] = g.Relu(g.BiasAdd(g.MatMul(x, w, name: $"mm{i}"), bias, name: $"ba{i}"), $"head{i}").NodeName;
        }
        using var s = new Session(g.Graph, new SessionOptions { PlanCacheCapacity = 2 });
        var xs = new[] { 1f, -2f, 0.5f, 3f, 0f, -1f };
        var feeds = new Dictionary<string, Tensor> { ["x:0"] = Tensor.Create(xs, 2, 3) };
        for (int round = 0; round < 6; round++)
            for (int i = 0; i < Heads; i++)
            {
                var got = s.Run([names[i] + ":0"], feeds)[0].ToArray<float>();
                for (int r = 0; r < 2; r++)
                    for (int c = 0; c < 2; c++)
                    {
                        float z = (c == 0 ? 0.5f * i : -1f);
                        for (int k = 0; k < 3; k++) z += xs[r * 3 + k] * (k * 2 + c - i);
                        Assert.Equal(Math.Max(0f, z), got[r * 2 + c], 5);
                    }
                Assert.Equal("_FusedMatMul", s.GetPlan([names[i] + ":0"], ["x:0"], []).Steps.Single(st => st.Node.Name == names[i]).Node.Op);
            }
        // 30 plan builds, each with its own fused node: only graph nodes' kernels stay (x, the 5 heads' constants and the
        // unfused nodes' kernels the plans validated before fusing).
        Assert.True(s.CachedKernelCount <= g.Graph.Nodes.Count(), $"{s.CachedKernelCount} kernels cached for {g.Graph.Nodes.Count()} graph nodes");
    }

    [Fact]
    public void RecentlyUsedPlan_SurvivesEviction()
    {
        var (graph, outs) = Graph(10);
        using var s = new Session(graph, new SessionOptions { PlanCacheCapacity = 3 });
        var feeds = new Dictionary<string, Tensor> { ["x:0"] = Tensor.FromScalar(1f), ["y:0"] = Tensor.FromScalar(0f) };
        var hot = s.Prepare([outs[0] + ":0"], ["x:0", "y:0"]);
        for (int i = 1; i < outs.Length; i++)
        {
            s.Run([outs[0] + ":0"], feeds); // keeps plan 0 the most recently used
            s.Run([outs[i] + ":0"], feeds);
        }
        int before = s.CachedPlanCount;
        s.Run([outs[0] + ":0"], feeds);
        Assert.Equal(before, s.CachedPlanCount); // found, not rebuilt (a rebuild would have evicted another)
        Assert.Equal(0f, hot.Run(Tensor.FromScalar(7f), Tensor.FromScalar(0f))[0].Scalar<float>());
    }
}
