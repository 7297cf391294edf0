using Google.Protobuf;
using TypedGraph.Protos;

namespace TypedGraph.Formats;

/// <summary>
/// A loaded TF graph file: a Saver's <c>.meta</c> (MetaGraphDef), a frozen GraphDef <c>.pb</c>, or a
/// SavedModel (<c>saved_model.pb</c> or its directory; one MetaGraphDef chosen by tag set). The kind is
/// detected from the bytes, not the file name. A frozen GraphDef is wrapped in a MetaGraphDef with no
/// SaverDef.
/// </summary>
public sealed partial class MetaGraph
{
    private MetaGraph(MetaGraphDef proto, string? sourcePath, string? variablesPrefix, GraphFileKind kind)
    {
        Proto = proto;
        SourcePath = sourcePath;
        VariablesPrefix = variablesPrefix;
        Kind = kind;
        proto.GraphDef ??= new GraphDef();
        try
        {
            Graph = new Graph(proto.GraphDef);
        }
        catch (GraphFormatException e)
        {
            throw new GraphFormatException($"{sourcePath ?? "graph"}: {e.Message}", e);
        }
    }

    /// <summary>The MetaGraphDef (unknown fields kept, so it re-serializes unchanged).</summary>
    public MetaGraphDef Proto { get; }

    /// <summary>The graph over <c>Proto.GraphDef</c>.</summary>
    public Graph Graph { get; }

    /// <summary>The Saver's settings, or null (frozen graphs, graphs saved without a Saver).</summary>
    public SaverDef? SaverDef => Proto.SaverDef;

    /// <summary>The TF version that wrote the file (<c>meta_info_def.tensorflow_version</c>), or "" when not recorded.</summary>
    public string TensorFlowVersion => Proto.MetaInfoDef?.TensorflowVersion ?? "";

    /// <summary>The file the graph came from, if any.</summary>
    public string? SourcePath { get; }

    /// <summary>For a SavedModel: <c>&lt;dir&gt;/variables/variables</c>, the checkpoint prefix of its variables; else null.</summary>
    public string? VariablesPrefix { get; }

    /// <summary>What the file was.</summary>
    public GraphFileKind Kind { get; }

    /// <summary>For a SavedModel: the whole <c>saved_model.pb</c> message <see cref="Proto"/> was chosen from
    /// (every meta graph, unknown fields kept, so it re-serializes to the file's bytes); else null.</summary>
    public SavedModel? SavedModelProto { get; private init; }

    /// <summary>Loads a <c>.meta</c>, a frozen <c>.pb</c>, a <c>saved_model.pb</c> or a SavedModel directory.</summary>
    /// <param name="path">File or SavedModel directory.</param>
    /// <param name="tags">SavedModel only: the tag set to pick (e.g. <c>["serve"]</c>); null picks the only
    /// meta graph, or the one tagged exactly <c>serve</c>.</param>
    /// <exception cref="GraphFormatException">The file is missing or is none of those formats (the message names it),
    /// or no meta graph has the tag set (the message lists those available).</exception>
    public static MetaGraph Load(string path, string[]? tags = null)
    {
        if (Directory.Exists(path))
        {
            var pb = Path.Combine(path, "saved_model.pb");
            if (!File.Exists(pb))
            {
                if (File.Exists(Path.Combine(path, "saved_model.pbtxt")))
                    throw new GraphFormatException($"{path}: text-format SavedModels (saved_model.pbtxt) are not supported; save a binary saved_model.pb.");
                throw new GraphFormatException($"{path}: a directory, but not a SavedModel (no saved_model.pb inside).");
            }
            path = pb;
        }
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new GraphFormatException($"{path}: no such graph file.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new GraphFormatException($"{path}: the graph file cannot be read: {e.Message}", e);
        }
        return Parse(bytes, path, tags);
    }

