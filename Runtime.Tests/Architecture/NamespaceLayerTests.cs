namespace TypedGraph.Tests.Architecture;

/// <summary>
/// The runtime's folders form the layered order drawn in docs/architecture.md. These tests read the compiled
/// TypedGraph.Runtime.dll (metadata and IL, <see cref="NamespaceDependencies"/>) and fail on any namespace
/// dependency the order does not allow, on a namespace with no place in it, and on any cycle.
/// </summary>
public sealed class NamespaceLayerTests
{
    /// <summary>Each layer and the layers it may use directly; using anything these reach (transitively) is allowed too.
    /// Every namespace under <c>TypedGraph.Kernels</c> (the kernel families) belongs to the Kernels layer.</summary>
    internal static readonly IReadOnlyDictionary<string, string[]> Layers = new Dictionary<string, string[]>
    {
        ["TypedGraph.Protos"] = [],
        ["TypedGraph"] = ["TypedGraph.Protos"],
        ["TypedGraph.Formats"] = ["TypedGraph"],
        ["TypedGraph.Summaries"] = ["TypedGraph.Formats"],
        ["TypedGraph.Building"] = ["TypedGraph"],
        ["TypedGraph.Functions"] = ["TypedGraph.Building"],
        ["TypedGraph.Kernels"] = ["TypedGraph.Functions", "TypedGraph.Summaries"],
        ["TypedGraph.Execution"] = ["TypedGraph.Kernels"],
        ["TypedGraph.Training"] = ["TypedGraph.Execution"],
        ["TypedGraph.Typed"] = ["TypedGraph.Execution"],
        ["TypedGraph.SavedModels"] = ["TypedGraph.Training"],
    };

    private static readonly Lazy<NamespaceDependencies> Runtime = new(() => NamespaceDependencies.Read(typeof(Tensor).Assembly.Location));

    /// <summary>The layer of a namespace of ours: itself if declared, the Kernels layer for a kernel family, else null.</summary>
    private static string? LayerOf(string ns)
        => Layers.ContainsKey(ns) ? ns
        : ns.StartsWith("TypedGraph.Kernels.", StringComparison.Ordinal) ? "TypedGraph.Kernels"
        : null;

    // Namespaces the compiler makes (System.Text.RegularExpressions.Generated for [GeneratedRegex]) are not ours.
    private static bool IsOurs(string ns) => ns == "TypedGraph" || ns.StartsWith("TypedGraph.", StringComparison.Ordinal);

    private static HashSet<string> Reachable(string layer)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var todo = new Stack<string>(Layers[layer]);
        while (todo.Count > 0)
            if (seen.Add(todo.Peek())) foreach (var next in Layers[todo.Pop()]) todo.Push(next);
            else todo.Pop();
        return seen;
    }

    [Fact]
    public void EveryNamespaceDependsOnlyOnLayersBelowItInTheDeclaredOrder()
    {
        var violations = new List<string>();
        foreach (var ((from, to), causes) in Runtime.Value.Edges)
        {
            if (!IsOurs(to)) continue;
            string? fromLayer = LayerOf(from), toLayer = LayerOf(to);
            if (fromLayer == null || toLayer == null || fromLayer == toLayer) continue; // unplaced: the next test
            if (!Reachable(fromLayer).Contains(toLayer))
                violations.Add($"{from} -> {to}: {string.Join("; ", causes.Take(5))}");
        }
        violations.Sort(StringComparer.Ordinal);
        Assert.True(violations.Count == 0, "Dependencies against docs/architecture.md's order:\n" + string.Join("\n", violations));
    }

    [Fact]
    public void EveryRuntimeNamespaceHasAPlaceInTheDeclaredOrder()
    {
        var unplaced = Runtime.Value.Namespaces.Where(IsOurs).Where(ns => LayerOf(ns) == null).Order(StringComparer.Ordinal).ToList();
        Assert.True(unplaced.Count == 0, "Namespaces missing from NamespaceLayerTests.Layers and docs/architecture.md: " + string.Join(", ", unplaced));
    }

    [Fact]
    public void TheDeclaredOrderIsAcyclicAndNamesOnlyDeclaredLayers()
    {
        foreach (var (layer, below) in Layers)
        {
            Assert.All(below, b => Assert.True(Layers.ContainsKey(b), $"{layer} names undeclared layer {b}"));
            Assert.DoesNotContain(layer, Reachable(layer));
        }
    }

    [Fact]
    public void TheLayersOfTheCompiledRuntimeHaveNoDependencyCycle()
    {
        var cycles = Runtime.Value.Cycles(ns => LayerOf(ns) ?? ns);
        Assert.True(cycles.Count == 0, "Layer cycles: " + string.Join(" | ", cycles.Select(c => string.Join(" <-> ", c))));
    }

    [Fact]
    public void TheKernelFamiliesDependOnEachOtherWithoutCycles()
    {
        // TypedGraph.Kernels itself (registry, OpKernel) is used by every family and lists them all, so it is left out.
        var families = new NamespaceGraph(Runtime.Value.Edges.Keys
            .Where(e => e.From.StartsWith("TypedGraph.Kernels.", StringComparison.Ordinal) && e.To.StartsWith("TypedGraph.Kernels.", StringComparison.Ordinal)));
        var cycles = families.Cycles(ns => ns);
        Assert.True(cycles.Count == 0, "Kernel family cycles: " + string.Join(" | ", cycles.Select(c => string.Join(" <-> ", c))));
    }

    [Fact]
    public void TheScannerFindsDependenciesFromSignaturesAndFromMethodBodies()
    {
        var edges = Runtime.Value.Edges;
        // A field type: the session keeps its variables in a SessionState.
        Assert.Contains("TypedGraph.Execution.Session -> TypedGraph.Kernels.SessionState", edges[("TypedGraph.Execution", "TypedGraph.Kernels")]);
        // Only inside a method body: the function runner reads the process-wide registry to tell unsupported ops apart.
        Assert.Contains("TypedGraph.Kernels.Exec.FunctionRunner -> TypedGraph.Kernels.KernelRegistry", edges[("TypedGraph.Kernels.Exec", "TypedGraph.Kernels")]);
        // And the cycle finder reports a cycle when there is one: add the reverse of a real edge.
        var withBackEdge = new NamespaceGraph(edges.Keys.Append(("TypedGraph.Kernels", "TypedGraph.Execution")));
        Assert.Contains(withBackEdge.Cycles(ns => LayerOf(ns) ?? ns), c => c.Contains("TypedGraph.Execution") && c.Contains("TypedGraph.Kernels"));
    }
}
