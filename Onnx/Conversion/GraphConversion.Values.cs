using Google.Protobuf;
using TypedGraph.Onnx.Protos;
using TypedGraph.Protos;
using OnnxType = TypedGraph.Onnx.Protos.TensorProto.Types.DataType;

namespace TypedGraph.Onnx.Conversion;

/// <summary>Value bookkeeping and node emission shared by the converters.</summary>
internal sealed partial class GraphConversion
{
    private static readonly long[] s_toNchw = [0, 3, 1, 2];
    private static readonly long[] s_toNhwc = [0, 2, 3, 1];

    /// <summary>
    /// The value of <paramref name="r"/> in the scope being written. A value of an enclosing scope (an outer-scope
    /// reference of an If branch or Loop body) is copied into this scope first, so a transpose or NHWC view made
    /// here stays here and is never referenced from the outer graph, where its name is not defined.
    /// </summary>
    private Value Get(TensorRef r)
    {
        if (_scope.Values.TryGetValue(r, out var v)) return v;
        for (var s = _scope.Parent; s != null; s = s.Parent)
            if (s.Values.TryGetValue(r, out var outer))
            {
                var copy = new Value { DType = outer.DType, Rank = outer.Rank, Const = outer.Const, Native = outer.Native, Nchw = outer.Nchw, Sequence = outer.Sequence, TensorArray = outer.TensorArray, Origin = outer.Origin ?? outer };
                _scope.Values[r] = copy;
                return copy;
            }
        throw new InvalidOperationException($"Exporter bug: tensor '{r}' was used before it was converted.");
    }

    /// <summary>The TF tensor a node reads at input <paramref name="i"/>.</summary>
    private static TensorRef InputRef(Node node, int i) => i < node.Inputs.Count ? node.Inputs[i]
        : throw OnnxExportException.For(node, $"expected at least {i + 1} inputs, found {node.Inputs.Count}.");

    private DataType DType(TensorRef r) => Get(r).DType;

    private int Rank(TensorRef r) => Get(r).Rank;

    /// <summary>The shape the tensor had in the probe run (dynamic dims there are <see cref="OnnxExportOptions.ProbeDimension"/>).</summary>
    private TensorShape ProbeShape(TensorRef r) => ProbeOf(r)?.Shape
        ?? throw new InvalidOperationException($"Exporter bug: no probe value for '{r}'.");

    /// <summary>The tensor's value in the probe run of this scope or of an enclosing one, or null.</summary>
    private Tensor? ProbeOf(TensorRef r)
    {
        for (var s = _scope; s != null; s = s.Parent)
            if (s.Probe.TryGetValue(r, out var t)) return t;
        return null;
    }

    private Tensor? ConstOf(TensorRef r) => Get(r).Const;

    /// <summary>The integer values of a static input (axes, shapes, perms); an error naming the node when it depends on the inputs.</summary>
    private long[] ConstInts(Node node, int input, string what)
    {
        var t = ConstOf(InputRef(node, input)) ?? throw OnnxExportException.For(node, $"its {what} (input {input}) depends on the model inputs; only a static {what} can be exported.");
        return t.DType switch
        {
            DataType.DtInt32 => t.ToArray<int>().Select(v => (long)v).ToArray(),
            DataType.DtInt64 => t.ToArray<long>(),
            _ => throw OnnxExportException.For(node, $"its {what} has dtype {DataTypes.Name(t.DType)}, expected int32 or int64."),
        };
    }

    private long ConstInt(Node node, int input, string what)
    {
        var v = ConstInts(node, input, what);
        return v.Length == 1 ? v[0] : throw OnnxExportException.For(node, $"its {what} must hold one value, found {v.Length}.");
    }

    /// <summary>A name no other ONNX value or node has, derived from <paramref name="hint"/>.</summary>
    private string Fresh(string hint)
    {
        var name = hint;
        for (int k = 1; !_names.Add(name); k++) name = hint + "_" + k;
        return name;
    }

    /// <summary>The ONNX name of the tensor in TF's own layout, materializing a constant or an NCHW→NHWC transpose when needed.</summary>
    private string In(TensorRef r)
    {
        var v = Get(r);
        if (v.Native != null) return v.Native;
        if (v.Const != null)
        {
            // Initializers live in the main graph (visible from every subgraph), so the origin value learns the name too.
            v.Native = Fresh(r.ToString());
            _root.Graph.Initializer.Add(OnnxTensors.FromTensor(v.Native, v.Const));
            if (v.Origin is { Native: null } o) o.Native = v.Native;
            return v.Native;
        }
        v.Native = Emit("Transpose", [v.Nchw!], Fresh(r.ToString()), Ints("perm", s_toNhwc));
        return v.Native;
    }

    private string In(Node node, int i) => In(InputRef(node, i));

    /// <summary>The ONNX name of the NCHW transpose of an NHWC tensor (cached, so a value is transposed once).</summary>
    private string InNchw(TensorRef r)
    {
        var v = Get(r);
        if (v.Nchw != null) return v.Nchw;
        if (v.Rank != 4) throw new InvalidOperationException($"Exporter bug: NCHW view of rank-{v.Rank} tensor '{r}'.");
        if (v.Const != null && v.Native == null)
        {
            v.Nchw = Fresh(r + "_nchw");
            _root.Graph.Initializer.Add(OnnxTensors.FromTensor(v.Nchw, TensorPermute.Permute(v.Const, [0, 3, 1, 2])));
            if (v.Origin is { Nchw: null } o) o.Nchw = v.Nchw;
            return v.Nchw;
        }
        v.Nchw = Emit("Transpose", [In(r)], Fresh(r + "_nchw"), Ints("perm", s_toNchw));
        return v.Nchw;
    }

