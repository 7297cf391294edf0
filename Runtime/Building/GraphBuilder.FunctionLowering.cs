using TypedGraph.Protos;

namespace TypedGraph.Building;

// The builder's side of lowering TF2 functional ops in place (Training.FunctionalLowering does the rewriting): new
// nodes added at once, their control-flow contexts recorded, the functional node replaced by its IdentityN.
public sealed partial class GraphBuilder
{
    private readonly Dictionary<string, (string Node, string Function, string Caller)> _loweredOrigins = new(StringComparer.Ordinal);

    /// <summary>Adds <paramref name="nodes"/> (checked before anything is added), records each one's context
    /// (<paramref name="contextOf"/>) and origin, and replaces the node named like <paramref name="replacement"/> by it.</summary>
    internal void ApplyLowering(IReadOnlyList<NodeDef> nodes, NodeDef replacement, Func<string, ControlFlowContext?> contextOf,
        IEnumerable<(string Name, string Node, string Function, string Caller)> origins)
    {
        Graph.AddNodes(nodes);
        foreach (var n in nodes)
        {
            _namer.MarkExisting(n.Name);
            if (contextOf(n.Name) is { } ctx) _nodeContexts[n.Name] = ctx;
        }
        foreach (var (name, node, function, caller) in origins) _loweredOrigins[name] = (node, function, caller);
        _outputTypes.Remove(replacement.Name);
        Graph.ReplaceNode(replacement);
    }

    /// <summary>Where an inlined node came from (body node, function, caller), or null for any other node.</summary>
    internal (string Node, string Function, string Caller)? OriginOf(string nodeName)
        => _loweredOrigins.TryGetValue(nodeName, out var o) ? o : null;

    // The functional ops have no OpDef in the catalogue: their output types are their T (While) or Tout list.
    private static DataType[]? FunctionalOutputTypes(Node node)
    {
        string? attr = node.Op switch
        {
            "While" or "StatelessWhile" => "T",
            "If" or "StatelessIf" or "Case" or "StatelessCase" or "PartitionedCall" or "StatefulPartitionedCall" => "Tout",
            _ => null,
        };
        return attr != null && node.Attr(attr) is { ValueCase: AttrValue.ValueOneofCase.List } a ? a.List.Type.ToArray() : null;
    }
}
