extern alias gen;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Microsoft.CodeAnalysis;
using TypedGraph.Generator.Tests.Support;
using TypedGraph.Tests.Support;
using DiagnosticDescriptors = gen::TypedGraph.Generator.DiagnosticDescriptors;

namespace TypedGraph.Generator.Tests;

/// <summary>Misuse found by review becomes a TG diagnostic with a docs link and the graph file as location.</summary>
public class DiagnosticsTests
{
    private static (GeneratorDriverRunResult Result, IReadOnlyList<Diagnostic> Diagnostics) Run(
        Dictionary<string, IReadOnlyDictionary<string, string>> files, IReadOnlyDictionary<string, string>? global = null)
    {
        var driver = GeneratorHarness.Driver(files.Keys, files, global)
            .RunGeneratorsAndUpdateCompilation(GeneratorHarness.Compilation("namespace X; internal static class A { }"), out var output, out var diagnostics);
        return (driver.GetRunResult(), diagnostics.Concat(output.GetDiagnostics()).ToList());
    }

    private static string Tutorial() => TestGraphs.Write(TestGraphs.Tutorial().Meta(), "model.meta");

    [Fact]
    public void ClassNamesDifferingOnlyInCase_AreTG0007_NotACompilerCrash()
    {
        var a = Tutorial();
        var b = Tutorial();
        var (result, diagnostics) = Run(new()
        {
            [a] = new Dictionary<string, string> { ["ClassName"] = "Model", ["Namespace"] = "Demo" },
            [b] = new Dictionary<string, string> { ["ClassName"] = "model", ["Namespace"] = "Demo" },
        });
        Assert.Null(result.Results.Single().Exception);
        Assert.DoesNotContain(diagnostics, d => d.Id == "CS8785");
        var dup = diagnostics.Where(d => d.Id == "TG0007").ToList();
        Assert.Equal(2, dup.Count);
        Assert.Equal(new[] { a, b }.Order(StringComparer.Ordinal), dup.Select(d => d.Location.GetLineSpan().Path).Order(StringComparer.Ordinal));
        Assert.Empty(result.GeneratedTrees);
    }

    [Theory]
    [InlineData("Scopes")]
    [InlineData("Signatures")]
    [InlineData("class")]
    [InlineData("record")]
    public void ClassNamesTheGeneratedCodeCannotUse_AreTG0005(string className)
    {
        var path = Tutorial();
        var (result, diagnostics) = Run(new() { [path] = new Dictionary<string, string> { ["ClassName"] = className } });
        var d = Assert.Single(diagnostics, x => x.Severity == DiagnosticSeverity.Error);
        Assert.Equal("TG0005", d.Id);
        Assert.Contains(className, d.GetMessage());
        Assert.Empty(result.GeneratedTrees);
    }

    [Fact]
    public void ClassNamedMembers_Compiles()
    {
        var run = GeneratorHarness.Generate(Tutorial(), new Dictionary<string, string> { ["ClassName"] = "Members", ["Namespace"] = "Demo" },
            "namespace Demo; static class U { static float F(Members m) => m.OpToRestore.Run(1f, 2f); }");
        Assert.Empty(run.Problems);
    }

    [Fact]
    public void AProtobufThatIsNotAGraph_IsTG0001_NamingWhy_AndTypedGraphFalseSkipsIt()
    {
        // A FileDescriptorSet parses as a GraphDef (repeated field 1), with file names as node names.
        var set = new FileDescriptorSet();
        set.File.Add(FileDescriptorProto.Parser.ParseFrom(Google.Protobuf.WellKnownTypes.TimestampReflection.Descriptor.SerializedData));
        set.File.Add(FileDescriptorProto.Parser.ParseFrom(Google.Protobuf.WellKnownTypes.DurationReflection.Descriptor.SerializedData));
        var path = TestGraphs.Write(set, "descriptors.pb");
        var (result, diagnostics) = Run(new() { [path] = new Dictionary<string, string>() });
        var d = Assert.Single(diagnostics, x => x.Severity == DiagnosticSeverity.Error);
        Assert.Equal("TG0001", d.Id);
        Assert.Contains("not a TensorFlow", d.GetMessage());
        Assert.Contains("TypedGraph=\"false\"", d.GetMessage());
        Assert.Equal(path, d.Location.GetLineSpan().Path);
        Assert.Empty(result.GeneratedTrees);

        (result, diagnostics) = Run(new() { [path] = new Dictionary<string, string> { ["TypedGraph"] = "false" } });
        Assert.Empty(diagnostics);
        Assert.Empty(result.GeneratedTrees);
    }

    [Fact]
    public void WithoutTheProps_TheClassIsGeneratedAndTG0008SaysTheGraphIsNotEmbedded()
    {
        var path = Tutorial();
        var (result, diagnostics) = Run(new() { [path] = new Dictionary<string, string> { ["Namespace"] = "Demo" } }, global: new Dictionary<string, string>());
        var d = Assert.Single(diagnostics, x => x.Id == "TG0008");
        Assert.Equal(DiagnosticSeverity.Warning, d.Severity);
        Assert.Equal(path, d.Location.GetLineSpan().Path);
        // The fix it suggests names the props file as the package ships it and as a project reference imports it.
        Assert.Contains("TypedGraph.Runtime.props", d.GetMessage());
        Assert.Contains("Generator/build/TypedGraph.props", d.GetMessage());
        Assert.Single(result.GeneratedTrees);
    }

    [Fact]
    public void EveryDiagnostic_LinksToItsSectionOfTheDocsPage()
    {
        var docs = File.ReadAllText(Path.Combine(Fixtures.RepoRoot, "docs", "generator-diagnostics.md"));
        for (int i = 1; i <= 8; i++)
        {
            var id = $"TG{i:D4}";
            var descriptor = DiagnosticDescriptors.ById(id);
            Assert.Equal(DiagnosticDescriptors.HelpBase + id.ToLowerInvariant(), descriptor.HelpLinkUri);
            Assert.StartsWith("https://", descriptor.HelpLinkUri);
            Assert.Contains($"## {id}", docs);
        }
        Assert.EndsWith("docs/generator-diagnostics.md#", DiagnosticDescriptors.HelpBase);
    }
}
