using Google.Protobuf;
using TypedGraph.Building;
using TypedGraph.Formats;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>Options of <see cref="MetaGraphExporter.Export"/>, after <c>tf.train.export_meta_graph</c>.</summary>
public sealed record MetaGraphExportOptions
{
    /// <summary>Remove attrs equal to their OpDef default and set <c>stripped_default_attrs</c>.</summary>
    public bool StripDefaultAttrs { get; init; }

    /// <summary>Drop every node's device.</summary>
    public bool ClearDevices { get; init; }

    /// <summary>Only these collection keys (null = all serializable ones).</summary>
    public IReadOnlyList<string>? CollectionList { get; init; }

    /// <summary>The version written as <c>tensorflow_version</c> (default: the imported graph's, else "1.13.1",
    /// the TF release whose GraphDef producer version (27) the builder writes).</summary>
    public string? TensorFlowVersion { get; init; }
}

/// <summary>
/// Writes a MetaGraphDef the way TF1's <c>export_meta_graph</c> does (tf-formats.md §3.7): the GraphDef, the
/// SaverDef, the collections (VariableDefs in <c>variables</c>/<c>trainable_variables</c>, names in node lists),
/// the <c>while_context</c> / <c>cond_context</c> collections of the TF1 loops and conds the builder made
/// (as TF's <c>while_loop</c> / <c>cond</c> register them), and a MetaInfoDef with <c>stripped_op_list</c> (OpDefs of the ops used, sorted by name), the TF version and
/// optionally stripped default attrs. Nodes carry no <c>_output_shapes</c> (TF's importer does not need them).
/// </summary>
public static class MetaGraphExporter
{
    /// <summary>Builds the MetaGraphDef of <paramref name="builder"/>'s graph.</summary>
    /// <exception cref="GraphFormatException">The graph uses an op with no known OpDef.</exception>
    public static MetaGraphDef Export(GraphBuilder builder, SaverDef? saverDef = null, MetaGraphExportOptions? options = null)
    {
        options ??= new MetaGraphExportOptions();
        var graphDef = builder.Graph.Def.Clone();
        var opNames = graphDef.Node.Select(n => n.Op).Distinct().Order(StringComparer.Ordinal).ToList();
        var opList = new OpList();
        foreach (var op in opNames)
        {
            var def = builder.Catalog.Find(op) ?? throw new GraphFormatException($"Cannot export: op '{op}' has no OpDef in the catalogue (node '{graphDef.Node.First(n => n.Op == op).Name}').");
            var stripped = def.Clone();
            stripped.Summary = "";
            stripped.Description = "";
            foreach (var a in stripped.InputArg.Concat(stripped.OutputArg)) a.Description = "";
            foreach (var a in stripped.Attr) a.Description = "";
            opList.Op.Add(stripped);
        }
        foreach (var node in graphDef.Node)
        {
            if (options.ClearDevices) node.Device = "";
            if (options.StripDefaultAttrs) StripDefaults(node, builder.Catalog.Find(node.Op)!);
        }
        var meta = new MetaGraphDef
        {
            MetaInfoDef = new MetaGraphDef.Types.MetaInfoDef
            {
                StrippedOpList = opList,
                TensorflowVersion = options.TensorFlowVersion ?? builder.ImportedTensorFlowVersion ?? "1.13.1",
                TensorflowGitVersion = "typedgraph",
                StrippedDefaultAttrs = options.StripDefaultAttrs,
            },
            GraphDef = graphDef,
        };
        if (saverDef != null) meta.SaverDef = saverDef.Clone();
        foreach (var (key, def) in builder.Collections.ToCollectionDefs())
            if (options.CollectionList == null || options.CollectionList.Contains(key)) meta.CollectionDef.Add(key, def);
        ControlFlowContextExport.AddCollections(builder, meta, key => options.CollectionList == null || options.CollectionList.Contains(key));
        return meta;
    }

    /// <summary>Exports and writes atomically (<c>&lt;file&gt;.tmp&lt;hex&gt;</c> then rename) to <paramref name="path"/>.</summary>
    public static MetaGraphDef ExportToFile(GraphBuilder builder, string path, SaverDef? saverDef = null, MetaGraphExportOptions? options = null)
    {
        var meta = Export(builder, saverDef, options);
        AtomicFile.WriteAllBytes(path, meta.ToByteArray());
        return meta;
    }

    // As TF's strip_default_attrs: drop an attr whose value equals the OpDef default.
    private static void StripDefaults(NodeDef node, OpDef op)
    {
        foreach (var a in op.Attr)
            if (a.DefaultValue != null && node.Attr.TryGetValue(a.Name, out var v) && v.Equals(a.DefaultValue))
                node.Attr.Remove(a.Name);
    }
}
