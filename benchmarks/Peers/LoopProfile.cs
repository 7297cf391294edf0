namespace TypedGraph.Benchmarks.Peers;

/// <summary>Where a run of a TF1 loop graph spends its time: kernel time per op type (the loop executor's
/// <see cref="TypedGraph.Execution.LoopExecutor.KernelObserver"/>), per run, and the rest as executor overhead. A probe's printout,
/// not a measurement (the observer itself costs a little per node).</summary>
internal static class LoopProfile
{
    public static void Print(string name, Action run, int runs, int top = int.MaxValue)
    {
        var perOp = new Dictionary<string, (long Ticks, int Count)>();
        TypedGraph.Execution.LoopExecutor.KernelObserver = (node, ticks) =>
        {
            perOp.TryGetValue(node.Op, out var t);
            perOp[node.Op] = (t.Ticks + ticks, t.Count + 1);
        };
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            for (int i = 0; i < runs; i++) run();
        }
        finally
        {
            TypedGraph.Execution.LoopExecutor.KernelObserver = null;
        }
        double whole = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds / runs;
        double Ms(long ticks) => ticks * 1e3 / System.Diagnostics.Stopwatch.Frequency / runs;
        Console.WriteLine($"{name}: {whole:F2} ms per run (observed)");
        foreach (var (op, (ticks, count)) in perOp.OrderByDescending(p => p.Value.Ticks).Take(top))
            Console.WriteLine($"  {op,-28} {Ms(ticks),8:F3} ms  ({count / runs} per run)");
        double kernels = perOp.Values.Sum(v => Ms(v.Ticks));
        Console.WriteLine($"  {"(sum of kernels)",-28} {kernels,8:F3} ms; executor overhead ≈ {whole - kernels:F3} ms");
    }
}
