using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using TypedGraph.Protos;

namespace TypedGraph.Formats;

/// <summary>
/// NumPy <c>.npy</c> files (format versions 1.0, 2.0 and 3.0): a magic, a Python-dict header
/// (<c>descr</c>, <c>fortran_order</c>, <c>shape</c>) padded to a multiple of 64 bytes, then the raw
/// elements. Reads C-order arrays of every numeric dtype and bool (big-endian data is byte-swapped);
/// writes little-endian C-order version 1.0 files (2.0 when the header would not fit), as
/// <c>numpy.save</c> does.
/// </summary>
public static partial class Npy
{
    private static readonly byte[] s_magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads an .npy file into a new tensor.</summary>
    /// <exception cref="NpyFormatException">Not an .npy file, Fortran order, or an unsupported dtype; the message names the file.</exception>
    public static Tensor Read(string path) => Parse(File.ReadAllBytes(path), path);

    /// <summary>Parses .npy bytes; <paramref name="sourceName"/> is used in error messages.</summary>
    /// <exception cref="NpyFormatException">The bytes are not a supported .npy array.</exception>
    public static Tensor Parse(byte[] bytes, string sourceName)
    {
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(s_magic))
            throw Bad(sourceName, "not a NumPy .npy file (bad magic)");
        int major = bytes[6];
        int headerLength, headerStart;
        if (major == 1) { headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8)); headerStart = 10; }
        else if (major is 2 or 3)
        {
            if (bytes.Length < 12) throw Bad(sourceName, "truncated header");
            uint declared = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
            if (declared > bytes.Length - 12) throw Bad(sourceName, $"truncated header (it declares {declared} bytes, the file has {bytes.Length})");
            headerLength = (int)declared;
            headerStart = 12;
        }
        else throw Bad(sourceName, $"unsupported .npy format version {major}.{bytes[7]}");
        if (headerStart + (long)headerLength > bytes.Length) throw Bad(sourceName, "truncated header");
        var header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(bytes, headerStart, headerLength);

        var descr = HeaderValue(DescrRegex(), header, sourceName, "descr");
        var fortran = HeaderValue(FortranRegex(), header, sourceName, "fortran_order");
        var shapeText = HeaderValue(ShapeRegex(), header, sourceName, "shape");
        if (fortran == "True")
            throw Bad(sourceName, "the array is stored in Fortran (column-major) order; save it with numpy.ascontiguousarray first");
        var dims = shapeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.TryParse(s.TrimEnd('L'), NumberStyles.None, CultureInfo.InvariantCulture, out var d) ? d : throw Bad(sourceName, $"bad shape ({shapeText})"))
            .ToArray();
        var (dtype, bigEndian) = FromDescr(descr, sourceName);
        TensorShape shape;
        try { shape = new TensorShape(dims); }
        catch (ArgumentException e) { throw Bad(sourceName, $"impossible shape ({shapeText}): {e.Message}"); }
        int elem = DataTypes.ElementSize(dtype);
        long size = shape.NumElements > long.MaxValue / elem ? long.MaxValue : shape.NumElements * elem;
        int dataStart = headerStart + headerLength;
        if (bytes.Length - dataStart < size)
            throw Bad(sourceName, $"the file holds {bytes.Length - dataStart} data bytes; {descr}{shape} needs {size}");
        if (AllocationLimits.Exceeds(size)) throw Bad(sourceName, $"the array {descr}{shape} {AllocationLimits.Describe(size)}");
        var data = bytes.AsSpan(dataStart, (int)size).ToArray();
        if (bigEndian && elem > 1) SwapBytes(data, dtype == DataType.DtComplex64 || dtype == DataType.DtComplex128 ? elem / 2 : elem);
        return new Tensor(dtype, shape, data);
    }

    /// <summary>Writes <paramref name="tensor"/> as an .npy file (C order, little-endian).</summary>
    /// <exception cref="NotSupportedException">The dtype has no NumPy equivalent (string, bfloat16, quantized, resource, variant).</exception>
    public static void Write(string path, Tensor tensor)
    {
        ToDescr(tensor.DType); // fail before creating the file
        using var stream = File.Create(path);
        Write(stream, tensor);
    }

    /// <summary>Writes <paramref name="tensor"/> in .npy format to <paramref name="stream"/>.</summary>
    /// <exception cref="NotSupportedException">The dtype has no NumPy equivalent.</exception>
    public static void Write(Stream stream, Tensor tensor)
    {
        WriteHeader(stream, tensor.DType, tensor.Shape.ToArray());
        stream.Write(tensor.Bytes);
    }

    private static void WriteHeader(Stream stream, DataType dtype, int[] dims)
    {
        var descr = ToDescr(dtype);
        var shape = dims.Length == 1 ? $"({dims[0]},)" : "(" + string.Join(", ", dims) + ")";
        var dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}";
        // numpy pads with spaces so that magic + length + header ends on a 64-byte boundary, then '\n'.
        int version = dict.Length + 1 + 10 > ushort.MaxValue ? 2 : 1;
        int prefix = version == 1 ? 10 : 12;
        int total = (prefix + dict.Length + 1 + 63) / 64 * 64;
        var header = dict.PadRight(total - prefix - 1) + "\n";
        stream.Write(s_magic);
        stream.WriteByte((byte)version);
        stream.WriteByte(0);
        Span<byte> len = stackalloc byte[4];
        if (version == 1) { BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)header.Length); stream.Write(len[..2]); }
        else { BinaryPrimitives.WriteUInt32LittleEndian(len, (uint)header.Length); stream.Write(len); }
        stream.Write(Encoding.Latin1.GetBytes(header));
    }

    private static string ToDescr(DataType dtype) => DataTypes.BaseType(dtype) switch
    {
        DataType.DtBool => "|b1",
        DataType.DtInt8 => "|i1",
        DataType.DtUint8 => "|u1",
        DataType.DtInt16 => "<i2",
        DataType.DtUint16 => "<u2",
        DataType.DtInt32 => "<i4",
        DataType.DtUint32 => "<u4",
        DataType.DtInt64 => "<i8",
        DataType.DtUint64 => "<u8",
        DataType.DtHalf => "<f2",
        DataType.DtFloat => "<f4",
        DataType.DtDouble => "<f8",
        DataType.DtComplex64 => "<c8",
        DataType.DtComplex128 => "<c16",
        var t => throw new NotSupportedException($"A {DataTypes.Name(t)} tensor has no NumPy .npy equivalent."),
    };

    private static (DataType, bool BigEndian) FromDescr(string descr, string source)
    {
        if (descr.Length < 3) throw Bad(source, $"unsupported dtype '{descr}'");
        char order = descr[0];
        bool big = order == '>' || (order == '=' && !BitConverter.IsLittleEndian);
        DataType? t = descr[1..] switch
        {
            "b1" => DataType.DtBool,
            "i1" => DataType.DtInt8,
            "u1" => DataType.DtUint8,
            "i2" => DataType.DtInt16,
            "u2" => DataType.DtUint16,
            "i4" => DataType.DtInt32,
            "u4" => DataType.DtUint32,
            "i8" => DataType.DtInt64,
            "u8" => DataType.DtUint64,
            "f2" => DataType.DtHalf,
            "f4" => DataType.DtFloat,
            "f8" => DataType.DtDouble,
            "c8" => DataType.DtComplex64,
            "c16" => DataType.DtComplex128,
            _ => null,
        };
        if (t == null || order is not ('<' or '>' or '|' or '='))
            throw Bad(source, $"unsupported dtype '{descr}' (numeric and bool arrays only)");
        return (t.Value, big);
    }

    private static void SwapBytes(byte[] data, int width)
    {
        for (int i = 0; i + width <= data.Length; i += width) Array.Reverse(data, i, width);
    }

    private static string HeaderValue(Regex regex, string header, string source, string key)
    {
        var m = regex.Match(header);
        return m.Success ? m.Groups[1].Value : throw Bad(source, $"the header has no '{key}' ({header.Trim()})");
    }

    private static NpyFormatException Bad(string source, string message) => new(source, message);

    [GeneratedRegex(@"['""]descr['""]\s*:\s*['""]([^'""]+)['""]")]
    private static partial Regex DescrRegex();

    [GeneratedRegex(@"['""]fortran_order['""]\s*:\s*(True|False)")]
    private static partial Regex FortranRegex();

    [GeneratedRegex(@"['""]shape['""]\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapeRegex();
}
