using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using TypedGraph.Protos;

namespace TypedGraph.Formats;

public static partial class Npy
{
    /// <summary>Opens an .npy file to read it a block of rows (first-dimension entries) at a time.</summary>
    /// <exception cref="NpyFormatException">Not a supported .npy array, a scalar, or shorter than its header says.</exception>
    public static NpyRowReader OpenRows(string path) => new(path);

    /// <summary>Starts an .npy file that receives rows block by block (see <see cref="NpyRowWriter"/>).</summary>
    public static NpyRowWriter CreateRows(string path, int rows) => new(path, rows);

    internal static void WriteHeaderTo(Stream stream, DataType dtype, int[] dims) => WriteHeader(stream, dtype, dims);

    internal static (DataType DType, bool BigEndian, int[] Dims, int DataStart) ReadHeader(Stream s, string source)
    {
        Span<byte> head = stackalloc byte[12];
        if (s.ReadAtLeast(head[..10], 10, throwOnEndOfStream: false) < 10 || !head[..6].SequenceEqual(s_magic))
            throw Bad(source, "not a NumPy .npy file (bad magic)");
        int major = head[6];
        int headerLength, headerStart;
        if (major == 1) { headerLength = BinaryPrimitives.ReadUInt16LittleEndian(head[8..]); headerStart = 10; }
        else if (major is 2 or 3)
        {
            if (s.ReadAtLeast(head[10..12], 2, throwOnEndOfStream: false) < 2) throw Bad(source, "truncated header");
            uint declared = BinaryPrimitives.ReadUInt32LittleEndian(head[8..]);
            if (declared > s.Length) throw Bad(source, $"truncated header (it declares {declared} bytes)");
            headerLength = (int)declared;
            headerStart = 12;
        }
        else throw Bad(source, $"unsupported .npy format version {major}.{head[7]}");
        var bytes = new byte[headerLength];
        if (s.ReadAtLeast(bytes, headerLength, throwOnEndOfStream: false) < headerLength) throw Bad(source, "truncated header");
        var header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(bytes);
        var descr = HeaderValue(DescrRegex(), header, source, "descr");
        if (HeaderValue(FortranRegex(), header, source, "fortran_order") == "True")
            throw Bad(source, "the array is stored in Fortran (column-major) order; save it with numpy.ascontiguousarray first");
        var shapeText = HeaderValue(ShapeRegex(), header, source, "shape");
        var dims = shapeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(x => int.TryParse(x.TrimEnd('L'), NumberStyles.None, CultureInfo.InvariantCulture, out var d) ? d : throw Bad(source, $"bad shape ({shapeText})"))
            .ToArray();
        var (dtype, bigEndian) = FromDescr(descr, source);
        return (dtype, bigEndian, dims, headerStart + headerLength);
    }
}

/// <summary>Reads an .npy array block by block along its first dimension, holding one block in memory.</summary>
public sealed class NpyRowReader : IDisposable
{
    private readonly FileStream _file;
    private readonly bool _bigEndian;
    private readonly long _rowBytes;
    private int _next;

