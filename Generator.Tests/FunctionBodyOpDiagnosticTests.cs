extern alias gen;
using Google.Protobuf;
using TypedGraph.Protos;
using TypedGraph.Generator.Tests.Support;
using GraphFileOptions = gen::TypedGraph.Generator.Model.GraphFileOptions;
using Parser = gen::TypedGraph.Generator.TypedGraphGenerator.Parser;

namespace TypedGraph.Generator.Tests;

/// <summary>The generator's unsupported-op warning (TG0002) includes ops reached only through function bodies.</summary>
public class FunctionBodyOpDiagnosticTests
{
    [Fact]
    public void UnsupportedOpInsideAWhileBodyCalledThroughPartitionedCall_IsNamedWithFunctionAndNode()
    {
        var g = TestGraphs.Tutorial();
        var meta = g.Meta();
        var call = new NodeDef { Name = "call", Op = "StatefulPartitionedCall" };
        call.Input.Add("w1");
        call.Attr["f"] = new AttrValue { Func = new NameAttrList { Name = "outer" } };
        meta.GraphDef.Node.Add(call);
        var lib = meta.GraphDef.Library = new FunctionDefLibrary();
        var outer = new FunctionDef { Signature = new OpDef { Name = "outer" } };
        var loop = new NodeDef { Name = "while", Op = "While" };
        loop.Attr["cond"] = new AttrValue { Func = new NameAttrList { Name = "cond" } };
        loop.Attr["body"] = new AttrValue { Func = new NameAttrList { Name = "body" } };
        outer.NodeDef.Add(loop);
        lib.Function.Add(outer);
        var cond = new FunctionDef { Signature = new OpDef { Name = "cond" } };
        cond.NodeDef.Add(new NodeDef { Name = "less", Op = "Less" });
        lib.Function.Add(cond);
        var body = new FunctionDef { Signature = new OpDef { Name = "body" } };
        body.NodeDef.Add(new NodeDef { Name = "mystery", Op = "MyCustomBodyOp" });
        lib.Function.Add(body);

        var r = Parser.Parse(meta.ToByteArray(), "/models/m.meta", new GraphFileOptions("M", "Demo", "internal", "", ""), CancellationToken.None);
        var d = Assert.Single(r.Diagnostics, x => x.Id == "TG0002");
        Assert.Equal("1", d.Arguments[1]);
        Assert.Equal("'MyCustomBodyOp' (e.g. node 'mystery' in function 'body')", d.Arguments[2]);
    }
}
