using TypedGraph.Protos;

namespace TypedGraph.Building;

/// <summary>
/// The op definitions (<see cref="OpDef"/>) TypedGraph knows: inputs, outputs and attrs with TF's defaults.
/// The builder uses them to fill in default attrs the way TF's Python <c>op_def_library</c> does, to infer
/// output dtypes, and the exporter writes them as <c>meta_info_def.stripped_op_list</c>. A graph imported from
/// a <c>.meta</c> brings its own stripped op list, which is layered on top (see <see cref="With"/>).
/// </summary>
public sealed partial class OpDefCatalog
{
    private static readonly Lazy<OpDefCatalog> s_default = new(CreateDefault);
    private readonly Dictionary<string, OpDef> _ops;

    private OpDefCatalog(Dictionary<string, OpDef> ops) => _ops = ops;

    /// <summary>The built-in catalogue (ops written in <c>OpDefCatalog.*.cs</c>, after TF's <c>*_ops.cc</c>).</summary>
    public static OpDefCatalog Default => s_default.Value;

    /// <summary>The OpDef for <paramref name="opType"/>, or null.</summary>
    public OpDef? Find(string opType) => _ops.GetValueOrDefault(opType);

    /// <summary>Every op type known, sorted ordinally.</summary>
    public IReadOnlyList<string> OpTypes => _ops.Keys.Order(StringComparer.Ordinal).ToList();

    /// <summary>A catalogue that also knows <paramref name="extra"/> (e.g. a .meta's stripped op list);
    /// built-in definitions win, because they carry defaults a stripped list may omit.</summary>
    public OpDefCatalog With(IEnumerable<OpDef> extra)
    {
        var ops = new Dictionary<string, OpDef>(_ops, StringComparer.Ordinal);
        foreach (var op in extra) ops.TryAdd(op.Name, op);
        return new OpDefCatalog(ops);
    }

    private static OpDefCatalog CreateDefault()
    {
        var ops = new Dictionary<string, OpDef>(StringComparer.Ordinal);
        foreach (var sig in MathSignatures.Concat(NnSignatures).Concat(ArraySignatures).Concat(StateSignatures).Concat(TrainingSignatures).Concat(IoSignatures).Concat(ListSignatures).Concat(SparseSignatures).Concat(LookupSignatures).Concat(ParsingSignatures)
            .Concat(LegacySignatures).Concat(SequenceSignatures).Concat(LinalgSignatures).Concat(MathExtraSignatures).Concat(SummarySignatures).Concat(StringSignatures).Concat(SamplingSignatures).Concat(ImageSignatures).Concat(MatrixFunctionSignatures).Concat(AudioSignatures).Concat(ComplexSignatures).Concat(BreadthSignatures).Concat(RnnSignatures).Concat(SpectralSignatures))
        {
            var op = OpSignature.Parse(sig);
            if (!ops.TryAdd(op.Name, op)) throw new InvalidOperationException($"Op '{op.Name}' is defined twice in the catalogue.");
        }
        AddSummaryDefaults(ops);
        return new OpDefCatalog(ops);
    }

    /// <summary>The dtypes of a node's outputs as TF derives them from its OpDef and attrs
    /// (ref outputs as <c>DT_*_REF</c>).</summary>
    /// <exception cref="GraphFormatException">The op is unknown or an attr the OpDef needs is missing.</exception>
    public DataType[] OutputTypes(NodeDef node)
    {
        var op = Find(node.Op) ?? throw new GraphFormatException($"Node '{node.Name}': op '{node.Op}' is not in the op catalogue, so its output types are unknown.");
        var result = new List<DataType>();
        foreach (var arg in op.OutputArg) result.AddRange(ArgTypes(arg, node));
        return result.ToArray();
    }

    /// <summary>The dtypes one arg of <paramref name="node"/> expands to.</summary>
    internal static IEnumerable<DataType> ArgTypes(OpDef.Types.ArgDef arg, NodeDef node)
    {
        IEnumerable<DataType> types;
        if (!string.IsNullOrEmpty(arg.TypeListAttr))
            types = AttrOf(node, arg.TypeListAttr).List.Type;
        else
        {
            var t = !string.IsNullOrEmpty(arg.TypeAttr) ? AttrOf(node, arg.TypeAttr).Type : arg.Type;
            int n = !string.IsNullOrEmpty(arg.NumberAttr) ? (int)AttrOf(node, arg.NumberAttr).I : 1;
            types = Enumerable.Repeat(t, n);
        }
        return arg.IsRef ? types.Select(t => (DataType)((int)t + 100)) : types;
    }

    private static AttrValue AttrOf(NodeDef node, string name) => node.Attr.TryGetValue(name, out var v) ? v
        : throw new GraphFormatException($"Node '{node.Name}' (op {node.Op}) lacks attr '{name}'.");
}
