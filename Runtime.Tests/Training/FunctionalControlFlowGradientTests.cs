using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Training;
using static TypedGraph.Tests.Support.CentralDifferences;
using static TypedGraph.Tests.Support.ExecGraph;
using static TypedGraph.Tests.Support.FunctionDefs;

namespace TypedGraph.Tests.Training;

/// <summary>
/// Gradients through TF2 functional ops built node by node in TF 2.x's layout (while_v2's <c>StatelessWhile</c> with
/// loop_counter / maximum_iterations and the captured tensors as loop variables, cond_v2's <c>StatelessIf</c>,
/// switch_case's <c>StatelessCase</c>, a <c>StatefulPartitionedCall</c> reading a captured resource variable, and
/// nested While-in-If), differentiated by <see cref="Gradients.Compute"/> after it lowers them to TF1 control flow;
/// checked against central differences of a double-precision reference written in the test, and the lowered forward
/// values against the un-lowered graph's.
/// </summary>
public sealed class FunctionalControlFlowGradientTests
{
    private const DataType F = DataType.DtFloat;
    private const DataType I = DataType.DtInt32;
    private const DataType R = DataType.DtResource;
    private const int K = 3, Steps = 4;
    private static readonly double[] s_c = [0.7, -1.3, 0.4];
    private static readonly double[] s_x = [0.3, -0.7, 1.1], s_w = [0.5, -1.2, 0.8];

    private static GraphDef NewGraph()
    {
        var g = new GraphDef { Versions = new VersionDef { Producer = 1645 }, Library = new FunctionDefLibrary() };
        g.Node.Add(N("x", "Placeholder", [], ("dtype", Type(F)), ("shape", Shape([K]))));
        g.Node.Add(N("w", "Placeholder", [], ("dtype", Type(F)), ("shape", Shape([K]))));
        return g;
    }

    // while_v2's loop: tf.while_loop(lambda i, h: i < Steps, lambda i, h: (i + 1, tanh(h * w + x)), [0, x]) with x and w
    // captured: loop vars loop_counter, maximum_iterations, i (here the counter itself), h, then the captures, which
    // the body returns unchanged.
    private static void AddRecurrenceFunctions(FunctionDefLibrary library)
    {
        var args = new[] { ("while_loop_counter", I), ("while_maximum_iterations", I), ("placeholder", F), ("add_x_0", F), ("mul_w_0", F) };
        library.Function.Add(Function("while_cond_5", args, [("identity", DataType.DtBool, "Identity:output:0")],
            C("Less/y", Tensor.FromScalar(Steps)),
            N("Less", "Less", ["while_loop_counter", "Less/y:output:0"], T(I)),
            N("Identity", "Identity", ["Less:z:0"], T(DataType.DtBool))));
        library.Function.Add(Function("while_body_6", args,
            [("identity", I, "Identity:output:0"), ("identity_1", I, "Identity_1:output:0"), ("identity_2", F, "Identity_2:output:0"),
             ("add_x", F, "add_x_0"), ("mul_w", F, "mul_w_0")],
            C("add/y", Tensor.FromScalar(1)),
            N("add", "AddV2", ["while_loop_counter", "add/y:output:0"], T(I)),
            N("mul", "Mul", ["placeholder", "mul_w_0"], T(F)),
            N("add_1", "AddV2", ["mul:z:0", "add_x_0"], T(F)),
            N("Tanh", "Tanh", ["add_1:z:0"], T(F)),
            N("Identity", "Identity", ["add:z:0"], T(I)),
            N("Identity_1", "Identity", ["while_maximum_iterations"], T(I)),
            N("Identity_2", "Identity", ["Tanh:y:0"], T(F))));
    }

    private static NodeDef While(string name, string op, string[] inputs)
    {
        var shapes = new AttrValue { List = new AttrValue.Types.ListValue() };
        foreach (var s in new long[][] { [], [], [K], [K], [K] }) shapes.List.Shape.Add(Shape(s).Shape);
        return N(name, op, inputs, ("T", Types(I, I, F, F, F)), ("cond", Fn("while_cond_5")), ("body", Fn("while_body_6")), ("output_shapes", shapes),
            ("parallel_iterations", Int(10)), ("_num_original_outputs", Int(5)), ("_lower_using_switch_merge", Bool(true)));
    }

