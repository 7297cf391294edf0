using TypedGraph.Protos;

namespace TypedGraph;

/// <summary>A node that calls a function of the graph's FunctionDefLibrary.</summary>
/// <param name="NodeName">The calling node.</param>
/// <param name="OpType">Its op, e.g. <c>StatefulPartitionedCall</c>, <c>If</c>, or a library function's own name.</param>
/// <param name="Functions">The functions it calls (attrs <c>f</c>, <c>then_branch</c>, <c>body</c>, … in attr-name order).</param>
public sealed record FunctionCall(string NodeName, string OpType, IReadOnlyList<string> Functions);

/// <summary>
/// Finds the TF 2.x-style function calls in a graph (<c>tf.function</c> → <c>PartitionedCall</c> /
/// <c>StatefulPartitionedCall</c>, control flow v2 → <c>If</c>/<c>While</c>/<c>Case</c>, or a node whose op is a
/// library function). The session runs them (FunctionCallKernels, FunctionalControlFlowKernels); reports list
/// these nodes by name, and <see cref="Kernels.KernelRegistry.FindUnsupported(Graph)"/> follows them into the bodies.
/// </summary>
public static class FunctionCalls
{
    /// <summary>Op types that call functions through a func-valued attr.</summary>
    public static readonly IReadOnlySet<string> CallOps = new HashSet<string>(StringComparer.Ordinal)
    {
        "PartitionedCall", "StatefulPartitionedCall", "If", "StatelessIf", "While", "StatelessWhile", "Case", "StatelessCase",
        "SymbolicGradient", "RemoteCall",
    };

    /// <summary>The names of the functions in the graph's library (from each FunctionDef's signature).</summary>
    public static IReadOnlyList<string> LibraryFunctions(Graph graph)
        => graph.Def.Library?.Function.Select(f => f.Signature?.Name ?? "").Where(n => n.Length > 0).ToList() ?? [];

    /// <summary>Every node that calls a function, in graph order.</summary>
    public static IReadOnlyList<FunctionCall> Find(Graph graph)
    {
        var library = LibraryFunctions(graph).ToHashSet(StringComparer.Ordinal);
        var calls = new List<FunctionCall>();
        foreach (var node in graph.Nodes)
        {
            bool isCall = CallOps.Contains(node.Op) || library.Contains(node.Op);
            var functions = node.Def.Attr.OrderBy(kv => kv.Key, StringComparer.Ordinal)
                .SelectMany(kv => kv.Value.ValueCase switch
                {
                    AttrValue.ValueOneofCase.Func => [kv.Value.Func.Name],
                    AttrValue.ValueOneofCase.List => kv.Value.List.Func.Select(f => f.Name),
                    _ => [],
                })
                .ToList();
            if (library.Contains(node.Op)) functions.Insert(0, node.Op);
            if (isCall || functions.Count > 0) calls.Add(new FunctionCall(node.Name, node.Op, functions));
        }
        return calls;
    }
}
