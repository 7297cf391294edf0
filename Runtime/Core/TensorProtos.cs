using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Google.Protobuf;
using TypedGraph.Protos;

namespace TypedGraph;

/// <summary>
/// Converts between TF's <see cref="TensorProto"/> (Const values, attrs, summaries) and <see cref="Tensor"/>.
/// Reading accepts every encoding TF writes: raw <c>tensor_content</c>, the typed <c>*_val</c> fields,
/// and "splat" protos whose <c>*_val</c> holds fewer values than the shape (the last value repeats, as in
/// TF's <c>Tensor::FromProto</c>). Writing mirrors Python's <c>make_tensor_proto</c>: one element goes to
/// <c>*_val</c>, more to <c>tensor_content</c>, strings to <c>string_val</c>.
/// </summary>
public static class TensorProtos
{
    /// <summary>Decodes <paramref name="proto"/> into a new tensor owning plain memory.</summary>
    /// <param name="proto">The proto; its shape must be fully known.</param>
    /// <param name="what">Names the proto in error messages (e.g. <c>"Const node 'w/initial_value'"</c>).</param>
    /// <returns>A caller-owned tensor.</returns>
    /// <exception cref="GraphFormatException">Unknown shape, unsupported dtype, or a payload whose size disagrees with the shape.</exception>
    public static Tensor ToTensor(TensorProto proto, string what = "tensor")
    {
        ArgumentNullException.ThrowIfNull(proto);
        var dtype = DataTypes.BaseType(proto.Dtype);
        var shape = ShapeOf(proto.TensorShape, what);
        long n = shape.NumElements;
        switch (dtype)
        {
            case DataType.DtString:
                CheckStringSize(proto.StringVal, n, what);
                return new Tensor(shape, Fill(proto.StringVal, n, v => v.ToByteArray(), [], what, dtype));
            case DataType.DtResource:
                if (proto.ResourceHandleVal.Count > 1 || n != 1)
                    throw Bad(what, $"a resource tensor of shape {shape} with {proto.ResourceHandleVal.Count} handles is not supported (only scalars)");
                return Tensor.FromHandle(dtype, proto.ResourceHandleVal.Count == 1 ? proto.ResourceHandleVal[0] : new ResourceHandleProto(), shape);
            case DataType.DtVariant:
                if (n != 1) throw Bad(what, $"a variant tensor of shape {shape} is not supported (only scalars)");
                return Tensor.FromHandle(dtype, proto.VariantVal.Count > 0 ? proto.VariantVal[0] : new VariantTensorDataProto(), shape);
        }
        int size = DataTypes.ElementSize(dtype);
        if (size == 0) throw Bad(what, $"dtype {DataTypes.Name(proto.Dtype)} ({(int)proto.Dtype}) cannot be decoded");
        long byteCount = AllocationLimits.Product(n, size);
        if (AllocationLimits.Exceeds(byteCount)) throw Bad(what, $"of dtype {DataTypes.Name(dtype)} and shape {shape} {AllocationLimits.Describe(byteCount)}");
        if (!proto.TensorContent.IsEmpty)
        {
            if (proto.TensorContent.Length != byteCount)
                throw Bad(what, $"tensor_content holds {proto.TensorContent.Length} bytes but a {DataTypes.Name(dtype)} tensor of shape {shape} needs {byteCount}");
            return new Tensor(dtype, shape, proto.TensorContent.ToByteArray());
        }
        var bytes = new byte[byteCount];
        var t = new Tensor(dtype, shape, bytes);
        switch (dtype)
        {
            case DataType.DtFloat: Splat(proto.FloatVal, t.AsSpan<float>(), what, dtype); break;
            case DataType.DtDouble: Splat(proto.DoubleVal, t.AsSpan<double>(), what, dtype); break;
            case DataType.DtInt64: Splat(proto.Int64Val, t.AsSpan<long>(), what, dtype); break;
            case DataType.DtUint32: Splat(proto.Uint32Val, t.AsSpan<uint>(), what, dtype); break;
            case DataType.DtUint64: Splat(proto.Uint64Val, t.AsSpan<ulong>(), what, dtype); break;
            case DataType.DtBool: Splat(proto.BoolVal, t.AsSpan<bool>(), what, dtype); break;
            case DataType.DtInt32 or DataType.DtQint32: Splat(proto.IntVal, MemoryMarshal.Cast<byte, int>(bytes.AsSpan()), what, dtype); break;
            case DataType.DtInt16 or DataType.DtQint16:
                SplatConverted(proto.IntVal, MemoryMarshal.Cast<byte, short>(bytes.AsSpan()), v => (short)v, what, dtype); break;
            case DataType.DtUint16 or DataType.DtQuint16:
                SplatConverted(proto.IntVal, MemoryMarshal.Cast<byte, ushort>(bytes.AsSpan()), v => (ushort)v, what, dtype); break;
            case DataType.DtInt8 or DataType.DtQint8:
                SplatConverted(proto.IntVal, MemoryMarshal.Cast<byte, sbyte>(bytes.AsSpan()), v => (sbyte)v, what, dtype); break;
            case DataType.DtUint8 or DataType.DtQuint8:
                SplatConverted(proto.IntVal, bytes.AsSpan(), v => (byte)v, what, dtype); break;
            case DataType.DtHalf or DataType.DtBfloat16:
                // half_val carries the raw 16-bit pattern in an int32 (TF's tensor.proto comment).
                SplatConverted(proto.HalfVal, MemoryMarshal.Cast<byte, ushort>(bytes.AsSpan()), v => (ushort)v, what, dtype); break;
            case DataType.DtComplex64: SplatPairs(proto.ScomplexVal, MemoryMarshal.Cast<byte, float>(bytes.AsSpan()), what, dtype); break;
            case DataType.DtComplex128: SplatPairs(proto.DcomplexVal, MemoryMarshal.Cast<byte, double>(bytes.AsSpan()), what, dtype); break;
            default: throw Bad(what, $"dtype {DataTypes.Name(dtype)} cannot be decoded");
        }
        return t;
    }