    internal NpyRowReader(string path)
    {
        Path = path;
        _file = File.OpenRead(path);
        try
        {
            var (dtype, bigEndian, dims, dataStart) = Npy.ReadHeader(_file, path);
            if (dims.Length == 0) throw new NpyFormatException(path, "a scalar has no rows to stream; feed it whole");
            DType = dtype;
            Shape = new TensorShape(dims);
            _bigEndian = bigEndian;
            _rowBytes = DataTypes.ElementSize(dtype) * (Shape.NumElements / Math.Max(1, dims[0]));
            long need = dataStart + _rowBytes * dims[0];
            if (dims[0] > 0 && _file.Length < need)
                throw new NpyFormatException(path, $"the file holds {_file.Length - dataStart} data bytes; {DataTypes.Name(dtype)}{Shape} needs {need - dataStart}");
        }
        catch
        {
            _file.Dispose();
            throw;
        }
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>The element type.</summary>
    public DataType DType { get; }

    /// <summary>The whole array's shape.</summary>
    public TensorShape Shape { get; }

    /// <summary>Rows in the file.</summary>
    public int Rows => Shape[0];

    /// <summary>Rows not read yet.</summary>
    public int Remaining => Rows - _next;

    /// <summary>The next <paramref name="count"/> rows (fewer at the end) as a tensor [count, …].</summary>
    /// <exception cref="NpyFormatException">The file ended early.</exception>
    public Tensor ReadRows(int count)
    {
        count = Math.Min(count, Remaining);
        var dims = Shape.ToArray();
        dims[0] = count;
        var t = Tensor.Zeros(DType, new TensorShape(dims));
        var span = t.Bytes;
        if (_file.ReadAtLeast(span, span.Length, throwOnEndOfStream: false) < span.Length)
            throw new NpyFormatException(Path, $"the file ends inside row {_next + count}");
        int elem = DataTypes.ElementSize(DType);
        if (_bigEndian && elem > 1)
        {
            int width = DType is DataType.DtComplex64 or DataType.DtComplex128 ? elem / 2 : elem;
            for (int i = 0; i < span.Length; i += width) span.Slice(i, width).Reverse();
        }
        _next += count;
        return t;
    }

    /// <inheritdoc/>
    public void Dispose() => _file.Dispose();
}

/// <summary>
/// Writes an .npy array of a known number of rows block by block: the header is written with the first block (which
/// fixes dtype and row shape), blocks go to a temporary file beside the target, and <see cref="Complete"/> renames it
/// into place once every row has arrived — an interrupted run never leaves a half-written .npy.
/// </summary>
public sealed class NpyRowWriter : IDisposable
{
    private readonly string _temp;
    private readonly int _rows;
    private FileStream? _file;
    private DataType _dtype;
    private int[] _inner = [];
    private int _written;
    private bool _done;

    internal NpyRowWriter(string path, int rows)
    {
        Path = path;
        _rows = rows;
        _temp = path + ".tmp" + Guid.NewGuid().ToString("N")[..8];
    }

    /// <summary>The target file.</summary>
    public string Path { get; }

    /// <summary>Appends a block [n, …]; every block must have the first block's dtype and row shape.</summary>
    /// <exception cref="ArgumentException">A block that does not match, or more rows than declared.</exception>
    public void WriteRows(Tensor block)
    {
        if (block.Shape.Rank == 0) throw new ArgumentException("A block of rows needs a first dimension; got a scalar.");
        var inner = block.Shape.Dims[1..].ToArray();
        if (_file == null)
        {
            _dtype = block.DType;
            _inner = inner;
            _file = new FileStream(_temp, FileMode.CreateNew, FileAccess.Write);
            Npy.WriteHeaderTo(_file, _dtype, [_rows, .. _inner]);
        }
        else if (block.DType != _dtype || !inner.AsSpan().SequenceEqual(_inner))
            throw new ArgumentException($"Block {DataTypes.Name(block.DType)}{block.Shape} does not continue {DataTypes.Name(_dtype)}[?, {string.Join(", ", _inner)}].");
        if (_written + block.Shape[0] > _rows) throw new ArgumentException($"More than the {_rows} rows declared for {Path}.");
        _file.Write(block.Bytes);
        _written += block.Shape[0];
    }

    /// <summary>Checks that every row arrived and moves the file into place.</summary>
    /// <exception cref="InvalidOperationException">Rows are missing.</exception>
    public void Complete()
    {
        if (_written != _rows || _file == null) throw new InvalidOperationException($"{Path}: {_written} of {_rows} rows were written.");
        _file.Dispose();
        File.Move(_temp, Path, overwrite: true);
        _done = true;
    }

    /// <summary>Closes; without <see cref="Complete"/> the temporary file is deleted.</summary>
    public void Dispose()
    {
        _file?.Dispose();
        if (!_done && File.Exists(_temp)) File.Delete(_temp);
    }
}
