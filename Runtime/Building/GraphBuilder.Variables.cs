using TypedGraph.Protos;

namespace TypedGraph.Building;

/// <summary>Where a variable's initializer ops are named.</summary>
public enum VariableStyle
{
    /// <summary><c>tf.Variable(init(shape), name="w")</c>: the initializer is built first in the current scope
    /// (<c>truncated_normal</c>, <c>zeros</c>), then <c>w</c>, <c>w/Assign</c>, <c>w/read</c>.</summary>
    TfVariable,
    /// <summary><c>tf.get_variable("w", initializer=…)</c>: <c>w</c>, then <c>w/Initializer/…</c>, <c>w/Assign</c>, <c>w/read</c>.</summary>
    GetVariable,
}

// Variables, initialization, random ops and state updates (tf.Variable, tf.get_variable, tf.assign…).
public sealed partial class GraphBuilder
{
    /// <summary>TF's default graph seed when only an op seed is set (<c>random_seed.DEFAULT_GRAPH_SEED</c>).</summary>
    public const int DefaultGraphSeed = 87654321;

    /// <summary>Graph-level seed (<c>tf.set_random_seed</c>); null = none.</summary>
    public int? GraphSeed { get; set; }

    /// <summary>A random op (<c>RandomUniform</c>, <c>RandomStandardNormal</c>, <c>TruncatedNormal</c>) with the
    /// <c>seed</c>/<c>seed2</c> attrs TF's <c>get_seed</c> would set.</summary>
    public Output RandomOp(string opType, Output shape, DataType dtype, int? seed, string? name = null)
    {
        long s = 0, s2 = 0;
        if (GraphSeed is int g)
        {
            s = g;
            s2 = seed ?? Graph.Nodes.Count;
        }
        else if (seed is int op)
        {
            s = DefaultGraphSeed;
            s2 = op;
        }
        return Op1(opType, [shape], name ?? opType, new Dictionary<string, AttrValue>
        {
            ["dtype"] = Attrs.Type(dtype),
            ["seed"] = Attrs.Int(s),
            ["seed2"] = Attrs.Int(s2),
        });
    }

    /// <summary>Creates a variable of <paramref name="shape"/> initialised by <paramref name="initializer"/>,
    /// registered in <c>variables</c> (and <c>trainable_variables</c> when <paramref name="trainable"/>).</summary>
    /// <param name="shape">Static shape (every dim known).</param>
    /// <param name="initializer">Initial-value builder, e.g. <c>new TruncatedNormal(stddev: 0.1)</c>.</param>
    /// <param name="name">Variable name inside the current scope (made unique).</param>
    /// <param name="dtype">Element type (float by default).</param>
    /// <param name="trainable">Whether optimizers train it by default.</param>
    /// <param name="style">Which TF API's naming to follow.</param>
    /// <param name="collections">Collections instead of the default ones (null = default).</param>
    /// <param name="colocateWith">Variable name for the <c>_class</c> colocation attr (optimizer slots).</param>
    public Variable Variable(long[] shape, Initializer initializer, string name = "Variable", DataType dtype = DataType.DtFloat,
        bool trainable = true, VariableStyle style = VariableStyle.TfVariable, IEnumerable<string>? collections = null, string? colocateWith = null)
    {
        if (shape.Any(d => d < 0)) throw new ArgumentException($"Variable '{name}' needs a fully known shape, got [{string.Join(", ", shape)}].", nameof(shape));
        if (style == VariableStyle.TfVariable)
        {
            var init = initializer.Build(this, shape, dtype);
            return CreateVariable(name, shape, dtype, trainable, collections, _ => init, colocateWith);
        }
        return CreateVariable(name, shape, dtype, trainable, collections, _ =>
        {
            using var __ = NameScope("Initializer");
            return initializer.Build(this, shape, dtype);
        }, colocateWith);
    }

