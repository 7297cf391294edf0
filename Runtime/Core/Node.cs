using Google.Protobuf;
using TypedGraph.Protos;

namespace TypedGraph;

/// <summary>One operation of a <see cref="Graph"/>: a view over its <see cref="NodeDef"/> with inputs parsed.</summary>
public sealed class Node
{
    internal Node(NodeDef def, int id)
    {
        Def = def;
        Id = id;
        var inputs = new List<TensorRef>();
        var controls = new List<string>();
        foreach (var input in def.Input)
        {
            if (input.StartsWith('^')) controls.Add(input[1..]);
            else if (input.Length == 0) throw new GraphFormatException($"Node '{def.Name}' ({def.Op}) has an empty input name (input {inputs.Count + controls.Count}).");
            else inputs.Add(TensorRef.Parse(input));
        }
        _inputs = inputs;
        _controls = controls;
    }

    private readonly List<TensorRef> _inputs;
    private readonly List<string> _controls;

    /// <summary>The underlying proto (owned by the graph; do not mutate).</summary>
    public NodeDef Def { get; }

    /// <summary>Position in <see cref="Graph.Nodes"/>.</summary>
    public int Id { get; }

    /// <summary>Unique node name, e.g. <c>"conv1/weights"</c>.</summary>
    public string Name => Def.Name;

    /// <summary>Op type, e.g. <c>"MatMul"</c>.</summary>
    public string Op => Def.Op;

    /// <summary>Requested device (may be empty).</summary>
    public string Device => Def.Device;

    /// <summary>Data inputs in order.</summary>
    public IReadOnlyList<TensorRef> Inputs => _inputs;

    /// <summary>Names of nodes that must run first (<c>^name</c> inputs).</summary>
    public IReadOnlyList<string> ControlInputs => _controls;

    // Graph-building only (TF's Operation._update_input / _add_control_input): a while loop's Merge gets its
    // NextIteration back edge after the body exists, and gradient loops order stack pushes before the forward
    // counter. Called through Graph so the graph's version moves.
    internal void SetInput(int index, TensorRef input)
    {
        int seen = -1;
        for (int k = 0; k < Def.Input.Count; k++)
        {
            if (Def.Input[k].StartsWith('^')) continue;
            if (++seen != index) continue;
            Def.Input[k] = input.Index == 0 ? input.NodeName : $"{input.NodeName}:{input.Index}";
            _inputs[index] = input;
            return;
        }
        throw new ArgumentOutOfRangeException(nameof(index), $"Node '{Name}' has no data input {index}.");
    }

    internal void AddControlInput(string node)
    {
        if (_controls.Contains(node)) return;
        Def.Input.Add("^" + node);
        _controls.Add(node);
    }

    /// <summary>The attribute named <paramref name="name"/>, or null.</summary>
    public AttrValue? Attr(string name) => Def.Attr.TryGetValue(name, out var v) ? v : null;

    /// <summary>True when the attribute exists.</summary>
    public bool HasAttr(string name) => Def.Attr.ContainsKey(name);

    /// <summary>An int attr, or <paramref name="fallback"/> when absent.</summary>
    public long GetInt(string name, long? fallback = null) => Attr(name) is { ValueCase: AttrValue.ValueOneofCase.I } a ? a.I : fallback ?? throw Missing(name, "int");

    /// <summary>A float attr, or <paramref name="fallback"/> when absent.</summary>
    public float GetFloat(string name, float? fallback = null) => Attr(name) is { ValueCase: AttrValue.ValueOneofCase.F } a ? a.F : fallback ?? throw Missing(name, "float");

    /// <summary>A bool attr, or <paramref name="fallback"/> when absent.</summary>
    public bool GetBool(string name, bool? fallback = null) => Attr(name) is { ValueCase: AttrValue.ValueOneofCase.B } a ? a.B : fallback ?? throw Missing(name, "bool");

    /// <summary>A string attr (UTF-8), or <paramref name="fallback"/> when absent.</summary>
    public string GetString(string name, string? fallback = null) => Attr(name) is { ValueCase: AttrValue.ValueOneofCase.S } a ? a.S.ToStringUtf8() : fallback ?? throw Missing(name, "string");

    /// <summary>A type attr, or <paramref name="fallback"/> when absent.</summary>
    public DataType GetType(string name, DataType? fallback = null) => Attr(name) is { ValueCase: AttrValue.ValueOneofCase.Type } a ? a.Type : fallback ?? throw Missing(name, "type");

    /// <summary>A shape attr, or null when absent.</summary>
    public TensorShapeProto? GetShape(string name) => Attr(name) is { ValueCase: AttrValue.ValueOneofCase.Shape } a ? a.Shape : null;

    /// <summary>A tensor attr (e.g. Const's <c>value</c>).</summary>
    public TensorProto GetTensor(string name) => Attr(name) is { ValueCase: AttrValue.ValueOneofCase.Tensor } a ? a.Tensor : throw Missing(name, "tensor");

    /// <summary>A list(int) attr, or <paramref name="fallback"/> when absent.</summary>
    public long[] GetInts(string name, long[]? fallback = null) => Attr(name) is { ValueCase: AttrValue.ValueOneofCase.List } a ? a.List.I.ToArray() : fallback ?? throw Missing(name, "list(int)");

    /// <summary>A list(type) attr, or <paramref name="fallback"/> when absent.</summary>
    public DataType[] GetTypes(string name, DataType[]? fallback = null) => Attr(name) is { ValueCase: AttrValue.ValueOneofCase.List } a ? a.List.Type.ToArray() : fallback ?? throw Missing(name, "list(type)");

    /// <summary>A list(string) attr, or <paramref name="fallback"/> when absent.</summary>
    public string[] GetStrings(string name, string[]? fallback = null) => Attr(name) is { ValueCase: AttrValue.ValueOneofCase.List } a ? a.List.S.Select(s => s.ToStringUtf8()).ToArray() : fallback ?? throw Missing(name, "list(string)");

    private GraphFormatException Missing(string attr, string kind) => new($"Node '{Name}' (op {Op}) has no {kind} attr '{attr}'.");

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({Op})";
}
