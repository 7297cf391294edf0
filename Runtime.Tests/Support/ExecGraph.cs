using Google.Protobuf;
using TypedGraph.Protos;

namespace TypedGraph.Tests.Support;

/// <summary>Builds small graphs NodeDef by NodeDef, the way TF writes them, for executor tests.</summary>
public sealed class ExecGraph
{
    private readonly GraphDef _def = new() { Versions = new VersionDef { Producer = 27 } };
    private Graph? _graph;

    /// <summary>The graph built from the nodes added so far (nodes may reference later ones, as loops need).</summary>
    public Graph Graph => _graph ??= new Graph(_def);

    /// <summary>Adds a node; inputs use TF's spelling (<c>"a"</c>, <c>"a:1"</c>, <c>"^a"</c>).</summary>
    public string Op(string name, string op, string[] inputs, params (string Key, AttrValue Value)[] attrs)
    {
        var nd = new NodeDef { Name = name, Op = op };
        nd.Input.AddRange(inputs);
        foreach (var (k, v) in attrs) nd.Attr[k] = v;
        if (_graph != null) _graph.AddNode(nd);
        else _def.Node.Add(nd);
        return name;
    }

    /// <summary>A Const node holding <paramref name="value"/>.</summary>
    public string Const(string name, Tensor value, params string[] controlInputs)
        => Op(name, "Const", controlInputs.Select(c => "^" + c).ToArray(), ("dtype", Type(value.DType)), ("value", new AttrValue { Tensor = TensorProtos.FromTensor(value) }));

    /// <summary>A Placeholder; <paramref name="shape"/> null means unknown rank, -1 an unknown dim.</summary>
    public string Placeholder(string name, DataType dtype, long[]? shape = null)
        => Op(name, "Placeholder", [], ("dtype", Type(dtype)), ("shape", Shape(shape)));

    /// <summary>A VariableV2 of the given dtype and shape.</summary>
    public string Variable(string name, DataType dtype, params long[] shape)
        => Op(name, "VariableV2", [], ("dtype", Type(dtype)), ("shape", Shape(shape)), ("container", Str("")), ("shared_name", Str("")));

    public static AttrValue Type(DataType t) => new() { Type = t };
    public static AttrValue Int(long v) => new() { I = v };
    public static AttrValue Float(float v) => new() { F = v };
    public static AttrValue Bool(bool v) => new() { B = v };
    public static AttrValue Str(string s) => new() { S = ByteString.CopyFromUtf8(s) };
    public static AttrValue Ints(params long[] v) { var a = new AttrValue { List = new AttrValue.Types.ListValue() }; a.List.I.AddRange(v); return a; }
    public static AttrValue Types(params DataType[] v) { var a = new AttrValue { List = new AttrValue.Types.ListValue() }; a.List.Type.AddRange(v); return a; }

    public static AttrValue Shape(long[]? dims)
    {
        var p = new TensorShapeProto();
        if (dims == null) p.UnknownRank = true;
        else foreach (var d in dims) p.Dim.Add(new TensorShapeProto.Types.Dim { Size = d });
        return new AttrValue { Shape = p };
    }

    public static (string, AttrValue) T(DataType t) => ("T", Type(t));
}
