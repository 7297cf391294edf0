namespace TypedGraph.Kernels;

/// <summary>
/// What a function-calling kernel (<c>PartitionedCall</c>, <c>While</c>, <c>If</c>, <c>Case</c>) needs from the
/// execution layer: running another graph. Kernels sit below Execution (docs/architecture.md), so they never create
/// a session; the session publishes a <c>Func&lt;Graph, IGraphRunner&gt;</c> in its <see cref="SessionState"/>.
/// </summary>
internal interface IGraphRunner
{
    /// <summary>Runs the graph: <paramref name="fetches"/> returned in order, <paramref name="targets"/> run for effect.</summary>
    Tensor[] Run(IReadOnlyList<string> fetches, IReadOnlyDictionary<string, Tensor>? feeds, IReadOnlyList<string>? targets);

    /// <summary>Prepares one request for repeated calls with positional args (a function body called once per loop
    /// iteration): the plan is found once, and a call allocates no feed dictionary or result array.</summary>
    IGraphCall PrepareCall(string[] fetches, string[] feedNames, string[] targets);
}

/// <summary>A request prepared by <see cref="IGraphRunner.PrepareCall"/>.</summary>
internal interface IGraphCall
{
    /// <summary>
    /// Runs with <paramref name="args"/> (in feed-name order) and writes one value per fetch into
    /// <paramref name="results"/>. A fetch that is one of the args (a function passing a loop variable through) is
    /// returned as that same tensor, not copied: the caller already holds it.
    /// </summary>
    void Run(ReadOnlySpan<Tensor> args, Span<Tensor> results);

    /// <summary>
    /// <see cref="Run(ReadOnlySpan{Tensor}, Span{Tensor})"/> for a loop body: the fetched values are handed to
    /// <paramref name="buffers"/> while the call's frame is alive, which copies every computed one into a buffer it
    /// owns — so nothing is detached from the body's pool and a steady loop allocates nothing per iteration.
    /// </summary>
    void Run(ReadOnlySpan<Tensor> args, Span<Tensor> results, Exec.LoopVarBuffers buffers);

    /// <summary>Runs a request with exactly one fetch and returns what <paramref name="read"/> makes of its value,
    /// which is valid only during the call (a While's predicate: nothing is handed over, so nothing is allocated).</summary>
    TResult RunAndRead<TResult>(ReadOnlySpan<Tensor> args, Func<Tensor, TResult> read);
}
