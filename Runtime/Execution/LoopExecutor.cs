using TypedGraph.Kernels;

namespace TypedGraph.Execution;

/// <summary>
/// Runs pruned subgraphs that contain TF1 while loops, the way TF's executor does: values are tagged with
/// a frame (one per Enter'd loop instance) and an iteration; Enter moves a value into a child frame's
/// iteration 0 (an <c>is_constant</c> Enter into every iteration), NextIteration into the next iteration,
/// Exit back to the parent. A node fires when all its inputs for its (frame, iteration) arrived, Merge on
/// its first live input. Dead tensors propagate; a dead NextIteration ends the loop; Exits that only ever
/// saw dead values are flushed dead to the parent once nothing else can run (a loop inside an untaken cond).
/// </summary>
/// <remarks>The structure is built once per plan; each run keeps its own state, so runs may be concurrent.
/// Sequential and allocation-heavy by design: loops are rare in inference graphs, correctness first.</remarks>
internal sealed class LoopExecutor
{
    private readonly Session _session;
    private readonly Dictionary<Node, List<(Node Consumer, int Input, int Output)>> _dataOut = [];
    private readonly Dictionary<Node, List<Node>> _controlOut = [];
    private readonly Dictionary<Node, int> _outputCounts = [];
    private readonly Dictionary<Node, int> _mergeDeadNeeded = [];
    private readonly List<Node> _sources = [];
    private readonly List<(TensorRef Ref, Node Consumer, int Input)> _fedEdges = [];

    public LoopExecutor(Session session, List<Node> nodes, HashSet<TensorRef> fed)
    {
        _session = session;
        var graph = session.Graph;
        foreach (var n in nodes)
        {
            _dataOut[n] = [];
            _controlOut[n] = [];
            _outputCounts[n] = Math.Max(1, n.Attr("_output_shapes")?.List?.Shape.Count ?? 0);
        }
        foreach (var n in nodes)
        {
            for (int i = 0; i < n.Inputs.Count; i++)
            {
                var r = n.Inputs[i];
                if (fed.Contains(r))
                {
                    _fedEdges.Add((r, n, i));
                    continue;
                }
                var p = graph.GetNode(r.NodeName);
                _dataOut[p].Add((n, i, r.Index));
                _outputCounts[p] = Math.Max(_outputCounts[p], r.Index + 1);
            }
            foreach (var c in n.ControlInputs) _controlOut[graph.GetNode(c)].Add(n);
            if (n.Inputs.Count == 0 && n.ControlInputs.Count == 0) _sources.Add(n);
            if (ControlFlow.IsMerge(n.Op))
                _mergeDeadNeeded[n] = n.Inputs.Count(r => !ControlFlow.IsNextIteration(graph.GetNode(r.NodeName).Op));
        }
    }

    private sealed class Frame(string name, Frame? parent, int parentIter)
    {
        public string Name { get; } = name;
        public Frame? Parent { get; } = parent;
        public int ParentIter { get; } = parentIter;
        public Dictionary<int, Dictionary<Node, NodeState>> Iterations { get; } = [];
        public List<(Node Consumer, int Input, Tensor? Value, VariableSlot? Ref, bool Dead)> Constants { get; } = [];
        public HashSet<Node> DeadExits { get; } = [];
        public HashSet<Node> LiveExits { get; } = [];
        public bool Flushed { get; set; }
        public int Depth => Parent == null ? 0 : Parent.Depth + 1;
    }

    private sealed class NodeState(int inputs, int pending)
    {
        public Tensor?[] Inputs { get; } = new Tensor?[inputs];
        public VariableSlot?[] Refs { get; } = new VariableSlot?[inputs];
        public int Pending { get; set; } = pending;
        public int DeadInputs { get; set; }
        public bool AnyDead { get; set; }
        public bool Fired { get; set; }
    }

    private sealed class RunState
    {
        public Queue<(Node Node, Frame Frame, int Iter, NodeState State, bool Dead)> Ready { get; } = new();
        public Dictionary<(Frame, int, string), Frame> Children { get; } = [];
        public List<Frame> Frames { get; } = [];
    }

