using TypedGraph.Building;
using TypedGraph.Formats;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using TypedGraph.Training;

namespace TypedGraph.Tests.Training;

public sealed class SaverTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-saver-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (GraphBuilder B, Variable Bias, Output Op) Tutorial(float bias = 2f)
    {
        var b = new GraphBuilder();
        var w1 = b.Placeholder(DataType.DtFloat, null, "w1");
        var w2 = b.Placeholder(DataType.DtFloat, null, "w2");
        var v = b.Variable(Tensor.FromScalar(bias), "bias");
        var op = b.Multiply(b.Add(w1, w2), v.Snapshot, "op_to_restore");
        b.GlobalVariablesInitializer();
        return (b, v, op);
    }

    private string P(string name) => Path.Combine(_dir, name);

    private string StateText() => File.ReadAllText(P("checkpoint"));

    [Fact]
    public void Tutorial_save_with_global_step_writes_TF_files_and_restores()
    {
        var (b, _, op) = Tutorial();
        var saver = new Saver(b);
        using var s = new Session(b.Graph);
        s.Initialize();
        var prefix = saver.Save(s, P("my_test_model"), globalStep: 1000);
        Assert.Equal(P("my_test_model-1000"), prefix);
        Assert.True(File.Exists(prefix + ".index"));
        Assert.True(File.Exists(prefix + ".data-00000-of-00001"));
        Assert.True(File.Exists(prefix + ".meta"));
        // Absolute save dir → absolute paths, exactly TF's two lines.
        Assert.Equal($"model_checkpoint_path: \"{prefix}\"\nall_model_checkpoint_paths: \"{prefix}\"\n", StateText());
        using (var r = CheckpointReader.Open(prefix)) Assert.Equal(2f, r.Read("bias").Scalar<float>());
        Assert.Equal(prefix, Checkpoint.Latest(_dir));

        // Restore into a fresh session over the re-imported .meta: (4 + 8) * 2 = 24.
        var meta = MetaGraphDef.Parser.ParseFrom(File.ReadAllBytes(prefix + ".meta"));
        var b2 = GraphBuilder.FromMetaGraph(meta);
        var restorer = Saver.FromSaverDef(b2, meta.SaverDef);
        using var s2 = new Session(b2.Graph);
        restorer.Restore(s2, _dir);
        Assert.Equal(24f, s2.Run(op.Name, ("w1:0", Tensor.FromScalar(4f)), ("w2:0", Tensor.FromScalar(8f))).Scalar<float>());
    }

    [Fact]
    public void Relative_paths_are_stored_when_requested()
    {
        var (b, _, _) = Tutorial();
        var saver = new Saver(b, new SaverOptions { SaveRelativePaths = true });
        using var s = new Session(b.Graph);
        s.Initialize();
        saver.Save(s, P("model"), 7);
        Assert.Equal("model_checkpoint_path: \"model-7\"\nall_model_checkpoint_paths: \"model-7\"\n", StateText());
        Assert.Equal(P("model-7"), Checkpoint.Latest(_dir));
    }

    [Fact]
    public void A_relative_save_dir_stores_relative_paths_and_pad_step_number_pads_to_8_digits()
    {
        var (b, _, _) = Tutorial();
        var saver = new Saver(b, new SaverOptions { PadStepNumber = true });
        using var s = new Session(b.Graph);
        s.Initialize();
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, P("model"));
        Assert.False(Path.IsPathRooted(relative));
        var prefix = saver.Save(s, relative, 1000);
        Assert.Equal(relative + "-00001000", prefix);
        Assert.True(File.Exists(P("model-00001000.index")));
        Assert.Equal("model_checkpoint_path: \"model-00001000\"\nall_model_checkpoint_paths: \"model-00001000\"\n", StateText());
    }

    [Fact]
    public void Max_to_keep_deletes_the_oldest_files_and_updates_checkpoint_after_each_save()
    {
        var (b, _, _) = Tutorial();
        var saver = new Saver(b, new SaverOptions { MaxToKeep = 2, SaveRelativePaths = true });
        using var s = new Session(b.Graph);
        s.Initialize();
        var expected = new[]
        {
            "model_checkpoint_path: \"m-1\"\nall_model_checkpoint_paths: \"m-1\"\n",
            "model_checkpoint_path: \"m-2\"\nall_model_checkpoint_paths: \"m-1\"\nall_model_checkpoint_paths: \"m-2\"\n",
            "model_checkpoint_path: \"m-3\"\nall_model_checkpoint_paths: \"m-2\"\nall_model_checkpoint_paths: \"m-3\"\n",
            "model_checkpoint_path: \"m-4\"\nall_model_checkpoint_paths: \"m-3\"\nall_model_checkpoint_paths: \"m-4\"\n",
        };
        for (int step = 1; step <= 4; step++)
        {
            saver.Save(s, P("m"), step);
            Assert.Equal(expected[step - 1], StateText());
        }
        var files = Directory.GetFiles(_dir).Select(Path.GetFileName).Where(f => f != "checkpoint").Order(StringComparer.Ordinal);
        Assert.Equal(["m-3.data-00000-of-00001", "m-3.index", "m-3.meta", "m-4.data-00000-of-00001", "m-4.index", "m-4.meta"], files);
        Assert.Equal([P("m-3"), P("m-4")], saver.LastCheckpoints);
    }

    [Fact]
    public void Max_to_keep_zero_keeps_every_file_and_lists_only_the_latest()
    {
        var (b, _, _) = Tutorial();
        var saver = new Saver(b, new SaverOptions { MaxToKeep = 0, SaveRelativePaths = true });
        using var s = new Session(b.Graph);
        s.Initialize();
        for (int step = 1; step <= 3; step++) saver.Save(s, P("m"), step);
        Assert.Equal("model_checkpoint_path: \"m-3\"\nall_model_checkpoint_paths: \"m-3\"\n", StateText());
        Assert.Equal(3, Directory.GetFiles(_dir, "*.index").Length);
    }

    [Fact]
    public void Keep_checkpoint_every_n_hours_preserves_old_checkpoints()
    {
        var now = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var (b, _, _) = Tutorial();
        var saver = new Saver(b, new SaverOptions { MaxToKeep = 1, KeepCheckpointEveryNHours = 1, SaveRelativePaths = true, Clock = () => now });
        using var s = new Session(b.Graph);
        s.Initialize();
        saver.Save(s, P("m"), 1);                 // t = 0:00
        now = now.AddMinutes(30); saver.Save(s, P("m"), 2);  // m-1 (0:00, not after 1:00) is deleted
        now = now.AddMinutes(45); saver.Save(s, P("m"), 3);  // m-2 saved at 0:30: deleted
        now = now.AddMinutes(30); saver.Save(s, P("m"), 4);  // m-3 saved at 1:15 > 1:00: preserved
        var kept = Directory.GetFiles(_dir, "*.index").Select(Path.GetFileName).Order(StringComparer.Ordinal);
        Assert.Equal(["m-3.index", "m-4.index"], kept);
        Assert.Equal("model_checkpoint_path: \"m-4\"\nall_model_checkpoint_paths: \"m-4\"\n", StateText());
    }

    [Fact]
    public void Write_meta_graph_false_writes_no_meta()
    {
        var (b, _, _) = Tutorial();
        var saver = new Saver(b);
        using var s = new Session(b.Graph);
        s.Initialize();
        var prefix = saver.Save(s, P("m"), writeMetaGraph: false);
        Assert.Equal(P("m"), prefix);
        Assert.False(File.Exists(prefix + ".meta"));
        Assert.True(File.Exists(prefix + ".index"));
    }

    [Fact]
    public void Var_list_saves_only_some_variables_and_var_map_renames()
    {
        var b = new GraphBuilder();
        var a = b.Variable(Tensor.Create(new[] { 1f, 2f }, 2), "a");
        var c = b.Variable(Tensor.Create(new[] { 3f }, 1), "c");
        b.GlobalVariablesInitializer();
        using var s = new Session(b.Graph);
        s.Initialize();
        var only = new Saver(b, new SaverOptions { VarList = [c] }).Save(s, P("only_c"));
        using (var r = CheckpointReader.Open(only)) Assert.Equal(["c"], r.Entries.Select(e => e.Name));
        var mapped = new Saver(b, new SaverOptions { VarMap = new Dictionary<string, Variable> { ["layer/weights"] = a } }).Save(s, P("mapped"));
        using (var r = CheckpointReader.Open(mapped))
        {
            Assert.Equal(["layer/weights"], r.Entries.Select(e => e.Name));
            Assert.Equal([1f, 2f], r.Read("layer/weights").ToArray<float>());
        }

        // Restore into a differently built graph by name mapping.
        var b2 = new GraphBuilder();
        var w = b2.Variable([2], new ZerosInitializer(), "w");
        b2.GlobalVariablesInitializer();
        using var s2 = new Session(b2.Graph);
        s2.Initialize();
        new Saver(b2, new SaverOptions { VarMap = new Dictionary<string, Variable> { ["layer/weights"] = w } }).Restore(s2, mapped);
        Assert.Equal([1f, 2f], s2.Run("w/read:0").ToArray<float>());
    }

    [Fact]
    public void Restore_lists_every_missing_and_mismatched_name()
    {
        var b = new GraphBuilder();
        b.Variable(Tensor.Create(new[] { 1f, 2f }, 2), "a");
        using var s = new Session(b.Graph);
        s.Initialize();
        var prefix = new Saver(b).Save(s, P("m"));
        var b2 = new GraphBuilder();
        b2.Variable([3], new ZerosInitializer(), "a");
        b2.Variable([1], new ZerosInitializer(), "extra");
        b2.Variable([], new ZerosInitializer(), "other", DataType.DtInt32);
        using var s2 = new Session(b2.Graph);
        var e = Assert.Throws<CheckpointFormatException>(() => new Saver(b2).Restore(s2, prefix));
        Assert.Contains("cannot restore 3 of 3", e.Message);
        Assert.Contains("'a' has shape [2] in the checkpoint but variable 'a' has shape [3]", e.Message);
        Assert.Contains("'extra' (variable 'extra') is not in the checkpoint", e.Message);
        Assert.Contains("'other' (variable 'other') is not in the checkpoint", e.Message);
        Assert.Null(s2.State.FindVariable("a")?.Value); // nothing assigned
    }

    [Fact]
    public void A_crash_before_the_state_file_leaves_checkpoint_pointing_at_the_previous_save()
    {
        var (b, _, _) = Tutorial();
        var saver = new Saver(b, new SaverOptions { SaveRelativePaths = true });
        using var s = new Session(b.Graph);
        s.Initialize();
        saver.Save(s, P("m"), 1);
        var before = StateText();
        saver.FaultInjection = stage => { if (stage == "state") throw new IOException("disk full"); };
        Assert.Throws<IOException>(() => saver.Save(s, P("m"), 2));
        Assert.Equal(before, StateText());
        Assert.Equal(P("m-1"), Checkpoint.Latest(_dir));

        saver.FaultInjection = stage => { if (stage == "data") throw new IOException("crash mid-write"); };
        Assert.Throws<IOException>(() => saver.Save(s, P("m"), 3));
        Assert.False(File.Exists(P("m-3.index")));
        Assert.Empty(Directory.GetFiles(_dir, "m-3*"));
        Assert.Equal(before, StateText());
    }

    [Fact]
    public void A_crash_during_the_meta_rename_leaves_no_meta_and_no_temp_file()
    {
        var (b, _, _) = Tutorial();
        var saver = new Saver(b);
        using var s = new Session(b.Graph);
        s.Initialize();
        AtomicFile.BeforeRename = p => { if (p.EndsWith("x-5.meta", StringComparison.Ordinal)) throw new IOException("crash"); };
        try
        {
            Assert.Throws<IOException>(() => saver.Save(s, P("x"), 5));
        }
        finally
        {
            AtomicFile.BeforeRename = null;
        }
        Assert.False(File.Exists(P("x-5.meta")));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp*"));
        Assert.False(File.Exists(P("checkpoint")));
    }

    [Fact]
    public void Progress_is_reported_per_tensor_for_save_and_restore()
    {
        var b = new GraphBuilder();
        b.Variable(Tensor.Create(new[] { 1f, 2f }, 2), "a");
        b.Variable(Tensor.Create(new[] { 3f }, 1), "b");
        using var s = new Session(b.Graph);
        s.Initialize();
        var saver = new Saver(b);
        var reports = new List<CheckpointProgress>();
        var progress = new SyncProgress(reports.Add);
        var prefix = saver.Save(s, P("m"), progress: progress);
        saver.Restore(s, prefix, progress);
        Assert.Equal([("save", "a", 1, 8L), ("save", "b", 2, 12L), ("restore", "a", 1, 8L), ("restore", "b", 2, 12L)],
            reports.Select(r => (r.Stage, r.TensorName, r.Done, r.Bytes)));
        Assert.All(reports, r => Assert.Equal(2, r.Total));
    }

    [Fact]
    public void Imported_TF_graph_restores_TF_checkpoint_through_its_own_saver_def()
    {
        var meta = MetaGraphDef.Parser.ParseFrom(File.ReadAllBytes(Fixtures.Path("smove_mlp", "my_test_model-1000.meta")));
        var b = GraphBuilder.FromMetaGraph(meta);
        var saver = Saver.FromSaverDef(b, meta.SaverDef);
        Assert.Equal(["W"], saver.Variables.Select(kv => kv.Key));
        using var s = new Session(b.Graph);
        saver.Restore(s, Fixtures.Path("smove_mlp"));
        var w = s.Run("W/read:0").ToArray<float>();
        Assert.Equal(-0.000111f, w[0], 6);
        Assert.Equal(-0.001877f, w[1], 6);
        var again = saver.Save(s, P("again"), 1000);
        using var r = CheckpointReader.Open(again);
        Assert.Equal(w, r.Read("W").ToArray<float>());
        // The .meta we re-export keeps TF's SaverDef and collections.
        var back = MetaGraphDef.Parser.ParseFrom(File.ReadAllBytes(again + ".meta"));
        Assert.Equal(meta.SaverDef, back.SaverDef);
        Assert.Equal(meta.CollectionDef.Keys.Order(), back.CollectionDef.Keys.Order());
        Assert.Equal("1.4.1", back.MetaInfoDef.TensorflowVersion);
    }

    [Fact]
    public void The_graphs_own_save_and_restore_ops_work_like_TFs()
    {
        // sess.run(saver_def.save_tensor_name, {filename_tensor_name: prefix}) and the restore op, as TF clients do.
        var (b, bias, _) = Tutorial(bias: 5f);
        var saver = new Saver(b);
        using var s = new Session(b.Graph);
        s.Initialize();
        var prefix = P("graph_saved");
        var written = s.Run(saver.SaverDef.SaveTensorName, (saver.SaverDef.FilenameTensorName, Tensor.FromString(prefix)));
        Assert.Equal(prefix, System.Text.Encoding.UTF8.GetString(written.Strings[0]));
        using (var r = CheckpointReader.Open(prefix)) Assert.Equal(5f, r.Read("bias").Scalar<float>());
        using var s2 = new Session(b.Graph);
        s2.Run([], new Dictionary<string, Tensor> { [saver.SaverDef.FilenameTensorName] = Tensor.FromString(prefix) }, [saver.SaverDef.RestoreOpName]);
        Assert.Equal(5f, s2.Run(bias.Snapshot.Name).Scalar<float>());
        using var s3 = new Session(b.Graph);
        s3.Restore(prefix, saver.SaverDef); // the executor's Session.Restore over our SaverDef
        Assert.Equal(5f, s3.Run(bias.Snapshot.Name).Scalar<float>());
    }

    private sealed class SyncProgress(Action<CheckpointProgress> report) : IProgress<CheckpointProgress>
    {
        public void Report(CheckpointProgress value) => report(value);
    }
}
