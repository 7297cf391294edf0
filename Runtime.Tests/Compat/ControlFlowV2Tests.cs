using TypedGraph.Protos;
using static TypedGraph.Tests.Support.ExecGraph;
using static TypedGraph.Tests.Support.FunctionDefs;

namespace TypedGraph.Tests.Compat;

/// <summary>
/// Control flow v2 graphs in TF 2.x's exact layout (while_v2 / cond_v2 / switch_case as TF 2.15 writes them: a
/// <c>While</c> whose loop vars are loop_counter, maximum_iterations, the user's vars and the captured tensors and
/// resources; cond/body FunctionDefs with <c>node:out_arg:i</c> inputs; a TensorList accumulator), run and compared
/// with the same computation written as plain loops in the test.
/// </summary>
public sealed class ControlFlowV2Tests
{
    private const DataType F = DataType.DtFloat;
    private const DataType I = DataType.DtInt32;
    private const DataType V = DataType.DtVariant;
    private const DataType R = DataType.DtResource;

    private static NodeDef While(string name, string[] inputs, DataType[] types, string cond, string body, params long[][] shapes)
    {
        var shapeList = new AttrValue { List = new AttrValue.Types.ListValue() };
        foreach (var s in shapes) shapeList.List.Shape.Add(Shape(s).Shape);
        return N(name, "While", inputs, ("T", Types(types)), ("cond", Fn(cond)), ("body", Fn(body)), ("output_shapes", shapeList),
            ("parallel_iterations", Int(10)), ("_num_original_outputs", Int(types.Length)), ("_lower_using_switch_merge", Bool(true)));
    }