    private static double[] Recurrence(double[] x, double[] w)
    {
        var h = (double[])x.Clone();
        for (int t = 0; t < Steps; t++)
            for (int k = 0; k < K; k++) h[k] = Math.Tanh(h[k] * w[k] + x[k]);
        return h;
    }

    private static double Dot(double[] y) => y.Select((v, k) => v * s_c[k]).Sum();

    private static Graph BuildWhile()
    {
        var g = NewGraph();
        AddRecurrenceFunctions(g.Library);
        g.Node.Add(C("while/loop_counter", Tensor.FromScalar(0)));
        g.Node.Add(C("while/maximum_iterations", Tensor.FromScalar(-1)));
        g.Node.Add(While("while", "StatelessWhile", ["while/loop_counter", "while/maximum_iterations", "x", "x", "w"]));
        return new Graph(g);
    }

    private static Dictionary<string, Tensor> Feeds(params (string Name, Tensor Value)[] extra)
    {
        var feeds = new Dictionary<string, Tensor>
        {
            ["x:0"] = Tensor.Create(s_x.Select(v => (float)v).ToArray(), K),
            ["w:0"] = Tensor.Create(s_w.Select(v => (float)v).ToArray(), K),
        };
        foreach (var (n, v) in extra) feeds[n] = v;
        return feeds;
    }

    /// <summary>loss = Σ c ⊙ <paramref name="y"/>, its gradients wrt x and w, run; checked against the reference.</summary>
    private static void CheckGradients(GraphBuilder b, string y, Func<double[], double[], double> reference, params (string Name, Tensor Value)[] extra)
    {
        var loss = b.ReduceSum(b.Multiply(b.GetTensor(y), b.Constant(s_c.Select(v => (float)v).ToArray(), [K], "c")), [0]);
        var grads = Gradients.Compute(b, [loss], [b.GetTensor("x"), b.GetTensor("w")]);
        using var s = new Session(b.Graph);
        var r = s.Run([loss.Name, grads[0]!.Value.Name, grads[1]!.Value.Name], Feeds(extra));
        Assert.Equal(reference(s_x, s_w), r[0].ToArray<float>()[0], 5);
        AssertClose(Numeric(a => reference(a, s_w), s_x), r[1].ToArray<float>(), "dL/dx");
        AssertClose(Numeric(a => reference(s_x, a), s_w), r[2].ToArray<float>(), "dL/dw");
    }

    [Fact]
    public void StatelessWhile_TanhRecurrenceWithCapturedWeights_GradientsMatchCentralDifferences()
    {
        float[] unlowered;
        using (var s = new Session(BuildWhile())) unlowered = s.Run(["while:2"], Feeds())[0].ToArray<float>();

        var b = new GraphBuilder(BuildWhile());
        CheckGradients(b, "while:2", (x, w) => Dot(Recurrence(x, w)));

        // Lowered in place as TF's lower_while_op does: the node is an IdentityN of the Exits under its own name, the
        // frame is named after it, the captured x and w enter as loop invariants, and its outputs keep their values.
        Assert.Equal("IdentityN", b.Graph.GetNode("while").Op);
        var enters = b.Graph.Nodes.Where(n => n.Op == "Enter" && n.Name.StartsWith("while/lowered/", StringComparison.Ordinal)).ToList();
        Assert.Equal(5, enters.Count);
        Assert.All(enters, e => Assert.Equal("while", e.GetString("frame_name")));
        Assert.Equal([false, false, false, true, true], enters.OrderBy(e => e.Name, StringComparer.Ordinal).Select(e => e.GetBool("is_constant")).ToArray());
        var loop = Assert.IsType<WhileContext>(b.ContextOf("while/lowered/body/Tanh"));
        Assert.Equal("while", loop.FrameName);
        Assert.Null(b.ContextOf("while"));
        using var lowered = new Session(b.Graph);
        Assert.Equal(unlowered, lowered.Run(["while:2"], Feeds())[0].ToArray<float>());
    }

