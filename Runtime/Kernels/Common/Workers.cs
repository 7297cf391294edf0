namespace TypedGraph.Kernels.Common;

/// <summary>
/// Splits a range of independent work items across the machine's cores. Small ranges run inline on the
/// calling thread: on a 2-core machine the hand-off to another thread costs a few microseconds, more than
/// many kernels take.
/// </summary>
/// <remarks>
/// A parallel call allocates nothing in steady state: the fork/join state is a pooled <see cref="ForJob"/>
/// handed to <see cref="SpinningHelpers"/> (no tasks, no closures), and the state-passing overload lets
/// callers use static lambdas, so the call sites allocate no closure either. The calling thread works
/// through chunks too, so busy helpers never block a call.
/// </remarks>
internal static class Workers
{
    /// <summary>Number of workers used for parallel kernels (the core count).</summary>
    public static int Count { get; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>For probes: hand chunks to the .NET thread pool instead of <see cref="SpinningHelpers"/> (A/B only).</summary>
    internal static bool UseThreadPool { get; set; }

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
    /// <exception cref="AggregateException">A chunk failed in parallel mode (the first failure inside).</exception>
    public static void For(long count, long minChunk, Action<long, long> body)
        => For(count, minChunk, body, static (b, s, e) => b(s, e));

    /// <summary>
    /// As <see cref="For(long, long, Action{long, long})"/>, with the body's data passed as
    /// <paramref name="state"/> so <paramref name="body"/> can be a static lambda (no closure allocated per call).
    /// </summary>
    /// <typeparam name="TState">Whatever the body needs (a value tuple of tensors, sizes, pointers).</typeparam>
    /// <param name="count">Number of items.</param>
    /// <param name="minChunk">Smallest chunk worth its own worker (≥ 1).</param>
    /// <param name="state">Passed to every <paramref name="body"/> call.</param>
    /// <param name="body">Processes items [start, end) with <paramref name="state"/>.</param>
    /// <exception cref="AggregateException">A chunk failed in parallel mode (the first failure inside).</exception>
    public static void For<TState>(long count, long minChunk, TState state, Action<TState, long, long> body)
    {
        if (count <= 0) return;
        int chunks = (int)Math.Min(Math.Min(Count * 4L, ForJob.MaxChunks), Math.Max(1, count / Math.Max(1, minChunk)));
        if (chunks <= 1 || Count == 1)
        {
            body(state, 0, count);
            return;
        }
        long per = (count + chunks - 1) / chunks;
        ForJob<TState>.Rent(state, body).Run(count, per, chunks, Math.Min(Count, chunks) - 1);
    }
}

/// <summary>
/// One parallel <see cref="Workers.For{TState}"/> call at a time: chunks are claimed from an atomic ticket
/// by the caller and by <c>helpers</c> thread-pool work items. The job goes back to its pool as soon as
/// the caller's call is done. A queued work item that starts late (after the call, even during a later
/// call that reuses the job) is harmless: the ticket carries a generation and the chunk count, so it
/// either finds nothing left or legitimately helps the current call — it never reads half-written state,
/// because a claim succeeds only on a published, unfinished generation.
/// </summary>
internal abstract class ForJob : IThreadPoolWorkItem
{
    /// <summary>Most chunks one call can have (the ticket holds the count in 16 bits).</summary>
    public const int MaxChunks = 0xFFFF;

    private readonly ManualResetEventSlim _done = new(false);
    private long _count, _per;
    private int _pending, _generation;
    private long _ticket; // generation << 32 | chunks << 16 | next chunk
    private Exception? _error;

    protected abstract void Body(long start, long end);

    /// <summary>Drops the state and returns the job to its pool.</summary>
    protected abstract void Recycle();

    public void Run(long count, long per, int chunks, int helpers)
    {
        _count = count;
        _per = per;
        _pending = chunks;
        _error = null;
        _done.Reset();
        _generation++;
        // Publishing the ticket (a full fence) opens the call; every field above is written before it.
        Interlocked.Exchange(ref _ticket, ((long)_generation << 32) | ((long)chunks << 16));
        if (Workers.UseThreadPool)
            for (int i = 0; i < helpers; i++) ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        else SpinningHelpers.Post(this, helpers);
        Work();
        WaitForClaimedChunks();
        var error = _error;
        Recycle();
        if (error != null) throw new AggregateException(error);
    }

    /// <summary>Called by a helper thread: claims and runs chunks until none is left.</summary>
    public void Execute() => Work();

    void IThreadPoolWorkItem.Execute() => Work();

    // The chunks still pending were claimed by helpers that are running them right now, so the caller spins briefly
    // (a blocked thread on a VM is woken by an interrupt that costs tens of microseconds) and blocks only when a
    // chunk runs long.
    private void WaitForClaimedChunks()
    {
        if (Volatile.Read(ref _pending) == 0) return;
        long giveUp = System.Diagnostics.Stopwatch.GetTimestamp() + System.Diagnostics.Stopwatch.Frequency / 2000; // 0.5 ms
        var spin = new SpinWait();
        while (Volatile.Read(ref _pending) != 0)
        {
            if (System.Diagnostics.Stopwatch.GetTimestamp() > giveUp)
            {
                _done.Wait();
                return;
            }
            spin.SpinOnce(sleep1Threshold: -1);
        }
    }

