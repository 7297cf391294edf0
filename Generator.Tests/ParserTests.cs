extern alias gen;
using Google.Protobuf;
using TypedGraph.Generator.Tests.Support;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using GraphFileOptions = gen::TypedGraph.Generator.Model.GraphFileOptions;
using MemberKind = gen::TypedGraph.Generator.Model.MemberKind;
using MemberSpec = gen::TypedGraph.Generator.Model.MemberSpec;
using ParseResult = gen::TypedGraph.Generator.Model.ParseResult;
using Parser = gen::TypedGraph.Generator.TypedGraphGenerator.Parser;

namespace TypedGraph.Generator.Tests;

/// <summary>Graph bytes → model: formats by content, diagnostics, names, feeds, visibility.</summary>
public class ParserTests
{
    private static GraphFileOptions Options(string className = "M", string include = "", string exclude = "")
        => new(className, "Demo", "internal", include, exclude);

    private static ParseResult Parse(IMessage message, string fileName, GraphFileOptions? options = null)
        => Parser.Parse(message.ToByteArray(), "/models/" + fileName, options ?? Options(), CancellationToken.None);

    private static MemberSpec Member(ParseResult r, params string[] path)
    {
        var members = r.Spec!.Members;
        MemberSpec? m = null;
        foreach (var p in path)
        {
            m = members.SingleOrDefault(x => x.Identifier == p) ?? throw new Xunit.Sdk.XunitException(
                $"No member '{p}' among: {string.Join(", ", members.Select(x => x.Identifier))}");
            members = m.Children;
        }
        return m!;
    }

    [Fact]
    public void FrozenGraphDef_IsDetectedByContent()
    {
        var bytes = File.ReadAllBytes(Fixtures.Path("smove_tf", "frozen_smovetf.pb"));
        var r = Parser.Parse(bytes, "frozen_smovetf.pb", Options(), CancellationToken.None);
        Assert.Equal("GraphDef", r.Spec!.Format);
        var o = Member(r, "O");
        Assert.Equal("O:0", o.TfName);
        Assert.Equal("float", o.Type!.ElementType);
        Assert.Equal("X:0", Assert.Single(o.RequiredFeeds).TensorName);
    }

    [Fact]
    public void MetaGraphDefNamedPb_AndGraphDefNamedMeta_AreDetectedByContent()
    {
        Assert.Equal("MetaGraphDef", Parse(TestGraphs.Tutorial().Meta(), "model.pb").Spec!.Format);
        Assert.Equal("GraphDef", Parse(TestGraphs.Tutorial().GraphDef, "model.meta").Spec!.Format);
    }

