using Google.Protobuf;
using TypedGraph.Protos;

namespace TypedGraph.Generator.Tests.Support;

/// <summary>
/// Small graphs built with our own protos (the real TF message layout) for generator tests: the
/// save/restore tutorial and hand-made edge cases. Each node gets <c>_output_shapes</c> like TF's export.
/// </summary>
public sealed class TestGraphs
{
    private readonly GraphDef _graph = new() { Versions = new VersionDef { Producer = 24 } };
    private readonly Dictionary<string, OpDef> _ops = new(StringComparer.Ordinal);

    /// <summary>Adds a node; <paramref name="outputShapes"/> null = no <c>_output_shapes</c> attr.</summary>
    public NodeDef Node(string name, string op, string[] inputs, DataType? t = null, long[][]? outputShapes = null, string typeAttr = "T")
    {
        var n = new NodeDef { Name = name, Op = op };
        n.Input.AddRange(inputs);
        if (t != null) n.Attr[typeAttr] = new AttrValue { Type = t.Value };
        if (outputShapes != null)
        {
            var list = new AttrValue.Types.ListValue();
            foreach (var s in outputShapes) list.Shape.Add(Shape(s));
            n.Attr["_output_shapes"] = new AttrValue { List = list };
        }
        _graph.Node.Add(n);
        return n;
    }

    /// <summary>A placeholder with a declared shape (null = unknown rank).</summary>
    public NodeDef Placeholder(string name, DataType dtype, long[]? shape, string op = "Placeholder", params string[] inputs)
    {
        var n = Node(name, op, inputs, dtype, shape == null ? null : [shape], "dtype");
        n.Attr["shape"] = new AttrValue { Shape = shape == null ? new TensorShapeProto { UnknownRank = true } : Shape(shape) };
        return n;
    }

    /// <summary>Declares an op in the stripped op list: outputs as (name, typeAttr or fixed type, isRef).</summary>
    public TestGraphs Op(string name, params (string Name, string? TypeAttr, DataType Type, bool IsRef)[] outputs)
    {
        var def = new OpDef { Name = name };
        foreach (var o in outputs)
            def.OutputArg.Add(new OpDef.Types.ArgDef { Name = o.Name, TypeAttr = o.TypeAttr ?? "", Type = o.Type, IsRef = o.IsRef });
        _ops[name] = def;
        return this;
    }

    /// <summary>The graph as a MetaGraphDef.</summary>
    public MetaGraphDef Meta(bool withSaver = true)
    {
        var info = new MetaGraphDef.Types.MetaInfoDef { TensorflowVersion = "1.4.1", MetaGraphVersion = "v1.4.0", StrippedOpList = new OpList() };
        foreach (var op in _ops.Values.OrderBy(o => o.Name, StringComparer.Ordinal)) info.StrippedOpList.Op.Add(op);
        var meta = new MetaGraphDef { MetaInfoDef = info, GraphDef = _graph };
        if (withSaver)
            meta.SaverDef = new SaverDef { FilenameTensorName = "save/Const:0", SaveTensorName = "save/control_dependency:0", RestoreOpName = "save/restore_all", MaxToKeep = 5, Version = SaverDef.Types.CheckpointFormatVersion.V2 };
        return meta;
    }

    /// <summary>The bare GraphDef (as a frozen <c>.pb</c> is).</summary>
    public GraphDef GraphDef => _graph;

    /// <summary>Writes <paramref name="message"/> to a fresh temp file named <paramref name="fileName"/>.</summary>
    public static string Write(IMessage message, string fileName)
    {
        var dir = Path.Combine(Path.GetTempPath(), "typedgraph-gen-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, fileName);
        File.WriteAllBytes(path, message.ToByteArray());
        return path;
    }

    /// <summary>A TensorShapeProto; -1 = unknown dim.</summary>
    public static TensorShapeProto Shape(long[] dims)
    {
        var s = new TensorShapeProto();
        foreach (var d in dims) s.Dim.Add(new TensorShapeProto.Types.Dim { Size = d });
        return s;
    }

    /// <summary>
    /// The tutorial: placeholders w1, w2 (float scalars), variable bias = 2.0 with TF's
    /// Initializer/Assign/read nodes, <c>op_to_restore = (w1 + w2) * bias</c>, an init op and the
    /// Saver's <c>save/…</c> nodes that must stay hidden.
    /// </summary>
    public static TestGraphs Tutorial()
    {
        var g = new TestGraphs()
            .Op("Placeholder", ("output", "dtype", DataType.DtInvalid, false))
            .Op("VariableV2", ("ref", "dtype", DataType.DtInvalid, true))
            .Op("Const", ("output", "dtype", DataType.DtInvalid, false))
            .Op("Assign", ("output_ref", "T", DataType.DtInvalid, true))
            .Op("Identity", ("output", "T", DataType.DtInvalid, false))
            .Op("Add", ("z", "T", DataType.DtInvalid, false))
            .Op("Mul", ("z", "T", DataType.DtInvalid, false))
            .Op("NoOp")
            .Op("RestoreV2");
        long[] scalar = [];
        g.Placeholder("w1", DataType.DtFloat, scalar);
        g.Placeholder("w2", DataType.DtFloat, scalar);
        var init = g.Node("bias/Initializer/initial_value", "Const", [], DataType.DtFloat, [scalar], "dtype");
        init.Attr["value"] = new AttrValue { Tensor = new TensorProto { Dtype = DataType.DtFloat, TensorShape = new TensorShapeProto(), FloatVal = { 2f } } };
        var v = g.Node("bias", "VariableV2", [], DataType.DtFloat, [scalar], "dtype");
        v.Attr["shape"] = new AttrValue { Shape = new TensorShapeProto() };
        g.Node("bias/Assign", "Assign", ["bias", "bias/Initializer/initial_value"], DataType.DtFloat, [scalar]);
        g.Node("bias/read", "Identity", ["bias"], DataType.DtFloat, [scalar]);
        g.Node("Add", "Add", ["w1", "w2"], DataType.DtFloat, [scalar]);
        g.Node("op_to_restore", "Mul", ["Add", "bias/read"], DataType.DtFloat, [scalar]);
        g.Node("init", "NoOp", ["^bias/Assign"]);
        var sc = g.Node("save/Const", "Const", [], DataType.DtString, [scalar], "dtype");
        sc.Attr["value"] = new AttrValue { Tensor = new TensorProto { Dtype = DataType.DtString, TensorShape = new TensorShapeProto(), StringVal = { ByteString.CopyFromUtf8("model") } } };
        g.Node("save/restore_all", "NoOp", ["^save/Const"]);
        return g;
    }
}
