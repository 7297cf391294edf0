using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using TypedGraph.Generator.Tests.Support;
using TypedGraph.Tests.Support;

namespace TypedGraph.Generator.Tests;

/// <summary>The generated code compiles cleanly, and misuse of it does not compile.</summary>
public class CompileTests
{
    private static readonly Dictionary<string, string> Demo = new() { ["ClassName"] = "TutorialModel", ["Namespace"] = "Demo" };

    private static GeneratorHarness.Run Tutorial(string body)
    {
        var path = TestGraphs.Write(TestGraphs.Tutorial().Meta(), "my_test_model-1000.meta");
        var user = "using TypedGraph.Typed;\nnamespace Demo;\ninternal static class Use\n{\n" + body + "\n}\n";
        return GeneratorHarness.Generate(path, Demo, user);
    }

    [Fact]
    public void CorrectUse_CompilesWithoutDiagnostics()
    {
        var run = Tutorial("""
            public static float Typed(TutorialModel m) => m.OpToRestore.Run(w1: 13f, w2: 17f);
            public static float IntLiteralsWiden(TutorialModel m) => m.OpToRestore.Run(13, 17);
            public static TensorValue<float> TfStyle(TutorialModel m) => m.Session.Run(m.OpToRestore, m.W1.Feed(13f), m.W2.Feed(17f));
            public static float Variable(TutorialModel m) => m.Bias.Run();
            public static void Init(TutorialModel m) => m.Init.Run();
            public static TutorialModel Open() => TutorialModel.Restore("models/");
            """);
        Assert.Empty(run.Problems);
    }

    [Fact]
    public void MissingFeed_IsACompileError()
    {
        var run = Tutorial("public static float F(TutorialModel m) => m.OpToRestore.Run(w1: 13f);");
        var error = Assert.Single(run.CompileDiagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal("CS7036", error.Id); // no argument for required parameter 'w2'
        Assert.Contains("w2", error.GetMessage());
    }

    [Fact]
    public void WrongElementType_IsACompileError()
    {
        var run = Tutorial("public static float F(TutorialModel m) => m.OpToRestore.Run(w1: 13.0, w2: 17f);");
        var error = Assert.Single(run.CompileDiagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal("CS1503", error.Id); // cannot convert from 'double' to 'float'
    }

    [Fact]
    public void WrongArrayElementType_IsACompileError()
    {
        var run = GeneratorHarness.Generate(Fixtures.Path("smove_mlp", "my_test_model-1000.meta"),
            new Dictionary<string, string> { ["ClassName"] = "Smove", ["Namespace"] = "Demo" },
            "namespace Demo; internal static class Use { public static object F(Smove m) => m.O.Run(x: new int[] { 1, 2 }); }");
        var error = Assert.Single(run.CompileDiagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal("CS1503", error.Id);
    }

    [Fact]
    public void FetchNeedsOnlyItsOwnPlaceholders()
    {
        // O = sigmoid(X·W) needs X but not the label placeholder 'Placeholder' used by the loss.
        var run = GeneratorHarness.Generate(Fixtures.Path("smove_mlp", "my_test_model-1000.meta"),
            new Dictionary<string, string> { ["ClassName"] = "Smove", ["Namespace"] = "Demo" },
            """
            using TypedGraph.Typed;
            namespace Demo;
            internal static class Use
            {
                public static TensorValue<float> F(Smove m) => m.O.Run(x: TensorValue<float>.Create(new float[21], 1, 21));
            }
            """);
        Assert.Empty(run.Problems);
    }

    [Fact]
    public void NamesThatShadowGeneratedCode_StillCompile()
    {
        var g = new TestGraphs()
            .Op("Placeholder", ("output", "dtype", Protos.DataType.DtInvalid, false))
            .Op("Identity", ("output", "T", Protos.DataType.DtInvalid, false));
        g.Placeholder("feeds", Protos.DataType.DtFloat, []);
        foreach (var name in new[] { "members", "conv1/members", "conv1/model", "conv1/run", "conv1/conv1", "session", "global", "TutorialModel", "x/Members/y" })
            g.Node(name, "Identity", ["feeds"], Protos.DataType.DtFloat, [[]]);
        var path = TestGraphs.Write(g.Meta(), "names.meta");
        var run = GeneratorHarness.Generate(path, Demo,
            "namespace Demo; internal static class Use { public static float F(TutorialModel m) => m.Conv1.Run__2.Run(feeds: 1f) + m.Members__2.Run(1f); }");
        Assert.Empty(run.Problems);
    }

    public static TheoryData<string> FixtureGraphs()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Fixtures.Root, "*.meta", SearchOption.AllDirectories)
                     .Concat(Directory.GetFiles(Fixtures.Root, "*.pb", SearchOption.AllDirectories))
                     .Order(StringComparer.Ordinal))
            data.Add(Path.GetRelativePath(Fixtures.Root, f));
        return data;
    }

    [Theory]
    [MemberData(nameof(FixtureGraphs))]
    public void EveryFixtureGraph_BuildsWithNoWarningsButUnsupportedOps(string relativePath)
    {
        var path = Path.Combine(Fixtures.Root, relativePath);
        var run = GeneratorHarness.Generate(path, new Dictionary<string, string> { ["Visibility"] = "public" });
        // Documentation mode on: every public generated member must carry well-formed XML docs.
        var withDocs = run.Output.SyntaxTrees.Select(t => t.WithRootAndOptions(t.GetRoot(),
            GeneratorHarness.ParseOptions.WithDocumentationMode(DocumentationMode.Diagnose)));
        var compilation = ((CSharpCompilation)run.Output).RemoveAllSyntaxTrees().AddSyntaxTrees(withDocs);
        var problems = compilation.GetDiagnostics().Concat(run.GeneratorDiagnostics)
            .Where(d => d.Severity >= DiagnosticSeverity.Warning && d.Id != "TG0002").ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems.Take(10)));
        Assert.Single(run.Result.GeneratedTrees);
    }
}
