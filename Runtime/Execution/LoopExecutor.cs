using TypedGraph.Kernels;
using TypedGraph.Protos;

namespace TypedGraph.Execution;

/// <summary>
/// Runs pruned subgraphs that contain TF1 while loops, the way TF's executor does
/// (core/common_runtime/propagator_state.cc): values are tagged with a frame (one per Enter'd loop instance) and an
/// iteration; Enter moves a value into a child frame's iteration 0 (an <c>is_constant</c> Enter into every
/// iteration), NextIteration into the next iteration, Exit back to the parent. A node fires when all its inputs
/// for its (frame, iteration) arrived, Merge on its first live input. Dead tensors propagate; a dead NextIteration
/// ends the loop; the dead Exits of a loop's last iteration reach the parent when the frame is done (a loop
/// inside an untaken cond).
/// </summary>
/// <remarks>
/// <para>The structure is built once per plan (dense node indices, edge arrays); each run keeps its own state in
/// its <see cref="RunFrame"/>, so runs may be concurrent.</para>
/// <para>Memory per iteration is bounded, as in TF: at most <c>parallel_iterations</c> iterations of a frame are
/// live (a NextIteration beyond the window is deferred — TF's <c>next_iter_roots</c>); an iteration is done when
/// it has no outstanding ops and no live child frames and its predecessor is done (TF's <c>IsIterationDone</c>),
/// and its state then goes back to a free list and is reused. Kernel outputs come from the run's
/// <see cref="BufferPool"/>, reference-counted by the input slots holding them, so per-iteration values reuse
/// buffers; kernels that keep a value (TensorArray/Stack writes, variables) copy it, as under the static executor.
/// A steady loop therefore allocates nothing per iteration beyond what its kernels store.</para>
/// </remarks>
internal sealed class LoopExecutor
{
    private enum Kind : byte { Other, Merge, Switch, Enter, Exit, NextIteration, ControlTrigger }

    private readonly record struct Edge(int Consumer, int Input, int Output);

    private readonly record struct ReadyNode(int Node, FrameState Frame, IterationState Iteration, bool Dead);

    private readonly record struct LoopValue(int Node, Tensor? Value, VariableSlot? Ref, bool Dead);

    private readonly Session _session;
    private readonly Node[] _nodes;
    private readonly Kind[] _kinds;
    private readonly Edge[][] _dataOut;
    private readonly int[][] _controlOut;
    private readonly int[] _outputCounts;
    private readonly int[] _inputOffsets;
    private readonly int _totalInputs;
    private readonly int[] _initialPending;
    private readonly int[] _mergeDeadNeeded;
    private readonly string?[] _enterFrames;
    private readonly bool[] _enterConstant;
    private readonly int[] _enterParallel;
    private readonly Dictionary<string, int> _entersPerFrame = new(StringComparer.Ordinal);
    private readonly int[] _sources;
    private readonly (int Node, int Input, int FeedSlot)[] _fedEdges;
    private readonly (int Output, int Slot)[]?[] _fetches;
    private readonly OpKernel?[] _kernels;

    /// <summary>The plan's nodes as the executor runs them (fused nodes included).</summary>
    internal IReadOnlyList<Node> Nodes => _nodes;

    /// <summary>For profiling probes: called after each kernel this thread runs in a loop, with its Stopwatch ticks.</summary>
    [ThreadStatic] internal static Action<Node, long>? KernelObserver;

