using TypedGraph.Protos;

namespace TypedGraph.Building;

/// <summary>
/// Appends TF-compatible NodeDefs to a <see cref="Graph"/> (empty or imported), the way TF1's Python API
/// does: unique names (<c>Mul</c>, <c>Mul_1</c>), name scopes (<c>layer1/MatMul</c>), default attrs filled
/// in from the op definition, type attrs (<c>T</c>, <c>dtype</c>…) derived from the inputs, control
/// dependency scopes, and graph collections (<c>variables</c>, <c>train_op</c>, …).
/// </summary>
/// <remarks>This class is the core: the graph, naming and scopes, node creation, control dependencies and
/// colocation, control-flow contexts, import, collections and seeds. Typed op methods are extension methods in one
/// class per op family next to its op signatures (<see cref="ArrayOps"/>, <see cref="MathOps"/>, <see cref="NnOps"/>,
/// <see cref="LayerOps"/>, <see cref="VariableOps"/>, <see cref="ControlFlowOps"/>, <see cref="TensorArrayOps"/>,
/// <see cref="ServingOps"/>); <see cref="AddOperation"/> reaches every other op.</remarks>
public sealed partial class GraphBuilder
{
    private readonly UniqueNamer _namer = new();
    private readonly List<string> _scopes = [];
    private readonly List<ControlScope> _controlScopes = [];
    private readonly Dictionary<string, DataType[]> _outputTypes = new(StringComparer.Ordinal);

    /// <summary>A builder over a new empty graph.</summary>
    public GraphBuilder() : this(new Graph()) { }

    /// <summary>A builder appending to <paramref name="graph"/>; its node names count as used.</summary>
    /// <param name="graph">The graph to extend (e.g. <c>MetaGraph.Graph</c>).</param>
    /// <param name="catalog">Op definitions; defaults to <see cref="OpDefCatalog.Default"/>.</param>
    public GraphBuilder(Graph graph, OpDefCatalog? catalog = null)
    {
        Graph = graph;
        Catalog = catalog ?? OpDefCatalog.Default;
        foreach (var n in graph.Nodes) _namer.MarkExisting(n.Name);
    }

    /// <summary>The graph being extended.</summary>
    public Graph Graph { get; }

    /// <summary>Op definitions used to fill attrs and infer dtypes.</summary>
    public OpDefCatalog Catalog { get; internal set; }

    /// <summary>The graph's collections (TF's <c>tf.get_collection</c>).</summary>
    public GraphCollections Collections { get; } = new();

    /// <summary>The current name scope, e.g. <c>"layer1/"</c>, or "" at the top.</summary>
    public string CurrentScope => _scopes.Count == 0 ? "" : _scopes[^1];

    /// <summary>Opens a name scope like <c>tf.name_scope(name)</c>: the scope name is made unique
    /// (a second <c>layer1</c> becomes <c>layer1_1</c>); a name ending in <c>/</c> re-enters that scope as is;
    /// "" resets to the top level. Dispose to close it (<c>using var _ = b.NameScope("layer1");</c>).</summary>
    public IDisposable NameScope(string name)
    {
        string scope;
        if (name.Length == 0) scope = "";
        else if (name.EndsWith('/')) scope = name;
        else scope = UniqueName(name) + "/";
        _scopes.Add(scope);
        return new Popper(() => _scopes.RemoveAt(_scopes.Count - 1));
    }

    /// <summary>Adds control inputs to every op created while the scope is open
    /// (<c>tf.control_dependencies</c>); null clears the inherited ones.</summary>
    public IDisposable ControlDependencies(IEnumerable<string>? opNames)
    {
        _controlScopes.Add(new ControlScope(opNames?.ToList(), []));
        return new Popper(() => _controlScopes.RemoveAt(_controlScopes.Count - 1));
    }

    private readonly List<string> _colocation = [];

    /// <summary>Puts every op created while open next to <paramref name="nodeName"/> (<c>tf.colocate_with</c>):
    /// they get <c>_class = ["loc:@nodeName"]</c>.</summary>
    public IDisposable ColocateWith(string nodeName)
    {
        _colocation.Add(nodeName);
        return new Popper(() => _colocation.RemoveAt(_colocation.Count - 1));
    }

    /// <summary>One open control-dependency scope: its ops (null = clear), and the nodes created inside it.</summary>
    private sealed record ControlScope(List<string>? Ops, HashSet<string> Created);

