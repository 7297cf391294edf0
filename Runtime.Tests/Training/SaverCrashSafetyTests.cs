using TypedGraph.Building;
using TypedGraph.Formats;
using TypedGraph.Training;

namespace TypedGraph.Tests.Training;

/// <summary>
/// Saver crash safety (issue 9 item 5): the <c>checkpoint</c> state file is rewritten before old checkpoints are
/// deleted (TF's saver.py order), temp files of an interrupted save are removed by the next save, and a save that
/// cannot succeed writes nothing.
/// </summary>
public sealed class SaverCrashSafetyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-saver-crash-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    private static GraphBuilder Model()
    {
        var b = new GraphBuilder();
        b.Variable(Tensor.Create(new[] { 1f, 2f, 3f }, 3), "w");
        b.Variable(Tensor.FromScalar(7L), "step");
        b.GlobalVariablesInitializer();
        return b;
    }

    // Every checkpoint the state file names has its index, data and .meta on disk.
    private void AssertStateNamesOnlyCompleteCheckpoints()
    {
        var state = CheckpointState.Read(_dir)!;
        foreach (var p in state.AllModelCheckpointPaths.Append(state.ModelCheckpointPath))
        {
            var prefix = CheckpointState.Resolve(_dir, p);
            Assert.True(File.Exists(prefix + ".index"), $"state names {p}, whose index is missing");
            Assert.True(File.Exists(CheckpointReader.DataPath(prefix, 0, 1)), $"state names {p}, whose data is missing");
            Assert.True(File.Exists(prefix + ".meta"), $"state names {p}, whose .meta is missing");
            using var r = CheckpointReader.Open(prefix);
            r.VerifyAll();
        }
    }

    [Theory]
    [InlineData("data")]
    [InlineData("meta")]
    [InlineData("state")]
    [InlineData("delete")]
    public void A_failure_at_any_stage_leaves_a_state_file_naming_only_existing_checkpoints(string stage)
    {
        var b = Model();
        var saver = new Saver(b, new SaverOptions { MaxToKeep = 2 });
        using var s = new Session(b.Graph);
        s.Initialize();
        saver.Save(s, P("m"), 1);
        saver.Save(s, P("m"), 2);
        saver.FaultInjection = at => { if (at == stage) throw new IOException("killed at " + at); };
        Assert.Throws<IOException>(() => saver.Save(s, P("m"), 3));
        AssertStateNamesOnlyCompleteCheckpoints();
        var latest = Checkpoint.Latest(_dir);
        // Until the state file is written the previous save stays the latest; after it, the new one is.
        Assert.Equal(stage == "delete" ? P("m-3") : P("m-2"), latest);
        if (stage == "delete")
        {
            // The state was rewritten without m-1 before m-1's files were (not yet) deleted.
            Assert.DoesNotContain("m-1", File.ReadAllText(P("checkpoint")));
            Assert.True(File.Exists(P("m-1.index")));
        }
        saver.FaultInjection = null;
        saver.Save(s, P("m"), 4);
        AssertStateNamesOnlyCompleteCheckpoints();
        Assert.Empty(Directory.GetFiles(_dir, "*.tempstate*").Concat(Directory.GetFiles(_dir, "*.tmp*")));
    }

    [Fact]
    public void The_next_save_removes_temp_files_of_an_interrupted_save_of_the_same_path_only()
    {
        var b = Model();
        var saver = new Saver(b);
        using var s = new Session(b.Graph);
        s.Initialize();
        string hex = new('a', 32);
        string[] ours = [P("m-7.index.tempstate123"), P("m-7.data-00000-of-00001.tempstate98765"), P($"m-3.meta.tmp{hex}"), P($"checkpoint.tmp{hex}")];
        string[] foreign = [P("other-1.index.tempstate5"), P("m-notes.txt"), P("m-7.index.tempstateX")];
        foreach (var f in ours.Concat(foreign)) File.WriteAllBytes(f, new byte[100]);
        saver.Save(s, P("m"), 8);
        foreach (var f in ours) Assert.False(File.Exists(f), $"{Path.GetFileName(f)} survived the next save");
        foreach (var f in foreign) Assert.True(File.Exists(f), $"{Path.GetFileName(f)} is not ours and must stay");
    }

    [Fact]
    public void A_save_whose_meta_graph_cannot_be_exported_writes_no_file()
    {
        var b = Model();
        b.AddOperation("NoSuchOpAnywhere", [], null, "custom");
        var saver = new Saver(b);
        using var s = new Session(b.Graph);
        s.RunTargets("init");
        var e = Assert.Throws<GraphFormatException>(() => saver.Save(s, P("m"), 1));
        Assert.Contains("NoSuchOpAnywhere", e.Message);
        Assert.Empty(Directory.GetFiles(_dir));
        // Without the .meta the same save succeeds.
        saver.Save(s, P("m"), 1, writeMetaGraph: false);
        Assert.True(File.Exists(P("m-1.index")));
    }

    [Fact]
    public void A_save_with_an_uninitialized_variable_writes_no_file()
    {
        var b = Model();
        var saver = new Saver(b);
        using var s = new Session(b.Graph);
        var e = Assert.Throws<GraphExecutionException>(() => saver.Save(s, P("m"), 1));
        Assert.Contains("not initialized", e.Message);
        Assert.Empty(Directory.GetFiles(_dir));
    }
}
