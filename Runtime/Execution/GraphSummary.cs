using System.Globalization;
using TypedGraph.Formats;
using TypedGraph.Kernels;
using TypedGraph.Protos;

namespace TypedGraph.Execution;

/// <summary>
/// The facts <c>typedgraph inspect</c> reports about a graph: TF version, node and op-type counts,
/// placeholders, variables, saver settings, collections and op types without a kernel.
/// </summary>
public sealed class GraphSummary
{
    /// <summary>A fed input or a variable: name, dtype (TF's C++ name, e.g. <c>float</c>) and shape.</summary>
    /// <param name="Name">Node name.</param>
    /// <param name="DType">TF type name (<c>float</c>, <c>int64</c>…).</param>
    /// <param name="Shape">Dims with −1 for unknown, or null for unknown rank.</param>
    public sealed record TypedNode(string Name, string DType, long[]? Shape)
    {
        /// <summary><c>[-1, 784]</c>, <c>[]</c> for a scalar, <c>unknown-rank</c>.</summary>
        public string ShapeText => Shape == null ? "unknown-rank" : "[" + string.Join(", ", Shape) + "]";
    }

    /// <summary>A MetaGraphDef collection: its name, kind (<c>nodeList</c>, <c>bytesList</c>…) and item count.</summary>
    /// <param name="Name">Collection key.</param>
    /// <param name="Kind">Which CollectionDef list it is.</param>
    /// <param name="Count">Number of items.</param>
    /// <param name="Items">Node names for node lists, variable names for VariableDef lists, else empty.</param>
    public sealed record Collection(string Name, string Kind, int Count, IReadOnlyList<string> Items);

    /// <summary>TF version that wrote the graph ("" when not recorded).</summary>
    public required string TensorFlowVersion { get; init; }

    /// <summary>GraphDef producer version.</summary>
    public required int Producer { get; init; }

    /// <summary>Number of nodes.</summary>
    public required int NodeCount { get; init; }

    /// <summary>Op type → node count, sorted ordinally by op type.</summary>
    public required IReadOnlyDictionary<string, int> OpCounts { get; init; }

    /// <summary><c>Placeholder</c> and <c>PlaceholderWithDefault</c> nodes in graph order.</summary>
    public required IReadOnlyList<TypedNode> Placeholders { get; init; }

    /// <summary><c>VariableV2</c>, <c>Variable</c> and <c>VarHandleOp</c> nodes in graph order.</summary>
    public required IReadOnlyList<TypedNode> Variables { get; init; }

    /// <summary>The Saver's settings, or null.</summary>
    public required SaverDef? SaverDef { get; init; }

    /// <summary>Collections in file order.</summary>
    public required IReadOnlyList<Collection> Collections { get; init; }

    /// <summary>Op types the runtime has no kernel for — in the graph or in any function body its nodes reach —
    /// sorted (empty when everything can run).</summary>
    public required IReadOnlyList<string> UnsupportedOps { get; init; }

    /// <summary>The same op types, each with the first node (and function, for a body node) that needs it.</summary>
    public required IReadOnlyList<UnsupportedOp> UnsupportedOpNodes { get; init; }

    /// <summary>Summarises <paramref name="meta"/>; unsupported ops are asked of <paramref name="registry"/> (default: <see cref="KernelRegistry.Default"/>).</summary>
    public static GraphSummary Create(MetaGraph meta, KernelRegistry? registry = null)
    {
        var nodes = meta.Graph.Nodes;
        var unsupported = (registry ?? KernelRegistry.Default).FindUnsupported(meta.Graph);
        var ops = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var n in nodes) ops[n.Op] = ops.GetValueOrDefault(n.Op) + 1;
        return new GraphSummary
        {
            TensorFlowVersion = meta.TensorFlowVersion,
            Producer = meta.Proto.GraphDef.Versions?.Producer ?? 0,
            NodeCount = nodes.Count,
            OpCounts = ops,
            Placeholders = nodes.Where(n => n.Op is "Placeholder" or "PlaceholderWithDefault").Select(n => Typed(n, "dtype", "shape")).ToList(),
            Variables = nodes.Where(n => n.Op is "VariableV2" or "Variable" or "VarHandleOp").Select(n => Typed(n, "dtype", "shape")).ToList(),
            SaverDef = meta.SaverDef,
            Collections = meta.Proto.CollectionDef.Select(kv => ToCollection(kv.Key, kv.Value)).ToList(),
            UnsupportedOps = unsupported.Select(u => u.OpType).ToList(),
            UnsupportedOpNodes = unsupported,
        };
    }

    /// <summary>TF's C++ <c>DataTypeString</c>: <c>float</c>, <c>double</c>, <c>int32</c>, <c>string</c>, <c>half</c>…</summary>
    public static string TypeName(DataType t) => DataTypes.BaseType(t) switch
    {
        DataType.DtFloat => "float",
        DataType.DtDouble => "double",
        DataType.DtHalf => "half",
        _ => DataTypes.Name(DataTypes.BaseType(t)),
    } + (DataTypes.IsRef(t) ? "_ref" : "");

    /// <summary>TensorShapeProto as dims (−1 unknown) or null for unknown rank.</summary>
    public static long[]? Dims(TensorShapeProto? shape)
        => shape == null || shape.UnknownRank ? null : shape.Dim.Select(d => d.Size).ToArray();

    private static TypedNode Typed(Node n, string dtypeAttr, string shapeAttr)
    {
        var dtype = n.Attr(dtypeAttr) is { ValueCase: AttrValue.ValueOneofCase.Type } a ? TypeName(a.Type) : "?";
        // A Placeholder without a shape attr (very old graphs) has unknown rank.
        return new TypedNode(n.Name, dtype, n.HasAttr(shapeAttr) ? Dims(n.GetShape(shapeAttr)) : null);
    }

    private static Collection ToCollection(string name, CollectionDef c)
    {
        switch (c.KindCase)
        {
            case CollectionDef.KindOneofCase.NodeList:
                return new Collection(name, "nodeList", c.NodeList.Value.Count, c.NodeList.Value.ToList());
            case CollectionDef.KindOneofCase.BytesList:
                var items = new List<string>();
                foreach (var b in c.BytesList.Value)
                {
                    // Variable collections hold serialized VariableDefs; show their names when they parse as such.
                    try
                    {
                        var v = VariableDef.Parser.ParseFrom(b);
                        if (v.VariableName.Length == 0) { items.Clear(); break; }
                        items.Add(v.VariableName);
                    }
                    catch (Google.Protobuf.InvalidProtocolBufferException) { items.Clear(); break; }
                }
                return new Collection(name, "bytesList", c.BytesList.Value.Count, items);
            case CollectionDef.KindOneofCase.Int64List:
                return new Collection(name, "int64List", c.Int64List.Value.Count, c.Int64List.Value.Select(v => v.ToString(CultureInfo.InvariantCulture)).ToList());
            case CollectionDef.KindOneofCase.FloatList:
                return new Collection(name, "floatList", c.FloatList.Value.Count, c.FloatList.Value.Select(v => v.ToString("R", CultureInfo.InvariantCulture)).ToList());
            case CollectionDef.KindOneofCase.AnyList:
                return new Collection(name, "anyList", c.AnyList.Value.Count, c.AnyList.Value.Select(a => a.TypeUrl).ToList());
            default:
                return new Collection(name, "empty", 0, []);
        }
    }
}
