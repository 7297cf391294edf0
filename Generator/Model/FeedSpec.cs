namespace TypedGraph.Generator.Model
{
    /// <summary>One placeholder a fetch depends on: it becomes a parameter of the typed <c>Run</c>.</summary>
    /// <param name="ParameterName">camelCase C# parameter name (already escaped with <c>@</c> if needed).</param>
    /// <param name="TensorName">TF tensor name, e.g. <c>w1:0</c>.</param>
    /// <param name="Type">Element type and shape of the placeholder.</param>
    /// <param name="Optional">A <c>PlaceholderWithDefault</c>: the parameter may be left out.</param>
    internal sealed record FeedSpec(string ParameterName, string TensorName, TensorTypeSpec Type, bool Optional);
}
