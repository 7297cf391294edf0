namespace TypedGraph.Execution;

/// <summary>
/// The session's plans, keyed by request: (fetch names in order, set of feed names, target names in order).
/// Lookups hash the names (feeds order-independently) and compare only the plans in that bucket, so a
/// run costs O(request size), not O(cached plans), and allocates nothing. Readers see an immutable
/// snapshot (no lock on the run path); inserts copy it under a lock — plans are built rarely. The cache
/// holds at most <see cref="Capacity"/> plans: a new plan past that evicts the least recently used one
/// (a <see cref="PreparedRun"/> keeps its own plan alive regardless).
/// </summary>
internal sealed class PlanCache
{
    private readonly object _gate = new();
    private volatile Dictionary<int, ExecutionPlan[]> _buckets = [];
    private long _clock;

    public PlanCache(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    /// <summary>The most plans kept.</summary>
    public int Capacity { get; }

    /// <summary>Plans currently cached.</summary>
    public int Count => PlanCount(_buckets);

    /// <summary>The cached plan for a request in dictionary form (a <c>Session.Run</c> call), or null.</summary>
    public ExecutionPlan? Find(IReadOnlyList<string> fetches, IReadOnlyDictionary<string, Tensor>? feeds, IReadOnlyList<string>? targets)
    {
        int hash = Hash(fetches, targets);
        if (feeds is Dictionary<string, Tensor> dict)
        {
            foreach (var name in dict.Keys) hash += FeedHash(name); // struct enumerator: no allocation per run
        }
        else if (feeds != null)
        {
            foreach (var name in feeds.Keys) hash += FeedHash(name);
        }
        if (!_buckets.TryGetValue(hash, out var bucket)) return null;
        foreach (var p in bucket)
            if (p.Matches(fetches, feeds, targets)) return Touch(p);
        return null;
    }

    /// <summary>The cached plan for a request in array form, or the one <paramref name="build"/> makes (built once under the lock).</summary>
    public ExecutionPlan GetOrAdd(string[] fetches, string[] feedNames, string[] targets, Func<ExecutionPlan> build)
    {
        int hash = Hash(fetches, feedNames, targets);
        var found = Lookup(_buckets, hash, fetches, feedNames, targets);
        if (found != null) return Touch(found);
        lock (_gate)
        {
            var buckets = _buckets;
            found = Lookup(buckets, hash, fetches, feedNames, targets);
            if (found != null) return Touch(found);
            var plan = build();
            var next = new Dictionary<int, ExecutionPlan[]>(buckets);
            next[hash] = next.TryGetValue(hash, out var b) ? [.. b, plan] : [plan];
            if (PlanCount(next) > Capacity) EvictLeastRecentlyUsed(next, plan);
            Touch(plan);
            _buckets = next;
            return plan;
        }
    }

    /// <summary>Drops every plan.</summary>
    public void Clear()
    {
        lock (_gate) _buckets = [];
    }

    private ExecutionPlan Touch(ExecutionPlan p)
    {
        p.LastUsed = Interlocked.Increment(ref _clock);
        return p;
    }

    private static ExecutionPlan? Lookup(Dictionary<int, ExecutionPlan[]> buckets, int hash, string[] fetches, string[] feedNames, string[] targets)
    {
        if (!buckets.TryGetValue(hash, out var bucket)) return null;
        foreach (var p in bucket)
            if (p.Matches(fetches, feedNames, targets)) return p;
        return null;
    }

    private static int PlanCount(Dictionary<int, ExecutionPlan[]> buckets)
    {
        int n = 0;
        foreach (var b in buckets.Values) n += b.Length;
        return n;
    }

    private static void EvictLeastRecentlyUsed(Dictionary<int, ExecutionPlan[]> buckets, ExecutionPlan keep)
    {
        (int Hash, ExecutionPlan Plan)? oldest = null;
        foreach (var (h, bucket) in buckets)
            foreach (var p in bucket)
                if (!ReferenceEquals(p, keep) && (oldest == null || p.LastUsed < oldest.Value.Plan.LastUsed)) oldest = (h, p);
        if (oldest is not { } o) return;
        var rest = buckets[o.Hash].Where(p => !ReferenceEquals(p, o.Plan)).ToArray();
        if (rest.Length == 0) buckets.Remove(o.Hash);
        else buckets[o.Hash] = rest;
    }

    // Fetches and targets in order; feeds as a sum of per-name hashes (a set: any order gives the same key).
    private static int Hash(IReadOnlyList<string> fetches, IReadOnlyList<string>? targets)
    {
        var h = new HashCode();
        h.Add(fetches.Count);
        for (int i = 0; i < fetches.Count; i++) h.Add(fetches[i], StringComparer.Ordinal);
        h.Add(-1);
        if (targets != null)
            for (int i = 0; i < targets.Count; i++) h.Add(targets[i], StringComparer.Ordinal);
        return h.ToHashCode();
    }

    private static int Hash(string[] fetches, string[] feedNames, string[] targets)
    {
        int hash = Hash(fetches, targets);
        foreach (var f in feedNames) hash += FeedHash(f);
        return hash;
    }

    private static int FeedHash(string name) => StringComparer.Ordinal.GetHashCode(name) * -1640531535;
}
