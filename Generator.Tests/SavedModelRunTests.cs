using Google.Protobuf;
using TypedGraph.Generator.Tests.Support;
using TypedGraph.Protos;

namespace TypedGraph.Generator.Tests;

/// <summary>A class generated from a SavedModel's <c>saved_model.pb</c> restores from the SavedModel folder.</summary>
public class SavedModelRunTests
{
    [Fact]
    public void GeneratedFromSavedModel_RestoresFromTheFolder()
    {
        var work = Directory.CreateTempSubdirectory("typedgraph-savedmodel-").FullName;
        try
        {
            // A SavedModel laid out as TF writes it: saved_model.pb + variables/variables.{index,data-…}.
            var (_, prefix) = TypedGraph.Sample.TutorialGraph.BuildRunAndSave(Path.Combine(work, "ckpt"));
            var dir = Path.Combine(work, "tutorial_saved");
            Directory.CreateDirectory(Path.Combine(dir, "variables"));
            File.Copy(prefix + ".index", Path.Combine(dir, "variables", "variables.index"));
            File.Copy(prefix + ".data-00000-of-00001", Path.Combine(dir, "variables", "variables.data-00000-of-00001"));
            var meta = MetaGraphDef.Parser.ParseFrom(File.ReadAllBytes(prefix + ".meta"));
            meta.MetaInfoDef ??= new MetaGraphDef.Types.MetaInfoDef();
            meta.MetaInfoDef.Tags.Add("serve");
            File.WriteAllBytes(Path.Combine(dir, "saved_model.pb"), new SavedModel { SavedModelSchemaVersion = 1, MetaGraphs = { meta } }.ToByteArray());

            var probe = """
                namespace Demo;
                public static class Probe
                {
                    public static float Run(string dir) { using var m = TutorialSaved.Restore(dir); return m.OpToRestore.Run(w1: 13f, w2: 17f); }
                }
                """;
            // No ClassName: a saved_model.pb is named after its folder (tutorial_saved → TutorialSaved).
            var run = GeneratorHarness.Generate(Path.Combine(dir, "saved_model.pb"),
                new Dictionary<string, string> { ["Namespace"] = "Demo", ["Visibility"] = "public" }, probe);
            Assert.Empty(run.Problems);
            Assert.Contains("(SavedModel", run.Source);
            var asm = InMemoryAssembly.Load(run.Output);
            Assert.Equal(60f, (float)InMemoryAssembly.Call(asm, "Demo.Probe", "Run", dir)!);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