    // tf.function(x: float[3]):
    //   ta = tf.TensorArray(float, size=4, element_shape=[3]); h = zeros(3)
    //   for i in range(4): h = tanh(h * scale + x); ta = ta.write(i, h); steps.assign_add(1.)
    //   return ta.stack()
    // with `scale` (resource, read) and `steps` (resource, assign_add) captured by the body.
    private static Graph BuildAccumulatorLoop()
    {
        var g = new GraphDef { Versions = new VersionDef { Producer = 1645 }, Library = new FunctionDefLibrary() };
        g.Node.Add(N("x", "Placeholder", [], ("dtype", Type(F)), ("shape", Shape([3]))));
        g.Node.Add(N("scale", "VarHandleOp", [], ("dtype", Type(F)), ("shape", Shape([])), ("shared_name", Str("scale")), ("container", Str(""))));
        g.Node.Add(N("steps", "VarHandleOp", [], ("dtype", Type(F)), ("shape", Shape([])), ("shared_name", Str("steps")), ("container", Str(""))));
        g.Node.Add(C("scale/init", Tensor.FromScalar(0.75f)));
        g.Node.Add(N("scale/Assign", "AssignVariableOp", ["scale", "scale/init"], ("dtype", Type(F))));
        g.Node.Add(C("steps/init", Tensor.FromScalar(0f)));
        g.Node.Add(N("steps/Assign", "AssignVariableOp", ["steps", "steps/init"], ("dtype", Type(F))));
        g.Node.Add(N("init", "NoOp", ["^scale/Assign", "^steps/Assign"]));
        g.Node.Add(C("TensorArrayV2/element_shape", Tensor.Create(new[] { 3 }, 1)));
        g.Node.Add(C("TensorArrayV2/num_elements", Tensor.FromScalar(4)));
        g.Node.Add(N("TensorArrayV2", "TensorListReserve", ["TensorArrayV2/element_shape", "TensorArrayV2/num_elements"], ("element_dtype", Type(F)), ("shape_type", Type(I))));
        g.Node.Add(C("zeros", Tensor.Create(new float[3], 3)));
        g.Node.Add(C("Const", Tensor.FromScalar(0)));
        g.Node.Add(C("while/loop_counter", Tensor.FromScalar(0)));
        g.Node.Add(C("while/maximum_iterations", Tensor.FromScalar(-1)));
        g.Node.Add(While("while", ["while/loop_counter", "while/maximum_iterations", "Const", "zeros", "TensorArrayV2", "x", "scale", "steps"],
            [I, I, I, F, V, F, R, R], "while_cond_21", "while_body_22", [], [], [], [3], [], [3], [], []));
        g.Node.Add(C("TensorArrayV2Stack/TensorListStack/element_shape", Tensor.Create(new[] { 3 }, 1)));
        g.Node.Add(N("TensorArrayV2Stack/TensorListStack", "TensorListStack", ["while:4", "TensorArrayV2Stack/TensorListStack/element_shape"],
            ("element_dtype", Type(F)), ("num_elements", Int(4))));

        var loopArgs = new[] { ("while_loop_counter", I), ("while_maximum_iterations", I), ("placeholder", I), ("placeholder_1", F), ("placeholder_2", V),
            ("add_1_x_0", F), ("mul_readvariableop_resource_0", R), ("assignaddvariableop_resource_0", R) };
        g.Library.Function.Add(Function("while_cond_21", loopArgs, [("identity", DataType.DtBool, "Identity:output:0")],
            C("Less/y", Tensor.FromScalar(4)),
            N("Less", "Less", ["placeholder", "Less/y:output:0"], T(I)),
            N("Identity", "Identity", ["Less:z:0"], T(DataType.DtBool))));
        var body = Function("while_body_22", loopArgs,
            [("identity", I, "Identity:output:0"), ("identity_1", I, "Identity_1:output:0"), ("identity_2", I, "Identity_2:output:0"),
             ("identity_3", F, "Identity_3:output:0"), ("identity_4", V, "Identity_4:output:0"), ("add_1_x", F, "add_1_x_0"),
             ("mul_readvariableop_resource", R, "mul_readvariableop_resource_0"), ("assignaddvariableop_resource", R, "assignaddvariableop_resource_0")],
            N("mul/ReadVariableOp", "ReadVariableOp", ["mul_readvariableop_resource_0"], ("dtype", Type(F))),
            N("mul", "Mul", ["placeholder_1", "mul/ReadVariableOp:value:0"], T(F)),
            N("add_1", "AddV2", ["mul:z:0", "add_1_x_0"], T(F)),
            N("Tanh", "Tanh", ["add_1:z:0"], T(F)),
            N("TensorArrayV2Write/TensorListSetItem", "TensorListSetItem", ["placeholder_2", "placeholder", "Tanh:y:0"], ("element_dtype", Type(F))),
            C("AssignAddVariableOp/value", Tensor.FromScalar(1f)),
            N("AssignAddVariableOp", "AssignAddVariableOp", ["assignaddvariableop_resource_0", "AssignAddVariableOp/value:output:0"], ("dtype", Type(F))),
            C("add/y", Tensor.FromScalar(1)),
            N("add", "AddV2", ["placeholder", "add/y:output:0"], T(I)),
            C("add_2/y", Tensor.FromScalar(1)),
            N("add_2", "AddV2", ["while_loop_counter", "add_2/y:output:0"], T(I)),
            N("Identity", "Identity", ["add_2:z:0", "^AssignAddVariableOp"], T(I)),
            N("Identity_1", "Identity", ["while_maximum_iterations"], T(I)),
            N("Identity_2", "Identity", ["add:z:0"], T(I)),
            N("Identity_3", "Identity", ["Tanh:y:0"], T(F)),
            N("Identity_4", "Identity", ["TensorArrayV2Write/TensorListSetItem:output_handle:0"], T(V)));
        body.ControlRet["AssignAddVariableOp"] = "AssignAddVariableOp";
        g.Library.Function.Add(body);
        return new Graph(g);
    }

