using TypedGraph.Functions;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Exec;

/// <summary>
/// Runs one function of the graph's FunctionDefLibrary for a calling kernel (<c>PartitionedCall</c>, <c>While</c>
/// cond/body, <c>If</c> branches, <c>Case</c> branches): the function is instantiated once, on first use, as a
/// <see cref="FunctionBody"/> graph run by an inner session (an <see cref="IGraphRunner"/> the calling session
/// publishes, because kernels sit below the execution layer) whose plans are cached, so a loop body
/// is pruned and ordered once however many iterations run. Resource handles passed as args address the
/// caller's variables, so bodies read and assign captured variables.
/// </summary>
internal sealed class FunctionRunner(NameAttrList function, DataType[]? argTypes)
{
    private readonly object _gate = new();
    private (FunctionBody Body, IGraphRunner Session)? _instance;

    /// <summary>The function's name.</summary>
    public string Name => function.Name;

    /// <summary>Runs the function on <paramref name="args"/> and returns its outputs in signature order.</summary>
    /// <exception cref="GraphExecutionException">Wrong arg count, or the body failed (message names the calling node and function).</exception>
    public Tensor[] Run(OpKernelContext ctx, IReadOnlyList<Tensor> args)
    {
        var (body, session) = Instance(ctx);
        if (args.Count != body.ArgTensors.Count)
            throw ctx.Error($"function '{function.Name}' takes {body.ArgTensors.Count} inputs, the call passes {args.Count}.");
        var feeds = new Dictionary<string, Tensor>(args.Count, StringComparer.Ordinal);
        for (int i = 0; i < args.Count; i++) feeds[body.ArgTensors[i]] = args[i];
        try
        {
            return session.Run(body.Outputs, feeds, body.Targets);
        }
        catch (UnsupportedOpException)
        {
            throw;
        }
        catch (GraphExecutionException e)
        {
            throw new GraphExecutionException($"{ctx.Node.Op} node '{ctx.Node.Name}' (function '{function.Name}'): {e.Message}", ctx.Node.Name, e);
        }
    }

    private (FunctionBody, IGraphRunner) Instance(OpKernelContext ctx)
    {
        lock (_gate)
        {
            if (_instance is { } ready) return ready;
            var graph = ctx.State.Resource<Graph>(FunctionCallKernels.GraphResourceKey, () => throw ctx.Error("the session did not publish its graph, so the function library is unknown."));
            var library = graph.Def.Library ?? throw ctx.Error($"calls function '{function.Name}', but the graph has no FunctionDefLibrary.");
            var newRunner = ctx.State.Resource<Func<Graph, IGraphRunner>>(FunctionCallKernels.GraphRunnerFactoryKey, () => throw ctx.Error("the session did not publish a graph runner, so the function cannot run."));
            var body = FunctionBody.Instantiate(library, function.Name, function.Attr, argTypes, ctx.Node.Name, KernelRegistry.Default.IsSupported);
            var instance = (body, newRunner(body.Graph));
            _instance = instance;
            return instance;
        }
    }
}
