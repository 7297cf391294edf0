using System;
using System.Collections.Generic;
using TypedGraph.Protos;

namespace TypedGraph.Functions;

/// <summary>
/// The op types a graph can run, including those reached through its FunctionDefLibrary: a TF 2.x graph keeps
/// almost all of its work in function bodies, called by <c>PartitionedCall</c>/<c>StatefulPartitionedCall</c>
/// (<c>f</c>), <c>While</c>/<c>StatelessWhile</c> (<c>cond</c>, <c>body</c>), <c>If</c>/<c>StatelessIf</c>
/// (<c>then_branch</c>, <c>else_branch</c>), <c>Case</c> (<c>branches</c>) or by a node whose op is a library
/// function. Every func-valued attr (single or list) is followed, recursively, each function once.
/// </summary>
/// <remarks>
/// One source for two assemblies: the runtime compiles it and the source generator (netstandard2.0) links it
/// (Generator.csproj), so <c>inspect</c>, <c>Session.UnsupportedOps</c> and the generator's diagnostic agree.
/// </remarks>
internal static class ReachableOps
{
    /// <summary>One node that uses an op type; <c>Function</c> is null for a top-level node.</summary>
    internal readonly struct Use
    {
        public Use(string opType, string nodeName, string? function)
        {
            OpType = opType;
            NodeName = nodeName;
            Function = function;
        }

        public string OpType { get; }
        public string NodeName { get; }
        public string? Function { get; }
    }

    /// <summary>
    /// For each op type without a kernel (per <paramref name="isSupported"/>) used by a node of
    /// <paramref name="graph"/> or of a function reachable from it, the first such node: top-level nodes first,
    /// then functions in the order they are reached. Sorted by op type (ordinal).
    /// </summary>
    public static List<Use> Unsupported(GraphDef graph, Func<string, bool> isSupported)
        => Unsupported(graph.Node, graph.Library, isSupported);

    /// <summary>As <see cref="Unsupported(GraphDef, Func{string, bool})"/> for a subset of the top-level nodes (a run's pruned set).</summary>
    public static List<Use> Unsupported(IEnumerable<NodeDef> roots, FunctionDefLibrary? library, Func<string, bool> isSupported)
    {
        var first = new SortedDictionary<string, Use>(StringComparer.Ordinal);
        foreach (var use in Walk(roots, library))
            if (!first.ContainsKey(use.OpType) && !isSupported(use.OpType)) first.Add(use.OpType, use);
        return new List<Use>(first.Values);
    }

    /// <summary>
    /// Every node of <paramref name="roots"/> and of each function reachable from them (breadth first, each
    /// function once). A node whose op is a library function is reported with that op too; callers decide
    /// whether such a call is supported.
    /// </summary>
    public static IEnumerable<Use> Walk(IEnumerable<NodeDef> roots, FunctionDefLibrary? library)
    {
        var functions = new Dictionary<string, FunctionDef>(StringComparer.Ordinal);
        if (library != null)
            foreach (var f in library.Function)
                if (f.Signature != null && !functions.ContainsKey(f.Signature.Name)) functions.Add(f.Signature.Name, f);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var queue = new Queue<string>();

        void Follow(NodeDef node)
        {
            if (functions.ContainsKey(node.Op) && seen.Add(node.Op)) queue.Enqueue(node.Op);
            foreach (var name in CalledFunctions(node))
                if (functions.ContainsKey(name) && seen.Add(name)) queue.Enqueue(name);
        }

        foreach (var node in roots)
        {
            yield return new Use(node.Op, node.Name, null);
            Follow(node);
        }
        while (queue.Count > 0)
        {
            var name = queue.Dequeue();
            foreach (var node in functions[name].NodeDef)
            {
                yield return new Use(node.Op, node.Name, name);
                Follow(node);
            }
        }
    }

    /// <summary>The function names in a node's func-valued attrs (<c>f</c>, <c>body</c>, <c>branches</c>…), in attr-name order.</summary>
    public static List<string> CalledFunctions(NodeDef node)
    {
        var names = new List<string>();
        var keys = new List<string>(node.Attr.Keys);
        keys.Sort(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            var v = node.Attr[key];
            if (v.ValueCase == AttrValue.ValueOneofCase.Func) names.Add(v.Func.Name);
            else if (v.ValueCase == AttrValue.ValueOneofCase.List)
                foreach (var f in v.List.Func) names.Add(f.Name);
        }
        return names;
    }
}
