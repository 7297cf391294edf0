namespace TypedGraph.Kernels;

/// <summary>
/// The kernel of one node, built once per execution plan (the constructor is TF Lite Micro's Prepare:
/// read and validate attrs, resolve padding/strides into a plan) and then called on every run
/// (<see cref="Compute"/> is Eval: no attr parsing, no allocation beyond the outputs).
/// </summary>
public abstract class OpKernel
{
    /// <summary>Binds the kernel to its node.</summary>
    protected OpKernel(Node node) => Node = node;

    /// <summary>The node this kernel runs.</summary>
    public Node Node { get; }

    /// <summary>Computes the outputs from the inputs in <paramref name="context"/>.</summary>
    /// <exception cref="GraphExecutionException">Bad input values (shape/dtype), naming the node.</exception>
    public abstract void Compute(OpKernelContext context);

    /// <summary>The broadcast output shape of a two-input elementwise op, after checking that both inputs share a
    /// dtype and have broadcast-compatible shapes (TF's BCast), with errors naming this node.</summary>
    /// <exception cref="GraphExecutionException">Different dtypes or incompatible shapes.</exception>
    protected TensorShape BinaryOutputShape(Tensor a, Tensor b)
    {
        if (a.DType != b.DType)
            throw Error($"inputs must have the same dtype, got {DataTypes.Name(a.DType)} and {DataTypes.Name(b.DType)}.");
        if (!Common.Broadcast.TryShape(a.Shape, b.Shape, out var shape))
            throw Error($"Incompatible shapes: {a.Shape} vs. {b.Shape}.");
        return shape;
    }

    /// <summary>An error about this node's inputs or attrs, with the node name and op type in the message.</summary>
    protected GraphExecutionException Error(string message) => new($"{Node.Op} node '{Node.Name}': {message}", Node.Name);
}

/// <summary>Creates the kernel for a node (may throw <see cref="GraphExecutionException"/> for bad attrs).</summary>
public delegate OpKernel KernelFactory(Node node);

/// <summary>
/// A family of kernels registering itself (one per file, e.g. <c>MatMulKernels</c>). Every non-abstract
/// subclass with a parameterless constructor in this assembly is listed at build time by
/// <c>tools/KernelSetGenerator</c> into <see cref="KernelRegistry.Default"/> (plain code, no reflection), so
/// adding a kernel file needs no edit to a central list.
/// </summary>
public abstract class KernelSet
{
    /// <summary>Adds this family's op types.</summary>
    public abstract void Register(KernelRegistry registry);
}