    public LoopExecutor(Session session, List<Node> nodes, HashSet<TensorRef> fed, ExecutionPlan plan)
    {
        _session = session;
        var graph = session.Graph;
        int count = nodes.Count;
        _nodes = [.. nodes];
        // By name, not by graph node: the plan may hold fused nodes (PlanFusion) that stand in for the graph node they
        // are named after.
        var index = new Dictionary<string, int>(count, StringComparer.Ordinal);
        for (int i = 0; i < count; i++) index[_nodes[i].Name] = i;
        _kinds = new Kind[count];
        _outputCounts = new int[count];
        _inputOffsets = new int[count];
        _initialPending = new int[count];
        _mergeDeadNeeded = new int[count];
        _enterFrames = new string?[count];
        _enterConstant = new bool[count];
        _enterParallel = new int[count];
        _kernels = new OpKernel?[count];
        _fetches = new (int, int)[]?[count];
        var dataOut = new List<Edge>[count];
        var controlOut = new List<int>[count];
        var sources = new List<int>();
        var fedEdges = new List<(int, int, int)>();
        int offset = 0;
        for (int i = 0; i < count; i++)
        {
            var n = _nodes[i];
            dataOut[i] = [];
            controlOut[i] = [];
            _outputCounts[i] = Math.Max(1, n.Attr("_output_shapes")?.List?.Shape.Count ?? 0);
            _inputOffsets[i] = offset;
            offset += n.Inputs.Count;
            _initialPending[i] = n.Inputs.Count + n.ControlInputs.Count;
            _kinds[i] = KindOf(n.Op);
            if (_kinds[i] == Kind.Enter)
            {
                var name = n.GetString("frame_name");
                _enterFrames[i] = name;
                _enterConstant[i] = n.GetBool("is_constant", false);
                // TF's Enter op defaults parallel_iterations to 10; the frame takes it from its Enter nodes.
                _enterParallel[i] = (int)Math.Clamp(n.GetInt("parallel_iterations", 10), 1, 1 << 20);
                _entersPerFrame[name] = _entersPerFrame.GetValueOrDefault(name) + 1;
            }
        }
        _totalInputs = offset;
        for (int i = 0; i < count; i++)
        {
            var n = _nodes[i];
            for (int k = 0; k < n.Inputs.Count; k++)
            {
                var r = n.Inputs[k];
                if (fed.Contains(r))
                {
                    fedEdges.Add((i, k, plan.Feeds.First(f => f.Ref == r).Slot));
                    continue;
                }
                int p = index[r.NodeName];
                dataOut[p].Add(new Edge(i, k, r.Index));
                _outputCounts[p] = Math.Max(_outputCounts[p], r.Index + 1);
            }
            foreach (var c in n.ControlInputs) controlOut[index[c]].Add(i);
            if (n.Inputs.Count == 0 && n.ControlInputs.Count == 0) sources.Add(i);
            if (_kinds[i] == Kind.Merge)
                _mergeDeadNeeded[i] = n.Inputs.Count(r => !ControlFlow.IsNextIteration((index.TryGetValue(r.NodeName, out int ri) ? _nodes[ri] : graph.GetNode(r.NodeName)).Op));
        }
        _dataOut = [.. dataOut.Select(l => l.ToArray())];
        _controlOut = [.. controlOut.Select(l => l.ToArray())];
        _sources = [.. sources];
        _fedEdges = [.. fedEdges];
        var fetches = new Dictionary<int, List<(int, int)>>();
        for (int j = 0; j < plan.FetchRefs.Length; j++)
        {
            var r = plan.FetchRefs[j];
            if (!index.TryGetValue(r.NodeName, out int fi)) continue;
            if (!fetches.TryGetValue(fi, out var l)) fetches[fi] = l = [];
            l.Add((r.Index, plan.FetchSlots[j]));
        }
        foreach (var (fi, l) in fetches) _fetches[fi] = [.. l];
    }

    private static Kind KindOf(string op) => op switch
    {
        _ when ControlFlow.IsMerge(op) => Kind.Merge,
        _ when ControlFlow.IsSwitch(op) => Kind.Switch,
        _ when ControlFlow.IsEnter(op) => Kind.Enter,
        _ when ControlFlow.IsExit(op) => Kind.Exit,
        _ when ControlFlow.IsNextIteration(op) => Kind.NextIteration,
        "ControlTrigger" => Kind.ControlTrigger,
        _ => Kind.Other,
    };

    /// <summary>Per-(frame, iteration) state: the inputs that arrived and the pending counts of every node.</summary>
    private sealed class IterationState
    {
        public IterationState(LoopExecutor executor)
        {
            Inputs = new Tensor?[executor._totalInputs];
            Refs = new VariableSlot?[executor._totalInputs];
            Pending = new int[executor._nodes.Length];
            DeadInputs = new int[executor._nodes.Length];
            AnyDead = new bool[executor._nodes.Length];
            Fired = new bool[executor._nodes.Length];
        }

        public int Number;
        public int OutstandingOps;
        public int OutstandingFrames;
        public readonly Tensor?[] Inputs;
        public readonly VariableSlot?[] Refs;
        public readonly int[] Pending;
        public readonly int[] DeadInputs;
        public readonly bool[] AnyDead;
        public readonly bool[] Fired;
    }

