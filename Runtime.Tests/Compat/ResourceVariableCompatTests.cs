using Google.Protobuf;
using TypedGraph.Building;
using TypedGraph.Formats;
using TypedGraph.Protos;
using TypedGraph.Training;
using static TypedGraph.Tests.Support.ExecGraph;

namespace TypedGraph.Tests.Compat;

/// <summary>
/// A TF 1.13-style graph of resource variables (<c>use_resource=True</c>): VarHandleOp with shared_name,
/// <c>&lt;v&gt;/Read/ReadVariableOp</c>, AssignVariableOp initializers, VariableDefs with <c>is_resource</c>, a
/// Saver that saves the ReadVariableOp snapshots and restores through Identity + AssignVariableOp, and a
/// <c>ResourceApplyGradientDescent</c> training step.
/// </summary>
public sealed class ResourceVariableCompatTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tg-resvar-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static (MetaGraphDef Meta, SaverDef Saver) Build()
    {
        var t = new TfLayoutGraph();
        var g = t.Exec;
        g.Placeholder("x", DataType.DtFloat, [-1, 2]);
        t.AddVariable(new TfVar("dense/kernel", DataType.DtFloat, [2, 1], Tensor.Create(new float[2], 2, 1), Resource: true));
        t.AddVariable(new TfVar("dense/bias", DataType.DtFloat, [1], Tensor.Create(new float[1], 1), Resource: true));
        g.Op("dense/MatMul/ReadVariableOp", "ReadVariableOp", ["dense/kernel"], ("dtype", Type(DataType.DtFloat)));
        g.Op("dense/MatMul", "MatMul", ["x", "dense/MatMul/ReadVariableOp"], T(DataType.DtFloat), ("transpose_a", Bool(false)), ("transpose_b", Bool(false)));
        g.Op("dense/BiasAdd/ReadVariableOp", "ReadVariableOp", ["dense/bias"], ("dtype", Type(DataType.DtFloat)));
        g.Op("dense/BiasAdd", "BiasAdd", ["dense/MatMul", "dense/BiasAdd/ReadVariableOp"], T(DataType.DtFloat), ("data_format", Str("NHWC")));
        g.Op("init", "NoOp", ["^dense/kernel/Assign", "^dense/bias/Assign"]);
        // One SGD step with fixed gradients, as GradientDescentOptimizer writes it for resource variables.
        g.Const("GradientDescent/learning_rate", Tensor.FromScalar(0.5f));
        g.Const("gradients/kernel", Tensor.Create(new float[] { 2, -4 }, 2, 1));
        g.Const("gradients/bias", Tensor.Create(new float[] { 1 }, 1));
        g.Op("GradientDescent/update_dense/kernel/ResourceApplyGradientDescent", "ResourceApplyGradientDescent",
            ["dense/kernel", "GradientDescent/learning_rate", "gradients/kernel"], T(DataType.DtFloat), ("use_locking", Bool(false)));
        g.Op("GradientDescent/update_dense/bias/ResourceApplyGradientDescent", "ResourceApplyGradientDescent",
            ["dense/bias", "GradientDescent/learning_rate", "gradients/bias"], T(DataType.DtFloat), ("use_locking", Bool(false)));
        g.Op("GradientDescent", "NoOp", ["^GradientDescent/update_dense/kernel/ResourceApplyGradientDescent", "^GradientDescent/update_dense/bias/ResourceApplyGradientDescent"]);
        var saver = t.AddSaver();
        var meta = t.ToMetaGraph(saver, [], "1.13.1");
        var trainOp = new CollectionDef { NodeList = new CollectionDef.Types.NodeList() };
        trainOp.NodeList.Value.Add("GradientDescent");
        meta.CollectionDef["train_op"] = trainOp;
        return (meta, saver);
    }

    private string WriteTfCheckpoint()
    {
        // What TF would have saved: keys are the variables' op names.
        var prefix = Path.Combine(_dir, "model-1000");
        Directory.CreateDirectory(_dir);
        using var w = new CheckpointWriter(prefix);
        w.Add("dense/bias", Tensor.Create(new float[] { 3 }, 1));
        w.Add("dense/kernel", Tensor.Create(new float[] { 1, 2 }, 2, 1));
        w.Finish();
        File.WriteAllBytes(prefix + ".meta", Build().Meta.ToByteArray());
        return prefix;
    }

    [Fact]
    public void VariableDefsRoundTripWithIsResource()
    {
        var meta = MetaGraph.Load(WriteTfCheckpoint() + ".meta");
        var defs = meta.Proto.CollectionDef["variables"].BytesList.Value.Select(b => VariableDef.Parser.ParseFrom(b)).ToList();
        Assert.Equal(["dense/kernel:0", "dense/bias:0"], defs.Select(d => d.VariableName));
        Assert.All(defs, d => Assert.True(d.IsResource));
        Assert.Equal("dense/kernel/Read/ReadVariableOp:0", defs[0].SnapshotName);
        Assert.Equal("dense/kernel", meta.Graph.GetNode("dense/kernel").GetString("shared_name", ""));
    }

    [Fact]
    public void RestoreRunTrainAndSaveAgainThroughTheGraphsSaver()
    {
        var prefix = WriteTfCheckpoint();
        var meta = MetaGraph.Load(prefix + ".meta");
        using var session = new Session(meta.Graph);
        session.Restore(prefix, meta.SaverDef);
        var x = Tensor.Create(new float[] { 1, 1, 2, 0 }, 2, 2);
        // [1,1]·[1,2] + 3 = 6 ; [2,0]·[1,2] + 3 = 5
        Assert.Equal([6f, 5f], session.Run("dense/BiasAdd:0", ("x", x)).ToArray<float>());

        session.RunTargets("GradientDescent");
        // kernel - 0.5 * [2, -4] = [0, 4]; bias - 0.5 * 1 = 2.5
        Assert.Equal([0f, 4f], session.Run("dense/kernel/Read/ReadVariableOp:0").ToArray<float>());
        Assert.Equal([4f + 2.5f, 2.5f], session.Run("dense/BiasAdd:0", ("x", x)).ToArray<float>());

        var next = Path.Combine(_dir, "model-1001");
        session.Save(next, meta.SaverDef);
        using var reader = CheckpointReader.Open(next);
        Assert.Equal(["dense/bias", "dense/kernel"], reader.Entries.Select(e => e.Name));
        Assert.Equal([0f, 4f], reader.Read("dense/kernel").ToArray<float>());
        Assert.Equal([2.5f], reader.Read("dense/bias").ToArray<float>());

        using var fresh = new Session(meta.Graph);
        fresh.Restore(next, meta.SaverDef);
        Assert.Equal([6.5f, 2.5f], fresh.Run("dense/BiasAdd:0", ("x", x)).ToArray<float>());
    }

    [Fact]
    public void DirectRestoreAssignsResourceVariablesByName()
    {
        var prefix = WriteTfCheckpoint();
        var meta = MetaGraph.Load(prefix + ".meta");
        using var session = new Session(meta.Graph);
        session.Restore(prefix);
        Assert.Equal([1f, 2f], session.Run("dense/kernel/Read/ReadVariableOp:0").ToArray<float>());
        Assert.True(session.Run("dense/bias/IsInitialized/VarIsInitializedOp:0").AsSpan<bool>()[0]);
    }

    [Fact]
    public void TrainingSaverAdoptsTheImportedResourceSaver()
    {
        var prefix = WriteTfCheckpoint();
        var meta = MetaGraph.Load(prefix + ".meta");
        var builder = GraphBuilder.FromMetaGraph(meta.Proto);
        var saver = Saver.FromSaverDef(builder, meta.SaverDef!);
        Assert.Equal(["dense/bias", "dense/kernel"], saver.Variables.Select(kv => kv.Key));
        Assert.All(saver.Variables, kv => Assert.True(kv.Value.IsResource));
    }
}
