using TypedGraph.Functions;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Exec;

/// <summary>
/// Runs one function of the graph's FunctionDefLibrary for a calling kernel (<c>PartitionedCall</c>, <c>While</c>
/// cond/body, <c>If</c> branches, <c>Case</c> branches): the function is instantiated once, on first use, as a
/// <see cref="FunctionBody"/> graph run by an inner session (an <see cref="IGraphRunner"/> the calling session
/// publishes, because kernels sit below the execution layer) through one prepared request, so a loop body
/// is pruned and ordered once however many iterations run. Resource handles passed as args address the
/// caller's variables, so bodies read and assign captured variables.
/// </summary>
internal sealed class FunctionRunner(NameAttrList function, DataType[]? argTypes)
{
    private readonly object _gate = new();
    private (FunctionBody Body, IGraphCall Call)? _instance;

    /// <summary>The function's name.</summary>
    public string Name => function.Name;

    /// <summary>Runs the function on <paramref name="args"/> and returns its outputs in signature order.</summary>
    /// <exception cref="GraphExecutionException">Wrong arg count, or the body failed (message names the calling node and function).</exception>
    public Tensor[] Run(OpKernelContext ctx, IReadOnlyList<Tensor> args)
    {
        var results = new Tensor[Instance(ctx).Body.Outputs.Count];
        Run(ctx, args is Tensor[] array ? array : [.. args], results);
        return results;
    }

    /// <summary>The number of values the function returns.</summary>
    public int OutputCount(OpKernelContext ctx) => Instance(ctx).Body.Outputs.Count;

    /// <summary>
    /// Runs the function on <paramref name="args"/> and writes its outputs, in signature order, into
    /// <paramref name="results"/> (at least <see cref="OutputCount"/> long). Allocates no per-call arrays, so a loop
    /// calling its body once per iteration pays only for what the body computes. An arg the function returns
    /// unchanged comes back as the same tensor.
    /// </summary>
    /// <exception cref="GraphExecutionException">Wrong arg count, or the body failed (message names the calling node and function).</exception>
    public void Run(OpKernelContext ctx, ReadOnlySpan<Tensor> args, Span<Tensor> results) => Run(ctx, args, results, null);

    /// <summary>
    /// <see cref="Run(OpKernelContext, ReadOnlySpan{Tensor}, Span{Tensor})"/> for a loop body: with
    /// <paramref name="buffers"/>, every value the function computes comes back in a buffer of that store (reused
    /// across iterations) instead of a buffer detached from the body's pool, so an iteration allocates nothing.
    /// </summary>
    /// <exception cref="GraphExecutionException">Wrong arg count, or the body failed (message names the calling node and function).</exception>
    public void Run(OpKernelContext ctx, ReadOnlySpan<Tensor> args, Span<Tensor> results, LoopVarBuffers? buffers)
    {
        var (body, call) = Instance(ctx);
        if (args.Length != body.ArgTensors.Count)
            throw ctx.Error($"function '{function.Name}' takes {body.ArgTensors.Count} inputs, the call passes {args.Length}.");
        try
        {
            if (buffers != null) call.Run(args, results, buffers);
            else call.Run(args, results);
        }
        catch (UnsupportedOpException)
        {
            throw;
        }
        catch (GraphExecutionException e)
        {
            throw Wrap(ctx, e);
        }
    }

    /// <summary>Runs a one-output function (a While's cond) and returns <paramref name="read"/> of its result,
    /// which is valid only during the call — so nothing is handed over or allocated.</summary>
    /// <exception cref="GraphExecutionException">Wrong arg count, or the body failed (message names the calling node and function).</exception>
    public TResult RunAndRead<TResult>(OpKernelContext ctx, ReadOnlySpan<Tensor> args, Func<Tensor, TResult> read)
    {
        var (body, call) = Instance(ctx);
        if (args.Length != body.ArgTensors.Count)
            throw ctx.Error($"function '{function.Name}' takes {body.ArgTensors.Count} inputs, the call passes {args.Length}.");
        try
        {
            return call.RunAndRead(args, read);
        }
        catch (UnsupportedOpException)
        {
            throw;
        }
        catch (GraphExecutionException e) when (e.NodeName != ctx.Node.Name)
        {
            throw Wrap(ctx, e);
        }
    }

    private GraphExecutionException Wrap(OpKernelContext ctx, GraphExecutionException e)
        => new($"{ctx.Node.Op} node '{ctx.Node.Name}' (function '{function.Name}'): {e.Message}", ctx.Node.Name, e);

    private (FunctionBody Body, IGraphCall Call) Instance(OpKernelContext ctx)
    {
        // The first call instantiates; the lambdas there capture ctx, so they live in their own method: a closure
        // here would be allocated on every call (each loop iteration), not just the first.
        lock (_gate) return _instance ??= Instantiate(ctx);
    }

    private (FunctionBody Body, IGraphCall Call) Instantiate(OpKernelContext ctx)
    {
        var graph = ctx.State.Resource<Graph>(FunctionCallKernels.GraphResourceKey, () => throw ctx.Error("the session did not publish its graph, so the function library is unknown."));
        var library = graph.Def.Library ?? throw ctx.Error($"calls function '{function.Name}', but the graph has no FunctionDefLibrary.");
        var newRunner = ctx.State.Resource<Func<Graph, IGraphRunner>>(FunctionCallKernels.GraphRunnerFactoryKey, () => throw ctx.Error("the session did not publish a graph runner, so the function cannot run."));
        var body = FunctionBody.Instantiate(library, function.Name, function.Attr, argTypes, ctx.Node.Name, KernelRegistry.Default.IsSupported);
        // The plan is built here, on first use, so an unsupported op or bad name fails with this node's context.
        IGraphCall call;
        try
        {
            call = newRunner(body.Graph).PrepareCall([.. body.Outputs], [.. body.ArgTensors], [.. body.Targets]);
        }
        catch (UnsupportedOpException)
        {
            throw;
        }
        catch (GraphExecutionException e)
        {
            throw Wrap(ctx, e);
        }
        return (body, call);
    }
}
