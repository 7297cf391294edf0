using System.Text;
using TypedGraph.Protos;

using static TypedGraph.Tests.Support.OpHarness;

namespace TypedGraph.Tests.Kernels.StringKernels;

/// <summary>
/// UnicodeDecode(WithOffsets) / UnicodeEncode / UnicodeTranscode against the golden values of TF's own tests
/// (tensorflow/python/kernel_tests/strings_ops/unicode_decode_op_test.py, unicode_encode_op_test.py,
/// unicode_transcode_op_test.py), and StringUpper/StringLower with encoding "utf-8" against Unicode's full case
/// mapping (SpecialCasing.txt) and TF's string_upper_op_test.
/// </summary>
public class UnicodeKernelTests
{
    private static Tensor B(params byte[][] s) => new(new TensorShape(s.Length), s);
    private static byte[] U8(string s) => Encoding.UTF8.GetBytes(s);
    private static readonly Encoding Utf32Be = new UTF32Encoding(bigEndian: true, byteOrderMark: false);

    private static (long[] Splits, int[] Chars, long[] Starts) Decode(Tensor input, params (string, object)[] attrs)
    {
        var o = Compute("UnicodeDecodeWithOffsets", [input], 3, Attrs(attrs));
        return (o[0].ToArray<long>(), o[1].ToArray<int>(), o[2].ToArray<long>());
    }

    private static int[][] Rows(long[] splits, int[] chars)
        => Enumerable.Range(0, splits.Length - 1).Select(i => chars[(int)splits[i]..(int)splits[i + 1]]).ToArray();

    private static long[][] Rows(long[] splits, long[] values)
        => Enumerable.Range(0, splits.Length - 1).Select(i => values[(int)splits[i]..(int)splits[i + 1]]).ToArray();

    // unicode_decode_op_test.testDocstringExamples.
    [Fact]
    public void Decode_docstring_example_gives_codepoints_and_byte_starts()
    {
        var (splits, chars, starts) = Decode(B(U8("G\u00f6\u00f6dnight"), U8("\U0001f60a")), ("input_encoding", "UTF-8"));
        Assert.Equal([0L, 9, 10], splits);
        Assert.Equal([71, 246, 246, 100, 110, 105, 103, 104, 116, 128522], chars);
        Assert.Equal([0L, 1, 3, 5, 6, 7, 8, 9, 10, 0], starts);
        // UnicodeDecode (no offsets) gives the same splits and values.
        var plain = Compute("UnicodeDecode", [B(U8("G\u00f6\u00f6dnight"), U8("\U0001f60a"))], 2, Attrs(("input_encoding", "UTF-8")));
        Assert.Equal(splits, plain[0].ToArray<long>());
        Assert.Equal(chars, plain[1].ToArray<int>());
    }

