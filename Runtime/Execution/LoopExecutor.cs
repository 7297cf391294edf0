using TypedGraph.Kernels;

namespace TypedGraph.Execution;

/// <summary>Runs pruned subgraphs that contain TF1 while loops (placeholder until the frame executor lands).</summary>
internal sealed class LoopExecutor
{
    public LoopExecutor(Session session, List<Node> nodes, HashSet<TensorRef> fed)
    {
        _ = session;
        _ = nodes;
        _ = fed;
    }

    public void Run(ExecutionPlan plan, RunFrame frame)
    {
        _ = frame;
        throw new GraphExecutionException("While loops are not supported yet (fetch " + string.Join(", ", plan.FetchNames) + ").");
    }
}
