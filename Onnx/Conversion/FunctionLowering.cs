using TypedGraph.Functions;
using TypedGraph.Protos;

namespace TypedGraph.Onnx.Conversion;

/// <summary>
/// Rewrites a TF2 graph whose computation sits in function bodies into the TF1 form the exporter converts, with the
/// runtime's lowering (<see cref="FunctionalOpLowering"/>: calls inlined, While as a TF1 frame, If / Case as
/// Switch/Merge conds, each node kept as an IdentityN of its results) in lower_if_op.cc's layout (one Switch per
/// input shared by both branches), only resource handles passed through a loop unchanged entering as invariants, and
/// the nodes' control edges dropped. Only nodes the outputs reach are kept; rounds repeat until no call is left
/// (calls inside bodies).
/// </summary>
internal static class FunctionLowering
{
    private static readonly LoweringOptions s_options = new(PerBranchSwitches: false, AllPassThroughInvariant: false, KeepControlEdges: false);

    /// <summary>True when a node the outputs reach calls a function this lowering handles.</summary>
    public static bool IsNeeded(Graph graph, IEnumerable<TensorRef> outputs)
        => Reachable(graph.Def, outputs.Select(o => o.NodeName)).Any(n => FunctionalOpLowering.IsLowered(n.Op));

    public static GraphDef Lower(Graph graph, IReadOnlyList<TensorRef> outputs)
    {
        var def = graph.Def;
        var roots = outputs.Select(o => o.NodeName).ToList();
        for (int round = 0; round < 100; round++)
        {
            var reach = Reachable(def, roots);
            if (!reach.Any(n => FunctionalOpLowering.IsLowered(n.Op)))
            {
                var done = new GraphDef { Versions = def.Versions?.Clone(), Library = def.Library };
                done.Node.AddRange(reach.Select(n => n.Clone()));
                return done;
            }
            var next = new GraphDef { Versions = def.Versions?.Clone(), Library = def.Library };
            var names = new HashSet<string>(def.Node.Select(n => n.Name), StringComparer.Ordinal);
            foreach (var n in reach)
            {
                if (!FunctionalOpLowering.IsLowered(n.Op))
                {
                    next.Node.Add(n.Clone());
                    continue;
                }
                LoweredOp lowered;
                try
                {
                    lowered = FunctionalOpLowering.Lower(def.Library, n, names, s_options);
                }
                catch (FunctionLoweringException e)
                {
                    throw new OnnxExportException($"Cannot export node '{e.NodeName}' (op {e.Op}) to ONNX: {e.Reason}", e);
                }
                next.Node.AddRange(lowered.Nodes);
                next.Node.Add(lowered.Replacement);
            }
            def = next;
        }
        throw new OnnxExportException("Function calls nest more than 100 deep; the graph is not exported.");
    }

    /// <summary>The nodes reachable from <paramref name="roots"/> through data and control inputs, in graph order.</summary>
    private static List<NodeDef> Reachable(GraphDef def, IEnumerable<string> roots)
    {
        var byName = def.Node.ToDictionary(n => n.Name, StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var work = new Stack<string>(roots);
        while (work.Count > 0)
        {
            var name = work.Pop();
            if (!seen.Add(name) || !byName.TryGetValue(name, out var n)) continue;
            foreach (var i in n.Input) work.Push(FunctionalOpLowering.NodeOf(i));
        }
        return def.Node.Where(n => seen.Contains(n.Name)).ToList();
    }
}
