using System.Runtime.InteropServices;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Exec;

/// <summary>Reading and writing single elements of any numeric dtype as double/long (for Cast, Fill, Range, OnesLike).</summary>
internal static class ScalarValues
{
    /// <summary>True for integer and bool dtypes (converted through long, not double, to keep int64 exact).</summary>
    public static bool IsIntegral(DataType t) => t is DataType.DtInt8 or DataType.DtInt16 or DataType.DtInt32 or DataType.DtInt64
        or DataType.DtUint8 or DataType.DtUint16 or DataType.DtUint32 or DataType.DtUint64 or DataType.DtBool
        or DataType.DtQint8 or DataType.DtQuint8 or DataType.DtQint16 or DataType.DtQuint16 or DataType.DtQint32;

    /// <summary>Element <paramref name="i"/> as a double.</summary>
    public static double GetDouble(Tensor t, int i) => t.DType switch
    {
        DataType.DtFloat => t.AsSpan<float>()[i],
        DataType.DtDouble => t.AsSpan<double>()[i],
        DataType.DtHalf => (double)t.AsSpan<Half>()[i],
        DataType.DtBfloat16 => BitConverter.Int32BitsToSingle(t.AsSpan<ushort>()[i] << 16),
        DataType.DtUint64 => t.AsSpan<ulong>()[i],
        _ when IsIntegral(t.DType) => GetLong(t, i),
        _ => throw new NotSupportedException($"{DataTypes.Name(t.DType)} has no real value."),
    };

    /// <summary>Element <paramref name="i"/> as a long (floats truncate toward zero, as C++ static_cast).</summary>
    public static long GetLong(Tensor t, int i)
    {
        var b = t.Bytes;
        return t.DType switch
        {
            DataType.DtInt8 or DataType.DtQint8 => (sbyte)b[i],
            DataType.DtUint8 or DataType.DtQuint8 => b[i],
            DataType.DtBool => b[i] != 0 ? 1 : 0,
            DataType.DtInt16 or DataType.DtQint16 => MemoryMarshal.Cast<byte, short>(b)[i],
            DataType.DtUint16 or DataType.DtQuint16 => MemoryMarshal.Cast<byte, ushort>(b)[i],
            DataType.DtInt32 or DataType.DtQint32 => MemoryMarshal.Cast<byte, int>(b)[i],
            DataType.DtUint32 => MemoryMarshal.Cast<byte, uint>(b)[i],
            DataType.DtInt64 => MemoryMarshal.Cast<byte, long>(b)[i],
            DataType.DtUint64 => (long)MemoryMarshal.Cast<byte, ulong>(b)[i],
            _ => (long)GetDouble(t, i),
        };
    }

    /// <summary>Stores a double into element <paramref name="i"/> (integers truncate; bool is "≠ 0").</summary>
    public static void SetDouble(Tensor t, int i, double v)
    {
        switch (t.DType)
        {
            case DataType.DtFloat: t.AsSpan<float>()[i] = (float)v; break;
            case DataType.DtDouble: t.AsSpan<double>()[i] = v; break;
            case DataType.DtHalf: t.AsSpan<Half>()[i] = (Half)v; break;
            case DataType.DtBfloat16: t.AsSpan<ushort>()[i] = ToBfloat16((float)v); break;
            case DataType.DtBool: t.Bytes[i] = v != 0 ? (byte)1 : (byte)0; break;
            case DataType.DtUint64: MemoryMarshal.Cast<byte, ulong>(t.Bytes)[i] = (ulong)v; break;
            // A real value as a complex element: imaginary part 0 (OnesLike on complex; before this, SetLong and
            // SetDouble called each other forever on complex dtypes).
            case DataType.DtComplex64: MemoryMarshal.Cast<byte, float>(t.Bytes)[2 * i] = (float)v; MemoryMarshal.Cast<byte, float>(t.Bytes)[2 * i + 1] = 0; break;
            case DataType.DtComplex128: MemoryMarshal.Cast<byte, double>(t.Bytes)[2 * i] = v; MemoryMarshal.Cast<byte, double>(t.Bytes)[2 * i + 1] = 0; break;
            default: SetLong(t, i, (long)v); break;
        }
    }

    /// <summary>Stores a long into element <paramref name="i"/> (wrapping to the target width, as C++ does).</summary>
    public static void SetLong(Tensor t, int i, long v)
    {
        var b = t.Bytes;
        switch (t.DType)
        {
            case DataType.DtInt8 or DataType.DtQint8: b[i] = (byte)(sbyte)v; break;
            case DataType.DtUint8 or DataType.DtQuint8: b[i] = (byte)v; break;
            case DataType.DtBool: b[i] = v != 0 ? (byte)1 : (byte)0; break;
            case DataType.DtInt16 or DataType.DtQint16: MemoryMarshal.Cast<byte, short>(b)[i] = (short)v; break;
            case DataType.DtUint16 or DataType.DtQuint16: MemoryMarshal.Cast<byte, ushort>(b)[i] = (ushort)v; break;
            case DataType.DtInt32 or DataType.DtQint32: MemoryMarshal.Cast<byte, int>(b)[i] = (int)v; break;
            case DataType.DtUint32: MemoryMarshal.Cast<byte, uint>(b)[i] = (uint)v; break;
            case DataType.DtInt64: MemoryMarshal.Cast<byte, long>(b)[i] = v; break;
            case DataType.DtUint64: MemoryMarshal.Cast<byte, ulong>(b)[i] = (ulong)v; break;
            default: SetDouble(t, i, v); break;
        }
    }

    /// <summary>Round-to-nearest-even float → bfloat16 (TF's Cast rounding); NaN stays NaN.</summary>
    public static ushort ToBfloat16(float f)
    {
        uint bits = BitConverter.SingleToUInt32Bits(f);
        if (float.IsNaN(f)) return 0x7FC0;
        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }

    /// <summary>Fills every element of <paramref name="dst"/> with the single element of <paramref name="value"/> (same dtype).</summary>
    public static void Fill(Tensor dst, Tensor value)
    {
        if (dst.DType == DataType.DtString)
        {
            Array.Fill(dst.Strings, value.Strings[0]);
            return;
        }
        var v = value.Bytes;
        var d = dst.Bytes;
        switch (v.Length)
        {
            case 1: d.Fill(v[0]); break;
            case 2: MemoryMarshal.Cast<byte, short>(d).Fill(MemoryMarshal.Read<short>(v)); break;
            case 4: MemoryMarshal.Cast<byte, int>(d).Fill(MemoryMarshal.Read<int>(v)); break;
            case 8: MemoryMarshal.Cast<byte, long>(d).Fill(MemoryMarshal.Read<long>(v)); break;
            default:
                for (int o = 0; o < d.Length; o += v.Length) v.CopyTo(d[o..]);
                break;
        }
    }

    /// <summary>A scalar of <paramref name="dtype"/> holding <paramref name="v"/>.</summary>
    public static Tensor Scalar(DataType dtype, double v)
    {
        var t = Tensor.Zeros(dtype, TensorShape.Scalar);
        SetDouble(t, 0, v);
        return t;
    }
}
