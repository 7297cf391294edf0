namespace TypedGraph.Tests.Fuzz;

/// <summary>
/// A few seconds of <see cref="MutationFuzzer"/> per target on every CI run (fixed seed: reproducible): no untyped
/// exception, no slow input. The long campaign runs the same code with <c>TYPEDGRAPH_FUZZ_SECONDS</c> (and optionally
/// <c>TYPEDGRAPH_FUZZ_MAX_INPUTS</c>) set (tools/fuzz.sh; results in docs/reliability.md).
/// </summary>
public sealed class FuzzSmokeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-fuzz-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static double Seconds => double.TryParse(Environment.GetEnvironmentVariable("TYPEDGRAPH_FUZZ_SECONDS"), System.Globalization.CultureInfo.InvariantCulture, out var s) && s > 0 ? s : 0.5;

    private static readonly string[] s_allTargets = ["graph", "index", "data", "checkpoint-state", "npy", "session", "example", "tfrecord"];

    /// <summary>Every target, or those named in <c>TYPEDGRAPH_FUZZ_TARGETS</c> (comma-separated; tools/fuzz.sh runs a
    /// campaign one target at a time).</summary>
    public static TheoryData<string> TargetNames
    {
        get
        {
            var only = Environment.GetEnvironmentVariable("TYPEDGRAPH_FUZZ_TARGETS")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var data = new TheoryData<string>();
            foreach (var t in s_allTargets.Where(t => only is not { Length: > 0 } || only.Contains(t))) data.Add(t);
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(TargetNames))]
    public void Mutated_inputs_parse_or_fail_with_a_typed_error(string target)
    {
        var findings = Environment.GetEnvironmentVariable("TYPEDGRAPH_FUZZ_FINDINGS");
        // TYPEDGRAPH_FUZZ_SEED continues a campaign with new inputs (a second run of the same target with another seed).
        int seed = (int.TryParse(Environment.GetEnvironmentVariable("TYPEDGRAPH_FUZZ_SEED"), out var s0) ? s0 : 9) + target.Length;
        var fuzzer = new MutationFuzzer(seed, Path.Combine(_dir, "work"), findings);
        var t = fuzzer.Targets().Single(x => x.Name == target);
        Assert.NotEmpty(t.Seeds);
        var maxInputs = long.TryParse(Environment.GetEnvironmentVariable("TYPEDGRAPH_FUZZ_MAX_INPUTS"), out var m) && m > 0 ? m : long.MaxValue;
        var stats = fuzzer.Run(t, TimeSpan.FromSeconds(Seconds), maxInputs, hangLimit: TimeSpan.FromSeconds(Seconds < 5 ? 10 : 30));
        var report = $"{target} (seed {seed}): {stats.Inputs} inputs in {stats.Seconds:F0} s ({stats.Inputs / Math.Max(stats.Seconds, 1e-9):F0}/s), {stats.Accepted} accepted, {stats.TypedErrors} typed errors, {stats.DeepMutations} structure-aware mutations, max {stats.MaxAllocatedBytes} bytes allocated by one input, {stats.Findings.Count} findings"
            + Environment.NewLine + "  per seed: " + string.Join(", ", stats.InputsPerSeed.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} {kv.Value}"));
        Console.WriteLine(report);
        var log = Environment.GetEnvironmentVariable("TYPEDGRAPH_FUZZ_LOG");
        if (!string.IsNullOrEmpty(log)) File.AppendAllText(log, report + Environment.NewLine + string.Concat(stats.Findings.Select(f => "  " + f + Environment.NewLine)));
        Assert.True(stats.Inputs > 0);
        Assert.True(stats.Accepted + stats.TypedErrors == stats.Inputs - stats.Findings.Count(f => f.Contains(": untyped ") || f.Contains(": wrong value: ")), report);
        Assert.True(stats.Findings.Count == 0, report + "\n" + string.Join("\n", stats.Findings.Take(20)));
    }
}
