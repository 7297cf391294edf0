using System.Globalization;
using System.Text;
using System.Text.Json;
using TypedGraph.Formats;
using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Cli.Commands;

/// <summary>
/// Turns <c>--feed</c> values into tensors: <c>@file.npy</c>, or a JSON literal (<c>3</c>, <c>[1, 2]</c>,
/// <c>[[1, 2], [3, 4]]</c>, <c>true</c>, <c>"text"</c>) converted to the dtype the graph declares for the fed
/// tensor (Placeholder's <c>dtype</c>; float32 when the graph does not say). For string placeholders a
/// bare word is taken as the string itself. <c>@file.tfrecord</c> (or <c>.tfrecords</c>) feeds the file's records as a
/// string vector — serialized <c>tf.Example</c>s for a ParseExample input; a <c>.npy</c> of fixed-width bytes
/// (NumPy dtype <c>|S</c>n, as <c>np.array([ex.SerializeToString(), …])</c> saves) feeds its elements, trailing NULs removed
/// as NumPy does.
/// </summary>
internal static class FeedValues
{
    /// <summary>Parses one feed value for <paramref name="tensorName"/>.</summary>
    /// <exception cref="UsageException">The text is not a value of a usable shape.</exception>
    public static Tensor Parse(Graph graph, string tensorName, string text)
    {
        if (text.StartsWith('@')) return FromFile(text[1..]);
        var dtype = DeclaredType(graph, tensorName);
        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(text);
            root = doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            if (dtype == DataType.DtString) return Tensor.FromString(text);
            throw new UsageException($"--feed {tensorName}: '{text}' is neither @file.npy nor a JSON number, bool, string or nested list");
        }
        var shape = new List<int>();
        ShapeOf(root, shape, tensorName);
        var leaves = new List<JsonElement>();
        Flatten(root, 0, shape, leaves, tensorName);
        var tshape = new TensorShape([.. shape]);
        if (dtype == DataType.DtString)
            return new Tensor(tshape, leaves.Select(l => Encoding.UTF8.GetBytes(l.ValueKind == JsonValueKind.String ? l.GetString()! : l.GetRawText())).ToArray());
        var t = Tensor.Zeros(dtype, tshape);
        for (int i = 0; i < leaves.Count; i++)
        {
            var l = leaves[i];
            switch (l.ValueKind)
            {
                case JsonValueKind.True or JsonValueKind.False: ScalarValues.SetLong(t, i, l.GetBoolean() ? 1 : 0); break;
                case JsonValueKind.Number when ScalarValues.IsIntegral(dtype) && l.TryGetInt64(out long v):
                    ScalarValues.SetLong(t, i, v);
                    // SetLong wraps like a C++ cast; a typed literal that does not fit is a mistake, not a wish.
                    if (ScalarValues.GetLong(t, i) != v)
                        throw new UsageException($"--feed {tensorName}: element {i} ({v}) does not fit in {DataTypes.Name(dtype)}");
                    break;
                case JsonValueKind.Number: ScalarValues.SetDouble(t, i, l.GetDouble()); break;
                default: throw new UsageException($"--feed {tensorName}: element {i} ({l.GetRawText()}) is not a {DataTypes.Name(dtype)}");
            }
        }
        return t;
    }

    private static Tensor FromFile(string path)
    {
        if (path.EndsWith(".tfrecord", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".tfrecords", StringComparison.OrdinalIgnoreCase))
        {
            if (!File.Exists(path)) throw new UsageException($"--feed: TFRecord file '{path}' not found");
            var records = TfRecord.ReadAll(path);
            return new Tensor(new TensorShape(records.Count), records.ToArray());
        }
        return NpyBytes.TryRead(path) ?? Npy.Read(path);
    }

    private static DataType DeclaredType(Graph graph, string tensorName)
    {
        var node = graph.FindNode(TensorRef.Parse(tensorName).NodeName);
        if (node == null) return DataType.DtFloat; // the session reports the unknown name with suggestions
        var t = node.GetType("dtype", node.GetType("T", DataType.DtFloat));
        return DataTypes.BaseType(t);
    }

    private static void ShapeOf(JsonElement e, List<int> shape, string name)
    {
        if (e.ValueKind != JsonValueKind.Array) return;
        shape.Add(e.GetArrayLength());
        if (e.GetArrayLength() > 0) ShapeOf(e[0], shape, name);
    }

    private static void Flatten(JsonElement e, int depth, List<int> shape, List<JsonElement> leaves, string name)
    {
        if (depth == shape.Count)
        {
            if (e.ValueKind == JsonValueKind.Array) throw new UsageException($"--feed {name}: the nested lists are ragged");
            leaves.Add(e);
            return;
        }
        if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() != shape[depth])
            throw new UsageException($"--feed {name}: the nested lists are ragged (expected {shape[depth]} items at depth {depth})");
        foreach (var c in e.EnumerateArray()) Flatten(c, depth + 1, shape, leaves, name);
    }

    /// <summary>Writes a tensor's values as (nested) JSON arrays.</summary>
    public static void WriteValues(Utf8JsonWriter w, Tensor t)
    {
        int index = 0;
        void Write(int depth)
        {
            if (depth == t.Shape.Rank)
            {
                WriteElement(w, t, index++);
                return;
            }
            w.WriteStartArray();
            for (int i = 0; i < t.Shape[depth]; i++) Write(depth + 1);
            w.WriteEndArray();
        }
        Write(0);
    }

    private static void WriteElement(Utf8JsonWriter w, Tensor t, int i)
    {
        switch (t.DType)
        {
            case DataType.DtString: w.WriteStringValue(Encoding.UTF8.GetString(t.Strings[i])); break;
            case DataType.DtBool: w.WriteBooleanValue(t.AsSpan<bool>()[i]); break;
            case DataType.DtFloat:
            {
                float f = t.AsSpan<float>()[i];
                if (float.IsFinite(f)) w.WriteNumberValue(f);
                else w.WriteStringValue(f.ToString(CultureInfo.InvariantCulture));
                break;
            }
            default:
                if (ScalarValues.IsIntegral(t.DType) && t.DType != DataType.DtUint64) w.WriteNumberValue(ScalarValues.GetLong(t, i));
                else if (DataTypes.IsNumeric(t.DType) && t.DType is not (DataType.DtComplex64 or DataType.DtComplex128))
                {
                    double d = ScalarValues.GetDouble(t, i);
                    if (double.IsFinite(d)) w.WriteNumberValue(d);
                    else w.WriteStringValue(d.ToString(CultureInfo.InvariantCulture));
                }
                else w.WriteStringValue(t.ToString());
                break;
        }
    }
}
