using TypedGraph.Onnx.Protos;
using TypedGraph.Protos;
using OnnxType = TypedGraph.Onnx.Protos.TensorProto.Types.DataType;
using TfTensorShapeProto = TypedGraph.Protos.TensorShapeProto;

namespace TypedGraph.Onnx.Conversion;

/// <summary>
/// One export: prunes the graph to the nodes between the inputs and the outputs, splits them into values that
/// depend on the inputs (translated op by op) and values that do not (evaluated once by the session and stored
/// as initializers: variables, constants, shape arithmetic on static shapes), and writes the ONNX graph.
/// The session is also run once on probe inputs to learn the dtype and rank of every translated tensor.
/// </summary>
internal sealed partial class GraphConversion
{
    // Ops whose result must not be frozen into a constant even when their inputs are static.
    private static readonly HashSet<string> s_neverFold = new(StringComparer.Ordinal)
    {
        "RandomUniform", "RandomStandardNormal", "TruncatedNormal", "RandomUniformInt", "Multinomial", "RandomShuffle",
        "RandomGamma", "RandomPoisson", "RandomPoissonV2",
        // A TensorArray's handle and flow stand for its (changing) contents, which become ONNX sequences.
        "TensorArrayV3",
        // Likewise a TF2 TensorList created from constants: it is a sequence to fill, not a constant.
        "TensorListReserve", "EmptyTensorList",
    };

    private readonly Session _session;
    private readonly Graph _graph;
    private readonly OnnxExportOptions _options;
    private readonly List<TensorRef> _inputs = [];
    private readonly List<TensorRef> _outputs = [];
    private readonly HashSet<TensorRef> _inputSet = [];
    private readonly ScopeState _root;
    private ScopeState _scope;
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Action<Node>> _converters = new(StringComparer.Ordinal);

    /// <summary>One TF tensor as the ONNX graph holds it: a constant, and/or an ONNX value in TF layout, and/or (rank 4) its NCHW transpose.</summary>
    private sealed class Value
    {
        public DataType DType;
        public int Rank = -1;
        public Tensor? Const;
        public string? Native;
        public string? Nchw;

        /// <summary>An ONNX sequence of tensors (the contents of a TensorArray, carried by its flow tensor);
        /// <see cref="DType"/> and <see cref="Rank"/> are then those of its elements.</summary>
        public bool Sequence;

        /// <summary>For a TensorArray handle: the TensorArrayV3 node it names (the handle has no ONNX value).</summary>
        public Node? TensorArray;

        /// <summary>For a copy made in a subgraph scope: the outer value it was copied from.</summary>
        public Value? Origin;
    }

    /// <summary>
    /// A graph being written (the main graph, an If branch or a Loop body, or a second pass over a loop condition)
    /// with its own value table and probe values; lookups fall through to the enclosing scopes.
    /// </summary>
    private sealed class ScopeState(GraphProto graph, ScopeState? parent)
    {
        public GraphProto Graph { get; } = graph;
        public ScopeState? Parent { get; } = parent;
        public Dictionary<TensorRef, Value> Values { get; } = [];
        public Dictionary<TensorRef, Tensor> Probe { get; } = [];
    }

    private Dictionary<TensorRef, Value> _values => _scope.Values;

    public GraphConversion(Session session, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, OnnxExportOptions options)
    {
        _session = session;
        _graph = session.Graph;
        _options = options;
        _root = new ScopeState(new GraphProto { Name = options.GraphName }, null);
        _scope = _root;
        if (outputs.Count == 0) throw new OnnxExportException("No outputs were given: name at least one output tensor (e.g. 'y:0').");
        foreach (var name in inputs)
        {
            var r = ParseTensor(name, "input");
            if (!_inputSet.Add(r)) throw new OnnxExportException($"Input '{name}' is listed twice.");
            _inputs.Add(r);
        }
        foreach (var name in outputs)
        {
            var r = ParseTensor(name, "output");
            if (_outputs.Contains(r)) throw new OnnxExportException($"Output '{name}' is listed twice.");
            if (_inputSet.Contains(r)) throw new OnnxExportException($"'{name}' is both an input and an output.");
            _outputs.Add(r);
        }
        RegisterElementwise();
        RegisterMath();
        RegisterArray();
        RegisterNn();
        RegisterCond();
        RegisterResize();
        RegisterTensorArray();
        RegisterTensorList();
        RegisterResource();
        RegisterLookup();
    }

    private int Opset => _options.Opset;

    private TensorRef ParseTensor(string name, string role)
    {
        TensorRef r;
        try { r = TensorRef.Parse(name); }
        catch (FormatException e) { throw new OnnxExportException($"The {role} '{name}' is not a tensor name: {e.Message}"); }
        var node = _graph.FindNode(r.NodeName) ?? throw new OnnxExportException($"The {role} '{name}' names no node of the graph.");
        if (r.Index < 0) throw new OnnxExportException($"The {role} '{name}' (op {node.Op}) has a negative output index.");
        return r;
    }

