using TypedGraph.Tests.Support;

namespace TypedGraph.Generator.Tests;

/// <summary>
/// The sample compiles against <c>sample/models/my_test_model-1000.meta</c>, which must be what our own
/// code writes (TutorialGraph.BuildRunAndSave, linked from sample/). Regenerated here and compared byte
/// for byte; after an intended change re-accept with <c>TYPEDGRAPH_ACCEPT=1</c>.
/// </summary>
public class SampleMetaTests
{
    [Fact]
    public void CommittedTutorialMeta_IsWhatOurCodeWrites()
    {
        var dir = Directory.CreateTempSubdirectory("typedgraph-sample-").FullName;
        try
        {
            var (result, prefix) = TypedGraph.Sample.TutorialGraph.BuildRunAndSave(dir);
            Assert.Equal(24f, result);
            Assert.Equal(Path.Combine(dir, "my_test_model-1000"), prefix);
            Assert.True(File.Exists(prefix + ".index") && File.Exists(Path.Combine(dir, "checkpoint")));
            var fresh = File.ReadAllBytes(prefix + ".meta");
            var committed = Path.Combine(Fixtures.RepoRoot, "sample", "models", "my_test_model-1000.meta");
            if (Environment.GetEnvironmentVariable("TYPEDGRAPH_ACCEPT") == "1") File.WriteAllBytes(committed, fresh);
            Assert.True(File.Exists(committed), "sample/models/my_test_model-1000.meta is missing; run with TYPEDGRAPH_ACCEPT=1.");
            Assert.True(fresh.AsSpan().SequenceEqual(File.ReadAllBytes(committed)),
                "sample/models/my_test_model-1000.meta drifted from what TutorialGraph writes; re-accept with TYPEDGRAPH_ACCEPT=1 if intended.");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
