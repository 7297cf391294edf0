namespace TypedGraph.Generator.Model
{
    /// <summary>Documentation facts about a node, shown in IntelliSense.</summary>
    /// <param name="Name">Node name.</param>
    /// <param name="OpType">Op type, e.g. <c>MatMul</c>.</param>
    /// <param name="Device">Requested device ("" when none).</param>
    /// <param name="Inputs">Data and control inputs as written in the NodeDef.</param>
    /// <param name="OutputCount">Number of outputs.</param>
    /// <param name="IsPlaceholder">A Placeholder / PlaceholderWithDefault (feedable).</param>
    /// <param name="IsVariable">A variable (VariableV2, VarHandleOp…).</param>
    internal sealed record NodeInfo(string Name, string OpType, string Device, EquatableArray<string> Inputs,
        int OutputCount, bool IsPlaceholder, bool IsVariable);
}
