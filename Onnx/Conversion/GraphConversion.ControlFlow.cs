using TypedGraph.Building;
using TypedGraph.Onnx.Protos;
using TypedGraph.Protos;
using OnnxType = TypedGraph.Onnx.Protos.TensorProto.Types.DataType;

namespace TypedGraph.Onnx.Conversion;

/// <summary>
/// TF1 control flow with input-dependent predicates: <c>tf.cond</c> (Switch/Merge) → ONNX <c>If</c> and
/// <c>tf.while_loop</c> (Enter/Merge/Switch/LoopCond/NextIteration/Exit) → ONNX <c>Loop</c>.
/// <para>
/// Every tensor gets a <em>guard</em>: the chain of branches and loop frames it lives in, read off the graph the way
/// TF's executor propagates liveness (tensorflow/core/common_runtime/executor.cc, propagator_state.cc): output k of a
/// Switch is live only when its predicate equals k, an Enter moves into a child frame, an Exit back out, a Merge joins
/// the branches of one Switch predicate, everything else lives where its inputs (and control inputs — TF gives a
/// branch's constants a control edge from the branch pivot) live. The predicate of a term is read through
/// Identity ops, so <c>cond/pred_id</c> and the pivot switch on <c>pred</c> name the same branch.
/// </para>
/// <para>
/// A scope (the main graph, one branch, a loop condition, a loop body) is converted from the tensors it must deliver
/// back to its boundary: the Switch outputs of a branch carry the Switch's data input (an outer-scope reference in
/// ONNX), a loop body starts from its Switch:1 outputs (Loop body inputs) and invariant Enters (outer references).
/// Merges of one predicate become one If, the Exits of one frame one Loop; each subgraph is probed by running the
/// scope's nodes in a separate session on its boundary values, as the main graph is probed by the user's session.
/// </para>
/// </summary>
internal sealed partial class GraphConversion
{
    private const char TermSep = '\u001f';
    private static readonly string[] s_rootGuard = [];

    private HashSet<string> _dynamic = null!;
    private readonly HashSet<string> _needed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string[]> _nodeGuard = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _badGuard = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Node>> _framesEnters = new(StringComparer.Ordinal);
    private Dictionary<string, List<(Node Node, int Index)>>? _consumers;

    private abstract class Item;

    private sealed class NodeItem(Node node) : Item
    {
        public Node Node { get; } = node;
    }

    /// <summary>One tf.cond: the Merges of one predicate in one scope, and its two branches.</summary>
    private sealed class CondItem(TensorRef pred, List<Node> merges, ScopePlan then, ScopePlan @else) : Item
    {
        public TensorRef Pred { get; } = pred;
        public List<Node> Merges { get; } = merges;
        public ScopePlan Then { get; } = then;
        public ScopePlan Else { get; } = @else;
    }

    /// <summary>One loop variable of a TF1 while loop: Enter → Merge(Enter, NextIteration) → Switch(Merge, LoopCond) → Exit / body.</summary>
    private sealed record LoopVar(Node Enter, Node Merge, Node NextIteration, Node Switch, Node? Exit);

    private sealed class LoopItem(string frame, List<LoopVar> vars, TensorRef condInput, ScopePlan cond, ScopePlan body) : Item
    {
        public string Frame { get; } = frame;
        public List<LoopVar> Vars { get; } = vars;
        public TensorRef CondInput { get; } = condInput;
        public ScopePlan Cond { get; } = cond;
        public ScopePlan Body { get; } = body;
    }

    /// <summary>What one scope converts: its items in dependency order, the tensors it reads, its boundary.</summary>
    private sealed class ScopePlan(string[] guard, Func<TensorRef, TensorRef?> boundary)
    {
        public string[] Guard { get; } = guard;
        /// <summary>For a boundary tensor of this scope, the outer tensor whose value it carries; null otherwise.</summary>
        public Func<TensorRef, TensorRef?> BoundaryOf { get; } = boundary;
        public List<Item> Items { get; } = [];
        public List<TensorRef> Targets { get; } = [];
        /// <summary>Tensors of this scope read by its items or delivered as targets (probe fetches).</summary>
        public List<TensorRef> Reads { get; } = [];
        public HashSet<TensorRef> ReadSet { get; } = [];
        /// <summary>Boundary tensors used → the outer tensor each carries.</summary>
        public Dictionary<TensorRef, TensorRef> Boundary { get; } = [];
        /// <summary>Tensors of enclosing scopes read here or in nested scopes.</summary>
        public HashSet<TensorRef> Externals { get; } = [];
        public (List<TensorRef> Fetch, Tensor[] Values)? ProbeCache { get; set; }
    }

    private bool IsDynamic(TensorRef r) => _inputSet.Contains(r) || _dynamic.Contains(r.NodeName);

