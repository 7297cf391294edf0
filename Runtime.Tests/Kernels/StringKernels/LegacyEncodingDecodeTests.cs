using System.Text;
using static TypedGraph.Tests.Support.OpHarness;

namespace TypedGraph.Tests.Kernels.StringKernels;

/// <summary>
/// UnicodeDecode(WithOffsets) / UnicodeTranscode with the legacy input encodings TF accepts through ICU converters
/// (Shift_JIS, GB18030 incl. a four-byte supplementary character, Big5, windows-1252, EUC-KR, KOI8-R), ICU's
/// case/punctuation-insensitive names, and TF's error policies on a truncated multi-byte sequence. The byte strings
/// were written down from the standards' tables (checked with Python's codecs, not with our decoder).
/// </summary>
public class LegacyEncodingDecodeTests
{
    private static Tensor B(params byte[][] s) => new(new TensorShape(s.Length), s);

    private static (long[] Splits, int[] Chars, long[] Starts) Decode(byte[] input, string encoding, params (string, object)[] more)
    {
        var o = Compute("UnicodeDecodeWithOffsets", [B(input)], 3, Attrs([("input_encoding", encoding), .. more]));
        return (o[0].ToArray<long>(), o[1].ToArray<int>(), o[2].ToArray<long>());
    }

    [Theory]
    [InlineData("Shift_JIS", new byte[] { 0x93, 0xFA, 0x96, 0x7B, 0x8C, 0xEA, 0x41, 0xB1 }, new[] { 0x65E5, 0x672C, 0x8A9E, 0x41, 0xFF71 }, new long[] { 0, 2, 4, 6, 7 })]
    [InlineData("shift-jis", new byte[] { 0x41, 0xB1 }, new[] { 0x41, 0xFF71 }, new long[] { 0, 1 })]
    [InlineData("GB18030", new byte[] { 0xD6, 0xD0, 0xA8, 0xA6, 0x94, 0x39, 0xFD, 0x36 }, new[] { 0x4E2D, 0xE9, 0x1F60A }, new long[] { 0, 2, 4 })]
    [InlineData("Big5", new byte[] { 0xA4, 0xA4, 0xA4, 0xE5 }, new[] { 0x4E2D, 0x6587 }, new long[] { 0, 2 })]
    [InlineData("windows-1252", new byte[] { 0x80, 0x93, 0x78 }, new[] { 0x20AC, 0x201C, 0x78 }, new long[] { 0, 1, 2 })]
    [InlineData("EUC-KR", new byte[] { 0xC7, 0xD1, 0xB1, 0xB9 }, new[] { 0xD55C, 0xAD6D }, new long[] { 0, 2 })]
    [InlineData("KOI8-R", new byte[] { 0xED, 0xC9, 0xD2 }, new[] { 0x41C, 0x438, 0x440 }, new long[] { 0, 1, 2 })]
    public void Legacy_encodings_decode_to_code_points_with_byte_offsets(string encoding, byte[] bytes, int[] chars, long[] starts)
    {
        var (splits, c, s) = Decode(bytes, encoding, ("errors", "strict"));
        Assert.Equal([0L, chars.Length], splits);
        Assert.Equal(chars, c);
        Assert.Equal(starts, s);
    }

    [Fact]
    public void Transcode_shift_jis_to_utf8()
    {
        byte[] sjis = [0x93, 0xFA, 0x96, 0x7B, 0x8C, 0xEA, 0x41];
        var o = Compute1("UnicodeTranscode", [B(sjis)], Attrs(("input_encoding", "Shift_JIS"), ("output_encoding", "UTF-8")));
        Assert.Equal(Encoding.UTF8.GetBytes("\u65E5\u672C\u8A9EA"), o.Strings[0]);
    }

    [Fact]
    public void A_truncated_multibyte_sequence_follows_the_error_policy()
    {
        // "A" then a Shift_JIS lead byte with no trail byte: one ill-formed sequence at the end.
        byte[] truncated = [0x41, 0x93];
        var (_, replaced, starts) = Decode(truncated, "Shift_JIS", ("errors", "replace"));
        Assert.Equal([0x41, 0xFFFD], replaced);
        Assert.Equal([0L, 1], starts);
        Assert.Equal([0x41], Decode(truncated, "Shift_JIS", ("errors", "ignore")).Chars);
        Assert.Throws<GraphExecutionException>(() => Decode(truncated, "Shift_JIS", ("errors", "strict")));
        // Unknown converter names still fail with TF's message.
        Assert.Contains("Could not create converter for input encoding: x-unknown",
            Assert.Throws<GraphExecutionException>(() => Decode([0x41], "x-unknown")).Message);
    }
}
