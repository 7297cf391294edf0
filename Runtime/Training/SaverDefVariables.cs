using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>
/// Finds the (checkpoint key, variable) pairs an imported SaverDef saves, for every layout TF 1.x writes:
/// one SaveV2 reading the filename tensor (plain Saver), or one SaveV2 per device shard reading a
/// <c>ShardedFilename</c> derived from it (sharded Saver, SavedModelBuilder); tensors taken from the variable
/// itself, its snapshot (<c>w/read</c>, <c>w/Read/ReadVariableOp</c>) or TF 1.14's
/// <c>save/Read/ReadVariableOp</c> + <c>save/Identity</c> copy.
/// </summary>
internal static class SaverDefVariables
{
    public static List<KeyValuePair<string, Variable>> Find(GraphBuilder builder, SaverDef saverDef, Dictionary<string, Variable> byNode)
    {
        var graph = builder.Graph;
        var filename = TensorRef.Parse(saverDef.FilenameTensorName).NodeName;
        var saves = graph.Nodes.Where(n => n.Op == "SaveV2" && n.Inputs.Count > 2 && Reaches(graph, n.Inputs[0].NodeName, filename)).ToList();
        if (saves.Count == 0)
            throw new GraphFormatException($"No SaveV2 node reads the SaverDef's filename tensor '{saverDef.FilenameTensorName}'.");
        var vars = new List<KeyValuePair<string, Variable>>();
        foreach (var save in saves)
        {
            var keys = builder.GetOperation(save.Inputs[1].NodeName).GetTensor("value").StringVal.Select(s => s.ToStringUtf8()).ToList();
            if (save.Inputs.Count != 3 + keys.Count)
                throw new GraphFormatException($"SaveV2 '{save.Name}' saves {keys.Count} keys but has {save.Inputs.Count - 3} tensor inputs.");
            for (int i = 0; i < keys.Count; i++)
            {
                var input = save.Inputs[3 + i].NodeName;
                var v = Resolve(graph, input, byNode)
                    ?? throw new GraphFormatException($"SaveV2 '{save.Name}' saves '{keys[i]}' from node '{input}', which is not a variable of the graph's collections.");
                vars.Add(new(keys[i], v));
            }
        }
        return vars.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
    }

    // The filename reaches a shard's SaveV2 through StringJoin/ShardedFilename (and TF 1.14's s3 cond): a short walk.
    private static bool Reaches(Graph graph, string from, string target)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>([from]);
        while (stack.Count > 0 && seen.Count < 64)
        {
            var name = stack.Pop();
            if (name == target) return true;
            if (!seen.Add(name) || graph.FindNode(name) is not { } node) continue;
            foreach (var i in node.Inputs) stack.Push(i.NodeName);
        }
        return false;
    }

    private static Variable? Resolve(Graph graph, string input, Dictionary<string, Variable> byNode)
    {
        for (int hops = 0; hops < 8; hops++)
        {
            if (byNode.TryGetValue(input, out var v)) return v;
            var bySnapshot = byNode.Values.FirstOrDefault(x => x.Snapshot.NodeName == input);
            if (bySnapshot != null) return bySnapshot;
            if (graph.FindNode(input) is not { Op: "Identity" or "ReadVariableOp", Inputs.Count: > 0 } node) return null;
            input = node.Inputs[0].NodeName;
        }
        return null;
    }
}
