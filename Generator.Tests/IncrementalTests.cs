extern alias gen;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using TypedGraph.Generator.Tests.Support;
using StepNames = gen::TypedGraph.Generator.TypedGraphGenerator.StepNames;

namespace TypedGraph.Generator.Tests;

/// <summary>The pipeline caches: unrelated edits do not re-parse the graph; graph or metadata changes do.</summary>
public class IncrementalTests
{
    private static IncrementalStepRunReason ParseReason(GeneratorDriver driver)
        => driver.GetRunResult().Results.Single().TrackedSteps[StepNames.Parse].Single().Outputs.Single().Reason;

    private static IEnumerable<IncrementalStepRunReason> AllReasons(GeneratorDriver driver)
        => driver.GetRunResult().Results.Single().TrackedSteps.Values
            .SelectMany(steps => steps).SelectMany(s => s.Outputs).Select(o => o.Reason);

    private static (GeneratorDriver Driver, Compilation Compilation, FileAdditionalText Text) FirstRun()
    {
        var text = new FileAdditionalText(TestGraphs.Write(TestGraphs.Tutorial().Meta(), "my_test_model-1000.meta"));
        var compilation = GeneratorHarness.Compilation("namespace Demo; internal static class A { }");
        var driver = GeneratorHarness.Driver([text]).RunGenerators(compilation);
        Assert.Equal(IncrementalStepRunReason.New, ParseReason(driver));
        return (driver, compilation, text);
    }

    [Fact]
    public void SameInput_EveryTrackedStepIsCached()
    {
        var (driver, compilation, _) = FirstRun();
        driver = driver.RunGenerators(compilation.Clone());
        Assert.All(AllReasons(driver), r => Assert.Equal(IncrementalStepRunReason.Cached, r));
    }

    [Fact]
    public void UnrelatedCSharpEdit_DoesNotReparseTheGraph()
    {
        var (driver, compilation, _) = FirstRun();
        var edited = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace Demo; internal static class B { }", GeneratorHarness.ParseOptions));
        driver = driver.RunGenerators(edited);
        Assert.Equal(IncrementalStepRunReason.Cached, ParseReason(driver));
        Assert.All(AllReasons(driver), r => Assert.Equal(IncrementalStepRunReason.Cached, r));
    }

    [Fact]
    public void ChangedGraphFile_Regenerates()
    {
        var (driver, compilation, text) = FirstRun();
        var before = driver.GetRunResult().GeneratedTrees.Single().GetText().ToString();
        var g = TestGraphs.Tutorial();
        g.Placeholder("w3", Protos.DataType.DtFloat, []);
        File.WriteAllBytes(text.Path, Google.Protobuf.MessageExtensions.ToByteArray(g.Meta()));
        // The compiler hands the generator a new AdditionalText for a changed file.
        driver = driver.ReplaceAdditionalText(text, new FileAdditionalText(text.Path)).RunGenerators(compilation);
        Assert.Equal(IncrementalStepRunReason.Modified, ParseReason(driver));
        var after = driver.GetRunResult().GeneratedTrees.Single().GetText().ToString();
        Assert.NotEqual(before, after);
        Assert.Contains(" W3 => __W3 ??= new Signatures.Fetch", after);
    }

    [Fact]
    public void NewTextWithSameContent_ParsesAgainButEmitsNothingNew()
    {
        var (driver, compilation, text) = FirstRun();
        driver = driver.ReplaceAdditionalText(text, new FileAdditionalText(text.Path)).RunGenerators(compilation);
        // The file is re-read (it may have changed), but the result compares equal by content hash,
        // so everything downstream (the emit) stays cached.
        Assert.Equal(IncrementalStepRunReason.Unchanged, ParseReason(driver));
        var spec = driver.GetRunResult().Results.Single().TrackedSteps[StepNames.Spec].Single().Outputs.Single().Reason;
        Assert.Equal(IncrementalStepRunReason.Cached, spec);
    }

    [Fact]
    public void ChangedMetadata_ReparsesWithNewName()
    {
        var path = TestGraphs.Write(TestGraphs.Tutorial().Meta(), "my_test_model-1000.meta");
        var compilation = GeneratorHarness.Compilation("namespace Demo; internal static class A { }");
        var driver = GeneratorHarness.Driver([path]).RunGenerators(compilation);
        Assert.Contains("class MyTestModel1000", driver.GetRunResult().GeneratedTrees.Single().GetText().ToString());
        var meta = new Dictionary<string, IReadOnlyDictionary<string, string>> { [path] = new Dictionary<string, string> { ["ClassName"] = "Renamed" } };
        driver = driver.WithUpdatedAnalyzerConfigOptions(new TestOptionsProvider(meta)).RunGenerators(compilation);
        Assert.Equal(IncrementalStepRunReason.Modified, ParseReason(driver));
        Assert.Contains("class Renamed", driver.GetRunResult().GeneratedTrees.Single().GetText().ToString());
    }
}

/// <summary>Several graph files in one compilation.</summary>
public class MultipleFilesTests
{
    [Fact]
    public void SameClassInTwoNamespaces_Generates_TrueDuplicatesAreTG0007()
    {
        // One.Model once; Two.Model from two files → both reported, neither emitted.
        var a = TestGraphs.Write(TestGraphs.Tutorial().Meta(), "model.meta");
        var b = TestGraphs.Write(TestGraphs.Tutorial().Meta(), "model.meta");
        var c = TestGraphs.Write(TestGraphs.Tutorial().Meta(), "model.meta");
        var meta = new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            [a] = new Dictionary<string, string> { ["Namespace"] = "One" },
            [b] = new Dictionary<string, string> { ["Namespace"] = "Two" },
            [c] = new Dictionary<string, string> { ["Namespace"] = "Two" },
        };
        var driver = GeneratorHarness.Driver([a, b, c], meta).RunGeneratorsAndUpdateCompilation(
            GeneratorHarness.Compilation("namespace X; internal static class A { }"), out _, out var diagnostics);
        var result = driver.GetRunResult();
        Assert.True(result.GeneratedTrees.Length == 1, string.Join("\n", diagnostics));
        Assert.Equal(["One.Model.g.cs"], result.Results.Single().GeneratedSources.Select(s => s.HintName));
        Assert.Equal(["TG0007", "TG0007"], diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.Id));
    }
}
