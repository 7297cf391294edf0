using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using static TypedGraph.Tests.Support.ExecGraph;

namespace TypedGraph.Tests.Execution;

public class SessionTests
{
    private static Session NewSession(ExecGraph g) => new(g.Graph, new SessionOptions { Registry = TestKernels.Create() });

    private static ExecGraph AddGraph()
    {
        var g = new ExecGraph();
        g.Placeholder("x", DataType.DtFloat, [-1, 2]);
        g.Const("c", Tensor.Create(new float[] { 10, 20 }, 2));
        g.Op("sum", "TestAdd", ["x", "c"], T(DataType.DtFloat));
        g.Op("out", "Identity", ["sum"], T(DataType.DtFloat));
        return g;
    }

    [Fact]
    public void FeedsPlaceholderAndFetchesByEitherSpelling()
    {
        using var s = NewSession(AddGraph());
        var x = Tensor.Create(new float[] { 1, 2, 3, 4 }, 2, 2);
        var r = s.Run(["out:0", "sum"], new Dictionary<string, Tensor> { ["x:0"] = x });
        Assert.Equal([11f, 22f, 13f, 24f], r[0].ToArray<float>());
        Assert.Equal([11f, 22f, 13f, 24f], r[1].ToArray<float>());
        Assert.Equal([11f, 22f, 13f, 24f], s.Run("out", ("x", x)).ToArray<float>());
    }

    [Fact]
    public void ResultsAreOwnedByTheCaller()
    {
        using var s = NewSession(AddGraph());
        var first = s.Run("sum:0", ("x", Tensor.Create(new float[] { 1, 1 }, 1, 2)));
        var second = s.Run("sum:0", ("x", Tensor.Create(new float[] { 5, 5 }, 1, 2)));
        Assert.Equal([11f, 21f], first.ToArray<float>());
        Assert.Equal([15f, 25f], second.ToArray<float>());
        var c = s.Run("c:0");
        c.AsSpan<float>()[0] = -1; // mutating a fetched constant must not change the graph's constant
        Assert.Equal([10f, 20f], s.Run("c:0").ToArray<float>());
    }

    [Fact]
    public void FeedingAnyTensorCutsItsProducers()
    {
        var g = AddGraph();
        g.Op("bad", "NoSuchOp", []);
        g.Op("mid", "TestAdd", ["bad", "c"], T(DataType.DtFloat));
        using var s = NewSession(g);
        // 'sum' is fed, so neither the placeholder nor TestAdd runs.
        var r = s.Run("out:0", ("sum:0", Tensor.Create(new float[] { 7 }, 1)));
        Assert.Equal([7f], r.ToArray<float>());
        // 'bad' is cut off by feeding its output.
        Assert.Equal([11f, 21f], s.Run("mid", ("bad", Tensor.Create(new float[] { 1, 1 }, 2))).ToArray<float>());
    }

    [Fact]
    public void OnlyTheNeededSubgraphRuns()
    {
        var g = new ExecGraph();
        g.Const("a", Tensor.FromScalar(1f));
        g.Op("counted", "TestCount", ["a"]);
        g.Op("other", "Identity", ["a"]);
        var counted = new TestKernels.ExecutionCounter();
        using var s = new Session(g.Graph, new SessionOptions { Registry = TestKernels.Create(counted) });
        s.Run("other:0");
        Assert.Equal(0, counted.Value);
        s.Run("counted:0");
        Assert.Equal(1, counted.Value);
    }

    [Fact]
    public void MissingFeedNamesThePlaceholder()
    {
        using var s = NewSession(AddGraph());
        var ex = Assert.Throws<GraphExecutionException>(() => s.Run("out:0"));
        Assert.Contains("'x'", ex.Message);
        Assert.Contains("float32", ex.Message);
        Assert.Contains("[-1,2]", ex.Message);
        Assert.Equal("x", ex.NodeName);
    }

    [Fact]
    public void WrongDtypeOrShapeFedIsRejected()
    {
        using var s = NewSession(AddGraph());
        var ex = Assert.Throws<GraphExecutionException>(() => s.Run("out:0", ("x", Tensor.Create(new int[] { 1, 2 }, 1, 2))));
        Assert.Contains("int32", ex.Message);
        Assert.Contains("float32", ex.Message);
        var ex2 = Assert.Throws<GraphExecutionException>(() => s.Run("out:0", ("x", Tensor.Create(new float[] { 1, 2, 3 }, 1, 3))));
        Assert.Contains("[1, 3]", ex2.Message);
        Assert.Contains("[-1,2]", ex2.Message);
    }

    [Fact]
    public void UnknownFetchListsCloseNames()
    {
        using var s = NewSession(AddGraph());
        var ex = Assert.Throws<GraphExecutionException>(() => s.Run("ot:0", ("x", Tensor.Create(new float[] { 1, 2 }, 1, 2))));
        Assert.Contains("'ot'", ex.Message);
        Assert.Contains("'out'", ex.Message);
        var ex2 = Assert.Throws<GraphExecutionException>(() => s.Run("out:3", ("x", Tensor.Create(new float[] { 1, 2 }, 1, 2))));
        Assert.Contains("no output 3", ex2.Message);
        Assert.Throws<GraphExecutionException>(() => s.RunTargets("nope"));
    }