    // unicode_decode_op_test.testErrorModes / testErrorModesWithOffsets.
    [Fact]
    public void Decode_error_modes_replace_ignore_and_control_characters_follow_tf()
    {
        var input = B([0xFE], U8("hello"), [0x3D, 0x3D, 0xFF, 0x3D, 0x3D], U8("world"));
        int[] hello = [104, 101, 108, 108, 111], world = [119, 111, 114, 108, 100];
        var (s, c, st) = Decode(input, ("input_encoding", "UTF-8"), ("errors", "replace"));
        Assert.Equal([[0xFFFD], hello, [61, 61, 0xFFFD, 61, 61], world], Rows(s, c));
        Assert.Equal([[0L], [0, 1, 2, 3, 4], [0, 1, 2, 3, 4], [0, 1, 2, 3, 4]], Rows(s, st));
        (s, c, _) = Decode(input, ("input_encoding", "UTF-8"), ("errors", "replace"), ("replacement_char", 0));
        Assert.Equal([[0], hello, [61, 61, 0, 61, 61], world], Rows(s, c));
        (s, c, st) = Decode(input, ("input_encoding", "UTF-8"), ("errors", "ignore"));
        Assert.Equal([[], hello, [61, 61, 61, 61], world], Rows(s, c));
        Assert.Equal([[], [0L, 1, 2, 3, 4], [0, 1, 3, 4], [0, 1, 2, 3, 4]], Rows(s, st));
        // C0 controls are replaced, C1 controls (U+0080, U+009F) are not.
        (s, c, _) = Decode(B([0x00], U8("hello"), [0x3D, 0x3D, 0x01, 0x3D, 0x3D], U8("world"), U8("\u0080\u009f")),
            ("input_encoding", "UTF-8"), ("replace_control_characters", true));
        Assert.Equal([[0xFFFD], hello, [61, 61, 65533, 61, 61], world, [0x80, 0x9F]], Rows(s, c));
        // "\xD8\x01" with replacement 'A': the lead byte alone is ill-formed, then U+0001.
        (s, c, st) = Decode(B([0xD8, 0x01]), ("input_encoding", "UTF-8"), ("replacement_char", 0x41));
        Assert.Equal([0x41, 1], c);
        Assert.Equal([0L, 1], st);
        // testDecodeGenOp: "=\xFE=" replace / ignore.
        (s, c, st) = Decode(B([0x3D, 0xFE, 0x3D]), ("input_encoding", "UTF-8"), ("errors", "replace"));
        Assert.Equal([0L, 3], s); Assert.Equal([0x3D, 0xFFFD, 0x3D], c); Assert.Equal([0L, 1, 2], st);
        (s, c, st) = Decode(B([0x3D, 0xFE, 0x3D]), ("input_encoding", "UTF-8"), ("errors", "ignore"));
        Assert.Equal([0L, 2], s); Assert.Equal([61, 61], c); Assert.Equal([0L, 2], st);
    }

    // unicode_decode_op_test.testErrorModes: surrogates encoded in UTF-8 are ill-formed byte by byte (maximal
    // subparts); noncharacters decode; overlong and beyond-Unicode sequences give one U+FFFD per byte.
    [Fact]
    public void Decode_ill_formed_utf8_gives_one_replacement_per_maximal_subpart()
    {
        var (s, c, _) = Decode(B([0xED, 0xA0, 0xBD], [0xED, 0xB8, 0x80], [0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80],
            U8("\ufdd0"), U8("\ufffe\uffff"), U8("\U0010ffff"), [0xC0, 0x80], [0xF4, 0x90, 0x80, 0x80]), ("input_encoding", "UTF-8"));
        Assert.Equal([Enumerable.Repeat(0xFFFD, 3).ToArray(), Enumerable.Repeat(0xFFFD, 3).ToArray(), Enumerable.Repeat(0xFFFD, 6).ToArray(),
            [0xFDD0], [0xFFFE, 0xFFFF], [0x10FFFF], [0xFFFD, 0xFFFD], Enumerable.Repeat(0xFFFD, 4).ToArray()], Rows(s, c));
    }

    // unicode_decode_op_test.testDecodeWithOffsetsWithDifferentEncodings (expected offsets: cumulative encoded lengths).
    [Theory]
    [InlineData("UTF-8")]
    [InlineData("UTF-16-BE")]
    [InlineData("UTF-32-BE")]
    [InlineData("US-ASCII")]
    [InlineData("ISO-8859-1")]
    public void Decode_with_different_encodings_matches_python_codecs(string encoding)
    {
        string[] texts = encoding switch
        {
            "US-ASCII" => ["Hello", "world"],
            "ISO-8859-1" => ["\u00c0\u00c8\u00d3", "AEO"],
            _ => ["\u3053\u3093\u306b\u3061\u306f", "\u4f60\u597d", "Hello", "\U0001f60a!"],
        };
        var codec = encoding switch
        {
            "UTF-8" => Encoding.UTF8,
            "UTF-16-BE" => Encoding.BigEndianUnicode,
            "UTF-32-BE" => Utf32Be,
            "US-ASCII" => Encoding.ASCII,
            _ => Encoding.Latin1,
        };
        var (s, c, st) = Decode(B(texts.Select(codec.GetBytes).ToArray()), ("input_encoding", encoding));
        var rowsC = Rows(s, c);
        var rowsS = Rows(s, st);
        for (int i = 0; i < texts.Length; i++)
        {
            var runes = texts[i].EnumerateRunes().ToArray();
            Assert.Equal(runes.Select(r => r.Value), rowsC[i]);
            long at = 0;
            Assert.Equal(runes.Select(r => { long o = at; at += codec.GetByteCount(r.ToString()); return o; }), rowsS[i]);
        }
    }