    /// <summary>A unique full name for <paramref name="name"/> inside the current scope
    /// (TF's <c>unique_name</c>); marks it used.</summary>
    public string UniqueName(string name, bool markAsUsed = true) => _namer.Unique(CurrentScope + name, markAsUsed);

    /// <summary>
    /// Adds a node of any op type. Inputs are the flattened inputs of all args; type attrs (<c>T</c>,
    /// list(type) attrs) and number attrs (<c>N</c>) are derived from them when not given; every other attr
    /// missing from <paramref name="attrs"/> gets the OpDef's default, as TF's Python layer does.
    /// </summary>
    /// <param name="opType">TF op type, e.g. <c>"MatMul"</c>.</param>
    /// <param name="inputs">Data inputs in order.</param>
    /// <param name="attrs">Attrs to set (others are derived or defaulted).</param>
    /// <param name="name">Base name (default: the op type), made unique in the current scope.</param>
    /// <param name="controlInputs">Extra control inputs (op names).</param>
    /// <returns>The new node.</returns>
    /// <exception cref="ArgumentException">Wrong input count, a dtype mismatch, or a required attr missing.</exception>
    public Node AddOperation(string opType, IReadOnlyList<Output> inputs, IReadOnlyDictionary<string, AttrValue>? attrs = null,
        string? name = null, IEnumerable<string>? controlInputs = null)
    {
        var def = new NodeDef { Name = UniqueName(name ?? opType), Op = opType };
        return AddNamedOperation(def, inputs, attrs, controlInputs);
    }

    /// <summary>Like <see cref="AddOperation"/> but with an exact full node name (no scope, no uniquifying).</summary>
    /// <exception cref="ArgumentException">The name is taken or the op is malformed.</exception>
    public Node AddOperationExact(string fullName, string opType, IReadOnlyList<Output> inputs,
        IReadOnlyDictionary<string, AttrValue>? attrs = null, IEnumerable<string>? controlInputs = null)
    {
        if (Graph.Contains(fullName)) throw new ArgumentException($"The graph already has a node named '{fullName}'.", nameof(fullName));
        _namer.MarkExisting(fullName);
        return AddNamedOperation(new NodeDef { Name = fullName, Op = opType }, inputs, attrs, controlInputs);
    }

    private Node AddNamedOperation(NodeDef def, IReadOnlyList<Output> inputs, IReadOnlyDictionary<string, AttrValue>? attrs, IEnumerable<string>? controlInputs)
    {
        inputs = MapInputsIntoContext(def.Name, inputs);
        var opDef = Catalog.Find(def.Op);
        if (attrs != null) foreach (var (k, v) in attrs) def.Attr[k] = v;
        if (_colocation.Count > 0 && !def.Attr.ContainsKey("_class")) def.Attr["_class"] = Attrs.Colocate(_colocation[^1]);
        if (opDef != null) BindArgs(def, opDef, inputs);
        foreach (var i in inputs) def.Input.Add(i.InputString);
        var controls = new List<string>();
        foreach (var scope in _controlScopes)
        {
            if (scope.Ops == null) controls.Clear();
            // As TF: an op whose input was created inside this scope already depends on its control ops.
            else if (!inputs.Any(i => scope.Created.Contains(i.NodeName))) controls.AddRange(scope.Ops);
        }
        foreach (var scope in _controlScopes) scope.Created.Add(def.Name);
        if (controlInputs != null) controls.AddRange(controlInputs);
        AddContextPivot(inputs, controls);
        foreach (var c in controls.Distinct(StringComparer.Ordinal))
            if (!inputs.Any(i => i.NodeName == c)) def.Input.Add("^" + c);
        var sorted = def.Attr.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        def.Attr.Clear();
        foreach (var (k, v) in sorted) def.Attr.Add(k, v); // TF ≥ 2 writes attr maps sorted by key
        var node = Graph.AddNode(def);
        RecordContext(def.Name);
        _outputTypes[def.Name] = opDef != null ? Catalog.OutputTypes(def) : [];
        return node;
    }