    [Fact]
    public void UnsupportedOpNamesNodeAndOpBeforeAnythingRuns()
    {
        var g = new ExecGraph();
        g.Variable("v", DataType.DtFloat);
        g.Const("one", Tensor.FromScalar(1f));
        g.Op("v/Assign", "Assign", ["v", "one"], T(DataType.DtFloat));
        g.Op("weird", "FancyOp", ["v/Assign"]);
        using var s = NewSession(g);
        var ex = Assert.Throws<UnsupportedOpException>(() => s.Run("weird:0"));
        Assert.Equal("FancyOp", ex.OpType);
        Assert.Equal("weird", ex.NodeName);
        Assert.Contains("'weird'", ex.Message);
        Assert.False(s.State.Variable("v").IsInitialized); // the plan failed before running Assign
    }

    [Fact]
    public void VariablesAssignReadAndUpdate()
    {
        var g = new ExecGraph();
        g.Variable("w", DataType.DtFloat, 2);
        g.Const("w/initial_value", Tensor.Create(new float[] { 1, 2 }, 2));
        g.Op("w/Assign", "Assign", ["w", "w/initial_value"], T(DataType.DtFloat), ("use_locking", Bool(true)), ("validate_shape", Bool(true)));
        g.Op("w/read", "Identity", ["w"], T(DataType.DtFloat));
        g.Const("delta", Tensor.Create(new float[] { 0.5f, 0.5f }, 2));
        g.Op("inc", "AssignAdd", ["w", "delta"], T(DataType.DtFloat));
        g.Op("dec", "AssignSub", ["w", "delta"], T(DataType.DtFloat));
        g.Op("init", "NoOp", ["^w/Assign"]);
        g.Op("ready", "IsVariableInitialized", ["w"], ("dtype", Type(DataType.DtFloat)));
        using var s = NewSession(g);

        Assert.False(s.Run("ready:0").Scalar<bool>());
        var ex = Assert.Throws<GraphExecutionException>(() => s.Run("w/read:0"));
        Assert.Contains("uninitialized", ex.Message);
        Assert.Contains("w", ex.Message);

        s.RunTargets("init");
        Assert.True(s.Run("ready:0").Scalar<bool>());
        var before = s.Run("w/read:0");
        Assert.Equal([1.5f, 2.5f], s.Run("inc:0").ToArray<float>());
        s.RunTargets("inc");
        Assert.Equal([2f, 3f], s.Run("w:0").ToArray<float>());
        Assert.Equal([1.5f, 2.5f], s.Run("dec:0").ToArray<float>());
        Assert.Equal([1f, 2f], before.ToArray<float>()); // an earlier read is a snapshot
    }

    [Fact]
    public void AssignValidatesShapeAndDtype()
    {
        var g = new ExecGraph();
        g.Variable("w", DataType.DtFloat, 2);
        g.Const("two", Tensor.Create(new float[] { 1, 2 }, 2));
        g.Const("three", Tensor.Create(new float[] { 1, 2, 3 }, 3));
        g.Op("a2", "Assign", ["w", "two"], T(DataType.DtFloat), ("validate_shape", Bool(true)));
        g.Op("a3", "Assign", ["w", "three"], T(DataType.DtFloat), ("validate_shape", Bool(true)));
        g.Op("a3free", "Assign", ["w", "three"], T(DataType.DtFloat), ("validate_shape", Bool(false)));
        using var s = NewSession(g);
        s.RunTargets("a2");
        var ex = Assert.Throws<GraphExecutionException>(() => s.RunTargets("a3"));
        Assert.Contains("[3]", ex.Message);
        Assert.Contains("a3", ex.Message);
        s.RunTargets("a3free");
        Assert.Equal(3, s.Run("w:0").NumElements);
    }

    [Fact]
    public void ControlDependenciesOrderSideEffects()
    {
        var g = new ExecGraph();
        g.Variable("step", DataType.DtInt64);
        g.Const("zero", Tensor.FromScalar(0L));
        g.Const("one", Tensor.FromScalar(1L));
        g.Op("step/Assign", "Assign", ["step", "zero"], T(DataType.DtInt64));
        g.Op("bump", "AssignAdd", ["step", "one"], T(DataType.DtInt64));
        // read_after sees the increment because of its control edge.
        g.Op("read_after", "Identity", ["step", "^bump"], T(DataType.DtInt64));
        using var s = NewSession(g);
        s.Initialize();
        Assert.Equal(1L, s.Run("read_after:0").Scalar<long>());
        Assert.Equal(2L, s.Run("read_after:0").Scalar<long>());
        s.RunTargets("bump");
        Assert.Equal(3L, s.Run("step:0").Scalar<long>());
    }