    /// <summary>Runs the loop graph; fetched values land in <paramref name="frame"/>'s value table.</summary>
    public void Run(ExecutionPlan plan, RunFrame frame)
    {
        var run = new RunState();
        var root = new Frame("", null, 0);
        run.Frames.Add(root);
        var fetchSlots = new Dictionary<TensorRef, List<int>>();
        for (int j = 0; j < plan.FetchRefs.Length; j++)
        {
            if (!fetchSlots.TryGetValue(plan.FetchRefs[j], out var l)) fetchSlots[plan.FetchRefs[j]] = l = [];
            l.Add(plan.FetchSlots[j]);
        }
        foreach (var n in _sources) Deliver(run, n, -1, null, null, false, root, 0, fromNextIteration: false);
        foreach (var (r, consumer, input) in _fedEdges)
        {
            var b = plan.Feeds.First(f => f.Ref == r);
            Deliver(run, consumer, input, frame.Values[b.Slot], null, false, root, 0, fromNextIteration: false);
        }
        while (true)
        {
            while (run.Ready.TryDequeue(out var item)) Execute(run, item.Node, item.Frame, item.Iter, item.State, item.Dead, frame, fetchSlots, root);
            // Quiescent: flush dead exits of the deepest unfinished frame, then continue.
            var pendingFrame = run.Frames.Where(f => !f.Flushed && f.DeadExits.Except(f.LiveExits).Any()).OrderByDescending(f => f.Depth).FirstOrDefault();
            if (pendingFrame == null) break;
            pendingFrame.Flushed = true;
            var parent = pendingFrame.Parent!;
            foreach (var exit in pendingFrame.DeadExits.Except(pendingFrame.LiveExits).OrderBy(n => n.Id))
            {
                if (parent == root) Record(exit, new Tensor?[_outputCounts[exit]], null, true, frame, fetchSlots);
                foreach (var (consumer, input, _) in _dataOut[exit]) Deliver(run, consumer, input, null, null, true, parent, pendingFrame.ParentIter, false);
                foreach (var consumer in _controlOut[exit]) Deliver(run, consumer, -1, null, null, true, parent, pendingFrame.ParentIter, false);
            }
        }
    }

    private NodeState StateOf(Frame f, int iter, Node n)
    {
        if (!f.Iterations.TryGetValue(iter, out var states)) f.Iterations[iter] = states = [];
        if (!states.TryGetValue(n, out var s))
            states[n] = s = new NodeState(n.Inputs.Count, n.Inputs.Count + n.ControlInputs.Count);
        return s;
    }

    private void Deliver(RunState run, Node n, int input, Tensor? value, VariableSlot? slot, bool dead, Frame f, int iter, bool fromNextIteration)
    {
        var s = StateOf(f, iter, n);
        if (s.Fired) return;
        if (ControlFlow.IsMerge(n.Op) && input >= 0)
        {
            if (!dead)
            {
                s.Inputs[input] = value;
                s.Refs[input] = slot;
                s.Fired = true;
                run.Ready.Enqueue((n, f, iter, s, false));
            }
            else if (!fromNextIteration && ++s.DeadInputs >= _mergeDeadNeeded[n])
            {
                s.Fired = true;
                run.Ready.Enqueue((n, f, iter, s, true));
            }
            return;
        }
        if (input >= 0)
        {
            s.Inputs[input] = value;
            s.Refs[input] = slot;
        }
        if (dead) s.AnyDead = true;
        if (input >= 0 || n.Inputs.Count + n.ControlInputs.Count > 0) s.Pending--;
        if (s.Pending <= 0)
        {
            s.Fired = true;
            // A ControlTrigger is never dead (TF's propagator_state.cc ActivateNodes: `if (dst_item.is_control_trigger)
            // dst_dead = false`): it orders ops such as stack pushes inside an untaken cond of a loop body.
            run.Ready.Enqueue((n, f, iter, s, s.AnyDead && n.Op != "ControlTrigger"));
        }
    }

    private void Execute(RunState run, Node n, Frame f, int iter, NodeState s, bool dead, RunFrame frame, Dictionary<TensorRef, List<int>> fetchSlots, Frame root)
    {
        var outputs = new Tensor?[_outputCounts[n]];
        VariableSlot?[]? outRefs = null;
        if (!dead)
        {
            var inputs = new Tensor?[s.Inputs.Length];
            for (int i = 0; i < inputs.Length; i++) inputs[i] = s.Refs[i]?.Value ?? s.Inputs[i];
            var ctx = new OpKernelContext(n, inputs, outputs.Length, _session.State, s.Refs);
            StaticExecutor.Compute(_session.KernelFor(n), ctx);
            outRefs = new VariableSlot?[Math.Max(outputs.Length, ctx.OutputCount)];
            if (outputs.Length < ctx.OutputCount) Array.Resize(ref outputs, ctx.OutputCount);
            for (int k = 0; k < outputs.Length; k++)
            {
                outputs[k] = ctx.Output(k);
                outRefs[k] = ctx.OutputRef(k);
            }
        }
        Propagate(run, n, f, iter, outputs, outRefs, dead, frame, fetchSlots, root);
    }

