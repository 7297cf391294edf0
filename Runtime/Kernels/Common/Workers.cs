namespace TypedGraph.Kernels.Common;

/// <summary>
/// Splits a range of independent work items across the machine's cores. Small ranges run inline on the
/// calling thread: on a 2-core machine the hand-off to the pool costs a few microseconds, more than
/// many kernels take.
/// </summary>
public static class Workers
{
    /// <summary>Number of workers used for parallel kernels (the core count).</summary>
    public static int Count { get; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>
    /// Runs <paramref name="body"/>(start, end) over disjoint chunks covering [0, <paramref name="count"/>),
    /// in parallel when the range holds at least two chunks of <paramref name="minChunk"/> items.
    /// </summary>
    /// <remarks>
    /// The range is cut into up to 4 chunks per worker, handed out dynamically: when another process
    /// holds a core (a shared machine) and one worker starts late, the others take its chunks instead of
    /// the whole call waiting for it.
    /// </remarks>
    /// <param name="count">Number of items.</param>
    /// <param name="minChunk">Smallest chunk worth its own worker (≥ 1).</param>
    /// <param name="body">Processes items [start, end).</param>
    public static void For(long count, long minChunk, Action<long, long> body)
    {
        if (count <= 0) return;
        int chunks = (int)Math.Min(Count * 4L, Math.Max(1, count / Math.Max(1, minChunk)));
        if (chunks <= 1)
        {
            body(0, count);
            return;
        }
        long per = (count + chunks - 1) / chunks;
        if (Count == 1)
        {
            body(0, count);
            return;
        }
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = Count }, c =>
        {
            long s = c * per, e = Math.Min(count, s + per);
            if (s < e) body(s, e);
        });
    }
}
