extern alias gen;
using Google.Protobuf;
using TypedGraph.Generator.Tests.Support;
using TypedGraph.Protos;
using GraphFileOptions = gen::TypedGraph.Generator.Model.GraphFileOptions;
using ParseResult = gen::TypedGraph.Generator.Model.ParseResult;
using Parser = gen::TypedGraph.Generator.TypedGraphGenerator.Parser;

namespace TypedGraph.Generator.Tests;

/// <summary>
/// Graphs from TF before producer 22 (TF 0.x/early 1.x): a Placeholder whose shape attr has no dims means "unknown
/// shape" there (TF's Placeholder shape fn: graph_def_version() &lt;= 21), so the generated feed must not be typed as
/// a scalar — the runtime already accepts any shape for it (GraphVersions). From producer 22 on it is a scalar.
/// </summary>
public class LegacyPlaceholderShapeTests
{
    // The layout TF 0.x's freeze wrote: no stripped op list, no _output_shapes, `shape {}` on a placeholder fed a batch.
    private static GraphDef Frozen(int? producer)
    {
        var g = new TestGraphs();
        var def = g.GraphDef;
        def.Versions = producer == null ? null : new VersionDef { Producer = producer.Value };
        var x = g.Placeholder("x", DataType.DtFloat, []);
        x.Attr.Remove("_output_shapes");
        var k = g.Placeholder("k", DataType.DtFloat, [2]);
        k.Attr.Remove("_output_shapes");
        g.Node("y", "Identity", ["x"], DataType.DtFloat);
        g.Node("z", "Identity", ["k"], DataType.DtFloat);
        return def;
    }

    private static ParseResult Parse(GraphDef def)
        => Parser.Parse(def.ToByteArray(), "/models/legacy.pb", new GraphFileOptions("M", "D", "internal", "", ""), CancellationToken.None);

    private static string Shape(ParseResult r, string id) => r.Spec!.Members.Single(m => m.Identifier == id).Type!.Shape.Display;

    private static string FeedShape(ParseResult r, string id)
        => r.Spec!.Members.Single(m => m.Identifier == id).RequiredFeeds.Single().Type.Shape.Display;

    [Theory]
    [InlineData(null)] // no versions field: producer 0, as TF reads the proto default
    [InlineData(0)]
    [InlineData(21)]
    public void PlaceholderShapeEmpty_BeforeProducer22_IsUnknownNotScalar(int? producer)
    {
        var r = Parse(Frozen(producer));
        Assert.Equal("GraphDef", r.Spec!.Format);
        Assert.Equal("<unknown>", FeedShape(r, "Y"));
        Assert.Equal("<unknown>", Shape(r, "Y"));
        // A placeholder with dims keeps them.
        Assert.Equal("[2]", FeedShape(r, "Z"));
        Assert.Equal("[2]", Shape(r, "Z"));
    }

    [Fact]
    public void PlaceholderShapeEmpty_FromProducer22_IsAScalar()
    {
        var r = Parse(Frozen(22));
        Assert.Equal("[]", FeedShape(r, "Y"));
        Assert.Equal("[]", Shape(r, "Y"));
    }

    [Fact]
    public void LegacyOutputShapesAttr_WithNoDims_IsAlsoUnknown()
    {
        // An old export that did write _output_shapes still wrote the placeholder's `{}`; TF's runtime ignores it.
        var def = Frozen(21);
        var x = def.Node.Single(n => n.Name == "x");
        x.Attr["_output_shapes"] = new AttrValue { List = new AttrValue.Types.ListValue { Shape = { new TensorShapeProto() } } };
        Assert.Equal("<unknown>", FeedShape(Parse(def), "Y"));
    }
}