    [Fact]
    public void WhileWithTensorListAccumulatorAndCapturedVariablesMatchesAPlainLoop()
    {
        using var session = new Session(BuildAccumulatorLoop());
        session.RunTargets("init");
        float[] x = [0.5f, -1.25f, 2f];
        var results = session.Run(["TensorArrayV2Stack/TensorListStack:0", "while:0", "while:2", "while:3"],
            new Dictionary<string, Tensor> { ["x"] = Tensor.Create(x, 3) });

        var expected = new float[4 * 3];
        var h = new float[3];
        for (int i = 0; i < 4; i++)
            for (int k = 0; k < 3; k++)
            {
                h[k] = MathF.Tanh(h[k] * 0.75f + x[k]);
                expected[i * 3 + k] = h[k];
            }
        Assert.Equal([4, 3], results[0].Shape.Dims.ToArray());
        var actual = results[0].ToArray<float>();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-6f);
        Assert.Equal(4, results[1].AsSpan<int>()[0]);  // loop_counter
        Assert.Equal(4, results[2].AsSpan<int>()[0]);  // i
        Assert.Equal(expected[9..], results[3].ToArray<float>());
        // The body's AssignAddVariableOp (a control return) ran once per iteration on the caller's variable.
        Assert.Equal(4f, session.State.FindVariable("steps")!.Value!.AsSpan<float>()[0]);