    /// <summary>One instance of a loop (a frame name entered from one parent iteration), TF's FrameState.</summary>
    private sealed class FrameState
    {
        public string Name = "";
        public FrameState? Parent;
        public IterationState? ParentIteration;
        public int Depth;
        public int MaxParallel = 1;
        public IterationState?[] Ring = new IterationState?[2];
        public int IterationCount;
        public int OutstandingIterations;
        public int PendingInputs;
        public bool Flushed;
        public readonly List<LoopValue> Invariants = [];
        public readonly List<LoopValue> DeferredNexts = [];
        public readonly List<int> DeadExits = [];

        public IterationState? Iteration(int number) => Ring[number % Ring.Length];
    }

    /// <summary>Everything one run mutates, kept in the <see cref="RunFrame"/> and reused by its next run.</summary>
    private sealed class RunState
    {
        public RunState(LoopExecutor executor, RunFrame frame)
        {
            Frame = frame;
            Contexts = new OpKernelContext?[executor._nodes.Length];
            Allocate = frame.Pool.Allocate;
        }

        public readonly RunFrame Frame;
        public readonly OpKernelContext?[] Contexts;
        public readonly Func<DataType, TensorShape, Tensor> Allocate;
        public readonly Queue<ReadyNode> Ready = new();
        public readonly Dictionary<(FrameState Parent, int Iteration, string Name), FrameState> Children = [];
        public readonly List<FrameState> LiveFrames = [];
        public readonly Stack<IterationState> FreeIterations = new();
        public readonly Stack<FrameState> FreeFrames = new();
        public readonly FrameState Root = new();
    }

    /// <summary>Runs the loop graph; fetched values land in <paramref name="frame"/>'s value table.</summary>
    public void Run(ExecutionPlan plan, RunFrame frame)
    {
        // A state left by a failed run is dropped (it may hold half-run iterations); a finished one is clean.
        var run = frame.LoopState as RunState ?? new RunState(this, frame);
        frame.LoopState = null;
        var root = run.Root;
        root.Ring[0] = NewIteration(run, 0);
        root.OutstandingIterations = 1;
        var rootIteration = root.Ring[0]!;
        foreach (int n in _sources) Deliver(run, n, -1, null, null, false, root, rootIteration, fromNextIteration: false);
        foreach (var (n, input, feedSlot) in _fedEdges)
            Deliver(run, n, input, frame.Values[feedSlot], null, false, root, rootIteration, fromNextIteration: false);
        while (true)
        {
            while (run.Ready.TryDequeue(out var item)) Execute(run, item);
            // Quiescent with a frame that never completed (only a malformed loop gets here): hand its dead
            // exits to the parent anyway, deepest frame first, so consumers outside still learn they are dead.
            FrameState? stuck = null;
            foreach (var f in run.LiveFrames)
                if (!f.Flushed && f.DeadExits.Count > 0 && (stuck == null || f.Depth > stuck.Depth)) stuck = f;
            if (stuck == null) break;
            stuck.Flushed = true;
            foreach (int exit in stuck.DeadExits) PropagateDeadExit(run, exit, stuck);
        }
        // Reset for the next run: nothing may stay reachable (the frame's pool reclaims its buffers at EndRun).
        ReleaseIteration(run, rootIteration);
        root.Ring[0] = null;
        foreach (var f in run.LiveFrames) ResetFrame(run, f);
        run.LiveFrames.Clear();
        run.Children.Clear();
        foreach (var ctx in run.Contexts) ctx?.Clear();
        frame.LoopState = run;
    }

    private IterationState NewIteration(RunState run, int number)
    {
        var it = run.FreeIterations.Count > 0 ? run.FreeIterations.Pop() : new IterationState(this);
        it.Number = number;
        it.OutstandingOps = 0;
        it.OutstandingFrames = 0;
        Array.Copy(_initialPending, it.Pending, _initialPending.Length);
        Array.Clear(it.DeadInputs);
        Array.Clear(it.AnyDead);
        Array.Clear(it.Fired);
        return it;
    }

    /// <summary>Drops what an iteration still holds (inputs of nodes that never fired) and recycles its state.</summary>
    private static void ReleaseIteration(RunState run, IterationState it)
    {
        var pool = run.Frame.Pool;
        for (int i = 0; i < it.Inputs.Length; i++)
        {
            if (it.Inputs[i] is { } v && it.Refs[i] == null) pool.Release(v);
            it.Inputs[i] = null;
            it.Refs[i] = null;
        }
        run.FreeIterations.Push(it);
    }

