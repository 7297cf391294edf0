using TypedGraph.Tests.Support;
using CheckpointState = TypedGraph.Formats.CheckpointState;

namespace TypedGraph.Tests.Formats;

public class CheckpointStateTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-state").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void Write_ProducesTfTextLayout_AndReadsBack()
    {
        var s = new CheckpointState { ModelCheckpointPath = "model-5000" };
        s.AllModelCheckpointPaths.AddRange(["model-4000", "model-5000"]);
        s.Write(_dir);
        Assert.Equal("model_checkpoint_path: \"model-5000\"\nall_model_checkpoint_paths: \"model-4000\"\nall_model_checkpoint_paths: \"model-5000\"\n",
            File.ReadAllText(Path.Combine(_dir, "checkpoint")));
        Assert.Single(Directory.GetFiles(_dir)); // the temp file was renamed away
        var back = CheckpointState.Read(_dir)!;
        Assert.Equal(["model-4000", "model-5000"], back.AllModelCheckpointPaths);
        Assert.Null(back.LastPreservedTimestamp);
    }

    [Fact]
    public void Timestamps_AndEscapes_RoundTrip()
    {
        var s = new CheckpointState { ModelCheckpointPath = "dir with \"quotes\"/m\u00e9-1", LastPreservedTimestamp = 1600000000 };
        s.AllModelCheckpointPaths.Add(s.ModelCheckpointPath);
        s.AllModelCheckpointTimestamps.Add(1600000000.123456);
        var text = s.ToText();
        Assert.Contains("model_checkpoint_path: \"dir with \\\"quotes\\\"/m\\303\\251-1\"\n", text);
        Assert.Contains("all_model_checkpoint_timestamps: 1600000000.123456\n", text);
        Assert.EndsWith("last_preserved_timestamp: 1600000000.0\n", text);
        var back = CheckpointState.Parse(text, "mem");
        Assert.Equal(s.ModelCheckpointPath, back.ModelCheckpointPath);
        Assert.Equal(1600000000.123456, back.AllModelCheckpointTimestamps[0]);
        Assert.Equal(1600000000.0, back.LastPreservedTimestamp);
    }

    [Fact]
    public void Latest_AcceptsAbsolutePaths()
    {
        var prefix = Fixtures.Path("smove_tf", "smovetf.ckpt");
        new CheckpointState { ModelCheckpointPath = prefix }.Write(_dir);
        Assert.Equal(prefix, Checkpoint.Latest(_dir));
        Assert.Equal(prefix, Checkpoint.ResolvePrefix(_dir));
    }

    [Fact]
    public void ResolvePrefix_FindsASavedModelsVariables()
    {
        var vars = Path.Combine(_dir, "variables", "variables");
        using (var w = new TypedGraph.Formats.CheckpointWriter(vars))
        {
            w.Add("W", Tensor.FromScalar(1f));
            w.Finish();
        }
        Assert.Equal(vars, Checkpoint.ResolvePrefix(_dir));
    }

    [Fact]
    public void ResolvePrefix_AcceptsIndexAndDataPaths()
    {
        var prefix = Fixtures.Path("smove_tf", "smovetf.ckpt");
        Assert.Equal(prefix, Checkpoint.ResolvePrefix(prefix + ".index"));
        Assert.Equal(prefix, Checkpoint.ResolvePrefix(prefix + ".data-00000-of-00001"));
        Assert.Equal(prefix, Checkpoint.ResolvePrefix(prefix));
        Assert.Equal(prefix, Checkpoint.ResolvePrefix(prefix + ".meta"));
        Assert.Equal("dir/model-1000.meta", Checkpoint.MetaGraphPath("dir/model-1000"));
        Assert.Equal("dir/model.meta", Checkpoint.MetaGraphPath("dir/model-00000-of-00002"));
    }
}
