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
