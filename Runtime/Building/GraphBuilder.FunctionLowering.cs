using TypedGraph.Functions;
using TypedGraph.Protos;

namespace TypedGraph.Building;

// TF2 functional ops (PartitionedCall, While, If, Case) rewritten in place into the TF1 form TF's runtime executes
// (FunctionalOpLowering), with the TF1 control-flow contexts of the loops and conds they become, so that
// Gradients.Compute differentiates them like loops and conds this builder made.
public sealed partial class GraphBuilder
{
    private readonly Dictionary<string, LoweredOrigin> _loweredOrigins = new(StringComparer.Ordinal);

    /// <summary>
    /// Rewrites the TF2 functional ops — <c>PartitionedCall</c>/<c>StatefulPartitionedCall</c>, <c>While</c>/
    /// <c>StatelessWhile</c>, <c>If</c>/<c>StatelessIf</c>, <c>Case</c>/<c>StatelessCase</c> — into the TF1 form TF's
    /// own runtime executes (lower_function_call_op.cc, lower_while_op.cc, lower_if_op.cc, lower_case_op.cc): function
    /// bodies inlined, While as an Enter/Merge/Switch/Exit frame, If and Case as Switch/Merge conds, each with its
    /// TF1 control-flow context; calls inside the bodies are lowered too. Each rewritten node becomes an
    /// <c>IdentityN</c> of its results under its own name, so its output names (<c>while:3</c>,
    /// <c>StatefulPartitionedCall:0</c>) stay valid and compute the same values.
    /// <see cref="Training.Gradients.Compute"/> calls this itself for the functional ops between its ys and xs; call
    /// it directly to inspect, export or run the lowered graph. Sessions created before keep running the functional
    /// ops (same values); create a new session to run the lowered form.
    /// </summary>
    /// <param name="outputs">Lower only the functional ops these tensors depend on (null: every functional op of the
    /// graph, including a SavedModel's save/restore functions).</param>
    /// <returns>How many functional nodes were rewritten (nested ones included).</returns>
    /// <exception cref="GraphFormatException">A function is missing from the library or does not fit its node (the
    /// message names the node and the function).</exception>
    public int LowerFunctionalOps(IEnumerable<Output>? outputs = null)
    {
        var roots = outputs?.Select(o => o.NodeName).ToList();
        return LowerFunctionalNodes(() =>
        {
            var nodes = roots == null ? Graph.Nodes : Reachable(roots);
            return nodes.Where(n => FunctionalOpLowering.IsLowered(n.Op)).ToList();
        });
    }

    /// <summary>Lowers, round after round, the functional nodes <paramref name="select"/> picks in the current graph,
    /// until it picks none (calls nested in bodies appear as nodes after their caller is lowered).</summary>
    internal int LowerFunctionalNodes(Func<IReadOnlyList<Node>> select)
    {
        int count = 0;
        for (int round = 0; ; round++)
        {
            var todo = select();
            if (todo.Count == 0) return count;
            if (round == 100) throw new GraphFormatException($"Functional ops nest more than 100 deep (node '{todo[0].Name}', op {todo[0].Op}); they are not lowered.");
            foreach (var n in todo)
            {
                LowerNode(n);
                count++;
            }
        }
    }

    /// <summary>Where an inlined node came from (node, function, caller), or null for any other node.</summary>
    internal LoweredOrigin? OriginOf(string nodeName) => _loweredOrigins.GetValueOrDefault(nodeName);

    private List<Node> Reachable(IEnumerable<string> roots)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var work = new Stack<string>(roots);
        while (work.Count > 0)
        {
            var name = work.Pop();
            if (!seen.Add(name) || Graph.FindNode(name) is not { } n) continue;
            foreach (var i in n.Inputs) work.Push(i.NodeName);
            foreach (var c in n.ControlInputs) work.Push(c);
        }
        return Graph.Nodes.Where(n => seen.Contains(n.Name)).ToList();
    }

    private void LowerNode(Node node)
    {
        var names = new HashSet<string>(Graph.Nodes.Select(n => n.Name), StringComparer.Ordinal);
        var lowered = FunctionalOpLowering.Lower(Graph.Def.Library, node.Def, names, LoweringOptions.Runtime);
        Graph.AddNodes(lowered.Nodes);
        foreach (var n in lowered.Nodes) _namer.MarkExisting(n.Name);

        // The contexts, as the import path rebuilds them from WhileContextDef/CondContextDef: the lowered node's own
        // context encloses the new loops and branches.
        var outer = ContextOf(node.Name);
        var map = new Dictionary<LoweredContext, ControlFlowContext>();
        ControlFlowContext? Resolve(LoweredContext? c) => c == null ? outer : map[c];
        Output Tensor(string name, DataType dtype)
        {
            var r = TensorRef.Parse(name);
            return new Output(r.NodeName, r.Index, dtype);
        }
        Output Typed(string name) => GetTensor(name);
        foreach (var c in lowered.NewContexts)
        {
            switch (c)
            {
                case LoweredLoop l:
                    var loop = new WhileContext(Resolve(l.Outer), l.Frame, l.ParallelIterations, backProp: true)
                    {
                        Pivot = Tensor(l.Pivot, DataType.DtBool),
                        PivotForPred = Typed(l.PivotForPred),
                        PivotForBody = Typed(l.PivotForBody),
                    };
                    loop.LoopEnters.AddRange(l.Enters.Select(Typed));
                    loop.LoopExits.AddRange(l.Exits.Select(Typed));
                    map[c] = loop;
                    break;
                case LoweredBranch b:
                    map[c] = new CondContext(Resolve(b.Outer), Tensor(b.Pred, DataType.DtBool), Tensor(b.Pivot, DataType.DtBool), b.Branch);
                    break;
            }
        }
        foreach (var n in lowered.Nodes)
        {
            var ctx = lowered.Contexts.TryGetValue(n.Name, out var lc) ? map[lc] : outer;
            if (ctx != null) _nodeContexts[n.Name] = ctx;
        }
        foreach (var (name, origin) in lowered.Origins) _loweredOrigins[name] = origin;
        _outputTypes.Remove(node.Name);
        Graph.ReplaceNode(lowered.Replacement);
    }

    // The functional ops have no OpDef in the catalogue: their output types are their T (While) or Tout list.
    private static DataType[]? FunctionalOutputTypes(Node node)
    {
        if (!FunctionalOpLowering.IsLowered(node.Op)) return null;
        var attr = node.Op is "While" or "StatelessWhile" ? "T" : "Tout";
        return node.Attr(attr) is { ValueCase: AttrValue.ValueOneofCase.List } a ? a.List.Type.ToArray() : null;
    }
}