    private static void ResetFrame(RunState run, FrameState f)
    {
        var pool = run.Frame.Pool;
        foreach (var v in f.Invariants) Unhold(pool, v);
        foreach (var v in f.DeferredNexts) Unhold(pool, v);
        f.Invariants.Clear();
        f.DeferredNexts.Clear();
        f.DeadExits.Clear();
        for (int i = 0; i < f.Ring.Length; i++)
        {
            if (f.Ring[i] is { } it) ReleaseIteration(run, it);
            f.Ring[i] = null;
        }
        f.Parent = null;
        f.ParentIteration = null;
        f.Flushed = false;
        run.FreeFrames.Push(f);
    }

    private static void Hold(BufferPool pool, Tensor? v, VariableSlot? r)
    {
        if (r == null) pool.AddRef(v);
    }

    private static void Unhold(BufferPool pool, LoopValue v)
    {
        if (v.Ref == null) pool.Release(v.Value);
    }

    private void Deliver(RunState run, int n, int input, Tensor? value, VariableSlot? slot, bool dead, FrameState f, IterationState it, bool fromNextIteration)
    {
        if (it.Fired[n]) return;
        if (_kinds[n] == Kind.Merge && input >= 0)
        {
            if (!dead)
            {
                Store(run, it, n, input, value, slot);
                it.Fired[n] = true;
                Enqueue(run, n, f, it, false);
            }
            else if (!fromNextIteration && ++it.DeadInputs[n] >= _mergeDeadNeeded[n])
            {
                it.Fired[n] = true;
                Enqueue(run, n, f, it, true);
            }
            return;
        }
        if (input >= 0) Store(run, it, n, input, value, slot);
        if (dead) it.AnyDead[n] = true;
        if (input >= 0 || _initialPending[n] > 0) it.Pending[n]--;
        if (it.Pending[n] <= 0)
        {
            it.Fired[n] = true;
            // A ControlTrigger is never dead (TF's propagator_state.cc ActivateNodes: `if (dst_item.is_control_trigger)
            // dst_dead = false`): it orders ops such as stack pushes inside an untaken cond of a loop body.
            Enqueue(run, n, f, it, it.AnyDead[n] && _kinds[n] != Kind.ControlTrigger);
        }
    }

    private void Store(RunState run, IterationState it, int n, int input, Tensor? value, VariableSlot? slot)
    {
        int k = _inputOffsets[n] + input;
        if (it.Inputs[k] is { } old && it.Refs[k] == null) run.Frame.Pool.Release(old);
        it.Inputs[k] = value;
        it.Refs[k] = slot;
        Hold(run.Frame.Pool, value, slot);
    }

    private static void Enqueue(RunState run, int n, FrameState f, IterationState it, bool dead)
    {
        it.OutstandingOps++;
        run.Ready.Enqueue(new ReadyNode(n, f, it, dead));
    }

    private void Execute(RunState run, ReadyNode item)
    {
        int n = item.Node;
        var node = _nodes[n];
        var it = item.Iteration;
        var f = item.Frame;
        var ctx = run.Contexts[n];
        if (ctx == null)
        {
            int inputs = node.Inputs.Count;
            run.Contexts[n] = ctx = new OpKernelContext(node, new Tensor?[inputs], _outputCounts[n], _session.State,
                new VariableSlot?[inputs], run.Allocate) { Holds = run.Frame.Pool };
        }
        int offset = _inputOffsets[n];
        if (!item.Dead)
        {
            var inputs = ctx.InputArray;
            var refs = ctx.RefInputArray!;
            for (int i = 0; i < inputs.Length; i++)
            {
                var r = it.Refs[offset + i];
                // A ref is read when its consumer runs, so an Assign earlier in the run is seen.
                inputs[i] = r?.Value ?? it.Inputs[offset + i];
                refs[i] = r;
            }
            ctx.ResetOutputs();
            var observer = KernelObserver;
            long started = observer != null ? System.Diagnostics.Stopwatch.GetTimestamp() : 0;
            StaticExecutor.Compute(_kernels[n] ??= _session.KernelFor(node), ctx);
            observer?.Invoke(node, System.Diagnostics.Stopwatch.GetTimestamp() - started);
        }
        Propagate(run, n, f, it, item.Dead ? null : ctx, item.Dead);
        // This node's inputs are consumed: let go of their buffers, and of outputs nothing took.
        var pool = run.Frame.Pool;
        for (int i = 0; i < node.Inputs.Count; i++)
        {
            int k = offset + i;
            if (it.Inputs[k] is { } v && it.Refs[k] == null) pool.Release(v);
            it.Inputs[k] = null;
            it.Refs[k] = null;
        }
        if (!item.Dead)
        {
            for (int k = 0; k < ctx.OutputCount; k++)
                if (ctx.OutputRef(k) == null) pool.FreeIfUnheld(ctx.Output(k));
            ctx.Clear();
        }
        it.OutstandingOps--;
        if (it.OutstandingOps == 0 && f != run.Root) CleanupIterations(run, f, it);
    }

