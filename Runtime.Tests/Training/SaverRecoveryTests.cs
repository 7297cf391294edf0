using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Training;

namespace TypedGraph.Tests.Training;

/// <summary>
/// <see cref="Saver.RecoverLastCheckpoints"/> after a restart, as TF's <c>recover_last_checkpoints</c>: the tracked list is
/// replaced by the checkpoints that exist, timed by their files' mtime, so max_to_keep and keep_checkpoint_every_n_hours
/// apply to what an earlier process wrote.
/// </summary>
public sealed class SaverRecoveryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-saver-recover-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    private static GraphBuilder Model()
    {
        var b = new GraphBuilder();
        b.Variable(Tensor.FromScalar(2f), "bias");
        b.GlobalVariablesInitializer();
        return b;
    }

    private string[] IndexFiles() => Directory.GetFiles(_dir, "*.index").Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void Recovered_checkpoints_count_toward_max_to_keep_and_missing_ones_are_skipped()
    {
        var b = Model();
        using var s = new Session(b.Graph);
        s.Initialize();
        var first = new Saver(b, new SaverOptions { MaxToKeep = 10, SaveRelativePaths = true });
        for (int step = 1; step <= 3; step++) first.Save(s, P("m"), step);

        // A new process: a fresh saver knows nothing until told what the previous one wrote.
        var second = new Saver(b, new SaverOptions { MaxToKeep = 2, SaveRelativePaths = true });
        Assert.Empty(second.LastCheckpoints);
        second.RecoverLastCheckpoints([P("m-1"), P("m-2"), P("m-gone"), P("m-3")]);
        Assert.Equal([P("m-1"), P("m-2"), P("m-3")], second.LastCheckpoints);

        second.Save(s, P("m"), 4);
        Assert.Equal(["m-3.index", "m-4.index"], IndexFiles());
        Assert.False(File.Exists(P("m-1.meta")));
        Assert.Equal([P("m-3"), P("m-4")], second.LastCheckpoints);
        Assert.Equal("model_checkpoint_path: \"m-4\"\nall_model_checkpoint_paths: \"m-3\"\nall_model_checkpoint_paths: \"m-4\"\n",
            File.ReadAllText(P("checkpoint")));

        // Recovering replaces the list rather than appending to it.
        second.RecoverLastCheckpoints([P("m-4")]);
        Assert.Equal([P("m-4")], second.LastCheckpoints);
    }

    [Fact]
    public void Recovered_checkpoints_are_timed_by_their_index_file_for_keep_checkpoint_every_n_hours()
    {
        var b = Model();
        using var s = new Session(b.Graph);
        s.Initialize();
        var writer = new Saver(b, new SaverOptions { MaxToKeep = 10, SaveRelativePaths = true });
        writer.Save(s, P("m"), 1);
        writer.Save(s, P("m"), 2);
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        // m-1 was written 90 minutes after the new saver's start, m-2 at its start: with one kept checkpoint per hour,
        // m-1 (after the 1:00 mark) is preserved when pushed out and m-2 is deleted — only the files' times can tell.
        File.SetLastWriteTimeUtc(P("m-1.index"), start.AddMinutes(90).UtcDateTime);
        File.SetLastWriteTimeUtc(P("m-2.index"), start.UtcDateTime);
        var now = start;
        var saver = new Saver(b, new SaverOptions { MaxToKeep = 1, KeepCheckpointEveryNHours = 1, SaveRelativePaths = true, Clock = () => now });
        saver.RecoverLastCheckpoints([P("m-1"), P("m-2")]);
        now = start.AddHours(2);
        saver.Save(s, P("m"), 3);
        Assert.Equal(["m-1.index", "m-3.index"], IndexFiles());
        Assert.Equal([P("m-3")], saver.LastCheckpoints);
    }
}
