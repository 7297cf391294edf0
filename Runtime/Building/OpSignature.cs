using System.Globalization;
using Google.Protobuf;
using TypedGraph.Protos;

namespace TypedGraph.Building;

/// <summary>
/// Parses a compact op signature in the spirit of TF's <c>REGISTER_OP(...).Input(...).Attr(...)</c> into an
/// <see cref="OpDef"/>, so the catalogue of op definitions reads like TF's <c>*_ops.cc</c> files:
/// <c>MatMul(a: T, b: T) -> (product: T); T: {float, double, int32}; transpose_a: bool = false</c>.
/// </summary>
/// <remarks>
/// Args: <c>name: T</c> (type attr), <c>name: N * T</c> (number attr), <c>name: float</c> (fixed type),
/// <c>name: Tlist</c> (list(type) attr), <c>name: Ref(T)</c> (ref). Attrs: <c>name: type</c>,
/// <c>name: {float, int32}</c> (type with allowed values), <c>name: {'SAME', 'VALID'}</c> (string with allowed
/// values), <c>name: int >= 1</c>, <c>name: list(int) = [1, 1]</c>, <c>name: string = 'NHWC'</c>,
/// <c>name: bool = false</c>, <c>name: float = 0.5</c>, <c>name: shape</c>, <c>name: tensor</c>.
/// Flags after the attrs: <c>!stateful</c>, <c>!aggregate</c>, <c>!commutative</c>, <c>!uninit</c>.
/// </remarks>
internal static class OpSignature
{
    /// <summary>Named sets of allowed types, as TF's <c>numbertype</c>, <c>realnumbertype</c>….</summary>
    private static readonly Dictionary<string, string> s_typeSets = new(StringComparer.Ordinal)
    {
        ["realnumbertype"] = "float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64",
        ["numbertype"] = "float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, uint16, complex128, half, uint32, uint64",
        ["floating"] = "half, bfloat16, float, double",
        ["floatcomplex"] = "half, bfloat16, float, double, complex64, complex128",
        ["index"] = "int32, int64",
        ["intfloat"] = "int32, int64, half, float, double",
    };

    /// <summary>Parses <paramref name="signature"/>.</summary>
    /// <exception cref="FormatException">The signature is malformed (a bug in the catalogue).</exception>
    public static OpDef Parse(string signature)
    {
        var parts = SplitTop(signature, ';').Select(p => p.Trim()).Where(p => p.Length > 0).ToList();
        var head = parts[0];
        int open = head.IndexOf('(');
        var op = new OpDef { Name = head[..open].Trim() };
        int close = MatchParen(head, open);
        var inputs = head[(open + 1)..close];
        var rest = head[(close + 1)..].Trim();
        var outputs = "";
        if (rest.StartsWith("->", StringComparison.Ordinal))
        {
            rest = rest[2..].Trim();
            outputs = rest.StartsWith('(') ? rest[1..MatchParen(rest, 0)] : rest;
        }
        var attrs = new List<(string Name, string Spec)>();
        foreach (var p in parts.Skip(1))
        {
            if (p[0] == '!')
            {
                switch (p)
                {
                    case "!stateful": op.IsStateful = true; break;
                    case "!aggregate": op.IsAggregate = true; break;
                    case "!commutative": op.IsCommutative = true; break;
                    case "!uninit": op.AllowsUninitializedInput = true; break;
                    default: throw new FormatException($"{op.Name}: unknown flag {p}");
                }
                continue;
            }
            int colon = p.IndexOf(':');
            var spec = p[(colon + 1)..].Trim();
            var word = spec.Split(' ')[0];
            if (s_typeSets.ContainsKey(word)) spec = "{" + word + "}" + spec[word.Length..]; // "T: numbertype" = "T: {numbertype}"
            attrs.Add((p[..colon].Trim(), spec));
        }
        var attrKinds = attrs.ToDictionary(a => a.Name, a => AttrKind(a.Spec), StringComparer.Ordinal);
        foreach (var a in SplitTop(inputs, ',').Where(s => s.Trim().Length > 0)) op.InputArg.Add(ParseArg(a, attrKinds, op.Name));
        foreach (var a in SplitTop(outputs, ',').Where(s => s.Trim().Length > 0)) op.OutputArg.Add(ParseArg(a, attrKinds, op.Name));
        foreach (var (name, spec) in attrs) op.Attr.Add(ParseAttr(name, spec, op.Name));
        return op;
    }

    private static string AttrKind(string spec)
    {
        if (spec.StartsWith('{')) return spec.Contains('\'') ? "string" : "type";
        int end = spec.IndexOfAny([' ', '=', '>']);
        return end < 0 ? spec : spec[..end];
    }

    private static OpDef.Types.ArgDef ParseArg(string text, Dictionary<string, string> attrKinds, string op)
    {
        int colon = text.IndexOf(':');
        var arg = new OpDef.Types.ArgDef { Name = text[..colon].Trim() };
        var type = text[(colon + 1)..].Trim();
        if (type.StartsWith("Ref(", StringComparison.Ordinal))
        {
            arg.IsRef = true;
            type = type[4..^1].Trim();
        }
        int star = type.IndexOf('*');
        if (star >= 0)
        {
            arg.NumberAttr = type[..star].Trim();
            type = type[(star + 1)..].Trim();
        }
        if (attrKinds.TryGetValue(type, out var kind))
        {
            if (kind == "type") arg.TypeAttr = type;
            else if (kind == "list(type)") arg.TypeListAttr = type;
            else throw new FormatException($"{op}: arg {arg.Name} uses attr {type} of kind {kind}");
        }
        else arg.Type = ParseType(type, op);
        return arg;
    }

