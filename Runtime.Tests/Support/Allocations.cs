namespace TypedGraph.Tests.Support;

/// <summary>Bytes allocated on the calling thread, for the per-iteration allocation tests.</summary>
internal static class Allocations
{
    /// <summary>The least of three runs of <paramref name="run"/>: one-off allocations (JIT, a pool growing once) land in
    /// at most the first runs.</summary>
    public static long LeastOfThree(Action run)
    {
        long best = long.MaxValue;
        for (int rep = 0; rep < 3; rep++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            run();
            best = Math.Min(best, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return best;
    }
}
