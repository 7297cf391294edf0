using TypedGraph.Protos;

namespace TypedGraph.Building;

/// <summary>
/// A TF1 variable in a graph: the <c>VariableV2</c> (or <c>VarHandleOp</c>) node, its <c>&lt;name&gt;/Assign</c>
/// initializer, its <c>&lt;name&gt;/read</c> snapshot and its initial value — what a <see cref="VariableDef"/> records.
/// </summary>
public sealed class Variable
{
    /// <summary>Creates the handle (the builder does this).</summary>
    public Variable(string name, Output reference, Output snapshot, string initializerName, Output? initialValue,
        DataType dtype, long[]? shape, bool trainable, bool isResource = false)
    {
        Name = name;
        Ref = reference;
        Snapshot = snapshot;
        InitializerName = initializerName;
        InitialValue = initialValue;
        DType = DataTypes.BaseType(dtype);
        Shape = shape;
        Trainable = trainable;
        IsResource = isResource;
    }

    /// <summary>The op name, e.g. <c>"h1/w"</c> — also its key in checkpoints.</summary>
    public string Name { get; }

    /// <summary>The variable's own output (<c>w:0</c>, a ref or a resource handle) — what Assign/Apply ops take.</summary>
    public Output Ref { get; }

    /// <summary>The value consumers read (<c>w/read:0</c>).</summary>
    public Output Snapshot { get; }

    /// <summary>The initializer op (<c>w/Assign</c>).</summary>
    public string InitializerName { get; }

    /// <summary>The tensor the initializer assigns, when known.</summary>
    public Output? InitialValue { get; }

    /// <summary>Element dtype (base type).</summary>
    public DataType DType { get; }

    /// <summary>Static shape, null when unknown (imported without a shape attr).</summary>
    public long[]? Shape { get; }

    /// <summary>Whether optimizers update it by default (in <c>trainable_variables</c>).</summary>
    public bool Trainable { get; }

    /// <summary>True for a resource variable (<c>VarHandleOp</c>).</summary>
    public bool IsResource { get; }

    /// <summary>The VariableDef TF writes into the <c>variables</c> collections.</summary>
    public VariableDef ToVariableDef()
    {
        var d = new VariableDef { VariableName = Ref.Name, InitializerName = InitializerName, SnapshotName = Snapshot.Name, IsResource = IsResource, Trainable = Trainable };
        if (InitialValue is Output iv) d.InitialValueName = iv.Name;
        return d;
    }

    /// <summary>Rebuilds the handle of an imported variable from its VariableDef.</summary>
    /// <exception cref="GraphFormatException">A name in the VariableDef is not in the graph.</exception>
    public static Variable FromVariableDef(VariableDef def, GraphBuilder builder)
    {
        try
        {
            var reference = builder.GetTensor(def.VariableName);
            var node = builder.GetOperation(reference.NodeName);
            var snapshot = string.IsNullOrEmpty(def.SnapshotName) ? reference : builder.GetTensor(def.SnapshotName);
            Output? initial = string.IsNullOrEmpty(def.InitialValueName) ? (Output?)null : builder.GetTensor(def.InitialValueName);
            var dtype = node.GetType("dtype");
            var shape = Attrs.Dims(node.GetShape("shape"));
            // TF ≤ 1.8 never wrote `trainable`; membership in trainable_variables decides then.
            return new Variable(reference.NodeName, reference, snapshot, def.InitializerName, initial, dtype, shape, def.Trainable, def.IsResource);
        }
        catch (KeyNotFoundException e)
        {
            throw new GraphFormatException($"VariableDef of '{def.VariableName}' names a node missing from the graph: {e.Message}", e);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({DataTypes.Name(DType)}{(Shape == null ? "[?]" : "[" + string.Join(", ", Shape) + "]")})";
}
