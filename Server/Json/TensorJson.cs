using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using TypedGraph.Protos;
using TypedGraph.Server.Http;

namespace TypedGraph.Server.Json;

/// <summary>Which of the two request layouts a predict request used; the response uses the matching one.</summary>
public enum PredictFormat
{
    /// <summary><c>"instances"</c> in, <c>"predictions"</c> out.</summary>
    Row,
    /// <summary><c>"inputs"</c> in, <c>"outputs"</c> out.</summary>
    Columnar,
}

/// <summary>A parsed predict request: the signature (empty = default) and one tensor per named input.</summary>
public sealed record PredictRequest(string SignatureName, PredictFormat Format, IReadOnlyDictionary<string, Tensor> Inputs);

/// <summary>
/// JSON ↔ tensors for TF Serving's REST predict API, following tensorflow_serving/util/json_tensor.cc:
/// row format (<c>instances</c>: a list of values, or of objects keyed by input name, batched on a new first
/// dimension) and columnar format (<c>inputs</c>: a value, or an object keyed by input name), dtypes taken
/// from the signature's TensorInfo, <c>{"b64": …}</c> for DT_STRING, and responses in the request's layout
/// with <c>_bytes</c>-suffixed string outputs base64-encoded. Error messages are TF Serving's.
/// </summary>
public static class TensorJson
{
    private const string Base64Key = "b64";
    private const string BytesSuffix = "_bytes";

    /// <summary>The signature name of a request document (<c>FillSignature</c>), "" when absent.</summary>
    /// <exception cref="ServingException">INVALID_ARGUMENT: the value is not a string.</exception>
    public static string SignatureName(JsonValue doc)
    {
        var v = doc.Find("signature_name");
        if (v == null) return "";
        if (v.Kind != JsonKind.String)
            throw ServingException.InvalidArgument($"JSON Value: {doc} not formatted correctly. 'signature_name' key must be a string value.");
        return v.String;
    }

    /// <summary>Parses a predict body against the signature inputs <paramref name="inputInfos"/> (<c>FillPredictRequestFromJson</c>).</summary>
    /// <exception cref="ServingException">INVALID_ARGUMENT (layout, types, shapes) or UNIMPLEMENTED (a dtype JSON cannot carry).</exception>
    public static PredictRequest ParsePredict(JsonValue doc, string signatureName, IReadOnlyDictionary<string, TensorInfo> inputInfos)
    {
        if (inputInfos.Count == 0)
            throw ServingException.InvalidArgument($"Failed to get input map for signature: {(signatureName.Length == 0 ? "DEFAULT" : signatureName)}");
        var instances = doc.Find("instances");
        var inputs = doc.Find("inputs");
        if (instances != null)
        {
            if (inputs != null)
                throw ServingException.InvalidArgument($"JSON Value: {doc} Not formatted correctly expecting only one of 'inputs' or 'instances' keys to exist ");
            if (instances.Kind != JsonKind.Array)
                throw ServingException.InvalidArgument($"JSON Value: {doc} Excepting 'instances' to be an list/array");
            if (instances.Items.Count == 0)
                throw ServingException.InvalidArgument($"JSON Value: {doc} No values in 'instances' array");
            return new PredictRequest(signatureName, PredictFormat.Row, FromInstances(instances, inputInfos));
        }
        if (inputs != null) return new PredictRequest(signatureName, PredictFormat.Columnar, FromInputs(inputs, inputInfos));
        throw ServingException.InvalidArgument("Missing 'inputs' or 'instances' key");
    }

    private static bool IsBase64Object(JsonValue v)
        => v.Kind == JsonKind.Object && v.Members.Count == 1 && v.Members[0].Key == Base64Key && v.Members[0].Value.Kind == JsonKind.String;

    private static bool IsElementObject(JsonValue v) => v.Kind == JsonKind.Object && !IsBase64Object(v);

