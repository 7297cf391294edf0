namespace TypedGraph.Kernels.Exec;

/// <summary>
/// <c>DisableCopyOnRead</c> (TF ≥ 2.12, in traced save functions before reading a variable): turns off TF's
/// copy-on-read mode of a resource variable (a TF optimisation for sparse updates). TypedGraph's variables have no
/// such mode, so the op only checks its input is there.
/// </summary>
internal sealed class CopyOnReadKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
        => registry.Add("DisableCopyOnRead", node => new DelegateKernel(node, ctx => _ = ctx.Input(0)));
}
