namespace TypedGraph;

/// <summary>
/// What a GraphDef's producer version changes in how its nodes read. A GraphDef without a <c>versions</c> field
/// (TF before 1.0 wrote none) reads as producer 0, as TF's importer reads the proto default.
/// </summary>
internal static class GraphVersions
{
    /// <summary>The first producer whose Placeholder <c>shape {}</c> means a scalar (TF's versions.h, version 22:
    /// "Placeholder now can specify and enforce scalar and partial shapes").</summary>
    public const int ScalarPlaceholderShapes = 22;

    /// <summary>The graph's producer: <c>versions.producer</c>, 0 when the field is absent.</summary>
    public static int Producer(Graph graph) => graph.Def.Versions?.Producer ?? 0;

    /// <summary>
    /// True when a Placeholder's empty shape attr means "any shape" rather than "scalar": TF's Placeholder shape
    /// function (array_ops.cc) returns an unknown shape when <c>graph_def_version() &lt;= 21</c> and the shape attr
    /// has no dims, and TF's constant_op_test feeds a vector to such a placeholder from a producer-21 graph.
    /// </summary>
    public static bool EmptyPlaceholderShapeIsUnknown(Graph graph) => Producer(graph) < ScalarPlaceholderShapes;
}