    /// <summary>Parses graph file bytes; <paramref name="sourceName"/> is used as the path in messages
    /// and, for a SavedModel, to find <c>variables/</c> beside it.</summary>
    /// <exception cref="GraphFormatException">Not a MetaGraphDef, GraphDef or SavedModel.</exception>
    public static MetaGraph Parse(byte[] bytes, string sourceName, string[]? tags = null)
    {
        if (bytes.Length == 0) throw new GraphFormatException($"{sourceName}: the file is empty (expected a MetaGraphDef, GraphDef or SavedModel).");
        // A SavedModel starts with its schema version (field 1, varint); neither other kind has a varint field 1.
        if (bytes[0] == 0x08 && TryParse(SavedModel.Parser, bytes) is { MetaGraphs.Count: > 0 } sm)
            return FromSavedModel(sm, sourceName, tags);
        var meta = TryParse(MetaGraphDef.Parser, bytes);
        if (meta != null && LooksLikeGraph(meta.GraphDef) && (meta.MetaInfoDef != null || meta.SaverDef != null || meta.CollectionDef.Count > 0))
            return new MetaGraph(meta, sourceName, null, GraphFileKind.MetaGraph);
        if (TryParse(GraphDef.Parser, bytes) is { } graph && LooksLikeGraph(graph))
            return new MetaGraph(new MetaGraphDef { GraphDef = graph }, sourceName, null, GraphFileKind.FrozenGraph);
        if (meta != null && LooksLikeGraph(meta.GraphDef)) // a MetaGraphDef holding nothing but its graph
            return new MetaGraph(meta, sourceName, null, GraphFileKind.MetaGraph);
        if (TryParse(SavedModel.Parser, bytes) is { MetaGraphs.Count: > 0 } sm2 && sm2.MetaGraphs.All(m => LooksLikeGraph(m.GraphDef)))
            return FromSavedModel(sm2, sourceName, tags);
        throw new GraphFormatException($"{sourceName}: not a TensorFlow graph file (neither a MetaGraphDef .meta, a GraphDef .pb nor a saved_model.pb could be parsed from its {bytes.Length} bytes).");
    }

    /// <summary>The tag sets of the meta graphs in a SavedModel, e.g. <c>[["serve"], ["train"]]</c>.</summary>
    public static IReadOnlyList<string[]> TagSets(SavedModel model) => model.MetaGraphs.Select(m => (m.MetaInfoDef?.Tags ?? []).ToArray()).ToList();

    private static MetaGraph FromSavedModel(SavedModel model, string sourceName, string[]? tags)
    {
        MetaGraphDef? chosen;
        var sets = TagSets(model);
        if (tags == null)
        {
            chosen = model.MetaGraphs.Count == 1 ? model.MetaGraphs[0]
                : model.MetaGraphs.FirstOrDefault(m => SameTags(m, ["serve"]));
        }
        else
        {
            chosen = model.MetaGraphs.FirstOrDefault(m => SameTags(m, tags));
        }
        if (chosen == null)
        {
            var available = string.Join("; ", sets.Select(s => "[" + string.Join(", ", s) + "]"));
            var wanted = tags == null ? "no tag set was given and there is no single or 'serve' meta graph" : $"no meta graph has the tag set [{string.Join(", ", tags)}]";
            throw new GraphFormatException($"{sourceName}: {wanted}; available tag sets: {available}.");
        }
        var dir = Path.GetDirectoryName(Path.GetFullPath(sourceName)) ?? ".";
        return new MetaGraph(chosen, sourceName, Path.Combine(dir, "variables", "variables"), GraphFileKind.SavedModel) { SavedModelProto = model };
    }

    private static bool SameTags(MetaGraphDef m, IEnumerable<string> tags)
        => (m.MetaInfoDef?.Tags ?? []).ToHashSet(StringComparer.Ordinal).SetEquals(tags);

    // Misreading one kind as another yields nodes without names or ops (or none at all).
    private static bool LooksLikeGraph(GraphDef? g)
        => g != null && g.Node.Count > 0 && g.Node.All(n => n.Name.Length > 0 && n.Op.Length > 0 && n.Op.All(c => c > ' ' && c < '\x7f'));

    private static T? TryParse<T>(MessageParser<T> parser, byte[] bytes) where T : class, IMessage<T>
    {
        try
        {
            return parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }
    }
}

/// <summary>The kind of file a <see cref="MetaGraph"/> was loaded from.</summary>
public enum GraphFileKind
{
    /// <summary>A MetaGraphDef (<c>.meta</c>).</summary>
    MetaGraph,

    /// <summary>A bare GraphDef (frozen <c>.pb</c>).</summary>
    FrozenGraph,

    /// <summary>A SavedModel (<c>saved_model.pb</c>).</summary>
    SavedModel,
}