    // unicode_decode_op_test.testExceptions / testDecodeWithOffsetsInt32Splits; unicode_transcode_op_test's
    // invalid input encoding.
    [Fact]
    public void Decode_errors_and_int32_splits_follow_tf()
    {
        var strict = Assert.ThrowsAny<Exception>(() => Decode(B([0xFE, 0x45, 0x44]), ("input_encoding", "UTF-8"), ("errors", "strict")));
        Assert.Contains("Invalid formatting on input string", strict.Message);
        var range = Assert.ThrowsAny<Exception>(() => Decode(B(U8("x")), ("input_encoding", "UTF-8"), ("replacement_char", 11141111)));
        Assert.Contains("replacement_char out of unicode codepoint range", range.Message);
        var policy = Assert.ThrowsAny<Exception>(() => Decode(B(U8("x")), ("input_encoding", "UTF-8"), ("errors", "oranguatan")));
        Assert.Contains("errors policy must be one of 'strict', 'replace', or 'ignore'", policy.Message);
        var conv = Assert.ThrowsAny<Exception>(() => Decode(B(U8("x")), ("input_encoding", "invalid")));
        Assert.Contains("Could not create converter for input encoding: invalid", conv.Message);
        var o = Compute("UnicodeDecodeWithOffsets", [B(U8("hello"), U8("world"))], 3, Attrs(("input_encoding", "UTF-8"), ("Tsplits", DataType.DtInt32)));
        Assert.Equal(DataType.DtInt32, o[0].DType);
        Assert.Equal([0, 5, 10], o[0].ToArray<int>());
        Assert.Equal(DataType.DtInt64, o[2].DType);
    }

    private static byte[] Transcode(byte[] input, params (string, object)[] attrs)
        => Compute1("UnicodeTranscode", [B(input)], Attrs(attrs)).Strings[0];

    // unicode_transcode_op_test: bad UTF-8 with each error policy, truncation at the end, control characters.
    [Fact]
    public void Transcode_error_policies_follow_tf_tests()
    {
        byte[] bad = [0x00, 0xFF];
        (string, object) utf8In = ("input_encoding", "UTF-8"), utf8Out = ("output_encoding", "UTF-8");
        Assert.Equal("  "u8.ToArray(), Transcode(bad, utf8In, utf8Out, ("replacement_char", (int)' '), ("replace_control_characters", true)));
        Assert.Equal([0x00, 0x20], Transcode(bad, utf8In, utf8Out, ("replacement_char", (int)' ')));
        Assert.Equal("abc abcdefg"u8.ToArray(), Transcode([.. "abc"u8, 0xFF, .. "abcdefg"u8], utf8In, utf8Out, ("replacement_char", (int)' ')));
        Assert.Equal([0x00, 0xEF, 0xBF, 0xBD], Transcode(bad, utf8In, utf8Out));
        Assert.Equal([0x00], Transcode(bad, utf8In, utf8Out, ("errors", "ignore")));
        Assert.Equal([], Transcode(bad, utf8In, utf8Out, ("errors", "ignore"), ("replace_control_characters", true)));
        Assert.Equal([0x61, 0xEF, 0xBF, 0xBD], Transcode([0x61, 0xF0], utf8In, utf8Out));
        // A real U+FFFD in the input is not an error, whatever the policy.
        Assert.Equal([0x61, 0xEF, 0xBF, 0xBD], Transcode([0x61, 0xEF, 0xBF, 0xBD], utf8In, utf8Out, ("errors", "strict")));
        Assert.Equal([0x61, 0xEF, 0xBF, 0xBD], Transcode([0x61, 0xEF, 0xBF, 0xBD], utf8In, utf8Out, ("replacement_char", (int)'?')));
        foreach (var input in new byte[][] { bad, [0xFF, 0x61, 0x62, 0x63, 0x64] })
            Assert.Contains("Invalid formatting on input string", Assert.ThrowsAny<Exception>(() => Transcode(input, utf8In, utf8Out, ("errors", "strict"))).Message);
        // US-ASCII keeps the shift characters 0x0E/0x0F.
        Assert.Equal([0x0E, 0x0E], Transcode([0x0E, 0x0E], ("input_encoding", "US-ASCII"), utf8Out, ("replacement_char", (int)' ')));
    }

