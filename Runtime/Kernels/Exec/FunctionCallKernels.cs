using TypedGraph.Functions;

namespace TypedGraph.Kernels.Exec;

/// <summary>
/// <c>PartitionedCall</c> / <c>StatefulPartitionedCall</c> (TF 2.x <c>tf.function</c> calls in a graph), and a
/// node whose op is a library function's name: the function is run by a <see cref="FunctionRunner"/>, its args
/// fed from the call's inputs. Resource variables reach the body as DT_RESOURCE handle inputs, so the body reads
/// and writes the caller's variables; variables created inside a body (rare) live in the inner session.
/// </summary>
internal sealed class FunctionCallKernels : KernelSet
{
    /// <summary>The <see cref="SessionState"/> resource key under which a session publishes its graph.</summary>
    public const string GraphResourceKey = "typedgraph.graph";

    /// <summary>The <see cref="SessionState"/> resource key under which a session publishes how to run a function body
    /// (a <c>Func&lt;Graph, IGraphRunner&gt;</c>).</summary>
    internal const string GraphRunnerFactoryKey = "typedgraph.graph-runner";

    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add(["PartitionedCall", "StatefulPartitionedCall"], node =>
        {
            var f = node.Attr("f")?.Func ?? throw new GraphFormatException($"{node.Op} node '{node.Name}' has no function attr 'f'.");
            var runner = new FunctionRunner(f, node.GetTypes("Tin", []));
            return new DelegateKernel(node, ctx => SetOutputs(ctx, runner.Run(ctx, Inputs(ctx, 0)), runner.Name));
        });
    }

    /// <summary>The kernel of a node whose op is a function of the graph's library (TF calls it with the node's attrs).</summary>
    internal static OpKernel DirectCall(Node node)
    {
        var f = new Protos.NameAttrList { Name = node.Op };
        f.Attr.Add(node.Def.Attr);
        var runner = new FunctionRunner(f, null);
        return new DelegateKernel(node, ctx => SetOutputs(ctx, runner.Run(ctx, Inputs(ctx, 0)), runner.Name));
    }

    /// <summary>The kernel's inputs from <paramref name="first"/> on.</summary>
    internal static Tensor[] Inputs(OpKernelContext ctx, int first)
    {
        var args = new Tensor[ctx.InputCount - first];
        for (int i = 0; i < args.Length; i++) args[i] = ctx.Input(first + i);
        return args;
    }

    /// <summary>Sets the kernel's outputs to a function's results, checking their count as TF's functional ops do
    /// (<c>SetOutputs</c> in core/kernels/functional_ops.cc) when the node records it.</summary>
    internal static void SetOutputs(OpKernelContext ctx, Tensor[] results, string function)
    {
        if (results.Length < ctx.OutputCount)
            throw ctx.Error($"function '{function}' returned {results.Length} values, the node has {ctx.OutputCount} outputs.");
        for (int i = 0; i < ctx.OutputCount; i++) ctx.SetOutput(i, results[i]);
    }
}
