using TypedGraph.Protos;

namespace TypedGraph.Execution;

/// <summary>
/// Which plan steps might keep an input tensor past their own step other than through their outputs (which the run's
/// value slots track): a plan with none can lease the variable values it reads and an optimizer step may then update a
/// value in place once the run's own readers are done (see <see cref="Kernels.VariableSlot"/>). Conservative: anything
/// not known to be a plain function of its inputs counts as keeping them.
/// </summary>
internal static class VariableLeasePolicy
{
    // Stateful ops known to keep nothing they are given: the variable ops (Assign* publish a copy or a new tensor), the
    // random generators (their inputs are shapes and parameters), Assert.
    private static readonly HashSet<string> s_statefulButKeepNothing = new(StringComparer.Ordinal)
    {
        "VariableV2", "Variable", "VarHandleOp", "ReadVariableOp", "Assign", "AssignAdd", "AssignSub", "AssignVariableOp",
        "AssignAddVariableOp", "AssignSubVariableOp", "IsVariableInitialized", "VarIsInitializedOp", "RandomUniform",
        "RandomUniformInt", "RandomStandardNormal", "TruncatedNormal", "ParameterizedTruncatedNormal", "Multinomial", "Assert",
    };

    /// <summary>True unless <paramref name="node"/>'s op is known to keep no input past its step.</summary>
    public static bool MayKeepInputs(Node node)
    {
        string op = node.Op;
        // The plan-time fusions (MatMul/Conv2D + bias + activation, row chains) compute their outputs and keep only
        // derived weight forms keyed on (tensor, version).
        if (op.StartsWith("_Fused", StringComparison.Ordinal)) return false;
        // The dense and sparse optimizer kernels read the variables under their locks and publish or update them.
        if (op.StartsWith("Apply", StringComparison.Ordinal) || op.StartsWith("ResourceApply", StringComparison.Ordinal)
            || op.StartsWith("SparseApply", StringComparison.Ordinal) || op.StartsWith("ResourceSparseApply", StringComparison.Ordinal))
            return false;
        bool known = s_statefulButKeepNothing.Contains(op);
        var def = Building.OpDefCatalog.Default.Find(op);
        if (def == null) return !known; // not a catalogued op (a library function, a custom op): anything may happen
        if (def.IsStateful && !known) return true;
        if (CallsFunction(node)) return true;
        if (known) return false;
        foreach (var arg in def.InputArg.Concat(def.OutputArg))
            if (IsHandle(ArgTypes(node, def, arg))) return true; // containers: TensorArray, TensorList, queues, tables…
        return false;
    }

    /// <summary>Whether the node calls a function (an attr of type func or list(func)): it may do anything its body does.</summary>
    internal static bool CallsFunction(Node node)
    {
        foreach (var attr in node.Def.Attr.Values)
            if (attr.ValueCase == AttrValue.ValueOneofCase.Func || attr.List?.Func.Count > 0) return true;
        return false;
    }

    // An arg's dtypes: fixed, or from the node's type attr (the OpDef's default when the node leaves it out).
    internal static IEnumerable<DataType> ArgTypes(Node node, OpDef def, OpDef.Types.ArgDef arg)
    {
        AttrValue? Default(string name) => def.Attr.FirstOrDefault(a => a.Name == name)?.DefaultValue;
        if (arg.Type != DataType.DtInvalid) return [arg.Type];
        if (arg.TypeAttr.Length > 0) return [node.GetType(arg.TypeAttr, Default(arg.TypeAttr)?.Type ?? DataType.DtInvalid)];
        if (arg.TypeListAttr.Length > 0) return node.GetTypes(arg.TypeListAttr, Default(arg.TypeListAttr)?.List?.Type.ToArray() ?? [DataType.DtInvalid]);
        return [];
    }

    internal static bool IsHandle(IEnumerable<DataType> types)
        => types.Any(t => DataTypes.BaseType(t) is DataType.DtResource or DataType.DtVariant or DataType.DtInvalid);
}