    private static bool IsMergeOp(string op) => op is "Merge" or "RefMerge";

    private static bool IsSwitchOp(string op) => op is "Switch" or "RefSwitch";

    private static bool IsEnterOp(string op) => op is "Enter" or "RefEnter";

    private static bool IsExitOp(string op) => op is "Exit" or "RefExit";

    private static bool IsNextIterationOp(string op) => op is "NextIteration" or "RefNextIteration";

    private bool IsBackEdge(Node node, TensorRef input)
        => IsMergeOp(node.Op) && _graph.FindNode(input.NodeName) is { } p && IsNextIterationOp(p.Op);

    // ---- dynamic values ------------------------------------------------------------------------------------------

    /// <summary>
    /// The nodes whose value depends on an input (or a random op): they are translated; all others are evaluated
    /// once. A loop variable's Merge is always dynamic — it changes from one iteration to the next.
    /// </summary>
    private void ComputeDynamic()
    {
        _dynamic = new HashSet<string>(StringComparer.Ordinal);
        for (bool changed = true; changed;)
        {
            changed = false;
            foreach (var n in _graph.Nodes)
            {
                if (_dynamic.Contains(n.Name)) continue;
                bool dyn = s_neverFold.Contains(n.Op)
                    || (IsMergeOp(n.Op) && n.Inputs.Any(r => IsBackEdge(n, r)))
                    || n.Inputs.Any(IsDynamic);
                if (dyn)
                {
                    _dynamic.Add(n.Name);
                    changed = true;
                }
            }
        }
    }

    // ---- guards ----------------------------------------------------------------------------------------------------

    /// <summary>Computes the guard of every node the outputs reach (data and control inputs, loop back edges skipped).</summary>
    private void ComputeGuards()
    {
        foreach (var n in _graph.Nodes)
            if (IsEnterOp(n.Op))
            {
                var frame = n.GetString("frame_name", "");
                if (!_framesEnters.TryGetValue(frame, out var list)) _framesEnters[frame] = list = [];
                list.Add(n);
            }
        // Needed: reachable from the outputs through data inputs, back edges included (a loop variable is needed
        // when anything needed reads it, even only through the next iteration).
        var work = new Stack<string>(_outputs.Select(o => o.NodeName));
        while (work.Count > 0)
        {
            var name = work.Pop();
            if (!_needed.Add(name)) continue;
            foreach (var r in _graph.GetNode(name).Inputs)
                if (!_inputSet.Contains(r) && !_needed.Contains(r.NodeName)) work.Push(r.NodeName);
        }
        // Post-order without back edges; the needed nodes only reached through a back edge (a loop body's
        // NextIteration side) are walked afterwards, once the Merges they lead back to have their guards.
        var state = new Dictionary<string, int>(StringComparer.Ordinal);
        var stack = new Stack<(Node Node, List<string> Deps, int Next)>();
        var roots = _outputs.Select(o => o.NodeName).Concat(_graph.Nodes.Where(n => _needed.Contains(n.Name)).Select(n => n.Name)).ToList();
        foreach (var rootName in roots)
        {
            if (state.ContainsKey(rootName)) continue;
            var root = _graph.GetNode(rootName);
            state[root.Name] = 1;
            stack.Push((root, GuardDeps(root), 0));
            while (stack.Count > 0)
            {
                var (node, deps, next) = stack.Pop();
                if (next < deps.Count)
                {
                    stack.Push((node, deps, next + 1));
                    if (!state.ContainsKey(deps[next]) && _graph.FindNode(deps[next]) is { } dep)
                    {
                        state[dep.Name] = 1;
                        stack.Push((dep, GuardDeps(dep), 0));
                    }
                    continue;
                }
                state[node.Name] = 2;
                _nodeGuard[node.Name] = NodeGuard(node);
            }
        }
    }

    private List<string> GuardDeps(Node n)
    {
        var deps = new List<string>();
        foreach (var r in n.Inputs)
            if (!_inputSet.Contains(r) && !IsBackEdge(n, r)) deps.Add(r.NodeName);
        deps.AddRange(n.ControlInputs);
        return deps;
    }

    private string[] NodeGuardOf(string name) => _nodeGuard.TryGetValue(name, out var g) ? g : s_rootGuard;

    private string[] NodeGuard(Node n)
    {
        var gs = new List<string[]>();
        foreach (var r in n.Inputs)
            if (!IsBackEdge(n, r)) gs.Add(TensorGuard(r));
        if (IsMergeOp(n.Op)) return MergeGuard(n, gs);
        foreach (var c in n.ControlInputs) gs.Add(NodeGuardOf(c));
        var best = s_rootGuard;
        foreach (var g in gs)
            if (g.Length > best.Length) best = g;
        foreach (var g in gs)
            if (!IsPrefix(g, best))
            {
                _badGuard[n.Name] = $"it reads tensors from two different control-flow scopes ({Describe(g)} and {Describe(best)}), which no If/Loop nesting expresses.";
                break;
            }
        return best;
    }

