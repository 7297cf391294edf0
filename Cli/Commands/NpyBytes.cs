using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;

namespace TypedGraph.Cli.Commands;

/// <summary>
/// Reads a NumPy <c>.npy</c> array of fixed-width byte strings (<c>descr '|S&lt;n&gt;'</c>, C order) into a string
/// tensor: each element is n bytes with trailing NULs stripped, NumPy's own reading of <c>S</c> arrays. Other dtypes
/// return null so <see cref="TypedGraph.Formats.Npy"/> reads them.
/// </summary>
internal static partial class NpyBytes
{
    public static Tensor? TryRead(string path)
    {
        if (!File.Exists(path)) return null;
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10 || bytes[0] != 0x93 || Encoding.ASCII.GetString(bytes, 1, 5) != "NUMPY") return null;
        int major = bytes[6];
        int headerLength = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8)) : (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
        int start = major == 1 ? 10 : 12;
        if (start + headerLength > bytes.Length) return null;
        var header = Encoding.Latin1.GetString(bytes, start, headerLength);
        var descr = Descr().Match(header);
        if (!descr.Success) return null;
        if (header.Contains("'fortran_order': True", StringComparison.Ordinal))
            throw new UsageException($"--feed: {path} is in Fortran order; save it with numpy.ascontiguousarray first");
        int width = int.Parse(descr.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var shapeText = Shape().Match(header).Groups[1].Value;
        var dims = shapeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
        long count = dims.Aggregate(1L, (a, d) => a * d);
        int data = start + headerLength;
        if (bytes.Length - data < count * width)
            throw new UsageException($"--feed: {path} holds {bytes.Length - data} data bytes; |S{width}{string.Join("x", dims)} needs {count * width}");
        var strings = new byte[count][];
        for (long i = 0; i < count; i++)
        {
            var span = bytes.AsSpan((int)(data + i * width), width);
            int end = width;
            while (end > 0 && span[end - 1] == 0) end--;
            strings[i] = span[..end].ToArray();
        }
        return new Tensor(new TensorShape(dims), strings);
    }

    [GeneratedRegex(@"'descr'\s*:\s*'\|S(\d+)'")]
    private static partial Regex Descr();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex Shape();
}
