using System.Buffers.Binary;
using System.IO.Compression;

namespace TypedGraph.Formats;

/// <summary>Compression of a whole TFRecord file, as TF's <c>TFRecordOptions.compression_type</c>.</summary>
public enum TfRecordCompression
{
    /// <summary>Plain records (TF's <c>""</c>).</summary>
    None,

    /// <summary>The record stream is one zlib stream (TF's <c>"ZLIB"</c>).</summary>
    Zlib,

    /// <summary>The record stream is one gzip stream (TF's <c>"GZIP"</c>).</summary>
    Gzip,
}

/// <summary>
/// TFRecord files: a sequence of records, each
/// <c>uint64 length (LE) · uint32 masked CRC32C of those 8 bytes · data · uint32 masked CRC32C of data</c>,
/// with TF's mask (<see cref="Crc32C.Mask"/>). Layout and error cases follow TF's
/// <c>tensorflow/core/lib/io/record_writer.cc</c> (<c>PopulateHeader</c>/<c>PopulateFooter</c>) and
/// <c>record_reader.cc</c> (<c>ReadChecksummed</c>: a clean end before a header is end of file, a file that ends
/// inside a header or data is "truncated record", a checksum mismatch is "corrupted record"). TensorBoard
/// event files use the same framing.
/// </summary>
public static class TfRecord
{
    /// <summary>Bytes before a record's data: the length and its masked CRC.</summary>
    public const int HeaderSize = 12;

    /// <summary>Bytes after a record's data: its masked CRC.</summary>
    public const int FooterSize = 4;

    /// <summary>Reads every record of a TFRecord file.</summary>
    /// <exception cref="TfRecordFormatException">A record is corrupt or truncated; the message names the file and record index.</exception>
    public static List<byte[]> ReadAll(string path, TfRecordCompression compression = TfRecordCompression.None)
    {
        using var reader = TfRecordReader.Open(path, compression);
        var records = new List<byte[]>();
        while (reader.TryRead(out var record)) records.Add(record);
        return records;
    }

    /// <summary>
    /// Writes <paramref name="records"/> as a TFRecord file. The records go to a temporary file beside
    /// <paramref name="path"/> that replaces it only once complete, so a failure never leaves a half-written file.
    /// </summary>
    public static void WriteAll(string path, IEnumerable<byte[]> records, TfRecordCompression compression = TfRecordCompression.None)
    {
        var full = Path.GetFullPath(path);
        var temp = full + ".tmp" + Environment.ProcessId;
        try
        {
            using (var writer = TfRecordWriter.Create(temp, compression))
                foreach (var record in records) writer.Write(record);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>Writes one framed record (header, data, footer) to <paramref name="stream"/>.</summary>
    public static void WriteRecord(Stream stream, ReadOnlySpan<byte> data)
    {
        Span<byte> header = stackalloc byte[HeaderSize];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], Crc32C.Mask(Crc32C.Compute(header[..8])));
        Span<byte> footer = stackalloc byte[FooterSize];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, Crc32C.Mask(Crc32C.Compute(data)));
        stream.Write(header);
        stream.Write(data);
        stream.Write(footer);
    }

    internal static Stream Decompressing(Stream raw, TfRecordCompression compression, bool leaveOpen) => compression switch
    {
        TfRecordCompression.None => raw,
        TfRecordCompression.Zlib => new ZLibStream(raw, CompressionMode.Decompress, leaveOpen),
        TfRecordCompression.Gzip => new GZipStream(raw, CompressionMode.Decompress, leaveOpen),
        _ => throw new ArgumentOutOfRangeException(nameof(compression)),
    };

    internal static Stream Compressing(Stream raw, TfRecordCompression compression, bool leaveOpen) => compression switch
    {
        TfRecordCompression.None => raw,
        TfRecordCompression.Zlib => new ZLibStream(raw, CompressionLevel.Optimal, leaveOpen),
        TfRecordCompression.Gzip => new GZipStream(raw, CompressionLevel.Optimal, leaveOpen),
        _ => throw new ArgumentOutOfRangeException(nameof(compression)),
    };
}