    /// <summary>A Merge joins the two branches of one predicate (its guard drops that term) or continues one scope.</summary>
    private string[] MergeGuard(Node n, List<string[]> gs)
    {
        if (gs.Count == 0) return s_rootGuard;
        if (gs.All(g => g.AsSpan().SequenceEqual(gs[0]))) return gs[0];
        int len = gs[0].Length;
        string? pred = len > 0 ? PredOfTerm(gs[0][^1]) : null;
        if (pred != null && gs.All(g => g.Length == len && g.AsSpan(0, len - 1).SequenceEqual(gs[0].AsSpan(0, len - 1)) && PredOfTerm(g[^1]) == pred))
            return gs[0][..(len - 1)];
        _badGuard[n.Name] = "its inputs do not come from the two branches of one tf.cond predicate (" + string.Join(", ", gs.Select(Describe)) + ").";
        return gs.MaxBy(g => g.Length)!;
    }

    private string[] TensorGuard(TensorRef r)
    {
        if (_inputSet.Contains(r)) return s_rootGuard;
        var n = _graph.GetNode(r.NodeName);
        var g = NodeGuardOf(n.Name);
        if (IsSwitchOp(n.Op) && n.Inputs.Count == 2 && IsCondPredicate(n.Inputs[1])) return [.. g, CondTerm(n.Inputs[1], r.Index)];
        if (IsEnterOp(n.Op)) return [.. g, "f" + TermSep + n.GetString("frame_name", "")];
        if (IsExitOp(n.Op))
        {
            int i = Array.FindLastIndex(g, t => t[0] == 'f');
            return i < 0 ? g : g[..i];
        }
        return g;
    }

    /// <summary>A Switch predicate that makes a branch scope: input-dependent, inside another scope, or a loop's LoopCond.
    /// (A static predicate in the main graph is resolved at export time instead: see <see cref="MarkDeadBranches"/>.)</summary>
    private bool IsCondPredicate(TensorRef pred)
        => IsDynamic(pred) || TensorGuard(pred).Length > 0 || _graph.FindNode(pred.NodeName)?.Op == "LoopCond";

    private string CondTerm(TensorRef pred, int branch) => "c" + TermSep + CanonicalPredicate(pred) + TermSep + branch;

    /// <summary>The predicate read through Identity ops (TF's cond switches data on <c>pred_id = Identity(pred)</c>, its pivot on <c>pred</c>).</summary>
    private TensorRef CanonicalPredicate(TensorRef pred)
    {
        while (!_inputSet.Contains(pred) && _graph.FindNode(pred.NodeName) is { Op: "Identity" or "Snapshot" } id && id.Inputs.Count == 1)
            pred = id.Inputs[0];
        return pred;
    }

    private static string? PredOfTerm(string term) => term[0] == 'c' ? term[2..term.LastIndexOf(TermSep)] : null;

    private static bool IsPrefix(string[] prefix, string[] g) => prefix.Length <= g.Length && g.AsSpan(0, prefix.Length).SequenceEqual(prefix);

    private static string Describe(string[] g) => g.Length == 0 ? "the main graph"
        : string.Join(" / ", g.Select(t => t[0] == 'f' ? "loop frame '" + t[2..] + "'" : $"branch {t[^1]} of predicate '{PredOfTerm(t)}'"));

    private List<(Node Node, int Index)> ConsumersOf(string node)
    {
        if (_consumers == null)
        {
            _consumers = new Dictionary<string, List<(Node, int)>>(StringComparer.Ordinal);
            foreach (var n in _graph.Nodes)
                for (int i = 0; i < n.Inputs.Count; i++)
                {
                    if (!_consumers.TryGetValue(n.Inputs[i].NodeName, out var l)) _consumers[n.Inputs[i].NodeName] = l = [];
                    l.Add((n, i));
                }
        }
        return _consumers.TryGetValue(node, out var list) ? list : [];
    }

    // ---- collecting a scope ------------------------------------------------------------------------------------------

    private sealed class DfsFrame(Item? item, Node? walked, List<TensorRef> deps)
    {
        /// <summary>The walked node is a static one (evaluated, not translated): its inputs are walked only for the
        /// placeholder check and dead-branch marking, not fetched.</summary>
        public bool Static => Item == null;
        public Item? Item { get; } = item;
        public Node? Walked { get; } = walked;
        public List<TensorRef> Deps { get; } = deps;
        public int Next { get; set; }
    }

