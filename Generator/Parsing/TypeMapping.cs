using System.Linq;
using TypedGraph.Generator.Model;
using TypedGraph.Protos;

namespace TypedGraph.Generator.Parsing
{
    /// <summary>TF dtypes and shapes → the model's element types and <see cref="ShapeSpec"/>.</summary>
    internal static class TypeMapping
    {
        /// <summary>Strips the <c>_REF</c> flavour (DT_FLOAT_REF → DT_FLOAT).</summary>
        public static DataType Base(DataType t) => (int)t > 100 ? (DataType)((int)t - 100) : t;

        /// <summary>
        /// The C# element type the runtime's <c>Tensor</c> can view the dtype as, or null (complex64,
        /// bfloat16, quantized, resource and variant tensors are exposed untyped).
        /// </summary>
        public static string? ElementType(DataType t) => Base(t) switch
        {
            DataType.DtFloat => "float",
            DataType.DtDouble => "double",
            DataType.DtInt32 => "int",
            DataType.DtInt64 => "long",
            DataType.DtBool => "bool",
            DataType.DtUint8 => "byte",
            DataType.DtInt8 => "sbyte",
            DataType.DtInt16 => "short",
            DataType.DtUint16 => "ushort",
            DataType.DtUint32 => "uint",
            DataType.DtUint64 => "ulong",
            DataType.DtHalf => "global::System.Half",
            DataType.DtComplex128 => "global::System.Numerics.Complex",
            DataType.DtString => "string",
            _ => null,
        };

        /// <summary>TF's Python-style dtype name (<c>float32</c>…), as the runtime's <c>DataTypes.Name</c>.</summary>
        public static string Name(DataType t)
        {
            string name = Base(t) switch
            {
                DataType.DtInvalid => "unknown",
                DataType.DtFloat => "float32",
                DataType.DtDouble => "float64",
                DataType.DtInt32 => "int32",
                DataType.DtUint8 => "uint8",
                DataType.DtInt16 => "int16",
                DataType.DtInt8 => "int8",
                DataType.DtString => "string",
                DataType.DtComplex64 => "complex64",
                DataType.DtInt64 => "int64",
                DataType.DtBool => "bool",
                DataType.DtQint8 => "qint8",
                DataType.DtQuint8 => "quint8",
                DataType.DtQint32 => "qint32",
                DataType.DtBfloat16 => "bfloat16",
                DataType.DtQint16 => "qint16",
                DataType.DtQuint16 => "quint16",
                DataType.DtUint16 => "uint16",
                DataType.DtComplex128 => "complex128",
                DataType.DtHalf => "float16",
                DataType.DtResource => "resource",
                DataType.DtVariant => "variant",
                DataType.DtUint32 => "uint32",
                DataType.DtUint64 => "uint64",
                _ => "dtype" + ((int)Base(t)).ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
            return (int)t > 100 ? name + "_ref" : name;
        }

        public static ShapeSpec Shape(TensorShapeProto? shape)
        {
            if (shape == null || shape.UnknownRank) return ShapeSpec.Unknown;
            return new ShapeSpec(false, shape.Dim.Select(d => d.Size < 0 ? -1L : d.Size).ToEquatableArray());
        }

        public static TensorTypeSpec TensorType(DataType t, TensorShapeProto? shape)
            => new TensorTypeSpec(Name(t), ElementType(t), Shape(shape));
    }
}
