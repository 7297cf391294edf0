using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace TypedGraph.Formats;

internal static partial class Crc32C
{
    /// <summary>Inputs at least this long run as three interleaved crc32q streams.</summary>
    internal const int InterleaveThreshold = 16 * 1024;

    // x^(2^k) mod P in the reflected domain, k = 0..31 (zlib's x2n_table, for CRC-32C's polynomial).
    private static readonly uint[] s_x2n = BuildX2n();

    /// <summary>
    /// crc32q has a 3-cycle latency but a 1-cycle throughput, so one dependent chain leaves two thirds
    /// of the unit idle. Three independent chains over thirds of the input run at full rate; their
    /// CRCs are then joined with CRC algebra (zlib's crc32_combine): crc(A‖B) = crc(A)·x^(8|B|) ⊕ crc(B),
    /// and Extend(c, D) = c·x^(8|D|) ⊕ crc(D).
    /// </summary>
    private static uint ExtendInterleaved(uint crc, ReadOnlySpan<byte> data)
    {
        int chunk = data.Length / 24 * 8; // bytes per stream, whole words
        var w0 = MemoryMarshal.Cast<byte, ulong>(data[..chunk]);
        var w1 = MemoryMarshal.Cast<byte, ulong>(data.Slice(chunk, chunk));
        var w2 = MemoryMarshal.Cast<byte, ulong>(data.Slice(2 * chunk, chunk));
        ulong c0 = uint.MaxValue, c1 = uint.MaxValue, c2 = uint.MaxValue;
        for (int i = 0; i < w0.Length; i++)
        {
            c0 = Sse42.X64.Crc32(c0, w0[i]);
            c1 = Sse42.X64.Crc32(c1, w1[i]);
            c2 = Sse42.X64.Crc32(c2, w2[i]);
        }
        uint shiftChunk = X2nModP(chunk, 3);
        uint joined = MultModP(shiftChunk, ~(uint)c0) ^ ~(uint)c1;
        joined = MultModP(shiftChunk, joined) ^ ~(uint)c2;
        if (crc != 0) joined ^= MultModP(X2nModP(3L * chunk, 3), crc);
        return ~Update(~joined, data[(3 * chunk)..]);
    }

    // a·b mod P, both reflected (bit 31 is x^0); zlib's multmodp.
    private static uint MultModP(uint a, uint b)
    {
        uint m = 1u << 31, p = 0;
        while (true)
        {
            if ((a & m) != 0)
            {
                p ^= b;
                if ((a & (m - 1)) == 0) break;
            }
            m >>= 1;
            b = (b & 1) != 0 ? (b >> 1) ^ Polynomial : b >> 1;
        }
        return p;
    }

    // x^(n·2^k) mod P; with k = 3, the operator that appends n zero bytes.
    private static uint X2nModP(long n, int k)
    {
        uint p = 1u << 31; // x^0
        while (n != 0)
        {
            if ((n & 1) != 0) p = MultModP(s_x2n[k & 31], p);
            n >>= 1;
            k++;
        }
        return p;
    }

    private static uint[] BuildX2n()
    {
        var t = new uint[32];
        uint p = 1u << 30; // x^1
        t[0] = p;
        for (int n = 1; n < 32; n++) t[n] = p = MultModP(p, p);
        return t;
    }
}