    /// <summary>
    /// The items of the scope <paramref name="guard"/> that deliver <paramref name="targets"/>, in dependency order.
    /// <paramref name="reached"/> lists every node of the scope walked (static ones too), producers first.
    /// </summary>
    private ScopePlan CollectScope(string[] guard, IReadOnlyList<TensorRef> targets, Func<TensorRef, TensorRef?> boundary, out List<Node> reached)
    {
        var plan = new ScopePlan(guard, boundary);
        plan.Targets.AddRange(targets);
        var walked = new List<Node>();
        reached = walked;
        var visited = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<DfsFrame>();

        void Want(TensorRef r, bool fromStatic)
        {
            if (fromStatic && (_inputSet.Contains(r) || boundary(r) != null || !TensorGuard(r).AsSpan().SequenceEqual(guard))) return;
            if (_inputSet.Contains(r))
            {
                if (guard.Length > 0) plan.Externals.Add(r);
                return;
            }
            if (boundary(r) is { } outer)
            {
                plan.Boundary[r] = outer;
                return;
            }
            var producer = _graph.GetNode(r.NodeName);
            var g = TensorGuard(r);
            if (!g.AsSpan().SequenceEqual(guard))
            {
                if (IsPrefix(g, guard))
                {
                    plan.Externals.Add(r);
                    return;
                }
                var via = producer.Inputs.Where(i => !_inputSet.Contains(i) && TensorGuard(i).AsSpan().SequenceEqual(g)).Select(i => $" (it reads '{i}' from there)").FirstOrDefault() ?? "";
                throw OnnxExportException.For(producer, $"its output '{r}' lives in {Describe(g)}{via} but is read in {Describe(guard)}; only values that enter a branch through a Switch or a loop through an Enter, and leave through a Merge or an Exit, can be exported.");
            }
            if (!fromStatic && plan.ReadSet.Add(r)) plan.Reads.Add(r);
            if (_badGuard.TryGetValue(producer.Name, out var why)) throw OnnxExportException.For(producer, why);
            if (!IsDynamic(r))
            {
                if (visited.Add(producer.Name))
                {
                    if (producer.Op == "Placeholder")
                        throw OnnxExportException.For(producer, $"the outputs need this placeholder, but it is not among the inputs; add '{producer.Name}:0' to the inputs.");
                    stack.Push(new DfsFrame(null, producer, [.. producer.Inputs.Where(i => !IsBackEdge(producer, i))]));
                }
                return;
            }
            if (IsMergeOp(producer.Op) && producer.Inputs.Any(i => !IsBackEdge(producer, i) && TensorGuard(i).Length > guard.Length))
            {
                var pred = PredOfTerm(TensorGuard(producer.Inputs.First(i => TensorGuard(i).Length > guard.Length))[guard.Length])!;
                if (visited.Add("cond" + TermSep + pred)) stack.Push(CollectCond(guard, TensorRef.Parse(pred)));
                return;
            }
            if (IsExitOp(producer.Op))
            {
                var frame = NodeGuardOf(producer.Name)[guard.Length];
                if (visited.Add(frame)) stack.Push(CollectLoop(guard, producer, frame[2..]));
                return;
            }
            if (visited.Add(producer.Name)) stack.Push(new DfsFrame(new NodeItem(producer), producer, [.. producer.Inputs]));
        }

        foreach (var t in targets)
        {
            Want(t, false);
            while (stack.Count > 0)
            {
                var top = stack.Peek();
                if (top.Next < top.Deps.Count)
                {
                    Want(top.Deps[top.Next++], top.Static);
                    continue;
                }
                stack.Pop();
                if (top.Walked != null) walked.Add(top.Walked);
                if (top.Item != null) plan.Items.Add(top.Item);
            }
        }
        return plan;
    }

    /// <summary>The If for the Merges of predicate <paramref name="pred"/> in scope <paramref name="guard"/>; deps = what its branches read from outside.</summary>
    private DfsFrame CollectCond(string[] guard, TensorRef pred)
    {
        var predKey = pred.ToString();
        var merges = new List<Node>();
        foreach (var n in _graph.Nodes)
            if (IsMergeOp(n.Op) && _needed.Contains(n.Name) && !_badGuard.ContainsKey(n.Name) && NodeGuardOf(n.Name).AsSpan().SequenceEqual(guard)
                && n.Inputs.Any(i => TensorGuard(i) is var g && g.Length == guard.Length + 1 && PredOfTerm(g[^1]) == predKey))
                merges.Add(n);
        ScopePlan Branch(int k)
        {
            var term = "c" + TermSep + predKey + TermSep + k;
            string[] branchGuard = [.. guard, term];
            var targets = merges.Select(m =>
            {
                var ins = m.Inputs.Where(i => TensorGuard(i).AsSpan().SequenceEqual(branchGuard)).ToList();
                return ins.Count == 1 ? ins[0]
                    : throw OnnxExportException.For(m, $"a tf.cond Merge needs exactly one input from branch {k} of predicate '{predKey}', found {ins.Count}.");
            }).ToList();
            TensorRef? SwitchBoundary(TensorRef r) =>
                r.Index == k && !_inputSet.Contains(r) && _graph.FindNode(r.NodeName) is { } s && IsSwitchOp(s.Op) && s.Inputs.Count == 2
                && CanonicalPredicate(s.Inputs[1]).ToString() == predKey && NodeGuardOf(s.Name).AsSpan().SequenceEqual(guard) ? s.Inputs[0] : null;
            return CollectScope(branchGuard, targets, SwitchBoundary, out _);
        }
        var then = Branch(1);
        var @else = Branch(0);
        var deps = new List<TensorRef> { pred };
        foreach (var p in new[] { then, @else })
        {
            deps.AddRange(p.Boundary.Values);
            deps.AddRange(p.Externals);
        }
        return new DfsFrame(new CondItem(pred, merges, then, @else), null, deps);
    }

