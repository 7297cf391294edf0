using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>
/// Symbolic differentiation with <c>tf.gradients</c> semantics (TF's <c>gradients_impl.py</c>): the
/// gradient of the sum of <c>ys</c> with respect to each x, summed over every path (AddN), blocked by
/// <c>StopGradient</c>, null for an x the ys do not depend on. Nodes go under <c>gradients/</c> with TF's
/// names (<c>gradients/MatMul_grad/MatMul_1</c>, <c>gradients/add_grad/tuple/control_dependency</c>).
/// </summary>
public static class Gradients
{
    /// <summary>Adds the gradient subgraph.</summary>
    /// <param name="b">The builder of the graph holding ys and xs.</param>
    /// <param name="ys">Tensors to differentiate (their gradients are summed).</param>
    /// <param name="xs">Tensors to differentiate with respect to (a variable's <see cref="Variable.Ref"/> works).</param>
    /// <param name="gradYs">Initial gradients per y; null entries (or null) mean ones like y.</param>
    /// <param name="name">Name scope (made unique: <c>gradients</c>, <c>gradients_1</c>…).</param>
    /// <returns>One gradient per x, null where no path leads from the x to the ys.</returns>
    /// <exception cref="NotSupportedException">An op on a path has no registered gradient (for an op inlined from a
    /// function body, the message also names the body node and the function).</exception>
    /// <exception cref="GraphFormatException">A functional op on a path cannot be lowered (its function is missing or
    /// does not fit the node).</exception>
    /// <remarks>TF2 functional ops between the ys and xs (<c>PartitionedCall</c>/<c>StatefulPartitionedCall</c>,
    /// <c>While</c>/<c>StatelessWhile</c>, <c>If</c>/<c>StatelessIf</c>, <c>Case</c>/<c>StatelessCase</c>) are first
    /// lowered in place to the TF1 form TF's runtime executes (<see cref="FunctionalLowering.LowerFunctionalOps"/>), and the
    /// gradient is built through the resulting TF1 loops and conds. TF2 itself differentiates them with gradient
    /// functions (while_v2.py, cond_v2.py): same math, another graph layout.</remarks>
    public static Output?[] Compute(GraphBuilder b, IReadOnlyList<Output> ys, IReadOnlyList<Output> xs, IReadOnlyList<Output?>? gradYs = null, string name = "gradients")
    {
        FunctionalLowering.LowerRounds(b, () => FunctionalOpsBetween(b.Graph, ys, xs));
        using var _ = b.NameScope(name);
        var graph = b.Graph;
        var consumers = new Dictionary<string, List<Node>>(StringComparer.Ordinal);
        foreach (var n in graph.Nodes)
            foreach (var i in n.Inputs)
            {
                if (!consumers.TryGetValue(i.NodeName, out var l)) consumers[i.NodeName] = l = [];
                l.Add(n);
            }
        // Ops reachable forward from xs and backward from ys: only those carry gradients.
        var forward = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>(xs.Select(x => x.NodeName));
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            if (!forward.Add(n)) continue;
            foreach (var c in consumers.GetValueOrDefault(n) ?? []) stack.Push(c.Name);
        }
        var between = new HashSet<string>(StringComparer.Ordinal);
        foreach (var y in ys) stack.Push(y.NodeName);
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            if (!forward.Contains(n) || !between.Add(n)) continue;
            foreach (var i in graph.GetNode(n).Inputs) stack.Push(i.NodeName);
        }
        // While loops on the path get their gradient loops (TF's MaybeCreateControlFlowState); all their Exits join.
        var loops = ControlFlowState.Create(b, between);
        var pending = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var n in between)
            foreach (var i in graph.GetNode(n).Inputs)
                if (between.Contains(i.NodeName)) pending[i.NodeName] = pending.GetValueOrDefault(i.NodeName) + 1;

        var grads = new Dictionary<string, List<Output>>(StringComparer.Ordinal); // tensor name → partial gradients
        for (int k = 0; k < ys.Count; k++)
        {
            var y = ys[k];
            var g = gradYs != null && k < gradYs.Count && gradYs[k] is Output given ? given : OnesLike(b, y, k);
            Accumulate(grads, y.Name, g);
        }
        var yOps = ys.Select(y => y.NodeName).Distinct().Where(n => pending.GetValueOrDefault(n) == 0 && between.Contains(n)).ToList();
        var ready = new Queue<Node>(yOps.Select(graph.GetNode));
        if (loops != null)
            foreach (var exit in ProcessUnusedLoopExits(loops, pending, yOps))
            {
                if (IsFloat(exit.BaseType)) Accumulate(grads, exit.Name, loops.ZerosLikeForExit(exit));
                ready.Enqueue(graph.GetNode(exit.NodeName));
            }
        var done = new HashSet<string>(StringComparer.Ordinal);
        var ctx = new GradientContext(b) { Loops = loops };
        while (ready.Count > 0)
        {
            var op = ready.Dequeue();
            // A loop Switch is visited twice (Exit side, then body side); every other op once.
            if (!done.Add(op.Name) && loops?.IsLoopSwitch(op) != true) continue;
            var outTypes = b.OutputTypes(op);
            var outGrads = new Output?[outTypes.Length];
            using (b.InContext(loops?.GradStateOf(op, before: true)?.Grad))
                for (int i = 0; i < outTypes.Length; i++)
                    if (grads.TryGetValue($"{op.Name}:{i}", out var parts)) outGrads[i] = Aggregate(b, grads, $"{op.Name}:{i}", parts);
            if (outGrads.All(g => g == null) || op.Inputs.Count == 0) { Release(op); continue; }
            var fn = GradientRegistry.Find(op.Op);
            if (fn == null)
            {
                if (GradientRegistry.IsNotDifferentiable(op.Op)) { Release(op); continue; }
                var origin = b.OriginOf(op.Name) is { } o ? $" It is node '{o.Node}' of function '{o.Function}' (called by '{o.Caller}'), inlined when the functional ops were lowered." : "";
                throw new NotSupportedException($"No gradient is registered for op '{op.Op}' (node '{op.Name}'), which lies between the ys and xs.{origin}");
            }
            var loopState = loops?.GradStateOf(op, before: false);
            Output?[] inGrads;
            using (b.InContext(loopState?.Grad))
            using (b.NameScope(op.Name + "_grad"))
            {
                // TF fills missing gradients of trainable (float) outputs with zeros; in a loop via the loop state.
                for (int i = 0; i < outGrads.Length; i++)
                    if (outGrads[i] == null && IsFloat(outTypes[i]))
                        outGrads[i] = loopState != null ? loopState.ZerosLike(op, i)
                            : op.Op is "Switch" or "RefSwitch" ? ControlFlowState.ZerosLikeOutsideLoop(b, op, i)
                            : b.ZerosLike(b.OutputOf(op, i));
                inGrads = fn(ctx, op, outGrads);
                if (inGrads.Length != op.Inputs.Count)
                    throw new InvalidOperationException($"Gradient of '{op.Op}' returned {inGrads.Length} gradients for {op.Inputs.Count} inputs.");
                if (inGrads.Count(g => g != null) > 1) inGrads = Tuple(b, inGrads);
            }
            for (int i = 0; i < inGrads.Length; i++)
                if (inGrads[i] is Output g && between.Contains(op.Inputs[i].NodeName))
                    Accumulate(grads, op.Inputs[i].ToString(), g);
            Release(op);
        }
        loops?.PostProcess();
        return xs.Select(x => grads.TryGetValue(x.Name, out var parts) ? Aggregate(b, grads, x.Name, parts) : (Output?)null).ToArray();

        // _UpdatePendingAndEnqueueReady: an input op is ready when all its consumers on the path are done; a loop
        // Switch also each time one of them is; a loop Exit waits until every used Exit of its loop is ready.
        void Release(Node op)
        {
            foreach (var input in op.Inputs)
            {
                var i = input.NodeName;
                if (!between.Contains(i)) continue;
                pending[i]--;
                var x = graph.GetNode(i);
                bool isReady = pending[i] == 0 || (loops != null && pending[i] > 0 && loops.IsLoopSwitch(x));
                if (!isReady) continue;
                if (loops != null && loops.IsLoopExit(x))
                {
                    var state = loops.GradStateOf(x, before: false)!;
                    state.DeferredExits.Add(b.OutputOf(x, input.Index));
                    if (--state.PendingExitsCount > 0) continue;
                    bool anyGrad = false;
                    foreach (var y in state.DeferredExits)
                    {
                        if (grads.ContainsKey(y.Name)) { anyGrad = true; ready.Enqueue(graph.GetNode(y.NodeName)); }
                        else state.UnusedExits.Add(y);
                    }
                    foreach (var y in state.UnusedExits)
                    {
                        if (anyGrad && IsFloat(y.BaseType)) Accumulate(grads, y.Name, loops.ZerosLikeForExit(y));
                        ready.Enqueue(graph.GetNode(y.NodeName));
                    }
                }
                else ready.Enqueue(x);
            }
        }
    }

    // The functional ops (calls, While, If, Case) that the xs reach and the ys depend on: the ones to lower.
    private static IReadOnlyList<Node> FunctionalOpsBetween(Graph graph, IReadOnlyList<Output> ys, IReadOnlyList<Output> xs)
    {
        if (!graph.Nodes.Any(n => TypedGraph.Functions.FunctionalOpLowering.IsLowered(n.Op))) return [];
        var consumers = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var n in graph.Nodes)
            foreach (var i in n.Inputs)
            {
                if (!consumers.TryGetValue(i.NodeName, out var l)) consumers[i.NodeName] = l = [];
                l.Add(n.Name);
            }
        var forward = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>(xs.Select(x => x.NodeName));
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            if (!forward.Add(n)) continue;
            foreach (var c in consumers.GetValueOrDefault(n) ?? []) stack.Push(c);
        }
        var result = new List<Node>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var y in ys) stack.Push(y.NodeName);
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            if (!forward.Contains(n) || !seen.Add(n)) continue;
            var node = graph.GetNode(n);
            if (TypedGraph.Functions.FunctionalOpLowering.IsLowered(node.Op)) result.Add(node);
            foreach (var i in node.Inputs) stack.Push(i.NodeName);
        }
        return result;
    }

    // ControlFlowState.ProcessUnusedLoopExits: Exits nothing on the path consumes count as arrived; once a loop's
    // Exits have all arrived that way, they start the backward pass (with zero gradients).
    private static List<Output> ProcessUnusedLoopExits(ControlFlowState loops, Dictionary<string, int> pending, List<string> yOps)
    {
        var result = new List<Output>();
        foreach (var state in loops.States)
            foreach (var y in state.ForwardLoopExits)
            {
                if (pending.GetValueOrDefault(y.NodeName) != 0) continue;
                state.PendingExitsCount--;
                if (!yOps.Contains(y.NodeName)) state.UnusedExits.Add(y);
                if (state.PendingExitsCount == 0) result.AddRange(state.UnusedExits);
            }
        return result;
    }

    private static bool IsFloat(DataType t) => DataTypes.BaseType(t) is DataType.DtFloat or DataType.DtDouble or DataType.DtHalf or DataType.DtBfloat16;

    private static void Accumulate(Dictionary<string, List<Output>> grads, string tensor, Output g)
    {
        if (!grads.TryGetValue(tensor, out var l)) grads[tensor] = l = [];
        l.Add(g);
    }

    // TF's _AggregatedGrads: several partial gradients are summed with one AddN in the gradients scope.
    private static Output Aggregate(GraphBuilder b, Dictionary<string, List<Output>> grads, string tensor, List<Output> parts)
    {
        if (parts.Count == 1) return parts[0];
        Output sum;
        using (b.ColocateWith(parts[0].NodeName)) sum = b.AddN(parts);
        grads[tensor] = [sum];
        return sum;
    }

    // TF ≥ 1.5 names the initial gradient gradients/Shape + gradients/grad_ys_0 + gradients/Fill.
    private static Output OnesLike(GraphBuilder b, Output y, int k)
    {
        var shape = GradientContext.ShapeOf(b, y, "Shape");
        var one = b.ScalarConstant(1, y.BaseType, $"grad_ys_{k}");
        return b.Fill(shape, one);
    }

    // control_flow_ops.tuple: every gradient waits for all of them (tuple/group_deps + tuple/control_dependency[_k]).
    private static Output?[] Tuple(GraphBuilder b, Output?[] grads)
    {
        using var _ = b.NameScope("tuple");
        var deps = grads.Where(g => g != null).Select(g => g!.Value.NodeName).Distinct().ToList();
        var group = b.Group(deps, "group_deps");
        var result = new Output?[grads.Length];
        for (int i = 0; i < grads.Length; i++)
        {
            if (grads[i] is not Output g) continue;
            var colocate = new Dictionary<string, AttrValue> { ["_class"] = Attrs.Colocate(g.NodeName) };
            result[i] = b.OutputOf(b.AddOperation("Identity", [g], colocate, "control_dependency", [group.Name]));
        }
        return result;
    }
}
