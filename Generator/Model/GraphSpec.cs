namespace TypedGraph.Generator.Model
{
    /// <summary>
    /// Everything the emitter needs for one graph file. A value-equatable cache key: no protobuf
    /// messages, symbols or raw arrays (a reflection test enforces this).
    /// </summary>
    /// <param name="ClassName">Generated class name.</param>
    /// <param name="Namespace">Namespace ("" for the global namespace).</param>
    /// <param name="Visibility"><c>public</c> or <c>internal</c>.</param>
    /// <param name="FileName">Graph file name (no directory), for docs and the hint name.</param>
    /// <param name="Format">MetaGraphDef, GraphDef or SavedModel.</param>
    /// <param name="TensorFlowVersion">Writer's TF version ("" when unknown).</param>
    /// <param name="NodeCount">Number of nodes in the graph.</param>
    /// <param name="HasSaver">The file carries a SaverDef (restores run the graph's own restore op).</param>
    /// <param name="Blob">The file content (embedded), compared by hash.</param>
    /// <param name="Members">Top-level members, ordered by identifier.</param>
    /// <param name="FilePath">The graph file's path (diagnostic locations).</param>
    /// <param name="Embedded">The project embeds graph files as resources (the props set TypedGraphEmbedGraphs).</param>
    internal sealed record GraphSpec(
        string ClassName,
        string Namespace,
        string Visibility,
        string FileName,
        string Format,
        string TensorFlowVersion,
        int NodeCount,
        bool HasSaver,
        GraphBlob Blob,
        EquatableArray<MemberSpec> Members,
        string FilePath,
        bool Embedded);
}
