using System.Buffers.Binary;
using System.IO.Compression;

namespace TypedGraph.Summaries;

/// <summary>
/// A minimal PNG writer for image summaries (TF's image summary encodes PNG too): 8-bit grayscale, gray+alpha, RGB
/// or RGBA, each scanline with filter type 0, one zlib IDAT chunk (PNG spec, ISO/IEC 15948).
/// </summary>
internal static class PngEncoder
{
    private static readonly uint[] s_crcTable = BuildCrcTable();

    /// <summary>Encodes <paramref name="pixels"/> (height × width × channels bytes, row-major) as PNG.</summary>
    /// <exception cref="ArgumentException">Channels not 1–4, a non-positive size, or a pixel count that does not match.</exception>
    public static byte[] Encode(ReadOnlySpan<byte> pixels, int height, int width, int channels)
    {
        if (channels is < 1 or > 4) throw new ArgumentException($"An image has 1 (gray), 2 (gray+alpha), 3 (RGB) or 4 (RGBA) channels, got {channels}.", nameof(channels));
        if (height <= 0 || width <= 0) throw new ArgumentException($"Image size must be positive, got {height}×{width}.");
        long expected = (long)height * width * channels;
        if (pixels.Length != expected) throw new ArgumentException($"A {height}×{width}×{channels} image has {expected} bytes, got {pixels.Length}.", nameof(pixels));
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = channels switch { 1 => 0, 2 => 4, 3 => 2, _ => 6 }; // colour type
        Chunk(png, "IHDR", ihdr);
        using var raw = new MemoryStream();
        using (var z = new ZLibStream(raw, CompressionLevel.Optimal, leaveOpen: true))
        {
            int rowBytes = width * channels;
            for (int y = 0; y < height; y++)
            {
                z.WriteByte(0); // filter: none
                z.Write(pixels.Slice(y * rowBytes, rowBytes));
            }
        }
        Chunk(png, "IDAT", raw.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>Writes one PNG chunk: length, type, data and the CRC-32 of type and data.</summary>
    internal static void Chunk(Stream s, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> head = stackalloc byte[8];
        BinaryPrimitives.WriteInt32BigEndian(head, data.Length);
        for (int i = 0; i < 4; i++) head[4 + i] = (byte)type[i];
        s.Write(head);
        s.Write(data);
        uint crc = Update(0xFFFFFFFFu, head[4..]);
        crc = Update(crc, data) ^ 0xFFFFFFFFu;
        Span<byte> tail = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(tail, crc);
        s.Write(tail);
    }

    /// <summary>The CRC-32 of PNG chunks (ISO 3309, as zlib's crc32) over <paramref name="data"/>.</summary>
    internal static uint Crc32(ReadOnlySpan<byte> data) => Update(0xFFFFFFFFu, data) ^ 0xFFFFFFFFu;

    // CRC-32 (ISO-HDLC, polynomial 0xEDB88320 reflected) over chunk type and data.
    private static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (var b in data) crc = s_crcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    private static uint[] BuildCrcTable()
    {
        var t = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[n] = c;
        }
        return t;
    }
}
