using System.Buffers.Binary;

namespace TypedGraph.Formats;

/// <summary>
/// DT_STRING tensors in a bundle's <c>.data</c> file (TF's <c>WriteStringTensor</c> /
/// <c>ReadStringTensor</c> in <c>tensor_bundle.cc</c>): all lengths as varint64s, a fixed32 masked
/// CRC32C of the lengths (each taken as a little-endian uint32, or uint64 when it does not fit), then
/// the bytes. The entry CRC continues from the length CRC over the 4 stored checksum bytes and the
/// string bytes.
/// </summary>
internal static class StringTensorCodec
{
    /// <summary>Encodes <paramref name="strings"/>; returns the bytes and the entry's (unmasked) CRC.</summary>
    public static (byte[] Bytes, uint Crc) Encode(byte[][] strings)
    {
        var output = new List<byte>();
        uint crc = 0;
        Span<byte> len = stackalloc byte[8];
        foreach (var s in strings)
        {
            Varint.Write(output, (ulong)s.Length);
            crc = Crc32C.Extend(crc, LengthBytes(len, (ulong)s.Length));
        }
        uint masked = Crc32C.Mask(crc);
        Span<byte> m = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(m, masked);
        output.AddRange(m);
        crc = Crc32C.Extend(crc, m);
        foreach (var s in strings)
        {
            output.AddRange(s);
            crc = Crc32C.Extend(crc, s);
        }
        return (output.ToArray(), crc);
    }

    /// <summary>Decodes <paramref name="count"/> strings from an entry's bytes and returns the entry CRC.</summary>
    /// <exception cref="CheckpointFormatException">The bytes are truncated or the length checksum is wrong.</exception>
    public static (byte[][] Strings, uint Crc) Decode(ReadOnlySpan<byte> data, long count, string path, string tensor)
    {
        // Every element needs at least one length byte: reject impossible counts before allocating.
        if (count > data.Length)
            throw new CheckpointFormatException(path, $"string tensor '{tensor}': {count} elements cannot fit in {data.Length} bytes");
        var reader = new SpanReader(data);
        var lengths = new ulong[count];
        uint crc = 0;
        Span<byte> len = stackalloc byte[8];
        for (long i = 0; i < count; i++)
        {
            if (!reader.TryReadVarint(out lengths[i]))
                throw new CheckpointFormatException(path, $"string tensor '{tensor}': truncated length of element {i}");
            crc = Crc32C.Extend(crc, LengthBytes(len, lengths[i]));
        }
        if (!reader.TryReadBytes(4, out var stored))
            throw new CheckpointFormatException(path, $"string tensor '{tensor}': truncated before the length checksum");
        uint expected = BinaryPrimitives.ReadUInt32LittleEndian(stored);
        if (expected != Crc32C.Mask(crc))
            throw new CheckpointFormatException(path, $"string tensor '{tensor}': length checksum mismatch (stored 0x{expected:x8}, computed 0x{Crc32C.Mask(crc):x8})");
        crc = Crc32C.Extend(crc, stored);
        var strings = new byte[count][];
        for (long i = 0; i < count; i++)
        {
            if (!reader.TryReadBytes((long)Math.Min(lengths[i], long.MaxValue), out var bytes))
                throw new CheckpointFormatException(path, $"string tensor '{tensor}': element {i} ({lengths[i]} bytes) runs past the entry");
            strings[i] = bytes.ToArray();
            crc = Crc32C.Extend(crc, bytes);
        }
        if (reader.Remaining != 0)
            throw new CheckpointFormatException(path, $"string tensor '{tensor}': {reader.Remaining} unexpected trailing bytes");
        return (strings, crc);
    }

    // TF checksums each length as a fixed-width integer, not as its varint bytes.
    private static ReadOnlySpan<byte> LengthBytes(Span<byte> buffer, ulong length)
    {
        if (length <= uint.MaxValue)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(buffer, (uint)length);
            return buffer[..4];
        }
        BinaryPrimitives.WriteUInt64LittleEndian(buffer, length);
        return buffer[..8];
    }
}
