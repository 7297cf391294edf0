using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Strings;

/// <summary>
/// StringToNumber (string_to_number_op.cc: TF's safe_strto* — surrounding whitespace allowed, the whole rest must
/// be the number, out-of-range is an error), AsString (as_string_op.cc: printf <c>%d</c>/<c>%u</c>/<c>%f</c>/<c>%e</c>/<c>%g</c>/<c>%s</c>
/// with width, a flag as fill and precision, rounded as printf does (<see cref="CFormat"/>); bools as "true"/"false") and DecodeRaw (decode_raw_op.cc: every string the same
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

    // as_string_op.cc (the absl::StrFormat version): the format is "%{fill}*.*{conv}" with width (−1 → 0) and precision
    // (−1: printf's default, 6 for floats, none for integers and strings); `fill` is a printf flag (' ', '+', '-', '0' or
    // '#'), anything else is an error; conv is d (signed), u (unsigned), e/f/g (float, double, half and bfloat16 as float,
    // each part of a complex as "(re,im)"), s (strings; width ≤ 0 forwards the input). Bools print "true"/"false".
    private static OpKernel AsString(Node node)
    {
        int precision = (int)node.GetInt("precision", -1), width = Math.Max(0, (int)node.GetInt("width", -1));
        bool scientific = node.GetBool("scientific", false), shortest = node.GetBool("shortest", false);
        string fill = node.GetString("fill", "");
        DataType? declared = node.HasAttr("T") ? node.GetType("T") : null;
        if (declared is { } t0) CheckAsStringAttrs(node, t0, precision, scientific, shortest);
        if (fill.Length > 1) throw KernelAttrs.Err(node, "Fill string must be one or fewer characters");
        if (scientific && shortest) throw KernelAttrs.Err(node, "Cannot select both scientific and shortest notation");
        var flags = CFormat.Flags.None;
        if (fill.Length == 1) flags = CFormat.FlagOf(fill[0]) ?? throw KernelAttrs.Err(node, $"Fill argument not supported: \"{fill}\"");
        char conv = shortest ? 'g' : scientific ? 'e' : 'f';
        return new DelegateKernel(node, ctx =>
        {
            var input = ctx.Input(0);
            var dtype = DataTypes.BaseType(input.DType);
            if (declared == null) CheckAsStringAttrs(node, dtype, precision, scientific, shortest);
            if (dtype == DataType.DtString && width <= 0)
            {
                ctx.SetOutput(0, input);
                return;
            }
            long n = input.NumElements;
            var o = new byte[n][];
            string Real(double v) => CFormat.Format(v, conv, precision, width, flags);
            string Int(long v) => CFormat.FormatInteger(v, width, flags);
            string UInt(ulong v) => CFormat.FormatInteger(v, width, flags, unsigned: true);
            for (int i = 0; i < n; i++)
            {
                o[i] = dtype switch
                {
                    DataType.DtString => PadString(input.Strings[i], precision, width, flags),
                    DataType.DtBool => Encoding.ASCII.GetBytes(input.Bytes[i] != 0 ? "true" : "false"),
                    _ => Encoding.ASCII.GetBytes(dtype switch
                    {
                        DataType.DtFloat => Real(input.AsSpan<float>()[i]),
                        DataType.DtDouble => Real(input.AsSpan<double>()[i]),
                        DataType.DtHalf => Real((float)input.AsSpan<Half>()[i]),
                        DataType.DtBfloat16 => Real(BitConverter.Int32BitsToSingle(input.AsSpan<ushort>()[i] << 16)),
                        DataType.DtComplex64 => "(" + Real(MemoryMarshal.Cast<byte, float>(input.Bytes)[2 * i]) + "," + Real(MemoryMarshal.Cast<byte, float>(input.Bytes)[2 * i + 1]) + ")",
                        DataType.DtComplex128 => "(" + Real(MemoryMarshal.Cast<byte, double>(input.Bytes)[2 * i]) + "," + Real(MemoryMarshal.Cast<byte, double>(input.Bytes)[2 * i + 1]) + ")",
                        DataType.DtInt8 => Int((sbyte)input.Bytes[i]),
                        DataType.DtUint8 => UInt(input.Bytes[i]),
                        DataType.DtInt16 => Int(input.AsSpan<short>()[i]),
                        DataType.DtUint16 => UInt(input.AsSpan<ushort>()[i]),
                        DataType.DtInt32 => Int(input.AsSpan<int>()[i]),
                        DataType.DtUint32 => UInt(input.AsSpan<uint>()[i]),
                        DataType.DtInt64 => Int(input.AsSpan<long>()[i]),
                        DataType.DtUint64 => UInt(input.AsSpan<ulong>()[i]),
                        _ => throw ctx.Error($"Cannot encode input of type {DataTypes.Name(dtype)}"),
                    }),
                };
            }
            ctx.SetOutput(0, new Tensor(input.Shape, o));
        });
    }

    // %{-}*.*s on bytes: at most `precision` bytes (all when < 0), padded with spaces to `width`.
    private static byte[] PadString(byte[] s, int precision, int width, CFormat.Flags flags)
    {
        var cut = precision >= 0 && s.Length > precision ? s[..precision] : s;
        if (cut.Length >= width) return cut;
        var pad = Enumerable.Repeat((byte)' ', width - cut.Length).ToArray();
        return (flags & CFormat.Flags.Left) != 0 ? [.. cut, .. pad] : [.. pad, .. cut];
    }

    private static void CheckAsStringAttrs(Node node, DataType dtype, int precision, bool scientific, bool shortest)
    {
        bool floatLike = dtype is DataType.DtString or DataType.DtFloat or DataType.DtDouble or DataType.DtHalf or DataType.DtBfloat16
            or DataType.DtComplex64 or DataType.DtComplex128;
        if (floatLike) return;
        if (scientific || shortest) throw KernelAttrs.Err(node, $"scientific and shortest format not supported for datatype {DataTypes.Name(dtype)}");
        if (precision >= 0) throw KernelAttrs.Err(node, $"precision not supported for datatype {DataTypes.Name(dtype)}");
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