    private static void BindArgs(NodeDef def, OpDef opDef, IReadOnlyList<Output> inputs)
    {
        int fixedCount = opDef.InputArg.Count(a => string.IsNullOrEmpty(a.NumberAttr) && string.IsNullOrEmpty(a.TypeListAttr));
        int variadic = opDef.InputArg.Count - fixedCount;
        int pos = 0;
        foreach (var arg in opDef.InputArg)
        {
            int count = 1;
            if (!string.IsNullOrEmpty(arg.NumberAttr))
            {
                if (def.Attr.TryGetValue(arg.NumberAttr, out var n)) count = (int)n.I;
                else if (variadic == 1) count = inputs.Count - fixedCount;
                else throw new ArgumentException($"{def.Op} '{def.Name}': attr {arg.NumberAttr} must be given.");
                def.Attr[arg.NumberAttr] = new AttrValue { I = count };
            }
            else if (!string.IsNullOrEmpty(arg.TypeListAttr))
            {
                if (def.Attr.TryGetValue(arg.TypeListAttr, out var tl)) count = tl.List.Type.Count;
                else if (variadic == 1) count = inputs.Count - fixedCount;
                else throw new ArgumentException($"{def.Op} '{def.Name}': attr {arg.TypeListAttr} must be given.");
                if (pos + count > inputs.Count) break;
                var list = new AttrValue.Types.ListValue();
                for (int k = 0; k < count; k++) list.Type.Add(inputs[pos + k].BaseType);
                def.Attr[arg.TypeListAttr] = new AttrValue { List = list };
            }
            if (pos + count > inputs.Count)
                throw new ArgumentException($"{def.Op} '{def.Name}': expected input '{arg.Name}' at position {pos}, but only {inputs.Count} inputs were given.");
            for (int k = 0; k < count; k++)
            {
                var input = inputs[pos + k];
                if (!string.IsNullOrEmpty(arg.TypeAttr))
                {
                    if (def.Attr.TryGetValue(arg.TypeAttr, out var t))
                    {
                        if (t.Type != input.BaseType && input.BaseType != DataType.DtInvalid)
                            throw new ArgumentException($"{def.Op} '{def.Name}': input '{arg.Name}' ({input.Name}) is {DataTypes.Name(input.BaseType)}, expected {DataTypes.Name(t.Type)} (attr {arg.TypeAttr}).");
                    }
                    else def.Attr[arg.TypeAttr] = new AttrValue { Type = input.BaseType };
                }
                else if (arg.Type != DataType.DtInvalid && arg.Type != input.BaseType && input.BaseType != DataType.DtInvalid)
                    throw new ArgumentException($"{def.Op} '{def.Name}': input '{arg.Name}' ({input.Name}) is {DataTypes.Name(input.BaseType)}, expected {DataTypes.Name(arg.Type)}.");
                if (arg.IsRef && !DataTypes.IsRef(input.DType))
                    throw new ArgumentException($"{def.Op} '{def.Name}': input '{arg.Name}' must be a ref (a variable), got {input.Name}.");
            }
            pos += count;
        }
        if (pos != inputs.Count)
            throw new ArgumentException($"{def.Op} '{def.Name}': takes {pos} inputs, got {inputs.Count}.");
        foreach (var a in opDef.Attr)
        {
            if (def.Attr.ContainsKey(a.Name)) continue;
            if (a.DefaultValue != null) def.Attr[a.Name] = a.DefaultValue.Clone();
            else throw new ArgumentException($"{def.Op} '{def.Name}': required attr '{a.Name}' ({a.Type}) was not given.");
        }
    }

    /// <summary>Output <paramref name="index"/> of <paramref name="node"/> as a handle.</summary>
    /// <exception cref="ArgumentException">The node has no such output.</exception>
    public Output OutputOf(Node node, int index = 0)
    {
        var types = OutputTypes(node);
        if (index < 0 || index >= types.Length)
            throw new ArgumentException($"Node '{node.Name}' ({node.Op}) has {types.Length} outputs; output {index} does not exist.", nameof(index));
        return new Output(node.Name, index, types[index]);
    }

    /// <summary>The dtypes of every output of <paramref name="node"/>.</summary>
    public DataType[] OutputTypes(Node node)
    {
        if (_outputTypes.TryGetValue(node.Name, out var t) && (t.Length > 0 || Catalog.Find(node.Op) != null)) return t;
        t = InferImportedTypes(node);
        _outputTypes[node.Name] = t;
        return t;
    }

