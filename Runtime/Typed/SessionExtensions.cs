using TypedGraph.Execution;

namespace TypedGraph.Typed;

/// <summary>TF-style typed calls on a session: <c>session.Run(model.OpToRestore, model.W1.Feed(13f), model.W2.Feed(17f))</c>.</summary>
public static class SessionExtensions
{
    /// <summary>Fetches one typed tensor.</summary>
    /// <param name="session">The session (the fetch's model session or one over a graph holding the same nodes).</param>
    /// <param name="fetch">The tensor to compute.</param>
    /// <param name="feeds">Placeholder values.</param>
    /// <returns>The value; the caller owns it.</returns>
    /// <exception cref="GraphExecutionException">A feed is missing or running failed.</exception>
    public static TensorValue<T> Run<T>(this Session session, GraphTensor<T> fetch, params FeedValue[] feeds)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(fetch);
        return new TensorValue<T>(session.Run([fetch.Name], Feeds.ToDictionary(feeds))[0]);
    }

    /// <summary>Fetches several tensors in one run.</summary>
    /// <param name="session">The session.</param>
    /// <param name="fetches">Tensors to compute.</param>
    /// <param name="feeds">Placeholder values.</param>
    /// <returns>One untyped value per fetch, in order; the caller owns them.</returns>
    /// <exception cref="GraphExecutionException">A feed is missing or running failed.</exception>
    public static Tensor[] Run(this Session session, IReadOnlyList<GraphTensor> fetches, params FeedValue[] feeds)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(fetches);
        return session.Run(fetches.Select(f => f.Name).ToArray(), Feeds.ToDictionary(feeds));
    }
}
