using TypedGraph.Protos;

namespace TypedGraph.Kernels.Exec;

/// <summary>
/// Graph plumbing: Const, Identity and its aliases (Snapshot, StopGradient, PreventGradient, IdentityN),
/// Placeholder, PlaceholderWithDefault, NoOp.
/// </summary>
internal sealed class BasicKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("Const", node =>
        {
            // Decoded once at Prepare; every run forwards the same (read-only) tensor.
            var value = TensorProtos.ToTensor(node.GetTensor("value"), $"Const node '{node.Name}'");
            var dtype = node.GetType("dtype", value.DType);
            if (DataTypes.BaseType(dtype) != value.DType)
                throw new GraphFormatException($"Const node '{node.Name}': attr dtype {DataTypes.Name(dtype)} but value is {DataTypes.Name(value.DType)}.");
            value.MarkPublished();
            return new DelegateKernel(node, ctx => ctx.SetOutput(0, value));
        });
        // Identity of a ref input reads the variable (w/read): the executor hands the current value in.
        registry.Add(["Identity", "Snapshot", "StopGradient", "PreventGradient", "PlaceholderWithDefault"],
            node => new DelegateKernel(node, ctx => ctx.SetOutput(0, ctx.Input(0))));
        registry.Add("RefIdentity", node => new DelegateKernel(node, ctx =>
        {
            if (ctx.IsRefInput(0)) ctx.SetOutputRef(0, ctx.InputRef(0));
            else ctx.SetOutput(0, ctx.Input(0));
        }));
        registry.Add("IdentityN", node => new DelegateKernel(node, ctx =>
        {
            for (int i = 0; i < ctx.InputCount; i++) ctx.SetOutput(i, ctx.Input(i));
        }));
        registry.Add("NoOp", node => new DelegateKernel(node, _ => { }));
        registry.Add(["Placeholder", "PlaceholderV2"], node => new DelegateKernel(node, ctx => throw new GraphExecutionException(
            $"You must feed a value for placeholder tensor '{node.Name}' with dtype {DataTypes.Name(node.GetType("dtype", DataType.DtInvalid))}.", node.Name)));
    }
}