    // FillTensorMapFromInstancesList.
    private static Dictionary<string, Tensor> FromInstances(JsonValue instances, IReadOnlyDictionary<string, TensorInfo> infos)
    {
        var first = instances.Items[0];
        if (first.Kind != JsonKind.Object && infos.Count > 1)
            throw ServingException.InvalidArgument("instances is a plain list, but expecting list of objects as multiple input tensors required as per tensorinfo_map");
        bool objects = IsElementObject(first);
        var names = infos.Keys.Order(StringComparer.Ordinal).ToList();
        var sinks = new Dictionary<string, ElementSink>(StringComparer.Ordinal);
        var shapes = new Dictionary<string, int[]>(StringComparer.Ordinal);
        int count = 0;
        foreach (var elem in instances.Items)
        {
            if (objects)
            {
                if (!IsElementObject(elem))
                    throw ServingException.InvalidArgument($"Expecting object but got list at item {count} of input list");
                var keys = new SortedSet<string>(StringComparer.Ordinal);
                foreach (var (name, value) in elem.Members)
                {
                    keys.Add(name);
                    try
                    {
                        AddInstanceItem(value, name, infos, sinks, shapes);
                    }
                    catch (ServingException e)
                    {
                        throw ServingException.InvalidArgument($"Failed to process element: {count} key: {name} of 'instances' list. Error: {StatusText(e)}");
                    }
                }
                if (!keys.SequenceEqual(names))
                    throw ServingException.InvalidArgument($"Failed to process element: {count} of 'instances' list. JSON object: {elem} keys must be equal to: {string.Join(",", names)}");
            }
            else
            {
                if (IsElementObject(elem))
                    throw ServingException.InvalidArgument($"Expecting value/list but got object at item {count} of input list");
                var name = names[0];
                try
                {
                    AddInstanceItem(elem, name, infos, sinks, shapes);
                }
                catch (ServingException e)
                {
                    throw ServingException.InvalidArgument($"Failed to process element: {count} of 'instances' list. Error: {StatusText(e)}");
                }
            }
            count++;
        }
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, sink) in sinks)
            result[name] = sink.ToTensor(new TensorShape([count, .. shapes[name]]));
        return result;
    }

    // TF's Status::ToString of an INVALID_ARGUMENT status, which the instances errors embed.
    private static string StatusText(ServingException e) => e.Code switch
    {
        ErrorCode.InvalidArgument => "INVALID_ARGUMENT: ",
        ErrorCode.Unimplemented => "UNIMPLEMENTED: ",
        _ => "",
    } + e.Message;

    // AddInstanceItem: one instance's value for one input; every instance must give the same shape.
    private static void AddInstanceItem(JsonValue item, string name, IReadOnlyDictionary<string, TensorInfo> infos,
        Dictionary<string, ElementSink> sinks, Dictionary<string, int[]> shapes)
    {
        if (!infos.TryGetValue(name, out var info))
            throw ServingException.InvalidArgument($"JSON object: does not have named input: {name}");
        var shape = DenseShape(item);
        if (!sinks.TryGetValue(name, out var sink)) sinks[name] = sink = new ElementSink(info.Dtype);
        int before = sink.Count;
        Fill(item, 0, shape, sink);
        int size = sink.Count - before;
        if (!shapes.TryGetValue(name, out var expected))
        {
            shapes[name] = shape;
            return;
        }
        int expectedSize = 1;
        foreach (var d in expected) expectedSize *= d;
        if (expectedSize != size)
            throw ServingException.InvalidArgument($"Expecting tensor size: {expectedSize} but got: {size}");
        if (!expected.AsSpan().SequenceEqual(shape))
            throw ServingException.InvalidArgument($"Expecting shape [{string.Join(",", expected)}] but got: [{string.Join(",", shape)}]");
    }

    // FillTensorMapFromInputsMap.
    private static Dictionary<string, Tensor> FromInputs(JsonValue val, IReadOnlyDictionary<string, TensorInfo> infos)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        if (val.Kind != JsonKind.Object || IsBase64Object(val))
        {
            if (infos.Count > 1)
                throw ServingException.InvalidArgument("inputs is a plain value/list, but expecting an object as multiple input tensors required as per tensorinfo_map");
            var (name, info) = infos.First();
            result[name] = ToTensor(val, info.Dtype);
            return result;
        }
        foreach (var (name, info) in infos.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var item = val.Find(name) ?? throw ServingException.InvalidArgument($"Missing named input: {name} in 'inputs' object.");
            result[name] = ToTensor(item, info.Dtype);
        }
        return result;
    }

    private static Tensor ToTensor(JsonValue val, DataType dtype)
    {
        var shape = DenseShape(val);
        var sink = new ElementSink(dtype);
        Fill(val, 0, shape, sink);
        return sink.ToTensor(new TensorShape(shape));
    }

    // GetDenseTensorShape: the sizes of the first list at each level.
    private static int[] DenseShape(JsonValue val)
    {
        var dims = new List<int>();
        while (val.Kind == JsonKind.Array)
        {
            dims.Add(val.Items.Count);
            if (val.Items.Count == 0) break;
            val = val.Items[0];
        }
        return [.. dims];
    }

    // FillTensorProto: values only at the leaf level (= rank), every list of its level's size.
    private static void Fill(JsonValue val, int level, int[] shape, ElementSink sink)
    {
        int rank = shape.Length;
        if (val.Kind != JsonKind.Array)
        {
            if (level != rank)
                throw ServingException.InvalidArgument($"JSON Value: {val} found at incorrect level: {level + 1} in the JSON DOM. Expected at level: {rank}");
            sink.Add(val);
            return;
        }
        if (level >= rank)
            throw ServingException.InvalidArgument($"Encountered list at unexpected level: {level} expected < {rank}");
        if (val.Items.Count != shape[level])
            throw ServingException.InvalidArgument($"Encountered list at unexpected size: {val.Items.Count} at level: {level} expected size: {shape[level]}");
        foreach (var v in val.Items) Fill(v, level + 1, shape, sink);
    }

    /// <summary>TF's <c>DataTypeString</c> (C++ names: <c>float</c>, <c>double</c>, <c>half</c>, …).</summary>
    public static string TfTypeName(DataType dtype) => DataTypes.BaseType(dtype) switch
    {
        DataType.DtFloat => "float",
        DataType.DtDouble => "double",
        DataType.DtHalf => "half",
        var t => DataTypes.Name(t),
    };

    /// <summary>Accumulates JSON leaves as elements of one dtype (AddValueToTensor's checks).</summary>
    private sealed class ElementSink(DataType dtype)
    {
        private readonly DataType _dtype = DataTypes.BaseType(dtype);
        private readonly List<byte[]> _strings = [];
        private byte[] _bytes = new byte[64];
        private int _count;

        public int Count => _count;

        public void Add(JsonValue v)
        {
            if (v.Kind == JsonKind.Object)
            {
                if (_dtype != DataType.DtString) throw TypeError(v);
                _strings.Add(DecodeBase64(v));
                _count++;
                return;
            }
            switch (_dtype)
            {
                case DataType.DtFloat:
                    if (v.Kind != JsonKind.Number) throw TypeError(v);
                    if (!IsLossless(v, 24, float.MaxValue)) throw LossyError(v, "float");
                    Write((float)v.Double);
                    break;
                case DataType.DtDouble:
                    if (v.Kind != JsonKind.Number) throw TypeError(v);
                    if (!IsLossless(v, 53, double.MaxValue)) throw LossyError(v, "double");
                    Write(v.Double);
                    break;
                case DataType.DtInt32: Write((int)Integer(v, int.MinValue, int.MaxValue)); break;
                case DataType.DtInt16: Write((short)Integer(v, short.MinValue, short.MaxValue)); break;
                case DataType.DtInt8: Write((sbyte)Integer(v, sbyte.MinValue, sbyte.MaxValue)); break;
                case DataType.DtUint8: Write((byte)Integer(v, byte.MinValue, byte.MaxValue)); break;
                case DataType.DtInt64:
                    if (v.Int64 is not { } l) throw TypeError(v);
                    Write(l);
                    break;
                case DataType.DtUint32:
                    if (v.UInt64 is not { } u32 || u32 > uint.MaxValue) throw TypeError(v);
                    Write((uint)u32);
                    break;
                case DataType.DtUint64:
                    if (v.UInt64 is not { } u64) throw TypeError(v);
                    Write(u64);
                    break;
                case DataType.DtBool:
                    if (v.Kind != JsonKind.Bool) throw TypeError(v);
                    Write(v.Bool);
                    break;
                case DataType.DtString:
                    if (v.Kind != JsonKind.String) throw TypeError(v);
                    _strings.Add(Encoding.UTF8.GetBytes(v.String));
                    _count++;
                    return;
                default:
                    throw new ServingException(ErrorCode.Unimplemented, $"Conversion of JSON Value: {v} to type: {TfTypeName(_dtype)}");
            }
        }

        // rapidjson IsInt for the int32 family; narrower dtypes must also fit (TF would truncate silently).
        private long Integer(JsonValue v, long min, long max)
        {
            if (v.Int64 is not { } l || l < int.MinValue || l > int.MaxValue) throw TypeError(v);
            if (l < min || l > max)
                throw ServingException.InvalidArgument($"JSON Value: {v} does not fit in type: {TfTypeName(_dtype)} (range {min}..{max})");
            return l;
        }

        // IsLosslessDecimal: integers up to 2^digits-1, decimals within the type's finite range; non-finite always.
        private static bool IsLossless(JsonValue v, int digits, double max)
        {
            if (!double.IsFinite(v.Double)) return true;
            long maxInt = (1L << digits) - 1;
            if (v.UInt64 is { } u) return u <= (ulong)maxInt;
            if (v.Int64 is { } l) return Math.Abs(l) <= maxInt;
            return v.Double <= max && v.Double >= -max;
        }

        private void Write<T>(T value) where T : unmanaged
        {
            int size = Unsafe.SizeOf<T>();
            if ((_count + 1) * size > _bytes.Length) Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, (_count + 1) * size));
            MemoryMarshal.Write(_bytes.AsSpan(_count * size), in value);
            _count++;
        }

        private ServingException TypeError(JsonValue v)
            => ServingException.InvalidArgument($"JSON Value: {v} Type: {v.TypeName} is not of expected type: {TfTypeName(_dtype)}");

        private static ServingException LossyError(JsonValue v, string target)
            => ServingException.InvalidArgument($"Cannot convert JSON value: {v} to {target} without loss of precision.");

        public Tensor ToTensor(TensorShape shape)
        {
            if (shape.NumElements != _count)
                throw ServingException.InvalidArgument($"Expecting {shape.NumElements} values for a tensor of shape {shape}, got {_count}");
            if (_dtype == DataType.DtString) return new Tensor(shape, [.. _strings]);
            if (!DataTypes.IsNumeric(_dtype))
                throw new ServingException(ErrorCode.Unimplemented, $"Conversion of JSON to type: {TfTypeName(_dtype)}");
            int size = DataTypes.ElementSize(_dtype);
            var t = Tensor.Zeros(_dtype, shape);
            _bytes.AsSpan(0, _count * size).CopyTo(t.Bytes);
            return t;
        }
    }

    /// <summary>Decodes <c>{"b64": "…"}</c> (JsonDecodeBase64Object).</summary>
    /// <exception cref="ServingException">INVALID_ARGUMENT: not such an object, or not base64.</exception>
    public static byte[] DecodeBase64(JsonValue v)
    {
        if (!IsBase64Object(v))
            throw ServingException.InvalidArgument($"JSON Value: {v} not formatted correctly for base64 data");
        var text = v.Members[0].Value.String;
        // absl::Base64Unescape accepts the standard alphabet with or without padding.
        var padded = text.Length % 4 == 0 ? text : text + new string('=', 4 - text.Length % 4);
        try
        {
            return Convert.FromBase64String(padded);
        }
        catch (FormatException)
        {
            throw ServingException.InvalidArgument("Unable to base64 decode");
        }
    }

    /// <summary>Writes predict outputs in the request's layout (MakeJsonFromTensors).</summary>
    /// <exception cref="ServingException">INVALID_ARGUMENT: row layout with a scalar or inconsistent batch sizes, or an
    /// output dtype JSON cannot carry.</exception>
    public static string WritePredictResponse(IReadOnlyDictionary<string, Tensor> outputs, PredictFormat format)
    {
        if (outputs.Count == 0) throw ServingException.InvalidArgument("Cannot convert empty tensor map to JSON");
        // TF Serving's proto Map iterates in key order for these small maps; sort so responses are stable.
        var sorted = outputs.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        var sb = new StringBuilder();
        bool objects = sorted.Count > 1;
        if (format == PredictFormat.Row)
        {
            int batch = -1;
            foreach (var (name, t) in sorted)
            {
                if (t.Shape.Rank == 0) throw ServingException.InvalidArgument($"Tensor name: {name} has no shape information ");
                if (batch >= 0 && batch != t.Shape[0])
                    throw ServingException.InvalidArgument($"Tensor name: {name} has inconsistent batch size: {t.Shape[0]} expecting: {batch}");
                batch = t.Shape[0];
            }
            var offsets = new long[sorted.Count];
            sb.Append("{\n    \"predictions\": [");
            for (int item = 0; item < batch; item++)
            {
                sb.Append(item == 0 ? "" : ",").Append("\n        ");
                if (objects) sb.Append('{');
                for (int k = 0; k < sorted.Count; k++)
                {
                    var (name, t) = sorted[k];
                    if (objects)
                    {
                        if (k > 0) sb.Append(", ");
                        JsonText.AppendQuoted(sb, name);
                        sb.Append(": ");
                    }
                    AppendValues(sb, t, IsBytes(name, t), 1, ref offsets[k]);
                }
                if (objects) sb.Append('}');
            }
            sb.Append("\n    ]\n}");
        }
        else
        {
            sb.Append("{\n    \"outputs\": ");
            if (objects) sb.Append('{');
            for (int k = 0; k < sorted.Count; k++)
            {
                var (name, t) = sorted[k];
                if (objects)
                {
                    sb.Append(k > 0 ? ",\n        " : "\n        ");
                    JsonText.AppendQuoted(sb, name);
                    sb.Append(": ");
                }
                long offset = 0;
                AppendValues(sb, t, IsBytes(name, t), 0, ref offset);
            }
            if (objects) sb.Append("\n    }");
            sb.Append("\n}");
        }
        return sb.ToString();
    }

    private static bool IsBytes(string name, Tensor t) => t.DType == DataType.DtString && name.EndsWith(BytesSuffix, StringComparison.Ordinal);

    // AddTensorValues: nested lists from dimension `dim` on; a scalar is written bare.
    private static void AppendValues(StringBuilder sb, Tensor t, bool bytes, int dim, ref long offset)
    {
        if (dim > t.Shape.Rank - 1)
        {
            AppendScalar(sb, t, bytes, offset++);
            return;
        }
        sb.Append('[');
        for (int i = 0; i < t.Shape[dim]; i++)
        {
            if (i > 0) sb.Append(", ");
            AppendValues(sb, t, bytes, dim + 1, ref offset);
        }
        sb.Append(']');
    }

    private static void AppendScalar(StringBuilder sb, Tensor t, bool bytes, long i)
    {
        int k = checked((int)i);
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        switch (t.DType)
        {
            case DataType.DtFloat: sb.Append(JsonText.Decimal(t.AsSpan<float>()[k])); break;
            case DataType.DtDouble: sb.Append(JsonText.Decimal(t.AsSpan<double>()[k])); break;
            case DataType.DtHalf: sb.Append(JsonText.Decimal((float)t.AsSpan<Half>()[k])); break;
            case DataType.DtInt32: sb.Append(t.AsSpan<int>()[k].ToString(inv)); break;
            case DataType.DtInt16: sb.Append(t.AsSpan<short>()[k].ToString(inv)); break;
            case DataType.DtInt8: sb.Append(t.AsSpan<sbyte>()[k].ToString(inv)); break;
            case DataType.DtUint8: sb.Append(t.AsSpan<byte>()[k].ToString(inv)); break;
            case DataType.DtInt64: sb.Append(t.AsSpan<long>()[k].ToString(inv)); break;
            case DataType.DtUint32: sb.Append(t.AsSpan<uint>()[k].ToString(inv)); break;
            case DataType.DtUint64: sb.Append(t.AsSpan<ulong>()[k].ToString(inv)); break;
            case DataType.DtBool: sb.Append(t.AsSpan<bool>()[k] ? "true" : "false"); break;
            case DataType.DtString:
                var s = t.Strings[k];
                if (bytes)
                {
                    sb.Append("{\"b64\": \"").Append(Convert.ToBase64String(s)).Append("\"}");
                }
                else JsonText.AppendQuoted(sb, Encoding.UTF8.GetString(s));
                break;
            default:
                throw ServingException.InvalidArgument($"Failed to write JSON value for tensor type: {TfTypeName(t.DType)}");
        }
    }
}
