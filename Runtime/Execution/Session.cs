using System.Collections.Concurrent;
using TypedGraph.Kernels;

namespace TypedGraph.Execution;

/// <summary>
/// Runs a TF graph, in TF1's <c>Session.run</c> meaning: fetch any tensor, feed any tensor (a fed tensor
/// cuts off its producers), run target ops for their side effects. Each distinct (fetches, feeds, targets)
/// request is pruned, ordered and prepared once and cached; a run only walks the cached plan.
/// </summary>
/// <remarks>
/// Thread-safe: any number of threads may call <see cref="Run(IReadOnlyList{string}, IReadOnlyDictionary{string, Tensor}?, IReadOnlyList{string}?)"/>
/// at once; each run gets its own pooled value table and buffers. Variables live in <see cref="State"/> and
/// are shared by all runs, as in TF.
/// </remarks>
public sealed partial class Session : IDisposable, IGraphRunner
{
    private readonly ConcurrentDictionary<Node, OpKernel> _kernels = new();
    private readonly PlanCache _plans;
    private volatile bool _disposed;

    /// <summary>Creates a session over <paramref name="graph"/> (the graph may grow later; plans cover the nodes they saw).</summary>
    public Session(Graph graph, SessionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        Graph = graph;
        Options = options ?? new SessionOptions();
        _plans = new PlanCache(Options.PlanCacheCapacity);
        State = new SessionState { GraphSeed = Options.GraphSeed };
        State.Resource(Kernels.Exec.FunctionCallKernels.GraphResourceKey, () => graph); // function-call kernels find the library here
        // ... and run a function body in an inner session made here: kernels sit below Execution and never create one.
        State.Resource<Func<Graph, IGraphRunner>>(Kernels.Exec.FunctionCallKernels.GraphRunnerFactoryKey,
            () => body => new Session(body, new SessionOptions { PrintOutput = Options.PrintOutput, FuseKernels = Options.FuseKernels, OptimizeDependencies = Options.OptimizeDependencies }));
        State.Resource(Kernels.Logging.PrintOutput.ResourceKey, () => Options.PrintOutput); // print kernels write here
    }

    /// <summary>The graph being run.</summary>
    public Graph Graph { get; }

    /// <summary>Variables and other per-session resources.</summary>
    public SessionState State { get; }

    /// <summary>The options this session was created with.</summary>
    public SessionOptions Options { get; }

    /// <summary>Runs the graph.</summary>
    /// <param name="fetches">Tensor names (<c>"n:0"</c> or <c>"n"</c>) to return, in order.</param>
    /// <param name="feeds">Values for any tensors (placeholders or not), keyed like fetches.</param>
    /// <param name="targets">Op names to run for their side effects (nothing is returned for them).</param>
    /// <returns>One tensor per fetch, owned by the caller (dispose to return pooled memory; never reused by the session).</returns>
    /// <exception cref="GraphExecutionException">An unknown name (close names are listed), a missing or
    /// ill-typed feed, an uninitialized variable, a kernel error; the message names the node.</exception>
    /// <exception cref="UnsupportedOpException">A node needed by the request has no kernel.</exception>
    public Tensor[] Run(IReadOnlyList<string> fetches, IReadOnlyDictionary<string, Tensor>? feeds = null, IReadOnlyList<string>? targets = null)
    {
        ArgumentNullException.ThrowIfNull(fetches);
        var plan = FindPlan(fetches, feeds, targets)
            ?? GetPlan(fetches.ToArray(), feeds?.Keys.ToArray() ?? [], targets?.ToArray() ?? []);
        var results = fetches.Count == 0 ? [] : new Tensor[fetches.Count];
        var frame = plan.RentFrame(State);
        try
        {
            for (int i = 0; i < plan.Feeds.Length; i++)
            {
                var b = plan.Feeds[i];
                BindFeed(b, frame, feeds![b.Name]);
            }
            Execute(plan, frame, results);
        }
        finally
        {
            frame.Clear();
            plan.ReturnFrame(frame);
        }
        return results;
    }

