using Google.Protobuf;
using TypedGraph.Onnx.Tests.Support;
using TypedGraph.Protos;
using Xunit.Abstractions;

namespace TypedGraph.Onnx.Tests;

/// <summary>
/// TF2 control flow v2 in TF 2.x's layout (cond_v2's StatelessIf with then/else FunctionDefs, while_v2's StatelessWhile
/// whose loop variables are loop_counter, maximum_iterations, the user's values and the captured tensors; function
/// inputs as <c>node:out_arg:i</c>), written node by node as TF writes them, exported by lowering to the TF1 form,
/// run by ONNX Runtime against our Session, and checked against the computation written in C# here.
/// </summary>
public class FunctionalControlFlowExportTests(ITestOutputHelper log)
{
    private const DataType F = DataType.DtFloat;
    private const DataType I = DataType.DtInt32;
    private const DataType B = DataType.DtBool;

    private static AttrValue Type(DataType t) => new() { Type = t };

    private static AttrValue Types(params DataType[] t)
    {
        var a = new AttrValue { List = new AttrValue.Types.ListValue() };
        a.List.Type.AddRange(t);
        return a;
    }

    private static AttrValue Fn(string name) => new() { Func = new NameAttrList { Name = name } };

    private static NodeDef N(string name, string op, string[] inputs, params (string Key, AttrValue Value)[] attrs)
    {
        var n = new NodeDef { Name = name, Op = op };
        n.Input.AddRange(inputs);
        foreach (var (k, v) in attrs) n.Attr[k] = v;
        return n;
    }

    private static NodeDef C(string name, Tensor value)
        => N(name, "Const", [], ("dtype", Type(value.DType)), ("value", new AttrValue { Tensor = TensorProtos.FromTensor(value) }));

    private static FunctionDef Function(string name, (string Name, DataType Type)[] args, (string Name, DataType Type, string Ret)[] outputs, params NodeDef[] nodes)
    {
        var f = new FunctionDef { Signature = new OpDef { Name = name } };
        foreach (var (n, t) in args) f.Signature.InputArg.Add(new OpDef.Types.ArgDef { Name = n, Type = t });
        foreach (var (n, t, r) in outputs)
        {
            f.Signature.OutputArg.Add(new OpDef.Types.ArgDef { Name = n, Type = t });
            f.Ret[n] = r;
        }
        f.NodeDef.Add(nodes);
        return f;
    }

    // tf.function(x: float[None, 3]):
    //   y = tf.cond(reduce_sum(x) > 0, lambda: x * 2, lambda: exp(x))
    //   i = 0; acc = y
    //   while i < 3: acc = acc * 0.5 + x; i += 1      (x captured)
    //   return y, acc
    private static Graph Build()
    {
        var g = new GraphDef { Versions = new VersionDef { Producer = 1645 }, Library = new FunctionDefLibrary() };
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dim { Size = -1 });
        shape.Dim.Add(new TensorShapeProto.Types.Dim { Size = 3 });
        g.Node.Add(N("x", "Placeholder", [], ("dtype", Type(F)), ("shape", new AttrValue { Shape = shape })));
        g.Node.Add(C("Sum/axes", Tensor.Create(new[] { 0, 1 }, 2)));
        g.Node.Add(N("Sum", "Sum", ["x", "Sum/axes"], ("T", Type(F)), ("Tidx", Type(I)), ("keep_dims", new AttrValue { B = false })));
        g.Node.Add(C("Greater/y", Tensor.FromScalar(0f)));
        g.Node.Add(N("Greater", "Greater", ["Sum", "Greater/y"], ("T", Type(F))));
        g.Node.Add(N("cond", "StatelessIf", ["Greater", "x"], ("Tcond", Type(B)), ("Tin", Types(F)), ("Tout", Types(F)),
            ("then_branch", Fn("cond_true_10")), ("else_branch", Fn("cond_false_11")), ("_lower_using_switch_merge", new AttrValue { B = true })));
        g.Node.Add(N("cond/Identity", "Identity", ["cond"], ("T", Type(F))));
        g.Node.Add(C("while/loop_counter", Tensor.FromScalar(0)));
        g.Node.Add(C("while/maximum_iterations", Tensor.FromScalar(-1)));
        g.Node.Add(C("Const", Tensor.FromScalar(0)));
        g.Node.Add(N("while", "StatelessWhile", ["while/loop_counter", "while/maximum_iterations", "Const", "cond/Identity", "x"],
            ("T", Types(I, I, I, F, F)), ("cond", Fn("while_cond_20")), ("body", Fn("while_body_21")),
            ("parallel_iterations", new AttrValue { I = 10 }), ("_lower_using_switch_merge", new AttrValue { B = true })));
        g.Node.Add(N("acc", "Identity", ["while:3"], ("T", Type(F))));