    /// <summary>Encodes <paramref name="tensor"/> the way Python's <c>make_tensor_proto</c> does.</summary>
    /// <returns>A new proto (the tensor's bytes are copied).</returns>
    /// <exception cref="ArgumentException">The tensor holds a handle type that has no proto form here.</exception>
    public static TensorProto FromTensor(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var proto = new TensorProto { Dtype = tensor.DType, TensorShape = ShapeProto(tensor.Shape) };
        var dtype = tensor.DType;
        if (dtype == DataType.DtString)
        {
            foreach (var s in tensor.Strings) proto.StringVal.Add(ByteString.CopyFrom(s));
            return proto;
        }
        if (dtype == DataType.DtResource)
        {
            proto.ResourceHandleVal.Add(tensor.Handle as ResourceHandleProto
                ?? throw new ArgumentException("A resource tensor without a ResourceHandleProto cannot be serialized.", nameof(tensor)));
            return proto;
        }
        if (dtype == DataType.DtVariant)
            throw new ArgumentException("Variant tensors cannot be serialized.", nameof(tensor));
        if (tensor.NumElements != 1)
        {
            if (tensor.NumElements > 0) proto.TensorContent = ByteString.CopyFrom(tensor.Bytes);
            return proto;
        }
        var b = tensor.Bytes;
        switch (dtype)
        {
            case DataType.DtFloat: proto.FloatVal.Add(BinaryPrimitives.ReadSingleLittleEndian(b)); break;
            case DataType.DtDouble: proto.DoubleVal.Add(BinaryPrimitives.ReadDoubleLittleEndian(b)); break;
            case DataType.DtInt32 or DataType.DtQint32: proto.IntVal.Add(BinaryPrimitives.ReadInt32LittleEndian(b)); break;
            case DataType.DtInt16 or DataType.DtQint16: proto.IntVal.Add(BinaryPrimitives.ReadInt16LittleEndian(b)); break;
            case DataType.DtUint16 or DataType.DtQuint16: proto.IntVal.Add(BinaryPrimitives.ReadUInt16LittleEndian(b)); break;
            case DataType.DtInt8 or DataType.DtQint8: proto.IntVal.Add((sbyte)b[0]); break;
            case DataType.DtUint8 or DataType.DtQuint8: proto.IntVal.Add(b[0]); break;
            case DataType.DtInt64: proto.Int64Val.Add(BinaryPrimitives.ReadInt64LittleEndian(b)); break;
            case DataType.DtUint32: proto.Uint32Val.Add(BinaryPrimitives.ReadUInt32LittleEndian(b)); break;
            case DataType.DtUint64: proto.Uint64Val.Add(BinaryPrimitives.ReadUInt64LittleEndian(b)); break;
            case DataType.DtBool: proto.BoolVal.Add(b[0] != 0); break;
            case DataType.DtHalf or DataType.DtBfloat16: proto.HalfVal.Add(BinaryPrimitives.ReadUInt16LittleEndian(b)); break;
            case DataType.DtComplex64:
                proto.ScomplexVal.Add(BinaryPrimitives.ReadSingleLittleEndian(b));
                proto.ScomplexVal.Add(BinaryPrimitives.ReadSingleLittleEndian(b[4..]));
                break;
            case DataType.DtComplex128:
                proto.DcomplexVal.Add(BinaryPrimitives.ReadDoubleLittleEndian(b));
                proto.DcomplexVal.Add(BinaryPrimitives.ReadDoubleLittleEndian(b[8..]));
                break;
            default: proto.TensorContent = ByteString.CopyFrom(b); break;
        }
        return proto;
    }