    /// <summary>The Loop for while-loop frame <paramref name="frame"/>, found from one of its Exits.</summary>
    private DfsFrame CollectLoop(string[] guard, Node exit, string frame)
    {
        Node Single(Node from, int output, Func<Node, bool> op, string what)
        {
            var found = ConsumersOf(from.Name).Where(c => c.Node.Inputs[c.Index].Index == output && op(c.Node)).Select(c => c.Node).Distinct().ToList();
            return found.Count == 1 ? found[0]
                : throw OnnxExportException.For(from, $"in while-loop frame '{frame}' it should feed exactly one {what}, found {found.Count}; this loop form is not exported.");
        }
        var vars = new List<LoopVar>();
        var invariants = new Dictionary<TensorRef, TensorRef>();
        Node? loopCond = null;
        foreach (var enter in _framesEnters.GetValueOrDefault(frame) ?? [])
        {
            if (enter.GetBool("is_constant", false))
            {
                invariants[new TensorRef(enter.Name, 0)] = enter.Inputs[0];
                continue;
            }
            var merge = Single(enter, 0, n => IsMergeOp(n.Op), "Merge");
            if (!_needed.Contains(merge.Name)) continue;
            var backs = merge.Inputs.Where(i => IsBackEdge(merge, i)).ToList();
            if (merge.Inputs.Count != 2 || backs.Count != 1)
                throw OnnxExportException.For(merge, $"a while-loop Merge must read its Enter and one NextIteration; this loop form (frame '{frame}') is not exported.");
            var next = _graph.GetNode(backs[0].NodeName);
            var sw = Single(merge, 0, n => IsSwitchOp(n.Op), "Switch");
            var lc = _graph.GetNode(sw.Inputs[1].NodeName);
            if (lc.Op != "LoopCond" || (loopCond != null && loopCond != lc))
                throw OnnxExportException.For(sw, $"a while-loop Switch must switch on the frame's one LoopCond; this loop form (frame '{frame}') is not exported.");
            loopCond = lc;
            var exits = ConsumersOf(sw.Name).Where(c => c.Node.Inputs[c.Index].Index == 0 && IsExitOp(c.Node.Op)).Select(c => c.Node).Distinct().ToList();
            if (exits.Count > 1) throw OnnxExportException.For(sw, $"a while-loop Switch feeds {exits.Count} Exits; this loop form is not exported.");
            vars.Add(new LoopVar(enter, merge, next, sw, exits.FirstOrDefault()));
        }
        if (loopCond == null) throw OnnxExportException.For(exit, $"no loop variable of while-loop frame '{frame}' was found (Enter → Merge → Switch on a LoopCond).");
        var lcTerm = CondTerm(new TensorRef(loopCond.Name, 0), 1);
        var frameTerm = "f" + TermSep + frame;
        var mergeOf = vars.ToDictionary(v => new TensorRef(v.Merge.Name, 0), v => v.Enter.Inputs[0]);
        var bodyIn = vars.ToDictionary(v => new TensorRef(v.Switch.Name, 1), v => v.Enter.Inputs[0]);
        TensorRef? CondBoundary(TensorRef r) => mergeOf.TryGetValue(r, out var o) || invariants.TryGetValue(r, out o) ? o : null;
        TensorRef? BodyBoundary(TensorRef r) => bodyIn.TryGetValue(r, out var o) || invariants.TryGetValue(r, out o) ? o : null;
        var condPlan = CollectScope([.. guard, frameTerm], [loopCond.Inputs[0]], CondBoundary, out _);
        var bodyPlan = CollectScope([.. guard, frameTerm, lcTerm], vars.Select(v => v.NextIteration.Inputs[0]).ToList(), BodyBoundary, out _);
        var deps = vars.Select(v => v.Enter.Inputs[0]).ToList();
        foreach (var p in new[] { condPlan, bodyPlan })
        {
            deps.AddRange(p.Boundary.Values);
            deps.AddRange(p.Externals);
        }
        return new DfsFrame(new LoopItem(frame, vars, loopCond.Inputs[0], condPlan, bodyPlan), null, deps);
    }

