using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using static TypedGraph.Tests.Support.ExecGraph;

namespace TypedGraph.Tests.Review;

/// <summary>Session-level edge cases from the review: duplicate fetches, fed-and-fetched tensors, wrong feed dtypes.</summary>
public class SessionReviewTests
{
    private static Graph AddGraph()
    {
        var g = new ExecGraph();
        g.Placeholder("x", DataType.DtFloat, [-1]);
        g.Const("c", Tensor.Create(new[] { 10f, 20f }, 2));
        g.Op("y", "Add", ["x", "c"], T(DataType.DtFloat));
        g.Op("z", "Mul", ["y", "y"], T(DataType.DtFloat));
        return g.Graph;
    }

    [Fact]
    public void SameFetchTwiceUnderTwoSpellingsGivesEqualValues()
    {
        using var s = new Session(AddGraph());
        var r = s.Run(["y:0", "y", "z:0"], new Dictionary<string, Tensor> { ["x"] = Tensor.Create(new[] { 1f, 2f }, 2) });
        Assert.Equal([11f, 22], r[0].ToArray<float>());
        Assert.Equal([11f, 22], r[1].ToArray<float>());
        Assert.Equal([121f, 484], r[2].ToArray<float>());
    }

    [Fact]
    public void FetchingAFedTensorReturnsTheFeedAndTheCallersFeedIsNotAliased()
    {
        using var s = new Session(AddGraph());
        var feed = Tensor.Create(new[] { 1f, 2f }, 2);
        var r = s.Run(["x:0", "z:0"], new Dictionary<string, Tensor> { ["x"] = feed });
        Assert.Equal([1f, 2], r[0].ToArray<float>());
        r[0].AsSpan<float>()[0] = 100;
        Assert.Equal(1f, feed.AsSpan<float>()[0]);
    }

    [Fact]
    public void FeedingAnInnerTensorOverridesItsProducer()
    {
        using var s = new Session(AddGraph());
        var r = s.Run(["z:0"], new Dictionary<string, Tensor> { ["y:0"] = Tensor.Create(new[] { 3f, 4f }, 2) });
        Assert.Equal([9f, 16], r[0].ToArray<float>());
    }

    [Fact]
    public void FeedingTheWrongDtypeToAPlaceholderIsAnError()
    {
        using var s = new Session(AddGraph());
        var ex = Assert.ThrowsAny<TypedGraphException>(() => s.Run(["z:0"], new Dictionary<string, Tensor> { ["x"] = Tensor.Create(new[] { 3, 4 }, 2) }));
        Assert.Contains("x", ex.Message);
    }

    [Fact]
    public void PreparedRunRejectsWrongFeedCount()
    {
        using var s = new Session(AddGraph());
        var p = s.Prepare(["z:0"], ["x:0"]);
        Assert.ThrowsAny<ArgumentException>(() => p.Run());
        Assert.Equal([121f, 484], p.Run(Tensor.Create(new[] { 1f, 2f }, 2))[0].ToArray<float>());
    }

    [Fact]
    public void ConcurrentRunsWithDifferentBatchesGiveEachTheirOwnResult()
    {
        var g = new ExecGraph();
        g.Placeholder("x", DataType.DtFloat, [-1, 2]);
        g.Const("w", Tensor.Create(new[] { 1f, 2f, 3f, 4f }, 2, 2));
        g.Op("m", "MatMul", ["x", "w"], T(DataType.DtFloat), ("transpose_a", Bool(false)), ("transpose_b", Bool(false)));
        g.Const("axis", Tensor.Create(new[] { 1 }, 1));
        g.Op("s", "Sum", ["m", "axis"], T(DataType.DtFloat), ("Tidx", Type(DataType.DtInt32)), ("keep_dims", Bool(false)));
        using var s = new Session(g.Graph);
        Parallel.For(0, 200, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            int batch = 1 + i % 7;
            var x = new float[batch * 2];
            for (int k = 0; k < x.Length; k++) x[k] = i + k;
            var r = s.Run("s:0", ("x", Tensor.Create(x, batch, 2)));
            Assert.Equal(batch, r.NumElements);
            for (int b = 0; b < batch; b++)
            {
                float a0 = x[2 * b], a1 = x[2 * b + 1];
                Assert.Equal(a0 * 1 + a1 * 3 + a0 * 2 + a1 * 4, r.AsSpan<float>()[b]);
            }
        });
    }
}
