using System.Globalization;
using System.Text;
using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Strings;

/// <summary>
/// <c>UnicodeDecode</c>, <c>UnicodeDecodeWithOffsets</c>, <c>UnicodeEncode</c> and <c>UnicodeTranscode</c>, after TF's
/// unicode_ops.cc, which walks each string with an ICU converter one code point at a time
/// (<c>IterateUnicodeString</c> / <c>ucnv_getNextUChar</c>):
/// <list type="bullet">
/// <item><c>errors</c>: an ill-formed sequence (one per maximal subpart for UTF-8, as ICU ≥ 60 and .NET both do; a
/// truncated sequence at the end counts too) becomes <c>replacement_char</c> ("replace"), is dropped ("ignore"; the
/// byte offsets still advance), or fails the op with "Invalid formatting on input string" ("strict").</item>
/// <item><c>replace_control_characters</c>: code points ≤ 0x1F are handled like errors — replaced or dropped. Like
/// TF, Transcode with "strict" then fails on them, while Decode with "strict" replaces them (Decode's strict check
/// looks only at the converter's error flag).</item>
/// <item><c>input_encoding</c> (ICU converter names, compared as ICU does: case and punctuation ignored): UTF-8,
/// UTF-16 / UTF-16BE / UTF-16LE, UTF-32 / UTF-32BE / UTF-32LE, ISO-8859-1 (latin1) and US-ASCII (bytes ≥ 0x80 are
/// errors). The BOM-detecting UTF-16 and UTF-32 strip a leading BOM and default to big-endian; as in TF the converter
/// is created once per run, so the byte order found in the first string carries over to the next strings (whose BOMs
/// are then kept). Legacy encodings TF reaches through ICU — Shift_JIS, EUC-JP, GB18030, GBK, GB2312, Big5, EUC-KR,
/// KOI8-R/U, windows-125x, ISO-8859-x, cpNNN — decode through .NET's code page tables (CodePagesEncodingProvider), a
/// byte sequence the table does not map being an error under the same policies; other names are refused with TF's
/// "Could not create converter for input encoding".</item>
/// <item>Output encodings UTF-8, UTF-16-BE, UTF-32-BE as TF's <c>Encode</c>: the code points go through a UTF-16
/// buffer (ICU's UnicodeString), so an unpaired surrogate becomes U+FFFD in UTF-8 and is written as is in UTF-16/32.</item>
/// <item>UnicodeEncode: a value that is not a Unicode scalar value (negative, a surrogate, &gt; 0x10FFFF) is replaced,
/// dropped ("ignore") or fails the op ("strict", TF's message); noncharacters such as U+FFFE are valid. This follows
/// TF's unicode_encode_op_test (testStrictErrorsValid, testIgnoreErrors, testIgnoreErrorsSurrogate, which drops
/// [0xD83D, 0xDE00] entirely). input_splits are checked with TF's messages.</item>
/// </list>
/// Decode outputs are the ragged parts: <c>row_splits</c> (Tsplits, one more than the number of input strings),
/// flat <c>char_values</c> (int32) and <c>char_to_byte_starts</c> (int64).
/// </summary>
internal sealed class UnicodeKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("UnicodeDecode", node => Decode(node, withOffsets: false));
        registry.Add("UnicodeDecodeWithOffsets", node => Decode(node, withOffsets: true));
        registry.Add("UnicodeEncode", Encode);
        registry.Add("UnicodeTranscode", Transcode);
    }

    private sealed record ErrorOptions(int Subst, bool Elide, bool ReplaceControl, bool Strict)
    {
        // TF's GetErrorOptions.
        public static ErrorOptions Of(Node node)
        {
            string policy = node.GetString("errors", "replace");
            if (policy is not ("replace" or "ignore" or "strict"))
                throw KernelAttrs.Err(node, "errors policy must be one of 'strict', 'replace', or 'ignore'");
            long subst = node.GetInt("replacement_char", 0xFFFD);
            if (subst is < 0 or > 0x10FFFF) throw KernelAttrs.Err(node, "replacement_char out of unicode codepoint range");
            return new((int)subst, policy == "ignore", node.GetBool("replace_control_characters", false), policy == "strict");
        }

        // TF's ShouldHandleFormatError.
        public bool Handle(int ch, bool formatError) => (ReplaceControl && ch <= 0x1F) || formatError;
    }

    private enum OutputEncoding { Utf8, Utf16Be, Utf32Be }

    private static OutputEncoding ParseOutputEncoding(Node node, string name) => name switch
    {
        "UTF-8" => OutputEncoding.Utf8,
        "UTF-16-BE" => OutputEncoding.Utf16Be,
        "UTF-32-BE" => OutputEncoding.Utf32Be,
        _ => throw KernelAttrs.Err(node, $"Invalid encoding \"{name}\": Should be one of: UTF-8, UTF-16-BE, UTF-32-BE"),
    };

    private static OpKernel Decode(Node node, bool withOffsets)
    {
        var options = ErrorOptions.Of(node);
        string inputEncoding = node.GetString("input_encoding");
        _ = Decoder.Create(node, inputEncoding);
        bool splits64 = node.GetType("Tsplits", DataType.DtInt64) == DataType.DtInt64;
        return new DelegateKernel(node, ctx =>
        {
            var input = StringInput(ctx);
            var strings = input.Strings;
            var decoder = Decoder.Create(node, inputEncoding);
            var splits = new long[strings.Length + 1];
            var chars = new List<int>();
            var offsets = new List<long>();
            bool failed = false;
            for (int i = 0; i < strings.Length; i++)
            {
                long offset = 0;
                int pos = 0;
                var s = strings[i];
                while (pos < s.Length)
                {
                    var (ch, consumed, formatError) = decoder.Next(s, pos);
                    pos += consumed;
                    if (ch < 0) { offset += consumed; continue; }
                    if (options.Strict && formatError) failed = true;
                    int value = ch;
                    if (options.Handle(ch, formatError))
                    {
                        if (options.Elide) { offset += consumed; continue; }
                        value = options.Subst;
                    }
                    chars.Add(value);
                    offsets.Add(offset);
                    offset += consumed;
                }
                splits[i + 1] = chars.Count;
            }
            if (failed) throw ctx.Error("Invalid formatting on input string");
            var rowSplits = ctx.AllocateOutput(0, splits64 ? DataType.DtInt64 : DataType.DtInt32, new TensorShape(splits.Length));
            if (splits64) splits.CopyTo(rowSplits.AsSpan<long>());
            else { var o = rowSplits.AsSpan<int>(); for (int k = 0; k < splits.Length; k++) o[k] = checked((int)splits[k]); }
            chars.ToArray().CopyTo(ctx.AllocateOutput(1, DataType.DtInt32, new TensorShape(chars.Count)).AsSpan<int>());
            if (withOffsets) offsets.ToArray().CopyTo(ctx.AllocateOutput(2, DataType.DtInt64, new TensorShape(offsets.Count)).AsSpan<long>());
        });
    }

    private static OpKernel Transcode(Node node)
    {
        var options = ErrorOptions.Of(node);
        var output = ParseOutputEncoding(node, node.GetString("output_encoding"));
        string inputEncoding = node.GetString("input_encoding");
        _ = Decoder.Create(node, inputEncoding);
        return new DelegateKernel(node, ctx =>
        {
            var input = StringInput(ctx);
            var strings = input.Strings;
            var decoder = Decoder.Create(node, inputEncoding);
            var result = new byte[strings.Length][];
            bool anyError = false;
            for (int i = 0; i < strings.Length; i++)
            {
                var units = new StringBuilder();
                var s = strings[i];
                int pos = 0;
                while (pos < s.Length)
                {
                    var (ch, consumed, formatError) = decoder.Next(s, pos);
                    pos += consumed;
                    if (ch < 0) continue;
                    // TranslateCodepoints: control characters count as format errors here (so "strict" fails on them).
                    if (options.Handle(ch, formatError))
                    {
                        anyError = true;
                        if (options.Elide) continue;
                        ch = options.Subst;
                    }
                    AppendCodePoint(units, ch);
                }
                result[i] = EncodeUnits(units, output);
            }
            if (options.Strict && anyError) throw ctx.Error("Invalid formatting on input string");
            ctx.SetOutput(0, new Tensor(input.Shape, result));
        });
    }

    private static OpKernel Encode(Node node)
    {
        var output = ParseOutputEncoding(node, node.GetString("output_encoding"));
        var options = ErrorOptions.Of(node);
        return new DelegateKernel(node, ctx =>
        {
            var values = ctx.Input(0);
            var splitsTensor = ctx.Input(1);
            if (values.DType != DataType.DtInt32) throw ctx.Error($"input_values must be int32, got {DataTypes.Name(values.DType)}.");
            var codePoints = values.ToArray<int>();
            long[] splits = splitsTensor.DType switch
            {
                DataType.DtInt64 => splitsTensor.ToArray<long>(),
                DataType.DtInt32 => Array.ConvertAll(splitsTensor.ToArray<int>(), v => (long)v),
                _ => throw ctx.Error($"input_splits must be int32 or int64, got {DataTypes.Name(splitsTensor.DType)}."),
            };
            if (splits.Length == 0) throw ctx.Error("input_splits must have at least one value.");
            if (splits[0] != 0) throw ctx.Error("First value in input_splits must be zero.");
            if (splits[^1] != codePoints.Length) throw ctx.Error("Last value in input_splits must be equal to length of input_tensor.");
            var result = new byte[splits.Length - 1][];
            long idx = 0;
            for (int i = 1; i < splits.Length; i++)
            {
                if (splits[i - 1] > splits[i]) throw ctx.Error("Values in input_splits must be equal or in ascending order.");
                if (splits[i] > codePoints.Length) throw ctx.Error("Values in input_splits must be less than or equal to input_tensor length.");
                var units = new StringBuilder();
                for (; idx < splits[i]; idx++)
                {
                    int cp = codePoints[idx];
                    if (!Rune.IsValid(cp))
                    {
                        if (options.Strict) throw ctx.Error("Code point is out of range for Unicode, or a noncharacter.");
                        if (options.Elide) continue;
                        cp = options.Subst;
                    }
                    AppendCodePoint(units, cp);
                }
                result[i - 1] = EncodeUnits(units, output);
            }
            ctx.SetOutput(0, new Tensor(new TensorShape(result.Length), result));
        });
    }

    private static Tensor StringInput(OpKernelContext ctx)
    {
        var input = ctx.Input(0);
        return input.DType == DataType.DtString ? input : throw ctx.Error($"input must be strings, got {DataTypes.Name(input.DType)}.");
    }

    /// <summary>ICU's <c>U16_APPEND</c> into a UTF-16 buffer: BMP values (surrogates included) as one unit, supplementary
    /// ones as a pair, anything else (negative, &gt; 0x10FFFF) not at all.</summary>
    private static void AppendCodePoint(StringBuilder units, int c)
    {
        if ((uint)c <= 0xFFFF) units.Append((char)c);
        else if ((uint)c <= 0x10FFFF) units.Append(char.ConvertFromUtf32(c));
    }

    /// <summary>TF's <c>Encode</c> of an ICU UnicodeString.</summary>
    private static byte[] EncodeUnits(StringBuilder units, OutputEncoding encoding)
    {
        string s = units.ToString();
        switch (encoding)
        {
            case OutputEncoding.Utf8:
                return Encoding.UTF8.GetBytes(s); // unpaired surrogates → EF BF BD, as toUTF8String
            case OutputEncoding.Utf16Be:
            {
                var o = new byte[s.Length * 2];
                for (int i = 0; i < s.Length; i++) { o[2 * i] = (byte)(s[i] >> 8); o[2 * i + 1] = (byte)s[i]; }
                return o;
            }
            default:
            {
                var o = new List<byte>(s.Length * 4);
                for (int i = 0; i < s.Length; i++)
                {
                    int c = s[i];
                    if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) c = char.ConvertToUtf32(s[i], s[++i]);
                    o.Add((byte)(c >> 24)); o.Add((byte)(c >> 16)); o.Add((byte)(c >> 8)); o.Add((byte)c);
                }
                return o.ToArray();
            }
        }
    }

    /// <summary>One input converter: <see cref="Next"/> returns the next code point (U+FFFD on an ill-formed
    /// sequence), the bytes it consumed and whether it was ill-formed. Holds the BOM state of UTF-16/UTF-32.</summary>
    private sealed class Decoder
    {
        private enum Kind { Utf8, Utf16, Utf32, Latin1, Ascii, CodePage }

        private readonly Kind _kind;
        private readonly Encoding? _codePage;
        private readonly bool _detectBom;
        private bool _bigEndian;
        private bool _decided;

        private Decoder(Encoding codePage) : this(Kind.CodePage, false, true) => _codePage = codePage;

        private Decoder(Kind kind, bool detectBom, bool bigEndian)
        {
            _kind = kind;
            _detectBom = detectBom;
            _bigEndian = bigEndian;
            _decided = !detectBom;
        }

        public static Decoder Create(Node node, string name)
        {
            // ICU compares converter names ignoring case and non-alphanumeric characters (ucnv_compareNames).
            string key = new(name.Where(char.IsAsciiLetterOrDigit).Select(char.ToLowerInvariant).ToArray());
            return key switch
            {
                "utf8" => new(Kind.Utf8, false, true),
                "utf16" => new(Kind.Utf16, true, true),
                "utf16be" => new(Kind.Utf16, false, true),
                "utf16le" => new(Kind.Utf16, false, false),
                "utf32" => new(Kind.Utf32, true, true),
                "utf32be" => new(Kind.Utf32, false, true),
                "utf32le" => new(Kind.Utf32, false, false),
                "iso88591" or "latin1" or "l1" or "ibm819" or "cp819" => new(Kind.Latin1, false, true),
                "usascii" or "ascii" or "ansix341968" or "iso646us" or "us" or "cp367" or "ibm367" or "csascii" => new(Kind.Ascii, false, true),
                _ => CodePage(key) is { } encoding ? new Decoder(encoding) : throw KernelAttrs.Err(node, "Could not create converter for input encoding: " + name),
            };
        }

        /// <summary>A legacy (non-Unicode) encoding from .NET's code page tables (<see cref="CodePagesEncodingProvider"/>,
        /// part of the shared framework), for the ICU converter names TF users pass: Shift_JIS, EUC-JP, GB18030, GBK,
        /// GB2312, Big5, EUC-KR, KOI8-R/U, windows-125x, ISO-8859-x, cpNNN / windows-NNN / ibmNNN. ICU's and Windows'
        /// tables can differ in a few vendor-specific mappings (unverified per code point). Null when not one of them.</summary>
        private static Encoding? CodePage(string key)
        {
            string? name = key switch
            {
                "shiftjis" or "sjis" or "mskanji" or "windows31j" or "cp932" or "ibm943" => "shift_jis",
                "eucjp" => "euc-jp",
                "gb18030" => "gb18030",
                "gbk" or "cp936" or "windows936" => "gbk",
                "gb2312" or "euccn" => "gb2312",
                "big5" or "cp950" or "windows950" => "big5",
                "euckr" or "cp949" or "windows949" or "ksc5601" => "euc-kr",
                "koi8r" => "koi8-r",
                "koi8u" => "koi8-u",
                _ => null,
            };
            int? number = null;
            if (name == null)
            {
                var m = System.Text.RegularExpressions.Regex.Match(key, "^(?:windows|cp|ibm)(\\d{3,5})$");
                if (m.Success) number = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                var iso = System.Text.RegularExpressions.Regex.Match(key, "^iso8859(\\d{1,2})$");
                if (iso.Success) name = "iso-8859-" + iso.Groups[1].Value;
            }
            if (name == null && number == null) return null;
            try
            {
                var encoding = number is int cp ? CodePagesEncodingProvider.Instance.GetEncoding(cp) : CodePagesEncodingProvider.Instance.GetEncoding(name!);
                if (encoding == null) return null;
                var strict = (Encoding)encoding.Clone(); // writable copy: unmapped bytes throw instead of becoming '?'
                strict.DecoderFallback = DecoderFallback.ExceptionFallback;
                return strict;
            }
            catch (ArgumentException) { return null; }
            catch (NotSupportedException) { return null; }
        }

        /// <summary>The next character of a code page encoding: the shortest prefix (≤ 4 bytes) that decodes to a
        /// character; bytes the table does not map are one ill-formed sequence (as many bytes as .NET reports unknown),
        /// a truncated multi-byte sequence at the end of the string another.</summary>
        private (int Char, int Consumed, bool Error) NextCodePage(byte[] s, int pos)
        {
            var chars = new char[4];
            int left = s.Length - pos;
            for (int k = 1; k <= Math.Min(4, left); k++)
            {
                var decoder = _codePage!.GetDecoder();
                int used;
                try { used = decoder.GetChars(s, pos, k, chars, 0, flush: false); }
                catch (DecoderFallbackException e) { return (0xFFFD, Math.Max(1, e.BytesUnknown?.Length ?? 1), true); }
                if (used == 0) continue;
                if (char.IsHighSurrogate(chars[0]))
                {
                    if (used < 2) continue;
                    return (char.ConvertToUtf32(chars[0], chars[1]), k, false);
                }
                return (chars[0], k, false);
            }
            return (0xFFFD, left, true);
        }

        public (int Char, int Consumed, bool Error) Next(byte[] s, int pos)
        {
            switch (_kind)
            {
                case Kind.CodePage:
                    return NextCodePage(s, pos);
                case Kind.Utf8:
                {
                    var status = Rune.DecodeFromUtf8(s.AsSpan(pos), out var rune, out int consumed);
                    return status == System.Buffers.OperationStatus.Done ? (rune.Value, consumed, false) : (0xFFFD, Math.Max(1, consumed), true);
                }
                case Kind.Latin1:
                    return (s[pos], 1, false);
                case Kind.Ascii:
                    return s[pos] < 0x80 ? (s[pos], 1, false) : (0xFFFD, 1, true);
                case Kind.Utf16:
                {
                    int bom = 0;
                    if (!_decided)
                    {
                        _decided = true;
                        if (s.Length - pos >= 2 && s[pos] == 0xFE && s[pos + 1] == 0xFF) { _bigEndian = true; bom = 2; }
                        else if (s.Length - pos >= 2 && s[pos] == 0xFF && s[pos + 1] == 0xFE) { _bigEndian = false; bom = 2; }
                        if (bom > 0 && s.Length - pos == 2) return SkipOnly(2);
                    }
                    pos += bom;
                    int left = s.Length - pos;
                    if (left < 2) return (0xFFFD, left + bom, true);
                    int u = Unit16(s, pos);
                    if (u is < 0xD800 or > 0xDFFF) return (u, 2 + bom, false);
                    if (u >= 0xDC00) return (0xFFFD, 2 + bom, true); // unpaired trail surrogate
                    if (left < 4) return (0xFFFD, left + bom, true); // truncated pair at the end
                    int v = Unit16(s, pos + 2);
                    if (v is >= 0xDC00 and <= 0xDFFF) return (0x10000 + ((u - 0xD800) << 10) + (v - 0xDC00), 4 + bom, false);
                    return (0xFFFD, 2 + bom, true); // lead surrogate not followed by a trail one
                }
                default:
                {
                    int bom = 0;
                    if (!_decided)
                    {
                        _decided = true;
                        if (s.Length - pos >= 4 && s[pos] == 0 && s[pos + 1] == 0 && s[pos + 2] == 0xFE && s[pos + 3] == 0xFF) { _bigEndian = true; bom = 4; }
                        else if (s.Length - pos >= 4 && s[pos] == 0xFF && s[pos + 1] == 0xFE && s[pos + 2] == 0 && s[pos + 3] == 0) { _bigEndian = false; bom = 4; }
                        if (bom > 0 && s.Length - pos == 4) return SkipOnly(4);
                    }
                    pos += bom;
                    int left = s.Length - pos;
                    if (left < 4) return (0xFFFD, left + bom, true);
                    long c = _bigEndian
                        ? ((long)s[pos] << 24) | ((long)s[pos + 1] << 16) | ((long)s[pos + 2] << 8) | s[pos + 3]
                        : ((long)s[pos + 3] << 24) | ((long)s[pos + 2] << 16) | ((long)s[pos + 1] << 8) | s[pos];
                    if (c > 0x10FFFF || c is >= 0xD800 and <= 0xDFFF) return (0xFFFD, 4 + bom, true);
                    return ((int)c, 4 + bom, false);
                }
            }
        }

        private int Unit16(byte[] s, int at) => _bigEndian ? (s[at] << 8) | s[at + 1] : (s[at + 1] << 8) | s[at];

        // A string that is only a BOM: nothing to emit (unverified against ICU, whose getNextUChar reports "no more
        // input" here). Signalled as code point -1, which callers skip.
        private static (int, int, bool) SkipOnly(int bytes) => (-1, bytes, false);
    }
}