    // unicode_transcode_op_test: UTF-16/UTF-32 in and out, surrogate pairs, and test_bom_handling's cases.
    [Theory]
    [InlineData(new byte[] { 0x00, 0x61, 0x00, 0x62, 0x20, 0xAC }, "UTF-16", "ab\u20ac")]
    [InlineData(new byte[] { 0xD8, 0x01, 0xDC, 0x37 }, "UTF-16", "\U00010437")]
    [InlineData(new byte[] { 0, 0, 0, 0x61, 0, 0, 0, 0x62, 0, 0, 0x20, 0xAC }, "UTF-32", "ab\u20ac")]
    [InlineData(new byte[] { 0x00, 0x01, 0x04, 0x37 }, "UTF-32", "\U00010437")]
    [InlineData(new byte[] { 0xFE, 0xFF, 0x00, 0x2A }, "UTF-16", "*")]
    [InlineData(new byte[] { 0xFF, 0xFE, 0x2A, 0x00 }, "UTF-16", "*")]
    [InlineData(new byte[] { 0xEF, 0xBB, 0xBF, 0x2A }, "UTF-8", "\ufeff*")]
    [InlineData(new byte[] { 0xFE, 0xFF, 0x00, 0x2A }, "UTF-16-BE", "\ufeff*")]
    [InlineData(new byte[] { 0xFF, 0xFE, 0x2A, 0x00 }, "UTF-16-LE", "\ufeff*")]
    [InlineData(new byte[] { 0x00, 0x2A }, "UTF-16", "*")]
    [InlineData(new byte[] { 0x3C, 0xEF, 0xBB, 0xBF, 0x3E }, "UTF-8", "<\ufeff>")]
    [InlineData(new byte[] { 0x00, 0x3C, 0xFE, 0xFF, 0x00, 0x3E }, "UTF-16", "<\ufeff>")]
    [InlineData(new byte[] { 0x00, 0x3C, 0xFE, 0xFF, 0x00, 0x3E }, "UTF-16-BE", "<\ufeff>")]
    [InlineData(new byte[] { 0x3C, 0x00, 0xFF, 0xFE, 0x3E, 0x00 }, "UTF-16-LE", "<\ufeff>")]
    [InlineData(new byte[] { 0xFE, 0xFF, 0x00, 0x3C, 0xFE, 0xFF, 0x00, 0x3E }, "UTF-16", "<\ufeff>")]
    [InlineData(new byte[] { 0xFF, 0xFE, 0x3C, 0x00, 0xFF, 0xFE, 0x3E, 0x00 }, "UTF-16", "<\ufeff>")]
    [InlineData(new byte[] { 0xFE, 0xFF, 0x00, 0x61 }, "UTF-16-LE", "\ufffe\u6100")]
    public void Transcode_to_utf8_handles_utf16_utf32_and_boms_as_tf(byte[] input, string inputEncoding, string expected)
        => Assert.Equal(U8(expected), Transcode(input, ("input_encoding", inputEncoding), ("output_encoding", "UTF-8")));