    private DataType[] InferImportedTypes(Node node)
    {
        if (Catalog.Find(node.Op) != null) return Catalog.OutputTypes(node.Def);
        if (FunctionalOutputTypes(node) is { } functional) return functional;
        // An op we have no OpDef for: the common single-output conventions.
        foreach (var attr in new[] { "T", "dtype", "out_type", "DstT" })
            if (node.Attr(attr) is { ValueCase: AttrValue.ValueOneofCase.Type } a) return [a.Type];
        throw new GraphFormatException($"Node '{node.Name}': op '{node.Op}' is unknown, so its output types cannot be derived.");
    }

    /// <summary>The tensor named <paramref name="name"/> (<c>"h2/Relu:0"</c> or <c>"h2/Relu"</c> for output 0).</summary>
    /// <exception cref="KeyNotFoundException">No such node (the message suggests close names).</exception>
    public Output GetTensor(string name)
    {
        var r = TensorRef.Parse(name);
        return OutputOf(Graph.GetNode(r.NodeName), r.Index);
    }

    /// <summary>The operation named <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such node.</exception>
    public Node GetOperation(string name) => Graph.GetNode(name);

    /// <summary>TF's default graph seed when only an op seed is set (<c>random_seed.DEFAULT_GRAPH_SEED</c>).</summary>
    public const int DefaultGraphSeed = 87654321;

    /// <summary>Graph-level seed (<c>tf.set_random_seed</c>); null = none.</summary>
    public int? GraphSeed { get; set; }

    /// <summary>Every variable in <c>variables</c>.</summary>
    public IReadOnlyList<Variable> GlobalVariables => Collections.GetVariables(GraphCollections.Variables);

    /// <summary>Every variable in <c>trainable_variables</c>.</summary>
    public IReadOnlyList<Variable> TrainableVariables => Collections.GetVariables(GraphCollections.TrainableVariables);

    /// <summary>A variable of the <c>variables</c> collection by op name.</summary>
    /// <exception cref="KeyNotFoundException">No such variable; the message lists the variables.</exception>
    public Variable GetVariable(string name) => GlobalVariables.FirstOrDefault(v => v.Name == name)
        ?? throw new KeyNotFoundException($"No variable named '{name}'. Variables: {string.Join(", ", GlobalVariables.Select(v => v.Name))}.");

    /// <summary>The collection of table initializer ops (<c>tf.GraphKeys.TABLE_INITIALIZERS</c>).</summary>
    public const string TableInitializersCollection = "table_initializer";

    /// <summary>The collection of asset path tensors (<c>tf.GraphKeys.ASSET_FILEPATHS</c>).</summary>
    public const string AssetFilepathsCollection = "asset_filepaths";

    /// <summary>A scalar of <paramref name="dtype"/> holding <paramref name="value"/> (Python scalars converted to a
    /// tensor's dtype); shared by the op families and the optimizers.</summary>
    internal static Tensor ScalarTensor(double value, DataType dtype) => DataTypes.BaseType(dtype) switch
    {
        DataType.DtFloat => Tensor.FromScalar((float)value),
        DataType.DtDouble => Tensor.FromScalar(value),
        DataType.DtInt32 => Tensor.FromScalar((int)value),
        DataType.DtInt64 => Tensor.FromScalar((long)value),
        DataType.DtBool => Tensor.FromScalar(value != 0),
        DataType.DtUint8 => Tensor.FromScalar((byte)value),
        DataType.DtInt8 => Tensor.FromScalar((sbyte)value),
        DataType.DtInt16 => Tensor.FromScalar((short)value),
        DataType.DtHalf => Tensor.FromScalar((Half)value),
        DataType.DtComplex128 => Tensor.FromScalar(new System.Numerics.Complex(value, 0)),
        DataType.DtComplex64 => new Tensor(DataType.DtComplex64, TensorShape.Scalar, System.Runtime.InteropServices.MemoryMarshal.AsBytes<float>([(float)value, 0f]).ToArray()),
        _ => throw new NotSupportedException($"No scalar constant of dtype {DataTypes.Name(dtype)}."),
    };

    /// <summary>Shortcut: output 0 of a new node.</summary>
    internal Output Op1(string opType, IReadOnlyList<Output> inputs, string? name, IReadOnlyDictionary<string, AttrValue>? attrs = null)
        => OutputOf(AddOperation(opType, inputs, attrs, name));

    private sealed class Popper(Action pop) : IDisposable
    {
        private bool _done;

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            pop();
        }
    }
}