    public GraphProto Run()
    {
        ComputeTensorArrayState();
        ComputeDynamic();
        ComputeGuards();
        var plan = CollectScope([], _outputs, _ => null, out var reached);
        CollectReads(plan);
        CheckTranslatable(plan);
        MarkDeadBranches(reached);
        CheckTables(plan);
        Probe(plan);
        foreach (var r in _inputs) AddGraphInput(r);
        ConvertItems(plan);
        foreach (var r in _outputs) AddGraphOutput(r);
        AddValueInfos(_root);
        return _root.Graph;
    }

    /// <summary>Refuses ops with no translation before anything runs (the probe run may fail first on such graphs,
    /// e.g. a TF2 function call over uninitialized resource variables, with a less telling message). The error names
    /// the first such node and then every other op type without a translation (with its first node), so one attempt
    /// lists all that stands between the graph and ONNX.</summary>
    private void CheckTranslatable(ScopePlan plan)
    {
        var missing = new List<(string Op, Node First, int Count)>();
        CollectUntranslatable(plan, missing);
        if (missing.Count == 0) return;
        var first = missing[0].First;
        string why = "ONNX export has no translation for this op" + UnsupportedHint(first.Op) + ".";
        if (missing[0].Count > 1) why += $" {missing[0].Count - 1} more node(s) use {first.Op}.";
        if (missing.Count > 1)
            why += " Also without a translation: " + string.Join(", ", missing.Skip(1).Select(m =>
                $"{m.Op} (node '{m.First.Name}'{(m.Count > 1 ? $" and {m.Count - 1} more" : "")})")) + ".";
        throw OnnxExportException.For(first, why);
    }

    private void CollectUntranslatable(ScopePlan plan, List<(string Op, Node First, int Count)> missing)
    {
        foreach (var item in plan.Items)
        {
            switch (item)
            {
                case NodeItem n when !_converters.ContainsKey(n.Node.Op):
                    int at = missing.FindIndex(m => m.Op == n.Node.Op);
                    if (at < 0) missing.Add((n.Node.Op, n.Node, 1));
                    else missing[at] = missing[at] with { Count = missing[at].Count + 1 };
                    break;
                case CondItem c:
                    CollectUntranslatable(c.Then, missing);
                    CollectUntranslatable(c.Else, missing);
                    break;
                case LoopItem l:
                    CollectUntranslatable(l.Cond, missing);
                    CollectUntranslatable(l.Body, missing);
                    break;
            }
        }
    }

    // Every tensor some scope of the plan reads (its items, nested scopes, boundaries).
    private readonly HashSet<TensorRef> _allReads = [];

    private void CollectReads(ScopePlan plan)
    {
        _allReads.UnionWith(plan.Reads);
        _allReads.UnionWith(plan.Externals);
        _allReads.UnionWith(plan.Boundary.Values);
        foreach (var item in plan.Items)
        {
            if (item is CondItem c) { CollectReads(c.Then); CollectReads(c.Else); }
            else if (item is LoopItem l) { CollectReads(l.Cond); CollectReads(l.Body); }
        }
    }

    private void ConvertNode(Node node)
    {
        if (_deadNodes.Contains(node.Name)) return;
        if (!_converters.TryGetValue(node.Op, out var convert))
            throw OnnxExportException.For(node, "ONNX export has no translation for this op" + UnsupportedHint(node.Op) + ".");
        convert(node);
    }

    private static string UnsupportedHint(string op) => op switch
    {
        "Switch" or "Merge" or "Enter" or "Exit" or "NextIteration" or "LoopCond" => " outside the tf.cond / tf.while_loop layouts the exporter recognizes",
        "TensorArrayGradV3" or "TensorArrayGradWithShape" => " (a gradient TensorArray belongs to the backward pass of a TensorArray loop; "
            + "ONNX export converts the inference path — export the forward outputs, not gradients)",
        _ when op.StartsWith("TensorArray", StringComparison.Ordinal) => " (TensorArrayV3 with Write/Read/Scatter/Split/Gather/Concat/Size are exported as ONNX sequences; this one is not)",
        _ => "",
    };

    // ---- probe run -----------------------------------------------------------------------------------------------