    [Fact]
    public void Transcode_from_utf8_to_utf16_and_utf32_big_endian()
    {
        foreach (var text in new[] { "ab\u20ac", "\U00010437" })
        {
            Assert.Equal(Encoding.BigEndianUnicode.GetBytes(text), Transcode(U8(text), ("input_encoding", "UTF-8"), ("output_encoding", "UTF-16-BE")));
            Assert.Equal(Utf32Be.GetBytes(text), Transcode(U8(text), ("input_encoding", "UTF-8"), ("output_encoding", "UTF-32-BE")));
        }
        // The UTF-8 BOM is an ordinary character: kept, and transcoded.
        Assert.Equal(Encoding.BigEndianUnicode.GetBytes("\ufeffabcdefg"), Transcode(U8("\ufeffabcdefg"), ("input_encoding", "UTF-8"), ("output_encoding", "UTF-16-BE")));
    }

    private static byte[] Encode(int[] values, long[] splits, string encoding, params (string, object)[] attrs)
        => Compute1("UnicodeEncode", [Tensor.Create(values, values.Length), Tensor.Create(splits, splits.Length)],
            Attrs([("output_encoding", encoding), .. attrs])).Strings[0];

    private static Encoding Codec(string encoding) => encoding switch { "UTF-8" => Encoding.UTF8, "UTF-16-BE" => Encoding.BigEndianUnicode, _ => Utf32Be };

    // unicode_encode_op_test: strict/ignore/replace with negative, too large and surrogate values; noncharacters valid.
    [Theory]
    [InlineData("UTF-8")]
    [InlineData("UTF-16-BE")]
    [InlineData("UTF-32-BE")]
    public void Encode_error_policies_follow_tf_tests(string encoding)
    {
        var codec = Codec(encoding);
        int[] valid = ['H', 'e', 'o', 0, '\b', 0x1F600, 0xFDD0, 0xFFFE, 0xFFFF, 0x10FFFF];
        Assert.Equal(codec.GetBytes("Heo\0\b\U0001f600\ufdd0\ufffe\uffff\U0010ffff"), Encode(valid, [0, valid.Length], encoding, ("errors", "strict")));
        foreach (var bad in new[] { new[] { -1 }, new[] { 0x110000 }, new[] { 0xD83D, 0xDE00 } })
            Assert.Contains("out of range for Unicode", Assert.ThrowsAny<Exception>(() => Encode(bad, [0, bad.Length], encoding, ("errors", "strict"))).Message);
        int[] mixed = ['H', 'e', 0x7FFFFFFF, -1, 'o', 0, '\b', 0x1F600, 0xD83D, 0xDE00, 0xFDD0, 0xFFFE, 0xFFFF, 0x10FFFF, 0x110000];
        Assert.Equal(codec.GetBytes("Heo\0\b\U0001f600\ufdd0\ufffe\uffff\U0010ffff"), Encode(mixed, [0, mixed.Length], encoding, ("errors", "ignore")));
        Assert.Equal([], Encode([0xD83D, 0xDE00], [0, 2], encoding, ("errors", "ignore")));
        Assert.Equal(codec.GetBytes("He\ufffd\ufffdo\0\b\U0001f600\ufffd\ufffd\ufdd0\ufffe\uffff\U0010ffff\ufffd"), Encode(mixed, [0, mixed.Length], encoding, ("errors", "replace")));
        Assert.Equal(codec.GetBytes("Heooo"), Encode(['H', 'e', 0x7FFFFFFF, -1, 'o'], [0, 5], encoding, ("errors", "replace"), ("replacement_char", (int)'o')));
        Assert.Equal(codec.GetBytes("He\ufffd\ufffdo"), Encode(['H', 'e', 0x7FFFFFFF, -1, 'o'], [0, 5], encoding));
        Assert.Equal(codec.GetBytes("A"), Encode([0xD801], [0, 1], encoding, ("errors", "replace"), ("replacement_char", 0x41)));
        Assert.Equal(codec.GetBytes("\U0001ffff"), Encode([0x1FFFF], [0, 1], encoding, ("errors", "replace"), ("replacement_char", 0x41)));
        Assert.ThrowsAny<Exception>(() => Encode(['H'], [0, 1], encoding, ("errors", "replace"), ("replacement_char", 0x110000)));
    }

