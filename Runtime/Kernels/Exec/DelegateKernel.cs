namespace TypedGraph.Kernels.Exec;

/// <summary>A kernel whose Prepare step is the factory's closure and whose Eval is a delegate — for simple ops.</summary>
internal sealed class DelegateKernel(Node node, Action<OpKernelContext> compute) : OpKernel(node)
{
    /// <inheritdoc/>
    public override void Compute(OpKernelContext context) => compute(context);
}
