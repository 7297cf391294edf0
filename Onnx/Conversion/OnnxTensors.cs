using Google.Protobuf;
using TypedGraph.Protos;
using OnnxTensor = TypedGraph.Onnx.Protos.TensorProto;
using OnnxType = TypedGraph.Onnx.Protos.TensorProto.Types.DataType;

namespace TypedGraph.Onnx.Conversion;

/// <summary>TF dtypes and tensors as ONNX element types and initializers.</summary>
internal static class OnnxTensors
{
    /// <summary>The ONNX element type of a TF dtype, or null when ONNX has none (resources, variants, quantized).</summary>
    public static OnnxType? ElementType(DataType dtype) => DataTypes.BaseType(dtype) switch
    {
        DataType.DtFloat => OnnxType.Float,
        DataType.DtDouble => OnnxType.Double,
        DataType.DtHalf => OnnxType.Float16,
        DataType.DtBfloat16 => OnnxType.Bfloat16,
        DataType.DtInt8 => OnnxType.Int8,
        DataType.DtInt16 => OnnxType.Int16,
        DataType.DtInt32 => OnnxType.Int32,
        DataType.DtInt64 => OnnxType.Int64,
        DataType.DtUint8 => OnnxType.Uint8,
        DataType.DtUint16 => OnnxType.Uint16,
        DataType.DtUint32 => OnnxType.Uint32,
        DataType.DtUint64 => OnnxType.Uint64,
        DataType.DtBool => OnnxType.Bool,
        DataType.DtString => OnnxType.String,
        DataType.DtComplex64 => OnnxType.Complex64,
        DataType.DtComplex128 => OnnxType.Complex128,
        _ => null,
    };

    /// <summary>A named ONNX tensor holding <paramref name="value"/> (raw little-endian bytes; strings as string_data).</summary>
    public static OnnxTensor FromTensor(string name, Tensor value)
    {
        var type = ElementType(value.DType) ?? throw new OnnxExportException(
            $"Tensor '{name}' has dtype {DataTypes.Name(value.DType)}, which ONNX has no element type for.");
        var t = new OnnxTensor { Name = name, DataType = (int)type };
        foreach (var d in value.Shape.Dims) t.Dims.Add(d);
        if (type == OnnxType.String)
            foreach (var s in value.Strings) t.StringData.Add(ByteString.CopyFrom(s));
        else
            t.RawData = ByteString.CopyFrom(value.Bytes);
        return t;
    }

    /// <summary>An int64 tensor (shape [n], or a scalar when <paramref name="scalar"/>).</summary>
    public static OnnxTensor Int64s(string name, long[] values, bool scalar = false)
    {
        var t = new OnnxTensor { Name = name, DataType = (int)OnnxType.Int64 };
        if (!scalar) t.Dims.Add(values.Length);
        t.Int64Data.Add(values);
        return t;
    }
}
