using Google.Protobuf;
using TypedGraph.Formats;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;

namespace TypedGraph.Tests.Formats;

/// <summary>SavedModel directories built from a fixture's meta graph: tag-set selection and the variables prefix.</summary>
public class SavedModelTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-savedmodel").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Build(params string[][] tagSets)
    {
        var meta = MetaGraphDef.Parser.ParseFrom(File.ReadAllBytes(Fixtures.Path("smove_mlp", "my_test_model-1000.meta")));
        var model = new SavedModel { SavedModelSchemaVersion = 1 };
        foreach (var tags in tagSets)
        {
            var m = meta.Clone();
            m.MetaInfoDef.Tags.Add(tags);
            m.MetaInfoDef.MetaGraphVersion = string.Join("+", tags);
            model.MetaGraphs.Add(m);
        }
        File.WriteAllBytes(Path.Combine(_dir, "saved_model.pb"), model.ToByteArray());
        return _dir;
    }

    [Fact]
    public void SingleMetaGraph_IsPickedWithoutTags()
    {
        var dir = Build(["serve"]);
        var m = MetaGraph.Load(dir);
        Assert.Equal(GraphFileKind.SavedModel, m.Kind);
        Assert.Equal(Path.Combine(dir, "variables", "variables"), m.VariablesPrefix);
        Assert.Equal(109, m.Graph.Nodes.Count);
        Assert.Equal("1.4.1", m.TensorFlowVersion);
    }

    [Fact]
    public void TagSets_SelectTheMetaGraph_InAnyOrder()
    {
        var dir = Build(["train"], ["serve"], ["serve", "gpu"]);
        Assert.Equal("serve", MetaGraph.Load(dir).Proto.MetaInfoDef.MetaGraphVersion);
        Assert.Equal("train", MetaGraph.Load(dir, ["train"]).Proto.MetaInfoDef.MetaGraphVersion);
        Assert.Equal("serve+gpu", MetaGraph.Load(Path.Combine(dir, "saved_model.pb"), ["gpu", "serve"]).Proto.MetaInfoDef.MetaGraphVersion);
    }

    [Fact]
    public void UnknownTagSet_ListsTheAvailableOnes()
    {
        var dir = Build(["train"], ["serve", "gpu"]);
        var e = Assert.Throws<GraphFormatException>(() => MetaGraph.Load(dir, ["tpu"]));
        Assert.Contains("[tpu]", e.Message);
        Assert.Contains("available tag sets: [train]; [serve, gpu]", e.Message);
        // Without tags and without a plain 'serve' meta graph there is no obvious choice either.
        Assert.Contains("available tag sets", Assert.Throws<GraphFormatException>(() => MetaGraph.Load(dir)).Message);
    }

    [Fact]
    public void SavedModelVariables_AreReadThroughTheVariablesPrefix()
    {
        var dir = Build(["serve"]);
        var m = MetaGraph.Load(dir);
        using (var r = CheckpointReader.Open(Fixtures.Path("smove_mlp", "my_test_model-1000")))
        using (var w = new CheckpointWriter(m.VariablesPrefix!))
        {
            w.Add("W", r.Read("W"));
            w.Finish();
        }
        using var back = CheckpointReader.Open(m.VariablesPrefix!);
        Assert.Equal(new long[] { 21, 1 }, back.GetEntry("W").Shape);
    }
}
