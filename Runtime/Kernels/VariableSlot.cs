namespace TypedGraph.Kernels;

/// <summary>
/// The storage of one variable in a session (a ref variable's buffer, or a resource variable's value).
/// Kernels that update it in place hold <see cref="SyncRoot"/> unless the op's <c>use_locking</c> is false.
/// </summary>
public sealed class VariableSlot
{
    /// <summary>Creates an empty (uninitialized) slot.</summary>
    public VariableSlot(string name) => Name = name;

    /// <summary>Variable name (the VariableV2 node name or the resource's shared_name).</summary>
    public string Name { get; }

    /// <summary>Current value; null until initialized (Assign, restore).</summary>
    /// <remarks>
    /// A tensor stored here is the variable's value until the next write and must not be modified in place
    /// afterwards: writes publish a new tensor (copy-on-write), and kernels may cache data derived from a value by its
    /// identity (a MatMul packs a weight matrix once and reuses the packing while the variable holds that tensor).
    /// </remarks>
    public Tensor? Value
    {
        get => _value;
        set => _value = value?.MarkPublished();
    }

    private Tensor? _value;

    /// <summary>True once a value has been assigned.</summary>
    public bool IsInitialized => Value != null;

    /// <summary>Lock for read-modify-write updates.</summary>
    public object SyncRoot { get; } = new();

    /// <summary>The value, or an error naming the variable when it has none.</summary>
    /// <exception cref="GraphExecutionException">The variable is not initialized.</exception>
    public Tensor GetValue(string readerNode) => Value ?? throw new GraphExecutionException(
        $"Attempting to use uninitialized value {Name} (read by node '{readerNode}'). Run the initializer or restore a checkpoint first.", readerNode);
}
