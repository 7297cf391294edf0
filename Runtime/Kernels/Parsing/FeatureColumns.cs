using Google.Protobuf;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Parsing;

/// <summary>
/// A dense feature to parse: TF's <c>FastParseExampleConfig::Dense</c>. <see cref="InnerDims"/> is the
/// dense shape without a leading <c>-1</c>; <see cref="VariableLength"/> is set when the attr's first dim is -1
/// (values padded to the longest example with the default's single element).
/// </summary>
internal sealed record DenseFeature(string Key, DataType Type, int[] InnerDims, bool VariableLength, Tensor Default)
{
    /// <summary>Elements per row (product of <see cref="InnerDims"/>), TF's <c>elements_per_stride</c>.</summary>
    public long Stride { get; } = InnerDims.Aggregate(1L, (a, d) => a * d);

    /// <summary>The configured shape as TF prints it (with the -1 of a variable-length feature).</summary>
    public string ShapeText => "[" + string.Join(", ", (VariableLength ? new[] { -1 } : []).Concat(InnerDims)) + "]";
}

/// <summary>A sparse or ragged feature to parse: its key and value dtype (and the row-splits dtype for ragged).</summary>
internal sealed record ListFeature(string Key, DataType Type, DataType SplitType = DataType.DtInt64);

/// <summary>
/// The values of one feature gathered across a batch, TF's <c>SparseBuffer</c>: flat values plus, per example
/// (or per sequence step), the running end offset.
/// </summary>
internal sealed class FeatureValues
{
    private readonly List<long>? _ints;
    private readonly List<float>? _floats;
    private readonly List<byte[]>? _bytes;

    public FeatureValues(DataType type)
    {
        Type = type;
        if (type == DataType.DtInt64) _ints = [];
        else if (type == DataType.DtFloat) _floats = [];
        else _bytes = [];
    }

    public DataType Type { get; }

    /// <summary>End offset into the values after each row (example or step).</summary>
    public List<long> Ends { get; } = [];

    public int Count => _ints?.Count ?? _floats?.Count ?? _bytes!.Count;

    /// <summary>Appends a feature's values (the caller has checked the kind matches <see cref="Type"/>).</summary>
    public void Append(Feature f)
    {
        switch (f.KindCase)
        {
            case Feature.KindOneofCase.Int64List: _ints!.AddRange(f.Int64List.Value); break;
            case Feature.KindOneofCase.FloatList: _floats!.AddRange(f.FloatList.Value); break;
            case Feature.KindOneofCase.BytesList: foreach (var b in f.BytesList.Value) _bytes!.Add(b.ToByteArray()); break;
        }
    }

    /// <summary>Closes the current row.</summary>
    public void EndRow() => Ends.Add(Count);

    /// <summary>Number of values in row <paramref name="row"/>.</summary>
    public long RowLength(int row) => Ends[row] - (row == 0 ? 0 : Ends[row - 1]);

    /// <summary>The flat values as a 1-D tensor.</summary>
    public Tensor ValuesTensor() => _ints != null ? Tensor.Create(_ints.ToArray(), _ints.Count)
        : _floats != null ? Tensor.Create(_floats.ToArray(), _floats.Count)
        : new Tensor(new TensorShape(_bytes!.Count), _bytes.ToArray());

    /// <summary>Copies value <paramref name="from"/> of this buffer to element <paramref name="to"/> of a <see cref="DenseBlock"/>.</summary>
    public void CopyTo(DenseBlock block, long from, long to)
    {
        if (_ints != null) block.Ints![to] = _ints[(int)from];
        else if (_floats != null) block.Floats![to] = _floats[(int)from];
        else block.Bytes![to] = _bytes![(int)from];
    }
}

/// <summary>A dense output being filled element by element (int64, float or string).</summary>
internal sealed class DenseBlock
{
    public long[]? Ints;
    public float[]? Floats;
    public byte[][]? Bytes;

    public DenseBlock(DataType type, long count)
    {
        if (type == DataType.DtInt64) Ints = new long[count];
        else if (type == DataType.DtFloat) Floats = new float[count];
        else { Bytes = new byte[count][]; Array.Fill(Bytes, []); }
    }

    /// <summary>Writes a feature's values at <paramref name="offset"/>.</summary>
    public void Write(Feature f, long offset)
    {
        switch (f.KindCase)
        {
            case Feature.KindOneofCase.Int64List: f.Int64List.Value.CopyTo(Ints!, (int)offset); break;
            case Feature.KindOneofCase.FloatList: f.FloatList.Value.CopyTo(Floats!, (int)offset); break;
            case Feature.KindOneofCase.BytesList:
                for (int i = 0; i < f.BytesList.Value.Count; i++) Bytes![offset + i] = f.BytesList.Value[i].ToByteArray();
                break;
        }
    }

