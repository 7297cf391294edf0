using TypedGraph.Protos;

namespace TypedGraph;

/// <summary>
/// TF's Python-style dtype names, in one place for two assemblies: the runtime compiles this file and the
/// source generator (netstandard2.0, which cannot reference the runtime) links it in (Generator.csproj).
/// Each side picks its own fallback for dtypes without a name.
/// </summary>
internal static class DataTypeNames
{
    /// <summary>Strips the <c>_REF</c> flavour (DT_FLOAT_REF → DT_FLOAT).</summary>
    public static DataType BaseType(DataType dtype) => (int)dtype > 100 ? (DataType)((int)dtype - 100) : dtype;

    /// <summary>True for the <c>_REF</c> types (101–123).</summary>
    public static bool IsRef(DataType dtype) => (int)dtype > 100;

    /// <summary>The name of the base type (<c>float32</c>, <c>int64</c>…, no <c>_ref</c> suffix), or null for DT_INVALID and unknown values.</summary>
    public static string? BaseName(DataType dtype) => BaseType(dtype) switch
    {
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
        _ => null,
    };
}