    /// <summary>A concrete shape from a proto shape.</summary>
    /// <exception cref="GraphFormatException">Unknown rank or an unknown (-1) dim.</exception>
    public static TensorShape ShapeOf(TensorShapeProto? proto, string what = "tensor")
    {
        if (proto == null) return TensorShape.Scalar;
        if (proto.UnknownRank) throw Bad(what, "the shape has unknown rank");
        var dims = new int[proto.Dim.Count];
        for (int i = 0; i < dims.Length; i++)
        {
            long d = proto.Dim[i].Size;
            if (d < 0 || d > int.MaxValue) throw Bad(what, $"dim {i} is {d}, not a concrete size");
            dims[i] = (int)d;
        }
        try { return new TensorShape(dims); }
        catch (ArgumentException e) { throw Bad(what, e.Message); }
    }

    /// <summary>The proto form of a concrete shape.</summary>
    public static TensorShapeProto ShapeProto(TensorShape shape)
    {
        var p = new TensorShapeProto();
        foreach (var d in shape.Dims) p.Dim.Add(new TensorShapeProto.Types.Dim { Size = d });
        return p;
    }

    private static void Splat<T>(IList<T> values, Span<T> dst, string what, DataType dtype) where T : unmanaged
    {
        int count = Check(values.Count, dst.Length, what, dtype);
        if (count == 0) return;
        for (int i = 0; i < count; i++) dst[i] = values[i];
        dst[count..].Fill(values[count - 1]);
    }

    private static void SplatConverted<TSrc, T>(IList<TSrc> values, Span<T> dst, Func<TSrc, T> convert, string what, DataType dtype) where T : unmanaged
    {
        int count = Check(values.Count, dst.Length, what, dtype);
        if (count == 0) return;
        for (int i = 0; i < count; i++) dst[i] = convert(values[i]);
        dst[count..].Fill(dst[count - 1]);
    }

    private static void SplatPairs<T>(IList<T> values, Span<T> dst, string what, DataType dtype) where T : unmanaged
    {
        if (values.Count % 2 != 0) throw Bad(what, $"{DataTypes.Name(dtype)} values come in (real, imaginary) pairs, got {values.Count} numbers");
        int count = Check(values.Count / 2, dst.Length / 2, what, dtype) * 2;
        if (count == 0) return;
        for (int i = 0; i < count; i++) dst[i] = values[i];
        for (int i = count; i < dst.Length; i += 2)
        {
            dst[i] = values[count - 2];
            dst[i + 1] = values[count - 1];
        }
    }

    private static byte[][] Fill<TSrc>(IList<TSrc> values, long n, Func<TSrc, byte[]> convert, byte[] empty, string what, DataType dtype)
    {
        int count = Check(values.Count, n > int.MaxValue ? int.MaxValue : (int)n, what, dtype);
        var result = new byte[n][];
        for (int i = 0; i < n; i++) result[i] = count == 0 ? empty : convert(values[Math.Min(i, count - 1)]);
        return result;
    }

    // A splat string proto repeats its last value n times (one array each) plus one reference per element.
    private static void CheckStringSize(IList<ByteString> values, long n, string what)
    {
        const long perElement = 32; // array header + reference, 64-bit runtime
        long bytes = AllocationLimits.Product(n, perElement);
        int explicitCount = (int)Math.Min(values.Count, n);
        for (int i = 0; i < explicitCount && bytes >= 0; i++) bytes += values[i].Length;
        if (explicitCount > 0 && n > explicitCount && bytes >= 0)
        {
            long repeated = AllocationLimits.Product(n - explicitCount, values[explicitCount - 1].Length);
            bytes = repeated < 0 || bytes > long.MaxValue - repeated ? -1 : bytes + repeated;
        }
        if (AllocationLimits.Exceeds(bytes)) throw Bad(what, $"of {n} strings {AllocationLimits.Describe(bytes)}");
    }

    private static int Check(int have, int need, string what, DataType dtype)
    {
        if (have > need) throw Bad(what, $"holds {have} {DataTypes.Name(dtype)} values but its shape has only {need} elements");
        return have;
    }

    private static GraphFormatException Bad(string what, string message) => new($"{what}: TensorProto {message}.");
}
