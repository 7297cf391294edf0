using System.Buffers.Binary;
using System.IO.Compression;

namespace TypedGraph.Tests.Formats;

/// <summary>
/// A TFRecord header's length is checksummed, but anyone can compute that checksum: a 20-byte file announcing a 1 GiB
/// record must be a "truncated record" error without a 1 GiB allocation, plain or compressed (issue 9: sizes from
/// files never drive allocation before they are checked against the bytes actually there).
/// </summary>
public class TfRecordUntrustedLengthTests
{
    private static byte[] HugeHeaderThenFewBytes()
    {
        var file = new byte[TfRecord.HeaderSize + 8];
        BinaryPrimitives.WriteUInt64LittleEndian(file, 1UL << 30);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(8), Crc32C.Mask(Crc32C.Compute(file.AsSpan(0, 8))));
        return file;
    }

    private static (TfRecordFormatException Error, long Allocated) ReadAll(Stream stream, TfRecordCompression compression)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<TfRecordFormatException>(() =>
        {
            using var r = new TfRecordReader(stream, "huge.tfrecord", compression);
            while (r.TryRead(out _)) { }
        });
        return (e, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void HugeLengthWithValidCrc_InAPlainFile_IsTruncatedWithoutAllocatingIt()
    {
        var (e, allocated) = ReadAll(new MemoryStream(HugeHeaderThenFewBytes()), TfRecordCompression.None);
        Assert.True(e.IsTruncated, e.Message);
        Assert.Contains("huge.tfrecord", e.Message);
        Assert.Contains("1073741824", e.Message);
        Assert.True(allocated < 1 << 20, $"allocated {allocated} bytes for a 20-byte file");
    }

    [Fact]
    public void HugeLengthWithValidCrc_InAGzipFile_IsTruncatedWithoutAllocatingIt()
    {
        var gz = new MemoryStream();
        using (var z = new GZipStream(gz, CompressionLevel.Optimal, leaveOpen: true)) z.Write(HugeHeaderThenFewBytes());
        gz.Position = 0;
        var (e, allocated) = ReadAll(gz, TfRecordCompression.Gzip);
        Assert.True(e.IsTruncated, e.Message);
        Assert.True(allocated < 4 << 20, $"allocated {allocated} bytes for a tiny compressed file");
    }

    [Fact]
    public void ARecordLargerThanOneChunk_StillReadsBackExactly_FromACompressedStream()
    {
        // The chunked path (non-seekable streams) must return the same bytes as the whole-buffer path.
        var data = new byte[3 << 20];
        new Random(5).NextBytes(data);
        var ms = new MemoryStream();
        using (var w = new TfRecordWriter(ms, TfRecordCompression.Zlib, leaveOpen: true))
        {
            w.Write(data);
            w.Write([1, 2, 3]);
        }
        ms.Position = 0;
        using var r = new TfRecordReader(ms, "big.tfrecord", TfRecordCompression.Zlib);
        Assert.True(r.TryRead(out var first));
        Assert.Equal(data, first);
        Assert.True(r.TryRead(out var second));
        Assert.Equal(new byte[] { 1, 2, 3 }, second);
        Assert.False(r.TryRead(out _));
    }
}
