using System.Globalization;
using System.Buffers.Binary;
using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Logging;

/// <summary>
/// TF's text of a tensor's values, <c>Tensor::SummarizeValue(max_entries, print_v2)</c> as
/// tensorflow/core/framework/tensor.cc writes it, in bytes (string elements are bytes).
/// <list type="bullet">
/// <item>The first <c>limit = min(max_entries, n)</c> values (max_entries &lt; 0: all).</item>
/// <item>V1 (<c>Print</c>, <c>Assert</c>): flat with nested brackets, no spaces between them (<c>"[1 2][3...]..."</c>,
/// tensor.cc <c>PrintOneDim</c>); <c>"..."</c> ends a cut-off innermost row and the whole text when values were left out.</item>
/// <item>V2 (<c>StringFormat</c>, <c>tf.print</c>): numpy-like (<c>"[[1 2]\n [3 4]]"</c>, <c>PrintOneDimV2</c>): the first and
/// last <c>limit</c> entries of every dimension, <c>"..."</c> between; rows of dimension d end with rank − d − 1 newlines and
/// d + 1 spaces of indent.</item>
/// <item>Scalars: the value (V1 and V2 alike); a cut-off scalar (limit 0) is <c>"..."</c>.</item>
/// <item>Elements: tsl <c>strings::StrCat</c>'s text: integers in decimal, bool as 1/0 (tensor.cc's TODO says so), float/half/
/// bfloat16 via <see cref="CFormat.FloatToBuffer"/>, double via <see cref="CFormat.DoubleToBuffer"/>, strings
/// <c>absl::Utf8SafeCEscape</c>d (in V2 also in double quotes). Types tensor.cc has no case for (complex, qint32) print
/// <c>"?"</c> per value, flat (<c>"[? ?...]"</c> in V2); resources and variants print as <c>&lt;…&gt;</c> around our
/// handle's own description, which is not TF's ResourceHandle text.</item>
/// </list>
/// </summary>
/// <remarks>
/// Two quirks are TF's, kept: a bool tensor with limit 0 prints <c>""</c> (tensor.cc returns early when it has no data
/// pointer), and a V2 tensor with limit 0 but a nonzero dimension prints that dimension as <c>"[ ...]"</c>.
/// The float text is the FloatToBuffer rule of TF releases whose tsl <c>strings::StrCat</c> has its own AlphaNum;
/// the newest TF sources alias it to <c>absl::AlphaNum</c>, whose floats are <c>%.6g</c>-like without the round-trip retry.
/// </remarks>
internal static class TensorSummary
{
    /// <summary>The summary of <paramref name="t"/> as TF's <c>SummarizeValue(maxEntries, printV2)</c>.</summary>
    public static byte[] Summarize(Tensor t, long maxEntries, bool printV2)
    {
        var sb = new List<byte>();
        Append(sb, t, maxEntries, printV2);
        return [.. sb];
    }

    /// <summary>Appends the summary of <paramref name="t"/> to <paramref name="sb"/>.</summary>
    public static void Append(List<byte> sb, Tensor t, long maxEntries, bool printV2)
    {
        long n = t.NumElements;
        if (maxEntries < 0) maxEntries = n;
        long limit = Math.Min(maxEntries, n);
        var dims = t.Shape.Dims.ToArray().Select(d => (long)d).ToArray();
        Action<List<byte>, long>? element = ElementPrinter(t, printV2);
        if (element == null)
        {
            // tensor.cc's default case: "?" (or <handle>) per value, flat, bracketed once in V2.
            if (printV2 && dims.Length > 0) sb.Add((byte)'[');
            for (long i = 0; i < limit; i++)
            {
                if (i > 0) sb.Add((byte)' ');
                if (t.DType is DataType.DtResource or DataType.DtVariant) Ascii(sb, "<" + HandleText(t) + ">");
                else sb.Add((byte)'?');
            }
            if (maxEntries < n) Ascii(sb, "...");
            if (printV2 && dims.Length > 0) sb.Add((byte)']');
            return;
        }
        if (t.DType == DataType.DtBool && limit == 0) return; // tensor.cc: SummarizeArray<bool> returns "" without data
        if (dims.Length == 0)
        {
            for (long i = 0; i < limit; i++)
            {
                if (i > 0) sb.Add((byte)' ');
                element(sb, i);
            }
            if (n > limit) Ascii(sb, "...");
            return;
        }
        if (printV2)
        {
            OneDimV2(sb, 0, dims, limit, element, 0);
            return;
        }
        long index = 0;
        OneDimV1(sb, 0, dims, limit, element, ref index);
        if (n > limit) Ascii(sb, "...");
    }

    // tensor.cc PrintOneDim: walks the values in order until `limit` are printed.
    private static void OneDimV1(List<byte> sb, int dim, long[] shape, long limit, Action<List<byte>, long> element, ref long index)
    {
        if (index >= limit) return;
        long count = shape[dim];
        if (dim == shape.Length - 1)
        {
            for (long i = 0; i < count; i++)
            {
                if (index >= limit)
                {
                    if (dim != 0) Ascii(sb, "...");
                    return;
                }
                if (i > 0) sb.Add((byte)' ');
                element(sb, index++);
            }
            return;
        }
        for (long i = 0; i < count; i++)
        {
            bool open = false;
            if (index < limit)
            {
                sb.Add((byte)'[');
                open = true;
            }
            OneDimV1(sb, dim + 1, shape, limit, element, ref index);
            if (index < limit || open) sb.Add((byte)']');
        }
    }

