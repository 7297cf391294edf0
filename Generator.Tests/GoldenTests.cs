using TypedGraph.Generator.Tests.Support;
using TypedGraph.Tests.Support;

namespace TypedGraph.Generator.Tests;

/// <summary>Snapshots of the generated source (see <see cref="Golden"/> for re-accepting).</summary>
public class GoldenTests
{
    private static readonly Dictionary<string, string> Demo = new() { ["ClassName"] = "TutorialModel", ["Namespace"] = "Demo" };

    [Fact]
    public void TutorialModel_MatchesGolden()
    {
        var path = TestGraphs.Write(TestGraphs.Tutorial().Meta(), "my_test_model-1000.meta");
        var run = GeneratorHarness.Generate(path, Demo);
        Assert.Empty(run.Problems);
        Golden.Verify("TutorialModel.g.cs", run.Source);
    }

    [Fact]
    public void SampleTutorialMeta_MatchesGolden()
    {
        // The .meta our own Saver wrote (no _output_shapes: shapes come from attrs and inference).
        var run = GeneratorHarness.Generate(Path.Combine(Fixtures.RepoRoot, "sample", "models", "my_test_model-1000.meta"), Demo);
        Assert.Empty(run.Problems);
        Assert.Contains("public float Run(float w1, float w2)", run.Source);
        Golden.Verify("SampleTutorialModel.g.cs", run.Source);
    }

    [Fact]
    public void MnistCnnFixture_MatchesGolden()
    {
        var run = GeneratorHarness.Generate(Fixtures.Path("mnist_cnn_meta", "cnn.ckpt.meta"),
            new Dictionary<string, string> { ["ClassName"] = "MnistCnn", ["Namespace"] = "Demo" });
        Assert.DoesNotContain(run.CompileDiagnostics, d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error);
        Golden.Verify("MnistCnn.g.cs", run.Source);
    }

    [Fact]
    public void SameInput_GivesByteIdenticalOutput()
    {
        var path = TestGraphs.Write(TestGraphs.Tutorial().Meta(), "my_test_model-1000.meta");
        var a = GeneratorHarness.Generate(path, Demo).Source;
        var b = GeneratorHarness.Generate(path, Demo).Source;
        Assert.Equal(a, b);
    }
}