    private void Propagate(RunState run, int n, FrameState f, IterationState it, OpKernelContext? ctx, bool dead)
    {
        switch (_kinds[n])
        {
            case Kind.Enter:
            {
                var child = ChildFrame(run, f, it, n);
                child.PendingInputs--;
                var v = ctx?.Output(0);
                var r = ctx?.OutputRef(0);
                if (_enterConstant[n])
                {
                    // A loop invariant reaches every live iteration now and every later one when it starts.
                    child.Invariants.Add(new LoopValue(n, v, r, dead));
                    Hold(run.Frame.Pool, v, r);
                    for (int i = 0; i <= child.IterationCount; i++)
                        if (child.Iteration(i) is { } target) DeliverValue(run, n, v, r, dead, child, target, false);
                }
                else DeliverValue(run, n, v, r, dead, child, child.Iteration(0)!, false);
                // An Enter with nothing downstream may complete iteration 0 (and the frame) by itself.
                var first = child.Iteration(0);
                if (first != null && first.OutstandingOps == 0) CleanupIterations(run, child, first);
                break;
            }
            case Kind.Exit:
                if (dead)
                {
                    // Only the last iteration's dead exits matter (TF keeps them until the frame is deleted).
                    if (it.Number == f.IterationCount) f.DeadExits.Add(n);
                    break;
                }
                var parent = f.Parent ?? throw new GraphExecutionException($"Exit node '{_nodes[n].Name}' is not inside a loop frame.", _nodes[n].Name);
                if (parent == run.Root) Record(run, n, ctx, false);
                DeliverOutputs(run, n, ctx, false, parent, f.ParentIteration!, false);
                break;
            case Kind.NextIteration:
                if (dead) break; // the loop ends
                if (it.Number == f.IterationCount)
                {
                    if (f.OutstandingIterations >= f.MaxParallel)
                    {
                        // parallel_iterations reached: the value waits until the oldest iteration is done (TF's next_iter_roots).
                        var v = ctx!.Output(0);
                        var r = ctx.OutputRef(0);
                        Hold(run.Frame.Pool, v, r);
                        f.DeferredNexts.Add(new LoopValue(n, v, r, false));
                        break;
                    }
                    DeliverOutputs(run, n, ctx, false, f, IncrementIteration(run, f), true);
                }
                else DeliverOutputs(run, n, ctx, false, f, f.Iteration(it.Number + 1)!, true);
                break;
            default:
                if (f == run.Root) Record(run, n, ctx, dead);
                DeliverOutputs(run, n, ctx, dead, f, it, false);
                break;
        }
    }

    private void DeliverOutputs(RunState run, int n, OpKernelContext? ctx, bool dead, FrameState f, IterationState it, bool fromNextIteration)
    {
        bool switchOp = _kinds[n] == Kind.Switch;
        foreach (var e in _dataOut[n])
        {
            var v = ctx?.Output(e.Output);
            var r = ctx?.OutputRef(e.Output);
            bool d = dead || (v == null && r == null && switchOp);
            if (!d && v == null && r == null)
                throw new GraphExecutionException($"{_nodes[n].Op} node '{_nodes[n].Name}' produced no output {e.Output}.", _nodes[n].Name);
            Deliver(run, e.Consumer, e.Input, v, r, d, f, it, fromNextIteration);
        }
        foreach (int c in _controlOut[n]) Deliver(run, c, -1, null, null, dead, f, it, fromNextIteration);
    }

    /// <summary>Delivers a single-output node's value (Enter, a deferred NextIteration, a loop invariant).</summary>
    private void DeliverValue(RunState run, int n, Tensor? v, VariableSlot? r, bool dead, FrameState f, IterationState it, bool fromNextIteration)
    {
        foreach (var e in _dataOut[n])
        {
            if (!dead && v == null && r == null)
                throw new GraphExecutionException($"{_nodes[n].Op} node '{_nodes[n].Name}' produced no output {e.Output}.", _nodes[n].Name);
            Deliver(run, e.Consumer, e.Input, v, r, dead, f, it, fromNextIteration);
        }
        foreach (int c in _controlOut[n]) Deliver(run, c, -1, null, null, dead, f, it, fromNextIteration);
    }

