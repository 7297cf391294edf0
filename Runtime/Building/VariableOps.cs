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

/// <summary>Variables, initializers, random ops and state updates (<c>tf.Variable</c>, <c>tf.get_variable</c>,
/// <c>tf.assign</c>, …) as extension methods of <see cref="GraphBuilder"/>; their OpDefs are in
/// <c>OpDefCatalog.State.cs</c>.</summary>
public static class VariableOps
{
    /// <summary>A random op (<c>RandomUniform</c>, <c>RandomStandardNormal</c>, <c>TruncatedNormal</c>) with the
    /// <c>seed</c>/<c>seed2</c> attrs TF's <c>get_seed</c> would set.</summary>
    public static Output RandomOp(this GraphBuilder builder, string opType, Output shape, DataType dtype, int? seed, string? name = null)
    {
        long s = 0, s2 = 0;
        if (builder.GraphSeed is int g)
        {
            s = g;
            s2 = seed ?? builder.Graph.Nodes.Count;
        }
        else if (seed is int op)
        {
            s = GraphBuilder.DefaultGraphSeed;
            s2 = op;
        }
        return builder.Op1(opType, [shape], name ?? opType, new Dictionary<string, AttrValue>
        {
            ["dtype"] = Attrs.Type(dtype),
            ["seed"] = Attrs.Int(s),
            ["seed2"] = Attrs.Int(s2),
        });
    }

    /// <summary>Creates a variable of <paramref name="shape"/> initialised by <paramref name="initializer"/>,
    /// registered in <c>variables</c> (and <c>trainable_variables</c> when <paramref name="trainable"/>).</summary>
    /// <param name="builder">The builder the ops are added to.</param>
    /// <param name="shape">Static shape (every dim known).</param>
    /// <param name="initializer">Initial-value builder, e.g. <c>new TruncatedNormal(stddev: 0.1)</c>.</param>
    /// <param name="name">Variable name inside the current scope (made unique).</param>
    /// <param name="dtype">Element type (float by default).</param>
    /// <param name="trainable">Whether optimizers train it by default.</param>
    /// <param name="style">Which TF API's naming to follow.</param>
    /// <param name="collections">Collections instead of the default ones (null = default).</param>
    /// <param name="colocateWith">Variable name for the <c>_class</c> colocation attr (optimizer slots).</param>
    public static Variable Variable(this GraphBuilder builder, long[] shape, Initializer initializer, string name = "Variable", DataType dtype = DataType.DtFloat,
        bool trainable = true, VariableStyle style = VariableStyle.TfVariable, IEnumerable<string>? collections = null, string? colocateWith = null)
    {
        if (shape.Any(d => d < 0)) throw new ArgumentException($"Variable '{name}' needs a fully known shape, got [{string.Join(", ", shape)}].", nameof(shape));
        if (style == VariableStyle.TfVariable)
        {
            var init = initializer.Build(builder, shape, dtype);
            return builder.CreateVariable(name, shape, dtype, trainable, collections, _ => init, colocateWith);
        }
        return builder.CreateVariable(name, shape, dtype, trainable, collections, _ =>
        {
            using var __ = builder.NameScope("Initializer");
            return initializer.Build(builder, shape, dtype);
        }, colocateWith);
    }

    /// <summary>A variable initialised from a literal value: <c>tf.Variable(2.0, name="bias")</c> → <c>bias/initial_value</c> Const.</summary>
    public static Variable Variable(this GraphBuilder builder, Tensor value, string name = "Variable", bool trainable = true, IEnumerable<string>? collections = null)
        => builder.Variable(value, name, trainable, collections, null);

    /// <summary>A literal-initialised variable colocated with another (<c>_class = loc:@…</c>), as optimizers
    /// create their non-slot variables (<c>beta1_power</c> next to the first trained variable).</summary>
    public static Variable Variable(this GraphBuilder builder, Tensor value, string name, bool trainable, IEnumerable<string>? collections, string? colocateWith)
        => builder.CreateVariable(name, value.Shape.ToArray().Select(d => (long)d).ToArray(), value.DType, trainable, collections,
            _ => builder.Constant(value, "initial_value"), colocateWith);

    /// <summary>A variable initialised from an existing tensor of known <paramref name="shape"/>.</summary>
    public static Variable Variable(this GraphBuilder builder, Output initialValue, long[] shape, string name = "Variable", bool trainable = true, IEnumerable<string>? collections = null)
        => builder.CreateVariable(name, shape, initialValue.BaseType, trainable, collections, _ => initialValue);

    private static Variable CreateVariable(this GraphBuilder builder, string name, long[] shape, DataType dtype, bool trainable, IEnumerable<string>? collections, Func<string, Output> init, string? colocateWith = null)
    {
        var scope = builder.UniqueName(name);
        using var _ = builder.NameScope(scope + "/");
        // TF builds the initial value first (inside the variable's scope), then the VariableV2.
        var initial = init(scope);
        var varAttrs = new Dictionary<string, AttrValue>
        {
            ["shape"] = Attrs.Shape(shape),
            ["dtype"] = Attrs.Type(dtype),
        };
        if (colocateWith != null) varAttrs["_class"] = Attrs.Colocate(colocateWith);
        var varNode = builder.AddOperationExact(scope, "VariableV2", [], varAttrs);
        var reference = builder.OutputOf(varNode);
        var colocate = new Dictionary<string, AttrValue> { ["_class"] = Attrs.Colocate(colocateWith ?? scope) };
        var assign = builder.AddOperationExact(scope + "/Assign", "Assign", [reference, initial], new Dictionary<string, AttrValue>(colocate)
        {
            ["use_locking"] = Attrs.Bool(true),
            ["validate_shape"] = Attrs.Bool(true),
        });
        var read = builder.AddOperationExact(scope + "/read", "Identity", [reference], colocate);
        var v = new Variable(scope, reference, builder.OutputOf(read), assign.Name, initial, dtype, shape, trainable);
        foreach (var key in collections ?? (trainable ? [GraphCollections.Variables, GraphCollections.TrainableVariables] : [GraphCollections.Variables]))
            builder.Collections.Add(key, v);
        return v;
    }

