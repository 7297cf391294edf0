namespace TypedGraph;

/// <summary>An op type the runtime has no kernel for, and one node that needs it.</summary>
/// <param name="OpType">The op type, e.g. <c>TensorListReserve</c>.</param>
/// <param name="NodeName">A node of that op (the first one found).</param>
/// <param name="Function">The FunctionDefLibrary function holding the node, or null for a node of the graph itself.</param>
public sealed record UnsupportedOp(string OpType, string NodeName, string? Function)
{
    /// <summary><c>'X' (node 'n')</c> or <c>'X' (node 'n' in function 'f')</c>.</summary>
    public override string ToString()
        => $"'{OpType}' (node '{NodeName}'" + (Function == null ? ")" : $" in function '{Function}')");
}
