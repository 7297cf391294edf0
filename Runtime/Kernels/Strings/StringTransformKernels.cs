using System.Text;
using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Strings;

/// <summary>
/// Elementwise string transforms, each output shaped like its input: StringStrip (string_strip_op.cc:
/// absl::StripAsciiWhitespace, i.e. space, \t, \n, \v, \f, \r at both ends), StringLower / StringUpper
/// (string_lower_op.cc / string_upper_op.cc: with <c>encoding</c> "" only ASCII letters change, byte by byte;
/// with "utf-8" (exactly that spelling, as TF checks) ICU's full case mapping, which <see cref="FullCaseMapping"/>
/// reproduces: "ß" upper-cases to "SS", final Σ lower-cases to ς; like TF the text stops at the first NUL byte)
/// and StringLength (string_length_op.cc: int32 byte count, or with <c>unit</c> UTF8_CHAR the number of non-trail
/// bytes, TF's UTF8StrLen).
/// </summary>
internal sealed class StringTransformKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("StringStrip", node => Map(node, s => s.AsSpan().Trim(" \t\n\v\f\r"u8).ToArray()));
        registry.Add("StringLower", node => CaseMap(node, upper: false));
        registry.Add("StringUpper", node => CaseMap(node, upper: true));
        registry.Add("StringLength", StringLength);
    }

    private static OpKernel Map(Node node, Func<byte[], byte[]> f) => new DelegateKernel(node, ctx =>
    {
        var input = StringInput(ctx);
        var s = input.Strings;
        var o = new byte[s.Length][];
        for (int i = 0; i < s.Length; i++) o[i] = f(s[i]);
        ctx.SetOutput(0, new Tensor(input.Shape, o));
    });

    private static Tensor StringInput(OpKernelContext ctx)
    {
        var input = ctx.Input(0);
        return input.DType == DataType.DtString ? input : throw ctx.Error($"input must be strings, got {DataTypes.Name(input.DType)}.");
    }

    private static OpKernel CaseMap(Node node, bool upper)
    {
        string encoding = node.GetString("encoding", "");
        if (encoding.Length == 0)
            return Map(node, s =>
            {
                var o = (byte[])s.Clone();
                for (int i = 0; i < o.Length; i++)
                {
                    byte b = o[i];
                    if (upper && b is >= (byte)'a' and <= (byte)'z') o[i] = (byte)(b - 32);
                    else if (!upper && b is >= (byte)'A' and <= (byte)'Z') o[i] = (byte)(b + 32);
                }
                return o;
            });
        if (encoding != "utf-8")
            throw KernelAttrs.Err(node, $"only utf-8 or '' (no encoding) is supported, received {encoding}");
        return Map(node, s =>
        {
            // TF builds icu::UnicodeString(input.c_str(), "UTF-8"): the text ends at the first NUL byte, and ill-formed
            // UTF-8 becomes U+FFFD per maximal subpart (as .NET's decoder does).
            int nul = Array.IndexOf(s, (byte)0);
            string text = Encoding.UTF8.GetString(s, 0, nul < 0 ? s.Length : nul);
            return Encoding.UTF8.GetBytes(upper ? FullCaseMapping.ToUpper(text) : FullCaseMapping.ToLower(text));
        });
    }

    private static OpKernel StringLength(Node node)
    {
        string unit = node.GetString("unit", "BYTE");
        bool utf8 = unit switch
        {
            "BYTE" => false,
            "UTF8_CHAR" => true,
            _ => throw KernelAttrs.Err(node, $"Invalid unit '{unit}'; expected BYTE or UTF8_CHAR."),
        };
        return new DelegateKernel(node, ctx =>
        {
            var input = StringInput(ctx);
            var s = input.Strings;
            var o = ctx.AllocateOutput(0, DataType.DtInt32, input.Shape).AsSpan<int>();
            for (int i = 0; i < s.Length; i++)
            {
                if (!utf8) { o[i] = s[i].Length; continue; }
                int n = 0;
                foreach (byte b in s[i]) if ((sbyte)b >= -0x40) n++; // not a trail byte (0x80–0xBF)
                o[i] = n;
            }
        });
    }
}