    /// <summary>Copies all of <paramref name="t"/> (same dtype) to <paramref name="offset"/>.</summary>
    public void Write(Tensor t, long offset)
    {
        if (Ints != null) t.AsSpan<long>().CopyTo(Ints.AsSpan((int)offset));
        else if (Floats != null) t.AsSpan<float>().CopyTo(Floats.AsSpan((int)offset));
        else t.Strings.CopyTo(Bytes!.AsSpan((int)offset));
    }

    /// <summary>Fills every element with element 0 of <paramref name="t"/>.</summary>
    public void Fill(Tensor t)
    {
        if (t.NumElements == 0) return;
        if (Ints != null) Array.Fill(Ints, t.AsSpan<long>()[0]);
        else if (Floats != null) Array.Fill(Floats, t.AsSpan<float>()[0]);
        else Array.Fill(Bytes!, t.Strings[0]);
    }

    public Tensor ToTensor(TensorShape shape) => Ints != null ? new Tensor(DataType.DtInt64, shape, System.Runtime.InteropServices.MemoryMarshal.AsBytes(Ints.AsSpan()).ToArray())
        : Floats != null ? new Tensor(DataType.DtFloat, shape, System.Runtime.InteropServices.MemoryMarshal.AsBytes(Floats.AsSpan()).ToArray())
        : new Tensor(shape, Bytes!);
}

/// <summary>Helpers shared by the Example and SequenceExample parsers.</summary>
internal static class FeatureKinds
{
    /// <summary>The dtype a feature's kind holds (DT_INVALID when no kind is set), as TF's <c>ParseDataType</c>.</summary>
    public static DataType TypeOf(Feature f) => f.KindCase switch
    {
        Feature.KindOneofCase.Int64List => DataType.DtInt64,
        Feature.KindOneofCase.FloatList => DataType.DtFloat,
        Feature.KindOneofCase.BytesList => DataType.DtString,
        _ => DataType.DtInvalid,
    };

    public static int ValueCount(Feature f) => f.KindCase switch
    {
        Feature.KindOneofCase.Int64List => f.Int64List.Value.Count,
        Feature.KindOneofCase.FloatList => f.FloatList.Value.Count,
        Feature.KindOneofCase.BytesList => f.BytesList.Value.Count,
        _ => 0,
    };

    /// <summary>TF's word for a value type in count errors ("int64", "float", "bytes").</summary>
    public static string CountWord(DataType t) => t == DataType.DtString ? "bytes" : TfName(t);

    /// <summary>The dtype as TF's <c>DataTypeString</c> prints it in these errors ("float", "int64", "string").</summary>
    public static string TfName(DataType t) => t == DataType.DtFloat ? "float" : DataTypes.Name(t);

    /// <summary>Only int64, float and string features exist (TF's <c>CheckValidType</c>).</summary>
    public static void CheckValidType(DataType t, Func<string, Exception> error)
    {
        if (t is not (DataType.DtInt64 or DataType.DtFloat or DataType.DtString))
            throw error($"Received input dtype: {DataTypes.Name(t)} (features are int64, float or string).");
    }

    /// <summary>
    /// Names the first map entry whose <c>Feature</c> bytes do not parse, for an error about a serialized
    /// proto the protobuf runtime rejected; walks <c>field</c>→map entries of the message's wire format.
    /// </summary>
    public static string DescribeBadProto(ReadOnlySpan<byte> bytes, int[] path, Func<ByteString, bool> valueParses)
    {
        try
        {
            return Walk(ByteString.CopyFrom(bytes), path, 0, valueParses) ?? "the bytes are not a valid message";
        }
        catch (InvalidProtocolBufferException e)
        {
            return "malformed wire format (" + e.Message + ")";
        }
    }

    private static string? Walk(ByteString message, int[] path, int depth, Func<ByteString, bool> valueParses)
    {
        var input = message.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            int field = WireFormat.GetTagFieldNumber(tag);
            if (depth < path.Length && field == path[depth] && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                var inner = input.ReadBytes();
                if (depth == path.Length - 1)
                {
                    // A map entry: key = 1 (string), value = 2 (message).
                    var entry = inner.CreateCodedInput();
                    string key = "";
                    ByteString? value = null;
                    uint t;
                    while ((t = entry.ReadTag()) != 0)
                    {
                        if (t == 10) key = entry.ReadString();
                        else if (t == 18) value = entry.ReadBytes();
                        else entry.SkipLastField();
                    }
                    if (value != null && !valueParses(value)) return $"feature '{key}' is not a valid value message";
                }
                else if (Walk(inner, path, depth + 1, valueParses) is { } found) return found;
            }
            else input.SkipLastField();
        }
        return null;
    }
}
