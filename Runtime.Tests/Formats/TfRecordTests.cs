using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using TypedGraph.Formats;

namespace TypedGraph.Tests.Formats;

/// <summary>
/// TFRecord framing as TF's record_writer.cc / record_reader.cc (and python_io.py's format notes):
/// uint64 LE length, masked CRC32C of the 8 length bytes, data, masked CRC32C of the data; mask =
/// ((crc &gt;&gt; 15) | (crc &lt;&lt; 17)) + 0xa282ead8.
/// </summary>
public class TfRecordTests
{
    // The layout written out by hand, independent of TfRecord.WriteRecord (CRC from the table path, mask inline).
    private static byte[] HandFramed(params byte[][] records)
    {
        static uint Masked(ReadOnlySpan<byte> b)
        {
            uint crc = Crc32C.ComputeSoftware(b);
            return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
        }
        var ms = new MemoryStream();
        foreach (var r in records)
        {
            var len = new byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)r.Length);
            var crc = new byte[4];
            ms.Write(len);
            BinaryPrimitives.WriteUInt32LittleEndian(crc, Masked(len)); ms.Write(crc);
            ms.Write(r);
            BinaryPrimitives.WriteUInt32LittleEndian(crc, Masked(r)); ms.Write(crc);
        }
        return ms.ToArray();
    }

    private static readonly byte[][] s_records =
    [
        Encoding.ASCII.GetBytes("hello"),
        [],
        Enumerable.Range(0, 1000).Select(i => (byte)(i * 7)).ToArray(),
    ];

    private static string TempFile() => Path.Combine(Path.GetTempPath(), "tg-tfrecord-" + Guid.NewGuid().ToString("N") + ".tfrecord");

    [Fact]
    public void Writer_ProducesTheRecordWriterCcLayout_ByteForByte()
    {
        var ms = new MemoryStream();
        using (var w = new TfRecordWriter(ms, leaveOpen: true))
            foreach (var r in s_records) w.Write(r);
        Assert.Equal(HandFramed(s_records), ms.ToArray());
        // "hello": 12-byte header + 5 + 4; empty: 16 bytes; 1000: 1016 → 1041 in total.
        Assert.Equal(21 + 16 + 1016, ms.Length);
    }

    [Fact]
    public void EmptyRecordHeader_IsLengthZeroAndTheMaskedCrcOfEightZeroBytes()
    {
        // Header CRC: the table CRC32C (checked on LevelDB's vectors in Crc32CTests) of 8 zero bytes, masked inline.
        var ms = new MemoryStream();
        TfRecord.WriteRecord(ms, []);
        var bytes = ms.ToArray();
        Assert.Equal(16, bytes.Length);
        Assert.All(bytes[..8], b => Assert.Equal(0, b));
        uint c = Crc32C.ComputeSoftware(new byte[8]);
        Assert.Equal(((c >> 15) | (c << 17)) + 0xa282ead8u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)));
        // CRC32C of no data is 0, so the footer is the mask of 0: 0xA282EAD8.
        Assert.Equal(0xA282EAD8u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(12)));
    }

    [Fact]
    public void Reader_ReadsHandFramedRecords_AndStopsCleanlyAtEnd()
    {
        using var reader = new TfRecordReader(new MemoryStream(HandFramed(s_records)), "mem");
        var got = reader.ReadToEnd().ToList();
        Assert.Equal(s_records.Length, got.Count);
        for (int i = 0; i < got.Count; i++) Assert.Equal(s_records[i], got[i]);
        Assert.Equal(3, reader.RecordIndex);
        Assert.False(reader.TryRead(out _));
    }

    [Fact]
    public void EmptyFile_HasNoRecords()
    {
        using var reader = new TfRecordReader(new MemoryStream(), "empty");
        Assert.False(reader.TryRead(out _));
    }

    [Theory]
    [InlineData(TfRecordCompression.None)]
    [InlineData(TfRecordCompression.Zlib)]
    [InlineData(TfRecordCompression.Gzip)]
    public void FileRoundTrip_EveryCompression(TfRecordCompression compression)
    {
        var path = TempFile();
        try
        {
            TfRecord.WriteAll(path, s_records, compression);
            var back = TfRecord.ReadAll(path, compression);
            Assert.Equal(s_records.Length, back.Count);
            for (int i = 0; i < back.Count; i++) Assert.Equal(s_records[i], back[i]);
            if (compression == TfRecordCompression.Gzip)
            {
                // A gzip file: decompressing it with a plain gzip reader gives the uncompressed framing.
                using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
                var plain = new MemoryStream();
                gz.CopyTo(plain);
                Assert.Equal(HandFramed(s_records), plain.ToArray());
            }
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void FlippedDataByte_IsACorruptedRecord_NamingFileAndIndex()
    {
        var bytes = HandFramed(s_records);
        int secondRecordEnd = 21 + 16;
        bytes[secondRecordEnd + 12 + 500] ^= 0x01; // a data byte of record 2
        using var reader = new TfRecordReader(new MemoryStream(bytes), "data.tfrecord");
        Assert.True(reader.TryRead(out _));
        Assert.True(reader.TryRead(out _));
        var e = Assert.Throws<TfRecordFormatException>(() => reader.TryRead(out _));
        Assert.Equal(2, e.RecordIndex);
        Assert.Equal(secondRecordEnd, e.Offset);
        Assert.False(e.IsTruncated);
        Assert.Contains("data.tfrecord", e.Message);
        Assert.Contains("record 2", e.Message);
        Assert.Contains("corrupted", e.Message);
    }

    [Fact]
    public void CorruptLength_IsRejectedByItsCrc_BeforeAnyAllocation()
    {
        var bytes = HandFramed(s_records);
        bytes[7] = 0x7F; // length becomes ~2^63; its masked CRC no longer matches
        using var reader = new TfRecordReader(new MemoryStream(bytes), "len.tfrecord");
        var e = Assert.Throws<TfRecordFormatException>(() => reader.TryRead(out _));
        Assert.Equal(0, e.RecordIndex);
        Assert.Contains("length field", e.Message);
    }

    [Fact]
    public void HugeLengthWithAValidCrc_IsRejected_NotAllocated()
    {
        var header = new byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(header, ulong.MaxValue - 3);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), Crc32C.Mask(Crc32C.Compute(header.AsSpan(0, 8))));
        using var reader = new TfRecordReader(new MemoryStream(header), "big.tfrecord");
        var e = Assert.Throws<TfRecordFormatException>(() => reader.TryRead(out _));
        Assert.Contains("exceeds", e.Message);
    }

    [Theory]
    [InlineData(5)]    // inside the header of record 1 (the empty record: 12 header + 0 data + 4 CRC bytes)
    [InlineData(12)]   // header complete, no data CRC
    [InlineData(14)]   // inside the data CRC
    public void FileEndingInsideARecord_IsTruncated(int cut)
    {
        var bytes = HandFramed(s_records);
        int firstLength = 21;
        using var reader = new TfRecordReader(new MemoryStream(bytes[..(firstLength + cut)]), "cut.tfrecord");
        Assert.True(reader.TryRead(out var first));
        Assert.Equal(s_records[0], first);
        var e = Assert.Throws<TfRecordFormatException>(() => reader.TryRead(out _));
        Assert.True(e.IsTruncated);
        Assert.Equal(1, e.RecordIndex);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void WriteAll_FailingMidway_LeavesNoFile()
    {
        var path = TempFile();
        static IEnumerable<byte[]> Failing()
        {
            yield return [1, 2, 3];
            throw new InvalidOperationException("source failed");
        }
        Assert.Throws<InvalidOperationException>(() => TfRecord.WriteAll(path, Failing()));
        Assert.False(File.Exists(path));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, Path.GetFileName(path) + "*"));
    }

    [Fact]
    public void Flush_MakesRecordsVisibleToAConcurrentReader()
    {
        var path = TempFile();
        try
        {
            using var writer = TfRecordWriter.Create(path);
            writer.Write(Encoding.ASCII.GetBytes("event 0"));
            writer.Flush();
            using (var reader = new TfRecordReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite), path))
            {
                Assert.True(reader.TryRead(out var r));
                Assert.Equal("event 0", Encoding.ASCII.GetString(r));
                Assert.False(reader.TryRead(out _));
            }
        }
        finally { File.Delete(path); }
    }
}
