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
}
