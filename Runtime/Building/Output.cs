using TypedGraph.Protos;

namespace TypedGraph.Building;

/// <summary>
/// A symbolic tensor of a graph being built (TF's <c>tf.Tensor</c>): output <see cref="Index"/> of node
/// <see cref="NodeName"/>, with its dtype (a <c>_REF</c> dtype for a ref variable's output).
/// </summary>
public readonly record struct Output(string NodeName, int Index, DataType DType)
{
    /// <summary>The tensor name, e.g. <c>"MatMul:0"</c> (what feeds and fetches use).</summary>
    public string Name => $"{NodeName}:{Index}";

    /// <summary>The dtype without the ref flavour.</summary>
    public DataType BaseType => DataTypes.BaseType(DType);

    /// <summary>The NodeDef input spelling (<c>"MatMul"</c> for output 0).</summary>
    public string InputString => Index == 0 ? NodeName : Name;

    /// <summary>As a <see cref="TensorRef"/>.</summary>
    public TensorRef Ref => new(NodeName, Index);

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({DataTypes.Name(DType)})";
}
