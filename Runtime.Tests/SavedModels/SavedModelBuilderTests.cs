using Google.Protobuf.WellKnownTypes;
using TypedGraph.Building;
using TypedGraph.Formats;
using TypedGraph.Protos;
using TypedGraph.SavedModels;
using TypedGraph.Tests.Support;

namespace TypedGraph.Tests.SavedModels;

/// <summary>
/// SavedModelBuilder: the files and protos TF's builder writes (checked field by field, and against the real
/// TF-written SavedModel in the fixtures where TF1 and TF2 agree), and a reload through SavedModelBundle.
/// </summary>
public sealed class SavedModelBuilderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-smb-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>x [-1, 4] → softmax(x·W + b) with W, b variables; a string examples placeholder; a vocab asset.</summary>
    private static (GraphBuilder B, Session S, Output X, Output Probs, Output Examples, Output Vocab) Model()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [-1, 4], "x");
        var w = b.Variable(Tensor.Create(Enumerable.Range(0, 12).Select(i => (i - 5) * 0.1f).ToArray(), 4, 3), "W");
        var bias = b.Variable(Tensor.Create(new[] { 0.5f, -0.25f, 0f }, 3), "b");
        var probs = b.Softmax(b.Add(b.MatMul(x, w.Snapshot), bias.Snapshot), "probs");
        var examples = b.Placeholder(DataType.DtString, [-1], "tf_example");
        var vocab = b.Constant("vocab.txt", "vocab_path");
        var s = new Session(b.Graph);
        s.RunTargets(b.GlobalVariablesInitializer().Name);
        return (b, s, x, probs, examples, vocab);
    }

    [Fact]
    public void SavedModelHasTfBuilderLayoutSignaturesSaverAndAssetsAndReloadsWithIdenticalOutputs()
    {
        var (b, s, x, probs, examples, vocab) = Model();
        using var _ = s;
        var vocabFile = Path.Combine(_dir, "vocab.txt");
        File.WriteAllText(vocabFile, "a\nb\nc\n");
        var export = Path.Combine(_dir, "export", "1");
        var classes = b.Constant(Tensor.FromStrings(["a", "b", "c"], 3), "class_names");
        var signatures = new Dictionary<string, SignatureDef>
        {
            ["serving_default"] = SignatureDefs.Predict(b, new Dictionary<string, Output> { ["x"] = x }, new Dictionary<string, Output> { ["probs"] = probs }),
            ["classify"] = SignatureDefs.Classify(b, examples, classes, probs),
            ["regress"] = SignatureDefs.Regress(b, examples, b.ReduceMax(probs, [1], name: "top")),
        };
        using (var builder = new SavedModelBuilder(export))
        {
            builder.AddMetaGraphAndVariables(s, b, [SavedModelBuilder.ServeTag], signatures,
                new SavedModelMetaGraphOptions { Assets = new Dictionary<string, string> { [vocab.Name] = vocabFile } });
            builder.Save();
        }

        // Files: saved_model.pb, variables/variables.{index,data-00000-of-00001} (no 'checkpoint' state file), assets/vocab.txt.
        Assert.Equal(["saved_model.pb"], Directory.GetFiles(export).Select(Path.GetFileName));
        Assert.Equal(["variables.data-00000-of-00001", "variables.index"], Directory.GetFiles(Path.Combine(export, "variables")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal("a\nb\nc\n", File.ReadAllText(Path.Combine(export, "assets", "vocab.txt")));
        Assert.DoesNotContain(Directory.GetDirectories(Path.GetDirectoryName(export)!), d => Path.GetFileName(d).StartsWith('.'));

        var model = SavedModel.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(export, "saved_model.pb")));
        Assert.Equal(1, model.SavedModelSchemaVersion);
        var meta = Assert.Single(model.MetaGraphs);
        Assert.Equal(["serve"], meta.MetaInfoDef.Tags);
        Assert.Equal("tensorflow/serving/predict", meta.SignatureDef["serving_default"].MethodName);
        Assert.Equal("tensorflow/serving/classify", meta.SignatureDef["classify"].MethodName);
        Assert.Equal(["inputs"], meta.SignatureDef["classify"].Inputs.Keys);
        Assert.Equal(["classes", "scores"], meta.SignatureDef["classify"].Outputs.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("tensorflow/serving/regress", meta.SignatureDef["regress"].MethodName);
        Assert.Equal(["outputs"], meta.SignatureDef["regress"].Outputs.Keys);
        var xInfo = meta.SignatureDef["serving_default"].Inputs["x"];
        Assert.Equal(("x:0", DataType.DtFloat), (xInfo.Name, xInfo.Dtype));
        Assert.Equal([-1L, 4L], xInfo.TensorShape.Dim.Select(d => d.Size));
        // The saver TF1's Saver builds, inside the meta graph; its nodes are in the graph.
        Assert.Equal("save/Const:0", meta.SaverDef.FilenameTensorName);
        Assert.Equal("save/control_dependency:0", meta.SaverDef.SaveTensorName);
        Assert.Equal("save/restore_all", meta.SaverDef.RestoreOpName);
        Assert.Equal(SaverDef.Types.CheckpointFormatVersion.V2, meta.SaverDef.Version);
        Assert.Contains(meta.GraphDef.Node, n => n.Name == "save/restore_all");
        // Assets: asset_file_def and the TF1 'saved_model_assets' collection (Any-packed AssetFileDef).
        var asset = Assert.Single(meta.AssetFileDef);
        Assert.Equal(("vocab.txt", "vocab_path:0"), (asset.Filename, asset.TensorInfo.Name));
        var packed = Assert.Single(meta.CollectionDef["saved_model_assets"].AnyList.Value);
        Assert.Equal("type.googleapis.com/tensorflow.AssetFileDef", packed.TypeUrl);
        Assert.Equal(asset, packed.Unpack<AssetFileDef>());
        using (var reader = CheckpointReader.Open(Path.Combine(export, "variables", "variables")))
            Assert.Equal(["W", "b"], reader.Entries.Select(e => e.Name));

        var input = Tensor.Create(Enumerable.Range(0, 8).Select(i => i * 0.3f - 1f).ToArray(), 2, 4);
        var expected = s.Run(probs.Name, (x.Name, input)).ToArray<float>();
        using var bundle = SavedModelBundle.Load(export, "serve");
        var got = bundle.Run(new Dictionary<string, Tensor> { ["x"] = input })["probs"].ToArray<float>();
        Assert.Equal(expected, got);
        // An independent check of the restored values: row 0 of softmax(x·W + b) by hand.
        var w = Enumerable.Range(0, 12).Select(i => (i - 5) * 0.1).ToArray();
        double[] bias = [0.5, -0.25, 0], xs = [-1, -0.7, -0.4, -0.1];
        var z = Enumerable.Range(0, 3).Select(j => bias[j] + Enumerable.Range(0, 4).Sum(i => xs[i] * w[i * 3 + j])).ToArray();
        double sum = z.Sum(Math.Exp);
        for (int j = 0; j < 3; j++) Assert.Equal(Math.Exp(z[j]) / sum, got[j], 6);
    }

    [Fact]
    public void ConventionsAgreeWithTheRealTf2WrittenSavedModel()
    {
        // two_tower_savedmodel_tf2 was written by TF 2.15. Where TF1's builder and TF2's save agree we must match it.
        var (b, s, x, probs, _, _) = Model();
        using var _s = s;
        var export = Path.Combine(_dir, "ours");
        using (var builder = new SavedModelBuilder(export))
        {
            builder.AddMetaGraphAndVariables(s, b, ["serve"], new Dictionary<string, SignatureDef>
            {
                ["serving_default"] = SignatureDefs.Predict(b, new Dictionary<string, Output> { ["x"] = x }, new Dictionary<string, Output> { ["probs"] = probs }),
            });
            builder.Save();
        }
        var tf = SavedModel.Parser.ParseFrom(File.ReadAllBytes(Fixtures.Path("two_tower_savedmodel_tf2", "saved_model.pb")));
        var ours = SavedModel.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(export, "saved_model.pb")));
        Assert.Equal(tf.SavedModelSchemaVersion, ours.SavedModelSchemaVersion);
        Assert.Equal(tf.MetaGraphs.Select(m => m.MetaInfoDef.Tags.ToArray()), ours.MetaGraphs.Select(m => m.MetaInfoDef.Tags.ToArray()));
        MetaGraphDef tfMeta = tf.MetaGraphs[0], ourMeta = ours.MetaGraphs[0];
        Assert.Equal(tfMeta.SignatureDef["serving_default"].MethodName, ourMeta.SignatureDef["serving_default"].MethodName);
        Assert.Equal(tfMeta.SaverDef.Version, ourMeta.SaverDef.Version);
        // Same variables layout: one shard named variables.data-00000-of-00001 beside variables.index.
        Assert.Equal(Directory.GetFiles(Fixtures.Path("two_tower_savedmodel_tf2", "variables")).Select(Path.GetFileName).Order(StringComparer.Ordinal),
            Directory.GetFiles(Path.Combine(export, "variables")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        // Where they differ (TF2 saves through function calls and an object graph): the saver's tensor names
        // (saver_filename:0 / StatefulPartitionedCall_N vs TF1's save/Const:0 / save/restore_all), TF2's
        // max_to_keep 0, the '__saved_model_init_op' signature, and object_graph_def (field 7, kept unknown by our proto) — all TF2-only.
        Assert.Equal("saver_filename:0", tfMeta.SaverDef.FilenameTensorName);
        Assert.Equal("save/Const:0", ourMeta.SaverDef.FilenameTensorName);
    }

    [Fact]
    public void ANonEmptyExportDirAndAMissingAssetAreRefusedWithoutWritingAnything()
    {
        var full = Path.Combine(_dir, "full");
        Directory.CreateDirectory(full);
        File.WriteAllText(Path.Combine(full, "keep.txt"), "x");
        var e = Assert.Throws<IOException>(() => new SavedModelBuilder(full));
        Assert.Contains("isn't empty", e.Message);

        var (b, s, x, probs, _, vocab) = Model();
        using var _s = s;
        var export = Path.Combine(_dir, "never");
        using (var builder = new SavedModelBuilder(export))
        {
            var sig = SignatureDefs.Predict(b, new Dictionary<string, Output> { ["x"] = x }, new Dictionary<string, Output> { ["probs"] = probs });
            var a = Assert.Throws<ArgumentException>(() => builder.AddMetaGraphAndVariables(s, b, ["serve"],
                new Dictionary<string, SignatureDef> { ["serving_default"] = sig },
                new SavedModelMetaGraphOptions { Assets = new Dictionary<string, string> { [vocab.Name] = Path.Combine(_dir, "missing.txt") } }));
            Assert.Contains("missing.txt", a.Message);
            Assert.Throws<ArgumentException>(() => SignatureDefs.Regress(b, x, probs)); // examples must be strings, as TF checks
        }
        Assert.False(Directory.Exists(export));
        Assert.Equal(["full"], Directory.GetDirectories(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public void AFrozenGraphWithoutVariablesBecomesASavedModelWithoutVariablesFolder()
    {
        var meta = MetaGraph.Load(Fixtures.Path("smove_tf", "frozen_smovetf.pb"));
        var b = new GraphBuilder(meta.Graph);
        using var s = new Session(b.Graph);
        var export = Path.Combine(_dir, "frozen");
        using (var builder = new SavedModelBuilder(export))
        {
            builder.AddMetaGraphAndVariables(s, b, ["serve"], new Dictionary<string, SignatureDef>
            {
                ["serving_default"] = SignatureDefs.Predict(b, new Dictionary<string, Output> { ["X"] = b.GetTensor("X:0") }, new Dictionary<string, Output> { ["O"] = b.GetTensor("O:0") }),
            });
            builder.Save();
        }
        Assert.False(Directory.Exists(Path.Combine(export, "variables")));
        var x = Tensor.Create(Enumerable.Range(0, 42).Select(i => i * 0.05f - 1).ToArray(), 2, 21);
        using var bundle = SavedModelBundle.Load(export);
        Assert.Equal(s.Run("O:0", ("X:0", x)).ToArray<float>(), bundle.Run(new Dictionary<string, Tensor> { ["X"] = x })["O"].ToArray<float>());
    }
}