        g.Library.Function.Add(Function("cond_true_10", [("mul_x", F)], [("identity", F, "Identity:output:0")],
            C("mul/y", Tensor.FromScalar(2f)),
            N("mul", "Mul", ["mul_x", "mul/y:output:0"], ("T", Type(F))),
            N("Identity", "Identity", ["mul:z:0"], ("T", Type(F)))));
        g.Library.Function.Add(Function("cond_false_11", [("exp_x", F)], [("identity", F, "Identity:output:0")],
            N("Exp", "Exp", ["exp_x"], ("T", Type(F))),
            N("Identity", "Identity", ["Exp:y:0"], ("T", Type(F)))));
        (string, DataType)[] loopArgs = [("while_loop_counter", I), ("while_maximum_iterations", I), ("placeholder", I), ("placeholder_1", F), ("add_x_0", F)];
        g.Library.Function.Add(Function("while_cond_20", loopArgs, [("identity", B, "Identity:output:0")],
            C("Less/y", Tensor.FromScalar(3)),
            N("Less", "Less", ["placeholder", "Less/y:output:0"], ("T", Type(I))),
            N("Identity", "Identity", ["Less:z:0"], ("T", Type(B)))));
        g.Library.Function.Add(Function("while_body_21", loopArgs,
            [("identity", I, "Identity:output:0"), ("identity_1", I, "Identity_1:output:0"), ("identity_2", I, "Identity_2:output:0"),
             ("identity_3", F, "Identity_3:output:0"), ("add_x", F, "add_x_0")],
            C("mul/y", Tensor.FromScalar(0.5f)),
            N("mul", "Mul", ["placeholder_1", "mul/y:output:0"], ("T", Type(F))),
            N("add", "AddV2", ["mul:z:0", "add_x_0"], ("T", Type(F))),
            C("add_1/y", Tensor.FromScalar(1)),
            N("add_1", "AddV2", ["placeholder", "add_1/y:output:0"], ("T", Type(I))),
            C("add_2/y", Tensor.FromScalar(1)),
            N("add_2", "AddV2", ["while_loop_counter", "add_2/y:output:0"], ("T", Type(I))),
            N("Identity", "Identity", ["add_2:z:0"], ("T", Type(I))),
            N("Identity_1", "Identity", ["while_maximum_iterations"], ("T", Type(I))),
            N("Identity_2", "Identity", ["add_1:z:0"], ("T", Type(I))),
            N("Identity_3", "Identity", ["add:z:0"], ("T", Type(F)))));
        return new Graph(g);
    }

    [Fact]
    public void StatelessIfAndStatelessWhileAreLoweredToOneIfAndOneLoopMatchingOrtOnBothBranches()
    {
        using var session = new Session(Build());
        string[] outputs = ["cond/Identity:0", "acc:0"];
        var model = OnnxExporter.Export(session, ["x:0"], outputs);
        Assert.Single(model.Graph.Node, n => n.OpType == "If");
        Assert.Single(model.Graph.Node, n => n.OpType == "Loop");
        Assert.DoesNotContain(model.Graph.Node, n => n.OpType is "StatelessIf" or "StatelessWhile");

        var positive = Tensor.Create(new[] { 1f, 2, -0.5f, 0.25f, 1, 3 }, 2, 3);
        var negative = Tensor.Create(new[] { -1f, 0.5f, -2 }, 1, 3);
        foreach (var x in new[] { positive, negative })
        {
            var r = OrtCheck.Compare(model, session, [("x:0", x)], outputs);
            log.WriteLine($"batch {x.Shape[0]}: max error {r.Worst:E2}");
            var xs = x.ToArray<float>();
            bool taken = xs.Sum() > 0;
            var y = xs.Select(v => taken ? v * 2 : MathF.Exp(v)).ToArray();
            Assert.Equal(y, r.Ours["cond/Identity:0"].ToArray<float>());
            var acc = y.ToArray();
            for (int step = 0; step < 3; step++)
                for (int k = 0; k < acc.Length; k++) acc[k] = acc[k] * 0.5f + xs[k];
            Assert.Equal(acc, r.Ours["acc:0"].ToArray<float>());
        }
    }

    // tf.switch_case(i, [lambda: (x * 2, 0), lambda: (exp(x), 1), lambda: (x - 1, 2)]) in TF 2.x's layout: a
    // StatelessCase with branch_index i, Tin [float], Tout [float, int32], each branch a FunctionDef whose constants
    // have no inputs.
    private static Graph BuildCase()
    {
        var g = new GraphDef { Versions = new VersionDef { Producer = 1645 }, Library = new FunctionDefLibrary() };
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dim { Size = -1 });
        shape.Dim.Add(new TensorShapeProto.Types.Dim { Size = 3 });
        g.Node.Add(N("x", "Placeholder", [], ("dtype", Type(F)), ("shape", new AttrValue { Shape = shape })));
        g.Node.Add(N("i", "Placeholder", [], ("dtype", Type(I)), ("shape", new AttrValue { Shape = new TensorShapeProto() })));
        var branches = new AttrValue { List = new AttrValue.Types.ListValue() };
        branches.List.Func.Add(new NameAttrList { Name = "branch_0_5" });
        branches.List.Func.Add(new NameAttrList { Name = "branch_1_6" });
        branches.List.Func.Add(new NameAttrList { Name = "branch_2_7" });
        g.Node.Add(N("switch_case/indexed_case", "StatelessCase", ["i", "x"], ("Tin", Types(F)), ("Tout", Types(F, I)), ("branches", branches),
            ("_lower_using_switch_merge", new AttrValue { B = true })));
        g.Node.Add(N("y", "Identity", ["switch_case/indexed_case"], ("T", Type(F))));
        g.Node.Add(N("which", "Identity", ["switch_case/indexed_case:1"], ("T", Type(I))));
        (string, DataType, string)[] outs = [("identity", F, "Identity:output:0"), ("identity_1", I, "Identity_1:output:0")];
        g.Library.Function.Add(Function("branch_0_5", [("mul_x", F)], outs,
            C("mul/y", Tensor.FromScalar(2f)),
            N("mul", "Mul", ["mul_x", "mul/y:output:0"], ("T", Type(F))),
            N("Identity", "Identity", ["mul:z:0"], ("T", Type(F))),
            C("k", Tensor.FromScalar(0)),
            N("Identity_1", "Identity", ["k:output:0"], ("T", Type(I)))));
        g.Library.Function.Add(Function("branch_1_6", [("exp_x", F)], outs,
            N("Exp", "Exp", ["exp_x"], ("T", Type(F))),
            N("Identity", "Identity", ["Exp:y:0"], ("T", Type(F))),
            C("k", Tensor.FromScalar(1)),
            N("Identity_1", "Identity", ["k:output:0"], ("T", Type(I)))));
        g.Library.Function.Add(Function("branch_2_7", [("sub_x", F)], outs,
            C("sub/y", Tensor.FromScalar(1f)),
            N("sub", "Sub", ["sub_x", "sub/y:output:0"], ("T", Type(F))),
            N("Identity", "Identity", ["sub:z:0"], ("T", Type(F))),
            C("k", Tensor.FromScalar(2)),
            N("Identity_1", "Identity", ["k:output:0"], ("T", Type(I)))));
        return new Graph(g);
    }

    [Fact]
    public void StatelessCaseIsLoweredToNestedIfsTakingTheLastBranchForAnOutOfRangeIndexLikeTf()
    {
        using var session = new Session(BuildCase());
        string[] outputs = ["y:0", "which:0"];
        var model = OnnxExporter.Export(session, ["x:0", "i:0"], outputs);
        Assert.DoesNotContain(model.Graph.Node, n => n.OpType.Contains("Case", StringComparison.Ordinal));
        // Three branches: an If on i == 0 whose else branch holds the If on i == 1.
        var outer = Assert.Single(model.Graph.Node, n => n.OpType == "If");
        var elseBranch = outer.Attribute.Single(a => a.Name == "else_branch").G;
        Assert.Single(elseBranch.Node, n => n.OpType == "If");

        var x = Tensor.Create(new[] { 1f, 2, -0.5f, 0.25f, 1, 3 }, 2, 3);
        var xs = x.ToArray<float>();
        foreach (int i in new[] { 0, 1, 2, 3, -1, 7 })
        {
            var r = OrtCheck.Compare(model, session, [("x:0", x), ("i:0", Tensor.FromScalar(i))], outputs);
            log.WriteLine($"branch_index {i}: max error {r.Worst:E2}");
            int taken = i is >= 0 and < 3 ? i : 2; // Case runs the last branch for an index out of range
            Assert.Equal(taken, r.Ours["which:0"].Scalar<int>());
            // Exp may differ from MathF.Exp in the last bit (the runtime's vectorized exp); the branch picked does not.
            var expected = xs.Select(v => taken switch { 0 => v * 2, 1 => MathF.Exp(v), _ => v - 1 }).ToArray();
            var y = r.Ours["y:0"].ToArray<float>();
            for (int k = 0; k < y.Length; k++) Assert.True(Math.Abs(y[k] - expected[k]) <= 1e-6 * Math.Max(1, Math.Abs(expected[k])), $"i={i} [{k}]: {y[k]} vs {expected[k]}");
        }
    }

    /// <summary>
    /// A TF2 TensorList made from a batch and stacked again (TensorListFromTensor / TensorListStack with element_shape
    /// [3], as tf.TensorArray.unstack/stack write them): with an empty batch TF stacks to [0, 3]; ORT's
    /// ConcatFromSequence refuses an empty sequence, so the export stacks through If(SequenceLength == 0,
    /// ConstantOfShape([0, 3]), ConcatFromSequence). Batches 0 and 2 match ORT and the input times 2.
    /// </summary>
    [Fact]
    public void AnEmptyTensorListStacksToShapeZeroByThreeInOrtAsInTf()
    {
        var g = new GraphDef { Versions = new VersionDef { Producer = 1645 } };
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dim { Size = -1 });
        shape.Dim.Add(new TensorShapeProto.Types.Dim { Size = 3 });
        g.Node.Add(N("x", "Placeholder", [], ("dtype", Type(F)), ("shape", new AttrValue { Shape = shape })));
        g.Node.Add(C("element_shape", Tensor.Create(new[] { 3 }, 1)));
        g.Node.Add(N("TensorListFromTensor", "TensorListFromTensor", ["x", "element_shape"], ("element_dtype", Type(F)), ("shape_type", Type(I))));
        g.Node.Add(N("TensorListStack", "TensorListStack", ["TensorListFromTensor", "element_shape"], ("element_dtype", Type(F)), ("num_elements", new AttrValue { I = -1 })));
        g.Node.Add(C("two", Tensor.FromScalar(2f)));
        g.Node.Add(N("y", "Mul", ["TensorListStack", "two"], ("T", Type(F))));
        using var session = new Session(new Graph(g));
        var model = OnnxExporter.Export(session, ["x:0"], ["y:0"]);
        Assert.Contains(model.Graph.Node, n => n.OpType == "If");
        foreach (int batch in new[] { 0, 2 })
        {
            var x = OrtCheck.RandomFloats(batch, -1, 1, batch, 3);
            var r = OrtCheck.Compare(model, session, [("x:0", x)], ["y:0"]);
            log.WriteLine($"batch {batch}: max error {r.Worst:E2}");
            Assert.Equal([batch, 3], r.Ours["y:0"].Shape.ToArray());
            Assert.Equal(x.ToArray<float>().Select(v => v * 2), r.Ours["y:0"].ToArray<float>());
        }
    }

    // tf.function(x: float[None, 3]) with a tf.Variable w [3] read inside a tf.while_loop: while_v2 captures the
    // variable's handle as a loop variable that the body passes through unchanged (its output is the input arg),
    // and the body reads it with ReadVariableOp:
    //   i = 0; acc = x;  while i < 4: acc = acc * read(w) + x; i += 1
    private static Graph BuildResourceLoop()
    {
        var g = new GraphDef { Versions = new VersionDef { Producer = 1645 }, Library = new FunctionDefLibrary() };
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dim { Size = -1 });
        shape.Dim.Add(new TensorShapeProto.Types.Dim { Size = 3 });
        var wShape = new TensorShapeProto();
        wShape.Dim.Add(new TensorShapeProto.Types.Dim { Size = 3 });
        var R = DataType.DtResource;
        g.Node.Add(N("x", "Placeholder", [], ("dtype", Type(F)), ("shape", new AttrValue { Shape = shape })));
        g.Node.Add(N("w", "VarHandleOp", [], ("dtype", Type(F)), ("shape", new AttrValue { Shape = wShape }),
            ("shared_name", new AttrValue { S = ByteString.CopyFromUtf8("w") }), ("container", new AttrValue { S = ByteString.Empty })));
        g.Node.Add(C("while/loop_counter", Tensor.FromScalar(0)));
        g.Node.Add(C("while/maximum_iterations", Tensor.FromScalar(-1)));
        g.Node.Add(C("Const", Tensor.FromScalar(0)));
        g.Node.Add(N("while", "While", ["while/loop_counter", "while/maximum_iterations", "Const", "x", "x", "w"],
            ("T", Types(I, I, I, F, F, R)), ("cond", Fn("while_cond_30")), ("body", Fn("while_body_31")),
            ("parallel_iterations", new AttrValue { I = 10 }), ("_lower_using_switch_merge", new AttrValue { B = true })));
        g.Node.Add(N("acc", "Identity", ["while:3"], ("T", Type(F))));

        (string, DataType)[] loopArgs = [("while_loop_counter", I), ("while_maximum_iterations", I), ("placeholder", I), ("placeholder_1", F),
            ("add_x_0", F), ("readvariableop_resource_0", R)];
        g.Library.Function.Add(Function("while_cond_30", loopArgs, [("identity", B, "Identity:output:0")],
            C("Less/y", Tensor.FromScalar(4)),
            N("Less", "Less", ["placeholder", "Less/y:output:0"], ("T", Type(I))),
            N("Identity", "Identity", ["Less:z:0"], ("T", Type(B)))));
        g.Library.Function.Add(Function("while_body_31", loopArgs,
            [("identity", I, "Identity:output:0"), ("identity_1", I, "Identity_1:output:0"), ("identity_2", I, "Identity_2:output:0"),
             ("identity_3", F, "Identity_3:output:0"), ("add_x", F, "add_x_0"), ("readvariableop_resource", R, "readvariableop_resource_0")],
            N("ReadVariableOp", "ReadVariableOp", ["readvariableop_resource_0"], ("dtype", Type(F))),
            N("mul", "Mul", ["placeholder_1", "ReadVariableOp:value:0"], ("T", Type(F))),
            N("add", "AddV2", ["mul:z:0", "add_x_0"], ("T", Type(F))),
            C("add_1/y", Tensor.FromScalar(1)),
            N("add_1", "AddV2", ["placeholder", "add_1/y:output:0"], ("T", Type(I))),
            C("add_2/y", Tensor.FromScalar(1)),
            N("add_2", "AddV2", ["while_loop_counter", "add_2/y:output:0"], ("T", Type(I))),
            N("Identity", "Identity", ["add_2:z:0"], ("T", Type(I))),
            N("Identity_1", "Identity", ["while_maximum_iterations"], ("T", Type(I))),
            N("Identity_2", "Identity", ["add_1:z:0"], ("T", Type(I))),
            N("Identity_3", "Identity", ["add:z:0"], ("T", Type(F)))));
        return new Graph(g);
    }

    /// <summary>
    /// A resource variable carried through a TF2 While as a loop variable (while_v2's captured handle, passed through
    /// unchanged) and read in the body: exported with the handle as a loop invariant, the read becoming the variable's
    /// value; ORT equals our session and a C# loop for batches 1 and 3.
    /// </summary>
    [Fact]
    public void AResourceVariablePassedThroughAWhileAsALoopVariableIsReadInsideTheLoopBody()
    {
        using var session = new Session(BuildResourceLoop());
        float[] w = [0.5f, -1.25f, 0.75f];
        session.State.Variable("w").Value = Tensor.Create(w, 3);
        var model = OnnxExporter.Export(session, ["x:0"], ["acc:0"]);
        Assert.Single(model.Graph.Node, n => n.OpType == "Loop");
        foreach (int batch in new[] { 1, 3 })
        {
            var x = OrtCheck.RandomFloats(80 + batch, -1, 1, batch, 3);
            var r = OrtCheck.Compare(model, session, [("x:0", x)], ["acc:0"]);
            log.WriteLine($"batch {batch}: max error {r.Worst:E2}");
            var xs = x.ToArray<float>();
            var acc = xs.ToArray();
            for (int step = 0; step < 4; step++)
                for (int k = 0; k < acc.Length; k++) acc[k] = acc[k] * w[k % 3] + xs[k];
            var ours = r.Ours["acc:0"].ToArray<float>();
            for (int k = 0; k < acc.Length; k++) Assert.True(Math.Abs(ours[k] - acc[k]) <= 1e-5f * Math.Max(1, Math.Abs(acc[k])), $"[{k}] {ours[k]} vs {acc[k]}");
        }
    }

    [Fact]
    public void AFunctionalOpWhoseFunctionIsMissingIsRefusedNamingTheNode()
    {
        var def = Build().Def.Clone();
        def.Library.Function.Remove(def.Library.Function.Single(f => f.Signature.Name == "cond_false_11"));
        using var session = new Session(new Graph(def));
        var e = Assert.Throws<OnnxExportException>(() => OnnxExporter.Export(session, ["x:0"], ["cond/Identity:0"]));
        log.WriteLine(e.Message);
        Assert.Contains("'cond'", e.Message);
        Assert.Contains("cond_false_11", e.Message);
    }
}
