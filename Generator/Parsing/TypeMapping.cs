using System.Linq;
using TypedGraph.Generator.Model;
using TypedGraph.Protos;

namespace TypedGraph.Generator.Parsing
{
    /// <summary>TF dtypes and shapes → the model's element types and <see cref="ShapeSpec"/>.</summary>
    internal static class TypeMapping
    {
        /// <summary>Strips the <c>_REF</c> flavour (DT_FLOAT_REF → DT_FLOAT).</summary>
        public static DataType Base(DataType t) => DataTypeNames.BaseType(t);

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

        /// <summary>TF's Python-style dtype name (<c>float32</c>…), from the runtime's shared <c>DataTypeNames</c>
        /// (linked source); DT_INVALID reads "unknown" here, other unnamed values "dtype&lt;n&gt;".</summary>
        public static string Name(DataType t)
        {
            string name = DataTypeNames.BaseName(t)
                ?? (Base(t) == DataType.DtInvalid ? "unknown" : "dtype" + ((int)Base(t)).ToString(System.Globalization.CultureInfo.InvariantCulture));
            return DataTypeNames.IsRef(t) ? name + "_ref" : name;
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