    // ---- converting ----------------------------------------------------------------------------------------------------

    private void ConvertItems(ScopePlan plan)
    {
        foreach (var item in plan.Items)
        {
            switch (item)
            {
                case NodeItem n: ConvertNode(n.Node); break;
                case CondItem c: EmitIf(c); break;
                case LoopItem l: EmitLoop(l); break;
            }
        }
    }

    private void EmitIf(CondItem c)
    {
        var pred = In(c.Pred);
        if (DType(c.Pred) != DataType.DtBool)
            throw OnnxExportException.For(c.Merges[0], $"its tf.cond predicate '{c.Pred}' is {DataTypes.Name(DType(c.Pred))}, not bool.");
        var thenOut = new List<Value>();
        var elseOut = new List<Value>();
        var thenGraph = ConvertBranch(c, c.Then, "then", thenOut);
        var elseGraph = ConvertBranch(c, c.Else, "else", elseOut);
        var names = new List<string>();
        for (int i = 0; i < c.Merges.Count; i++)
        {
            var v = Set(c.Merges[i], 0);
            if (ProbeOf(new TensorRef(c.Merges[i].Name, 0)) == null)
            {
                v.Sequence = thenOut[i].Sequence;
                v.DType = thenOut[i].DType;
                v.Rank = thenOut[i].Rank == elseOut[i].Rank ? thenOut[i].Rank : -1;
            }
            v.Native = OutName(c.Merges[i]);
            names.Add(v.Native);
        }
        EmitMulti("If", [pred], names, GraphAttr("then_branch", thenGraph), GraphAttr("else_branch", elseGraph));
        // Merge:1 (value_index) is the index of the live input: that of the then-branch input when pred is true.
        foreach (var m in c.Merges)
        {
            var index = new TensorRef(m.Name, 1);
            if (!_outputs.Contains(index) && !ConsumersOf(m.Name).Any(u => u.Node.Inputs[u.Index].Index == 1 && _needed.Contains(u.Node.Name))) continue;
            int thenIndex = m.Inputs.ToList().IndexOf(c.Then.Targets[c.Merges.IndexOf(m)]);
            int elseIndex = m.Inputs.ToList().IndexOf(c.Else.Targets[c.Merges.IndexOf(m)]);
            var v = Set(m, 1);
            (v.DType, v.Rank) = (DataType.DtInt32, 0);
            v.Native = Emit("Where", [pred, ScalarConst(m, "then_index", DataType.DtInt32, thenIndex), ScalarConst(m, "else_index", DataType.DtInt32, elseIndex)], OutName(m, 1));
        }
    }

    private GraphProto ConvertBranch(CondItem c, ScopePlan plan, string which, List<Value> outs)
    {
        var g = new GraphProto { Name = Fresh(c.Merges[0].Name + "/" + which + "_branch") };
        var parent = _scope;
        _scope = new ScopeState(g, parent);
        try
        {
            foreach (var (b, outer) in plan.Boundary) Bind(b, outer);
            ProbeScope(plan, $"the {which} branch of the tf.cond on '{c.Pred}'");
            ConvertItems(plan);
            foreach (var t in plan.Targets)
            {
                var v = Get(t);
                var name = Emit("Identity", [In(t)], Fresh($"{t}/{which}_out"));
                g.Output.Add(v.Sequence ? SequenceValue(c.Merges[0], name, v.DType) : TypedValue(c.Merges[0], name, v.DType, scalar: false));
                outs.Add(v);
            }
            AddValueInfos(_scope);
        }
        finally
        {
            _scope = parent;
        }
        return g;
    }

