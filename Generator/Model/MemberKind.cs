namespace TypedGraph.Generator.Model
{
    /// <summary>What a generated member stands for.</summary>
    internal enum MemberKind
    {
        /// <summary>A name scope with no node of its own (only children).</summary>
        Scope,
        /// <summary>An output tensor of a node.</summary>
        Tensor,
        /// <summary>A node without outputs (NoOp, SaveV2…): run as a target.</summary>
        Operation,
    }
}