    /// <summary>
    /// A resource variable (<c>tf.get_variable(..., use_resource=True)</c>): <c>VarHandleOp</c> named
    /// <paramref name="name"/> (shared_name = its name), <c>&lt;v&gt;/Initializer/…</c>, <c>&lt;v&gt;/IsInitialized/VarIsInitializedOp</c>,
    /// <c>&lt;v&gt;/Assign</c> (AssignVariableOp) and <c>&lt;v&gt;/Read/ReadVariableOp</c> (the snapshot).
    /// </summary>
    public static Variable ResourceVariable(this GraphBuilder builder, long[] shape, Initializer initializer, string name = "Variable", DataType dtype = DataType.DtFloat, bool trainable = true)
    {
        var scope = builder.UniqueName(name);
        using var _ = builder.NameScope(scope + "/");
        Output initial;
        using (builder.NameScope("Initializer")) initial = initializer.Build(builder, shape, dtype);
        var handle = builder.OutputOf(builder.AddOperationExact(scope, "VarHandleOp", [], new Dictionary<string, AttrValue>
        {
            ["shape"] = Attrs.Shape(shape),
            ["dtype"] = Attrs.Type(dtype),
            ["shared_name"] = Attrs.String(scope),
        }));
        using (builder.NameScope("IsInitialized")) builder.AddOperation("VarIsInitializedOp", [handle], null, "VarIsInitializedOp");
        var assign = builder.AddOperationExact(scope + "/Assign", "AssignVariableOp", [handle, initial], new Dictionary<string, AttrValue> { ["dtype"] = Attrs.Type(dtype) });
        Output read;
        using (builder.NameScope("Read")) read = builder.OutputOf(builder.AddOperation("ReadVariableOp", [handle], new Dictionary<string, AttrValue> { ["dtype"] = Attrs.Type(dtype) }, "ReadVariableOp"));
        var v = new Variable(scope, handle, read, assign.Name, initial, dtype, shape, trainable, isResource: true);
        builder.Collections.Add(GraphCollections.Variables, v);
        if (trainable) builder.Collections.Add(GraphCollections.TrainableVariables, v);
        return v;
    }

    /// <summary>The <c>global_step</c> variable (int64 scalar, <c>global_step/Initializer/zeros</c>), created
    /// on first call and put in <c>variables</c> and <c>global_step</c>, like <c>tf.train.get_or_create_global_step</c>.
    /// An imported graph's <c>global_step</c> collection (or a variable named <c>global_step</c>) is reused.</summary>
    public static Variable GetOrCreateGlobalStep(this GraphBuilder builder)
    {
        var existing = builder.Collections.GetVariables(GraphCollections.GlobalStep).FirstOrDefault()
            ?? builder.Collections.GetVariables().FirstOrDefault(v => v.Name == "global_step");
        if (existing != null) return existing;
        using var _ = builder.NameScope("");
        return builder.Variable([], new ZerosInitializer(), "global_step", DataType.DtInt64, trainable: false,
            style: VariableStyle.GetVariable, collections: [GraphCollections.Variables, GraphCollections.GlobalStep]);
    }

    /// <summary><c>tf.global_variables_initializer()</c>: a NoOp named <c>init</c> depending on every initializer.</summary>
    public static Node GlobalVariablesInitializer(this GraphBuilder builder, string name = "init")
        => builder.AddOperation("NoOp", [], null, name, builder.GlobalVariables.Select(v => v.InitializerName).ToList());

    /// <summary><c>tf.variables_initializer(vars)</c>.</summary>
    public static Node VariablesInitializer(this GraphBuilder builder, IEnumerable<Variable> variables, string name = "init")
        => builder.AddOperation("NoOp", [], null, name, variables.Select(v => v.InitializerName).ToList());

    /// <summary><c>tf.assign(ref, value)</c>.</summary>
    public static Output Assign(this GraphBuilder builder, Variable v, Output value, string name = "Assign")
        => builder.Op1("Assign", [v.Ref, value], name, new Dictionary<string, AttrValue> { ["_class"] = Attrs.Colocate(v.Name), ["use_locking"] = Attrs.Bool(true), ["validate_shape"] = Attrs.Bool(true) });

    /// <summary><c>tf.assign_add(ref, value)</c>.</summary>
    public static Output AssignAdd(this GraphBuilder builder, Variable v, Output value, string name = "AssignAdd")
        => builder.Op1("AssignAdd", [v.Ref, value], name, new Dictionary<string, AttrValue> { ["_class"] = Attrs.Colocate(v.Name) });

    /// <summary><c>tf.assign_sub(ref, value)</c>.</summary>
    public static Output AssignSub(this GraphBuilder builder, Variable v, Output value, string name = "AssignSub")
        => builder.Op1("AssignSub", [v.Ref, value], name, new Dictionary<string, AttrValue> { ["_class"] = Attrs.Colocate(v.Name) });
}