    private void Work()
    {
        while (true)
        {
            long t = Volatile.Read(ref _ticket);
            int next = (int)(t & 0xFFFF), chunks = (int)((t >> 16) & 0xFFFF);
            if (next >= chunks) return;
            if (Interlocked.CompareExchange(ref _ticket, t + 1, t) != t) continue;
            long s = next * _per, e = Math.Min(_count, s + _per);
            try
            {
                if (s < e) Body(s, e);
            }
            catch (Exception ex)
            {
                Interlocked.CompareExchange(ref _error, ex, null);
            }
            if (Interlocked.Decrement(ref _pending) == 0) _done.Set();
        }
    }
}

/// <summary>A <see cref="ForJob"/> over a typed state, pooled per state type.</summary>
internal sealed class ForJob<TState> : ForJob
{
    private static readonly Stack<ForJob<TState>> Pool = new();
    private TState _state = default!;
    private Action<TState, long, long> _body = null!;

    public static ForJob<TState> Rent(TState state, Action<TState, long, long> body)
    {
        ForJob<TState>? job;
        lock (Pool) Pool.TryPop(out job);
        job ??= new ForJob<TState>();
        job._state = state;
        job._body = body;
        return job;
    }

    protected override void Body(long start, long end) => _body(_state, start, end);

    protected override void Recycle()
    {
        _state = default!;
        _body = null!;
        lock (Pool) Pool.Push(this);
    }
}

/// <summary>
/// One dedicated helper thread per extra core, which runs posted <see cref="ForJob"/>s and, when it runs out of work,
/// keeps polling for <see cref="SpinTicks"/> before it blocks.
/// </summary>
/// <remarks>
/// Why not the .NET thread pool: its workers block almost at once when idle, and waking a blocked thread on a virtual
/// machine (the idle vCPU has halted) took long enough that a 30 µs two-core GEMM (64×784×128) had a median of ~60 µs
/// on a loaded machine and 37 µs on a quiet one. A helper that is still polling starts in well under a microsecond —
/// the same choice ONNX Runtime's thread pool makes by default (its workers spin before they sleep). The cost is up to
/// <see cref="SpinTicks"/> of one core after the last parallel call of a burst; polling yields the core to any other
/// runnable thread (<see cref="Thread.Yield"/>) so it does not hold up other work.
/// A stale entry (a job whose call already finished, or that was recycled for a later call) is harmless: the job's
/// ticket only hands out chunks of a published, unfinished call.
/// </remarks>
internal static class SpinningHelpers
{
    /// <summary>One helper thread's mailbox: the newest job offered to it, and whether it is blocked.</summary>
    private sealed class Helper
    {
        public ForJob? Slot;
        public int Sleeping;
        public readonly SemaphoreSlim Wake = new(0);
    }

    /// <summary>How long an idle helper keeps polling before it blocks (200 µs).</summary>
    public static readonly long SpinTicks = System.Diagnostics.Stopwatch.Frequency / 5000;

    private static readonly Helper[] Helpers = CreateHelpers();

    private static Helper[] CreateHelpers()
    {
        var helpers = new Helper[Math.Max(0, Workers.Count - 1)];
        for (int i = 0; i < helpers.Length; i++)
        {
            var h = helpers[i] = new Helper();
            new Thread(() => Loop(h)) { IsBackground = true, Name = $"TypedGraph worker {i + 1}" }.Start();
        }
        return helpers;
    }

    /// <summary>Offers <paramref name="job"/> to <paramref name="count"/> helpers. Allocation-free: each helper has one
    /// slot, and a newer job replaces one it has not taken yet (that job's caller runs its chunks itself).</summary>
    public static void Post(ForJob job, int count)
    {
        var helpers = Helpers;
        for (int i = 0; i < count && i < helpers.Length; i++)
        {
            var h = helpers[i];
            // The exchange is a full fence: a helper that set Sleeping before its last look at the slot is seen here,
            // or it sees the job. Whoever clears Sleeping first decides whether the semaphore is released.
            Interlocked.Exchange(ref h.Slot, job);
            if (Volatile.Read(ref h.Sleeping) != 0 && Interlocked.Exchange(ref h.Sleeping, 0) == 1) h.Wake.Release();
        }
    }

    private static void Loop(Helper h)
    {
        long idleSince = System.Diagnostics.Stopwatch.GetTimestamp();
        int polls = 0;
        while (true)
        {
            var job = Volatile.Read(ref h.Slot) != null ? Interlocked.Exchange(ref h.Slot, null) : null;
            if (job != null)
            {
                job.Execute();
                idleSince = System.Diagnostics.Stopwatch.GetTimestamp();
                polls = 0;
                continue;
            }
            if (System.Diagnostics.Stopwatch.GetTimestamp() - idleSince < SpinTicks)
            {
                if (++polls % 64 == 0) Thread.Yield();
                else Thread.SpinWait(20);
                continue;
            }
            Interlocked.Exchange(ref h.Sleeping, 1);
            // A job posted before we said we sleep: take it back unless the poster already released us (then the
            // semaphore holds one count we must consume).
            if (Volatile.Read(ref h.Slot) == null || Interlocked.Exchange(ref h.Sleeping, 0) == 0) h.Wake.Wait();
            idleSince = System.Diagnostics.Stopwatch.GetTimestamp();
            polls = 0;
        }
    }
}
