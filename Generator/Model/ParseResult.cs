namespace TypedGraph.Generator.Model
{
    /// <summary>The parse step's output: a spec (null when the file could not be used) plus diagnostics.</summary>
    internal sealed record ParseResult(GraphSpec? Spec, EquatableArray<DiagnosticInfo> Diagnostics);
}