    [Fact]
    public void SavedModel_UsesTheServingGraph_AndIsNamedAfterItsFolder()
    {
        var train = TestGraphs.Tutorial().Meta();
        train.MetaInfoDef.Tags.Add("train");
        var serve = TestGraphs.Tutorial().Meta();
        serve.MetaInfoDef.Tags.Add("serve");
        serve.GraphDef.Node.Add(new NodeDef { Name = "serving_only", Op = "NoOp" });
        var saved = new SavedModel { SavedModelSchemaVersion = 1, MetaGraphs = { train, serve } };
        var path = TestGraphs.Write(saved, "saved_model.pb");
        var r = Parser.Parse(File.ReadAllBytes(path), path, Options(Parser.DefaultClassName(path)), CancellationToken.None);
        Assert.Equal("SavedModel", r.Spec!.Format);
        Assert.Equal(MemberKind.Operation, Member(r, "ServingOnly").Kind);
        Assert.Equal("TutorialModel", Parser.DefaultClassName("/x/tutorial_model/saved_model.pb"));
        Assert.Equal("MyTestModel1000", Parser.DefaultClassName("/x/my_test_model-1000.meta"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("this is a text file, not a graph")]
    public void NotAGraph_IsTG0001_WithoutASpec(string content)
    {
        var r = Parser.Parse(System.Text.Encoding.UTF8.GetBytes(content), "/m/notes.meta", Options(), CancellationToken.None);
        Assert.Null(r.Spec);
        var d = Assert.Single(r.Diagnostics);
        Assert.Equal("TG0001", d.Id);
        Assert.Equal("notes.meta", d.Arguments[0]);
    }

    [Fact]
    public void MissingFile_IsTG0001()
    {
        var r = Parser.Parse("/definitely/not/here.meta", Options(), CancellationToken.None);
        Assert.Equal("TG0001", Assert.Single(r.Diagnostics).Id);
    }

    [Fact]
    public void EmptyGraph_IsTG0004_AndStillGeneratesTheClass()
    {
        var meta = new MetaGraphDef { GraphDef = new GraphDef { Versions = new VersionDef { Producer = 24 } } };
        var r = Parse(meta, "empty.meta");
        Assert.Equal("TG0004", Assert.Single(r.Diagnostics).Id);
        Assert.Empty(r.Spec!.Members);
    }

    [Fact]
    public void UnsupportedOps_AreOneWarningNamingOpAndNode()
    {
        var g = TestGraphs.Tutorial();
        g.Node("bn", "MyCustomFusedOp", ["w1"], DataType.DtFloat); // a custom op no runtime kernel will ever have
        var d = Assert.Single(Parse(g.Meta(), "m.meta").Diagnostics, x => x.Id == "TG0002");
        Assert.Contains("'MyCustomFusedOp' (e.g. node 'bn')", d.Arguments[2]);
    }

    [Fact]
    public void Collisions_GetDeterministicSuffixes_AndAreReported()
    {
        var g = new TestGraphs().Op("Placeholder", ("output", "dtype", DataType.DtInvalid, false));
        g.Placeholder("a_b", DataType.DtFloat, []);
        g.Placeholder("aB", DataType.DtFloat, []);
        g.Placeholder("Session", DataType.DtFloat, []);  // taken by GraphModel
        var r = Parse(g.Meta(), "m.meta");
        // Ordinal order: "Session" < "aB" < "a_b": aB keeps AB, a_b becomes AB__2 (a double underscore,
        // which no TF name maps to, so the suffix cannot collide with TF's own "_2").
        Assert.Equal("aB:0", Member(r, "AB").TfName);
        Assert.Equal("a_b:0", Member(r, "AB__2").TfName);
        Assert.Equal("Session:0", Member(r, "Session__2").TfName);
        var collisions = r.Diagnostics.Where(d => d.Id == "TG0003").ToList();
        Assert.Equal(2, collisions.Count);
        Assert.Contains(collisions, d => d.Arguments[1] == "a_b:0" && d.Arguments[3] == "AB__2");
    }

    [Fact]
    public void Names_ScopesKeywordsDigitsAndExtraOutputs()
    {
        var g = new TestGraphs()
            .Op("Placeholder", ("output", "dtype", DataType.DtInvalid, false))
            .Op("Identity", ("output", "T", DataType.DtInvalid, false));
        var split = new OpDef { Name = "Split" };
        split.OutputArg.Add(new OpDef.Types.ArgDef { Name = "output", TypeAttr = "T", NumberAttr = "num_split" });
        g.Placeholder("class", DataType.DtInt64, [-1, 3]);
        g.Node("conv1/weights", "Identity", ["class"], DataType.DtInt64);
        g.Node("1x1", "Identity", ["class"], DataType.DtInt64);
        var s = g.Node("split", "Split", ["class"], DataType.DtInt64, [[-1, 1], [-1, 1], [-1, 1]]);
        s.Attr["num_split"] = new AttrValue { I = 3 };
        var meta = g.Meta();
        meta.MetaInfoDef.StrippedOpList.Op.Add(split);
        var r = Parse(meta, "m.meta");
        Assert.Equal("conv1/weights:0", Member(r, "Conv1", "Weights").TfName);
        Assert.Equal(MemberKind.Scope, Member(r, "Conv1").Kind);
        Assert.Equal("1x1:0", Member(r, "_1x1").TfName);
        Assert.Equal("split:2", Member(r, "Split_Output2").TfName);
        Assert.Equal("long", Member(r, "Split_Output2").Type!.ElementType);
        var feed = Assert.Single(Member(r, "Conv1", "Weights").RequiredFeeds);
        Assert.Equal("@class", feed.ParameterName);
        Assert.Equal("[?, 3]", feed.Type.Shape.Display);
    }

    [Fact]
    public void Feeds_AreExactlyTheReachablePlaceholders_WithDefaultsOptional()
    {
        var g = new TestGraphs()
            .Op("Placeholder", ("output", "dtype", DataType.DtInvalid, false))
            .Op("PlaceholderWithDefault", ("output", "dtype", DataType.DtInvalid, false))
            .Op("Const", ("output", "dtype", DataType.DtInvalid, false))
            .Op("Mul", ("z", "T", DataType.DtInvalid, false))
            .Op("Merge", ("output", "T", DataType.DtInvalid, false))
            .Op("NextIteration", ("output", "T", DataType.DtInvalid, false));
        g.Placeholder("x", DataType.DtFloat, [-1, 2]);
        g.Placeholder("unused", DataType.DtFloat, []);
        g.Node("keep_default", "Const", [], DataType.DtFloat, [[]], "dtype");
        g.Placeholder("keep", DataType.DtFloat, [], "PlaceholderWithDefault", "keep_default");
        g.Node("y", "Mul", ["x", "keep"], DataType.DtFloat, [[-1, 2]]);
        // A cycle (as in a while loop): loop/merge ← loop/next ← loop/merge, fed by y.
        g.Node("loop/merge", "Merge", ["y", "loop/next"], DataType.DtFloat);
        g.Node("loop/next", "NextIteration", ["loop/merge"], DataType.DtFloat);
        var r = Parse(g.Meta(), "m.meta");
        var y = Member(r, "Y");
        Assert.Equal("x", Assert.Single(y.RequiredFeeds).ParameterName);
        var keep = Assert.Single(y.OptionalFeeds);
        Assert.Equal(("keep", true), (keep.ParameterName, keep.Optional));
        var next = Member(r, "Loop", "Next");
        Assert.Equal(["x"], next.RequiredFeeds.Select(f => f.ParameterName));
        Assert.Equal(["keep"], next.OptionalFeeds.Select(f => f.ParameterName));
        Assert.Empty(Member(r, "Unused").OptionalFeeds);
    }

    [Fact]
    public void SaverGradientsInitializersAndAssigns_AreHiddenByDefault()
    {
        var fixture = File.ReadAllBytes(Fixtures.Path("mnist_fc2", "fc2.ckpt.meta"));
        var r = Parser.Parse(fixture, "fc2.ckpt.meta", Options(), CancellationToken.None);
        var ids = r.Spec!.Members.Select(m => m.Identifier).ToList();
        Assert.DoesNotContain("Save", ids);
        Assert.DoesNotContain("Gradients", ids);
        Assert.Contains("H1", ids);
        var h1w = Member(r, "H1", "W");
        Assert.DoesNotContain(h1w.Children, c => c.Identifier is "Assign" or "Initializer");
        // The variable itself is the member (h1/w fetches its value); its snapshot h1/w/read is machinery too.
        Assert.DoesNotContain(h1w.Children, c => c.Identifier == "Read");
        Assert.True(h1w.Node!.IsVariable);
    }

    [Fact]
    public void NumberedSaverAndGradientScopesAreHidden_ButNotLookalikes()
    {
        var g = new TestGraphs().Op("Placeholder", ("output", "dtype", DataType.DtInvalid, false));
        foreach (var name in new[] { "save_1/Const", "gradients_12/x", "save_path/x", "gradients_of/x", "w/Assign", "w/Initializer/zeros", "w/AssignAdd" })
            g.Placeholder(name, DataType.DtFloat, []);
        var r = Parse(g.Meta(), "m.meta");
        Assert.Equal(["GradientsOf", "SavePath", "W"], r.Spec!.Members.Select(m => m.Identifier));
        Assert.Equal(["AssignAdd"], Member(r, "W").Children.Select(c => c.Identifier));
    }

    [Fact]
    public void IncludeAndExclude_Metadata_SelectMembers()
    {
        var fixture = File.ReadAllBytes(Fixtures.Path("mnist_fc2", "fc2.ckpt.meta"));
        var r = Parser.Parse(fixture, "fc2.ckpt.meta", Options(include: "input/*;output/*;save/*", exclude: "output/b*"), CancellationToken.None);
        Assert.Equal(["Input", "Output", "Save"], r.Spec!.Members.Select(m => m.Identifier));
        Assert.DoesNotContain(Member(r, "Output").Children, c => c.Identifier == "B");
        Assert.Contains(Member(r, "Output").Children, c => c.Identifier == "W");
    }

    [Fact]
    public void InvalidMetadata_IsTG0005()
    {
        var r = Parse(TestGraphs.Tutorial().Meta(), "m.meta", new GraphFileOptions("1Bad", "Demo", "internal", "", ""));
        Assert.Equal("TG0005", Assert.Single(r.Diagnostics).Id);
        r = Parse(TestGraphs.Tutorial().Meta(), "m.meta", new GraphFileOptions("Good", "Demo", "protected", "", ""));
        Assert.Equal("TG0005", Assert.Single(r.Diagnostics).Id);
    }

    [Fact]
    public void CorruptedBytes_NeverThrow()
    {
        var good = File.ReadAllBytes(Fixtures.Path("smove_mlp", "my_test_model-1000.meta"));
        var rng = new Random(1234);
        for (int i = 0; i < 300; i++)
        {
            var bytes = good.AsSpan(0, rng.Next(good.Length)).ToArray();
            for (int k = 0; k < 5 && bytes.Length > 0; k++) bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);
            var r = Parser.Parse(bytes, "fuzz.meta", Options(), CancellationToken.None);
            Assert.True(r.Spec != null || r.Diagnostics.Any(d => d.Id == "TG0001"),
                $"iteration {i}: no spec and no TG0001 ({string.Join(", ", r.Diagnostics.Select(d => d.Id))})");
            Assert.DoesNotContain(r.Diagnostics, d => d.Id == "TG0006");
        }
    }
}

/// <summary>Shapes for graphs exported without <c>_output_shapes</c>.</summary>
public class ShapeInferenceTests
{
    [Fact]
    public void WithoutOutputShapes_ElementwiseBroadcastAndMatMulShapesAreInferred()
    {
        var g = new TestGraphs()
            .Op("Placeholder", ("output", "dtype", DataType.DtInvalid, false))
            .Op("Identity", ("output", "T", DataType.DtInvalid, false))
            .Op("Mul", ("z", "T", DataType.DtInvalid, false))
            .Op("MatMul", ("product", "T", DataType.DtInvalid, false))
            .Op("Custom", ("y", "T", DataType.DtInvalid, false));
        g.Placeholder("s", DataType.DtFloat, []);
        g.Placeholder("x", DataType.DtFloat, [-1, 21]);
        g.Placeholder("w", DataType.DtFloat, [21, 1]);
        foreach (var n in g.GraphDef.Node) n.Attr.Remove("_output_shapes");
        g.Node("ss", "Mul", ["s", "s"], DataType.DtFloat);
        g.Node("xs", "Mul", ["x", "s"], DataType.DtFloat);
        g.Node("xw", "MatMul", ["x", "w"], DataType.DtFloat);
        g.Node("id", "Identity", ["xw"], DataType.DtFloat);
        g.Node("custom", "Custom", ["x"], DataType.DtFloat);
        var r = Parser.Parse(g.Meta().ToByteArray(), "m.meta", new GraphFileOptions("M", "D", "internal", "", ""), CancellationToken.None);
        string Shape(string id) => r.Spec!.Members.Single(m => m.Identifier == id).Type!.Shape.Display;
        Assert.Equal("[]", Shape("Ss"));
        Assert.Equal("[?, 21]", Shape("Xs"));
        Assert.Equal("[?, 1]", Shape("Xw"));
        Assert.Equal("[?, 1]", Shape("Id"));
        Assert.Equal("<unknown>", Shape("Custom"));
    }
}
