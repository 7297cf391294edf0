namespace TypedGraph.Execution;

/// <summary>Finds the initializer op of every variable in a graph (what <c>global_variables_initializer</c> groups).</summary>
internal static class VariableInitializers
{
    /// <summary>Variable op types: ref variables and resource handles.</summary>
    public static bool IsVariableOp(string op) => op is "VariableV2" or "Variable" or "VarHandleOp";

    /// <summary>The initializer op names, one per variable that has one, in graph order.</summary>
    public static List<string> Find(Graph graph)
    {
        var byVariable = new Dictionary<string, string>(StringComparer.Ordinal);
        var candidates = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var n in graph.Nodes)
        {
            if (n.Op is not ("Assign" or "AssignVariableOp") || n.Inputs.Count < 2) continue;
            var target = n.Inputs[0].NodeName;
            // Saver restore ops also assign variables; they read RestoreV2, which must not run here.
            if (IsSaverScope(n.Name)) continue;
            if (!candidates.TryGetValue(target, out var list)) candidates[target] = list = [];
            list.Add(n.Name);
        }
        var result = new List<string>();
        foreach (var v in graph.Nodes)
        {
            if (!IsVariableOp(v.Op)) continue;
            if (graph.Contains(v.Name + "/Assign")) result.Add(v.Name + "/Assign");
            else if (candidates.TryGetValue(v.Name, out var list) && list.Count == 1) result.Add(list[0]);
        }
        return result;
    }

    private static bool IsSaverScope(string name)
    {
        int slash = name.IndexOf('/');
        var scope = slash < 0 ? name : name[..slash];
        return scope == "save" || (scope.StartsWith("save_", StringComparison.Ordinal) && scope[5..].All(char.IsAsciiDigit));
    }
}