    [Fact]
    public void ResourceVariables()
    {
        var g = new ExecGraph();
        g.Op("v", "VarHandleOp", [], ("dtype", Type(DataType.DtFloat)), ("shape", Shape([2])), ("shared_name", Str("v")), ("container", Str("")));
        g.Const("v/Initializer/Const", Tensor.Create(new float[] { 3, 4 }, 2));
        g.Op("v/Assign", "AssignVariableOp", ["v", "v/Initializer/Const"], ("dtype", Type(DataType.DtFloat)));
        g.Op("v/Read/ReadVariableOp", "ReadVariableOp", ["v"], ("dtype", Type(DataType.DtFloat)));
        g.Op("v/IsInitialized/VarIsInitializedOp", "VarIsInitializedOp", ["v"]);
        g.Const("d", Tensor.Create(new float[] { 1, 1 }, 2));
        g.Op("add", "AssignAddVariableOp", ["v", "d"], ("dtype", Type(DataType.DtFloat)));
        g.Op("read_after", "ReadVariableOp", ["v", "^add"], ("dtype", Type(DataType.DtFloat)));
        using var s = NewSession(g);
        Assert.False(s.Run("v/IsInitialized/VarIsInitializedOp:0").Scalar<bool>());
        Assert.Contains("uninitialized", Assert.Throws<GraphExecutionException>(() => s.Run("v/Read/ReadVariableOp:0")).Message);
        s.Initialize();
        Assert.Equal([3f, 4f], s.Run("v/Read/ReadVariableOp:0").ToArray<float>());
        Assert.Equal([4f, 5f], s.Run("read_after:0").ToArray<float>());
        Assert.Equal([4f, 5f], s.State.Variable("v").Value!.ToArray<float>());
    }

    [Fact]
    public void PlaceholderWithDefaultUsesDefaultOrFeed()
    {
        var g = new ExecGraph();
        g.Const("d", Tensor.FromScalar(2f));
        g.Op("p", "PlaceholderWithDefault", ["d"], ("dtype", Type(DataType.DtFloat)), ("shape", Shape([])));
        using var s = NewSession(g);
        Assert.Equal(2f, s.Run("p:0").Scalar<float>());
        Assert.Equal(5f, s.Run("p:0", ("p", Tensor.FromScalar(5f))).Scalar<float>());
    }

    [Fact]
    public void PreparedRunReusesThePlan()
    {
        using var s = NewSession(AddGraph());
        var run = s.Prepare(["out:0"], ["x"]);
        var results = new Tensor[1];
        run.Run([Tensor.Create(new float[] { 1, 1 }, 1, 2)], results);
        Assert.Equal([11f, 21f], results[0].ToArray<float>());
        Assert.Equal([12f, 22f], run.Run(Tensor.Create(new float[] { 2, 2 }, 1, 2))[0].ToArray<float>());
    }
}

public class SessionErrorTests
{
    [Fact]
    public void KernelIoFailuresNameTheNode()
    {
        var g = new ExecGraph();
        var blocker = Path.GetTempFileName(); // a file where SaveV2 needs a directory
        try
        {
            g.Const("prefix", Tensor.FromString(Path.Combine(blocker, "sub", "model")));
            g.Const("names", Tensor.FromStrings(["v"]));
            g.Const("slices", Tensor.FromStrings([""]));
            g.Const("v", Tensor.FromScalar(1f));
            g.Op("save", "SaveV2", ["prefix", "names", "slices", "v"], ("dtypes", Types(DataType.DtFloat)));
            using var s = new Session(g.Graph, new SessionOptions { Registry = TestKernels.Create() });
            var ex = Assert.Throws<GraphExecutionException>(() => s.RunTargets("save"));
            Assert.Equal("save", ex.NodeName);
            Assert.Contains("SaveV2 node 'save'", ex.Message);
        }
        finally
        {
            File.Delete(blocker);
        }
    }

    [Fact]
    public void DisposedSessionsRefuseToRun()
    {
        var g = new ExecGraph();
        g.Const("c", Tensor.FromScalar(1f));
        var s = new Session(g.Graph, new SessionOptions { Registry = TestKernels.Create() });
        s.Dispose();
        Assert.Throws<ObjectDisposedException>(() => s.Run("c:0"));
    }

    [Fact]
    public void FeedingAnUnknownTensorListsCloseNames()
    {
        var g = new ExecGraph();
        g.Placeholder("input", DataType.DtFloat, []);
        g.Op("out", "Identity", ["input"], T(DataType.DtFloat));
        using var s = new Session(g.Graph, new SessionOptions { Registry = TestKernels.Create() });
        var ex = Assert.Throws<GraphExecutionException>(() => s.Run("out:0", ("inptu:0", Tensor.FromScalar(1f))));
        Assert.Contains("Cannot feed 'inptu:0'", ex.Message);
        Assert.Contains("'input'", ex.Message);
    }
}