/// <summary>
/// Reads records one at a time from a TFRecord stream, checking both CRCs of each (see <see cref="TfRecord"/>).
/// </summary>
public sealed class TfRecordReader : IDisposable
{
    private readonly Stream _stream;
    private readonly string _sourceName;
    private readonly bool _ownsStream;
    private readonly byte[] _header = new byte[TfRecord.HeaderSize];

    /// <summary>Reads from <paramref name="stream"/>; <paramref name="sourceName"/> names it in errors.</summary>
    public TfRecordReader(Stream stream, string sourceName, TfRecordCompression compression = TfRecordCompression.None, bool leaveOpen = false)
    {
        _stream = TfRecord.Decompressing(stream, compression, leaveOpen);
        _sourceName = sourceName;
        // A decompressor honours leaveOpen itself, so disposing it is always right.
        _ownsStream = !leaveOpen || compression != TfRecordCompression.None;
    }

    /// <summary>Opens a TFRecord file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static TfRecordReader Open(string path, TfRecordCompression compression = TfRecordCompression.None)
        => new(File.OpenRead(path), path, compression);

    /// <summary>0-based index of the next record <see cref="TryRead"/> returns.</summary>
    public long RecordIndex { get; private set; }

    /// <summary>Byte offset (in the uncompressed stream) of the next record.</summary>
    public long Offset { get; private set; }

    /// <summary>
    /// Reads the next record. Returns false at a clean end of file (no bytes left before a header).
    /// </summary>
    /// <exception cref="TfRecordFormatException">
    /// The file ends inside the record (<see cref="TfRecordFormatException.IsTruncated"/>) or a CRC does not match.
    /// </exception>
    public bool TryRead(out byte[] record)
    {
        record = [];
        int got = ReadFully(_header);
        if (got == 0) return false;
        if (got < _header.Length) throw Truncated($"the file ends {got} bytes into the {TfRecord.HeaderSize}-byte record header");

        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(_header);
        uint storedLengthCrc = BinaryPrimitives.ReadUInt32LittleEndian(_header.AsSpan(8));
        uint lengthCrc = Crc32C.Mask(Crc32C.Compute(_header.AsSpan(0, 8)));
        // The length is only trusted (and memory only allocated) once its own checksum holds.
        if (storedLengthCrc != lengthCrc)
            throw Corrupt($"the length field's masked CRC32C is 0x{storedLengthCrc:X8}, the length bytes give 0x{lengthCrc:X8}");
        if (length > (ulong)Array.MaxLength - TfRecord.FooterSize)
            throw Corrupt($"record length {length} exceeds the largest record this reader holds in memory ({Array.MaxLength - TfRecord.FooterSize} bytes)");

        var body = ReadBody((int)length + TfRecord.FooterSize, out got);
        if (got < (int)length + TfRecord.FooterSize) throw Truncated($"the header announces {length} data bytes + {TfRecord.FooterSize} CRC bytes; the file ends after {got}");
        uint storedDataCrc = BinaryPrimitives.ReadUInt32LittleEndian(body.AsSpan((int)length));
        uint dataCrc = Crc32C.Mask(Crc32C.Compute(body.AsSpan(0, (int)length)));
        if (storedDataCrc != dataCrc)
            throw Corrupt($"the data's masked CRC32C is 0x{storedDataCrc:X8}, the {length} data bytes give 0x{dataCrc:X8}");

        Array.Resize(ref body, (int)length);
        record = body;
        RecordIndex++;
        Offset += TfRecord.HeaderSize + (long)length + TfRecord.FooterSize;
        return true;
    }

    /// <summary>Reads every remaining record.</summary>
    public IEnumerable<byte[]> ReadToEnd()
    {
        while (TryRead(out var record)) yield return record;
    }

