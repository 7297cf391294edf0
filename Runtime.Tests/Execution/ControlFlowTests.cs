using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using static TypedGraph.Tests.Support.ExecGraph;

namespace TypedGraph.Tests.Execution;

public class ControlFlowTests
{
    private static Session NewSession(ExecGraph g) => new(g.Graph, new SessionOptions { Registry = TestKernels.Create() });

    /// <summary>tf.cond(p, lambda: x + 1, lambda: count(x)) as TF 1.x lays it out.</summary>
    private static ExecGraph Cond()
    {
        var g = new ExecGraph();
        g.Placeholder("x", DataType.DtFloat, []);
        g.Placeholder("p", DataType.DtBool, []);
        g.Op("cond/Switch", "Switch", ["p", "p"], T(DataType.DtBool));
        g.Op("cond/switch_t", "Identity", ["cond/Switch:1"], T(DataType.DtBool));
        g.Op("cond/switch_f", "Identity", ["cond/Switch"], T(DataType.DtBool));
        g.Op("cond/pred_id", "Identity", ["p"], T(DataType.DtBool));
        g.Op("cond/Switch_1", "Switch", ["x", "cond/pred_id"], T(DataType.DtFloat));
        g.Const("cond/one", Tensor.FromScalar(1f), "cond/switch_t");
        g.Op("cond/add", "TestAdd", ["cond/Switch_1:1", "cond/one"]);
        g.Op("cond/counted", "TestCount", ["cond/Switch_1"]);
        g.Op("cond/Merge", "Merge", ["cond/counted", "cond/add"], T(DataType.DtFloat), ("N", Int(2)));
        return g;
    }

    [Fact]
    public void CondRunsOnlyTheTakenBranch()
    {
        var counted = new TestKernels.ExecutionCounter();
        using var s = new Session(Cond().Graph, new SessionOptions { Registry = TestKernels.Create(counted) });
        var r = s.Run(["cond/Merge:0", "cond/Merge:1"], new Dictionary<string, Tensor> { ["x"] = Tensor.FromScalar(4f), ["p"] = Tensor.FromScalar(true) });
        Assert.Equal(5f, r[0].Scalar<float>());
        Assert.Equal(1, r[1].Scalar<int>());
        Assert.Equal(0, counted.Value); // the false branch's TestCount is dead
        var f = s.Run(["cond/Merge:0", "cond/Merge:1"], new Dictionary<string, Tensor> { ["x"] = Tensor.FromScalar(4f), ["p"] = Tensor.FromScalar(false) });
        Assert.Equal(4f, f[0].Scalar<float>());
        Assert.Equal(0, f[1].Scalar<int>());
        Assert.Equal(1, counted.Value);
    }

    [Fact]
    public void FetchingADeadBranchIsAClearError()
    {
        using var s = NewSession(Cond());
        var ex = Assert.Throws<GraphExecutionException>(() =>
            s.Run(["cond/add:0"], new Dictionary<string, Tensor> { ["x"] = Tensor.FromScalar(4f), ["p"] = Tensor.FromScalar(false) }));
        Assert.Contains("cond/add:0", ex.Message);
        Assert.Contains("dead", ex.Message);
    }

    /// <summary>i = start; while i &lt; limit: i = i + step (tf.while_loop's TF1 layout).</summary>
    private static void AddLoop(ExecGraph g, string scope, string startInput, string limitNode)
    {
        var frame = ("frame_name", Str(scope + "/while_context"));
        g.Op(scope + "/Enter", "Enter", [startInput], T(DataType.DtFloat), frame, ("is_constant", Bool(false)), ("parallel_iterations", Int(10)));
        g.Op(scope + "/Enter_1", "Enter", [limitNode], T(DataType.DtFloat), frame, ("is_constant", Bool(true)), ("parallel_iterations", Int(10)));
        g.Op(scope + "/Merge", "Merge", [scope + "/Enter", scope + "/NextIteration"], T(DataType.DtFloat), ("N", Int(2)));
        g.Op(scope + "/Less", "TestLess", [scope + "/Merge", scope + "/Enter_1"]);
        g.Op(scope + "/LoopCond", "LoopCond", [scope + "/Less"]);
        g.Op(scope + "/Switch", "Switch", [scope + "/Merge", scope + "/LoopCond"], T(DataType.DtFloat));
        g.Op(scope + "/Identity", "Identity", [scope + "/Switch:1"], T(DataType.DtFloat));
        g.Const(scope + "/add/y", Tensor.FromScalar(1.5f), scope + "/Identity");
        g.Op(scope + "/add", "TestAdd", [scope + "/Identity", scope + "/add/y"]);
        g.Op(scope + "/NextIteration", "NextIteration", [scope + "/add"], T(DataType.DtFloat));
        g.Op(scope + "/Exit", "Exit", [scope + "/Switch"], T(DataType.DtFloat));
    }

