using Google.Protobuf;

namespace TypedGraph.Benchmarks.Peers;

/// <summary>
/// A tiny writer of ONNX <c>ModelProto</c> bytes (field numbers from onnx/onnx.proto), enough to build the
/// benchmark models for ONNX Runtime without Python or an ONNX package: float tensors, nodes with
/// int/ints/float/string attrs, graph inputs/outputs with fixed shapes.
/// </summary>
internal sealed class OnnxModel
{
    private readonly List<byte[]> _nodes = [];
    private readonly List<byte[]> _initializers = [];
    private readonly List<byte[]> _inputs = [];
    private readonly List<byte[]> _outputs = [];
    private int _nodeCount;

    /// <summary>Adds a graph input of float type and the given shape.</summary>
    public OnnxModel Input(string name, params long[] shape)
    {
        _inputs.Add(ValueInfo(name, shape));
        return this;
    }

    /// <summary>Adds a graph output of float type and the given shape.</summary>
    public OnnxModel Output(string name, params long[] shape)
    {
        _outputs.Add(ValueInfo(name, shape));
        return this;
    }

    /// <summary>Adds a constant float tensor (weights).</summary>
    public OnnxModel Initializer(string name, float[] data, params long[] shape)
    {
        _initializers.Add(Message(o =>
        {
            foreach (var d in shape) { o.WriteTag(1, WireFormat.WireType.Varint); o.WriteInt64(d); }
            o.WriteTag(2, WireFormat.WireType.Varint); o.WriteInt32(1); // FLOAT
            o.WriteTag(8, WireFormat.WireType.LengthDelimited); o.WriteString(name);
            var raw = new byte[data.Length * 4];
            Buffer.BlockCopy(data, 0, raw, 0, raw.Length);
            o.WriteTag(9, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(raw));
        }));
        return this;
    }

    /// <summary>Adds an int64 constant tensor (e.g. a Reshape target shape).</summary>
    public OnnxModel Int64Initializer(string name, long[] data)
    {
        _initializers.Add(Message(o =>
        {
            o.WriteTag(1, WireFormat.WireType.Varint); o.WriteInt64(data.Length);
            o.WriteTag(2, WireFormat.WireType.Varint); o.WriteInt32(7); // INT64
            o.WriteTag(8, WireFormat.WireType.LengthDelimited); o.WriteString(name);
            var raw = new byte[data.Length * 8];
            Buffer.BlockCopy(data, 0, raw, 0, raw.Length);
            o.WriteTag(9, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(raw));
        }));
        return this;
    }

    /// <summary>Adds a node; attrs are (name, value) with value an int, long, float, string or long[].</summary>
    public OnnxModel Node(string opType, string[] inputs, string[] outputs, params (string Name, object Value)[] attrs)
    {
        _nodes.Add(Message(o =>
        {
            foreach (var i in inputs) { o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(i); }
            foreach (var x in outputs) { o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteString(x); }
            o.WriteTag(3, WireFormat.WireType.LengthDelimited); o.WriteString($"n{_nodeCount++}");
            o.WriteTag(4, WireFormat.WireType.LengthDelimited); o.WriteString(opType);
            foreach (var (name, value) in attrs)
            {
                o.WriteTag(5, WireFormat.WireType.LengthDelimited);
                o.WriteBytes(ByteString.CopyFrom(Message(a =>
                {
                    a.WriteTag(1, WireFormat.WireType.LengthDelimited); a.WriteString(name);
                    switch (value)
                    {
                        case float f: a.WriteTag(2, WireFormat.WireType.Fixed32); a.WriteFloat(f); a.WriteTag(20, WireFormat.WireType.Varint); a.WriteInt32(1); break;
                        case int i: a.WriteTag(3, WireFormat.WireType.Varint); a.WriteInt64(i); a.WriteTag(20, WireFormat.WireType.Varint); a.WriteInt32(2); break;
                        case long l: a.WriteTag(3, WireFormat.WireType.Varint); a.WriteInt64(l); a.WriteTag(20, WireFormat.WireType.Varint); a.WriteInt32(2); break;
                        case string s: a.WriteTag(4, WireFormat.WireType.LengthDelimited); a.WriteString(s); a.WriteTag(20, WireFormat.WireType.Varint); a.WriteInt32(3); break;
                        case long[] ls:
                            foreach (var l in ls) { a.WriteTag(8, WireFormat.WireType.Varint); a.WriteInt64(l); }
                            a.WriteTag(20, WireFormat.WireType.Varint); a.WriteInt32(7);
                            break;
                        default: throw new ArgumentException($"attr {name}: unsupported value {value}");
                    }
                })));
            }
        }));
        return this;
    }

    /// <summary>The serialized ModelProto (IR version 8, default-domain opset 13).</summary>
    public byte[] ToBytes() => Message(o =>
    {
        o.WriteTag(1, WireFormat.WireType.Varint); o.WriteInt64(8);
        o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteString("TypedGraph.Benchmarks");
        o.WriteTag(7, WireFormat.WireType.LengthDelimited);
        o.WriteBytes(ByteString.CopyFrom(Message(g =>
        {
            foreach (var n in _nodes) { g.WriteTag(1, WireFormat.WireType.LengthDelimited); g.WriteBytes(ByteString.CopyFrom(n)); }
            g.WriteTag(2, WireFormat.WireType.LengthDelimited); g.WriteString("bench");
            foreach (var t in _initializers) { g.WriteTag(5, WireFormat.WireType.LengthDelimited); g.WriteBytes(ByteString.CopyFrom(t)); }
            foreach (var i in _inputs) { g.WriteTag(11, WireFormat.WireType.LengthDelimited); g.WriteBytes(ByteString.CopyFrom(i)); }
            foreach (var x in _outputs) { g.WriteTag(12, WireFormat.WireType.LengthDelimited); g.WriteBytes(ByteString.CopyFrom(x)); }
        })));
        o.WriteTag(8, WireFormat.WireType.LengthDelimited);
        o.WriteBytes(ByteString.CopyFrom(Message(s =>
        {
            s.WriteTag(1, WireFormat.WireType.LengthDelimited); s.WriteString("");
            s.WriteTag(2, WireFormat.WireType.Varint); s.WriteInt64(13);
        })));
    });

    private static byte[] ValueInfo(string name, long[] shape) => Message(o =>
    {
        o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(name);
        o.WriteTag(2, WireFormat.WireType.LengthDelimited);
        o.WriteBytes(ByteString.CopyFrom(Message(type =>
        {
            type.WriteTag(1, WireFormat.WireType.LengthDelimited);
            type.WriteBytes(ByteString.CopyFrom(Message(tensor =>
            {
                tensor.WriteTag(1, WireFormat.WireType.Varint); tensor.WriteInt32(1); // FLOAT
                tensor.WriteTag(2, WireFormat.WireType.LengthDelimited);
                tensor.WriteBytes(ByteString.CopyFrom(Message(sh =>
                {
                    foreach (var d in shape)
                    {
                        sh.WriteTag(1, WireFormat.WireType.LengthDelimited);
                        sh.WriteBytes(ByteString.CopyFrom(Message(dim => { dim.WriteTag(1, WireFormat.WireType.Varint); dim.WriteInt64(d); })));
                    }
                })));
            })));
        })));
    });

    private static byte[] Message(Action<CodedOutputStream> write)
    {
        using var ms = new MemoryStream();
        var o = new CodedOutputStream(ms);
        write(o);
        o.Flush();
        return ms.ToArray();
    }
}
