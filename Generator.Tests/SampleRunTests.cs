using TypedGraph.Summaries;
using TypedGraph.Generator.Tests.Support;
using TypedGraph.Tests.Support;

namespace TypedGraph.Generator.Tests;

/// <summary>
/// The sample (generator as a ProjectReference with OutputItemType="Analyzer") builds and prints the
/// tutorial's values. Builds incrementally first, so it also works when only this test project was built.
/// </summary>
[Collection(DotNetCliCollection.Name)]
public class SampleRunTests
{
    [Fact]
    public void Sample_PrintsTutorialValues_AndSmovePredictions()
    {
        var (code, output) = DotNet.Run(Fixtures.RepoRoot, "build", "sample/sample.csproj", "-c", "Release");
        Assert.True(code == 0, output);
        (code, output) = DotNet.Run(Fixtures.RepoRoot, Path.Combine("sample", "bin", "Release", "net10.0", "sample.dll"));
        Assert.True(code == 0, output);
        var lines = output.Split('\n', StringSplitOptions.TrimEntries);
        Assert.Contains("(4 + 8) * 2 = 24", lines);
        Assert.Contains("(13 + 17) * bias = 60", lines);
        Assert.Contains("op_to_restore * 2 = 120", lines);
        var smove = Assert.Single(lines, l => l.StartsWith("smove_mlp O (first 4 predictions): ", StringComparison.Ordinal));
        var values = smove.Split(": ")[1].Split(", ").Select(v => float.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(4, values.Length);
        Assert.All(values, v => Assert.InRange(v, 0f, 1f)); // sigmoid outputs; exact values are checked in RunGeneratedFixtureTests
        Assert.Contains("smove_mlp sigmoid(MatMul) == O: True", lines); // IncludeNodes="@default;MatMul" reached the generator whole
    }

    /// <summary>
    /// Issue 14's must-show: <c>sample -- finetune</c> leaves TensorBoard event files next to its checkpoints. The
    /// events are read back with our reader (CRCs checked) and compared with what the sample printed.
    /// </summary>
    [Fact]
    public void Sample_Finetune_LeavesEventFilesNextToItsCheckpoints()
    {
        var (code, output) = DotNet.Run(Fixtures.RepoRoot, "build", "sample/sample.csproj", "-c", "Release");
        Assert.True(code == 0, output);
        var dir = Directory.CreateTempSubdirectory("tg-sample-finetune-").FullName;
        try
        {
            (code, output) = DotNet.Run(Fixtures.RepoRoot, Path.Combine("sample", "bin", "Release", "net10.0", "sample.dll"),
                "finetune", "--out", dir, "--epochs", "2");
            Assert.True(code == 0, output);
            Assert.True(File.Exists(Path.Combine(dir, "checkpoint")), output);
            foreach (var model in new[] { "fc2-finetuned", "cnn-finetuned" })
            {
                Assert.NotEmpty(Directory.GetFiles(dir, model + "-*.index"));
                // The export step (README "Deploy"; its outputs are checked against ONNX Runtime in Onnx.Tests SampleExportTests).
                Assert.True(File.Exists(Path.Combine(dir, model + ".onnx")), output);
                Assert.True(File.Exists(Path.Combine(dir, model + "-savedmodel", "1", "saved_model.pb")), output);
                Assert.Contains("reloaded by SavedModelBundle: predictions identical = True", output);
                var run = Path.Combine(dir, "events", model);
                var files = SummaryReader.EventFiles(run);
                Assert.NotEmpty(files);
                Assert.All(files, f => Assert.StartsWith("events.out.tfevents.", Path.GetFileName(f), StringComparison.Ordinal));
                Assert.Contains(SummaryReader.ReadEvents(files[0]), e => e.GraphDef.Length > 0); // add_graph: TensorBoard's graph tab
                var points = SummaryReader.ReadPoints(run).ToList();
                var losses = points.Where(p => p.Tag == "finetune/loss").ToList();
                Assert.True(losses.Count >= 2, $"{model}: {losses.Count} loss points");
                Assert.All(losses, p => Assert.True(p.Number is > 0 and < 100 && double.IsFinite(p.Number.Value), $"{model} loss {p.Number}"));
                Assert.True(losses.Zip(losses.Skip(1)).All(pair => pair.Second.Step > pair.First.Step), $"{model}: loss steps not increasing");
                var accuracy = points.Where(p => p.Tag == "finetune/test_accuracy").ToList();
                Assert.Equal(2, accuracy.Count); // one per epoch
                Assert.All(accuracy, p => Assert.InRange(p.Number!.Value, 0.0, 1.0));
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
