
namespace TypedGraph.Execution;

/// <summary>
/// A request prepared by <see cref="Session.Prepare"/>: feeds by position, results into a caller span.
/// On fixed shapes a run allocates only the fetched outputs (intermediates reuse pooled buffers).
/// Thread-safe like the session.
/// </summary>
public sealed class PreparedRun
{
    private readonly Session _session;
    private readonly ExecutionPlan _plan;
    private readonly int[] _feedToBinding;

    /// <summary>The plan this request runs (tests: its steps' kernels).</summary>
    internal ExecutionPlan Plan => _plan;

    internal PreparedRun(Session session, ExecutionPlan plan, string[] feedNames)
    {
        _session = session;
        _plan = plan;
        FeedNames = (string[])feedNames.Clone();
        FetchNames = plan.FetchNames;
        _feedToBinding = new int[feedNames.Length];
        for (int i = 0; i < feedNames.Length; i++)
            _feedToBinding[i] = Array.FindIndex(plan.Feeds, b => b.Name == feedNames[i]);
    }

    /// <summary>The feed names, in the order <see cref="Run(ReadOnlySpan{Tensor}, Span{Tensor})"/> takes values.</summary>
    public IReadOnlyList<string> FeedNames { get; }

    /// <summary>The fetch names, in the order results are written.</summary>
    public IReadOnlyList<string> FetchNames { get; }

    /// <summary>Runs with <paramref name="feeds"/> (one per feed name) and writes one tensor per fetch into <paramref name="results"/>.</summary>
    /// <param name="feeds">Values in <see cref="FeedNames"/> order.</param>
    /// <param name="results">Receives the fetched tensors, owned by the caller.</param>
    /// <exception cref="ArgumentException">Wrong number of feeds or too small a result span.</exception>
    /// <exception cref="GraphExecutionException">Ill-typed feed or a failing kernel.</exception>
    public void Run(ReadOnlySpan<Tensor> feeds, Span<Tensor> results)
    {
        if (feeds.Length != _feedToBinding.Length)
            throw new ArgumentException($"Expected {_feedToBinding.Length} feeds ({string.Join(", ", FeedNames)}), got {feeds.Length}.", nameof(feeds));
        if (results.Length < _plan.FetchSlots.Length)
            throw new ArgumentException($"Need room for {_plan.FetchSlots.Length} results, got {results.Length}.", nameof(results));
        var frame = _plan.RentFrame(_session.State);
        try
        {
            for (int i = 0; i < feeds.Length; i++)
                Session.BindFeed(_plan.Feeds[_feedToBinding[i]], frame, feeds[i]);
            _session.Execute(_plan, frame, results);
        }
        finally
        {
            frame.Clear();
            _plan.ReturnFrame(frame);
        }
    }

    /// <summary>
    /// Runs with <paramref name="feeds"/> and copies each fetched value into the caller's tensor at the same
    /// position of <paramref name="outputs"/> (bound outputs, like ONNX Runtime's IoBinding). The session hands
    /// nothing over, so on fixed shapes a steady run allocates no memory at all. Each output must already have
    /// the fetch's dtype and shape (reuse the tensors of a first <see cref="Run(Tensor[])"/>, or create them).
    /// </summary>
    /// <param name="feeds">Values in <see cref="FeedNames"/> order.</param>
    /// <param name="outputs">One caller-owned tensor per fetch, in <see cref="FetchNames"/> order; overwritten.</param>
    /// <exception cref="ArgumentException">Wrong number of feeds or outputs.</exception>
    /// <exception cref="GraphExecutionException">Ill-typed feed, a failing kernel, or an output whose dtype or
    /// shape differs from the fetched value (the message names the fetch; earlier outputs may already be written).</exception>
    public void RunInto(ReadOnlySpan<Tensor> feeds, ReadOnlySpan<Tensor> outputs)
    {
        if (feeds.Length != _feedToBinding.Length)
            throw new ArgumentException($"Expected {_feedToBinding.Length} feeds ({string.Join(", ", FeedNames)}), got {feeds.Length}.", nameof(feeds));
        if (outputs.Length != _plan.FetchSlots.Length)
            throw new ArgumentException($"Expected {_plan.FetchSlots.Length} outputs ({string.Join(", ", FetchNames)}), got {outputs.Length}.", nameof(outputs));
        for (int i = 0; i < outputs.Length; i++)
            if (outputs[i] is null) throw new ArgumentNullException(nameof(outputs), $"The output bound for '{FetchNames[i]}' is null.");
        var frame = _plan.RentFrame(_session.State);
        try
        {
            for (int i = 0; i < feeds.Length; i++)
                Session.BindFeed(_plan.Feeds[_feedToBinding[i]], frame, feeds[i]);
            _session.ExecuteInto(_plan, frame, outputs);
        }
        finally
        {
            frame.Clear();
            _plan.ReturnFrame(frame);
        }
    }

    /// <summary>Runs and returns the fetched tensors as a new array.</summary>
    /// <returns>One caller-owned tensor per fetch.</returns>
    public Tensor[] Run(params Tensor[] feeds)
    {
        var results = new Tensor[_plan.FetchSlots.Length];
        Run(feeds, results);
        return results;
    }
}
