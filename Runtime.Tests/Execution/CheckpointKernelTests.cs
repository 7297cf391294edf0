using TypedGraph.Formats;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using static TypedGraph.Tests.Support.ExecGraph;

namespace TypedGraph.Tests.Execution;

/// <summary>Sharded save (ShardedFilename + StringJoin + SaveV2 per shard + MergeV2Checkpoints) and sliced restore, as TF's sharded Saver wires them.</summary>
public class CheckpointKernelTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-ckpt-ops").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static Tensor Strings(params string[] s) => Tensor.FromStrings(s);

    [Fact]
    public void ShardedSaveMergeAndSlicedRestore()
    {
        var g = new ExecGraph();
        g.Placeholder("prefix", DataType.DtString, []);
        g.Const("a", Tensor.Create(Enumerable.Range(0, 12).Select(i => (float)i).ToArray(), 4, 3));
        g.Const("b", Tensor.Create(new long[] { 7, 8 }));
        g.Const("tmp_suffix", Tensor.FromString("_temp_0123/part"));
        g.Op("StringJoin", "StringJoin", ["prefix", "tmp_suffix"], ("N", Int(2)), ("separator", Str("")));
        g.Const("num_shards", Tensor.FromScalar(2));
        g.Const("shard0", Tensor.FromScalar(0));
        g.Const("shard1", Tensor.FromScalar(1));
        g.Op("ShardedFilename", "ShardedFilename", ["StringJoin", "shard0", "num_shards"]);
        g.Op("ShardedFilename_1", "ShardedFilename", ["StringJoin", "shard1", "num_shards"]);
        g.Const("names0", Strings("a"));
        g.Const("names1", Strings("b"));
        g.Const("slices", Strings(""));
        g.Op("SaveV2", "SaveV2", ["ShardedFilename", "names0", "slices", "a"], ("dtypes", Types(DataType.DtFloat)));
        g.Op("SaveV2_1", "SaveV2", ["ShardedFilename_1", "names1", "slices", "b"], ("dtypes", Types(DataType.DtInt64)));
        g.Op("control_dependency", "Identity", ["ShardedFilename", "^SaveV2"], T(DataType.DtString));
        g.Op("control_dependency_1", "Identity", ["ShardedFilename_1", "^SaveV2_1"], T(DataType.DtString));
        g.Op("checkpoint_prefixes", "Pack", ["control_dependency", "control_dependency_1"], ("N", Int(2)), ("axis", Int(0)), T(DataType.DtString));
        g.Op("MergeV2Checkpoints", "MergeV2Checkpoints", ["checkpoint_prefixes", "prefix"], ("delete_old_dirs", Bool(true)));
        g.Op("Identity", "Identity", ["prefix", "^MergeV2Checkpoints"], T(DataType.DtString));
        // restore: a's rows 1..2 via a slice spec, b whole
        g.Const("rnames", Strings("a", "b"));
        g.Const("rslices", Strings("4 3 1,2:-", ""));
        g.Op("RestoreV2", "RestoreV2", ["prefix", "rnames", "rslices"], ("dtypes", Types(DataType.DtFloat, DataType.DtInt64)));
        g.Const("ask", Strings("s3://bucket/x", "/tmp/x"));
        g.Op("is_s3", "StaticRegexFullMatch", ["ask"], ("pattern", Str("^s3://.*")));

        using var s = new Session(g.Graph, new SessionOptions { Registry = TestKernels.Create() });
        var prefix = Path.Combine(_dir, "model-5");
        var saved = s.Run("Identity:0", ("prefix", Tensor.FromString(prefix)));
        Assert.Equal(prefix, System.Text.Encoding.UTF8.GetString(saved.Strings[0]));
        Assert.True(File.Exists(prefix + ".index"));
        Assert.True(File.Exists(prefix + ".data-00000-of-00002"));
        Assert.True(File.Exists(prefix + ".data-00001-of-00002"));
        Assert.False(Directory.Exists(prefix + "_temp_0123"), "the temp shard folder is removed");
        using (var reader = CheckpointReader.Open(prefix))
            Assert.Equal(["a", "b"], reader.Entries.Select(e => e.Name));

        var restored = s.Run(["RestoreV2:0", "RestoreV2:1"], new Dictionary<string, Tensor> { ["prefix"] = Tensor.FromString(prefix) });
        Assert.Equal(new TensorShape(2, 3), restored[0].Shape);
        Assert.Equal([3f, 4, 5, 6, 7, 8], restored[0].ToArray<float>());
        Assert.Equal([7L, 8L], restored[1].ToArray<long>());
        Assert.Equal([true, false], s.Run("is_s3:0").ToArray<bool>());
    }

    [Fact]
    public void RestoreV2ReportsMissingKeysAndWrongDtypes()
    {
        var g = new ExecGraph();
        g.Const("prefix", Tensor.FromString(Fixtures.Path("smove_mlp", "my_test_model-1000")));
        g.Const("names", Strings("V"));
        g.Const("names_w", Strings("W"));
        g.Const("slices", Strings(""));
        g.Op("missing", "RestoreV2", ["prefix", "names", "slices"], ("dtypes", Types(DataType.DtFloat)));
        g.Op("wrong", "RestoreV2", ["prefix", "names_w", "slices"], ("dtypes", Types(DataType.DtInt32)));
        using var s = new Session(g.Graph, new SessionOptions { Registry = TestKernels.Create() });
        Assert.Contains("Key V not found", Assert.Throws<GraphExecutionException>(() => s.Run("missing:0")).Message);
        var ex = Assert.Throws<GraphExecutionException>(() => s.Run("wrong:0"));
        Assert.Contains("float32", ex.Message);
        Assert.Contains("int32", ex.Message);
    }
}