    // A length with a valid CRC is still only a claim: memory follows the bytes actually there. A seekable stream is
    // checked against what is left of it; any other (a decompressor) is read in chunks of at most 1 MiB, so a
    // 20-byte file announcing a 2 GB record costs no 2 GB allocation.
    private byte[] ReadBody(int size, out int got)
    {
        if (_stream.CanSeek)
        {
            long left = _stream.Length - _stream.Position;
            if (size > left)
            {
                got = (int)Math.Max(0, left);
                return [];
            }
            var whole = new byte[size];
            got = ReadFully(whole);
            return whole;
        }
        const int Chunk = 1 << 20;
        var buffer = new byte[Math.Min(size, Chunk)];
        got = 0;
        while (got < size)
        {
            if (got == buffer.Length) Array.Resize(ref buffer, (int)Math.Min(size, (long)buffer.Length * 2));
            int n = ReadFully(buffer, got, Math.Min(buffer.Length - got, Chunk));
            if (n == 0) break;
            got += n;
        }
        return buffer;
    }

    private int ReadFully(byte[] buffer) => ReadFully(buffer, 0, buffer.Length);

    // Reads up to count bytes at offset; fewer only at the end of the stream.
    private int ReadFully(byte[] buffer, int offset, int count)
    {
        int total = 0;
        try
        {
            while (total < count)
            {
                int n = _stream.Read(buffer, offset + total, count - total);
                if (n == 0) break;
                total += n;
            }
        }
        catch (InvalidDataException e)
        {
            throw new TfRecordFormatException(_sourceName, RecordIndex, Offset, "the compressed stream is invalid: " + e.Message, inner: e);
        }
        catch (IOException e) when (_stream is ZLibStream or GZipStream or DeflateStream)
        {
            // zlib reports some damaged streams as ZLibException (an IOException), not InvalidDataException (fuzzing found it).
            throw new TfRecordFormatException(_sourceName, RecordIndex, Offset, "the compressed stream is invalid: " + e.Message, inner: e);
        }
        return total;
    }

    private TfRecordFormatException Truncated(string what)
        => new(_sourceName, RecordIndex, Offset, "truncated record: " + what, truncated: true);

    private TfRecordFormatException Corrupt(string what)
        => new(_sourceName, RecordIndex, Offset, "corrupted record: " + what);

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_ownsStream) _stream.Dispose();
    }
}

/// <summary>
/// Appends records to a TFRecord stream (see <see cref="TfRecord"/>). <see cref="Flush"/> pushes written records
/// to the file so a concurrent reader (TensorBoard) sees them.
/// </summary>
public sealed class TfRecordWriter : IDisposable
{
    private readonly Stream _raw;
    private readonly Stream _stream;
    private readonly bool _leaveOpen;

    /// <summary>Writes to <paramref name="stream"/>.</summary>
    public TfRecordWriter(Stream stream, TfRecordCompression compression = TfRecordCompression.None, bool leaveOpen = false)
    {
        _raw = stream;
        _stream = TfRecord.Compressing(stream, compression, leaveOpen);
        _leaveOpen = leaveOpen;
    }

    /// <summary>Creates (or truncates) a TFRecord file.</summary>
    public static TfRecordWriter Create(string path, TfRecordCompression compression = TfRecordCompression.None)
        => new(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read), compression);

    /// <summary>Number of records written so far.</summary>
    public long RecordCount { get; private set; }

    /// <summary>Appends one record.</summary>
    public void Write(ReadOnlySpan<byte> record)
    {
        TfRecord.WriteRecord(_stream, record);
        RecordCount++;
    }

    /// <summary>Flushes buffered records to the underlying stream (for compressed files: a sync flush of the compressor).</summary>
    public void Flush()
    {
        _stream.Flush();
        _raw.Flush();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (!ReferenceEquals(_stream, _raw)) _stream.Dispose(); // writes the compressed stream's trailer
        if (_leaveOpen) _raw.Flush();
        else _raw.Dispose();
    }
}
