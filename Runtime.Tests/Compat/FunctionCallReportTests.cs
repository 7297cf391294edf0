using System.Text.Json;
using Google.Protobuf;
using TypedGraph.Cli.Commands;
using TypedGraph.Protos;
using static TypedGraph.Tests.Support.ExecGraph;

namespace TypedGraph.Tests.Compat;

/// <summary>
/// TF 2.x-compat graphs: a FunctionDefLibrary with a <c>tf.function</c> body called by StatefulPartitionedCall
/// (resource variable passed as a DT_RESOURCE arg, function-style inputs <c>node:out_arg:i</c>, a nested
/// PartitionedCall, a control return that assigns a variable), run end to end; an op missing inside an <c>If</c>
/// branch reported with its function and node.
/// </summary>
public sealed class FunctionCallReportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-fn").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static NodeDef N(string name, string op, string[] inputs, params (string Key, AttrValue Value)[] attrs)
    {
        var n = new NodeDef { Name = name, Op = op };
        n.Input.AddRange(inputs);
        foreach (var (k, v) in attrs) n.Attr[k] = v;
        return n;
    }

    private static OpDef.Types.ArgDef Arg(string name, DataType t) => new() { Name = name, Type = t };

    private static MetaGraphDef Build(bool withIf = false)
    {
        var g = new GraphDef { Versions = new VersionDef { Producer = 440 }, Library = new FunctionDefLibrary() };
        g.Node.Add(N("x", "Placeholder", [], ("dtype", Type(DataType.DtFloat)), ("shape", Shape([-1, 2]))));
        g.Node.Add(N("dense/kernel", "VarHandleOp", [], ("dtype", Type(DataType.DtFloat)), ("shape", Shape([2, 1])), ("shared_name", Str("dense/kernel")), ("container", Str(""))));
        g.Node.Add(N("counter", "VarHandleOp", [], ("dtype", Type(DataType.DtFloat)), ("shape", Shape([])), ("shared_name", Str("counter")), ("container", Str(""))));
        g.Node.Add(N("dense/kernel/Initializer/Const", "Const", [], ("dtype", Type(DataType.DtFloat)), ("value", new AttrValue { Tensor = TensorProtos.FromTensor(Tensor.Create(new float[] { 1, -2 }, 2, 1)) })));
        g.Node.Add(N("dense/kernel/Assign", "AssignVariableOp", ["dense/kernel", "dense/kernel/Initializer/Const"], ("dtype", Type(DataType.DtFloat))));
        g.Node.Add(N("counter/Initializer/Const", "Const", [], ("dtype", Type(DataType.DtFloat)), ("value", new AttrValue { Tensor = TensorProtos.FromTensor(Tensor.FromScalar(0f)) })));
        g.Node.Add(N("counter/Assign", "AssignVariableOp", ["counter", "counter/Initializer/Const"], ("dtype", Type(DataType.DtFloat))));
        g.Node.Add(N("init", "NoOp", ["^dense/kernel/Assign", "^counter/Assign"]));
        var call = N("StatefulPartitionedCall", "StatefulPartitionedCall", ["x", "dense/kernel", "counter"],
            ("Tin", Types(DataType.DtFloat, DataType.DtResource, DataType.DtResource)), ("Tout", Types(DataType.DtFloat)));
        call.Attr["f"] = new AttrValue { Func = new NameAttrList { Name = "__inference_call_91" } };
        g.Node.Add(call);
        g.Node.Add(N("Identity", "Identity", ["StatefulPartitionedCall"], T(DataType.DtFloat)));

        // __inference_call_91(x, matmul_readvariableop_resource, assignaddvariableop_resource) -> identity
        var fn = new FunctionDef { Signature = new OpDef { Name = "__inference_call_91", IsStateful = true } };
        fn.Signature.InputArg.Add([Arg("x", DataType.DtFloat), Arg("matmul_readvariableop_resource", DataType.DtResource), Arg("assignaddvariableop_resource", DataType.DtResource)]);
        fn.Signature.OutputArg.Add(Arg("identity", DataType.DtFloat));
        fn.NodeDef.Add(N("MatMul/ReadVariableOp", "ReadVariableOp", ["matmul_readvariableop_resource"], ("dtype", Type(DataType.DtFloat))));
        fn.NodeDef.Add(N("MatMul", "MatMul", ["x", "MatMul/ReadVariableOp:value:0"], T(DataType.DtFloat), ("transpose_a", Bool(false)), ("transpose_b", Bool(false))));
        var inner = N("PartitionedCall", "PartitionedCall", ["MatMul:product:0"], ("Tin", Types(DataType.DtFloat)), ("Tout", Types(DataType.DtFloat)));
        inner.Attr["f"] = new AttrValue { Func = new NameAttrList { Name = "__inference_relu_double_12" } };
        fn.NodeDef.Add(inner);
        fn.NodeDef.Add(N("AssignAddVariableOp/value", "Const", [], ("dtype", Type(DataType.DtFloat)), ("value", new AttrValue { Tensor = TensorProtos.FromTensor(Tensor.FromScalar(1f)) })));
        fn.NodeDef.Add(N("AssignAddVariableOp", "AssignAddVariableOp", ["assignaddvariableop_resource", "AssignAddVariableOp/value:output:0"], ("dtype", Type(DataType.DtFloat))));
        fn.NodeDef.Add(N("Identity", "Identity", ["PartitionedCall:output:0", "^AssignAddVariableOp"], T(DataType.DtFloat)));
        fn.Ret["identity"] = "Identity:output:0";
        fn.ControlRet["AssignAddVariableOp"] = "AssignAddVariableOp";
        g.Library.Function.Add(fn);

        // __inference_relu_double_12(t) -> out = Relu(t) * 2
        var f2 = new FunctionDef { Signature = new OpDef { Name = "__inference_relu_double_12" } };
        f2.Signature.InputArg.Add(Arg("t", DataType.DtFloat));
        f2.Signature.OutputArg.Add(Arg("out", DataType.DtFloat));
        f2.NodeDef.Add(N("Relu", "Relu", ["t"], T(DataType.DtFloat)));
        f2.NodeDef.Add(N("mul/y", "Const", [], ("dtype", Type(DataType.DtFloat)), ("value", new AttrValue { Tensor = TensorProtos.FromTensor(Tensor.FromScalar(2f)) })));
        f2.NodeDef.Add(N("mul", "Mul", ["Relu:activations:0", "mul/y:output:0"], T(DataType.DtFloat)));
        f2.Ret["out"] = "mul:z:0";
        g.Library.Function.Add(f2);

        if (withIf)
        {
            g.Node.Add(N("pred", "Placeholder", [], ("dtype", Type(DataType.DtBool)), ("shape", Shape([]))));
            var cond = N("cond", "If", ["pred", "x"], ("Tcond", Type(DataType.DtBool)), ("Tin", Types(DataType.DtFloat)), ("Tout", Types(DataType.DtFloat)));
            cond.Attr["then_branch"] = new AttrValue { Func = new NameAttrList { Name = "cond_true_5" } };
            cond.Attr["else_branch"] = new AttrValue { Func = new NameAttrList { Name = "cond_false_6" } };
            g.Node.Add(cond);
            // then: Identity(x); else: a custom op no kernel has, so the If runs but its else branch cannot.
            var thenFn = new FunctionDef { Signature = new OpDef { Name = "cond_true_5" } };
            thenFn.Signature.InputArg.Add(Arg("x", DataType.DtFloat));
            thenFn.Signature.OutputArg.Add(Arg("identity", DataType.DtFloat));
            thenFn.NodeDef.Add(N("Identity", "Identity", ["x"], T(DataType.DtFloat)));
            thenFn.Ret["identity"] = "Identity:output:0";
            g.Library.Function.Add(thenFn);
            var elseFn = new FunctionDef { Signature = new OpDef { Name = "cond_false_6" } };
            elseFn.Signature.InputArg.Add(Arg("x", DataType.DtFloat));
            elseFn.Signature.OutputArg.Add(Arg("identity", DataType.DtFloat));
            elseFn.NodeDef.Add(N("MyCustomOp", "MyCustomOp", ["x"], T(DataType.DtFloat)));
            elseFn.NodeDef.Add(N("Identity", "Identity", ["MyCustomOp:output:0"], T(DataType.DtFloat)));
            elseFn.Ret["identity"] = "Identity:output:0";
            g.Library.Function.Add(elseFn);
        }
        return new MetaGraphDef { MetaInfoDef = new MetaGraphDef.Types.MetaInfoDef { TensorflowVersion = "2.3.1" }, GraphDef = g };
    }

    [Fact]
    public void StatefulPartitionedCallRunsTheFunctionBodyOnTheCallersVariables()
    {
        var meta = MetaGraph.Parse(Build().ToByteArray(), "tf2.meta");
        using var session = new Session(meta.Graph);
        session.RunTargets("init");
        var x = Tensor.Create(new float[] { 3, 1, 1, 2, 0.5f, 0 }, 3, 2);
        // x·[1, -2] = [1, -3, 0.5]; relu · 2 = [2, 0, 1]
        Assert.Equal([2f, 0f, 1f], session.Run("Identity:0", ("x", x)).ToArray<float>());
        Assert.Equal([2f, 0f, 1f], session.Run("Identity:0", ("x", x)).ToArray<float>());
        // The body's control return (AssignAddVariableOp) ran once per call, on the caller's variable.
        session.Run([], new Dictionary<string, Tensor>(), ["counter"]);
        var slot = session.State.FindVariable("counter");
        Assert.Equal(2f, slot!.Value!.AsSpan<float>()[0]);
    }

    [Fact]
    public void InspectListsFunctionCallsAndLibraryRoundTrips()
    {
        var path = Path.Combine(_dir, "tf2.meta");
        var bytes = Build(withIf: true).ToByteArray();
        File.WriteAllBytes(path, bytes);
        Assert.Equal(bytes, MetaGraph.Load(path).Proto.ToByteArray());

        var o = new StringWriter();
        Assert.Equal(0, CliApp.Run(["inspect", path], o, new StringWriter()));
        var text = o.ToString();
        Assert.Contains("function library: 4 function(s): __inference_call_91, __inference_relu_double_12, cond_true_5, cond_false_6", text);
        Assert.Contains("function call: StatefulPartitionedCall op=StatefulPartitionedCall calls=[__inference_call_91]\n", text.Replace("\r", ""));
        // If has a kernel now; the op its else branch needs is reported with the function and node.
        Assert.Contains("function call: cond op=If calls=[cond_false_6, cond_true_5]\n", text.Replace("\r", ""));
        Assert.Contains("unsupported ops: MyCustomOp\n", text.Replace("\r", ""));
        Assert.Contains("unsupported op: 'MyCustomOp' (node 'MyCustomOp' in function 'cond_false_6')", text);

        o = new StringWriter();
        Assert.Equal(0, CliApp.Run(["inspect", path, "--json"], o, new StringWriter()));
        using var doc = JsonDocument.Parse(o.ToString());
        Assert.Equal(["MyCustomOp"], doc.RootElement.GetProperty("unsupportedOps").EnumerateArray().Select(e => e.GetString()));
        var node = Assert.Single(doc.RootElement.GetProperty("unsupportedOpNodes").EnumerateArray());
        Assert.Equal("MyCustomOp", node.GetProperty("opType").GetString());
        Assert.Equal("MyCustomOp", node.GetProperty("nodeName").GetString());
        Assert.Equal("cond_false_6", node.GetProperty("function").GetString());
        Assert.Equal("cond", doc.RootElement.GetProperty("functionCalls")[1].GetProperty("nodeName").GetString());
    }

    [Fact]
    public void AnOpMissingInAnIfBranchFailsThePlanNamingFunctionAndNodeAndMissingFunctionsAreFormatErrors()
    {
        var meta = MetaGraph.Parse(Build(withIf: true).ToByteArray(), "tf2.meta");
        using var session = new Session(meta.Graph);
        Assert.Equal([new UnsupportedOp("MyCustomOp", "MyCustomOp", "cond_false_6")], session.UnsupportedOps);
        // Refused before anything runs, even for pred = true (TF would only fail when the else branch is taken;
        // the plan-time check reports the whole gap at once instead).
        var e = Assert.Throws<UnsupportedOpException>(() => session.Run("cond:0", ("pred", Tensor.FromScalar(true)), ("x", Tensor.Create(new float[2], 1, 2))));
        Assert.Equal("MyCustomOp", e.NodeName);
        Assert.Equal("No kernel for op 'MyCustomOp' (node 'MyCustomOp' in function 'cond_false_6').", e.Message);

        var broken = Build();
        broken.GraphDef.Library.Function.RemoveAt(1);
        using var s2 = new Session(MetaGraph.Parse(broken.ToByteArray(), "tf2.meta").Graph);
        s2.RunTargets("init");
        var e2 = Assert.ThrowsAny<TypedGraphException>(() => s2.Run("Identity:0", ("x", Tensor.Create(new float[2], 1, 2))));
        Assert.Contains("__inference_relu_double_12", e2.Message);
    }
}