    /// <summary>A variable initialised from a literal value: <c>tf.Variable(2.0, name="bias")</c> → <c>bias/initial_value</c> Const.</summary>
    public Variable Variable(Tensor value, string name = "Variable", bool trainable = true, IEnumerable<string>? collections = null)
        => Variable(value, name, trainable, collections, null);

    /// <summary>A literal-initialised variable colocated with another (<c>_class = loc:@…</c>), as optimizers
    /// create their non-slot variables (<c>beta1_power</c> next to the first trained variable).</summary>
    public Variable Variable(Tensor value, string name, bool trainable, IEnumerable<string>? collections, string? colocateWith)
        => CreateVariable(name, value.Shape.ToArray().Select(d => (long)d).ToArray(), value.DType, trainable, collections,
            _ => Constant(value, "initial_value"), colocateWith);

    /// <summary>A variable initialised from an existing tensor of known <paramref name="shape"/>.</summary>
    public Variable Variable(Output initialValue, long[] shape, string name = "Variable", bool trainable = true, IEnumerable<string>? collections = null)
        => CreateVariable(name, shape, initialValue.BaseType, trainable, collections, _ => initialValue);

    private Variable CreateVariable(string name, long[] shape, DataType dtype, bool trainable, IEnumerable<string>? collections, Func<string, Output> init, string? colocateWith = null)
    {
        var scope = UniqueName(name);
        using var _ = NameScope(scope + "/");
        // TF builds the initial value first (inside the variable's scope), then the VariableV2.
        var initial = init(scope);
        var varAttrs = new Dictionary<string, AttrValue>
        {
            ["shape"] = Attrs.Shape(shape),
            ["dtype"] = Attrs.Type(dtype),
        };
        if (colocateWith != null) varAttrs["_class"] = Attrs.Colocate(colocateWith);
        var varNode = AddOperationExact(scope, "VariableV2", [], varAttrs);
        var reference = OutputOf(varNode);
        var colocate = new Dictionary<string, AttrValue> { ["_class"] = Attrs.Colocate(colocateWith ?? scope) };
        var assign = AddOperationExact(scope + "/Assign", "Assign", [reference, initial], new Dictionary<string, AttrValue>(colocate)
        {
            ["use_locking"] = Attrs.Bool(true),
            ["validate_shape"] = Attrs.Bool(true),
        });
        var read = AddOperationExact(scope + "/read", "Identity", [reference], colocate);
        var v = new Variable(scope, reference, OutputOf(read), assign.Name, initial, dtype, shape, trainable);
        foreach (var key in collections ?? (trainable ? [GraphCollections.Variables, GraphCollections.TrainableVariables] : [GraphCollections.Variables]))
            Collections.Add(key, v);
        return v;
    }

    /// <summary>
    /// A resource variable (<c>tf.get_variable(..., use_resource=True)</c>): <c>VarHandleOp</c> named
    /// <paramref name="name"/> (shared_name = its name), <c>&lt;v&gt;/Initializer/…</c>, <c>&lt;v&gt;/IsInitialized/VarIsInitializedOp</c>,
    /// <c>&lt;v&gt;/Assign</c> (AssignVariableOp) and <c>&lt;v&gt;/Read/ReadVariableOp</c> (the snapshot).
    /// </summary>
    public Variable ResourceVariable(long[] shape, Initializer initializer, string name = "Variable", DataType dtype = DataType.DtFloat, bool trainable = true)
    {
        var scope = UniqueName(name);
        using var _ = NameScope(scope + "/");
        Output initial;
        using (NameScope("Initializer")) initial = initializer.Build(this, shape, dtype);
        var handle = OutputOf(AddOperationExact(scope, "VarHandleOp", [], new Dictionary<string, AttrValue>
        {
            ["shape"] = Attrs.Shape(shape),
            ["dtype"] = Attrs.Type(dtype),
            ["shared_name"] = Attrs.String(scope),
        }));
        using (NameScope("IsInitialized")) AddOperation("VarIsInitializedOp", [handle], null, "VarIsInitializedOp");
        var assign = AddOperationExact(scope + "/Assign", "AssignVariableOp", [handle, initial], new Dictionary<string, AttrValue> { ["dtype"] = Attrs.Type(dtype) });
        Output read;
        using (NameScope("Read")) read = OutputOf(AddOperation("ReadVariableOp", [handle], new Dictionary<string, AttrValue> { ["dtype"] = Attrs.Type(dtype) }, "ReadVariableOp"));
        var v = new Variable(scope, handle, read, assign.Name, initial, dtype, shape, trainable, isResource: true);
        Collections.Add(GraphCollections.Variables, v);
        if (trainable) Collections.Add(GraphCollections.TrainableVariables, v);
        return v;
    }