    private void EmitLoop(LoopItem l)
    {
        var parent = _scope;
        var first = l.Vars[0].Merge;
        // The condition before the first iteration, in this graph, each Merge read as its Enter's input.
        string initCond;
        _scope = new ScopeState(parent.Graph, parent);
        try
        {
            foreach (var (b, outer) in l.Cond.Boundary) Bind(b, outer);
            ProbeScope(l.Cond, $"the condition of while loop '{l.Frame}'");
            ConvertItems(l.Cond);
            initCond = In(l.CondInput);
        }
        finally
        {
            _scope = parent;
        }

        var body = new GraphProto { Name = Fresh(l.Frame + "/body") };
        var iteration = Fresh(l.Frame + "/iteration");
        var condIn = Fresh(l.Frame + "/cond_in");
        body.Input.Add(TypedValue(first, iteration, DataType.DtInt64, scalar: true));
        body.Input.Add(TypedValue(first, condIn, DataType.DtBool, scalar: true));
        var varTypes = new List<(DataType DType, int Rank, bool Sequence)>();
        var initValues = l.Vars.Select(v => Get(v.Enter.Inputs[0])).ToList();
        _scope = new ScopeState(body, parent);
        try
        {
            for (int i = 0; i < l.Vars.Count; i++)
            {
                var v = l.Vars[i];
                var name = Fresh($"{v.Switch.Name}:1");
                if (initValues[i].Sequence)
                {
                    // A TensorArray flow: the array's contents, carried from iteration to iteration as a sequence.
                    var (edtype, erank) = (initValues[i].DType, initValues[i].Rank);
                    varTypes.Add((edtype, erank, true));
                    body.Input.Add(SequenceValue(v.Switch, name, edtype));
                    _scope.Values[new TensorRef(v.Switch.Name, 1)] = new Value { DType = edtype, Rank = erank, Native = name, Sequence = true };
                    continue;
                }
                var init = ProbeOf(v.Enter.Inputs[0]) ?? throw new InvalidOperationException($"Exporter bug: no probe value for '{v.Enter.Inputs[0]}'.");
                var dtype = DataTypes.BaseType(init.DType);
                varTypes.Add((dtype, init.Shape.Rank, false));
                body.Input.Add(TypedValue(v.Switch, name, dtype, scalar: false));
                _scope.Values[new TensorRef(v.Switch.Name, 1)] = new Value { DType = dtype, Rank = init.Shape.Rank, Native = name };
                _scope.Probe[new TensorRef(v.Switch.Name, 1)] = init;
            }
            foreach (var (b, outer) in l.Body.Boundary)
                if (!_scope.Values.ContainsKey(b)) Bind(b, outer);
            ProbeScope(l.Body, $"the body of while loop '{l.Frame}'");
            ConvertItems(l.Body);
            var nexts = l.Vars.Select(v => v.NextIteration.Inputs[0]).ToList();
            var nextNames = nexts.Select(n => In(n)).ToList();

            // The condition for the next iteration, from the body's results.
            var bodyScope = _scope;
            string condOut;
            _scope = new ScopeState(body, bodyScope);
            try
            {
                for (int i = 0; i < l.Vars.Count; i++) Bind(new TensorRef(l.Vars[i].Merge.Name, 0), nexts[i]);
                foreach (var (b, outer) in l.Cond.Boundary)
                    if (!_scope.Values.ContainsKey(b)) Bind(b, outer);
                ProbeScope(l.Cond, $"the condition of while loop '{l.Frame}'");
                ConvertItems(l.Cond);
                condOut = In(l.CondInput);
            }
            finally
            {
                _scope = bodyScope;
            }
            body.Output.Add(TypedValue(first, Emit("Identity", [condOut], Fresh(l.Frame + "/cond_out")), DataType.DtBool, scalar: true));
            for (int i = 0; i < l.Vars.Count; i++)
            {
                var next = Emit("Identity", [nextNames[i]], Fresh($"{nexts[i]}/next"));
                body.Output.Add(varTypes[i].Sequence ? SequenceValue(l.Vars[i].NextIteration, next, varTypes[i].DType)
                    : TypedValue(l.Vars[i].NextIteration, next, varTypes[i].DType, scalar: false));
            }
            AddValueInfos(_scope);
        }
        finally
        {
            _scope = parent;
        }

        var inputs = new List<string> { "", initCond };
        inputs.AddRange(l.Vars.Select(v => In(v.Enter.Inputs[0])));
        var outputs = new List<string>();
        for (int i = 0; i < l.Vars.Count; i++)
        {
            var exit = l.Vars[i].Exit;
            if (exit == null)
            {
                outputs.Add(Fresh($"{l.Vars[i].Switch.Name}/final"));
                continue;
            }
            var v = Set(exit, 0);
            if (ProbeOf(new TensorRef(exit.Name, 0)) == null || varTypes[i].Sequence) (v.DType, v.Rank, v.Sequence) = varTypes[i];
            v.Native = OutName(exit);
            outputs.Add(v.Native);
        }
        EmitMulti("Loop", inputs, outputs, GraphAttr("body", body));
    }

    /// <summary>In the scope being entered, boundary tensor <paramref name="b"/> is the outer tensor <paramref name="outer"/> (value and probe value).</summary>
    private void Bind(TensorRef b, TensorRef outer)
    {
        _scope.Values[b] = Get(outer);
        if (ProbeOf(outer) is { } p) _scope.Probe[b] = p;
    }

