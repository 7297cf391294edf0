using System.Text.Json;
using TypedGraph.Formats;
using TypedGraph.Tests.Support;
using static TypedGraph.Tests.Support.CliRunner;

namespace TypedGraph.Tests.Cli;

/// <summary><c>typedgraph inspect</c> and <c>typedgraph ckpt</c>, run in-process, against the fixtures.</summary>
public class CliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-cli").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    public static TheoryData<string> Folders()
    {
        var d = new TheoryData<string>();
        foreach (var f in Fixtures.Folders) d.Add(Path.GetFileName(f));
        return d;
    }

    // Every line of SOURCE.md's graph block appears verbatim in `inspect`'s text output.
    [Theory]
    [MemberData(nameof(Folders))]
    public void Inspect_PrintsSourceMdGraphSection(string folder)
    {
        var dir = Fixtures.Path(folder);
        var src = FixtureSource.Load(dir);
        var (code, output, err) = Run("inspect", src.MetaPath!);
        Assert.True(code == 0, err);
        var lines = output.Split('\n').ToHashSet();
        var md = File.ReadAllText(Path.Combine(dir, "SOURCE.md"));
        var block = md[(md.IndexOf("## Graph", StringComparison.Ordinal))..];
        block = block[(block.IndexOf("```", StringComparison.Ordinal) + 4)..];
        block = block[..block.IndexOf("```", StringComparison.Ordinal)];
        var expected = block.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(expected.Length >= 5, "SOURCE.md graph block not found");
        foreach (var line in expected) Assert.Contains(line, lines);
    }

    [Fact]
    public void Inspect_Json_HasStableCamelCaseKeys()
    {
        var (code, output, _) = Run("inspect", Fixtures.Path("mnist_fc2", "fc2.ckpt.meta"), "--json");
        Assert.Equal(0, code);
        var root = JsonDocument.Parse(output).RootElement;
        Assert.Equal("1.5.0", root.GetProperty("tensorflowVersion").GetString());
        Assert.Equal("metaGraph", root.GetProperty("kind").GetString());
        Assert.Equal(406, root.GetProperty("nodeCount").GetInt32());
        Assert.Equal(21, root.GetProperty("opCounts").GetProperty("RestoreV2").GetInt32());
        var x = root.GetProperty("placeholders")[0];
        Assert.Equal("input/x", x.GetProperty("name").GetString());
        Assert.Equal("float", x.GetProperty("dtype").GetString());
        Assert.Equal(new long[] { -1, 784 }, x.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal(21, root.GetProperty("variables").GetArrayLength());
        var saver = root.GetProperty("saver");
        Assert.Equal("save/restore_all", saver.GetProperty("restoreOpName").GetString());
        Assert.Equal(5, saver.GetProperty("maxToKeep").GetInt32());
        Assert.Equal(10000.0, saver.GetProperty("keepCheckpointEveryNHours").GetDouble());
        Assert.Contains(root.GetProperty("collections").EnumerateArray(), c => c.GetProperty("name").GetString() == "trainable_variables" && c.GetProperty("kind").GetString() == "bytesList");
        Assert.Equal(JsonValueKind.Array, root.GetProperty("unsupportedOps").ValueKind);
        var unsupported = root.GetProperty("unsupportedOps").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Equal(unsupported.Order(StringComparer.Ordinal), unsupported);
        Assert.All(unsupported, op => Assert.False(TypedGraph.Kernels.KernelRegistry.Default.IsSupported(op)));
    }

    [Fact]
    public void Inspect_FrozenGraph()
    {
        var (code, output, _) = Run("inspect", Fixtures.Path("smove_tf", "frozen_smovetf.pb"));
        Assert.Equal(0, code);
        Assert.Contains("kind: frozenGraph", output);
        Assert.Contains("placeholder: X dtype=float shape=[-1, 21]", output);
        Assert.Contains("saver_def: (none)", output);
    }

    [Fact]
    public void Inspect_SavedModel_ShowsKindTagsAndSignatures()
    {
        var meta = TypedGraph.Protos.MetaGraphDef.Parser.ParseFrom(File.ReadAllBytes(Fixtures.Path("smove_mlp", "my_test_model-1000.meta")));
        meta.MetaInfoDef.Tags.Add("serve");
        var sig = new TypedGraph.Protos.SignatureDef { MethodName = "tensorflow/serving/predict" };
        sig.Inputs.Add("x", new TypedGraph.Protos.TensorInfo { Name = "X:0", Dtype = TypedGraph.Protos.DataType.DtFloat });
        sig.Outputs.Add("o", new TypedGraph.Protos.TensorInfo { Name = "O:0", Dtype = TypedGraph.Protos.DataType.DtFloat });
        meta.SignatureDef.Add("serving_default", sig);
        var model = new TypedGraph.Protos.SavedModel { SavedModelSchemaVersion = 1 };
        model.MetaGraphs.Add(meta);
        File.WriteAllBytes(Path.Combine(_dir, "saved_model.pb"), Google.Protobuf.MessageExtensions.ToByteArray(model));

        var (code, output, err) = Run("inspect", _dir, "--json", "--tags", "serve");
        Assert.True(code == 0, err);
        var root = JsonDocument.Parse(output).RootElement;
        Assert.Equal("savedModel", root.GetProperty("kind").GetString());
        var s = root.GetProperty("signatures")[0];
        Assert.Equal("serving_default", s.GetProperty("key").GetString());
        Assert.Equal("X:0", s.GetProperty("inputs")[0].GetProperty("name").GetString());
        Assert.Equal("float", s.GetProperty("outputs")[0].GetProperty("dtype").GetString());

        (code, _, err) = Run("inspect", _dir, "--tags", "train");
        Assert.Equal(1, code);
        Assert.Contains("available tag sets: [serve]", err);
    }

    /// <summary>
    /// Each fixture's expected `ckpt` outcome, written out rather than derived from the fixture, so a fixture that lost
    /// (or gained) its checkpoint fails a test instead of quietly switching to the other branch.
    /// </summary>
    private static readonly Dictionary<string, bool> HasCheckpoint = new(StringComparer.Ordinal)
    {
        ["char_rnn_tensorarray"] = true,
        ["keras_lstm_savedmodel_tf2"] = false,
        ["mnist_cnn_meta"] = false,
        ["mnist_fc2"] = true,
        ["rnn_model"] = true,
        ["smove_mlp"] = true,
        ["smove_tf"] = true,
        ["two_tower_savedmodel_tf2"] = true,
    };

    public static TheoryData<string> CheckpointFolders()
    {
        var d = new TheoryData<string>();
        foreach (var (folder, has) in HasCheckpoint) if (has) d.Add(folder);
        return d;
    }

    public static TheoryData<string> GraphOnlyFolders()
    {
        var d = new TheoryData<string>();
        foreach (var (folder, has) in HasCheckpoint) if (!has) d.Add(folder);
        return d;
    }

    [Fact]
    public void EveryFixture_HasAnExplicitCheckpointExpectation_ThatSourceMdAgreesWith()
    {
        Assert.Equal(HasCheckpoint.Keys.Order(StringComparer.Ordinal), Fixtures.Folders.Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var (folder, has) in HasCheckpoint)
        {
            var src = FixtureSource.Load(Fixtures.Path(folder));
            Assert.True((src.CheckpointPrefix != null) == has, $"{folder}: expected {(has ? "a" : "no")} checkpoint");
            Assert.True((src.Entries.Count > 0) == has, $"{folder}: SOURCE.md entries disagree with the checkpoint files");
        }
    }

    [Theory]
    [MemberData(nameof(CheckpointFolders))]
    public void Ckpt_ListsSourceMdEntries_AndVerifies(string folder)
    {
        var src = FixtureSource.Load(Fixtures.Path(folder));
        Assert.NotNull(src.CheckpointPrefix);
        Assert.NotEmpty(src.Entries);
        var (code, output, err) = Run("ckpt", src.CheckpointPrefix!, "--verify");
        Assert.True(code == 0, err);
        foreach (var e in src.Entries)
            Assert.Contains($"{e.Name} {e.DType} [{string.Join(", ", e.Shape)}] shard={e.Shard} offset={e.Offset} size={e.Size}\n", output);
        Assert.Contains($"verified: all {src.Entries.Count} tensors match their CRC32C", output);
    }

    [Theory]
    [MemberData(nameof(GraphOnlyFolders))]
    public void Ckpt_OnAGraphOnlyFixture_IsAOneLineError(string folder)
    {
        var dir = Fixtures.Path(folder);
        var (code, output, err) = Run("ckpt", dir, "--verify");
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Single(err.TrimEnd().Split('\n'));
        Assert.Contains(dir, err);
    }

    [Theory]
    [MemberData(nameof(CheckpointFolders))]
    public void Ckpt_Resave_IsByteIdenticalToTensorFlow(string folder)
    {
        var src = FixtureSource.Load(Fixtures.Path(folder));
        Assert.Equal(1, src.NumShards); // byte identity is defined for single-shard bundles; every fixture is one
        var target = Path.Combine(_dir, folder, "copy");
        var (code, _, err) = Run("ckpt", src.CheckpointPrefix!, "--resave", target);
        Assert.True(code == 0, err);
        Assert.Equal(File.ReadAllBytes(src.CheckpointPrefix + ".index"), File.ReadAllBytes(target + ".index"));
        Assert.Equal(File.ReadAllBytes(src.CheckpointPrefix + ".data-00000-of-00001"), File.ReadAllBytes(target + ".data-00000-of-00001"));
    }

    [Fact]
    public void Ckpt_Json_ListsEntries()
    {
        var (code, output, _) = Run("ckpt", Fixtures.Path("mnist_fc2", "fc2.ckpt"), "--json");
        Assert.Equal(0, code);
        var root = JsonDocument.Parse(output).RootElement;
        Assert.Equal(1, root.GetProperty("numShards").GetInt32());
        Assert.False(root.GetProperty("verified").GetBoolean());
        var gs = root.GetProperty("tensors").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "global_step");
        Assert.Equal("int32", gs.GetProperty("dtype").GetString());
        Assert.Equal(8, gs.GetProperty("offset").GetInt64());
        Assert.Equal(4, gs.GetProperty("size").GetInt64());
        Assert.Equal(0, gs.GetProperty("shape").GetArrayLength());
        Assert.Equal(0, gs.GetProperty("shardId").GetInt32());
    }

    [Fact]
    public void Ckpt_Tensor_DumpsValues_AndWritesNpy()
    {
        var prefix = Fixtures.Path("mnist_fc2", "fc2.ckpt");
        var (code, output, _) = Run("ckpt", prefix, "--tensor", "global_step", "--json");
        Assert.Equal(0, code);
        Assert.Equal(20000, JsonDocument.Parse(output).RootElement.GetProperty("values")[0].GetInt32());

        var npy = Path.Combine(_dir, "h2b.npy");
        (code, output, _) = Run("ckpt", prefix, "--tensor", "h2/b", "--out", npy);
        Assert.Equal(0, code);
        Assert.Contains("wrote", output);
        var t = Npy.Read(npy);
        Assert.Equal(new TensorShape(25), t.Shape);
        Assert.Equal(-0.109208f, t.AsSpan<float>()[0], 5e-7f);

        (code, output, _) = Run("ckpt", prefix, "--tensor", "h1/w");
        Assert.Equal(0, code);
        Assert.StartsWith("h1/w float [784, 100]\n0.002479", output.Replace("\r", ""));
        Assert.Contains("(78400 values; use --json or --out for all)", output);
    }

    [Fact]
    public void Errors_AreOneLine_WithNonZeroExit()
    {
        var bad = Path.Combine(_dir, "bad");
        File.Copy(Fixtures.Path("smove_mlp", "my_test_model-1000.index"), bad + ".index");
        var data = File.ReadAllBytes(Fixtures.Path("smove_mlp", "my_test_model-1000.data-00000-of-00001"));
        data[5] ^= 1;
        File.WriteAllBytes(bad + ".data-00000-of-00001", data);
        var (code, output, err) = Run("ckpt", bad, "--verify");
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Single(err.TrimEnd('\n').Split('\n'));
        Assert.Contains("tensor 'W'", err);

        (code, _, err) = Run("ckpt", Fixtures.Path("mnist_fc2", "fc2.ckpt"), "--tensor", "nope");
        Assert.Equal(1, code);
        Assert.Contains("no tensor named 'nope'", err);

        (code, _, err) = Run("inspect", Fixtures.Path("smove_mlp", "checkpoint"));
        Assert.Equal(1, code);
        Assert.Contains("not a TensorFlow graph file", err);
        Assert.Single(err.TrimEnd('\n').Split('\n'));

        Assert.Equal(2, Run("ckpt").Code);
        Assert.Equal(2, Run("ckpt", "x", "--bogus").Code);
        Assert.Equal(2, Run("frobnicate").Code);
        Assert.Equal(2, Run().Code);
    }
}
