using Spectre.Console;

namespace TypedGraph.Cli.Commands;

/// <summary>
/// A progress bar on stderr for long checkpoint work (verify, re-save), shown only when stderr is a
/// terminal and the work is large, so redirected output, JSON and tests stay clean.
/// </summary>
internal static class ProgressDisplay
{
    /// <summary>Below this many bytes the work is too quick for a bar.</summary>
    public const long MinimumBytes = 64L * 1024 * 1024;

    /// <summary>Runs <paramref name="work"/>, which reports bytes done, under a bar of <paramref name="totalBytes"/>.</summary>
    public static void Run(string description, long totalBytes, Action<IProgress<long>?> work)
        => Run(description, totalBytes, MinimumBytes, work);

    /// <summary>Runs <paramref name="work"/>, which reports units done (rows, bytes…), under a bar of <paramref name="total"/>
    /// units when stderr is a terminal and <paramref name="total"/> is at least <paramref name="minimum"/>.</summary>
    public static void Run(string description, long total, long minimum, Action<IProgress<long>?> work)
    {
        long totalBytes = total;
        if (Console.IsErrorRedirected || total < minimum)
        {
            work(null);
            return;
        }
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        console.Progress().AutoClear(true).Start(ctx =>
        {
            var task = ctx.AddTask(description, maxValue: totalBytes);
            work(new Sync(v => task.Value = v));
        });
    }

    // Progress<T> would post to the thread pool; the bar wants the value now.
    private sealed class Sync(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