    // Ragged rows (testRaggedMatrix) and TF's input_splits checks.
    [Fact]
    public void Encode_splits_rows_and_checks_splits_like_tf()
    {
        int[] values = ['H', 0xC3, 'l', 'l', 'o', 'W', 0x1F604, 'r', 'l', 'd', '.'];
        var rows = Compute1("UnicodeEncode", [Tensor.Create(values, values.Length), Tensor.Create(new long[] { 0, 5, 5, 11 }, 4)], Attrs(("output_encoding", "UTF-8")));
        Assert.Equal(new TensorShape(3), rows.Shape);
        Assert.Equal([U8("H\u00c3llo"), [], U8("W\U0001f604rld.")], rows.Strings);
        Assert.Contains("First value in input_splits must be zero.", Assert.ThrowsAny<Exception>(() => Encode(['a'], [1, 1], "UTF-8")).Message);
        Assert.Contains("Last value in input_splits must be equal to length of input_tensor.", Assert.ThrowsAny<Exception>(() => Encode(['a', 'b'], [0, 1], "UTF-8")).Message);
        Assert.Contains("ascending order", Assert.ThrowsAny<Exception>(() => Encode(['a', 'b'], [0, 2, 1, 2], "UTF-8")).Message);
        Assert.Contains("Invalid encoding \"UTF-16\"", Assert.ThrowsAny<Exception>(() => Encode(['a'], [0, 1], "UTF-16")).Message);
    }

    private static string Case(string op, string text) => Encoding.UTF8.GetString(Compute1(op, [Tensor.FromStrings([text], 1)], Attrs(("encoding", "utf-8"))).Strings[0]);

    // Full case mapping (SpecialCasing.txt unconditional entries + Final_Sigma), TF's string_upper_op_test unicode case.
    [Fact]
    public void Utf8_case_mapping_is_unicode_full_case_mapping()
    {
        Assert.Equal("\u00d3\u00d3SSCHLO\u00cb", Case("StringUpper", "\u00f3\u00f3sschlo\u00eb")); // TF's test: "ÓÓSSCHLOË"
        Assert.Equal("SS STRASSE", Case("StringUpper", "\u00df stra\u00dfe"));
        Assert.Equal("FI FFL ST", Case("StringUpper", "\ufb01 \ufb04 \ufb06"));
        Assert.Equal("\u02bcN J\u030c \u0399\u0308\u0301", Case("StringUpper", "\u0149 \u01f0 \u0390"));
        Assert.Equal("\u0391\u0399 \u1f08\u0399 \u0391\u0342\u0399", Case("StringUpper", "\u1fb3 \u1f80 \u1fb7"));
        Assert.Equal("I", Case("StringUpper", "\u0131"));
        Assert.Equal("i\u0307stanbul", Case("StringLower", "\u0130STANBUL"));
        // Final sigma: after a cased letter and not before one (case-ignorable characters skipped both ways).
        Assert.Equal("\u03bf\u03b4\u03bf\u03c2 \u03c3\u03b1 \u03b1\u03c2. \u03c3", Case("StringLower", "\u039f\u0394\u039f\u03a3 \u03a3\u0391 \u0391\u03a3. \u03a3"));
        Assert.Equal("\u03b1\u03c3'\u03b1", Case("StringLower", "\u0391\u03a3'\u0391"));
        // As TF (icu::UnicodeString built from c_str()), the text ends at the first NUL byte.
        Assert.Equal([0x61], Compute1("StringLower", [new Tensor(new TensorShape(1), [[0x41, 0x00, 0x42]])], Attrs(("encoding", "utf-8"))).Strings[0]);
        // TF accepts exactly "utf-8" or "".
        Assert.Contains("only utf-8 or '' (no encoding) is supported, received UTF-8",
            Assert.ThrowsAny<Exception>(() => Compute1("StringLower", [Tensor.FromStrings(["a"], 1)], Attrs(("encoding", "UTF-8")))).Message);
    }
}
