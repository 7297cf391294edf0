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

    /// <summary>A generated model's typed tensor as a builder handle, so it plugs into the builder
    /// (<c>g.Multiply(model.OpToRestore, 2f)</c> with <c>g = new GraphBuilder(model.Graph)</c>).</summary>
    public static implicit operator Output(TypedGraph.Typed.GraphTensor t) => FromGraphTensor(t);

    /// <summary>See the implicit conversion.</summary>
    /// <exception cref="ArgumentException">The tensor's dtype name is unknown.</exception>
    public static Output FromGraphTensor(TypedGraph.Typed.GraphTensor t)
    {
        var dtype = Enum.GetValues<DataType>().Where(d => (int)d > 0 && (int)d < 100).FirstOrDefault(d => DataTypes.Name(d) == t.DType);
        if (dtype == DataType.DtInvalid) throw new ArgumentException($"Tensor '{t.Name}' has dtype '{t.DType}', which has no TF DataType.", nameof(t));
        return new Output(t.NodeName, t.OutputIndex, dtype);
    }
}
