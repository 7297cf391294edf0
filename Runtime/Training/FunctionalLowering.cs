using TypedGraph.Building;
using TypedGraph.Functions;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>
/// Rewrites TF2 functional ops in a builder's graph, in place, into the TF1 form TF's own runtime executes, with the
/// TF1 control-flow contexts of the loops and conds they become (what <see cref="Gradients.Compute"/> needs to
/// differentiate them).
/// </summary>
public static class FunctionalLowering
{
    /// <summary>
    /// Rewrites the TF2 functional ops — <c>PartitionedCall</c>/<c>StatefulPartitionedCall</c>, <c>While</c>/
    /// <c>StatelessWhile</c>, <c>If</c>/<c>StatelessIf</c>, <c>Case</c>/<c>StatelessCase</c> — into the TF1 form TF's
    /// own runtime executes (lower_function_call_op.cc, lower_while_op.cc, lower_if_op.cc, lower_case_op.cc): function
    /// bodies inlined, While as an Enter/Merge/Switch/Exit frame, If and Case as Switch/Merge conds, each with its
    /// TF1 control-flow context; calls inside the bodies are lowered too. Each rewritten node becomes an
    /// <c>IdentityN</c> of its results under its own name, so its output names (<c>while:3</c>,
    /// <c>StatefulPartitionedCall:0</c>) stay valid and compute the same values.
    /// <see cref="Gradients.Compute"/> calls this itself for the functional ops between its ys and xs; call it directly
    /// to inspect, export or run the lowered graph. Sessions created before keep running the functional ops (same
    /// values); create a new session to run the lowered form.
    /// </summary>
    /// <param name="b">The builder whose graph is rewritten.</param>
    /// <param name="outputs">Lower only the functional ops these tensors depend on (null: every functional op of the
    /// graph, including a SavedModel's save/restore functions).</param>
    /// <returns>How many functional nodes were rewritten (nested ones included).</returns>
    /// <exception cref="GraphFormatException">A function is missing from the library or does not fit its node (the
    /// message names the node and the function).</exception>
    public static int LowerFunctionalOps(this GraphBuilder b, IEnumerable<Output>? outputs = null)
    {
        var roots = outputs?.Select(o => o.NodeName).ToList();
        return LowerRounds(b, () => (roots == null ? b.Graph.Nodes : Reachable(b.Graph, roots)).Where(n => FunctionalOpLowering.IsLowered(n.Op)).ToList());
    }

    /// <summary>Lowers, round after round, the functional nodes <paramref name="select"/> picks in the current graph,
    /// until it picks none (calls nested in bodies appear as nodes after their caller is lowered).</summary>
    internal static int LowerRounds(GraphBuilder b, Func<IReadOnlyList<Node>> select)
    {
        int count = 0;
        for (int round = 0; ; round++)
        {
            var todo = select();
            if (todo.Count == 0) return count;
            if (round == 100) throw new GraphFormatException($"Functional ops nest more than 100 deep (node '{todo[0].Name}', op {todo[0].Op}); they are not lowered.");
            foreach (var n in todo)
            {
                LowerNode(b, n);
                count++;
            }
        }
    }

    private static List<Node> Reachable(Graph graph, IEnumerable<string> roots)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var work = new Stack<string>(roots);
        while (work.Count > 0)
        {
            var name = work.Pop();
            if (!seen.Add(name) || graph.FindNode(name) is not { } n) continue;
            foreach (var i in n.Inputs) work.Push(i.NodeName);
            foreach (var c in n.ControlInputs) work.Push(c);
        }
        return graph.Nodes.Where(n => seen.Contains(n.Name)).ToList();
    }

    private static void LowerNode(GraphBuilder b, Node node)
    {
        var names = new HashSet<string>(b.Graph.Nodes.Select(n => n.Name), StringComparer.Ordinal);
        var lowered = FunctionalOpLowering.Lower(b.Graph.Def.Library, node.Def, names, LoweringOptions.Runtime);

        // The contexts, as the import path rebuilds them from WhileContextDef/CondContextDef: the lowered node's own
        // context encloses the new loops and branches. Typed tensors are read after the nodes exist.
        var outer = b.ContextOf(node.Name);
        var map = new Dictionary<LoweredContext, ControlFlowContext>();
        ControlFlowContext? Resolve(LoweredContext? c) => c == null ? outer : map[c];
        static Output Bool(string name)
        {
            var r = TensorRef.Parse(name);
            return new Output(r.NodeName, r.Index, DataType.DtBool);
        }
        var loops = new List<(WhileContext Loop, LoweredLoop Def)>();
        foreach (var c in lowered.NewContexts)
        {
            switch (c)
            {
                case LoweredLoop l:
                    var loop = new WhileContext(Resolve(l.Outer), l.Frame, l.ParallelIterations, backProp: true) { Pivot = Bool(l.Pivot) };
                    loops.Add((loop, l));
                    map[c] = loop;
                    break;
                case LoweredBranch br:
                    map[c] = new CondContext(Resolve(br.Outer), Bool(br.Pred), Bool(br.Pivot), br.Branch);
                    break;
            }
        }
        b.ApplyLowering(lowered.Nodes, lowered.Replacement, name => lowered.Contexts.TryGetValue(name, out var lc) ? map[lc] : outer,
            lowered.Origins.Select(kv => (kv.Key, kv.Value.Node, kv.Value.Function, kv.Value.Caller)));
        foreach (var (loop, l) in loops)
        {
            loop.PivotForPred = b.GetTensor(l.PivotForPred);
            loop.PivotForBody = b.GetTensor(l.PivotForBody);
            loop.LoopEnters.AddRange(l.Enters.Select(b.GetTensor));
            loop.LoopExits.AddRange(l.Exits.Select(b.GetTensor));
        }
    }
}
