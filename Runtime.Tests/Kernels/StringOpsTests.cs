using System.Text;
using Google.Protobuf;
using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

using static TypedGraph.Tests.Support.OpHarness;

namespace TypedGraph.Tests.Kernels;

/// <summary>String kernels against TF's tests and documented semantics (each test cites its source).</summary>
public class StringOpsTests
{
    private static Tensor S(params string[] s) => Tensor.FromStrings(s, s.Length);
    private static string[] Text(Tensor t) => t.Strings.Select(b => Encoding.UTF8.GetString(b)).ToArray();
    private static AttrValue Ints(params long[] v) { var a = new AttrValue { List = new AttrValue.Types.ListValue() }; a.List.I.AddRange(v); return a; }

    // Guava FarmHashFingerprint64Test.testReallySimpleFingerprints (checked there against the C++ reference).
    [Theory]
    [InlineData("test", 1, 8581389452482819506L)]
    [InlineData("test", 8, -4196240717365766262L)]
    [InlineData("test", 64, 3500507768004279527L)]
    public void Fingerprint64_MatchesPublishedVectors(string unit, int repeat, long expected)
        => Assert.Equal(expected, (long)FarmHash.Fingerprint64(Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(unit, repeat)))));

    // Guava FarmHashFingerprint64Test.testMultipleLengths: a chained hash over every length 0..3199 bytes, which
    // Guava states matches the C++ reference implementation (0x7a1d67c50ec7e167).
    [Fact]
    public void Fingerprint64_EveryLengthUpTo800_MatchesTheReferenceChain()
    {
        const int iterations = 800;
        var buf = new byte[iterations * 4];
        int len = 0;
        long h = 0;
        long F(int n) => (long)FarmHash.Fingerprint64(buf.AsSpan(0, n));
        static long Remix(long h) { h ^= (long)((ulong)h >> 41); return h * 949921979; }
        static byte Char(long h) => (byte)('a' + (h & 0xfffff) % 26);
        for (int i = 0; i < iterations; i++)
        {
            h ^= F(i); h = Remix(h); buf[len++] = Char(h);
            h ^= F(i * i % len); h = Remix(h); buf[len++] = Char(h);
            h ^= F(i * i * i % len); h = Remix(h); buf[len++] = Char(h);
            h ^= F(len); h = Remix(h); buf[len++] = Char(h);
            int x0 = buf[len - 1], x1 = buf[len - 2], x2 = buf[len - 3], x3 = buf[len / 2];
            buf[((x0 << 16) + (x1 << 8) + x2) % len] ^= (byte)x3;
            buf[((x1 << 16) + (x2 << 8) + x3) % len] ^= (byte)(i % 256);
        }
        Assert.Equal(0x7a1d67c50ec7e167L, h);
    }

    // string_to_hash_bucket_op_test.py testStringToHashBucketsFast: Fingerprint64('a'..'d') mod 10 = [9, 2, 2, 5].
    [Fact]
    public void StringToHashBucketFast_MatchesTfTest()
    {
        var o = Compute1("StringToHashBucketFast", [S("a", "b", "c", "d")], d => d.Attr["num_buckets"] = new AttrValue { I = 10 });
        Assert.Equal(new long[] { 9, 2, 2, 5 }, o.ToArray<long>());
        Assert.Equal(12917804110809363939UL, FarmHash.Fingerprint64("a"u8));
        var one = Compute1("StringToHashBucketFast", [S("a", "b", "c")], d => d.Attr["num_buckets"] = new AttrValue { I = 1 });
        Assert.Equal(new long[] { 0, 0, 0 }, one.ToArray<long>());
    }

    // string_to_hash_bucket_op_test.py testStringToHashBucketsStrong: key [98765, 132] → [4, 2, 8];
    // StrongKeyedHash(key, 'a') = 7157389809176466784.
    [Fact]
    public void StringToHashBucketStrong_MatchesTfTest_AndRejectsABadKey()
    {
        var o = Compute1("StringToHashBucketStrong", [S("a", "b", "c")], d => { d.Attr["num_buckets"] = new AttrValue { I = 10 }; d.Attr["key"] = Ints(98765, 132); });
        Assert.Equal(new long[] { 4, 2, 8 }, o.ToArray<long>());
        Assert.Equal(7157389809176466784UL, SipHash.Hash(98765, 132, "a"u8));
        var e = Assert.ThrowsAny<GraphExecutionException>(() => Compute1("StringToHashBucketStrong", [S("a")], d => { d.Attr["num_buckets"] = new AttrValue { I = 10 }; d.Attr["key"] = Ints(98765); }));
        Assert.Contains("Key must have 2 elements", e.Message);
    }

    // SipHash-2-4 paper (Aumasson & Bernstein, appendix A): key 00..0f, message 00..0e → a129ca6149be45e5.
    [Fact]
    public void SipHash24_MatchesThePaperVector()
    {
        ulong k0 = 0x0706050403020100UL, k1 = 0x0f0e0d0c0b0a0908UL;
        var msg = Enumerable.Range(0, 15).Select(i => (byte)i).ToArray();
        Assert.Equal(0xa129ca6149be45e5UL, SipHash.Hash(k0, k1, msg));
    }

    // string_to_number_op: safe_strto* semantics; a bad string names itself.
    [Fact]
    public void StringToNumber_ParsesFloatsAndInts_AndRejectsGarbage()
    {
        var f = Compute1("StringToNumber", [S("1.5", " -2e3 ", "inf", "nan")], d => d.Attr["out_type"] = new AttrValue { Type = DataType.DtFloat });
        var v = f.ToArray<float>();
        Assert.Equal(1.5f, v[0]); Assert.Equal(-2000f, v[1]); Assert.True(float.IsPositiveInfinity(v[2])); Assert.True(float.IsNaN(v[3]));
        var i = Compute1("StringToNumber", [S("42", "-7")], d => d.Attr["out_type"] = new AttrValue { Type = DataType.DtInt32 });
        Assert.Equal(new[] { 42, -7 }, i.ToArray<int>());
        var e = Assert.ThrowsAny<GraphExecutionException>(() => Compute1("StringToNumber", [S("12x")], d => d.Attr["out_type"] = new AttrValue { Type = DataType.DtInt32 }));
        Assert.Contains("could not correctly convert string: 12x", e.Message);
        e = Assert.ThrowsAny<GraphExecutionException>(() => Compute1("StringToNumber", [S("3000000000")], d => d.Attr["out_type"] = new AttrValue { Type = DataType.DtInt32 }));
        Assert.Contains("3000000000", e.Message);
    }

    // as_string_op.cc builds a printf format: %f by default (6 decimals), %e for scientific, %g for shortest.
    [Fact]
    public void AsString_FollowsPrintfFormats()
    {
        Assert.Equal(["1.500000", "-0.250000"], Text(Compute1("AsString", [Tensor.Create(new[] { 1.5f, -0.25f }, 2)])));
        Assert.Equal(["1.50"], Text(Compute1("AsString", [Tensor.Create(new[] { 1.5f }, 1)], d => d.Attr["precision"] = new AttrValue { I = 2 })));
        Assert.Equal(["1.234500e+03"], Text(Compute1("AsString", [Tensor.Create(new[] { 1234.5 }, 1)], d => d.Attr["scientific"] = new AttrValue { B = true })));
        Assert.Equal(["1234.5", "1e-05", "1e+06"], Text(Compute1("AsString", [Tensor.Create(new[] { 1234.5, 0.00001, 1000000.0 }, 3)], d => d.Attr["shortest"] = new AttrValue { B = true })));
        Assert.Equal(["  42", "-007"], Text(Compute1("AsString", [Tensor.Create(new[] { 42, -7 }, 2)], d => d.Attr["width"] = new AttrValue { I = 4 })).Take(1).Concat(
            Text(Compute1("AsString", [Tensor.Create(new[] { -7 }, 1)], d => { d.Attr["width"] = new AttrValue { I = 4 }; d.Attr["fill"] = new AttrValue { S = ByteString.CopyFromUtf8("0") }; }))));
        Assert.Equal(["true", "false"], Text(Compute1("AsString", [Tensor.Create(new[] { true, false }, 2)])));
    }

    private static string[] AsStr(Tensor t, int? width = null, string? fill = null, int? precision = null, bool shortest = false, bool scientific = false)
        => Text(Compute1("AsString", [t], d =>
        {
            if (width != null) d.Attr["width"] = new AttrValue { I = width.Value };
            if (fill != null) d.Attr["fill"] = new AttrValue { S = ByteString.CopyFromUtf8(fill) };
            if (precision != null) d.Attr["precision"] = new AttrValue { I = precision.Value };
            if (shortest) d.Attr["shortest"] = new AttrValue { B = true };
            if (scientific) d.Attr["scientific"] = new AttrValue { B = true };
        }));

    // as_string_op.cc (absl::StrFormat with "%{fill}*.*{d,u,e,f,g,s}"): printf's rounding of the exact value (half to
    // even: 0.125 → "0.12", 2.5 → "2"), `fill` is a printf flag, every dtype of the op's T list, TF's attr errors.
    [Fact]
    public void AsString_MatchesPrintfForEveryDtypeAndFlag()
    {
        Assert.Equal(["0.12", "0.38"], AsStr(Tensor.Create(new[] { 0.125, 0.375 }, 2), precision: 2));
        Assert.Equal(["2", "4"], AsStr(Tensor.Create(new[] { 2.5f, 3.5f }, 2), precision: 0));
        Assert.Equal(["-0.000000", "inf", "-inf"], AsStr(Tensor.Create(new[] { -0.0, double.PositiveInfinity, double.NegativeInfinity }, 3)));
        Assert.Equal(["1.000000e-05", "1.2e+06"], AsStr(Tensor.Create(new[] { 0.00001 }, 1), scientific: true).Concat(AsStr(Tensor.Create(new[] { 1234567f }, 1), precision: 2, shortest: true)));
        Assert.Equal(["(1.500000,-2.000000)"], AsStr(new Tensor(DataType.DtComplex64, new TensorShape(1), MemoryMarshalBytes(new[] { 1.5f, -2f }))));
        Assert.Equal(["(1.5,-2)"], AsStr(new Tensor(DataType.DtComplex128, new TensorShape(1), MemoryMarshalBytes(new[] { 1.5, -2.0 })), shortest: true));
        Assert.Equal(["0.500000"], AsStr(Tensor.Create(new[] { (Half)0.5 }, 1)));
        Assert.Equal(["1.000000"], AsStr(new Tensor(DataType.DtBfloat16, new TensorShape(1), new byte[] { 0x80, 0x3F })));
        Assert.Equal(["255", "0"], AsStr(Tensor.Create(new byte[] { 255, 0 }, 2)));
        Assert.Equal(["-128"], AsStr(Tensor.Create(new sbyte[] { -128 }, 1)));
        Assert.Equal(["18446744073709551615"], AsStr(Tensor.Create(new[] { ulong.MaxValue }, 1)));
        Assert.Equal(["-9223372036854775808"], AsStr(Tensor.Create(new[] { long.MinValue }, 1)));
        Assert.Equal(["65535", "4294967295"], AsStr(Tensor.Create(new ushort[] { 65535 }, 1)).Concat(AsStr(Tensor.Create(new[] { uint.MaxValue }, 1))));
        // fill is a printf flag: '+' signs, ' ' leaves a space for the sign (even without a width), '-' left-justifies,
        // '0' pads after the sign (not inf), '#' keeps %g's zeros; %u never signs.
        Assert.Equal(["+42", "-7"], AsStr(Tensor.Create(new[] { 42, -7 }, 2), fill: "+"));
        Assert.Equal([" 42"], AsStr(Tensor.Create(new[] { 42 }, 1), fill: " "));
        Assert.Equal(["42   "], AsStr(Tensor.Create(new[] { 42L }, 1), width: 5, fill: "-"));
        Assert.Equal(["42"], AsStr(Tensor.Create(new uint[] { 42 }, 1), fill: "+"));
        Assert.Equal(["-01.50", "   inf"], AsStr(Tensor.Create(new[] { -1.5f, float.PositiveInfinity }, 2), width: 6, fill: "0", precision: 2));
        Assert.Equal(["3.00000"], AsStr(Tensor.Create(new[] { 3.0 }, 1), fill: "#", shortest: true));
        // Strings: width ≤ 0 forwards; else %*.*s (precision cuts bytes).
        Assert.Equal(["ab"], AsStr(S("ab")));
        Assert.Equal(["   ab", "  a"], AsStr(S("ab"), width: 5).Concat(AsStr(S("ab"), width: 3, precision: 1)));
        Assert.Equal(["true"], AsStr(Tensor.Create(new[] { true }, 1), width: 8)); // bools ignore the format
        var ex = Assert.Throws<GraphExecutionException>(() => AsStr(Tensor.Create(new[] { 1 }, 1), fill: "x"));
        Assert.Contains("Fill argument not supported: \"x\"", ex.Message);
        ex = Assert.Throws<GraphExecutionException>(() => AsStr(Tensor.Create(new[] { 1 }, 1), fill: "00"));
        Assert.Contains("Fill string must be one or fewer characters", ex.Message);
        ex = Assert.Throws<GraphExecutionException>(() => AsStr(Tensor.Create(new[] { 1 }, 1), precision: 2));
        Assert.Contains("precision not supported for datatype int32", ex.Message);
        ex = Assert.Throws<GraphExecutionException>(() => AsStr(Tensor.Create(new[] { 1L }, 1), shortest: true));
        Assert.Contains("scientific and shortest format not supported for datatype int64", ex.Message);
        ex = Assert.Throws<GraphExecutionException>(() => AsStr(Tensor.Create(new[] { 1.0 }, 1), shortest: true, scientific: true));
        Assert.Contains("Cannot select both scientific and shortest notation", ex.Message);
    }

    private static byte[] MemoryMarshalBytes<T>(T[] values) where T : unmanaged => System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    // decode_raw_op.cc: output shape input.shape + [len / sizeof(T)], little-endian by default; unequal lengths fail.
    [Fact]
    public void DecodeRaw_ReinterpretsBytes_AndRequiresEqualLengths()
    {
        var bytes = new Tensor(new TensorShape(2), [[1, 0, 2, 0], [0xff, 0xff, 0, 1]]);
        var o = Compute1("DecodeRaw", [bytes], d => d.Attr["out_type"] = new AttrValue { Type = DataType.DtInt16 });
        Assert.Equal([2, 2], o.Shape.ToArray());
        Assert.Equal(new short[] { 1, 2, -1, 256 }, o.ToArray<short>());
        var be = Compute1("DecodeRaw", [bytes], d => { d.Attr["out_type"] = new AttrValue { Type = DataType.DtInt16 }; d.Attr["little_endian"] = new AttrValue { B = false }; });
        Assert.Equal(new short[] { 256, 512, -1, 1 }, be.ToArray<short>());
        var e = Assert.ThrowsAny<GraphExecutionException>(() => Compute1("DecodeRaw", [new Tensor(new TensorShape(2), [[1, 2], [1, 2, 3, 4]])], d => d.Attr["out_type"] = new AttrValue { Type = DataType.DtInt16 }));
        Assert.Contains("same size", e.Message);
    }

    // tf.strings.split docs (StringSplitV2 = Python str.split): whitespace runs vs literal separator, maxsplit.
    [Fact]
    public void StringSplitV2_MatchesPythonSplit()
    {
        var o = Compute("StringSplitV2", [S("  hello  world ", "a"), Tensor.FromString("")], 3);
        Assert.Equal(new long[] { 0, 0, 0, 1, 1, 0 }, o[0].ToArray<long>());
        Assert.Equal(["hello", "world", "a"], Text(o[1]));
        Assert.Equal(new long[] { 2, 2 }, o[2].ToArray<long>());
        var c = Compute("StringSplitV2", [S("1<>2<><>3", ""), Tensor.FromString("<>")], 3);
        Assert.Equal(["1", "2", "", "3", ""], Text(c[1]));
        Assert.Equal(new long[] { 2, 4 }, c[2].ToArray<long>());
        var m = Compute("StringSplitV2", [S("a,b,c"), Tensor.FromString(",")], 3, d => d.Attr["maxsplit"] = new AttrValue { I = 1 });
        Assert.Equal(["a", "b,c"], Text(m[1]));
    }

    // StringSplit (v1) docs: each delimiter byte splits; skip_empty drops empty tokens; empty delimiter → characters.
    [Fact]
    public void StringSplitV1_SplitsOnEveryDelimiterByte()
    {
        var o = Compute("StringSplit", [S("a b,c", "x,,y"), Tensor.FromString(" ,")], 3);
        Assert.Equal(["a", "b", "c", "x", "y"], Text(o[1]));
        var keep = Compute("StringSplit", [S("x,,y"), Tensor.FromString(",")], 3, d => d.Attr["skip_empty"] = new AttrValue { B = false });
        Assert.Equal(["x", "", "y"], Text(keep[1]));
        var chars = Compute("StringSplit", [S("abc"), Tensor.FromString("")], 3);
        Assert.Equal(["a", "b", "c"], Text(chars[1]));
    }

    // regex_replace_op_test.py: RE2 rewrite syntax with \1 groups; replace_global=false replaces the first match only.
    [Fact]
    public void RegexReplace_UsesRe2RewriteSyntax()
    {
        var o = Compute1("StaticRegexReplace", [S("me@home you@work")], d =>
        {
            d.Attr["pattern"] = new AttrValue { S = ByteString.CopyFromUtf8("(\\w+)@(\\w+)") };
            d.Attr["rewrite"] = new AttrValue { S = ByteString.CopyFromUtf8("\\2 at \\1 ($)") };
        });
        Assert.Equal(["home at me ($) work at you ($)"], Text(o));
        var first = Compute1("RegexReplace", [S("aaa"), Tensor.FromString("a"), Tensor.FromString("b")], d => d.Attr["replace_global"] = new AttrValue { B = false });
        Assert.Equal(["baa"], Text(first));
        var e = Assert.ThrowsAny<GraphExecutionException>(() => Compute1("RegexReplace", [S("x"), Tensor.FromString("("), Tensor.FromString("")]));
        Assert.Contains("Invalid pattern", e.Message);
    }
}