    /// <summary>The <c>global_step</c> variable (int64 scalar, <c>global_step/Initializer/zeros</c>), created
    /// on first call and put in <c>variables</c> and <c>global_step</c>, like <c>tf.train.get_or_create_global_step</c>.
    /// An imported graph's <c>global_step</c> collection (or a variable named <c>global_step</c>) is reused.</summary>
    public Variable GetOrCreateGlobalStep()
    {
        var existing = Collections.GetVariables(GraphCollections.GlobalStep).FirstOrDefault()
            ?? Collections.GetVariables().FirstOrDefault(v => v.Name == "global_step");
        if (existing != null) return existing;
        using var _ = NameScope("");
        return Variable([], new ZerosInitializer(), "global_step", DataType.DtInt64, trainable: false,
            style: VariableStyle.GetVariable, collections: [GraphCollections.Variables, GraphCollections.GlobalStep]);
    }

    /// <summary>Every variable in <c>variables</c>.</summary>
    public IReadOnlyList<Variable> GlobalVariables => Collections.GetVariables(GraphCollections.Variables);

    /// <summary>Every variable in <c>trainable_variables</c>.</summary>
    public IReadOnlyList<Variable> TrainableVariables => Collections.GetVariables(GraphCollections.TrainableVariables);

    /// <summary>A variable of the <c>variables</c> collection by op name.</summary>
    /// <exception cref="KeyNotFoundException">No such variable; the message lists the variables.</exception>
    public Variable GetVariable(string name) => GlobalVariables.FirstOrDefault(v => v.Name == name)
        ?? throw new KeyNotFoundException($"No variable named '{name}'. Variables: {string.Join(", ", GlobalVariables.Select(v => v.Name))}.");

    /// <summary><c>tf.global_variables_initializer()</c>: a NoOp named <c>init</c> depending on every initializer.</summary>
    public Node GlobalVariablesInitializer(string name = "init")
        => AddOperation("NoOp", [], null, name, GlobalVariables.Select(v => v.InitializerName).ToList());

    /// <summary><c>tf.variables_initializer(vars)</c>.</summary>
    public Node VariablesInitializer(IEnumerable<Variable> variables, string name = "init")
        => AddOperation("NoOp", [], null, name, variables.Select(v => v.InitializerName).ToList());

    /// <summary><c>tf.assign(ref, value)</c>.</summary>
    public Output Assign(Variable v, Output value, string name = "Assign")
        => Op1("Assign", [v.Ref, value], name, new Dictionary<string, AttrValue> { ["_class"] = Attrs.Colocate(v.Name), ["use_locking"] = Attrs.Bool(true), ["validate_shape"] = Attrs.Bool(true) });

    /// <summary><c>tf.assign_add(ref, value)</c>.</summary>
    public Output AssignAdd(Variable v, Output value, string name = "AssignAdd")
        => Op1("AssignAdd", [v.Ref, value], name, new Dictionary<string, AttrValue> { ["_class"] = Attrs.Colocate(v.Name) });

    /// <summary><c>tf.assign_sub(ref, value)</c>.</summary>
    public Output AssignSub(Variable v, Output value, string name = "AssignSub")
        => Op1("AssignSub", [v.Ref, value], name, new Dictionary<string, AttrValue> { ["_class"] = Attrs.Colocate(v.Name) });
}
