using System.Text;

namespace TypedGraph.Formats;

/// <summary>
/// The index key of one saved slice: TF's <c>EncodeTensorNameSlice</c>
/// (<c>saved_tensor_slice_util.cc</c>) over OrderedCode (<c>ordered_code.cc</c>): number 0, the name as
/// an escaped string, the rank, then per dim the signed start and length (−1 = full). Keys begin with
/// byte 0, so they sort right after the header and before every tensor name.
/// </summary>
internal static class SliceKeys
{
    private static readonly byte[] s_header0 = [0, 0x80, 0xC0, 0xE0, 0xF0, 0xF8, 0xFC, 0xFE, 0xFF, 0xFF, 0xFF];
    private static readonly byte[] s_header1 = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0xC0];

    public static byte[] Encode(string name, TensorSlice slice)
    {
        var b = new List<byte>();
        WriteNumIncreasing(b, 0);
        foreach (byte c in Encoding.UTF8.GetBytes(name))
        {
            // 0x00 and 0xFF are escaped so the 00 01 terminator stays unambiguous.
            if (c == 0x00) { b.Add(0x00); b.Add(0xFF); }
            else if (c == 0xFF) { b.Add(0xFF); b.Add(0x00); }
            else b.Add(c);
        }
        b.Add(0x00);
        b.Add(0x01);
        WriteNumIncreasing(b, (ulong)slice.Rank);
        for (int d = 0; d < slice.Rank; d++)
        {
            WriteSignedNumIncreasing(b, slice.Starts[d]);
            WriteSignedNumIncreasing(b, slice.Lengths[d]);
        }
        return b.ToArray();
    }

    internal static void WriteNumIncreasing(List<byte> b, ulong v)
    {
        int n = 0;
        for (ulong x = v; x != 0; x >>= 8) n++;
        b.Add((byte)n);
        for (int i = n - 1; i >= 0; i--) b.Add((byte)(v >> (8 * i)));
    }

    internal static void WriteSignedNumIncreasing(List<byte> b, long v)
    {
        ulong x = v < 0 ? ~(ulong)v : (ulong)v;
        if (x < 64)
        {
            b.Add((byte)(0x80 ^ (byte)v));
            return;
        }
        int bits = 64 - System.Numerics.BitOperations.LeadingZeroCount(x);
        int len = bits / 7 + 1;
        var buf = new byte[10];
        byte sign = v < 0 ? (byte)0xFF : (byte)0;
        buf[0] = sign;
        buf[1] = sign;
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(buf.AsSpan(2), v);
        int begin = 10 - len;
        buf[begin] ^= s_header0[len];
        buf[begin + 1] ^= s_header1[len];
        for (int i = begin; i < 10; i++) b.Add(buf[i]);
    }
}
