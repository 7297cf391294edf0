using TypedGraph.Functions;
using TypedGraph.Protos;
using static TypedGraph.Tests.Support.ExecGraph;

namespace TypedGraph.Tests.Compat;

/// <summary>
/// Unsupported-op reporting follows every function a graph's nodes reach (call <c>f</c>, While <c>cond</c>/<c>body</c>,
/// Case <c>branches</c>, nested calls), names one node and its function per missing op type, and a run's plan lists
/// ALL missing op types of the request in one exception.
/// </summary>
public sealed class FunctionBodyOpReportTests
{
    private static NodeDef N(string name, string op, string[] inputs, params (string Key, AttrValue Value)[] attrs)
    {
        var n = new NodeDef { Name = name, Op = op };
        n.Input.AddRange(inputs);
        foreach (var (k, v) in attrs) n.Attr[k] = v;
        return n;
    }

    private static AttrValue Fn(string name) => new() { Func = new NameAttrList { Name = name } };

    private static FunctionDef Function(string name, string[] args, string ret, params NodeDef[] nodes)
    {
        var f = new FunctionDef { Signature = new OpDef { Name = name } };
        foreach (var a in args) f.Signature.InputArg.Add(new OpDef.Types.ArgDef { Name = a, Type = DataType.DtFloat });
        f.Signature.OutputArg.Add(new OpDef.Types.ArgDef { Name = "out", Type = DataType.DtFloat });
        f.NodeDef.Add(nodes);
        f.Ret["out"] = ret;
        return f;
    }

    // x → StatefulPartitionedCall(outer) ; outer: While(cond, body) ; body: OpA + PartitionedCall(inner: OpB) ;
    // outer also: Case(branches=[b0, b1]) with b1 using OpC ; an unreachable function uses OpZ.
    private static Graph Build()
    {
        var g = new GraphDef { Versions = new VersionDef { Producer = 1087 }, Library = new FunctionDefLibrary() };
        g.Node.Add(N("x", "Placeholder", [], ("dtype", Type(DataType.DtFloat)), ("shape", Shape([]))));
        g.Node.Add(N("call", "StatefulPartitionedCall", ["x"], ("Tin", Types(DataType.DtFloat)), ("Tout", Types(DataType.DtFloat)), ("f", Fn("outer"))));
        g.Node.Add(N("TopLevelMystery", "TopLevelMystery", ["x"], T(DataType.DtFloat)));
        g.Library.Function.Add(Function("outer", ["a"], "case:output:0",
            N("while", "StatelessWhile", ["a"], ("T", Types(DataType.DtFloat)), ("cond", Fn("cond")), ("body", Fn("body"))),
            N("idx", "Const", [], ("dtype", Type(DataType.DtInt32)), ("value", new AttrValue { Tensor = TensorProtos.FromTensor(Tensor.FromScalar(1)) })),
            N("case", "Case", ["idx:output:0", "while:output:0"], ("Tin", Types(DataType.DtFloat)), ("Tout", Types(DataType.DtFloat)),
                ("branches", new AttrValue { List = new AttrValue.Types.ListValue { Func = { new NameAttrList { Name = "b0" }, new NameAttrList { Name = "b1" } } } }))));
        g.Library.Function.Add(Function("cond", ["v"], "id:output:0", N("id", "Identity", ["v"], T(DataType.DtFloat))));
        g.Library.Function.Add(Function("body", ["v"], "call_inner:output:0",
            N("a", "OpA", ["v"], T(DataType.DtFloat)),
            N("call_inner", "PartitionedCall", ["a:y:0"], ("Tin", Types(DataType.DtFloat)), ("Tout", Types(DataType.DtFloat)), ("f", Fn("inner")))));
        g.Library.Function.Add(Function("inner", ["v"], "b:y:0", N("b", "OpB", ["v"], T(DataType.DtFloat)), N("a2", "OpA", ["v"], T(DataType.DtFloat))));
        g.Library.Function.Add(Function("b0", ["v"], "id:output:0", N("id", "Identity", ["v"], T(DataType.DtFloat))));
        g.Library.Function.Add(Function("b1", ["v"], "c:y:0", N("c", "OpC", ["v"], T(DataType.DtFloat))));
        g.Library.Function.Add(Function("unreachable", ["v"], "z:y:0", N("z", "OpZ", ["v"], T(DataType.DtFloat))));
        return new Graph(g);
    }

    [Fact]
    public void UnsupportedOpsFollowCallWhileAndCaseBodiesRecursivelyWithOneNodeEach()
    {
        using var session = new Session(Build());
        Assert.Equal(
            [
                new UnsupportedOp("OpA", "a", "body"),      // first use: body (reached before inner)
                new UnsupportedOp("OpB", "b", "inner"),
                new UnsupportedOp("OpC", "c", "b1"),
                new UnsupportedOp("TopLevelMystery", "TopLevelMystery", null),
            ],
            session.UnsupportedOps);
        Assert.Equal(["OpA", "OpB", "OpC", "TopLevelMystery"], TypedGraph.Kernels.KernelRegistry.Default.UnsupportedOps(session.Graph));
    }

    [Fact]
    public void ARunListsEveryMissingOpTypeOfTheRequestAtOnce()
    {
        using var session = new Session(Build());
        var e = Assert.Throws<UnsupportedOpException>(() => session.Run("call:0", ("x", Tensor.FromScalar(1f))));
        // Only the request's nodes count: TopLevelMystery is not needed for call:0.
        Assert.Equal(["OpA", "OpB", "OpC"], e.Missing.Select(m => m.OpType));
        Assert.Equal("No kernel for 3 op types: 'OpA' (node 'a' in function 'body'), 'OpB' (node 'b' in function 'inner'), 'OpC' (node 'c' in function 'b1').", e.Message);
        Assert.Equal("a", e.NodeName);
        Assert.Equal("OpA", e.OpType);
    }

    [Fact]
    public void TopLevelMissingOpsAreAllListedWithTheirFirstNode()
    {
        var g = new Support.ExecGraph();
        g.Placeholder("x", DataType.DtFloat, []);
        g.Op("m1", "MysteryOne", ["x"], T(DataType.DtFloat));
        g.Op("m2", "MysteryTwo", ["m1"], T(DataType.DtFloat));
        g.Op("m3", "MysteryOne", ["m2"], T(DataType.DtFloat));
        using var session = new Session(g.Graph);
        var e = Assert.Throws<UnsupportedOpException>(() => session.Run("m3:0", ("x", Tensor.FromScalar(1f))));
        Assert.Equal([new UnsupportedOp("MysteryOne", "m1", null), new UnsupportedOp("MysteryTwo", "m2", null)], e.Missing);
        Assert.Equal("No kernel for 2 op types: 'MysteryOne' (node 'm1'), 'MysteryTwo' (node 'm2').", e.Message);
    }

    [Fact]
    public void ABodyReadingAnUnknownOpsOutputArgIsTheUnsupportedOpErrorNotAnOutputArgError()
    {
        var lib = new FunctionDefLibrary();
        lib.Function.Add(Function("f", ["v"], "q:some_output:0", N("q", "QuiteUnknownOp", ["v"], T(DataType.DtFloat))));
        var e = Assert.Throws<UnsupportedOpException>(() => FunctionBody.Instantiate(lib, "f", new Dictionary<string, AttrValue>(), null, "caller"));
        Assert.Equal([new UnsupportedOp("QuiteUnknownOp", "q", "f")], e.Missing);
        Assert.DoesNotContain("output arg", e.Message);
    }
}
