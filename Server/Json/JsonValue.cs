using System.Globalization;
using System.Text;

namespace TypedGraph.Server.Json;

/// <summary>The kind of a parsed JSON value (rapidjson's types, which TF Serving's messages name).</summary>
public enum JsonKind
{
    /// <summary><c>null</c>.</summary>
    Null,
    /// <summary><c>true</c> or <c>false</c>.</summary>
    Bool,
    /// <summary>A number, including the <c>NaN</c>/<c>Infinity</c> tokens TF Serving accepts.</summary>
    Number,
    /// <summary>A string.</summary>
    String,
    /// <summary>An array.</summary>
    Array,
    /// <summary>An object (members kept in document order).</summary>
    Object,
}

/// <summary>
/// A parsed JSON value. TF Serving parses requests with rapidjson and <c>kParseNanAndInfFlag</c>
/// (json_tensor.cc ParseJson), so <c>NaN</c>, <c>Infinity</c> and <c>-Infinity</c> are numbers here too, and a
/// number remembers whether it was written as an integer (rapidjson's IsInt/IsInt64/IsUint64 vs IsDouble),
/// which decides whether it may fill an integer tensor or an int64 feature.
/// </summary>
public sealed class JsonValue
{
    private JsonValue(JsonKind kind) => Kind = kind;

    /// <summary>The value's kind.</summary>
    public JsonKind Kind { get; }

    /// <summary>The boolean (Bool only).</summary>
    public bool Bool { get; private init; }

    /// <summary>The string (String only).</summary>
    public string String { get; private init; } = "";

    /// <summary>The number as a double (Number only).</summary>
    public double Double { get; private init; }

    /// <summary>The number as an int64 when it was written as an integer that fits (rapidjson IsInt64).</summary>
    public long? Int64 { get; private init; }

    /// <summary>The number as a uint64 when it was written as a non-negative integer that fits (IsUint64).</summary>
    public ulong? UInt64 { get; private init; }

    /// <summary>True for a number written with a fraction or exponent, or a non-finite token (rapidjson IsDouble).</summary>
    public bool IsDouble => Kind == JsonKind.Number && Int64 == null && UInt64 == null;

    /// <summary>The number's source text (for error messages).</summary>
    public string Raw { get; private init; } = "";

    /// <summary>Array elements (Array only).</summary>
    public IReadOnlyList<JsonValue> Items { get; private init; } = [];

    /// <summary>Object members in document order (Object only).</summary>
    public IReadOnlyList<KeyValuePair<string, JsonValue>> Members { get; private init; } = [];

    /// <summary>The first member named <paramref name="name"/> (rapidjson FindMember), or null.</summary>
    public JsonValue? Find(string name)
    {
        foreach (var (k, v) in Members)
            if (k == name) return v;
        return null;
    }

    /// <summary>rapidjson's type name, as TF Serving prints it (<c>JsonTypeString</c>).</summary>
    public string TypeName => Kind switch
    {
        JsonKind.Null => "Null",
        JsonKind.Bool => Bool ? "True" : "False",
        JsonKind.Number => "Number",
        JsonKind.String => "String",
        JsonKind.Array => "Array",
        _ => "Object",
    };