    /// <summary>A value typed as an ONNX sequence of <paramref name="dtype"/> tensors (a TensorArray's contents).</summary>
    private ValueInfoProto SequenceValue(Node node, string name, DataType dtype)
    {
        var element = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)OnnxTypeOf(node, dtype) } };
        return new ValueInfoProto { Name = name, Type = new TypeProto { SequenceType = new TypeProto.Types.Sequence { ElemType = element } } };
    }

    private ValueInfoProto TypedValue(Node node, string name, DataType dtype, bool scalar)
    {
        var type = new TypeProto.Types.Tensor { ElemType = (int)OnnxTypeOf(node, dtype) };
        if (scalar) type.Shape = new Protos.TensorShapeProto();
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = type } };
    }

    // ---- probing a subgraph scope ---------------------------------------------------------------------------------

    /// <summary>
    /// Learns the dtypes, ranks and constant values of a subgraph scope by running its nodes alone in a separate
    /// session: boundary and outer tensors become placeholders fed with their probe values (a Switch output with
    /// its data input's value, a loop variable with its initial value), control edges to nodes outside the scope
    /// are dropped — so both branches and a loop body are probed whatever the probe inputs' predicate says.
    /// </summary>
    private void ProbeScope(ScopePlan plan, string what)
    {
        if (plan.ProbeCache is { } cached)
        {
            RecordProbe(cached.Fetch, cached.Values);
            return;
        }
        // TensorArray handles and flows are neither fed nor fetched: the probe session has no TensorArrays, and a
        // read from one is fed a stand-in element instead (TensorArraySample).
        var fetch = plan.Reads.Where(r => !IsTensorArrayState(r)).ToList();
        var def = new GraphDef { Versions = _graph.Def.Versions?.Clone(), Library = _graph.Def.Library?.Clone() };
        var feedNames = new Dictionary<TensorRef, string>();
        var feeds = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var included = new HashSet<string>(StringComparer.Ordinal);
        var order = new List<Node>();

        bool IsFed(TensorRef r) => _inputSet.Contains(r) || plan.BoundaryOf(r) != null || (TensorGuard(r) is var g && g.Length < plan.Guard.Length)
            || IsTensorArrayReadOp(_graph.GetNode(r.NodeName).Op);

        string Feed(TensorRef r)
        {
            if (feedNames.TryGetValue(r, out var name)) return name;
            var source = plan.BoundaryOf(r) ?? r;
            var value = ProbeOf(source) ?? ConstOfAnyScope(source) ?? TensorArraySample(source)
                ?? throw new OnnxExportException($"Probing {what} failed: no value for '{r}' (from '{source}').");
            name = "onnx_probe_feed/" + feedNames.Count;
            while (_graph.FindNode(name) != null) name += "_";
            var ph = new NodeDef { Name = name, Op = "Placeholder" };
            ph.Attr["dtype"] = Attrs.Type(DataTypes.BaseType(value.DType));
            def.Node.Add(ph);
            feedNames[r] = name;
            feeds[name + ":0"] = value;
            return name;
        }

        var work = new Stack<string>();
        foreach (var r in fetch)
            if (!IsFed(r)) work.Push(r.NodeName);
        while (work.Count > 0)
        {
            var name = work.Pop();
            if (!included.Add(name)) continue;
            var n = _graph.GetNode(name);
            order.Add(n);
            foreach (var r in n.Inputs)
                if (!IsFed(r)) work.Push(r.NodeName);
            foreach (var c in n.ControlInputs)
                if (NodeGuardOf(c).Length > plan.Guard.Length && IsPrefix(plan.Guard, NodeGuardOf(c)) && !IsTensorArrayState(new TensorRef(c, 0))) work.Push(c);
        }
        foreach (var n in order)
        {
            var copy = n.Def.Clone();
            copy.Input.Clear();
            foreach (var r in n.Inputs) copy.Input.Add(IsFed(r) ? Feed(r) : r.ToString());
            foreach (var c in n.ControlInputs)
                if (included.Contains(c)) copy.Input.Add("^" + c);
            def.Node.Add(copy);
        }
        var fetchNames = new List<string>();
        foreach (var r in fetch) fetchNames.Add(IsFed(r) ? Feed(r) + ":0" : r.ToString());
        Tensor[] results;
        try
        {
            using var probe = new Session(new Graph(def));
            results = probe.Run(fetchNames, feeds);
        }
        catch (TypedGraphException e)
        {
            throw new OnnxExportException($"Probing {what} (running its nodes on the probe inputs, to learn tensor types) failed: {e.Message}", e);
        }
        plan.ProbeCache = (fetch, results);
        RecordProbe(fetch, results);
    }

    private Tensor? ConstOfAnyScope(TensorRef r)
    {
        for (var s = _scope; s != null; s = s.Parent)
            if (s.Values.TryGetValue(r, out var v) && v.Const != null) return v.Const;
        return null;
    }
}