    // tensor.cc PrintOneDimV2: the first and last `ends` entries of each dimension.
    private static void OneDimV2(List<byte> sb, int dim, long[] shape, long ends, Action<List<byte>, long> element, long offset)
    {
        if (dim == shape.Length)
        {
            element(sb, offset);
            return;
        }
        sb.Add((byte)'[');
        long count = shape[dim];
        long startOfEnd = Math.Max(ends, count - ends);
        long stride = 1;
        for (int i = dim + 1; i < shape.Length; i++) stride *= shape[i];
        for (long i = 0; i < ends && i < count; i++)
        {
            if (i > 0) Spacing(sb, dim, shape.Length);
            OneDimV2(sb, dim + 1, shape, ends, element, offset + stride * i);
        }
        if (count > 2 * ends)
        {
            Spacing(sb, dim, shape.Length);
            Ascii(sb, "...");
        }
        for (long i = startOfEnd; i < count; i++)
        {
            Spacing(sb, dim, shape.Length);
            OneDimV2(sb, dim + 1, shape, ends, element, offset + stride * i);
        }
        sb.Add((byte)']');
    }

    // tensor.cc PrintDimSpacing: a space inside the innermost dimension; else rank − dim − 1 newlines and dim + 1 spaces.
    private static void Spacing(List<byte> sb, int dim, int rank)
    {
        if (dim == rank - 1)
        {
            sb.Add((byte)' ');
            return;
        }
        for (int j = 0; j < rank - dim - 1; j++) sb.Add((byte)'\n');
        for (int j = 0; j <= dim; j++) sb.Add((byte)' ');
    }

    /// <summary>The element printer for <paramref name="t"/>'s dtype, or null for tensor.cc's default ("?") case.</summary>
    private static Action<List<byte>, long>? ElementPrinter(Tensor t, bool printV2) => DataTypes.BaseType(t.DType) switch
    {
        DataType.DtFloat => (sb, i) => Ascii(sb, CFormat.FloatToBuffer(t.AsSpan<float>()[(int)i])),
        DataType.DtHalf => (sb, i) => Ascii(sb, CFormat.FloatToBuffer((float)t.AsSpan<Half>()[(int)i])),
        DataType.DtBfloat16 => (sb, i) => Ascii(sb, CFormat.FloatToBuffer(BitConverter.Int32BitsToSingle(t.AsSpan<ushort>()[(int)i] << 16))),
        DataType.DtDouble => (sb, i) => Ascii(sb, CFormat.DoubleToBuffer(t.AsSpan<double>()[(int)i])),
        DataType.DtInt32 => (sb, i) => Integer(sb, t.AsSpan<int>()[(int)i]),
        DataType.DtUint32 => (sb, i) => Integer(sb, t.AsSpan<uint>()[(int)i]),
        DataType.DtInt64 => (sb, i) => Integer(sb, t.AsSpan<long>()[(int)i]),
        DataType.DtUint64 => (sb, i) => Ascii(sb, t.AsSpan<ulong>()[(int)i].ToString(CultureInfo.InvariantCulture)),
        DataType.DtInt16 or DataType.DtQint16 => (sb, i) => Integer(sb, BinaryPrimitives.ReadInt16LittleEndian(t.Bytes[((int)i * 2)..])),
        DataType.DtUint16 or DataType.DtQuint16 => (sb, i) => Integer(sb, BinaryPrimitives.ReadUInt16LittleEndian(t.Bytes[((int)i * 2)..])),
        DataType.DtInt8 or DataType.DtQint8 => (sb, i) => Integer(sb, (sbyte)t.Bytes[(int)i]),
        DataType.DtUint8 or DataType.DtQuint8 => (sb, i) => Integer(sb, t.Bytes[(int)i]),
        DataType.DtBool => (sb, i) => sb.Add(t.Bytes[(int)i] != 0 ? (byte)'1' : (byte)'0'),
        DataType.DtString => (sb, i) =>
        {
            if (printV2) sb.Add((byte)'"');
            Utf8SafeCEscape(sb, t.Strings[i]);
            if (printV2) sb.Add((byte)'"');
        },
        _ => null,
    };

    /// <summary>absl <c>Utf8SafeCEscape</c>: <c>\n \r \t \" \' \\</c> escaped, other bytes below 0x80 that are not printable
    /// ASCII as three-digit octal (<c>\001</c>), bytes from 0x80 passed through.</summary>
    public static void Utf8SafeCEscape(List<byte> sb, ReadOnlySpan<byte> s)
    {
        foreach (byte c in s)
        {
            switch (c)
            {
                case (byte)'\n': Ascii(sb, "\\n"); break;
                case (byte)'\r': Ascii(sb, "\\r"); break;
                case (byte)'\t': Ascii(sb, "\\t"); break;
                case (byte)'"': Ascii(sb, "\\\""); break;
                case (byte)'\'': Ascii(sb, "\\'"); break;
                case (byte)'\\': Ascii(sb, "\\\\"); break;
                default:
                    if (c < 0x80 && (c < 0x20 || c == 0x7f))
                    {
                        sb.Add((byte)'\\');
                        sb.Add((byte)('0' + c / 64));
                        sb.Add((byte)('0' + c / 8 % 8));
                        sb.Add((byte)('0' + c % 8));
                    }
                    else sb.Add(c);
                    break;
            }
        }
    }

    private static string HandleText(Tensor t)
    {
        try
        {
            return t.Handle.ToString() ?? "";
        }
        catch (InvalidOperationException)
        {
            return "";
        }
    }

    private static void Integer(List<byte> sb, long v) => Ascii(sb, v.ToString(CultureInfo.InvariantCulture));

    /// <summary>Appends ASCII text.</summary>
    public static void Ascii(List<byte> sb, string s)
    {
        foreach (char c in s) sb.Add((byte)c);
    }
}
