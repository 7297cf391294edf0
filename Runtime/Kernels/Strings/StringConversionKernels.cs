using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Strings;

/// <summary>
/// StringToNumber (string_to_number_op.cc: TF's safe_strto* — surrounding whitespace allowed, the whole rest must
/// be the number, out-of-range is an error), AsString (as_string_op.cc: printf-style <c>%d</c>/<c>%f</c>/<c>%e</c>/<c>%g</c>
/// with width, fill and precision; bools as "true"/"false") and DecodeRaw (decode_raw_op.cc: every string the same
/// length, a multiple of the element size; output shape <c>input.shape + [len / size]</c>).
/// </summary>
internal sealed class StringConversionKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("StringToNumber", StringToNumber);
        registry.Add("AsString", AsString);
        registry.Add("DecodeRaw", DecodeRaw);
    }

    private static OpKernel StringToNumber(Node node)
    {
        var type = node.GetType("out_type", DataType.DtFloat);
        if (type is not (DataType.DtFloat or DataType.DtDouble or DataType.DtInt32 or DataType.DtInt64))
            throw KernelAttrs.Err(node, $"out_type must be float, double, int32 or int64, got {DataTypes.Name(type)}.");
        return new DelegateKernel(node, ctx =>
        {
            var input = ctx.Input(0);
            if (input.DType != DataType.DtString) throw ctx.Error($"string_tensor must be strings, got {DataTypes.Name(input.DType)}.");
            var s = input.Strings;
            var o = ctx.AllocateOutput(0, type, input.Shape);
            for (int i = 0; i < s.Length; i++)
            {
                string text = Encoding.UTF8.GetString(s[i]).Trim();
                bool ok;
                switch (type)
                {
                    case DataType.DtFloat: ok = TryFloat(text, out double f) && (float.IsFinite((float)f) || !double.IsFinite(f)); o.AsSpan<float>()[i] = (float)f; break;
                    case DataType.DtDouble: ok = TryFloat(text, out double d); o.AsSpan<double>()[i] = d; break;
                    case DataType.DtInt32: ok = int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v32); o.AsSpan<int>()[i] = v32; break;
                    default: ok = long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v64); o.AsSpan<long>()[i] = v64; break;
                }
                if (!ok) throw ctx.Error($"StringToNumber OP could not correctly convert string: {Encoding.UTF8.GetString(s[i])} (element {i}) to {DataTypes.Name(type)}.");
            }
        });
    }

    // safe_strtod accepts decimal/exponent forms and inf/infinity/nan (any case), like strtod without hex.
    private static bool TryFloat(string text, out double value)
    {
        string t = text.ToLowerInvariant().TrimStart('+');
        bool neg = t.StartsWith('-');
        string body = neg ? t[1..] : t;
        if (body is "inf" or "infinity") { value = neg ? double.NegativeInfinity : double.PositiveInfinity; return true; }
        if (body == "nan") { value = double.NaN; return true; }
        if (text.Length == 0 || text.Contains(',') || text.Contains('_')) { value = 0; return false; }
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    private static OpKernel AsString(Node node)
    {
        int precision = (int)node.GetInt("precision", -1), width = (int)node.GetInt("width", -1);
        bool scientific = node.GetBool("scientific", false), shortest = node.GetBool("shortest", false);
        string fill = node.GetString("fill", "");
        if (fill.Length > 1) throw KernelAttrs.Err(node, $"Fill string must be one or fewer characters, got '{fill}'.");
        if (scientific && shortest) throw KernelAttrs.Err(node, "Cannot select both scientific and shortest notation.");
        char fillChar = fill.Length == 1 ? fill[0] : ' ';
        return new DelegateKernel(node, ctx =>
        {
            var input = ctx.Input(0);
            long n = input.NumElements;
            var o = new byte[n][];
            bool isFloat = input.DType is DataType.DtFloat or DataType.DtDouble or DataType.DtHalf or DataType.DtBfloat16;
            if (!isFloat && (precision > -1 || scientific || shortest) && input.DType != DataType.DtComplex64)
                throw ctx.Error($"Cannot select precision, scientific or shortest for {DataTypes.Name(input.DType)} input.");
            for (int i = 0; i < n; i++)
            {
                string text = input.DType switch
                {
                    DataType.DtFloat => FormatFloat(input.AsSpan<float>()[i], precision, scientific, shortest),
                    DataType.DtDouble => FormatFloat(input.AsSpan<double>()[i], precision, scientific, shortest),
                    DataType.DtInt8 => input.AsSpan<sbyte>()[i].ToString(CultureInfo.InvariantCulture),
                    DataType.DtUint8 => input.AsSpan<byte>()[i].ToString(CultureInfo.InvariantCulture),
                    DataType.DtInt16 => input.AsSpan<short>()[i].ToString(CultureInfo.InvariantCulture),
                    DataType.DtUint16 => input.AsSpan<ushort>()[i].ToString(CultureInfo.InvariantCulture),
                    DataType.DtInt32 => input.AsSpan<int>()[i].ToString(CultureInfo.InvariantCulture),
                    DataType.DtUint32 => input.AsSpan<uint>()[i].ToString(CultureInfo.InvariantCulture),
                    DataType.DtInt64 => input.AsSpan<long>()[i].ToString(CultureInfo.InvariantCulture),
                    DataType.DtUint64 => input.AsSpan<ulong>()[i].ToString(CultureInfo.InvariantCulture),
                    DataType.DtBool => input.AsSpan<bool>()[i] ? "true" : "false",
                    DataType.DtString => Encoding.UTF8.GetString(input.Strings[i]),
                    _ => throw ctx.Error($"Value for attr 'T' of {DataTypes.Name(input.DType)} is not in the list of allowed values."),
                };
                if (width > text.Length)
                {
                    // printf's '0' flag pads after the sign; a space fill pads on the left.
                    bool zero = fillChar == '0' && input.DType != DataType.DtString && input.DType != DataType.DtBool && (text.Length > 0 && (char.IsAsciiDigit(text[^1]) || text.Contains('.')));
                    if (zero && (text.StartsWith('-') || text.StartsWith('+'))) text = text[0] + text[1..].PadLeft(width - 1, '0');
                    else text = text.PadLeft(width, zero ? '0' : ' ');
                }
                o[i] = Encoding.UTF8.GetBytes(text);
            }
            ctx.SetOutput(0, new Tensor(input.Shape, o));
        });
    }

    /// <summary>printf <c>%.{p}f</c>, <c>%.{p}e</c> or <c>%.{p}g</c> (p defaults to 6), as TF's AsString builds its format.</summary>
    internal static string FormatFloat(double v, int precision, bool scientific, bool shortest)
    {
        if (double.IsNaN(v)) return "nan";
        if (double.IsInfinity(v)) return v > 0 ? "inf" : "-inf";
        int p = precision < 0 ? 6 : precision;
        if (scientific) return FormatE(v, p);
        if (!shortest) return v.ToString("F" + p, CultureInfo.InvariantCulture);
        // %g: precision P (0 → 1); exponent X of the value rounded to P significant digits; %f with P-1-X decimals when
        // P > X >= -4, else %e with P-1; trailing zeros (and a trailing point) removed.
        int sig = p == 0 ? 1 : p;
        int x = v == 0 ? 0 : int.Parse(v.ToString("E" + (sig - 1), CultureInfo.InvariantCulture).Split('E')[1], CultureInfo.InvariantCulture);
        string r = sig > x && x >= -4 ? v.ToString("F" + (sig - 1 - x), CultureInfo.InvariantCulture) : FormatE(v, sig - 1);
        return StripZeros(r);
    }

    private static string FormatE(double v, int p)
    {
        var s = v.ToString((p == 0 ? "0" : "0." + new string('0', p)) + "e+00", CultureInfo.InvariantCulture);
        return s;
    }

    private static string StripZeros(string s)
    {
        int e = s.IndexOf('e');
        string mant = e < 0 ? s : s[..e], exp = e < 0 ? "" : s[e..];
        if (mant.Contains('.')) mant = mant.TrimEnd('0').TrimEnd('.');
        return mant + exp;
    }

    private static OpKernel DecodeRaw(Node node)
    {
        var type = node.GetType("out_type");
        bool little = node.GetBool("little_endian", true);
        if (!DataTypes.IsNumeric(type) && type != DataType.DtBool) throw KernelAttrs.Err(node, $"out_type {DataTypes.Name(type)} cannot be decoded from raw bytes.");
        int size = DataTypes.ElementSize(type);
        return new DelegateKernel(node, ctx =>
        {
            var input = ctx.Input(0);
            if (input.DType != DataType.DtString) throw ctx.Error($"bytes must be strings, got {DataTypes.Name(input.DType)}.");
            var s = input.Strings;
            int len = s.Length == 0 ? 0 : s[0].Length;
            if (len % size != 0)
                throw ctx.Error($"Input to DecodeRaw has length {len} that is not a multiple of {size}, the size of {DataTypes.Name(type)}.");
            for (int i = 1; i < s.Length; i++)
                if (s[i].Length != len)
                    throw ctx.Error($"DecodeRaw requires input strings to all be the same size, but element {i} has size {s[i].Length} != {len}.");
            var data = new byte[(long)s.Length * len];
            for (int i = 0; i < s.Length; i++) s[i].CopyTo(data, (long)i * len);
            if (little != BitConverter.IsLittleEndian && size > 1)
            {
                int swap = type is DataType.DtComplex64 or DataType.DtComplex128 ? size / 2 : size;
                for (int i = 0; i < data.Length; i += swap) Array.Reverse(data, i, swap);
            }
            ctx.SetOutput(0, new Tensor(type, new TensorShape([.. input.Shape.ToArray(), len / size]), data));
        });
    }
}
