extern alias gen;
using Google.Protobuf;
using Microsoft.CodeAnalysis;
using TypedGraph.Generator.Tests.Support;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using Emitter = gen::TypedGraph.Generator.TypedGraphGenerator.Emitter;
using GraphFileOptions = gen::TypedGraph.Generator.Model.GraphFileOptions;
using MemberKind = gen::TypedGraph.Generator.Model.MemberKind;
using MemberSpec = gen::TypedGraph.Generator.Model.MemberSpec;
using DefaultMembers = gen::TypedGraph.Generator.Parsing.DefaultMembers;
using Naming = gen::TypedGraph.Generator.Parsing.Naming;
using ParseResult = gen::TypedGraph.Generator.Model.ParseResult;
using Parser = gen::TypedGraph.Generator.TypedGraphGenerator.Parser;

namespace TypedGraph.Generator.Tests;

/// <summary>What a training script's graph generates by default, at real-world scale, and how names are derived.</summary>
public class DefaultMembersTests
{
    private static ParseResult Parse(byte[] bytes, string include = "", string exclude = "")
        => Parser.Parse(bytes, "/models/train.meta", new GraphFileOptions("Train", "Demo", "public", include, exclude), CancellationToken.None);

    private static IEnumerable<MemberSpec> All(IEnumerable<MemberSpec> members)
        => members.SelectMany(m => new[] { m }.Concat(All(m.Children)));

    private static List<string> Names(ParseResult r) => All(r.Spec!.Members).Where(m => m.Node != null).Select(m => m.Node!.Name).ToList();

    private static readonly Lazy<byte[]> s_training = new(() => TypedGraph.Benchmarks.TrainingGraph.Build(210).ToByteArray());

    [Fact]
    public void TrainingGraph_ShowsInputsVariablesLossTrainOpAndEndPoints_NotTheMachinery()
    {
        var bytes = TypedGraph.Benchmarks.TrainingGraph.Build(3).ToByteArray();
        var meta = MetaGraphDef.Parser.ParseFrom(bytes);
        var names = Names(Parse(bytes));
        // Everything a user types:
        Assert.Contains("input/x", names);
        Assert.Contains("labels", names);
        foreach (var l in new[] { "layer0", "layer1", "layer2", "output" })
        {
            Assert.Contains(l + "/w", names);
            Assert.Contains(l + "/b", names);
        }
        Assert.Contains("global_step", names);
        Assert.Contains("loss", names);              // user-named (also consumed only by gradients)
        Assert.Contains("Adam", names);              // the train op: an end point
        Assert.Contains("init", names);
        Assert.Contains("Mean_1", names);            // the accuracies added per epoch are end points
        // None of the machinery, though every one of these scopes exists in the graph:
        var all = meta.GraphDef.Node.Select(n => n.Name).ToList();
        foreach (var prefix in new[] { "gradients/", "save/", "Adam/", "layer0/w/Adam", "layer0/truncated_normal/", "layer0/zeros", "beta1_power" })
        {
            Assert.Contains(all, n => n.StartsWith(prefix, StringComparison.Ordinal));
            Assert.DoesNotContain(names, n => n.StartsWith(prefix, StringComparison.Ordinal));
        }
        Assert.DoesNotContain(names, n => n.EndsWith("/Assign", StringComparison.Ordinal) || n.EndsWith("/read", StringComparison.Ordinal));
        // Auto-named inner nodes that something else consumes are not members (reachable with Tensor<T>(name)).
        Assert.DoesNotContain("layer0/MatMul", names);
        Assert.DoesNotContain("layer0/Relu", names);
    }

    [Fact]
    public void TwelveThousandNodeTrainingGraph_GeneratesUnder300KB_WithFewMembers()
    {
        var bytes = s_training.Value;
        var meta = MetaGraphDef.Parser.ParseFrom(bytes);
        Assert.InRange(meta.GraphDef.Node.Count, 11_500, 13_000);
        var r = Parse(bytes);
        Assert.DoesNotContain(r.Diagnostics, d => d.Id is "TG0001" or "TG0006");
        int members = All(r.Spec!.Members).Count(m => m.Kind != MemberKind.Scope);
        // 2 placeholders, 2 variables per layer (211 layers), global_step, loss, train op, init, 20 accuracies and
        // the SoftmaxCrossEntropyWithLogits backprop output that only gradients consume.
        Assert.InRange(members, 2 * 211 + 2, 2 * 211 + 40);
        var source = Emitter.Emit(r.Spec);
        Assert.True(source.Length <= 300_000, $"generated source is {source.Length:N0} chars");
        Assert.DoesNotContain("u8;", source); // no embedded base64
        Assert.Contains("public const string ResourceName = \"TypedGraph.Graph." + EmbeddedGraphs.ResourceName(bytes)[17..] + "\";", source);
    }

    public static TheoryData<string> FixtureGraphs() => CompileTests.FixtureGraphs();

    [Theory]
    [MemberData(nameof(FixtureGraphs))]
    public void EveryFixtureGraph_GeneratesSmallSource_WithFewMembers(string relativePath)
    {
        var bytes = File.ReadAllBytes(Path.Combine(Fixtures.Root, relativePath));
        var r = Parser.Parse(bytes, Path.Combine(Fixtures.Root, relativePath), new GraphFileOptions("M", "Demo", "public", "", ""), CancellationToken.None);
        var nodes = MetaNodeCount(r);
        int members = All(r.Spec!.Members).Count(m => m.Kind != MemberKind.Scope);
        var source = Emitter.Emit(r.Spec);
        // Budget: half of what the issue allows a 12k-node training graph (300 KB), and members are what a user
        // types: at most a quarter of the nodes (or 100), never more than 600 (IntelliSense stays usable).
        var sample = string.Join(", ", All(r.Spec.Members).Where(m => m.Node != null).Select(m => m.Node!.Name + "(" + m.Node.OpType + ")").Take(60));
        Assert.True(source.Length <= 150_000, $"{relativePath}: {source.Length:N0} chars of source for a {bytes.Length:N0}-byte graph; {members} members: {sample}");
        Assert.True(members <= Math.Max(100, nodes / 4) && members <= 600, $"{relativePath}: {members} members for {nodes} nodes: {sample}");
    }

