namespace TypedGraph.Kernels;

/// <summary>
/// Op type → kernel factory. The session, <c>typedgraph inspect</c> and the generator's unsupported-op
/// diagnostic all ask the same registry, so "supported" means one thing everywhere.
/// </summary>
public sealed partial class KernelRegistry
{
    private static readonly Lazy<KernelRegistry> s_default = new(CreateDefault);
    private readonly Dictionary<string, KernelFactory> _factories = new(StringComparer.Ordinal);

    /// <summary>The registry of every kernel shipped in TypedGraph.Runtime.</summary>
    public static KernelRegistry Default => s_default.Value;

    /// <summary>Registers <paramref name="factory"/> for <paramref name="opType"/>.</summary>
    /// <exception cref="InvalidOperationException">The op type is already registered.</exception>
    public void Add(string opType, KernelFactory factory)
    {
        if (!_factories.TryAdd(opType, factory))
            throw new InvalidOperationException($"A kernel for op '{opType}' is already registered.");
    }

    /// <summary>Registers the same factory for several op types.</summary>
    public void Add(IEnumerable<string> opTypes, KernelFactory factory)
    {
        foreach (var op in opTypes) Add(op, factory);
    }

    /// <summary>The factory for <paramref name="opType"/>, or null.</summary>
    public KernelFactory? Find(string opType) => _factories.GetValueOrDefault(opType);

    /// <summary>True when the op type has a kernel.</summary>
    public bool IsSupported(string opType) => _factories.ContainsKey(opType);

    /// <summary>Every registered op type, sorted ordinally.</summary>
    public IReadOnlyList<string> OpTypes => _factories.Keys.Order(StringComparer.Ordinal).ToList();

    /// <summary>The op types of <paramref name="graph"/> with no kernel, sorted, each once — including the ops of
    /// every function reachable from the graph's nodes (see <see cref="FindUnsupported(Graph)"/>).</summary>
    public IReadOnlyList<string> UnsupportedOps(Graph graph) => FindUnsupported(graph).Select(u => u.OpType).ToList();

    /// <summary>
    /// Each op type with no kernel used by <paramref name="graph"/>'s nodes or by a node of any function they reach
    /// (func-valued attrs of call, While, If and Case ops, recursively), with the first node that uses it; sorted by
    /// op type. A node whose op is a library function counts as supported (the session calls the function).
    /// </summary>
    public IReadOnlyList<UnsupportedOp> FindUnsupported(Graph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return FindUnsupported(graph.Def.Node, graph.Def.Library);
    }

    /// <summary>As <see cref="FindUnsupported(Graph)"/> for some top-level nodes (a run's pruned node set).</summary>
    internal IReadOnlyList<UnsupportedOp> FindUnsupported(IEnumerable<Protos.NodeDef> nodes, Protos.FunctionDefLibrary? library)
    {
        var functions = library?.Function.Select(f => f.Signature?.Name ?? "").ToHashSet(StringComparer.Ordinal) ?? [];
        return Functions.ReachableOps.Unsupported(nodes, library, op => IsSupported(op) || functions.Contains(op))
            .Select(u => new UnsupportedOp(u.OpType, u.NodeName, u.Function)).ToList();
    }

    // The kernel families come from CreateKernelSets(), written at build time by tools/KernelSetGenerator
    // (every concrete KernelSet in this assembly, sorted by type name): no reflection, so trimming and
    // NativeAOT keep every kernel. Add throws on a duplicate op type, so two families claiming one op fail here.
    private static KernelRegistry CreateDefault()
    {
        var registry = new KernelRegistry();
        foreach (var set in CreateKernelSets()) set.Register(registry);
        return registry;
    }
}