    // cond_v2: If(pred, x, w) with then = tanh(x·w), else = x·x + w.
    private static Graph BuildIf()
    {
        var g = NewGraph();
        g.Node.Add(N("pred", "Placeholder", [], ("dtype", Type(DataType.DtBool)), ("shape", Shape([]))));
        g.Node.Add(N("cond", "StatelessIf", ["pred", "x", "w"], ("Tcond", Type(DataType.DtBool)), ("Tin", Types(F, F)), ("Tout", Types(F)),
            ("then_branch", Fn("cond_true_9")), ("else_branch", Fn("cond_false_10")), ("output_shapes", new AttrValue { List = new AttrValue.Types.ListValue { Shape = { Shape([K]).Shape } } }),
            ("_lower_using_switch_merge", Bool(true))));
        var args = new[] { ("mul_x", F), ("mul_w", F) };
        g.Library.Function.Add(Function("cond_true_9", args, [("identity", F, "Identity:output:0")],
            N("mul", "Mul", ["mul_x", "mul_w"], T(F)), N("Tanh", "Tanh", ["mul:z:0"], T(F)), N("Identity", "Identity", ["Tanh:y:0"], T(F))));
        g.Library.Function.Add(Function("cond_false_10", args, [("identity", F, "Identity:output:0")],
            N("mul", "Mul", ["mul_x", "mul_x"], T(F)), N("add", "AddV2", ["mul:z:0", "mul_w"], T(F)), N("Identity", "Identity", ["add:z:0"], T(F))));
        return new Graph(g);
    }

    private static double[] IfReference(bool pred, double[] x, double[] w)
        => Enumerable.Range(0, K).Select(k => pred ? Math.Tanh(x[k] * w[k]) : x[k] * x[k] + w[k]).ToArray();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void StatelessIf_BothBranches_GradientsMatchCentralDifferences(bool pred)
    {
        float[] unlowered;
        using (var s = new Session(BuildIf())) unlowered = s.Run(["cond:0"], Feeds(("pred:0", Tensor.FromScalar(pred))))[0].ToArray<float>();
        var b = new GraphBuilder(BuildIf());
        CheckGradients(b, "cond:0", (x, w) => Dot(IfReference(pred, x, w)), ("pred:0", Tensor.FromScalar(pred)));
        Assert.Equal("IdentityN", b.Graph.GetNode("cond").Op);
        var then = Assert.IsType<CondContext>(b.ContextOf("cond/lowered/then/Tanh"));
        Assert.Equal(1, then.Branch);
        Assert.Equal(0, Assert.IsType<CondContext>(b.ContextOf("cond/lowered/else/add")).Branch);
        using var lowered = new Session(b.Graph);
        Assert.Equal(unlowered, lowered.Run(["cond:0"], Feeds(("pred:0", Tensor.FromScalar(pred))))[0].ToArray<float>());
    }

    // switch_case: Case(idx, x, w) with branches x·w, tanh(x + w), x·x·w; an index out of range runs the last one.
    private static Graph BuildCase()
    {
        var g = NewGraph();
        g.Node.Add(N("idx", "Placeholder", [], ("dtype", Type(I)), ("shape", Shape([]))));
        g.Node.Add(N("switch_case/indexed_case", "StatelessCase", ["idx", "x", "w"], ("Tin", Types(F, F)), ("Tout", Types(F)),
            ("branches", new AttrValue { List = new AttrValue.Types.ListValue { Func = { new NameAttrList { Name = "b0" }, new NameAttrList { Name = "b1" }, new NameAttrList { Name = "b2" } } } }),
            ("output_shapes", new AttrValue { List = new AttrValue.Types.ListValue { Shape = { Shape([K]).Shape } } })));
        var args = new[] { ("x", F), ("w", F) };
        g.Library.Function.Add(Function("b0", args, [("identity", F, "mul:z:0")], N("mul", "Mul", ["x", "w"], T(F))));
        g.Library.Function.Add(Function("b1", args, [("identity", F, "Tanh:y:0")], N("add", "AddV2", ["x", "w"], T(F)), N("Tanh", "Tanh", ["add:z:0"], T(F))));
        g.Library.Function.Add(Function("b2", args, [("identity", F, "mul_1:z:0")], N("mul", "Mul", ["x", "x"], T(F)), N("mul_1", "Mul", ["mul:z:0", "w"], T(F))));
        return new Graph(g);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(7, 2)]
    [InlineData(-1, 2)]
    public void StatelessCase_EveryBranchAndOutOfRange_GradientsMatchCentralDifferences(int index, int branch)
    {
        Func<double, double, double> f = branch switch { 0 => (x, w) => x * w, 1 => (x, w) => Math.Tanh(x + w), _ => (x, w) => x * x * w };
        float[] unlowered;
        using (var s = new Session(BuildCase())) unlowered = s.Run(["switch_case/indexed_case:0"], Feeds(("idx:0", Tensor.FromScalar(index))))[0].ToArray<float>();
        var b = new GraphBuilder(BuildCase());
        CheckGradients(b, "switch_case/indexed_case:0", (x, w) => Dot(Enumerable.Range(0, K).Select(k => f(x[k], w[k])).ToArray()), ("idx:0", Tensor.FromScalar(index)));
        Assert.Equal("IdentityN", b.Graph.GetNode("switch_case/indexed_case").Op);
        using var lowered = new Session(b.Graph);
        Assert.Equal(unlowered, lowered.Run(["switch_case/indexed_case:0"], Feeds(("idx:0", Tensor.FromScalar(index))))[0].ToArray<float>());
    }

