namespace TypedGraph.Execution;

/// <summary>
/// The table initializer ops of a graph — what TF1's <c>table_initializer</c> collection holds and
/// <c>tf.tables_initializer()</c> groups: every InitializeTable(V2) / InitializeTableFromTextFile(V2) node.
/// </summary>
internal static class TableInitializers
{
    public static bool IsTableInitializer(string op) => op is "InitializeTable" or "InitializeTableV2" or "InitializeTableFromTextFile" or "InitializeTableFromTextFileV2";

    /// <summary>The initializer op names in graph order.</summary>
    public static List<string> Find(Graph graph) => graph.Nodes.Where(n => IsTableInitializer(n.Op)).Select(n => n.Name).ToList();
}
