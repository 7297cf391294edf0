using TypedGraph.Kernels;
using TypedGraph.Protos;

namespace TypedGraph.Execution;

/// <summary>
/// The pruned, ordered, prepared subgraph for one (feeds, fetches, targets) request — built once and
/// cached by the <see cref="Session"/>. Running it walks <see cref="Steps"/> in order; nothing here is
/// recomputed per run. Graphs with while loops (cycles through NextIteration) cannot be ordered
/// statically and are run by <see cref="LoopExecutor"/> over the same pruned node set instead.
/// </summary>
internal sealed partial class ExecutionPlan
{
    // Idle frames: one slot per processor first, then a shared stack. Concurrent runs of one plan (the serving case)
    // each take back the frame their processor last used — its value table and pooled buffers are still in that
    // core's cache, and no lock or cache line is shared between the cores; the stack holds the rest (more concurrent
    // runs than processors, or a thread that moved).
    private readonly FrameSlot[] _slots = new FrameSlot[Environment.ProcessorCount];
    private readonly Stack<RunFrame> _frames = new();

    /// <summary>One idle frame, alone on a 128-byte line (two cores never write the same cache line).</summary>
    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential, Size = 128)]
    private struct FrameSlot
    {
        public RunFrame? Frame;
    }

    private ExecutionPlan(string[] fetchNames, string[] feedNames, string[] targetNames)
    {
        FetchNames = fetchNames;
        FeedNames = feedNames;
        TargetNames = targetNames;
    }

    /// <summary>The fetch names exactly as requested (cache key part).</summary>
    public string[] FetchNames { get; }

    /// <summary>The plan cache's clock reading at this plan's last use (for least-recently-used eviction).</summary>
    public long LastUsed { get; set; }

    /// <summary>The fed names, sorted ordinally (cache key part).</summary>
    public string[] FeedNames { get; }

    /// <summary>The target op names as requested (cache key part).</summary>
    public string[] TargetNames { get; }

    /// <summary>Per slot, the index of the last step that reads it (<see cref="int.MaxValue"/> for fetched slots, -1 for
    /// slots no step reads).</summary>
    public int[] SlotLastReader { get; private set; } = [];

    /// <summary>
    /// True when no step of this (static) plan can keep an input past its own step other than through its outputs, so a
    /// run can account for every variable value it reads (see <see cref="Kernels.VariableSlot"/>): no stateful op but the
    /// variable, optimizer and random ops, no resource or variant operands but the variable ops', no function calls.
    /// </summary>
    public bool AllowsVariableLeases { get; private set; }

    /// <summary>Steps in a valid execution order (empty for loop graphs).</summary>
    public PlanStep[] Steps { get; private set; } = [];

    /// <summary>Size of the per-run value table.</summary>
    public int SlotCount { get; private set; }

    /// <summary>The feeds, in <see cref="FeedNames"/> order.</summary>
    public FeedBinding[] Feeds { get; private set; } = [];

    /// <summary>The fetched tensors, in request order.</summary>
    public TensorRef[] FetchRefs { get; private set; } = [];

    /// <summary>Value-table slot of each fetch.</summary>
    public int[] FetchSlots { get; private set; } = [];

    /// <summary>Set when the pruned graph holds a while loop: run by the dynamic executor.</summary>
    public LoopExecutor? Loop { get; private set; }

    /// <summary>True when this plan was built for exactly these names.</summary>
    public bool Matches(IReadOnlyList<string> fetches, IReadOnlyDictionary<string, Tensor>? feeds, IReadOnlyList<string>? targets)
    {
        if (fetches.Count != FetchNames.Length || (feeds?.Count ?? 0) != FeedNames.Length || (targets?.Count ?? 0) != TargetNames.Length)
            return false;
        for (int i = 0; i < FetchNames.Length; i++)
            if (!string.Equals(fetches[i], FetchNames[i], StringComparison.Ordinal)) return false;
        for (int i = 0; i < TargetNames.Length; i++)
            if (!string.Equals(targets![i], TargetNames[i], StringComparison.Ordinal)) return false;
        for (int i = 0; i < FeedNames.Length; i++)
            if (!feeds!.ContainsKey(FeedNames[i])) return false;
        return true;
    }

    /// <summary>True when this plan was built for exactly these names (array form, feeds in any order).</summary>
    public bool Matches(string[] fetches, string[] feedNames, string[] targets)
    {
        if (fetches.Length != FetchNames.Length || feedNames.Length != FeedNames.Length || targets.Length != TargetNames.Length)
            return false;
        for (int i = 0; i < FetchNames.Length; i++)
            if (!string.Equals(fetches[i], FetchNames[i], StringComparison.Ordinal)) return false;
        for (int i = 0; i < TargetNames.Length; i++)
            if (!string.Equals(targets[i], TargetNames[i], StringComparison.Ordinal)) return false;
        foreach (var f in feedNames)
            if (Array.BinarySearch(FeedNames, f, StringComparer.Ordinal) < 0) return false;
        return true;
    }

    /// <summary>Takes a per-run frame (value table, contexts, buffers) from the pool, or makes one.</summary>
    public RunFrame RentFrame(SessionState state)
    {
        if (Interlocked.Exchange(ref _slots[Thread.GetCurrentProcessorId() % _slots.Length].Frame, null) is { } mine) return mine;
        lock (_frames)
            if (_frames.Count > 0) return _frames.Pop();
        return new RunFrame(this, state);
    }

    /// <summary>Largest number of bytes any idle pooled frame holds (tests, diagnostics).</summary>
    internal long PooledBytes()
    {
        long most = 0;
        for (int i = 0; i < _slots.Length; i++)
            if (Volatile.Read(ref _slots[i].Frame) is { } f) most = Math.Max(most, f.Pool.TotalBytes);
        lock (_frames) return _frames.Select(f => f.Pool.TotalBytes).Append(most).Max();
    }

    /// <summary>Returns a frame after a run; its buffers are reused by the next run.</summary>
    public void ReturnFrame(RunFrame frame)
    {
        if (Interlocked.CompareExchange(ref _slots[Thread.GetCurrentProcessorId() % _slots.Length].Frame, frame, null) == null) return;
        lock (_frames) _frames.Push(frame);
    }

    /// <summary>Prunes, orders and prepares the subgraph for a request.</summary>
    /// <exception cref="GraphExecutionException">Unknown names, an unfed placeholder, a cycle.</exception>
    /// <exception cref="UnsupportedOpException">A needed node has no kernel.</exception>
    public static ExecutionPlan Build(Session session, string[] fetches, string[] feedNames, string[] targets)
    {
        var graph = session.Graph;
        var sortedFeeds = (string[])feedNames.Clone();
        Array.Sort(sortedFeeds, StringComparer.Ordinal);
        var plan = new ExecutionPlan((string[])fetches.Clone(), sortedFeeds, (string[])targets.Clone());

        var fetchRefs = fetches.Select(f => ResolveTensor(graph, f, "fetch")).ToArray();
        var feedRefs = sortedFeeds.Select(f => ResolveTensor(graph, f, "feed")).ToArray();
        var targetNodes = targets.Select(t => ResolveNode(graph, t)).ToArray();
        var fed = new HashSet<TensorRef>(feedRefs);
        if (fed.Count != feedRefs.Length)
            throw new GraphExecutionException("The same tensor is fed twice under different spellings: " + string.Join(", ", sortedFeeds) + ".");

        var needed = Prune(graph, fetchRefs, targetNodes, fed);
        foreach (var node in needed)
        {
            if (node.Op is "Placeholder" or "PlaceholderV2")
                throw new GraphExecutionException(
                    $"You must feed a value for placeholder tensor '{node.Name}' with dtype {DataTypes.Name(node.GetType("dtype", DataType.DtInvalid))}"
                    + $" and shape {ShapeText(node.GetShape("shape"))}.", node.Name);
        }
        // Every op type the request lacks — in its nodes and in the function bodies they call — in one error,
        // before anything runs, so a user learns the whole gap at once.
        var missing = session.Options.Registry.FindUnsupported(needed.Select(n => n.Def), graph.Def.Library);
        if (missing.Count > 0) throw new UnsupportedOpException(missing);
        foreach (var node in needed) session.KernelFor(node);

        var slots = new Dictionary<TensorRef, int>();
        int Slot(TensorRef r)
        {
            if (!slots.TryGetValue(r, out int s)) slots.Add(r, s = slots.Count);
            return s;
        }
        plan.Feeds = feedRefs.Select((r, i) => MakeFeed(graph, sortedFeeds[i], r, Slot(r))).ToArray();
        plan.FetchRefs = fetchRefs;
        plan.FetchSlots = fetchRefs.Select(Slot).ToArray();

        // Before fusion, so a chain whose result only a control edge waited on is gone rather than fused.
        if (session.Options.OptimizeDependencies) needed = DependencyOptimizer.Rewrite(needed, fetchRefs, fed, targetNodes);
        // Loop plans are fused too (a dynamic_rnn cell's MatMul → BiasAdd): the loop executor wires nodes by name, so a
        // fused node stands in for the graph node it is named after, as in a static plan.
        if (session.Options.FuseKernels) needed = PlanFusion.Rewrite(needed, fetchRefs, fed, targetNodes, session.Options.Registry);
        if (needed.Any(n => ControlFlow.IsLoopOp(n.Op)))
        {
            plan.Loop = new LoopExecutor(session, needed, fed, plan);
            plan.SlotCount = slots.Count;
            return plan;
        }

        var order = TopologicalOrder(needed, fed);
        // By name: a fused node stands in for the graph node it is named after.
        var stepIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < order.Count; i++) stepIndex[order[i].Name] = i;
        // Outputs read inside the plan or fetched get slots; the rest are dropped after the step.
        var steps = new PlanStep[order.Count];
        for (int i = 0; i < order.Count; i++)
        {
            var node = order[i];
            var inputs = node.Inputs.Select(Slot).ToArray();
            var controls = node.ControlInputs.Select(c => stepIndex[c]).ToArray();
            steps[i] = new PlanStep(node, session.KernelFor(node), inputs, controls, [], 0);
        }
        var maxUsedByNode = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var r in slots.Keys)
            if (!fed.Contains(r)) maxUsedByNode[r.NodeName] = Math.Max(maxUsedByNode.GetValueOrDefault(r.NodeName), r.Index + 1);
        for (int i = 0; i < steps.Length; i++)
        {
            var node = steps[i].Node;
            int declared = node.Attr("_output_shapes")?.List?.Shape.Count ?? 0;
            int maxUsed = maxUsedByNode.GetValueOrDefault(node.Name);
            int count = Math.Max(declared, maxUsed);
            var outSlots = new int[count];
            for (int k = 0; k < count; k++)
            {
                var r = new TensorRef(node.Name, k);
                outSlots[k] = !fed.Contains(r) && slots.TryGetValue(r, out int s) ? s : -1;
            }
            steps[i] = new PlanStep(node, steps[i].Kernel, steps[i].InputSlots, steps[i].ControlSteps, outSlots, count);
        }
        // Liveness: each slot is released after its last reader; fetched slots live to the end of the run.
        var lastReader = new Dictionary<int, int>();
        for (int i = 0; i < steps.Length; i++)
            foreach (int slot in steps[i].InputSlots) lastReader[slot] = i;
        foreach (int slot in plan.FetchSlots) lastReader.Remove(slot);
        foreach (var group in lastReader.GroupBy(kv => kv.Value))
            steps[group.Key].ReleaseSlots = group.Select(kv => kv.Key).Order().ToArray();
        plan.Steps = steps;
        plan.SlotCount = slots.Count;
        var readBy = new int[slots.Count];
        Array.Fill(readBy, -1);
        foreach (var (slot, step) in lastReader) readBy[slot] = step;
        foreach (int slot in plan.FetchSlots) readBy[slot] = int.MaxValue;
        plan.SlotLastReader = readBy;
        plan.AllowsVariableLeases = steps.All(s => !VariableLeasePolicy.MayKeepInputs(s.Node));
        return plan;
    }

    private static FeedBinding MakeFeed(Graph graph, string name, TensorRef r, int slot)
    {
        var node = graph.GetNode(r.NodeName);
        if (node.Op is "Placeholder" or "PlaceholderV2" or "PlaceholderWithDefault" && r.Index == 0)
        {
            var shape = node.GetShape("shape");
            long[]? dims = shape == null || shape.UnknownRank ? null : shape.Dim.Select(d => d.Size).ToArray();
            // Before GraphDef version 22 (or with no versions field at all) an empty Placeholder shape meant
            // "unconstrained", not "scalar" (see GraphVersions).
            if (dims is { Length: 0 } && node.Op is "Placeholder" or "PlaceholderV2" && GraphVersions.EmptyPlaceholderShapeIsUnknown(graph)) dims = null;
            return new FeedBinding(name, r, slot, node.GetType("dtype", DataType.DtInvalid), dims, node.Name, IsPlaceholder: true);
        }
        // Any other tensor: check the dtype its OpDef gives it (TF rejects a feed of another dtype) and the
        // static shape TF recorded for it (as Python's session.run does).
        DataType? dtype = OutputDType(node, r.Index);
        var shapes = node.Attr("_output_shapes")?.List?.Shape;
        long[]? recorded = shapes != null && r.Index < shapes.Count && !shapes[r.Index].UnknownRank
            ? shapes[r.Index].Dim.Select(d => d.Size).ToArray() : null;
        return new FeedBinding(name, r, slot, dtype, recorded, dtype != null || recorded != null ? node.Name : null);
    }

    /// <summary>The dtype of output <paramref name="index"/> from the op catalogue, or null when the op or an
    /// attr it needs is unknown (then only the shape is checked).</summary>
    private static DataType? OutputDType(Node node, int index)
    {
        try
        {
            var types = Building.OpDefCatalog.Default.OutputTypes(node.Def);
            return index < types.Length ? DataTypes.BaseType(types[index]) : null;
        }
        catch (GraphFormatException)
        {
            return null;
        }
    }

    private static List<Node> Prune(Graph graph, TensorRef[] fetches, Node[] targets, HashSet<TensorRef> fed)
    {
        var seen = new HashSet<Node>();
        var stack = new Stack<Node>();
        void Visit(Node n)
        {
            if (seen.Add(n)) stack.Push(n);
        }
        foreach (var f in fetches)
            if (!fed.Contains(f)) Visit(graph.GetNode(f.NodeName));
        foreach (var t in targets) Visit(t);
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            foreach (var input in n.Inputs)
                if (!fed.Contains(input)) Visit(graph.GetNode(input.NodeName));
            foreach (var c in n.ControlInputs) Visit(graph.GetNode(c));
        }
        return seen.OrderBy(n => n.Id).ToList();
    }

    /// <summary>Kahn's algorithm, ties broken by definition order so plans are deterministic.</summary>
    private static List<Node> TopologicalOrder(List<Node> needed, HashSet<TensorRef> fed)
    {
        var inSet = new HashSet<string>(needed.Select(n => n.Name), StringComparer.Ordinal);
        var pending = new Dictionary<string, int>(StringComparer.Ordinal);
        var consumers = new Dictionary<string, List<Node>>(StringComparer.Ordinal);
        foreach (var n in needed)
        {
            var producers = n.Inputs.Where(i => !fed.Contains(i)).Select(i => i.NodeName).Concat(n.ControlInputs).Where(inSet.Contains).ToList();
            pending[n.Name] = producers.Count;
            foreach (var p in producers)
            {
                if (!consumers.TryGetValue(p, out var list)) consumers[p] = list = [];
                list.Add(n);
            }
        }
        var ready = new PriorityQueue<Node, int>();
        foreach (var n in needed)
            if (pending[n.Name] == 0) ready.Enqueue(n, n.Id);
        var order = new List<Node>(needed.Count);
        while (ready.TryDequeue(out var n, out _))
        {
            order.Add(n);
            if (!consumers.TryGetValue(n.Name, out var list)) continue;
            foreach (var c in list)
                if (--pending[c.Name] == 0) ready.Enqueue(c, c.Id);
        }
        if (order.Count != needed.Count)
        {
            var stuck = needed.Where(n => pending[n.Name] > 0).Take(5).Select(n => $"'{n.Name}' ({n.Op})");
            throw new GraphExecutionException("The graph has a cycle that is not a TF while loop, through " + string.Join(", ", stuck) + ".");
        }
        return order;
    }

    internal static string ShapeText(TensorShapeProto? shape)
        => shape == null || shape.UnknownRank ? "<unknown>" : "[" + string.Join(",", shape.Dim.Select(d => d.Size.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]";
}