    // A tf.function called through StatefulPartitionedCall: y = sigmoid(x · read(w) + 0.5), w a captured resource
    // variable (VarHandleOp at the top level, its handle an input of the call).
    private static Graph BuildCall()
    {
        var g = NewGraph();
        g.Node.Remove(g.Node.Single(n => n.Name == "w"));
        g.Node.Add(N("w", "VarHandleOp", [], ("dtype", Type(F)), ("shape", Shape([K])), ("shared_name", Str("w")), ("container", Str(""))));
        g.Node.Add(N("StatefulPartitionedCall", "StatefulPartitionedCall", ["x", "w"], ("Tin", Types(F, R)), ("Tout", Types(F)), ("f", Fn("__inference_f_21")),
            ("config", Str("")), ("config_proto", Str("")), ("executor_type", Str(""))));
        g.Library.Function.Add(Function("__inference_f_21", [("x", F), ("readvariableop_resource", R)], [("identity", F, "Identity:output:0")],
            N("ReadVariableOp", "ReadVariableOp", ["readvariableop_resource"], ("dtype", Type(F))),
            N("mul", "Mul", ["x", "ReadVariableOp:value:0"], T(F)),
            C("add/y", Tensor.FromScalar(0.5f)),
            N("add", "AddV2", ["mul:z:0", "add/y:output:0"], T(F)),
            N("Sigmoid", "Sigmoid", ["add:z:0"], T(F)),
            N("Identity", "Identity", ["Sigmoid:y:0", "^ReadVariableOp"], T(F))));
        return new Graph(g);
    }

    private static double CallReference(double[] x, double[] w) => Dot(Enumerable.Range(0, K).Select(k => 1 / (1 + Math.Exp(-(x[k] * w[k] + 0.5)))).ToArray());

    [Fact]
    public void StatefulPartitionedCall_ReadingACapturedResourceVariable_GradientsAndOneSgdStep()
    {
        var b = new GraphBuilder(BuildCall());
        var handle = b.GetTensor("w");
        var loss = b.ReduceSum(b.Multiply(b.GetTensor("StatefulPartitionedCall:0"), b.Constant(s_c.Select(v => (float)v).ToArray(), [K], "c")), [0]);
        var grads = Gradients.Compute(b, [loss], [b.GetTensor("x"), handle]);
        var variable = new Variable("w", handle, handle, "", null, F, [K], trainable: true, isResource: true);
        var train = new GradientDescentOptimizer(0.5).ApplyGradients(b, [(grads[1], variable)]);

        using var s = new Session(b.Graph);
        s.State.Variable("w").Value = Tensor.Create(s_w.Select(v => (float)v).ToArray(), K);
        var feeds = new Dictionary<string, Tensor> { ["x:0"] = Tensor.Create(s_x.Select(v => (float)v).ToArray(), K) };
        var r = s.Run([loss.Name, grads[0]!.Value.Name, grads[1]!.Value.Name], feeds);
        Assert.Equal(CallReference(s_x, s_w), r[0].ToArray<float>()[0], 5);
        var dw = Numeric(a => CallReference(s_x, a), s_w);
        AssertClose(Numeric(a => CallReference(a, s_w), s_x), r[1].ToArray<float>(), "dL/dx");
        AssertClose(dw, r[2].ToArray<float>(), "dL/dw");
        Assert.Equal("IdentityN", b.Graph.GetNode("StatefulPartitionedCall").Op);
        // The body's input-less Const waits for the call's inputs (input_control_node), as TF's inliner anchors them.
        Assert.Contains("StatefulPartitionedCall/input_control_node", b.Graph.GetNode("StatefulPartitionedCall/add/y").ControlInputs);

        s.Run([], feeds, [train.Name]);
        var updated = s.State.FindVariable("w")!.Value!.ToArray<float>();
        for (int k = 0; k < K; k++) Assert.Equal(s_w[k] - 0.5 * dw[k], updated[k], 4);
    }

