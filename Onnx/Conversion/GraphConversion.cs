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
    };

    private readonly Session _session;
    private readonly Graph _graph;
    private readonly OnnxExportOptions _options;
    private readonly List<TensorRef> _inputs = [];
    private readonly List<TensorRef> _outputs = [];
    private readonly HashSet<TensorRef> _inputSet = [];
    private readonly GraphProto _g;
    private readonly Dictionary<TensorRef, Value> _values = [];
    private readonly Dictionary<TensorRef, Tensor> _probe = [];
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
    }

    public GraphConversion(Session session, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, OnnxExportOptions options)
    {
        _session = session;
        _graph = session.Graph;
        _options = options;
        _g = new GraphProto { Name = options.GraphName };
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
        var order = PruneAndOrder(out var dynamic);
        MarkDeadBranches(order, dynamic);
        Probe(order, dynamic);
        foreach (var r in _inputs) AddGraphInput(r);
        foreach (var node in order)
        {
            if (!dynamic.Contains(node.Name) || _deadNodes.Contains(node.Name)) continue;
            if (!_converters.TryGetValue(node.Op, out var convert))
                throw OnnxExportException.For(node, "ONNX export has no translation for this op" + UnsupportedHint(node.Op) + ".");
            convert(node);
        }
        foreach (var r in _outputs) AddGraphOutput(r);
        return _g;
    }

    private static string UnsupportedHint(string op) => op switch
    {
        "Switch" or "Merge" => " (TF1 tf.cond whose predicate depends on the inputs; export a graph where it is static, or feed the branch's tensors)",
        "Enter" or "Exit" or "NextIteration" or "LoopCond" => " (TF1 tf.while_loop)",
        _ => "",
    };

    // ---- pruning -----------------------------------------------------------------------------------------------

    /// <summary>
    /// The nodes the outputs need (stopping at the inputs), in an order where producers come first; fills
    /// <paramref name="dynamic"/> with the nodes whose value depends on an input (or on a random op).
    /// Control inputs are not followed: they order side effects, which an inference graph does not carry.
    /// </summary>
    private List<Node> PruneAndOrder(out HashSet<string> dynamic)
    {
        var order = new List<Node>();
        var dyn = new HashSet<string>(StringComparer.Ordinal);
        dynamic = dyn;
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1 = on the stack, 2 = done
        var stack = new Stack<(Node Node, int Next)>();
        foreach (var output in _outputs)
        {
            var root = _graph.GetNode(output.NodeName);
            if (state.ContainsKey(root.Name)) continue;
            stack.Push((root, 0));
            state[root.Name] = 1;
            while (stack.Count > 0)
            {
                var (node, next) = stack.Pop();
                if (next < node.Inputs.Count)
                {
                    stack.Push((node, next + 1));
                    var r = node.Inputs[next];
                    if (_inputSet.Contains(r)) continue;
                    var producer = _graph.GetNode(r.NodeName);
                    if (!state.TryGetValue(producer.Name, out int s))
                    {
                        state[producer.Name] = 1;
                        stack.Push((producer, 0));
                    }
                    else if (s == 1)
                        throw OnnxExportException.For(producer, "the path from the inputs to the outputs goes through a cycle (a TF1 while loop), which the exporter does not translate yet.");
                    continue;
                }
                state[node.Name] = 2;
                order.Add(node);
                bool isDynamic = s_neverFold.Contains(node.Op)
                    || node.Inputs.Any(r => _inputSet.Contains(r) || dyn.Contains(r.NodeName));
                if (isDynamic) dyn.Add(node.Name);
                else if (node.Op == "Placeholder")
                    throw OnnxExportException.For(node, $"the outputs need this placeholder, but it is not among the inputs; add '{node.Name}:0' to the inputs.");
            }
        }
        return order;
    }

    // ---- probe run -----------------------------------------------------------------------------------------------

    /// <summary>
    /// Runs the session once: inputs get probe values (dynamic dims = <see cref="OnnxExportOptions.ProbeDimension"/>),
    /// fetches are every tensor a translated node reads plus the outputs. Static fetches become constants; the rest
    /// tell converters dtypes and ranks.
    /// </summary>
    private void Probe(List<Node> order, HashSet<string> dynamic)
    {
        var fetch = new List<TensorRef>();
        var seen = new HashSet<TensorRef>();
        foreach (var node in order)
        {
            if (!dynamic.Contains(node.Name) || _deadNodes.Contains(node.Name)) continue;
            foreach (var r in node.Inputs)
                if (!_inputSet.Contains(r) && !IsDead(r) && seen.Add(r)) fetch.Add(r);
        }
        foreach (var r in _outputs)
            if (seen.Add(r)) fetch.Add(r);
        var feeds = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var rng = new Random(12345);
        foreach (var r in _inputs)
        {
            var (dtype, dims) = InputSignature(r);
            var shape = TensorShape.FromLongs(dims.Select(d => d < 0 ? (long)_options.ProbeDimension : d).ToArray());
            var t = Tensor.Zeros(dtype, shape);
            if (dtype == DataType.DtFloat) foreach (ref var v in t.AsSpan<float>()) v = (float)(0.25 + rng.NextDouble());
            if (dtype == DataType.DtDouble) foreach (ref var v in t.AsSpan<double>()) v = 0.25 + rng.NextDouble();
            feeds[r.ToString()] = t;
            _probe[r] = t;
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
        for (int i = 0; i < fetch.Count; i++)
        {
            _probe[fetch[i]] = results[i];
            if (!dynamic.Contains(fetch[i].NodeName))
                _values[fetch[i]] = new Value { DType = results[i].DType, Rank = results[i].Shape.Rank, Const = results[i] };
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
        _g.Input.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } });
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
        _g.Output.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = value.Rank >= 0 ? shape : null } } });
    }
}