    /// <summary>
    /// Runs the session once: inputs get probe values (dynamic dims = <see cref="OnnxExportOptions.ProbeDimension"/>),
    /// fetches are every main-graph tensor a translated node or control-flow construct reads plus the outputs.
    /// Static fetches become constants; the rest tell converters dtypes and ranks.
    /// </summary>
    private void Probe(ScopePlan plan)
    {
        var fetch = plan.Reads.Where(r => !_inputSet.Contains(r) && !IsDead(r) && !IsTensorArrayState(r)).Distinct().ToList();
        var feeds = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var rng = new Random(12345);
        foreach (var r in _inputs)
        {
            var (dtype, dims) = InputSignature(r);
            var shape = TensorShape.FromLongs(dims.Select(d => d < 0 ? (long)_options.ProbeDimension : d).ToArray());
            if (_options.ProbeInputs != null && _options.ProbeInputs.TryGetValue(r.ToString(), out var given))
            {
                if (DataTypes.BaseType(given.DType) != dtype)
                    throw new OnnxExportException($"The probe value for input '{r}' is {DataTypes.Name(given.DType)}, but the input is {DataTypes.Name(dtype)}.");
                feeds[r.ToString()] = given;
                _root.Probe[r] = given;
                continue;
            }
            var t = Tensor.Zeros(dtype, shape);
            if (dtype == DataType.DtFloat) foreach (ref var v in t.AsSpan<float>()) v = (float)(0.25 + rng.NextDouble());
            if (dtype == DataType.DtDouble) foreach (ref var v in t.AsSpan<double>()) v = 0.25 + rng.NextDouble();
            feeds[r.ToString()] = t;
            _root.Probe[r] = t;
        }
        Tensor[] results;
        try
        {
            results = _session.Run(fetch.Select(f => f.ToString()).ToList(), feeds);
        }
        catch (TypedGraphException e)
        {
            throw new OnnxExportException("Running the graph once (to evaluate its constants and variables and learn tensor types) failed: " + e.Message, e);
        }
        RecordProbe(fetch, results);
    }

    /// <summary>Stores probe results in the current scope: values that do not depend on the inputs become constants.</summary>
    private void RecordProbe(List<TensorRef> fetch, Tensor[] results)
    {
        for (int i = 0; i < fetch.Count; i++)
        {
            _scope.Probe[fetch[i]] = results[i];
            if (!IsDynamic(fetch[i]))
                _scope.Values[fetch[i]] = new Value { DType = results[i].DType, Rank = results[i].Shape.Rank, Const = results[i] };
        }
    }

    /// <summary>The dtype and dims (-1 dynamic) of a model input.</summary>
    private (DataType DType, long[] Dims) InputSignature(TensorRef r)
    {
        var node = _graph.GetNode(r.NodeName);
        var dtype = node.Attr("dtype")?.Type ?? node.Attr("T")?.Type
            ?? throw OnnxExportException.For(node, $"cannot tell the dtype of input '{r}'; use a placeholder as the input.");
        dtype = DataTypes.BaseType(dtype);
        if (_options.InputShapes != null && _options.InputShapes.TryGetValue(r.ToString(), out var given)) return (dtype, given);
        var shape = node.GetShape("shape");
        bool legacyUnconstrained = shape is { UnknownRank: false, Dim.Count: 0 } && node.Op == "Placeholder" && _graph.Def.Versions?.Producer < 22;
        if (shape == null || shape.UnknownRank || legacyUnconstrained)
            throw OnnxExportException.For(node, $"input '{r}' has no static shape in the graph; give it in the export options (InputShapes) or on the command line as '{r}=-1x10'.");
        return (dtype, shape.Dim.Select(d => d.Size).ToArray());
    }

    private void AddGraphInput(TensorRef r)
    {
        var (dtype, dims) = InputSignature(r);
        var type = OnnxTensors.ElementType(dtype) ?? throw OnnxExportException.For(_graph.GetNode(r.NodeName), $"input dtype {DataTypes.Name(dtype)} has no ONNX equivalent.");
        var shape = new Protos.TensorShapeProto();
        for (int i = 0; i < dims.Length; i++)
        {
            var d = new Protos.TensorShapeProto.Types.Dimension();
            if (dims[i] >= 0) d.DimValue = dims[i];
            else d.DimParam = i == 0 ? "batch" : $"{r.NodeName}_dim{i}";
            shape.Dim.Add(d);
        }
        var name = r.ToString();
        _names.Add(name);
        _root.Graph.Input.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } });
        _values[r] = new Value { DType = dtype, Rank = dims.Length, Native = name };
    }

    private void AddGraphOutput(TensorRef r)
    {
        var name = r.ToString();
        var value = Get(r);
        var native = In(r);
        if (native != name)
        {
            if (_names.Contains(name)) throw new OnnxExportException($"Output '{name}' clashes with another ONNX value name.");
            Emit("Identity", [native], name);
        }
        var type = OnnxTensors.ElementType(value.DType) ?? throw new OnnxExportException($"Output '{name}' has dtype {DataTypes.Name(value.DType)}, which ONNX cannot carry.");
        var shape = new Protos.TensorShapeProto();
        for (int i = 0; i < value.Rank; i++) shape.Dim.Add(new Protos.TensorShapeProto.Types.Dimension());
        _root.Graph.Output.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = value.Rank >= 0 ? shape : null } } });
    }
}
