using TypedGraph.Protos;

namespace TypedGraph.Building;

// import_meta_graph: nodes, op definitions, collections and the SaverDef of a MetaGraphDef.
public sealed partial class GraphBuilder
{
    /// <summary>The TF version recorded by the last imported MetaGraphDef, if any.</summary>
    public string? ImportedTensorFlowVersion { get; private set; }

    /// <summary>
    /// A builder over the graph of <paramref name="meta"/> (like <c>tf.train.import_meta_graph</c> into an
    /// empty graph): nodes kept as written, the .meta's op list joined to the catalogue, collections read
    /// (VariableDefs become <see cref="T:TypedGraph.Building.Variable"/>s), and TF1 while/cond contexts rebuilt
    /// from the <c>while_context</c>/<c>cond_context</c> collections so gradients can go through imported loops.
    /// </summary>
    /// <param name="meta">The MetaGraphDef (not modified; its GraphDef is copied).</param>
    /// <param name="clearDevices">Drop every node's device, as <c>clear_devices=True</c>.</param>
    /// <exception cref="GraphFormatException">The graph or a collection is inconsistent.</exception>
    public static GraphBuilder FromMetaGraph(MetaGraphDef meta, bool clearDevices = false)
    {
        var def = meta.GraphDef?.Clone() ?? new GraphDef();
        if (clearDevices) foreach (var n in def.Node) n.Device = "";
        var b = new GraphBuilder(new Graph(def), OpDefCatalog.Default.With(meta.MetaInfoDef?.StrippedOpList?.Op ?? []));
        b.ImportedTensorFlowVersion = meta.MetaInfoDef?.TensorflowVersion;
        b.Collections.Import(meta, b, "");
        b.ImportControlFlowContexts(meta, "");
        return b;
    }

    /// <summary>
    /// Appends the graph of <paramref name="meta"/> under <paramref name="importScope"/> (every node name,
    /// input, control input and <c>loc:@</c> colocation prefixed by <c>importScope/</c>), like
    /// <c>import_meta_graph(..., import_scope=...)</c>. Returns the SaverDef with names prefixed too.
    /// </summary>
    /// <exception cref="GraphFormatException">A name collides, or a cycle (while loop) prevents appending to a non-empty graph.</exception>
    public SaverDef? Import(MetaGraphDef meta, string importScope = "", bool clearDevices = false)
    {
        var prefix = importScope.Length == 0 ? "" : UniqueName(importScope) + "/";
        Catalog = Catalog.With(meta.MetaInfoDef?.StrippedOpList?.Op ?? []);
        ImportedTensorFlowVersion ??= meta.MetaInfoDef?.TensorflowVersion;
        var nodes = meta.GraphDef?.Node.Select(n => Rename(n, prefix, clearDevices)).ToList() ?? [];
        foreach (var n in TopologicalOrder(nodes))
        {
            if (Graph.Contains(n.Name)) throw new GraphFormatException($"Importing '{n.Name}': the graph already has a node of that name (use an import scope).");
            _namer.MarkExisting(n.Name);
            Graph.AddNode(n);
        }
        Collections.Import(meta, this, prefix);
        ImportControlFlowContexts(meta, prefix);
        if (meta.SaverDef == null) return null;
        var s = meta.SaverDef.Clone();
        s.FilenameTensorName = prefix + s.FilenameTensorName;
        s.SaveTensorName = prefix + s.SaveTensorName;
        s.RestoreOpName = prefix + s.RestoreOpName;
        return s;
    }

    private static NodeDef Rename(NodeDef n, string prefix, bool clearDevices)
    {
        var c = n.Clone();
        if (clearDevices) c.Device = "";
        if (prefix.Length == 0) return c;
        c.Name = prefix + c.Name;
        for (int i = 0; i < c.Input.Count; i++)
            c.Input[i] = c.Input[i].StartsWith('^') ? "^" + prefix + c.Input[i][1..] : prefix + c.Input[i];
        if (c.Attr.TryGetValue("_class", out var cls) && cls.List != null)
            for (int i = 0; i < cls.List.S.Count; i++)
            {
                var s = cls.List.S[i].ToStringUtf8();
                if (s.StartsWith("loc:@", StringComparison.Ordinal)) cls.List.S[i] = Google.Protobuf.ByteString.CopyFromUtf8("loc:@" + prefix + s[5..]);
            }
        return c;
    }

    private static List<NodeDef> TopologicalOrder(List<NodeDef> nodes)
    {
        var byName = nodes.ToDictionary(n => n.Name, StringComparer.Ordinal);
        var done = new HashSet<string>(StringComparer.Ordinal);
        var visiting = new HashSet<string>(StringComparer.Ordinal);
        var order = new List<NodeDef>(nodes.Count);
        foreach (var root in nodes)
        {
            if (done.Contains(root.Name)) continue;
            var stack = new Stack<(NodeDef Node, int Next)>();
            stack.Push((root, 0));
            visiting.Add(root.Name);
            while (stack.Count > 0)
            {
                var (node, next) = stack.Pop();
                if (next < node.Input.Count)
                {
                    stack.Push((node, next + 1));
                    var input = node.Input[next].TrimStart('^');
                    var dep = TensorRef.Parse(input).NodeName;
                    if (!byName.TryGetValue(dep, out var depNode) || done.Contains(dep)) continue;
                    if (!visiting.Add(dep))
                        throw new GraphFormatException($"Node '{node.Name}' is part of a cycle through '{dep}' (a while loop); such graphs can only be imported into an empty graph (GraphBuilder.FromMetaGraph).");
                    stack.Push((depNode, 0));
                    continue;
                }
                visiting.Remove(node.Name);
                done.Add(node.Name);
                order.Add(node);
            }
        }
        return order;
    }
}
