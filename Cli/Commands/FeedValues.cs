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
/// as NumPy does. Any other <c>@file</c> fed to a string placeholder is the file's raw bytes as one scalar string
/// (<c>--feed wav_data=@clip.wav</c>, <c>--feed image_bytes=@photo.jpg</c>), as <c>tf.io.read_file</c> reads it.
/// </summary>
internal static class FeedValues
{
    /// <summary>Parses one feed value for <paramref name="tensorName"/>.</summary>
    /// <exception cref="UsageException">The text is not a value of a usable shape.</exception>
    public static Tensor Parse(Graph graph, string tensorName, string text)
    {
        if (text.StartsWith('@')) return FromFile(text[1..], graph, tensorName);
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
                case JsonValueKind.Number when ScalarValues.IsIntegral(dtype) && dtype != DataType.DtBool:
                    SetInteger(t, i, l.GetRawText(), tensorName);
                    break;
                case JsonValueKind.Number: SetReal(t, i, l.GetRawText(), tensorName); break;
                default: throw new UsageException($"--feed {tensorName}: element {i} ({l.GetRawText()}) is not a {DataTypes.Name(dtype)}");
            }
        }
        return t;
    }

    /// <summary>
    /// Stores a JSON number into an integer tensor only when it is a whole number inside the dtype's range:
    /// <c>99999999999999999999</c> must not become <c>long.MaxValue</c> and <c>1.7</c> must not become 1 (issue 9 item 6).
    /// Whole numbers written with a fraction or exponent (<c>2.0</c>, <c>1e3</c>) are accepted.
    /// </summary>
    private static void SetInteger(Tensor t, int i, string raw, string tensorName)
    {
        string typeName = DataTypes.Name(t.DType);
        if (!decimal.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out decimal d))
            throw new UsageException($"--feed {tensorName}: element {i} ({raw}) is out of range for {typeName}");
        if (d != decimal.Truncate(d))
            throw new UsageException($"--feed {tensorName}: element {i} ({raw}) is not an integer, but the feed is {typeName}");
        var (min, max) = IntegerRange(t.DType);
        if (d < min || d > max)
            throw new UsageException($"--feed {tensorName}: element {i} ({raw}) is out of range for {typeName} [{min}, {max}]");
        if (t.DType == DataType.DtUint64) t.AsSpan<ulong>()[i] = (ulong)d;
        else ScalarValues.SetLong(t, i, (long)d);
    }

    private static (decimal Min, decimal Max) IntegerRange(DataType dtype) => dtype switch
    {
        DataType.DtInt8 or DataType.DtQint8 => (sbyte.MinValue, sbyte.MaxValue),
        DataType.DtUint8 or DataType.DtQuint8 => (byte.MinValue, byte.MaxValue),
        DataType.DtInt16 or DataType.DtQint16 => (short.MinValue, short.MaxValue),
        DataType.DtUint16 or DataType.DtQuint16 => (ushort.MinValue, ushort.MaxValue),
        DataType.DtInt32 or DataType.DtQint32 => (int.MinValue, int.MaxValue),
        DataType.DtUint32 => (uint.MinValue, uint.MaxValue),
        DataType.DtUint64 => (ulong.MinValue, ulong.MaxValue),
        _ => (long.MinValue, long.MaxValue),
    };

    /// <summary>
    /// Stores a JSON number into a floating-point tensor, refusing numbers whose magnitude the dtype cannot hold
    /// (<c>1e39</c> in a float32 feed would silently become +Inf). Rounding to the nearest representable value is fine.
    /// </summary>
    private static void SetReal(Tensor t, int i, string raw, string tensorName)
    {
        string typeName = DataTypes.Name(t.DType);
        double v = double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture);
        double max = t.DType switch
        {
            DataType.DtFloat or DataType.DtBfloat16 or DataType.DtComplex64 => float.MaxValue,
            DataType.DtHalf => (double)Half.MaxValue,
            _ => double.MaxValue,
        };
        if (!double.IsFinite(v) || Math.Abs(v) > max)
            throw new UsageException($"--feed {tensorName}: element {i} ({raw}) is out of range for {typeName}");
        if (t.DType is DataType.DtComplex64 or DataType.DtComplex128)
            throw new UsageException($"--feed {tensorName}: {typeName} feeds must be given as @file.npy");
        ScalarValues.SetDouble(t, i, v);
    }

    private static Tensor FromFile(string path, Graph graph, string tensorName)
    {
        if (path.EndsWith(".tfrecord", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".tfrecords", StringComparison.OrdinalIgnoreCase))
        {
            if (!File.Exists(path)) throw new UsageException($"--feed: TFRecord file '{path}' not found");
            var records = TfRecord.ReadAll(path);
            return new Tensor(new TensorShape(records.Count), records.ToArray());
        }
        if (IsRawFileFeed(path, graph, tensorName)) return new Tensor(TensorShape.Scalar, [File.ReadAllBytes(path)]);
        return NpyBytes.TryRead(path) ?? Npy.Read(path);
    }

    // Any other file fed to a string placeholder is its raw contents as one scalar string, what tf.io.read_file gives
    // and what a serving client sends: the WAV bytes of speech_commands' wav_data input (label_wav.py feeds f.read()),
    // an encoded image for DecodeJpeg/DecodePng. A .npy (by name or NumPy magic) keeps its array meaning.
    private static bool IsRawFileFeed(string path, Graph graph, string tensorName)
    {
        if (DeclaredType(graph, tensorName) != DataType.DtString || !File.Exists(path)) return false;
        if (path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase)) return false;
        using var f = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[6];
        return f.ReadAtLeast(magic, 6, throwOnEndOfStream: false) < 6 || magic[0] != 0x93 || !magic[1..].SequenceEqual("NUMPY"u8);
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
