using TypedGraph.Formats;
using TypedGraph.Protos;

namespace TypedGraph.Tests.Compat;

public sealed class SavedModelBundleTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tg-savedmodel-" + Guid.NewGuid().ToString("N"));

    public SavedModelBundleTests() => SavedModelFixture.Write(_dir);

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static Tensor X() => Tensor.Create(new float[] { 1, 0, 2, -1, 1, 1 }, 2, 3);

    // Reference: y = x·W + b with the trained W, b, computed plainly.
    private static float[] ExpectedY()
    {
        float[] x = [1, 0, 2, -1, 1, 1], w = SavedModelFixture.W, b = SavedModelFixture.B;
        var y = new float[4];
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++)
            {
                float s = b[j];
                for (int k = 0; k < 3; k++) s += x[i * 3 + k] * w[k * 2 + j];
                y[i * 2 + j] = s;
            }
        return y;
    }

    [Fact]
    public void ShardedSaveWritesTwoDataFilesAndNoTempDirectory()
    {
        var vars = Path.Combine(_dir, "variables");
        var files = Directory.GetFileSystemEntries(vars).Select(p => Path.GetFileName(p)!).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["variables.data-00000-of-00002", "variables.data-00001-of-00002", "variables.index"], files);
        using var reader = CheckpointReader.Open(Path.Combine(vars, "variables"));
        // One shard per device group in sorted device order: "" (W, b) then "/device:CPU:0" (global_step),
        // each group's data file in sorted-key order from offset 0.
        Assert.Equal(0, reader.GetEntry("W").ShardId);
        Assert.Equal(0, reader.GetEntry("b").ShardId);
        Assert.Equal(1, reader.GetEntry("global_step").ShardId);
        Assert.Equal(0, reader.GetEntry("global_step").Offset);
        Assert.Equal(0, reader.GetEntry("W").Offset);
        Assert.Equal(24, reader.GetEntry("b").Offset);
        Assert.False(reader.Contains("counter")); // local variables are not saved
        Assert.Equal(SavedModelFixture.W, reader.Read("W").ToArray<float>());
    }

    [Fact]
    public void LoadRestoresVariablesRunsMainOpAndServesTheSignature()
    {
        using var bundle = SavedModelBundle.Load(_dir, "serve");
        Assert.Equal(["serving_default"], bundle.Signatures.Keys);
        var sig = bundle.Signatures["serving_default"];
        Assert.Equal("tensorflow/serving/predict", sig.MethodName);
        Assert.Equal("x:0", sig.Inputs["x"].TensorName);
        Assert.Equal(DataType.DtFloat, sig.Inputs["x"].DType);
        Assert.Equal([-1L, 3], sig.Inputs["x"].Shape!);
        Assert.Equal("[?, 3]", sig.Inputs["x"].ShapeText);
        Assert.Equal(["scaled", "y"], sig.Outputs.Keys);

        var outputs = bundle.Run("serving_default", new Dictionary<string, Tensor> { ["x"] = X() });
        var y = ExpectedY();
        Assert.Equal(y, outputs["y"].ToArray<float>());
        Assert.Equal([2, 2], outputs["y"].Shape.ToArray());
        // counter is a local variable: only the main op (saved_model_main_op) sets it to 7.
        Assert.Equal(y.Select(v => v * 7).ToArray(), outputs["scaled"].ToArray<float>());
        Assert.Equal(SavedModelFixture.Step, bundle.Session.Run("global_step/read:0").AsSpan<long>()[0]);
    }

    [Fact]
    public void TagSetSelectsTheTrainMetaGraph()
    {
        using var bundle = SavedModelBundle.Load(_dir, "train");
        Assert.Equal(["step"], bundle.Signatures.Keys);
        var outputs = bundle.Run("step", new Dictionary<string, Tensor>());
        Assert.Equal(SavedModelFixture.Step, outputs["step"].AsSpan<long>()[0]);
        var e = Assert.Throws<GraphFormatException>(() => SavedModelBundle.Load(_dir, "gpu"));
        Assert.Contains("[serve]", e.Message);
        Assert.Contains("[train]", e.Message);
    }

    [Fact]
    public void UnknownKeysAndBadInputsGiveClearErrors()
    {
        using var bundle = SavedModelBundle.Load(_dir, "serve");
        var e1 = Assert.Throws<GraphExecutionException>(() => bundle.Run("predict", new Dictionary<string, Tensor> { ["x"] = X() }));
        Assert.Contains("no signature 'predict'", e1.Message);
        Assert.Contains("'serving_default'", e1.Message);
        var e2 = Assert.Throws<GraphExecutionException>(() => bundle.Run("serving_default", new Dictionary<string, Tensor> { ["input"] = X() }));
        Assert.Contains("no input 'input'", e2.Message);
        Assert.Contains("'x'", e2.Message);
        var e3 = Assert.Throws<GraphExecutionException>(() => bundle.Run("serving_default", new Dictionary<string, Tensor>()));
        Assert.Contains("needs input(s) 'x'", e3.Message);
        var e4 = Assert.Throws<GraphExecutionException>(() => bundle.Run("serving_default", new Dictionary<string, Tensor> { ["x"] = X() }, ["logits"]));
        Assert.Contains("no output 'logits'", e4.Message);
        var e5 = Assert.Throws<GraphExecutionException>(() => bundle.Run("serving_default", new Dictionary<string, Tensor> { ["x"] = Tensor.Create(new int[3], 1, 3) }));
        Assert.Contains("float", e5.Message);
        var e6 = Assert.Throws<GraphExecutionException>(() => bundle.Run("serving_default", new Dictionary<string, Tensor> { ["x"] = Tensor.Create(new float[4], 1, 4) }));
        Assert.Contains("[?, 3]", e6.Message);
    }

    [Fact]
    public void OnlyRequestedOutputsAreFetched()
    {
        using var bundle = SavedModelBundle.Load(_dir);
        var outputs = bundle.Run("serving_default", new Dictionary<string, Tensor> { ["x"] = X() }, ["y"]);
        Assert.Equal(["y"], outputs.Keys);
        Assert.Equal(ExpectedY(), outputs["y"].ToArray<float>());
    }

    [Fact]
    public void WithoutSaverDefGlobalVariablesAreRestoredAndLocalsLeftToTheMainOp()
    {
        var pb = Path.Combine(_dir, "saved_model.pb");
        var model = SavedModel.Parser.ParseFrom(File.ReadAllBytes(pb));
        model.MetaGraphs[0].SaverDef = null;
        File.WriteAllBytes(pb, Google.Protobuf.MessageExtensions.ToByteArray(model));
        using var bundle = SavedModelBundle.Load(_dir, "serve");
        var outputs = bundle.Run("serving_default", new Dictionary<string, Tensor> { ["x"] = X() });
        Assert.Equal(ExpectedY().Select(v => v * 7).ToArray(), outputs["scaled"].ToArray<float>());
        Assert.Equal(SavedModelFixture.Step, bundle.Session.Run("global_step/read:0").AsSpan<long>()[0]);
    }

    [Fact]
    public void MissingVariablesIsACheckpointError()
    {
        foreach (var f in Directory.GetFiles(Path.Combine(_dir, "variables"))) File.Delete(f);
        var e = Assert.Throws<CheckpointFormatException>(() => SavedModelBundle.Load(_dir, "serve"));
        Assert.Contains("variables.index", e.Message);
    }

    [Fact]
    public void ReSaveThroughTheGraphsShardedSaverRoundTrips()
    {
        using var bundle = SavedModelBundle.Load(_dir, "serve");
        var saver = bundle.MetaGraph.SaverDef!;
        var prefix = Path.Combine(_dir, "resaved", "model-43");
        bundle.Session.Save(prefix, saver);
        using var reader = CheckpointReader.Open(prefix);
        Assert.Equal(["W", "b", "global_step"], reader.Entries.Select(e => e.Name).ToArray());
        Assert.Equal(SavedModelFixture.B, reader.Read("b").ToArray<float>());
        Assert.False(Directory.EnumerateDirectories(Path.Combine(_dir, "resaved")).Any());
    }
}

public sealed class ShardedSaverAdoptionTests
{
    [Fact]
    public void TrainingSaverAdoptsTf114ShardedResourceSaver()
    {
        var (t, saverDef) = SavedModelFixture.BuildGraph();
        var meta = t.ToMetaGraph(saverDef, ["serve"]);
        var builder = TypedGraph.Building.GraphBuilder.FromMetaGraph(meta);
        var saver = TypedGraph.Training.Saver.FromSaverDef(builder, saverDef);
        Assert.Equal(["W", "b", "global_step"], saver.Variables.Select(kv => kv.Key).Order(StringComparer.Ordinal));
    }
}