    // While-in-If: the then branch runs the recurrence loop (a StatelessWhile inside the branch function), the else
    // branch x·w.
    private static Graph BuildWhileInIf()
    {
        var g = NewGraph();
        AddRecurrenceFunctions(g.Library);
        g.Node.Add(N("pred", "Placeholder", [], ("dtype", Type(DataType.DtBool)), ("shape", Shape([]))));
        g.Node.Add(N("cond", "StatelessIf", ["pred", "x", "w"], ("Tcond", Type(DataType.DtBool)), ("Tin", Types(F, F)), ("Tout", Types(F)),
            ("then_branch", Fn("cond_true_30")), ("else_branch", Fn("cond_false_31")), ("output_shapes", new AttrValue { List = new AttrValue.Types.ListValue { Shape = { Shape([K]).Shape } } })));
        var args = new[] { ("x", F), ("w", F) };
        g.Library.Function.Add(Function("cond_true_30", args, [("identity", F, "Identity:output:0")],
            C("while/loop_counter", Tensor.FromScalar(0)),
            C("while/maximum_iterations", Tensor.FromScalar(-1)),
            While("while", "StatelessWhile", ["while/loop_counter:output:0", "while/maximum_iterations:output:0", "x", "x", "w"]),
            N("Identity", "Identity", ["while:output:2"], T(F))));
        g.Library.Function.Add(Function("cond_false_31", args, [("identity", F, "mul:z:0")], N("mul", "Mul", ["x", "w"], T(F))));
        return new Graph(g);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void WhileNestedInStatelessIf_GradientsMatchCentralDifferencesOnBothBranches(bool pred)
    {
        float[] unlowered;
        using (var s = new Session(BuildWhileInIf())) unlowered = s.Run(["cond:0"], Feeds(("pred:0", Tensor.FromScalar(pred))))[0].ToArray<float>();
        var b = new GraphBuilder(BuildWhileInIf());
        CheckGradients(b, "cond:0", (x, w) => Dot(pred ? Recurrence(x, w) : x.Select((v, k) => v * w[k]).ToArray()), ("pred:0", Tensor.FromScalar(pred)));
        // The inner loop was lowered in a second round, inside the then branch's context.
        var loop = Assert.IsType<WhileContext>(b.ContextOf("cond/lowered/then/while/lowered/body/Tanh"));
        Assert.Equal(1, Assert.IsType<CondContext>(loop.Outer).Branch);
        using var lowered = new Session(b.Graph);
        Assert.Equal(unlowered, lowered.Run(["cond:0"], Feeds(("pred:0", Tensor.FromScalar(pred))))[0].ToArray<float>());
    }

    // While-in-While: an outer StatelessWhile of 3 steps whose body runs the 4-step recurrence loop from its h, with x
    // and w captured by both loops (passed through the outer loop, then into the inner one).
    private static Graph BuildWhileInWhile()
    {
        var g = NewGraph();
        AddRecurrenceFunctions(g.Library);
        var args = new[] { ("while_loop_counter", I), ("while_maximum_iterations", I), ("placeholder", F), ("x_0", F), ("w_0", F) };
        g.Library.Function.Add(Function("outer_cond", args, [("identity", DataType.DtBool, "Identity:output:0")],
            C("Less/y", Tensor.FromScalar(3)),
            N("Less", "Less", ["while_loop_counter", "Less/y:output:0"], T(I)),
            N("Identity", "Identity", ["Less:z:0"], T(DataType.DtBool))));
        g.Library.Function.Add(Function("outer_body", args,
            [("identity", I, "Identity:output:0"), ("identity_1", I, "Identity_1:output:0"), ("identity_2", F, "Identity_2:output:0"), ("x", F, "x_0"), ("w", F, "w_0")],
            C("add/y", Tensor.FromScalar(1)),
            N("add", "AddV2", ["while_loop_counter", "add/y:output:0"], T(I)),
            C("inner/loop_counter", Tensor.FromScalar(0)),
            C("inner/maximum_iterations", Tensor.FromScalar(-1)),
            While("inner", "StatelessWhile", ["inner/loop_counter:output:0", "inner/maximum_iterations:output:0", "placeholder", "x_0", "w_0"]),
            N("Identity", "Identity", ["add:z:0"], T(I)),
            N("Identity_1", "Identity", ["while_maximum_iterations"], T(I)),
            N("Identity_2", "Identity", ["inner:output:2"], T(F))));
        g.Node.Add(C("while/loop_counter", Tensor.FromScalar(0)));
        g.Node.Add(C("while/maximum_iterations", Tensor.FromScalar(-1)));
        var outer = While("while", "StatelessWhile", ["while/loop_counter", "while/maximum_iterations", "x", "x", "w"]);
        outer.Attr["cond"] = Fn("outer_cond");
        outer.Attr["body"] = Fn("outer_body");
        g.Node.Add(outer);
        return new Graph(g);
    }

    [Fact]
    public void WhileNestedInStatelessWhile_GradientsMatchCentralDifferences()
    {
        static double[] Reference(double[] x, double[] w)
        {
            var h = (double[])x.Clone();
            for (int outer = 0; outer < 3; outer++)
                for (int t = 0; t < Steps; t++)
                    for (int k = 0; k < K; k++) h[k] = Math.Tanh(h[k] * w[k] + x[k]);
            return h;
        }
        float[] unlowered;
        using (var s = new Session(BuildWhileInWhile())) unlowered = s.Run(["while:2"], Feeds())[0].ToArray<float>();
        var b = new GraphBuilder(BuildWhileInWhile());
        CheckGradients(b, "while:2", (x, w) => Dot(Reference(x, w)));
        // The inner loop's frame is nested in the outer one's.
        var inner = Assert.IsType<WhileContext>(b.ContextOf("while/lowered/body/inner/lowered/body/Tanh"));
        Assert.Equal("while", Assert.IsType<WhileContext>(inner.Outer).FrameName);
        using var lowered = new Session(b.Graph);
        Assert.Equal(unlowered, lowered.Run(["while:2"], Feeds())[0].ToArray<float>());
    }

    [Fact]
    public void AnOpWithoutGradientInsideALoopBody_IsTheNormalGradientErrorNamingTheBodyNodeAndFunction()
    {
        // MatrixExponential has a kernel but no gradient here (Softsign, used before, now has one); the graph is only
        // differentiated, never run, so its vector input does not matter.
        Assert.Null(GradientRegistry.Find("MatrixExponential"));
        Assert.False(GradientRegistry.IsNotDifferentiable("MatrixExponential"));
        var g = BuildWhile().Def;
        var body = g.Library.Function.Single(f => f.Signature.Name == "while_body_6");
        body.NodeDef.Single(n => n.Name == "Tanh").Op = "MatrixExponential";
        body.NodeDef.Single(n => n.Name == "Tanh").Input.Clear();
        body.NodeDef.Single(n => n.Name == "Tanh").Input.Add("add_1:z:0");
        // MatrixExponential's output arg is "output".
        body.NodeDef.Single(n => n.Name == "Identity_2").Input[0] = "Tanh:output:0";
        var b = new GraphBuilder(new Graph(g));
        var loss = b.ReduceSum(b.GetTensor("while:2"), [0]);
        var e = Assert.Throws<NotSupportedException>(() => Gradients.Compute(b, [loss], [b.GetTensor("w")]));
        Assert.Equal("No gradient is registered for op 'MatrixExponential' (node 'while/lowered/body/Tanh'), which lies between the ys and xs. "
            + "It is node 'Tanh' of function 'while_body_6' (called by 'while'), inlined when the functional ops were lowered.", e.Message);
    }

    [Fact]
    public void AMissingBodyFunction_IsAGraphFormatErrorNamingTheNodeAndFunction()
    {
        var g = BuildWhile().Def;
        g.Library.Function.Remove(g.Library.Function.Single(f => f.Signature.Name == "while_body_6"));
        var b = new GraphBuilder(new Graph(g));
        var loss = b.ReduceSum(b.GetTensor("while:2"), [0]);
        var e = Assert.ThrowsAny<GraphFormatException>(() => Gradients.Compute(b, [loss], [b.GetTensor("w")]));
        Assert.StartsWith("Cannot lower node 'while' (op StatelessWhile) to TF1 control flow: its function 'while_body_6' cannot be read:", e.Message);
        Assert.Equal("StatelessWhile", b.Graph.GetNode("while").Op); // nothing was changed
    }
}