    private void Propagate(RunState run, Node n, Frame f, int iter, Tensor?[] outputs, VariableSlot?[]? outRefs, bool dead,
        RunFrame frame, Dictionary<TensorRef, List<int>> fetchSlots, Frame root)
    {
        bool switchOp = ControlFlow.IsSwitch(n.Op);
        bool exit = ControlFlow.IsExit(n.Op);
        // An Exit's value lives in the parent frame; a dead Exit is recorded only when flushed.
        if ((exit ? f.Parent == root && !dead : f == root)) Record(n, outputs, outRefs, dead, frame, fetchSlots);
        if (exit)
        {
            if (dead) f.DeadExits.Add(n);
            else f.LiveExits.Add(n);
        }
        foreach (var (consumer, input, output) in _dataOut[n])
        {
            var v = output < outputs.Length ? outputs[output] : null;
            var r = outRefs != null && output < outRefs.Length ? outRefs[output] : null;
            bool d = dead || (v == null && r == null && switchOp);
            if (!d && v == null && r == null)
                throw new GraphExecutionException($"{n.Op} node '{n.Name}' produced no output {output}.", n.Name);
            Route(run, n, consumer, input, v, r, d, f, iter);
        }
        foreach (var consumer in _controlOut[n]) Route(run, n, consumer, -1, null, null, dead, f, iter);
    }

    private static void Record(Node n, Tensor?[] outputs, VariableSlot?[]? outRefs, bool dead, RunFrame frame, Dictionary<TensorRef, List<int>> fetchSlots)
    {
        for (int k = 0; k < outputs.Length; k++)
        {
            if (!fetchSlots.TryGetValue(new TensorRef(n.Name, k), out var slots)) continue;
            bool d = dead || (outputs[k] == null && outRefs?[k] == null);
            foreach (var slot in slots)
            {
                frame.Values[slot] = outputs[k];
                frame.Refs[slot] = outRefs?[k];
                frame.Dead[slot] = d;
            }
        }
    }

    private void Route(RunState run, Node producer, Node consumer, int input, Tensor? v, VariableSlot? r, bool dead, Frame f, int iter)
    {
        if (ControlFlow.IsEnter(producer.Op))
        {
            var child = ChildFrame(run, f, iter, producer.GetString("frame_name"));
            if (producer.GetBool("is_constant", false))
            {
                child.Constants.Add((consumer, input, v, r, dead));
                foreach (var it in child.Iterations.Keys.ToList()) Deliver(run, consumer, input, v, r, dead, child, it, false);
                if (!child.Iterations.ContainsKey(0)) Deliver(run, consumer, input, v, r, dead, child, 0, false);
            }
            else Deliver(run, consumer, input, v, r, dead, child, 0, false);
        }
        else if (ControlFlow.IsExit(producer.Op))
        {
            if (dead) return; // flushed later if the loop never exits live
            Deliver(run, consumer, input, v, r, false, f.Parent ?? throw new GraphExecutionException($"Exit node '{producer.Name}' is not inside a loop frame.", producer.Name), f.ParentIter, false);
        }
        else if (ControlFlow.IsNextIteration(producer.Op))
        {
            if (dead) return; // the loop ends
            if (!f.Iterations.ContainsKey(iter + 1))
            {
                f.Iterations[iter + 1] = [];
                foreach (var c in f.Constants) Deliver(run, c.Consumer, c.Input, c.Value, c.Ref, c.Dead, f, iter + 1, false);
            }
            Deliver(run, consumer, input, v, r, false, f, iter + 1, true);
        }
        else Deliver(run, consumer, input, v, r, dead, f, iter, false);
    }

    private static Frame ChildFrame(RunState run, Frame parent, int iter, string name)
    {
        if (!run.Children.TryGetValue((parent, iter, name), out var child))
        {
            run.Children[(parent, iter, name)] = child = new Frame(name, parent, iter);
            run.Frames.Add(child);
        }
        return child;
    }
}
