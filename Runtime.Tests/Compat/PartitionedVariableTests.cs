using TypedGraph.Formats;
using TypedGraph.Protos;
using static TypedGraph.Tests.Support.ExecGraph;

namespace TypedGraph.Tests.Compat;

/// <summary>
/// Partitioned variables as <c>tf.get_variable(partitioner=fixed_size_partitioner(2))</c> writes them:
/// <c>dense/kernel/part_0</c> and <c>part_1</c> with SaveSliceInfoDefs, saved under the full name with
/// <c>shape_and_slices</c> <c>"4 3 0,2:0,3"</c> / <c>"4 3 2,2:0,3"</c>, used through a ConcatPartitions concat.
/// Also sharded bundles (several data files merged by MergeV2Checkpoints) restored through a graph's RestoreV2.
/// </summary>
public sealed class PartitionedVariableTests : IDisposable
{
    private static readonly float[] Full = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]; // [4, 3]
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tg-part-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static SaveSliceInfoDef Slice(long offset)
    {
        var s = new SaveSliceInfoDef { FullName = "dense/kernel" };
        s.FullShape.AddRange([4, 3]);
        s.VarOffset.AddRange([offset, 0]);
        s.VarShape.AddRange([2, 3]);
        return s;
    }

    private static (Graph Graph, SaverDef Saver) Build()
    {
        var (t, saver) = BuildLayout();
        return (t.Exec.Graph, saver);
    }

    private static (TfLayoutGraph Layout, SaverDef Saver) BuildLayout()
    {
        var t = new TfLayoutGraph();
        var g = t.Exec;
        g.Placeholder("x", DataType.DtFloat, [-1, 4]);
        t.AddVariable(new TfVar("dense/kernel/part_0", DataType.DtFloat, [2, 3], Tensor.Create(new float[6], 2, 3), Resource: false, SliceInfo: Slice(0)));
        t.AddVariable(new TfVar("dense/kernel/part_1", DataType.DtFloat, [2, 3], Tensor.Create(new float[6], 2, 3), Resource: false, SliceInfo: Slice(2)));
        t.AddVariable(new TfVar("dense/bias", DataType.DtFloat, [3], Tensor.Create(new float[] { 0.5f, 0, -0.5f }, 3), Resource: false));
        g.Const("dense/kernel/ConcatPartitions/concat/axis", Tensor.FromScalar(0));
        g.Op("dense/kernel/ConcatPartitions/concat", "ConcatV2", ["dense/kernel/part_0/read", "dense/kernel/part_1/read", "dense/kernel/ConcatPartitions/concat/axis"],
            T(DataType.DtFloat), ("N", Int(2)), ("Tidx", Type(DataType.DtInt32)));
        g.Op("dense/MatMul", "MatMul", ["x", "dense/kernel/ConcatPartitions/concat"], T(DataType.DtFloat), ("transpose_a", Bool(false)), ("transpose_b", Bool(false)));
        g.Op("dense/BiasAdd", "BiasAdd", ["dense/MatMul", "dense/bias/read"], T(DataType.DtFloat), ("data_format", Str("NHWC")));
        g.Op("init", "NoOp", ["^dense/kernel/part_0/Assign", "^dense/kernel/part_1/Assign", "^dense/bias/Assign"]);
        var saver = t.AddSaver();
        return (t, saver);
    }

    private static float[] Forward(float[] x)
    {
        float[] b = [0.5f, 0, -0.5f];
        var y = new float[3];
        for (int j = 0; j < 3; j++)
        {
            y[j] = b[j];
            for (int k = 0; k < 4; k++) y[j] += x[k] * Full[k * 3 + j];
        }
        return y;
    }

    private static void AssignParts(Session s)
    {
        s.Run([], new Dictionary<string, Tensor>
        {
            ["dense/kernel/part_0/Initializer/Const:0"] = Tensor.Create(Full[..6], 2, 3),
            ["dense/kernel/part_1/Initializer/Const:0"] = Tensor.Create(Full[6..], 2, 3),
        }, ["init"]);
    }

    [Fact]
    public void GraphSaverWritesSlicesReadableAsTheFullTensor()
    {
        var (graph, saver) = Build();
        var prefix = Path.Combine(_dir, "model");
        using (var s = new Session(graph))
        {
            AssignParts(s);
            s.Save(prefix, saver);
        }
        using var reader = CheckpointReader.Open(prefix);
        var entry = reader.GetEntry("dense/kernel");
        Assert.True(entry.IsSliced);
        Assert.Equal([4L, 3], entry.Shape);
        Assert.Equal(Full, reader.Read("dense/kernel").ToArray<float>());
        Assert.False(reader.Contains("dense/kernel/part_0"));
    }

    [Fact]
    public void RestoreV2SlicesRefillEachPartition()
    {
        var (graph, saver) = Build();
        var prefix = Path.Combine(_dir, "model");
        using (var s = new Session(graph))
        {
            AssignParts(s);
            s.Save(prefix, saver);
        }
        using var fresh = new Session(graph);
        fresh.Restore(prefix, saver);
        Assert.Equal(Full[..6], fresh.Run("dense/kernel/part_0/read:0").ToArray<float>());
        Assert.Equal(Full[6..], fresh.Run("dense/kernel/part_1/read:0").ToArray<float>());
        float[] x = [1, -1, 2, 0.5f];
        Assert.Equal(Forward(x), fresh.Run("dense/BiasAdd:0", ("x", Tensor.Create(x, 1, 4))).ToArray<float>());
    }

    [Fact]
    public void UnpartitionedCheckpointRestoresIntoPartitionsBySlice()
    {
        // The same model saved without a partitioner: one ordinary entry; RestoreV2 cuts the slices out of it.
        var prefix = Path.Combine(_dir, "flat");
        Directory.CreateDirectory(_dir);
        using (var w = new CheckpointWriter(prefix))
        {
            w.Add("dense/kernel", Tensor.Create(Full, 4, 3));
            w.Add("dense/bias", Tensor.Create(new float[] { 0.5f, 0, -0.5f }, 3));
            w.Finish();
        }
        var (graph, saver) = Build();
        using var s = new Session(graph);
        s.Restore(prefix, saver);
        Assert.Equal(Full[6..], s.Run("dense/kernel/part_1/read:0").ToArray<float>());
    }

    [Fact]
    public void TwoShardBundleRestoresThroughTheGraphAndDirectly()
    {
        // Two single-shard bundles (one per device) merged the way MergeV2Checkpoints does: two data files, one index.
        Directory.CreateDirectory(_dir);
        var part0 = Path.Combine(_dir, "model_temp", "part-00000-of-00002");
        var part1 = Path.Combine(_dir, "model_temp", "part-00001-of-00002");
        Directory.CreateDirectory(Path.GetDirectoryName(part0)!);
        using (var w = new CheckpointWriter(part0))
        {
            w.AddSlice("dense/kernel", [4, 3], TensorSlice.Parse("0,2:0,3"), Tensor.Create(Full[..6], 2, 3));
            w.Add("dense/bias", Tensor.Create(new float[] { 0.5f, 0, -0.5f }, 3));
            w.Finish();
        }
        using (var w = new CheckpointWriter(part1))
        {
            w.AddSlice("dense/kernel", [4, 3], TensorSlice.Parse("2,2:0,3"), Tensor.Create(Full[6..], 2, 3));
            w.Finish();
        }
        var prefix = Path.Combine(_dir, "model");
        CheckpointMerger.Merge([part0, part1], prefix);
        Assert.True(File.Exists(prefix + ".data-00000-of-00002"));
        Assert.True(File.Exists(prefix + ".data-00001-of-00002"));

        var (graph, saver) = Build();
        using var s = new Session(graph);
        s.Restore(prefix, saver);
        float[] x = [0, 1, 0, 1];
        Assert.Equal(Forward(x), s.Run("dense/BiasAdd:0", ("x", Tensor.Create(x, 1, 4))).ToArray<float>());

        using var reader = CheckpointReader.Open(prefix);
        Assert.Equal(Full, reader.Read("dense/kernel").ToArray<float>());
    }

    [Fact]
    public void SavedModelWithoutSaverDefRestoresPartitionsFromTheVariablesCollection()
    {
        var (t, saver) = BuildLayout();
        var export = Path.Combine(_dir, "export");
        using (var s = new Session(t.Exec.Graph))
        {
            AssignParts(s);
            s.Save(Path.Combine(export, "variables", "variables"), saver);
        }
        var meta = t.ToMetaGraph(null, ["serve"]);
        var sig = new SignatureDef { MethodName = "tensorflow/serving/predict" };
        sig.Inputs["x"] = TfLayoutGraph.Info("x:0", DataType.DtFloat, [-1, 4]);
        sig.Outputs["y"] = TfLayoutGraph.Info("dense/BiasAdd:0", DataType.DtFloat, [-1, 3]);
        meta.SignatureDef["serving_default"] = sig;
        var model = new SavedModel { SavedModelSchemaVersion = 1 };
        model.MetaGraphs.Add(meta);
        File.WriteAllBytes(Path.Combine(export, "saved_model.pb"), Google.Protobuf.MessageExtensions.ToByteArray(model));

        using var bundle = SavedModelBundle.Load(export);
        Assert.Null(bundle.MetaGraph.SaverDef);
        float[] x = [2, 0, -1, 1];
        var y = bundle.Run(new Dictionary<string, Tensor> { ["x"] = Tensor.Create(x, 1, 4) });
        Assert.Equal(Forward(x), y["y"].ToArray<float>());
        Assert.Equal(Full[6..], bundle.Session.Run("dense/kernel/part_1/read:0").ToArray<float>());
    }
}
