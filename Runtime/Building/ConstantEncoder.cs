using System.Runtime.InteropServices;
using Google.Protobuf;
using TypedGraph.Protos;

namespace TypedGraph.Building;

/// <summary>
/// Encodes a value as a Const's TensorProto the way TF's Python <c>make_tensor_proto</c> does: a single
/// <c>*_val</c> for scalars and splats (<c>tf.zeros([784, 10])</c> → one <c>float_val</c>), raw
/// <c>tensor_content</c> for other numeric arrays, one <c>string_val</c> per string.
/// </summary>
internal static class ConstantEncoder
{
    /// <summary>Encodes <paramref name="value"/>; <paramref name="splat"/> writes only the first element.</summary>
    /// <exception cref="NotSupportedException">Handle tensors cannot be constants.</exception>
    public static TensorProto Encode(Tensor value, bool splat = false)
    {
        var p = new TensorProto { Dtype = value.DType, TensorShape = Attrs.ShapeProto(value.Shape.ToArray().Select(d => (long)d).ToArray()) };
        if (value.DType == DataType.DtString)
        {
            foreach (var s in splat ? value.Strings.Take(1) : value.Strings) p.StringVal.Add(ByteString.CopyFrom(s));
            return p;
        }
        if (!DataTypes.IsNumeric(value.DType)) throw new NotSupportedException($"A {DataTypes.Name(value.DType)} tensor cannot be a Const.");
        if (value.NumElements > 1 && !splat)
        {
            p.TensorContent = ByteString.CopyFrom(value.Bytes);
            return p;
        }
        if (value.NumElements == 0) return p;
        switch (value.DType)
        {
            case DataType.DtFloat: p.FloatVal.Add(value.AsSpan<float>()[0]); break;
            case DataType.DtDouble: p.DoubleVal.Add(value.AsSpan<double>()[0]); break;
            case DataType.DtInt32: p.IntVal.Add(value.AsSpan<int>()[0]); break;
            case DataType.DtInt16: p.IntVal.Add(MemoryMarshal.Cast<byte, short>(value.Bytes)[0]); break;
            case DataType.DtInt8: p.IntVal.Add((sbyte)value.Bytes[0]); break;
            case DataType.DtUint8: p.IntVal.Add(value.Bytes[0]); break;
            case DataType.DtUint16: p.IntVal.Add(MemoryMarshal.Cast<byte, ushort>(value.Bytes)[0]); break;
            case DataType.DtInt64: p.Int64Val.Add(value.AsSpan<long>()[0]); break;
            case DataType.DtUint32: p.Uint32Val.Add(MemoryMarshal.Cast<byte, uint>(value.Bytes)[0]); break;
            case DataType.DtUint64: p.Uint64Val.Add(MemoryMarshal.Cast<byte, ulong>(value.Bytes)[0]); break;
            case DataType.DtBool: p.BoolVal.Add(value.Bytes[0] != 0); break;
            case DataType.DtHalf:
            case DataType.DtBfloat16: p.HalfVal.Add(MemoryMarshal.Cast<byte, ushort>(value.Bytes)[0]); break;
            default: p.TensorContent = ByteString.CopyFrom(value.Bytes); break;
        }
        return p;
    }
}