    private static int MetaNodeCount(ParseResult r) => r.Spec!.NodeCount;

    [Theory]
    [InlineData("a/*|b")]
    [InlineData("a/*,b")]
    [InlineData("a/*;b")]
    [InlineData(" a/* | b ")]
    public void IncludeLists_AcceptPipeCommaAndSemicolon(string include)
    {
        var g = new TestGraphs().Op("Placeholder", ("output", "dtype", DataType.DtInvalid, false));
        foreach (var name in new[] { "a/x", "a/y", "b", "c" }) g.Placeholder(name, DataType.DtFloat, []);
        var r = Parser.Parse(g.Meta().ToByteArray(), "/m/g.meta", new GraphFileOptions("G", "D", "public", include, ""), CancellationToken.None);
        Assert.Equal(["a/x", "a/y", "b"], Names(r).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void DefaultToken_AddsTheDefaultSelectionToAnIncludeList()
    {
        var bytes = TypedGraph.Benchmarks.TrainingGraph.Build(2).ToByteArray();
        var plain = Names(Parse(bytes));
        var more = Names(Parse(bytes, include: "@default|gradients/loss_grad/*"));
        var only = Names(Parse(bytes, include: "gradients/loss_grad/*"));
        Assert.NotEmpty(only);
        Assert.All(only, n => Assert.StartsWith("gradients/loss_grad/", n));
        Assert.Equal(plain.Concat(only).Order(StringComparer.Ordinal), more.Order(StringComparer.Ordinal));
        // ExcludeNodes applies on top of the default selection.
        Assert.DoesNotContain("layer0/w", Names(Parse(bytes, exclude: "layer0/*")));
    }

    [Theory]
    [InlineData("MatMul_2", "MatMul_2")]
    [InlineData("Variable_1", "Variable_1")]
    [InlineData("op_to_restore", "OpToRestore")]
    [InlineData("conv2d_1", "Conv2d_1")]
    [InlineData("layer_2_out", "Layer_2Out")]
    [InlineData("1x1", "_1x1")]
    [InlineData("y_", "Y_")]
    [InlineData("add", "Add")]
    public void Names_KeepTfNumberSuffixes(string tf, string expected) => Assert.Equal(expected, Naming.Pascal(tf));

    [Fact]
    public void CaseOnlyCollision_FirstInOrdinalOrderKeepsTheName_OthersGetDoubleUnderscoreSuffix()
    {
        // TF's "Add" (tf.add) and "add" (the + operator) both map to Add; "Add_2" must stay Add_2.
        var g = new TestGraphs().Op("Placeholder", ("output", "dtype", DataType.DtInvalid, false));
        foreach (var name in new[] { "add", "Add", "Add_2", "add_2" }) g.Placeholder(name, DataType.DtFloat, []);
        var r = Parser.Parse(g.Meta().ToByteArray(), "/m/g.meta", new GraphFileOptions("G", "D", "public", "", ""), CancellationToken.None);
        var byName = All(r.Spec!.Members).ToDictionary(m => m.Node!.Name, m => m.Identifier);
        Assert.Equal("Add", byName["Add"]);
        Assert.Equal("Add__2", byName["add"]);
        Assert.Equal("Add_2", byName["Add_2"]);
        Assert.Equal("Add_2__2", byName["add_2"]);
        Assert.Equal(2, r.Diagnostics.Count(d => d.Id == "TG0003"));
    }

    [Theory]
    [InlineData("gradients/MatMul_grad/MatMul", true)]
    [InlineData("training/gradients_3/Mean_grad/Tile", true)]   // any depth, TF's uniquified gradients_N
    [InlineData("init_and_save/save/Const", true)]              // a Saver under a scope
    [InlineData("save_12/restore_all", true)]
    [InlineData("layer0/w/Initializer/random_normal", true)]    // Initializer below the first segment
    [InlineData("layer0/w/Assign", true)]
    [InlineData("layer0/w/read", true)]
    [InlineData("gradients", false)]                            // the last segment is the node itself
    [InlineData("gradients_x/y", false)]                        // not gradients_<digits>
    [InlineData("gradients_/y", false)]
    [InlineData("saver/x", false)]
    [InlineData("Initializer/x", false)]                        // first segment: a user scope named so
    [InlineData("Assign", false)]
    [InlineData("w/Assignment", false)]
    [InlineData("w/reader", false)]
    [InlineData("a//save/b", true)]                             // empty segments do not confuse the scan
    public void MachineryNames_MatchSegmentBySegment(string name, bool machinery)
    {
        // Reference: the rule written with Split, as the docs state it.
        var parts = name.Split('/');
        static bool Numbered(string seg, string word) => seg == word
            || (seg.StartsWith(word + "_", StringComparison.Ordinal) && seg.Length > word.Length + 1 && seg[(word.Length + 1)..].All(char.IsAsciiDigit));
        bool reference = parts.Length >= 2
            && (parts[..^1].Any(p => Numbered(p, "save") || Numbered(p, "gradients")) || parts[^1] is "Assign" or "read" || parts[1..^1].Contains("Initializer"));
        Assert.Equal(machinery, reference);
        Assert.Equal(machinery, DefaultMembers.IsMachineryName(name));
    }
}
