using System.Diagnostics;
using Xunit.Abstractions;

namespace TypedGraph.Tests.Training;

/// <summary>
/// kill -9 during saves (issue 9): a child process (tools/SaveKillProbe) saves a checkpoint in a loop with max_to_keep 3
/// and is killed with SIGKILL at random points — between saves and inside them. After every kill the <c>checkpoint</c>
/// state file must name only complete checkpoints (index, data and .meta present, every CRC32C right, and the values the
/// child wrote for that step), and temp files a kill left behind must be gone once the next run has completed a save.
/// CI runs a few kills; <c>TYPEDGRAPH_SAVE_KILLS=100</c> (tools/kill-saves.sh) runs the long version.
/// </summary>
public sealed class SaverKillTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-saver-kill-").FullName;
    private static readonly TimeSpan LineTimeout = TimeSpan.FromSeconds(180);

    private static int Kills => int.TryParse(Environment.GetEnvironmentVariable("TYPEDGRAPH_SAVE_KILLS"), out var n) && n > 0 ? n : 6;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Probe()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "TypedGraph.SaveKillProbe.dll");
        Assert.True(File.Exists(path), $"{path} not built next to the tests");
        return path;
    }

    private Process Start(params string[] extra)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Probe(), _dir }.Concat(extra)) start.ArgumentList.Add(a);
        var p = Process.Start(start)!;
        p.ErrorDataReceived += (_, _) => { };
        p.BeginErrorReadLine();
        return p;
    }

    /// <summary>The next "saved N" line of the child; N.</summary>
    private static long NextSaved(Process p)
    {
        var line = p.StandardOutput.ReadLineAsync().WaitAsync(LineTimeout).GetAwaiter().GetResult();
        Assert.True(line != null && line.StartsWith("saved ", StringComparison.Ordinal), $"probe printed '{line}' (exit {(p.HasExited ? p.ExitCode : "-")})");
        return long.Parse(line![6..], System.Globalization.CultureInfo.InvariantCulture);
    }

    private HashSet<string> TempFiles()
        => Directory.GetFiles(_dir).Where(f => f.Contains(".tempstate", StringComparison.Ordinal) || f.Contains(".tmp", StringComparison.Ordinal)).ToHashSet();

    /// <summary>Every checkpoint the state file names is complete and holds the values of its step; returns the newest step.</summary>
    private long AssertStateNamesOnlyCompleteCheckpoints()
    {
        var state = CheckpointState.Read(_dir);
        Assert.NotNull(state); // at least one save completed before every kill
        Assert.Equal(state!.ModelCheckpointPath, state.AllModelCheckpointPaths[^1]);
        Assert.InRange(state.AllModelCheckpointPaths.Count, 1, 3);
        long newest = 0;
        foreach (var p in state.AllModelCheckpointPaths)
        {
            var prefix = CheckpointState.Resolve(_dir, p);
            Assert.True(File.Exists(prefix + ".index"), $"state names {p}, whose index is missing");
            Assert.True(File.Exists(CheckpointReader.DataPath(prefix, 0, 1)), $"state names {p}, whose data is missing");
            Assert.True(File.Exists(prefix + ".meta"), $"state names {p}, whose .meta is missing");
            long step = long.Parse(prefix[(prefix.LastIndexOf('-') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            using var r = CheckpointReader.Open(prefix);
            r.VerifyAll();
            Assert.Equal(step, r.Read("step").Scalar<long>());
            var w = r.Read("w").ToArray<float>();
            Assert.True(w.All(v => v == step), $"{p}: w is not all {step}");
            Assert.True(step > newest, "the state file lists checkpoints oldest first");
            newest = step;
        }
        return newest;
    }

    [Fact]
    public void KilledSaves_NeverLeaveAStateFileNamingAMissingCheckpoint_AndTheNextSaveRemovesTheirTempFiles()
    {
        Assert.True(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "Process.Kill is SIGKILL only on POSIX");
        var rng = new Random(20261203);
        var leftovers = new HashSet<string>();
        int killsLeavingTempFiles = 0, saves = 0;
        long newest = 0;
        for (int k = 0; k < Kills; k++)
        {
            using var p = Start();
            long reported;
            try
            {
                // The run restored the newest listed checkpoint and continues right after it.
                reported = NextSaved(p);
                Assert.Equal(newest + 1, reported);
                saves++;
                foreach (var f in leftovers) Assert.False(File.Exists(f), $"run {k}: temp file {Path.GetFileName(f)} of the previous kill survived a save");
                for (int more = rng.Next(0, 4); more > 0; more--) { reported = NextSaved(p); saves++; }
                Thread.Sleep(rng.Next(0, 40)); // land anywhere in the next save (or between two)
            }
            finally
            {
                if (!p.HasExited) p.Kill();
                p.WaitForExit();
            }
            // Saves the child finished while we slept are still in the pipe: the last line is the last save it reported.
            foreach (var line in p.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                Assert.StartsWith("saved ", line);
                reported = long.Parse(line[6..], System.Globalization.CultureInfo.InvariantCulture);
                saves++;
            }
            newest = AssertStateNamesOnlyCompleteCheckpoints();
            // Every reported save had rewritten the state file; at most one more can have done so before the kill.
            Assert.InRange(newest, reported, reported + 1);
            leftovers = TempFiles();
            if (leftovers.Count > 0) killsLeavingTempFiles++;
        }
        // One clean run of a single save: every temp file of every kill is gone and the state is still consistent.
        using (var last = Start("1"))
        {
            NextSaved(last);
            Assert.True(last.WaitForExit(TimeSpan.FromSeconds(120)), "the one-save run did not exit");
            Assert.Equal(0, last.ExitCode);
        }
        Assert.Empty(TempFiles());
        AssertStateNamesOnlyCompleteCheckpoints();
        output.WriteLine($"{Kills} kills, {saves} saves reported before them, {killsLeavingTempFiles} kills left temp files (all removed by the next save)");
    }
}
