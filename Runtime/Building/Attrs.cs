using Google.Protobuf;
using TypedGraph.Protos;

namespace TypedGraph.Building;

/// <summary>Small factories for <see cref="AttrValue"/>s and shape protos, so op code reads like TF's.</summary>
public static class Attrs
{
    /// <summary>A type attr.</summary>
    public static AttrValue Type(DataType t) => new() { Type = DataTypes.BaseType(t) };

    /// <summary>A bool attr.</summary>
    public static AttrValue Bool(bool b) => new() { B = b };

    /// <summary>An int attr.</summary>
    public static AttrValue Int(long i) => new() { I = i };

    /// <summary>A float attr.</summary>
    public static AttrValue Float(float f) => new() { F = f };

    /// <summary>A string attr (UTF-8).</summary>
    public static AttrValue String(string s) => new() { S = ByteString.CopyFromUtf8(s) };

    /// <summary>A list(int) attr.</summary>
    public static AttrValue Ints(params long[] values)
    {
        var l = new AttrValue.Types.ListValue();
        l.I.Add(values);
        return new AttrValue { List = l };
    }

    /// <summary>A list(string) attr.</summary>
    public static AttrValue Strings(params string[] values)
    {
        var l = new AttrValue.Types.ListValue();
        foreach (var v in values) l.S.Add(ByteString.CopyFromUtf8(v));
        return new AttrValue { List = l };
    }

    /// <summary>A list(type) attr.</summary>
    public static AttrValue Types(IEnumerable<DataType> values)
    {
        var l = new AttrValue.Types.ListValue();
        foreach (var v in values) l.Type.Add(DataTypes.BaseType(v));
        return new AttrValue { List = l };
    }

    /// <summary>A shape attr; null = unknown rank, -1 = unknown dim.</summary>
    public static AttrValue Shape(long[]? dims) => new() { Shape = ShapeProto(dims) };

    /// <summary>A tensor attr.</summary>
    public static AttrValue Tensor(TensorProto t) => new() { Tensor = t };

    /// <summary>The colocation attr <c>_class = ["loc:@name"]</c>.</summary>
    public static AttrValue Colocate(string nodeName) => Strings("loc:@" + nodeName);

    /// <summary>A TensorShapeProto; null = unknown rank, -1 = unknown dim.</summary>
    public static TensorShapeProto ShapeProto(IReadOnlyList<long>? dims)
    {
        var p = new TensorShapeProto();
        if (dims == null)
        {
            p.UnknownRank = true;
            return p;
        }
        foreach (var d in dims) p.Dim.Add(new TensorShapeProto.Types.Dim { Size = d });
        return p;
    }

    /// <summary>The dims of a shape proto; null for unknown rank.</summary>
    public static long[]? Dims(TensorShapeProto? p) => p == null || p.UnknownRank ? null : p.Dim.Select(d => d.Size).ToArray();
}