    /// <summary>True when the tensor already exists in NCHW form (so staying in NCHW costs no transpose).</summary>
    private bool HasNchw(TensorRef r) => Get(r).Nchw != null;

    /// <summary>Records the ONNX value holding output <paramref name="index"/> of <paramref name="node"/> in TF layout.</summary>
    private void SetNative(Node node, int index, string onnxName) => Set(node, index).Native = onnxName;

    /// <summary>Records the ONNX value holding the NCHW transpose of NHWC output <paramref name="index"/>.</summary>
    private void SetNchw(Node node, int index, string onnxName) => Set(node, index).Nchw = onnxName;

    /// <summary>Output <paramref name="index"/> of <paramref name="node"/> is the same value as <paramref name="source"/> (Identity-like ops).</summary>
    private void Alias(Node node, int index, TensorRef source) => _values[new TensorRef(node.Name, index)] = Get(source);

    private Value Set(Node node, int index)
    {
        var r = new TensorRef(node.Name, index);
        var v = new Value();
        if (ProbeOf(r) is { } p) { v.DType = p.DType; v.Rank = p.Shape.Rank; }
        _values[r] = v;
        return v;
    }

    /// <summary>The name the TF output gets in TF layout: its TF tensor name.</summary>
    private string OutName(Node node, int index = 0) => Fresh($"{node.Name}:{index}");

    /// <summary>A helper value name for an intermediate result of converting <paramref name="node"/>.</summary>
    private string Temp(Node node, string what) => Fresh($"{node.Name}/onnx_{what}");

    /// <summary>Adds one ONNX node; returns its (single) output name.</summary>
    private string Emit(string op, IReadOnlyList<string> inputs, string output, params AttributeProto[] attrs)
    {
        EmitMulti(op, inputs, [output], attrs);
        return output;
    }

    /// <summary>Adds one ONNX node with several outputs.</summary>
    private void EmitMulti(string op, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, params AttributeProto[] attrs)
    {
        var n = new NodeProto { OpType = op, Name = Fresh(outputs[0] + "/" + op) };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        n.Attribute.AddRange(attrs);
        _scope.Graph.Node.Add(n);
    }

    /// <summary>An int64 initializer for a converter's own constant (axes, shapes, pads).</summary>
    private string Int64Const(Node node, string what, long[] values, bool scalar = false)
    {
        var name = Temp(node, what);
        _root.Graph.Initializer.Add(OnnxTensors.Int64s(name, values, scalar));
        return name;
    }

    /// <summary>A scalar initializer of the given TF dtype.</summary>
    private string ScalarConst(Node node, string what, DataType dtype, double value)
    {
        var t = Tensor.Zeros(dtype, TensorShape.Scalar);
        switch (dtype)
        {
            case DataType.DtFloat: t.AsSpan<float>()[0] = (float)value; break;
            case DataType.DtDouble: t.AsSpan<double>()[0] = value; break;
            case DataType.DtInt32: t.AsSpan<int>()[0] = (int)value; break;
            case DataType.DtInt64: t.AsSpan<long>()[0] = (long)value; break;
            default: throw OnnxExportException.For(node, $"dtype {DataTypes.Name(dtype)} is not supported here.");
        }
        var name = Temp(node, what);
        _root.Graph.Initializer.Add(OnnxTensors.FromTensor(name, t));
        return name;
    }

    /// <summary>A tensor initializer.</summary>
    private string TensorConst(Node node, string what, Tensor t)
    {
        var name = Temp(node, what);
        _root.Graph.Initializer.Add(OnnxTensors.FromTensor(name, t));
        return name;
    }

    /// <summary>The tensor cast to int64 (ONNX shape inputs), unless it already is.</summary>
    private string AsInt64(Node node, TensorRef r, string what)
    {
        if (ConstOf(r) is { } c && c.DType == DataType.DtInt32)
            return Int64Const(node, what, c.ToArray<int>().Select(v => (long)v).ToArray(), c.Shape.Rank == 0);
        var name = In(r);
        return DType(r) == DataType.DtInt64 ? name : Emit("Cast", [name], Temp(node, what), Int("to", (long)OnnxType.Int64));
    }

    private OnnxType OnnxTypeOf(Node node, DataType dtype) => OnnxTensors.ElementType(dtype)
        ?? throw OnnxExportException.For(node, $"dtype {DataTypes.Name(dtype)} has no ONNX equivalent.");

    // ---- attributes ----

    private static AttributeProto Int(string name, long v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = v };

    private static AttributeProto Float(string name, float v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = v };

    private static AttributeProto Str(string name, string v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(v) };

    private static AttributeProto Ints(string name, IEnumerable<long> v)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(v);
        return a;
    }

    private static AttributeProto GraphAttr(string name, GraphProto g) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Graph, G = g };

    private static AttributeProto TensorAttr(string name, Protos.TensorProto t) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = t };
}
