using System.Buffers.Binary;

namespace TypedGraph.Formats;

/// <summary>Protobuf-style base-128 varints and little-endian fixed-width values, as LevelDB's <c>coding.h</c>.</summary>
internal static class Varint
{
    /// <summary>Appends <paramref name="value"/> as a varint.</summary>
    public static void Write(List<byte> output, ulong value)
    {
        while (value >= 0x80)
        {
            output.Add((byte)(value | 0x80));
            value >>= 7;
        }
        output.Add((byte)value);
    }

    /// <summary>Writes <paramref name="value"/> as a varint into <paramref name="output"/>; returns the bytes used.</summary>
    public static int Write(Span<byte> output, ulong value)
    {
        int n = 0;
        while (value >= 0x80)
        {
            output[n++] = (byte)(value | 0x80);
            value >>= 7;
        }
        output[n++] = (byte)value;
        return n;
    }

    /// <summary>Bytes needed for <paramref name="value"/> as a varint.</summary>
    public static int Length(ulong value)
    {
        int n = 1;
        while (value >= 0x80) { value >>= 7; n++; }
        return n;
    }

    /// <summary>Appends a little-endian uint32.</summary>
    public static void WriteFixed32(List<byte> output, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        foreach (var x in b) output.Add(x);
    }
}

/// <summary>
/// A forward reader over a byte span for the bundle's hand-decoded layouts (blocks, handles, footers,
/// string tensors). Every read is bounds-checked; a malformed input makes <see cref="TryReadVarint"/>
/// fail instead of throwing, so callers can raise an error that names their file.
/// </summary>
internal ref struct SpanReader
{
    private readonly ReadOnlySpan<byte> _data;

    public SpanReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        Position = 0;
    }

    /// <summary>Offset of the next byte to read.</summary>
    public int Position { get; set; }

    /// <summary>Bytes left.</summary>
    public readonly int Remaining => _data.Length - Position;

    /// <summary>Reads a varint of at most 10 bytes; false when truncated or over-long.</summary>
    public bool TryReadVarint(out ulong value)
    {
        value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (Position >= _data.Length) return false;
            byte b = _data[Position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return true;
        }
        return false;
    }

    /// <summary>Reads a varint that must fit in 32 bits.</summary>
    public bool TryReadVarint32(out uint value)
    {
        value = 0;
        if (!TryReadVarint(out ulong v) || v > uint.MaxValue) return false;
        value = (uint)v;
        return true;
    }

    /// <summary>Takes the next <paramref name="length"/> bytes; false when fewer remain.</summary>
    public bool TryReadBytes(long length, out ReadOnlySpan<byte> bytes)
    {
        if (length < 0 || length > Remaining)
        {
            bytes = default;
            return false;
        }
        bytes = _data.Slice(Position, (int)length);
        Position += (int)length;
        return true;
    }
}
