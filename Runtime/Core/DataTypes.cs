using System.Numerics;
using TypedGraph.Protos;

namespace TypedGraph;

/// <summary>Facts about TensorFlow's <see cref="DataType"/> values: element sizes, CLR types, names.</summary>
public static class DataTypes
{
    /// <summary>Bytes per element as stored in a tensor buffer or a checkpoint; 0 for variable-size types (string, variant, resource).</summary>
    public static int ElementSize(DataType dtype)
    {
        // A table by enum value (types.proto: DT_FLOAT = 1 … DT_UINT64 = 23): the executor asks on every allocation.
        uint t = (uint)BaseType(dtype);
        return t < (uint)Sizes.Length ? Sizes[(int)t] : 0;
    }

    // invalid, float, double, int32, uint8, int16, int8, string, complex64, int64, bool, qint8, quint8, qint32, bfloat16,
    // qint16, quint16, uint16, complex128, half, resource, variant, uint32, uint64.
    private static ReadOnlySpan<byte> Sizes => [0, 4, 8, 4, 1, 2, 1, 0, 8, 8, 1, 1, 1, 4, 2, 2, 2, 2, 16, 2, 0, 0, 4, 8];

    /// <summary>True when values of this type are plain bytes that can be copied (everything but string, variant and resource).</summary>
    public static bool IsNumeric(DataType dtype) => ElementSize(dtype) > 0;

    /// <summary>Strips the <c>_REF</c> flavour (DT_FLOAT_REF → DT_FLOAT).</summary>
    public static DataType BaseType(DataType dtype) => DataTypeNames.BaseType(dtype);

    /// <summary>True for the <c>_REF</c> types (101–123).</summary>
    public static bool IsRef(DataType dtype) => DataTypeNames.IsRef(dtype);

    /// <summary>TF's Python-style short name: <c>float32</c>, <c>int64</c>, <c>string</c>…</summary>
    public static string Name(DataType dtype)
        => (DataTypeNames.BaseName(dtype) ?? $"invalid({(int)dtype})") + (IsRef(dtype) ? "_ref" : "");

    /// <summary>The TF dtype whose elements are the CLR type <typeparamref name="T"/>.</summary>
    /// <exception cref="NotSupportedException">T has no TF counterpart.</exception>
    public static DataType Of<T>() where T : unmanaged
        => ClrDType<T>.Value ?? throw new NotSupportedException($"{typeof(T).Name} has no TensorFlow dtype.");

    /// <summary>The TF dtype whose elements are the CLR type <paramref name="clrType"/> (string → DT_STRING), or null.</summary>
    internal static DataType? TryOf(Type clrType)
    {
        if (clrType == typeof(float)) return DataType.DtFloat;
        if (clrType == typeof(double)) return DataType.DtDouble;
        if (clrType == typeof(int)) return DataType.DtInt32;
        if (clrType == typeof(long)) return DataType.DtInt64;
        if (clrType == typeof(byte)) return DataType.DtUint8;
        if (clrType == typeof(sbyte)) return DataType.DtInt8;
        if (clrType == typeof(short)) return DataType.DtInt16;
        if (clrType == typeof(ushort)) return DataType.DtUint16;
        if (clrType == typeof(uint)) return DataType.DtUint32;
        if (clrType == typeof(ulong)) return DataType.DtUint64;
        if (clrType == typeof(bool)) return DataType.DtBool;
        if (clrType == typeof(Half)) return DataType.DtHalf;
        if (clrType == typeof(Complex)) return DataType.DtComplex128;
        if (clrType == typeof(string)) return DataType.DtString;
        return null;
    }

    /// <summary>Whether <typeparamref name="T"/> may view a buffer of <paramref name="dtype"/>
    /// (same dtype, or a same-size raw view such as <c>ushort</c> over bfloat16).</summary>
    public static bool CanView<T>(DataType dtype) where T : unmanaged
    {
        var b = BaseType(dtype);
        if (typeof(T) == typeof(byte) && IsNumeric(b)) return true; // raw bytes of anything numeric
        try
        {
            if (Of<T>() == b) return true;
        }
        catch (NotSupportedException) { }
        return (b == DataType.DtBfloat16 && typeof(T) == typeof(ushort))
            || (b == DataType.DtComplex64 && typeof(T) == typeof(float))
            || (b == DataType.DtQint8 && typeof(T) == typeof(sbyte))
            || (b == DataType.DtQuint8 && typeof(T) == typeof(byte))
            || (b == DataType.DtQint32 && typeof(T) == typeof(int));
    }
}

/// <summary>
/// <see cref="DataTypes.TryOf"/> computed once per CLR type: a static readonly field the JIT folds per
/// instantiation, so <see cref="DataTypes.Of{T}"/> and the typed API stay as cheap as an inline switch.
/// </summary>
internal static class ClrDType<T>
{
    /// <summary>The dtype of <typeparamref name="T"/>, or null when TF has none.</summary>
    public static readonly DataType? Value = DataTypes.TryOf(typeof(T));
}
