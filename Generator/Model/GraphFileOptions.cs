namespace TypedGraph.Generator.Model
{
    /// <summary>Per-file settings from the AdditionalFiles item metadata (all already defaulted).</summary>
    /// <param name="ClassName">Class name (metadata <c>ClassName</c>, else derived from the file name).</param>
    /// <param name="Namespace">Namespace (metadata <c>Namespace</c>, else the project's root namespace).</param>
    /// <param name="Visibility">Metadata <c>Visibility</c>: <c>public</c> or <c>internal</c> (default).</param>
    /// <param name="Include">Metadata <c>IncludeNodes</c>: <c>;</c>-separated name globs; when set only matching nodes get members and the default hiding is off.</param>
    /// <param name="Exclude">Metadata <c>ExcludeNodes</c>: <c>;</c>-separated name globs hidden in addition.</param>
    /// <param name="Embedded">The project embeds graphs as resources (build property <c>TypedGraphEmbedGraphs</c>).</param>
    /// <param name="OptedOut">Metadata <c>TypedGraph="false"</c>: not a graph, skip it.</param>
    internal sealed record GraphFileOptions(string ClassName, string Namespace, string Visibility, string Include, string Exclude,
        bool Embedded = true, bool OptedOut = false);
}