        // A second run continues from the variable's state, as TF would.
        session.Run(["while:0"], new Dictionary<string, Tensor> { ["x"] = Tensor.Create(x, 3) });
        Assert.Equal(8f, session.State.FindVariable("steps")!.Value!.AsSpan<float>()[0]);
    }

    // Nested loops: total = Σ_{i<3} Σ_{j<=i} (i+1)·(j+2), an inner While inside the outer body.
    private static Graph BuildNestedLoops()
    {
        var g = new GraphDef { Versions = new VersionDef { Producer = 1645 }, Library = new FunctionDefLibrary() };
        g.Node.Add(N("n", "Placeholder", [], ("dtype", Type(I)), ("shape", Shape([]))));
        g.Node.Add(C("c0", Tensor.FromScalar(0)));
        g.Node.Add(C("t0", Tensor.FromScalar(0f)));
        g.Node.Add(C("while/loop_counter", Tensor.FromScalar(0)));
        g.Node.Add(C("while/maximum_iterations", Tensor.FromScalar(-1)));
        g.Node.Add(While("while", ["while/loop_counter", "while/maximum_iterations", "c0", "t0", "n"], [I, I, I, F, I], "outer_cond", "outer_body", [], [], [], [], []));
        var outerArgs = new[] { ("while_loop_counter", I), ("while_maximum_iterations", I), ("placeholder", I), ("placeholder_1", F), ("less_n_0", I) };
        g.Library.Function.Add(Function("outer_cond", outerArgs, [("identity", DataType.DtBool, "Identity:output:0")],
            N("Less", "Less", ["placeholder", "less_n_0"], T(I)),
            N("Identity", "Identity", ["Less:z:0"], T(DataType.DtBool))));
        g.Library.Function.Add(Function("outer_body", outerArgs,
            [("identity", I, "add_c:z:0"), ("identity_1", I, "while_maximum_iterations"), ("identity_2", I, "add_i:z:0"),
             ("identity_3", F, "inner/while:output:3"), ("less_n", I, "less_n_0")],
            C("one", Tensor.FromScalar(1)),
            C("inner/j0", Tensor.FromScalar(0)),
            C("inner/while/loop_counter", Tensor.FromScalar(0)),
            C("inner/while/maximum_iterations", Tensor.FromScalar(-1)),
            While("inner/while", ["inner/while/loop_counter:output:0", "inner/while/maximum_iterations:output:0", "inner/j0:output:0", "placeholder_1", "placeholder"],
                [I, I, I, F, I], "inner_cond", "inner_body", [], [], [], [], []),
            N("add_i", "AddV2", ["placeholder", "one:output:0"], T(I)),
            N("add_c", "AddV2", ["while_loop_counter", "one:output:0"], T(I))));
        var innerArgs = new[] { ("while_loop_counter", I), ("while_maximum_iterations", I), ("placeholder", I), ("placeholder_1", F), ("lessequal_i_0", I) };
        g.Library.Function.Add(Function("inner_cond", innerArgs, [("identity", DataType.DtBool, "Identity:output:0")],
            N("LessEqual", "LessEqual", ["placeholder", "lessequal_i_0"], T(I)),
            N("Identity", "Identity", ["LessEqual:z:0"], T(DataType.DtBool))));
        g.Library.Function.Add(Function("inner_body", innerArgs,
            [("identity", I, "add_c:z:0"), ("identity_1", I, "while_maximum_iterations"), ("identity_2", I, "add_j:z:0"),
             ("identity_3", F, "add_t:z:0"), ("lessequal_i", I, "lessequal_i_0")],
            C("one", Tensor.FromScalar(1)),
            C("two", Tensor.FromScalar(2)),
            N("i1", "AddV2", ["lessequal_i_0", "one:output:0"], T(I)),
            N("j2", "AddV2", ["placeholder", "two:output:0"], T(I)),
            N("prod", "Mul", ["i1:z:0", "j2:z:0"], T(I)),
            N("prod_f", "Cast", ["prod:z:0"], ("SrcT", Type(I)), ("DstT", Type(F)), ("Truncate", Bool(false))),
            N("add_t", "AddV2", ["placeholder_1", "prod_f:y:0"], T(F)),
            N("add_j", "AddV2", ["placeholder", "one:output:0"], T(I)),
            N("add_c", "AddV2", ["while_loop_counter", "one:output:0"], T(I))));
        return new Graph(g);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(6)]
    public void NestedWhileLoopsMatchPlainNestedLoops(int n)
    {
        using var session = new Session(BuildNestedLoops());
        var r = session.Run(["while:3", "while:0"], new Dictionary<string, Tensor> { ["n"] = Tensor.FromScalar(n) });
        float total = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++) total += (i + 1) * (j + 2);
        Assert.Equal(total, r[0].AsSpan<float>()[0]);
        Assert.Equal(n, r[1].AsSpan<int>()[0]);
    }

    // cond_v2: If(pred, x) with then = x * 2, else = x - 1; switch_case: Case(idx, x) with branches x+10, x*x, -x.
    private static Graph BuildIfAndCase(DataType predType)
    {
        var g = new GraphDef { Versions = new VersionDef { Producer = 1645 }, Library = new FunctionDefLibrary() };
        g.Node.Add(N("pred", "Placeholder", [], ("dtype", Type(predType)), ("shape", Shape(null))));
        g.Node.Add(N("idx", "Placeholder", [], ("dtype", Type(I)), ("shape", Shape([]))));
        g.Node.Add(N("x", "Placeholder", [], ("dtype", Type(F)), ("shape", Shape([-1]))));
        g.Node.Add(N("cond", "StatelessIf", ["pred", "x"], ("Tcond", Type(predType)), ("Tin", Types(F)), ("Tout", Types(F)),
            ("then_branch", Fn("cond_true_7")), ("else_branch", Fn("cond_false_8")), ("output_shapes", new AttrValue { List = new AttrValue.Types.ListValue { Shape = { Shape([-1]).Shape } } })));
        g.Node.Add(N("switch_case/indexed_case", "StatelessCase", ["idx", "x"], ("Tin", Types(F)), ("Tout", Types(F)),
            ("branches", new AttrValue { List = new AttrValue.Types.ListValue { Func = { new NameAttrList { Name = "b0" }, new NameAttrList { Name = "b1" }, new NameAttrList { Name = "b2" } } } })));
        var arg = new[] { ("x", F) };
        g.Library.Function.Add(Function("cond_true_7", arg, [("identity", F, "Identity:output:0")],
            C("mul/y", Tensor.FromScalar(2f)), N("mul", "Mul", ["x", "mul/y:output:0"], T(F)), N("Identity", "Identity", ["mul:z:0"], T(F))));
        g.Library.Function.Add(Function("cond_false_8", arg, [("identity", F, "Identity:output:0")],
            C("sub/y", Tensor.FromScalar(1f)), N("sub", "Sub", ["x", "sub/y:output:0"], T(F)), N("Identity", "Identity", ["sub:z:0"], T(F))));
        g.Library.Function.Add(Function("b0", arg, [("identity", F, "add:z:0")], C("add/y", Tensor.FromScalar(10f)), N("add", "AddV2", ["x", "add/y:output:0"], T(F))));
        g.Library.Function.Add(Function("b1", arg, [("identity", F, "mul:z:0")], N("mul", "Mul", ["x", "x"], T(F))));
        g.Library.Function.Add(Function("b2", arg, [("identity", F, "neg:y:0")], N("neg", "Neg", ["x"], T(F))));
        return new Graph(g);
    }

    private static readonly float[] s_x = [1.5f, -2f, 4f];

    [Fact]
    public void IfRunsThenOrElseByTfsToBoolOfTheInputs()
    {
        float[] then = s_x.Select(v => v * 2).ToArray(), otherwise = s_x.Select(v => v - 1).ToArray();
        float[] Run(DataType type, Tensor pred)
        {
            using var session = new Session(BuildIfAndCase(type));
            return session.Run("cond:0", ("pred", pred), ("x", Tensor.Create(s_x, 3))).ToArray<float>();
        }
        Assert.Equal(then, Run(DataType.DtBool, Tensor.FromScalar(true)));
        Assert.Equal(otherwise, Run(DataType.DtBool, Tensor.FromScalar(false)));
        // Non-bool scalars: "≠ 0"; non-scalars: "has elements" (functional_ops.cc ToBool).
        Assert.Equal(then, Run(I, Tensor.FromScalar(-3)));
        Assert.Equal(otherwise, Run(I, Tensor.FromScalar(0)));
        Assert.Equal(otherwise, Run(F, Tensor.FromScalar(0f)));
        Assert.Equal(then, Run(F, Tensor.Create(new float[] { 0f }, 1)));
        Assert.Equal(otherwise, Run(F, Tensor.Create(new float[0], 0)));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 2)]   // out of range → the last branch (CaseOp: "The last branch is the default branch")
    [InlineData(-1, 2)]
    [InlineData(int.MaxValue, 2)]
    public void CaseRunsTheIndexedBranchAndTheLastOneOutOfRange(int index, int branch)
    {
        using var session = new Session(BuildIfAndCase(DataType.DtBool));
        var y = session.Run("switch_case/indexed_case:0", ("idx", Tensor.FromScalar(index)), ("x", Tensor.Create(s_x, 3))).ToArray<float>();
        Func<float, float> f = branch switch { 0 => v => v + 10, 1 => v => v * v, _ => v => -v };
        Assert.Equal(s_x.Select(f).ToArray(), y);
    }

    [Fact]
    public void AWhileBodyReturningTheWrongNumberOfValuesOrANonBoolCondIsANamedError()
    {
        var g = BuildNestedLoops();
        var body = g.Def.Library.Function.Single(f => f.Signature.Name == "inner_body");
        body.Signature.OutputArg.RemoveAt(4);
        body.Ret.Remove("lessequal_i");
        using var session = new Session(new Graph(g.Def));
        var e = Assert.ThrowsAny<GraphExecutionException>(() => session.Run("while:3", ("n", Tensor.FromScalar(2))));
        Assert.Contains("inner_body", e.Message);
        Assert.Contains("returned 4 values; the loop has 5 loop variables", e.Message);

        var g2 = BuildNestedLoops();
        var cond = g2.Def.Library.Function.Single(f => f.Signature.Name == "outer_cond");
        cond.NodeDef.Add(N("s", "Cast", ["placeholder"], ("SrcT", Type(I)), ("DstT", Type(DataType.DtHalf)), ("Truncate", Bool(false))));
        cond.Ret["identity"] = "s:y:0";
        using var s2 = new Session(new Graph(g2.Def));
        var e2 = Assert.ThrowsAny<GraphExecutionException>(() => s2.Run("while:3", ("n", Tensor.FromScalar(2))));
        Assert.Contains("float16 cannot be converted to a boolean", e2.Message);
        Assert.Contains("outer_cond", e2.Message);
    }
}
