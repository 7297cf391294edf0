using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>
/// Decides whether a graph's own restore op (<see cref="SaverDef.RestoreOpName"/>) only reads a checkpoint and assigns
/// variables. A graph file is code: its "restore" op may depend on anything — <c>SaveV2</c>,
/// <c>MergeV2Checkpoints</c> (which deletes its inputs), <c>WriteFile</c>, <c>DeleteFile</c> — at paths the file chooses,
/// and TF's <c>saver.restore</c> would run all of it. Tools that load files they did not write (<c>typedgraph run</c>)
/// run the restore op only when every node it depends on, including the bodies of called functions (TF2 SavedModels
/// restore through a <c>StatefulPartitionedCall</c>), is one of the ops TF's own savers emit for restoring.
/// </summary>
public static class RestoreOpAudit
{
    // What tf.compat.v1.train.Saver (saver.py, BaseSaverBuilder._AddRestoreOps / _AddShardedRestoreOps) and the TF2
    // functional saver (functional_saver.py, restore_fn) put under the restore op: the filename placeholder and its
    // default, string constants for names/slices, the reads, identities, the assignments and grouping NoOps.
    private static readonly HashSet<string> ReadAndAssignOps = new(StringComparer.Ordinal)
    {
        "NoOp", "Const", "Identity", "IdentityN", "Placeholder", "PlaceholderWithDefault",
        "RestoreV2", "Restore", "RestoreSlice", "ShardedFilename", "ShardedFilespec", "StringJoin",
        "Assign", "AssignVariableOp", "DisableCopyOnRead",
        "VariableV2", "Variable", "VarHandleOp", "ReadVariableOp",
        "PartitionedCall", "StatefulPartitionedCall",
    };

    /// <summary>
    /// The first node the restore op of <paramref name="saverDef"/> depends on that is not a checkpoint read, a
    /// variable assignment or plumbing between them, described as <c>'name' (Op)</c>; null when the restore op is
    /// safe to run (or there is none).
    /// </summary>
    /// <param name="graph">The graph holding the restore op (and the function library of its calls).</param>
    /// <param name="saverDef">The graph's SaverDef; null or without a restore op means there is nothing to run.</param>
    public static string? FindUnexpectedOp(Graph graph, SaverDef? saverDef)
    {
        ArgumentNullException.ThrowIfNull(graph);
        if (saverDef == null || string.IsNullOrEmpty(saverDef.RestoreOpName)) return null;
        var functions = new Dictionary<string, FunctionDef>(StringComparer.Ordinal);
        if (graph.Def.Library != null)
            foreach (var f in graph.Def.Library.Function)
                if (f.Signature != null) functions[f.Signature.Name] = f;

        var root = graph.FindNode(TensorRef.Parse(saverDef.RestoreOpName).NodeName);
        if (root == null) return null; // the session reports a missing restore op when it is run
        var seen = new HashSet<string>(StringComparer.Ordinal) { root.Name };
        var pending = new Stack<Node>([root]);
        var auditedFunctions = new HashSet<string>(StringComparer.Ordinal);
        while (pending.Count > 0)
        {
            var node = pending.Pop();
            if (Unexpected(node.Name, node.Op, node.Def.Attr, functions, auditedFunctions) is { } bad) return bad;
            foreach (var input in node.Inputs.Select(i => i.NodeName).Concat(node.ControlInputs))
                if (seen.Add(input) && graph.FindNode(input) is { } next) pending.Push(next);
        }
        return null;
    }

    // An op outside the allow-list, or a call whose function (transitively) contains one.
    private static string? Unexpected(string name, string op, IDictionary<string, AttrValue> attrs,
        Dictionary<string, FunctionDef> functions, HashSet<string> audited)
    {
        if (functions.ContainsKey(op)) return AuditFunction(op, name, functions, audited);
        if (!ReadAndAssignOps.Contains(op)) return $"'{name}' ({op})";
        if (op is "PartitionedCall" or "StatefulPartitionedCall")
        {
            if (!attrs.TryGetValue("f", out var f) || f.Func == null) return $"'{name}' ({op} without a function)";
            return AuditFunction(f.Func.Name, name, functions, audited);
        }
        return null;
    }

    private static string? AuditFunction(string function, string caller, Dictionary<string, FunctionDef> functions, HashSet<string> audited)
    {
        if (!audited.Add(function)) return null;
        if (!functions.TryGetValue(function, out var def)) return $"'{caller}' (calls '{function}', which is not in the graph's library)";
        // Every node of the body runs when the function is called, so every node is checked, not just a closure.
        foreach (var n in def.NodeDef)
            if (Unexpected($"{function}/{n.Name}", n.Op, n.Attr, functions, audited) is { } bad) return bad;
        return null;
    }
}