    [Fact]
    public void WhileLoopIteratesUntilTheConditionFails()
    {
        var g = new ExecGraph();
        g.Placeholder("start", DataType.DtFloat, []);
        g.Const("limit", Tensor.FromScalar(5f));
        AddLoop(g, "while", "start", "limit");
        g.Op("out", "Identity", ["while/Exit"], T(DataType.DtFloat));
        using var s = NewSession(g);
        Assert.Equal(6f, s.Run("out:0", ("start", Tensor.FromScalar(0f))).Scalar<float>()); // 0, 1.5, 3, 4.5, 6
        Assert.Equal(7f, s.Run("out:0", ("start", Tensor.FromScalar(7f))).Scalar<float>()); // zero iterations
        Assert.Equal(5.5f, s.Run("while/Exit:0", ("start", Tensor.FromScalar(1f))).Scalar<float>());
        var ex = Assert.Throws<GraphExecutionException>(() => s.Run("while/add:0", ("start", Tensor.FromScalar(1f))));
        Assert.Contains("while loop", ex.Message);
    }

    [Fact]
    public void NestedWhileLoops()
    {
        // outer: j = 0; while j < 3: j = inner(j) where inner adds 1.5 until >= j + 2 ... kept simple:
        // the inner loop starts from the outer value and runs to the constant 5 each outer iteration.
        var g = new ExecGraph();
        g.Const("start", Tensor.FromScalar(0f));
        g.Const("limit", Tensor.FromScalar(20f));
        var frame = ("frame_name", Str("outer/while_context"));
        g.Op("outer/Enter", "Enter", ["start"], T(DataType.DtFloat), frame, ("is_constant", Bool(false)));
        g.Op("outer/Enter_1", "Enter", ["limit"], T(DataType.DtFloat), frame, ("is_constant", Bool(true)));
        g.Op("outer/Merge", "Merge", ["outer/Enter", "outer/NextIteration"], T(DataType.DtFloat), ("N", Int(2)));
        g.Op("outer/Less", "TestLess", ["outer/Merge", "outer/Enter_1"]);
        g.Op("outer/LoopCond", "LoopCond", ["outer/Less"]);
        g.Op("outer/Switch", "Switch", ["outer/Merge", "outer/LoopCond"], T(DataType.DtFloat));
        g.Op("outer/Identity", "Identity", ["outer/Switch:1"], T(DataType.DtFloat));
        // inner loop limit = outer value + 4 (so the inner loop adds 1.5 until it passes that)
        g.Const("outer/four", Tensor.FromScalar(4f), "outer/Identity");
        g.Op("outer/inner_limit", "TestAdd", ["outer/Identity", "outer/four"]);
        AddLoop(g, "outer/inner", "outer/Identity", "outer/inner_limit");
        g.Op("outer/NextIteration", "NextIteration", ["outer/inner/Exit"], T(DataType.DtFloat));
        g.Op("outer/Exit", "Exit", ["outer/Switch"], T(DataType.DtFloat));
        using var s = NewSession(g);
        // Each outer step: v -> smallest v + 1.5k >= v + 4, i.e. v + 4.5. 0 -> 4.5 -> 9 -> 13.5 -> 18 -> 22.5
        Assert.Equal(22.5f, s.Run("outer/Exit:0").Scalar<float>());
    }

    [Fact]
    public void LoopInsideAnUntakenCondBranchIsDead()
    {
        var g = new ExecGraph();
        g.Placeholder("x", DataType.DtFloat, []);
        g.Placeholder("p", DataType.DtBool, []);
        g.Const("limit", Tensor.FromScalar(5f));
        g.Op("cond/Switch", "Switch", ["x", "p"], T(DataType.DtFloat));
        AddLoop(g, "cond/while", "cond/Switch:1", "limit");
        g.Op("cond/f", "Identity", ["cond/Switch"], T(DataType.DtFloat));
        g.Op("cond/Merge", "Merge", ["cond/f", "cond/while/Exit"], T(DataType.DtFloat), ("N", Int(2)));
        using var s = NewSession(g);
        var feeds = (bool p) => new Dictionary<string, Tensor> { ["x"] = Tensor.FromScalar(1f), ["p"] = Tensor.FromScalar(p) };
        Assert.Equal(1f, s.Run(["cond/Merge:0"], feeds(false))[0].Scalar<float>());
        Assert.Equal(5.5f, s.Run(["cond/Merge:0"], feeds(true))[0].Scalar<float>());
    }
}