    /// <summary>Runs the graph for one fetch with named feeds: <c>session.Run("O:0", ("X:0", x))</c>.</summary>
    /// <returns>The fetched tensor, owned by the caller.</returns>
    /// <exception cref="GraphExecutionException">See <see cref="Run(IReadOnlyList{string}, IReadOnlyDictionary{string, Tensor}?, IReadOnlyList{string}?)"/>.</exception>
    public Tensor Run(string fetch, params (string Name, Tensor Value)[] feeds)
    {
        var dict = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, value) in feeds)
            if (!dict.TryAdd(name, value)) throw new GraphExecutionException($"'{name}' is fed twice.");
        return Run([fetch], dict)[0];
    }

    /// <summary>Runs ops for their side effects (e.g. <c>"init"</c>, <c>"train"</c>).</summary>
    /// <exception cref="GraphExecutionException">See <see cref="Run(IReadOnlyList{string}, IReadOnlyDictionary{string, Tensor}?, IReadOnlyList{string}?)"/>.</exception>
    public void RunTargets(params string[] targets) => Run([], null, targets);

    /// <summary>
    /// Prepares a request once for repeated, allocation-free runs (TF's <c>make_callable</c>): feeds are then
    /// passed by position, in <paramref name="feedNames"/> order.
    /// </summary>
    /// <exception cref="GraphExecutionException">Unknown names or an unfed placeholder.</exception>
    public PreparedRun Prepare(string[] fetches, string[] feedNames, string[]? targets = null)
    {
        ArgumentNullException.ThrowIfNull(fetches);
        ArgumentNullException.ThrowIfNull(feedNames);
        var plan = GetPlan(fetches, feedNames, targets ?? []);
        return new PreparedRun(this, plan, feedNames);
    }

    /// <summary>
    /// Runs every variable's initializer in one run, like <c>sess.run(tf.global_variables_initializer())</c>:
    /// for each <c>VariableV2</c>/<c>Variable</c>/<c>VarHandleOp</c> node <c>v</c>, the op <c>v/Assign</c>
    /// (TF's naming), or the single Assign/AssignVariableOp outside a saver scope that writes <c>v</c>; and every
    /// lookup-table initializer (<c>tf.tables_initializer()</c>: InitializeTable / InitializeTableFromTextFile).
    /// </summary>
    /// <exception cref="GraphExecutionException">An initializer failed.</exception>
    public void Initialize()
    {
        var targets = VariableInitializers.Find(Graph);
        targets.AddRange(TableInitializers.Find(Graph));
        if (targets.Count > 0) RunTargets([.. targets]);
    }

    /// <summary>Op types with no kernel in this session's registry, used by the graph or by any function its nodes
    /// call (recursively), each with the first node that needs it; sorted by op type.</summary>
    public IReadOnlyList<UnsupportedOp> UnsupportedOps => Options.Registry.FindUnsupported(Graph);

    /// <summary>Drops cached plans and kernels. Variables in <see cref="State"/> are released with the session.</summary>
    public void Dispose()
    {
        _disposed = true;
        _plans.Clear();
        _kernels.Clear();
    }

    /// <summary>The prepared kernel of <paramref name="node"/>: created once per session for a graph node, once per plan for a
    /// node the plan made (a fused chain).</summary>
    /// <exception cref="UnsupportedOpException">No kernel for the node's op.</exception>
    internal OpKernel KernelFor(Node node)
    {
        if (_kernels.TryGetValue(node, out var k)) return k;
        var factory = Options.Registry.Find(node.Op)
            ?? (IsLibraryFunction(node.Op) ? Kernels.Exec.FunctionCallKernels.DirectCall : (KernelFactory?)null)
            ?? throw new UnsupportedOpException(node.Name, node.Op);
        try
        {
            k = factory(node);
        }
        catch (TypedGraphException)
        {
            throw;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException or NotSupportedException or OverflowException)
        {
            throw new GraphExecutionException($"{node.Op} node '{node.Name}': cannot prepare its kernel: {e.Message}", node.Name, e);
        }
        // A node the plan made (a fused chain, PlanFusion) is not the graph's: its kernel lives with the plan that holds it
        // (PlanStep, the loop executor's kernel array) and goes with it when the bounded plan cache evicts the plan.
        // Caching it here would keep every evicted plan's fused kernels (and their packed weights) for the session's life.
        if (!ReferenceEquals(Graph.FindNode(node.Name), node)) return k;
        return _kernels.GetOrAdd(node, k);
    }

    /// <summary>For tests: kernels cached for graph nodes.</summary>
    internal int CachedKernelCount => _kernels.Count;

    // A node whose op is a function of the graph's library calls that function (TF's function-call-by-op-name).
    private bool IsLibraryFunction(string op) => Graph.Def.Library?.Function.Any(f => f.Signature?.Name == op) == true;

    internal ExecutionPlan GetPlan(string[] fetches, string[] feedNames, string[] targets)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _plans.GetOrAdd(fetches, feedNames, targets, () => ExecutionPlan.Build(this, fetches, feedNames, targets));
    }

    private ExecutionPlan? FindPlan(IReadOnlyList<string> fetches, IReadOnlyDictionary<string, Tensor>? feeds, IReadOnlyList<string>? targets)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _plans.Find(fetches, feeds, targets);
    }

    /// <summary>Plans cached now (at most <see cref="SessionOptions.PlanCacheCapacity"/>).</summary>
    internal int CachedPlanCount => _plans.Count;

    /// <summary>Checks a fed value against what the graph declares and puts it in its slot.</summary>
    internal static void BindFeed(FeedBinding b, RunFrame frame, Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value, b.Name);
        if (b.DeclaredType is { } dt && dt != Protos.DataType.DtInvalid && value.DType != DataTypes.BaseType(dt))
            throw new GraphExecutionException(
                $"Cannot feed a {DataTypes.Name(value.DType)} value to '{b.Name}': {(b.IsPlaceholder ? "placeholder" : "tensor of node")} '{b.PlaceholderName}' has dtype {DataTypes.Name(dt)}.", b.PlaceholderName);
        if (b.DeclaredShape is { } dims && !ShapeFits(dims, value.Shape))
            throw new GraphExecutionException(
                $"Cannot feed a value of shape {value.Shape} to '{b.Name}': {(b.IsPlaceholder ? "placeholder" : "node")} '{b.PlaceholderName}' has shape [{string.Join(",", dims)}].", b.PlaceholderName);
        frame.Values[b.Slot] = value;
    }

    private static bool ShapeFits(long[] declared, TensorShape actual)
    {
        if (declared.Length != actual.Rank) return false;
        for (int i = 0; i < declared.Length; i++)
            if (declared[i] >= 0 && declared[i] != actual[i]) return false;
        return true;
    }

    /// <summary>Runs a plan whose feeds are bound and hands the fetched values to the caller.</summary>
    internal void Execute(ExecutionPlan plan, RunFrame frame, Span<Tensor> results)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (plan.Loop != null) plan.Loop.Run(plan, frame);
        else
        {
            // A top-level run copies out what it fetches, so it can account for the variable values it reads.
            frame.Leasing = plan.AllowsVariableLeases;
            StaticExecutor.Run(plan, frame);
        }
        for (int j = 0; j < plan.FetchSlots.Length; j++)
            results[j] = TakeOwnership(frame, FetchedValue(plan, frame, j), results[..j]);
    }

    /// <summary>
    /// Runs a plan whose feeds are bound and copies each fetched value into the caller's tensor in
    /// <paramref name="outputs"/> (ONNX Runtime's IoBinding idea): nothing is handed over, so pooled buffers
    /// go back to the pool and a steady run allocates nothing.
    /// </summary>
    internal void ExecuteInto(ExecutionPlan plan, RunFrame frame, ReadOnlySpan<Tensor> outputs)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (plan.Loop != null) plan.Loop.Run(plan, frame);
        else
        {
            // A top-level run copies out what it fetches, so it can account for the variable values it reads.
            frame.Leasing = plan.AllowsVariableLeases;
            StaticExecutor.Run(plan, frame);
        }
        for (int j = 0; j < plan.FetchSlots.Length; j++)
        {
            var v = FetchedValue(plan, frame, j);
            var o = outputs[j];
            if (o.DType != v.DType || o.Shape != v.Shape)
                throw new GraphExecutionException(
                    $"Fetch '{plan.FetchNames[j]}' is a {DataTypes.Name(v.DType)}{v.Shape} value; the output bound for it is {DataTypes.Name(o.DType)}{o.Shape}.",
                    plan.FetchRefs[j].NodeName);
            if (ReferenceEquals(o, v)) continue;
            if (v.DType == Protos.DataType.DtString) v.Strings.CopyTo(o.Strings, 0);
            else v.Bytes.CopyTo(o.Bytes);
        }
    }

    private static Tensor FetchedValue(ExecutionPlan plan, RunFrame frame, int j)
    {
        int slot = plan.FetchSlots[j];
        var name = plan.FetchNames[j];
        if (frame.Dead[slot])
            throw new GraphExecutionException($"Fetch '{name}' has no value: it lies on a branch of a tf.cond that was not taken (dead tensor).", plan.FetchRefs[j].NodeName);
        var r = frame.Refs[slot];
        return r != null ? r.GetValue(plan.FetchRefs[j].NodeName) : frame.Values[slot]
            ?? throw new GraphExecutionException(plan.Loop != null
                ? $"Fetch '{name}' has no value: node '{plan.FetchRefs[j].NodeName}' has no output {plan.FetchRefs[j].Index}, or it runs inside a while loop (fetch the loop's Exit instead)."
                : $"Fetch '{name}': node '{plan.FetchRefs[j].NodeName}' has no output {plan.FetchRefs[j].Index}.", plan.FetchRefs[j].NodeName);
    }

    /// <summary>Pooled tensors are detached (the caller keeps the buffer); anything shared (constants,
    /// variables, feeds) is copied so later runs cannot change what the caller holds.</summary>
    private static Tensor TakeOwnership(RunFrame frame, Tensor v, Span<Tensor> earlier)
    {
        foreach (var e in earlier)
            if (ReferenceEquals(e, v)) return v;
        return frame.Pool.Detach(v) ? v : v.Clone();
    }
}
