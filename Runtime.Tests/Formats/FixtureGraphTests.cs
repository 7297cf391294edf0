using System.Globalization;
using TypedGraph.Formats;
using TypedGraph.Tests.Support;

namespace TypedGraph.Tests.Formats;

/// <summary>Every fixture's .meta against its SOURCE.md "Graph" block, plus the frozen .pb.</summary>
public class FixtureGraphTests
{
    public static TheoryData<string> MetaFolders()
    {
        var data = new TheoryData<string>();
        foreach (var f in Fixtures.Folders)
            if (FixtureSource.Load(f).NodeCount != null) data.Add(Path.GetFileName(f));
        return data;
    }

    [Fact]
    public void EveryFixtureFolder_HasAGraphBlock() => Assert.Equal(Fixtures.Folders.Count(), MetaFolders().Count);

    [Theory]
    [MemberData(nameof(MetaFolders))]
    public void Meta_MatchesSourceMd(string folder)
    {
        var src = FixtureSource.Load(Fixtures.Path(folder));
        var meta = MetaGraph.Load(src.MetaPath!);
        Assert.Equal(src.IsSavedModel ? GraphFileKind.SavedModel : GraphFileKind.MetaGraph, meta.Kind);
        if (src.IsSavedModel) Assert.Equal(["serve"], meta.Proto.MetaInfoDef.Tags); // SOURCE.md describes the serve meta graph
        var s = GraphSummary.Create(meta);
        Assert.Equal(src.TensorFlowVersion, s.TensorFlowVersion);
        Assert.Equal(src.NodeCount, s.NodeCount);
        Assert.Equal(src.OpCounts.OrderBy(k => k.Key, StringComparer.Ordinal), s.OpCounts.OrderBy(k => k.Key, StringComparer.Ordinal));
        Assert.Equal(src.Placeholders, s.Placeholders.Select(p => (p.Name, p.DType, p.ShapeText)));
        Assert.Equal(src.Variables, s.Variables.Select(p => (p.Name, p.DType, p.ShapeText)));
        var sd = s.SaverDef!;
        Assert.Equal(src.SaverDef["filename_tensor_name"], sd.FilenameTensorName);
        Assert.Equal(src.SaverDef["save_tensor_name"], sd.SaveTensorName);
        Assert.Equal(src.SaverDef["restore_op_name"], sd.RestoreOpName);
        Assert.Equal(int.Parse(src.SaverDef["max_to_keep"], CultureInfo.InvariantCulture), sd.MaxToKeep);
        Assert.Equal(float.Parse(src.SaverDef["keep_checkpoint_every_n_hours"], CultureInfo.InvariantCulture), sd.KeepCheckpointEveryNHours);
        Assert.Equal(int.Parse(src.SaverDef["version"], CultureInfo.InvariantCulture), (int)sd.Version);
    }

    [Theory]
    [MemberData(nameof(MetaFolders))]
    public void Meta_ReserializesToTheSameBytes(string folder)
    {
        var src = FixtureSource.Load(Fixtures.Path(folder));
        var path = src.MetaPath!;
        var meta = MetaGraph.Load(path);
        if (src.IsSavedModel)
        {
            // The chosen meta graph is one of the file's, and the whole SavedModel re-serializes to the file.
            Assert.Contains(meta.Proto, meta.SavedModelProto!.MetaGraphs);
            Assert.Equal(File.ReadAllBytes(path), Google.Protobuf.MessageExtensions.ToByteArray(meta.SavedModelProto));
        }
        else
        {
            Assert.Null(meta.SavedModelProto);
            Assert.Equal(File.ReadAllBytes(path), Google.Protobuf.MessageExtensions.ToByteArray(meta.Proto));
        }
    }

    [Fact]
    public void FrozenGraph_LoadsAsGraphDef_WithWeightsFoldedIntoConsts()
    {
        var meta = MetaGraph.Load(Fixtures.Path("smove_tf", "frozen_smovetf.pb"));
        Assert.Equal(GraphFileKind.FrozenGraph, meta.Kind);
        Assert.Null(meta.SaverDef);
        Assert.DoesNotContain(meta.Graph.Nodes, n => n.Op == "VariableV2");
        Assert.Equal("Const", meta.Graph.GetNode("W").Op);
        Assert.Equal("Sigmoid", meta.Graph.GetNode("O").Op);
        Assert.Equal([21, 1], meta.Graph.GetNode("W").GetTensor("value").TensorShape.Dim.Select(d => d.Size));
    }
}

public class MetaGraphParseTests
{
    [Fact]
    public void UnknownFields_SurviveAReadWriteRoundTrip()
    {
        var original = File.ReadAllBytes(Fixtures.Path("smove_mlp", "my_test_model-1000.meta"));
        // Append MetaGraphDef field 7 (TF2's object_graph_def, not in our schema) as opaque bytes.
        byte[] extra = [0x3A, 0x03, 0x0A, 0x01, 0x58];
        var meta = MetaGraph.Parse([.. original, .. extra], "with-unknown.meta");
        Assert.Equal(109, meta.Graph.Nodes.Count);
        Assert.Equal([.. original, .. extra], Google.Protobuf.MessageExtensions.ToByteArray(meta.Proto));
    }

    [Fact]
    public void MetaGraphDef_WithOnlyAGraph_IsStillAMetaGraph()
    {
        var frozen = MetaGraph.Load(Fixtures.Path("smove_tf", "frozen_smovetf.pb"));
        var bytes = Google.Protobuf.MessageExtensions.ToByteArray(new TypedGraph.Protos.MetaGraphDef { GraphDef = frozen.Proto.GraphDef });
        var m = MetaGraph.Parse(bytes, "graph-only.meta");
        Assert.Equal(GraphFileKind.MetaGraph, m.Kind);
        Assert.Equal(5, m.Graph.Nodes.Count);
    }
}
