using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace TypedGraph.Formats;

/// <summary>
/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as TF's <c>tensorflow/core/lib/hash/crc32c.h</c>:
/// <see cref="Compute"/> is <c>Value</c>, <see cref="Extend"/> continues a running CRC so that
/// <c>Extend(Compute(a), b) == Compute(a ‖ b)</c>, and <see cref="Mask"/> is the rotation TF applies
/// whenever a CRC is stored next to the data it covers. Uses SSE4.2 or ARMv8 CRC instructions when the
/// CPU has them, else a slicing-by-8 table.
/// </summary>
internal static partial class Crc32C
{
    private const uint Polynomial = 0x82F63B78;
    private const uint MaskDelta = 0xA282EAD8;
    private static readonly uint[] s_table = BuildTable();

    /// <summary>CRC-32C of <paramref name="data"/> (0 for empty input).</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Extend(0, data);

    /// <summary>Continues <paramref name="crc"/> (a finished CRC of earlier bytes) over <paramref name="data"/>.</summary>
    public static uint Extend(uint crc, ReadOnlySpan<byte> data)
        => data.Length >= InterleaveThreshold && Sse42.X64.IsSupported ? ExtendInterleaved(crc, data) : ~Update(~crc, data);

    /// <summary>The masked form TF stores: <c>((crc &gt;&gt; 15) | (crc &lt;&lt; 17)) + 0xA282EAD8</c>.</summary>
    public static uint Mask(uint crc) => ((crc >> 15) | (crc << 17)) + MaskDelta;

    /// <summary>Inverse of <see cref="Mask"/>.</summary>
    public static uint Unmask(uint masked)
    {
        uint rot = masked - MaskDelta;
        return (rot >> 17) | (rot << 15);
    }

    /// <summary>True when a hardware CRC32C instruction is used on this machine.</summary>
    public static bool IsHardwareAccelerated => Sse42.X64.IsSupported || Sse42.IsSupported || Crc32.Arm64.IsSupported || Crc32.IsSupported;

    // Works on the raw (non-inverted) register.
    private static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        if (Sse42.X64.IsSupported) return UpdateSse42X64(crc, data);
        if (Crc32.Arm64.IsSupported) return UpdateArm64(crc, data);
        if (Sse42.IsSupported) return UpdateSse42(crc, data);
        return UpdateSoftware(crc, data);
    }

    private static uint UpdateSse42X64(uint crc, ReadOnlySpan<byte> data)
    {
        ulong c = crc;
        // One dependent crc32q chain does 8 bytes per ~3 cycles (several GB/s), far above what a
        // checkpoint restore needs, so we skip the 3-stream interleave and only unroll the loop.
        var words = MemoryMarshal.Cast<byte, ulong>(data);
        int i = 0;
        for (; i + 4 <= words.Length; i += 4)
        {
            c = Sse42.X64.Crc32(c, words[i]);
            c = Sse42.X64.Crc32(c, words[i + 1]);
            c = Sse42.X64.Crc32(c, words[i + 2]);
            c = Sse42.X64.Crc32(c, words[i + 3]);
        }
        for (; i < words.Length; i++) c = Sse42.X64.Crc32(c, words[i]);
        uint r = (uint)c;
        foreach (byte b in data[(words.Length * 8)..]) r = Sse42.Crc32(r, b);
        return r;
    }

    private static uint UpdateSse42(uint crc, ReadOnlySpan<byte> data)
    {
        var words = MemoryMarshal.Cast<byte, uint>(data);
        foreach (uint w in words) crc = Sse42.Crc32(crc, w);
        foreach (byte b in data[(words.Length * 4)..]) crc = Sse42.Crc32(crc, b);
        return crc;
    }

    private static uint UpdateArm64(uint crc, ReadOnlySpan<byte> data)
    {
        var words = MemoryMarshal.Cast<byte, ulong>(data);
        foreach (ulong w in words) crc = Crc32.Arm64.ComputeCrc32C(crc, w);
        foreach (byte b in data[(words.Length * 8)..]) crc = Crc32.ComputeCrc32C(crc, b);
        return crc;
    }

    // Slicing-by-8 table CRC (Intel's technique, as LevelDB's portable crc32c).
    private static uint UpdateSoftware(uint crc, ReadOnlySpan<byte> data)
    {
        var t = s_table;
        while (data.Length >= 8)
        {
            uint lo = BinaryPrimitives.ReadUInt32LittleEndian(data) ^ crc;
            uint hi = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
            crc = t[7 * 256 + (lo & 0xFF)] ^ t[6 * 256 + ((lo >> 8) & 0xFF)] ^ t[5 * 256 + ((lo >> 16) & 0xFF)] ^ t[4 * 256 + (lo >> 24)]
                ^ t[3 * 256 + (hi & 0xFF)] ^ t[2 * 256 + ((hi >> 8) & 0xFF)] ^ t[1 * 256 + ((hi >> 16) & 0xFF)] ^ t[hi >> 24];
            data = data[8..];
        }
        foreach (byte b in data) crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    /// <summary>The software (table) path regardless of CPU support, so tests can compare both paths.</summary>
    internal static uint ComputeSoftware(ReadOnlySpan<byte> data) => ~UpdateSoftware(~0u, data);

    private static uint[] BuildTable()
    {
        var t = new uint[8 * 256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >> 1) ^ Polynomial : c >> 1;
            t[i] = c;
        }
        for (int s = 1; s < 8; s++)
            for (int i = 0; i < 256; i++)
                t[s * 256 + i] = (t[(s - 1) * 256 + i] >> 8) ^ t[t[(s - 1) * 256 + i] & 0xFF];
        return t;
    }
}
