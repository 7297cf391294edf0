using TypedGraph.Functions;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Exec;

/// <summary>
/// <c>PartitionedCall</c> / <c>StatefulPartitionedCall</c> (TF 2.x <c>tf.function</c> calls in a graph): the
/// function named by the <c>f</c> attr is instantiated once per session as a <see cref="FunctionBody"/> graph
/// and run by an inner <see cref="Session"/>, its args fed from the call's inputs. Resource variables reach the
/// body as DT_RESOURCE handle inputs, so the body reads and writes the caller's variables; variables created
/// inside a body (rare) live in the inner session.
/// </summary>
public sealed class FunctionCallKernels : KernelSet
{
    /// <summary>The <see cref="SessionState"/> resource key under which a session publishes its graph.</summary>
    public const string GraphResourceKey = "typedgraph.graph";

    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add(["PartitionedCall", "StatefulPartitionedCall"], node =>
        {
            var f = node.Attr("f")?.Func ?? throw new GraphFormatException($"{node.Op} node '{node.Name}' has no function attr 'f'.");
            var tin = node.GetTypes("Tin", []);
            var call = new Call(f, tin);
            return new DelegateKernel(node, ctx => call.Run(ctx));
        });
    }

    private sealed class Call(NameAttrList f, DataType[] tin)
    {
        private readonly object _gate = new();
        private (FunctionBody Body, Session Session)? _instance;

        public void Run(OpKernelContext ctx)
        {
            var (body, session) = Instance(ctx);
            if (ctx.InputCount != body.ArgTensors.Count)
                throw ctx.Error($"function '{f.Name}' takes {body.ArgTensors.Count} inputs, the call passes {ctx.InputCount}.");
            var feeds = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            for (int i = 0; i < ctx.InputCount; i++) feeds[body.ArgTensors[i]] = ctx.Input(i);
            Tensor[] results;
            try
            {
                results = session.Run(body.Outputs, feeds, body.Targets);
            }
            catch (GraphExecutionException e)
            {
                throw new GraphExecutionException($"{ctx.Node.Op} node '{ctx.Node.Name}' (function '{f.Name}'): {e.Message}", ctx.Node.Name, e);
            }
            for (int i = 0; i < results.Length && i < ctx.OutputCount; i++) ctx.SetOutput(i, results[i]);
        }

        private (FunctionBody, Session) Instance(OpKernelContext ctx)
        {
            lock (_gate)
            {
                if (_instance is { } ready) return ready;
                var graph = ctx.State.Resource<Graph>(GraphResourceKey, () => throw ctx.Error("the session did not publish its graph, so the function library is unknown."));
                var library = graph.Def.Library ?? throw ctx.Error($"calls function '{f.Name}', but the graph has no FunctionDefLibrary.");
                var body = FunctionBody.Instantiate(library, f.Name, f.Attr, tin, ctx.Node.Name);
                var instance = (body, new Session(body.Graph));
                _instance = instance;
                return instance;
            }
        }
    }
}