    private void Record(RunState run, int n, OpKernelContext? ctx, bool dead)
    {
        if (_fetches[n] is not { } fetches) return;
        var frame = run.Frame;
        foreach (var (output, slot) in fetches)
        {
            var v = ctx?.Output(output);
            var r = ctx?.OutputRef(output);
            bool d = dead || (v == null && r == null);
            frame.Values[slot] = v;
            frame.Refs[slot] = r;
            frame.Dead[slot] = d;
            if (!d) Hold(frame.Pool, v, r); // the caller takes fetched buffers after the run
        }
    }

    private FrameState ChildFrame(RunState run, FrameState parent, IterationState parentIteration, int enter)
    {
        string name = _enterFrames[enter]!;
        var key = (parent, parentIteration.Number, name);
        if (run.Children.TryGetValue(key, out var child)) return child;
        child = run.FreeFrames.Count > 0 ? run.FreeFrames.Pop() : new FrameState();
        child.Name = name;
        child.Parent = parent;
        child.ParentIteration = parentIteration;
        child.Depth = parent.Depth + 1;
        child.MaxParallel = _enterParallel[enter];
        if (child.Ring.Length < child.MaxParallel + 1) child.Ring = new IterationState?[child.MaxParallel + 1];
        child.IterationCount = 0;
        child.OutstandingIterations = 1;
        child.PendingInputs = _entersPerFrame[name];
        child.Flushed = false;
        child.Ring[0] = NewIteration(run, 0);
        parentIteration.OutstandingFrames++;
        run.Children.Add(key, child);
        run.LiveFrames.Add(child);
        return child;
    }

    /// <summary>Starts the frame's next iteration: deferred NextIteration values and loop invariants flow in (TF's IncrementIteration).</summary>
    private IterationState IncrementIteration(RunState run, FrameState f)
    {
        f.IterationCount++;
        var it = NewIteration(run, f.IterationCount);
        f.Ring[f.IterationCount % f.Ring.Length] = it;
        f.OutstandingIterations++;
        f.DeadExits.Clear();
        var pool = run.Frame.Pool;
        foreach (var d in f.DeferredNexts)
        {
            DeliverValue(run, d.Node, d.Value, d.Ref, false, f, it, true);
            Unhold(pool, d);
        }
        f.DeferredNexts.Clear();
        foreach (var inv in f.Invariants) DeliverValue(run, inv.Node, inv.Value, inv.Ref, inv.Dead, f, it, false);
        return it;
    }

    private static bool IsIterationDone(FrameState f, IterationState it) =>
        it.OutstandingOps == 0 && it.OutstandingFrames == 0
        && (it.Number == 0 ? f.PendingInputs == 0 : f.Iteration(it.Number - 1) == null);

    /// <summary>Retires the done iterations from <paramref name="it"/> on (TF's CleanupIterations); deletes the frame when it is done.</summary>
    private void CleanupIterations(RunState run, FrameState f, IterationState it)
    {
        int current = it.Number;
        while (current <= f.IterationCount && IsIterationDone(f, it))
        {
            f.Ring[current % f.Ring.Length] = null;
            ReleaseIteration(run, it);
            f.OutstandingIterations--;
            current++;
            if (f.DeferredNexts.Count > 0) IncrementIteration(run, f);
            if (current > f.IterationCount) break;
            it = f.Iteration(current)!;
        }
        if (f.PendingInputs == 0 && f.OutstandingIterations == 0) DeleteFrame(run, f);
    }

    /// <summary>A finished loop instance: its last iteration's dead exits reach the parent, then the parent iteration may be done.</summary>
    private void DeleteFrame(RunState run, FrameState f)
    {
        var parent = f.Parent!;
        var parentIteration = f.ParentIteration!;
        if (!f.Flushed)
            foreach (int exit in f.DeadExits) PropagateDeadExit(run, exit, f);
        run.Children.Remove((parent, parentIteration.Number, f.Name));
        run.LiveFrames.Remove(f);
        ResetFrame(run, f);
        parentIteration.OutstandingFrames--;
        if (parent != run.Root && parentIteration.OutstandingOps == 0) CleanupIterations(run, parent, parentIteration);
    }

    private void PropagateDeadExit(RunState run, int exit, FrameState f)
    {
        var parent = f.Parent!;
        if (parent == run.Root) Record(run, exit, null, true);
        DeliverValue(run, exit, null, null, true, parent, f.ParentIteration!, false);
    }
}
