using TypedGraph.Protos;

namespace TypedGraph.Execution;

/// <summary>
/// The plan-time half of TF's grappler dependency optimizer (core/grappler/optimizers/dependency_optimizer.cc,
/// <c>SafeToConvertToNoOp</c> and the NoOp conversion in <c>OptimizeNode</c>): a node whose outputs nothing in the plan
/// reads — it is there only because a control edge waits on it, as the input gradient of a first layer is, reached only
/// through <c>tf.gradients</c>' <c>tuple/group_deps</c> — runs as a <c>NoOp</c> when the op is free of side effects. Its data
/// inputs become control inputs, so the order the graph asks for is kept, and the producers they came from are looked at
/// again (a chain feeding only such a node goes too).
/// </summary>
/// <remarks>
/// As TF's rule: not for nodes the request names (fetched, fed, targets), not for control-flow nodes (Merge, Switch,
/// Enter, Exit, NextIteration) or ops TF keeps (<c>Assert</c>, <c>CheckNumerics</c>, <c>ControlTrigger</c>), not for
/// stateful ops, ops with a ref input, queue ops, ops without outputs, or ops whose definition is unknown. Unlike TF, two
/// more kinds are kept: a node with a data input from a <c>Switch</c> (TF routes such an edge through an Identity so the
/// NoOp stays dead in an untaken branch; a control edge straight from the Switch would not be), and ops on resource or
/// variant handles (TensorArray, TensorList, lookup tables: TF does not mark <c>TensorArrayReadV3</c> stateful, yet a read
/// changes its array). Only the plan changes, never the graph; <see cref="SessionOptions.OptimizeDependencies"/> turns it off.
/// </remarks>
internal static class DependencyOptimizer
{
    private static readonly HashSet<string> s_kept = new(StringComparer.Ordinal)
    {
        "Assert", "CheckNumerics", "ControlTrigger", "_Retval", "_Arg", "NoOp", "Placeholder", "PlaceholderV2", "PlaceholderWithDefault",
    };

    /// <summary>Returns <paramref name="needed"/> with every control-only, side-effect-free node replaced by a NoOp.</summary>
    public static List<Node> Rewrite(List<Node> needed, TensorRef[] fetches, HashSet<TensorRef> fed, Node[] targets)
    {
        var byName = new Dictionary<string, Node>(needed.Count, StringComparer.Ordinal);
        foreach (var n in needed) byName[n.Name] = n;
        var readers = new Dictionary<string, int>(StringComparer.Ordinal); // data edges out of each node
        foreach (var n in needed)
            foreach (var r in n.Inputs)
                if (!fed.Contains(r)) readers[r.NodeName] = readers.GetValueOrDefault(r.NodeName) + 1;
        var preserved = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in fetches) preserved.Add(f.NodeName);
        foreach (var f in fed) preserved.Add(f.NodeName);
        foreach (var t in targets) preserved.Add(t.Name);

        var converted = new Dictionary<string, Node>(StringComparer.Ordinal);
        var work = new Stack<Node>(needed);
        while (work.TryPop(out var n))
        {
            if (converted.ContainsKey(n.Name) || readers.GetValueOrDefault(n.Name) > 0 || preserved.Contains(n.Name)) continue;
            if (!FreeOfSideEffects(n, byName)) continue;
            converted[n.Name] = ToNoOp(n, fed);
            foreach (var r in n.Inputs)
            {
                if (fed.Contains(r)) continue;
                readers[r.NodeName]--;
                if (byName.TryGetValue(r.NodeName, out var producer)) work.Push(producer);
            }
        }
        if (converted.Count == 0) return needed;
        return needed.Select(n => converted.GetValueOrDefault(n.Name) ?? n).ToList();
    }

    private static bool FreeOfSideEffects(Node n, Dictionary<string, Node> byName)
    {
        string op = n.Op;
        if (s_kept.Contains(op) || ControlFlow.IsMerge(op) || ControlFlow.IsSwitch(op) || ControlFlow.IsLoopOp(op)) return false;
        if (op.Contains("Queue", StringComparison.Ordinal) || op.StartsWith('_') || op is "Send" or "Recv") return false;
        var def = Building.OpDefCatalog.Default.Find(op);
        if (def == null || def.IsStateful || def.OutputArg.Count == 0 || def.InputArg.Any(a => a.IsRef)) return false;
        // Ops on containers (TensorArray, TensorList, tables, iterators: resource or variant handles) are kept: TF does not
        // mark TensorArrayReadV3 stateful, yet a read changes its array (clear_after_read).
        foreach (var arg in def.InputArg.Concat(def.OutputArg))
            if (VariableLeasePolicy.IsHandle(VariableLeasePolicy.ArgTypes(n, def, arg))) return false;
        if (VariableLeasePolicy.CallsFunction(n)) return false;
        foreach (var r in n.Inputs)
        {
            if (!byName.TryGetValue(r.NodeName, out var producer)) continue;
            if (ControlFlow.IsSwitch(producer.Op)) return false;
            // TF's SafeToRemoveIdentity: an Identity of a variable (a snapshot of its value at this point) stays.
            if (op is "Identity" or "IdentityN" or "Snapshot" && producer.Op is "VariableV2" or "Variable" or "VarHandleOp" or "ReadVariableOp")
                return false;
        }
        return true;
    }

    /// <summary>A NoOp of the same name waiting on every node <paramref name="n"/> read from (fed values excepted) or waited on.</summary>
    private static Node ToNoOp(Node n, HashSet<TensorRef> fed)
    {
        var def = new NodeDef { Name = n.Name, Op = "NoOp", Device = n.Device };
        var waits = n.Inputs.Where(r => !fed.Contains(r)).Select(r => r.NodeName).Concat(n.ControlInputs).Distinct(StringComparer.Ordinal);
        def.Input.Add(waits.Select(w => "^" + w));
        return new Node(def, n.Id);
    }
}