    /// <summary>Compact JSON text of this value (for error messages), with NaN/Infinity as tokens.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        Append(sb, this, 0);
        return sb.ToString();
    }

    private static void Append(StringBuilder sb, JsonValue v, int depth)
    {
        if (sb.Length > 2000) { sb.Append("..."); return; }
        switch (v.Kind)
        {
            case JsonKind.Null: sb.Append("null"); break;
            case JsonKind.Bool: sb.Append(v.Bool ? "true" : "false"); break;
            case JsonKind.Number: sb.Append(v.Raw); break;
            case JsonKind.String: sb.Append(JsonText.Quote(v.String)); break;
            case JsonKind.Array:
                sb.Append('[');
                for (int i = 0; i < v.Items.Count; i++)
                {
                    if (i > 0) sb.Append(',');
                    Append(sb, v.Items[i], depth + 1);
                }
                sb.Append(']');
                break;
            default:
                sb.Append('{');
                for (int i = 0; i < v.Members.Count; i++)
                {
                    if (i > 0) sb.Append(',');
                    sb.Append(JsonText.Quote(v.Members[i].Key)).Append(':');
                    Append(sb, v.Members[i].Value, depth + 1);
                }
                sb.Append('}');
                break;
        }
    }

    /// <summary>
    /// Parses a UTF-8 document. Errors read as rapidjson's (<c>GetParseError_En</c>) with the byte offset,
    /// in TF Serving's wording: <c>JSON Parse error: &lt;reason&gt; at offset: N</c>.
    /// </summary>
    /// <exception cref="JsonParseException">Malformed JSON, or nesting deeper than <paramref name="maxDepth"/>.</exception>
    public static JsonValue Parse(ReadOnlySpan<byte> utf8, int maxDepth = 256)
    {
        if (utf8.IsEmpty) throw new JsonParseException("The document is empty.", 0);
        var p = new Parser(utf8, maxDepth);
        p.SkipWhitespace();
        if (p.AtEnd) throw new JsonParseException("The document is empty.", p.Pos);
        var v = p.ParseValue(0);
        p.SkipWhitespace();
        if (!p.AtEnd) throw new JsonParseException("The document root must not be followed by other values.", p.Pos);
        return v;
    }

    private ref struct Parser(ReadOnlySpan<byte> s, int maxDepth)
    {
        private readonly ReadOnlySpan<byte> _s = s;
        public int Pos;

        public readonly bool AtEnd => Pos >= _s.Length;

        public void SkipWhitespace()
        {
            while (Pos < _s.Length && _s[Pos] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r') Pos++;
        }

        private readonly byte Peek => Pos < _s.Length ? _s[Pos] : (byte)0;

        public JsonValue ParseValue(int depth)
        {
            if (depth > maxDepth) throw new JsonParseException($"Nesting deeper than {maxDepth} levels.", Pos);
            switch (Peek)
            {
                case (byte)'n': Literal("null"); return new JsonValue(JsonKind.Null);
                case (byte)'t': Literal("true"); return new JsonValue(JsonKind.Bool) { Bool = true };
                case (byte)'f': Literal("false"); return new JsonValue(JsonKind.Bool) { Bool = false };
                case (byte)'"': return new JsonValue(JsonKind.String) { String = ParseString() };
                case (byte)'[': return ParseArray(depth);
                case (byte)'{': return ParseObject(depth);
                default: return ParseNumber();
            }
        }

        private void Literal(string word)
        {
            for (int i = 0; i < word.Length; i++)
                if (Pos + i >= _s.Length || _s[Pos + i] != word[i]) throw new JsonParseException("Invalid value.", Pos);
            Pos += word.Length;
        }

        private JsonValue ParseArray(int depth)
        {
            Pos++;
            var items = new List<JsonValue>();
            SkipWhitespace();
            if (Peek == ']') { Pos++; return new JsonValue(JsonKind.Array) { Items = items }; }
            while (true)
            {
                SkipWhitespace();
                items.Add(ParseValue(depth + 1));
                SkipWhitespace();
                if (Peek == ',') { Pos++; continue; }
                if (Peek == ']') { Pos++; return new JsonValue(JsonKind.Array) { Items = items }; }
                throw new JsonParseException("Missing a comma or ']' after an array element.", Pos);
            }
        }

        private JsonValue ParseObject(int depth)
        {
            Pos++;
            var members = new List<KeyValuePair<string, JsonValue>>();
            SkipWhitespace();
            if (Peek == '}') { Pos++; return new JsonValue(JsonKind.Object) { Members = members }; }
            while (true)
            {
                SkipWhitespace();
                if (Peek != '"') throw new JsonParseException("Missing a name for object member.", Pos);
                var name = ParseString();
                SkipWhitespace();
                if (Peek != ':') throw new JsonParseException("Missing a colon after a name of object member.", Pos);
                Pos++;
                SkipWhitespace();
                members.Add(new(name, ParseValue(depth + 1)));
                SkipWhitespace();
                if (Peek == ',') { Pos++; continue; }
                if (Peek == '}') { Pos++; return new JsonValue(JsonKind.Object) { Members = members }; }
                throw new JsonParseException("Missing a comma or '}' after an object member.", Pos);
            }
        }

        private string ParseString()
        {
            int start = Pos;
            Pos++;
            var sb = new StringBuilder();
            int runStart = Pos;
            while (true)
            {
                if (Pos >= _s.Length) throw new JsonParseException("Missing a closing quotation mark in string.", start);
                byte c = _s[Pos];
                if (c == '"')
                {
                    AppendUtf8(sb, runStart, Pos);
                    Pos++;
                    return sb.ToString();
                }
                if (c < 0x20) throw new JsonParseException("Invalid encoding in string.", Pos);
                if (c != '\\') { Pos++; continue; }
                AppendUtf8(sb, runStart, Pos);
                Pos++;
                if (Pos >= _s.Length) throw new JsonParseException("Missing a closing quotation mark in string.", start);
                byte e = _s[Pos++];
                switch (e)
                {
                    case (byte)'"': sb.Append('"'); break;
                    case (byte)'\\': sb.Append('\\'); break;
                    case (byte)'/': sb.Append('/'); break;
                    case (byte)'b': sb.Append('\b'); break;
                    case (byte)'f': sb.Append('\f'); break;
                    case (byte)'n': sb.Append('\n'); break;
                    case (byte)'r': sb.Append('\r'); break;
                    case (byte)'t': sb.Append('\t'); break;
                    case (byte)'u': sb.Append((char)Hex4()); break;
                    default: throw new JsonParseException("Invalid escape character in string.", Pos - 1);
                }
                runStart = Pos;
            }
        }

        private int Hex4()
        {
            if (Pos + 4 > _s.Length) throw new JsonParseException("Incorrect hex digit after \\u escape in string.", Pos);
            int v = 0;
            for (int i = 0; i < 4; i++)
            {
                int d = HexDigit(_s[Pos + i]);
                if (d < 0) throw new JsonParseException("Incorrect hex digit after \\u escape in string.", Pos);
                v = v * 16 + d;
            }
            Pos += 4;
            return v;
        }

        private static int HexDigit(byte b) => b switch
        {
            >= (byte)'0' and <= (byte)'9' => b - '0',
            >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
            >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
            _ => -1,
        };

        private readonly void AppendUtf8(StringBuilder sb, int from, int to)
        {
            if (to <= from) return;
            try
            {
                sb.Append(s_strictUtf8.GetString(_s[from..to]));
            }
            catch (DecoderFallbackException)
            {
                throw new JsonParseException("Invalid encoding in string.", from);
            }
        }

        private JsonValue ParseNumber()
        {
            int start = Pos;
            bool negative = false;
            if (Peek == '-') { negative = true; Pos++; }
            // kParseNanAndInfFlag: NaN, Inf, Infinity (optionally signed).
            if (Peek is (byte)'N' or (byte)'I')
            {
                double special;
                if (Matches("NaN")) { Pos += 3; special = double.NaN; }
                else if (Matches("Infinity")) { Pos += 8; special = negative ? double.NegativeInfinity : double.PositiveInfinity; }
                else if (Matches("Inf")) { Pos += 3; special = negative ? double.NegativeInfinity : double.PositiveInfinity; }
                else throw new JsonParseException("Invalid value.", start);
                return new JsonValue(JsonKind.Number) { Double = special, Raw = Encoding.ASCII.GetString(_s[start..Pos]) };
            }
            if (Peek is < (byte)'0' or > (byte)'9') throw new JsonParseException("Invalid value.", start);
            if (Peek == '0') Pos++;
            else while (Peek is >= (byte)'0' and <= (byte)'9') Pos++;
            bool isInteger = true;
            if (Peek == '.')
            {
                isInteger = false;
                Pos++;
                if (Peek is < (byte)'0' or > (byte)'9') throw new JsonParseException("Missing fraction part in number.", Pos);
                while (Peek is >= (byte)'0' and <= (byte)'9') Pos++;
            }
            if (Peek is (byte)'e' or (byte)'E')
            {
                isInteger = false;
                Pos++;
                if (Peek is (byte)'+' or (byte)'-') Pos++;
                if (Peek is < (byte)'0' or > (byte)'9') throw new JsonParseException("Missing exponent in number.", Pos);
                while (Peek is >= (byte)'0' and <= (byte)'9') Pos++;
            }
            var raw = Encoding.ASCII.GetString(_s[start..Pos]);
            double d = double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture);
            if (double.IsInfinity(d)) throw new JsonParseException("Number too big to be stored in double.", start);
            long? i64 = null;
            ulong? u64 = null;
            if (isInteger)
            {
                if (long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) i64 = l;
                if (!negative && ulong.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var u)) u64 = u;
            }
            return new JsonValue(JsonKind.Number) { Double = d, Int64 = i64, UInt64 = u64, Raw = raw };
        }

        private readonly bool Matches(string word)
        {
            if (Pos + word.Length > _s.Length) return false;
            for (int i = 0; i < word.Length; i++)
                if (_s[Pos + i] != word[i]) return false;
            return true;
        }
    }

    private static readonly UTF8Encoding s_strictUtf8 = new(false, true);
}

/// <summary>A request body is not valid JSON; <see cref="Exception.Message"/> is rapidjson's reason.</summary>
public sealed class JsonParseException(string reason, int offset) : Exception(reason)
{
    /// <summary>Byte offset of the error in the document.</summary>
    public int Offset { get; } = offset;
}