    private static OpDef.Types.AttrDef ParseAttr(string name, string spec, string op)
    {
        var attr = new OpDef.Types.AttrDef { Name = name };
        string? dflt = null;
        int eq = IndexOfTop(spec, '=');
        if (eq >= 0)
        {
            dflt = spec[(eq + 1)..].Trim();
            spec = spec[..eq].Trim();
        }
        if (spec.StartsWith('{'))
        {
            var items = spec[1..^1].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            var list = new AttrValue.Types.ListValue();
            if (items.Length > 0 && items[0].StartsWith('\''))
            {
                attr.Type = "string";
                foreach (var s in items) list.S.Add(ByteString.CopyFromUtf8(s.Trim('\'')));
            }
            else
            {
                attr.Type = "type";
                foreach (var t in items.SelectMany(ExpandTypeSet)) list.Type.Add(ParseType(t, op));
            }
            attr.AllowedValues = new AttrValue { List = list };
        }
        else
        {
            int ge = spec.IndexOf(">=", StringComparison.Ordinal);
            if (ge >= 0)
            {
                attr.HasMinimum = true;
                attr.Minimum = long.Parse(spec[(ge + 2)..].Trim(), CultureInfo.InvariantCulture);
                spec = spec[..ge].Trim();
            }
            attr.Type = spec;
        }
        if (dflt != null) attr.DefaultValue = ParseValue(attr.Type, dflt, op);
        return attr;
    }

    private static IEnumerable<string> ExpandTypeSet(string item)
        => s_typeSets.TryGetValue(item, out var set) ? set.Split(',', StringSplitOptions.TrimEntries) : [item];

    private static AttrValue ParseValue(string type, string text, string op)
    {
        switch (type)
        {
            case "bool": return new AttrValue { B = text == "true" };
            case "int": return new AttrValue { I = long.Parse(text, CultureInfo.InvariantCulture) };
            case "float": return new AttrValue { F = float.Parse(text, CultureInfo.InvariantCulture) };
            case "string": return new AttrValue { S = ByteString.CopyFromUtf8(text.Trim('\'')) };
            case "type": return new AttrValue { Type = ParseType(text, op) };
            case "shape": return new AttrValue { Shape = new TensorShapeProto { UnknownRank = text == "unknown" } };
            case "list(int)":
            {
                var l = new AttrValue.Types.ListValue();
                foreach (var s in text.Trim('[', ']').Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                    l.I.Add(long.Parse(s, CultureInfo.InvariantCulture));
                return new AttrValue { List = l };
            }
            case "list(string)":
            case "list(type)":
            case "list(shape)":
            case "list(float)":
                if (text != "[]") throw new FormatException($"{op}: only empty list defaults are supported for {type}");
                return new AttrValue { List = new AttrValue.Types.ListValue() };
            default: throw new FormatException($"{op}: cannot parse a default for attr type {type}");
        }
    }

    /// <summary>Parses a Python-style dtype name (<c>float</c>, <c>int32</c>, <c>string</c>…).</summary>
    /// <exception cref="FormatException">Unknown name.</exception>
    public static DataType ParseType(string name, string context = "") => name switch
    {
        "float" => DataType.DtFloat,
        "double" => DataType.DtDouble,
        "int32" => DataType.DtInt32,
        "uint8" => DataType.DtUint8,
        "int16" => DataType.DtInt16,
        "int8" => DataType.DtInt8,
        "string" => DataType.DtString,
        "complex64" => DataType.DtComplex64,
        "int64" => DataType.DtInt64,
        "bool" => DataType.DtBool,
        "qint8" => DataType.DtQint8,
        "quint8" => DataType.DtQuint8,
        "qint32" => DataType.DtQint32,
        "qint16" => DataType.DtQint16,
        "quint16" => DataType.DtQuint16,
        "bfloat16" => DataType.DtBfloat16,
        "uint16" => DataType.DtUint16,
        "complex128" => DataType.DtComplex128,
        "half" => DataType.DtHalf,
        "resource" => DataType.DtResource,
        "variant" => DataType.DtVariant,
        "uint32" => DataType.DtUint32,
        "uint64" => DataType.DtUint64,
        _ => throw new FormatException($"{context}: unknown type '{name}'"),
    };

    private static int MatchParen(string s, int open)
    {
        int depth = 0;
        for (int i = open; i < s.Length; i++)
        {
            if (s[i] == '(') depth++;
            else if (s[i] == ')' && --depth == 0) return i;
        }
        throw new FormatException($"Unbalanced parentheses in '{s}'");
    }

    private static int IndexOfTop(string s, char c)
    {
        int depth = 0;
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] is '(' or '[' or '{') depth++;
            else if (s[i] is ')' or ']' or '}') depth--;
            else if (s[i] == c && depth == 0 && (i == 0 || s[i - 1] != '>')) return i;
        }
        return -1;
    }

    private static List<string> SplitTop(string s, char sep)
    {
        var result = new List<string>();
        int depth = 0, start = 0;
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] is '(' or '[' or '{') depth++;
            else if (s[i] is ')' or ']' or '}') depth--;
            else if (s[i] == sep && depth == 0)
            {
                result.Add(s[start..i]);
                start = i + 1;
            }
        }
        result.Add(s[start..]);
        return result;
    }
}
