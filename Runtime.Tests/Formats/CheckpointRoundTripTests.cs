using System.Numerics;
using System.Text;
using TypedGraph.Formats;
using TypedGraph.Protos;

namespace TypedGraph.Tests.Formats;

/// <summary>Our writer's output read back by our reader, for every dtype and edge shape.</summary>
public class CheckpointRoundTripTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-roundtrip").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Save(params (string Name, Tensor Value)[] tensors)
    {
        var prefix = Path.Combine(_dir, "sub", "model-" + Guid.NewGuid().ToString("N")[..6]);
        using var w = new CheckpointWriter(prefix);
        foreach (var (n, t) in tensors) w.Add(n, t);
        w.Finish();
        return prefix;
    }

    [Fact]
    public void AddOrder_LaysDataOutInAddOrder_IndexStillSorted_AndResavesIdentically()
    {
        var prefix = Path.Combine(_dir, "add-order");
        using (var w = new CheckpointWriter(prefix, CheckpointDataOrder.AddOrder))
        {
            w.Add("zeta", Tensor.Create(new[] { 1f, 2f, 3f }));      // 12 bytes at 0
            w.Add("_object_graph", Tensor.FromString("graph"));       // 1 + 4 + 5 = 10 bytes at 12
            w.Add("alpha", Tensor.Create(new[] { 7L }));              // 8 bytes at 22
            w.Finish();
        }
        using var r = CheckpointReader.Open(prefix);
        Assert.Equal(new[] { "_object_graph", "alpha", "zeta" }, r.Entries.Select(e => e.Name));
        Assert.Equal(new[] { ("zeta", 0L, 12L), ("_object_graph", 12L, 10L), ("alpha", 22L, 8L) }, r.EntriesInDataOrder.Select(e => (e.Name, e.Offset, e.Size)));

        var copy = Path.Combine(_dir, "add-order-copy");
        using (var w = new CheckpointWriter(copy, CheckpointDataOrder.AddOrder))
        {
            foreach (var e in r.EntriesInDataOrder) w.Add(e.Name, r.Read(e.Name));
            w.Finish();
        }
        Assert.Equal(File.ReadAllBytes(prefix + ".index"), File.ReadAllBytes(copy + ".index"));
        Assert.Equal(File.ReadAllBytes(prefix + ".data-00000-of-00001"), File.ReadAllBytes(copy + ".data-00000-of-00001"));
    }

    [Fact]
    public void AllNumericDtypes_RoundTripBitExactly()
    {
        var tensors = new (string, Tensor)[]
        {
            ("f32", Tensor.Create(new[] { 1.5f, -0.0f, float.NaN, float.PositiveInfinity }, 2, 2)),
            ("f64", Tensor.Create(new[] { Math.PI, -1e300 })),
            ("i8", Tensor.Create(new sbyte[] { -128, 127, 0 })),
            ("u8", Tensor.Create(new byte[] { 0, 255 })),
            ("i16", Tensor.Create(new short[] { -32768, 7 })),
            ("u16", Tensor.Create(new ushort[] { 65535 })),
            ("i32", Tensor.Create(new[] { int.MinValue, 42 })),
            ("u32", Tensor.Create(new[] { uint.MaxValue })),
            ("i64", Tensor.Create(new[] { long.MinValue, 1L << 40, -1L })),
            ("u64", Tensor.Create(new[] { ulong.MaxValue })),
            ("bool", Tensor.Create(new[] { true, false, true })),
            ("half", Tensor.Create(new[] { (Half)1.5, (Half)(-2), Half.MaxValue })),
            ("c128", Tensor.Create(new[] { new Complex(1, -2) })),
            ("bf16", new Tensor(DataType.DtBfloat16, new TensorShape(2), new byte[] { 0x80, 0x3F, 0x00, 0xC0 })),
            ("c64", new Tensor(DataType.DtComplex64, new TensorShape(1), BitConverter.GetBytes(1f).Concat(BitConverter.GetBytes(-1f)).ToArray())),
        };
        var prefix = Save(tensors);
        using var r = CheckpointReader.Open(prefix);
        Assert.Equal(tensors.Select(t => t.Item1).Order(StringComparer.Ordinal), r.Entries.Select(e => e.Name));
        foreach (var (name, t) in tensors)
        {
            using var back = r.Read(name);
            Assert.Equal(t.DType, back.DType);
            Assert.Equal(t.Shape, back.Shape);
            Assert.Equal(t.Bytes.ToArray(), back.Bytes.ToArray());
        }
        // Data layout: sorted keys, back to back.
        long offset = 0;
        foreach (var e in r.Entries)
        {
            Assert.Equal(offset, e.Offset);
            offset += e.Size;
        }
        Assert.Equal(offset, new FileInfo(prefix + ".data-00000-of-00001").Length);
    }

    [Fact]
    public void ScalarsAndEmptyTensors_RoundTrip()
    {
        var prefix = Save(
            ("global_step", Tensor.FromScalar(20000L)),
            ("lr", Tensor.FromScalar(0.5f)),
            ("empty", Tensor.Zeros(DataType.DtFloat, new TensorShape(0, 3))),
            ("empty_i64", Tensor.Zeros(DataType.DtInt64, new TensorShape(0))),
            ("empty_str", new Tensor(new TensorShape(0), [])));
        using var r = CheckpointReader.Open(prefix);
        Assert.Equal(20000L, r.Read("global_step").Scalar<long>());
        Assert.Equal(0.5f, r.Read("lr").Scalar<float>());
        Assert.Empty(r.GetEntry("lr").Shape);
        var e = r.Read("empty");
        Assert.Equal(new TensorShape(0, 3), e.Shape);
        Assert.Equal(0, e.ByteLength);
        Assert.Equal(0, r.GetEntry("empty").Size);
        Assert.Equal(Crc32C.Mask(0), r.GetEntry("empty").MaskedCrc32C);
        Assert.Equal(new TensorShape(0), r.Read("empty_i64").Shape);
        Assert.Empty(r.Read("empty_str").Strings);
    }

    [Fact]
    public void StringTensors_RoundTrip_WithTheLengthChecksumLayout()
    {
        var long300 = Enumerable.Repeat((byte)'z', 300).ToArray();
        var strings = new[] { Array.Empty<byte>(), "a"u8.ToArray(), Encoding.UTF8.GetBytes("héllo"), long300 };
        var prefix = Save(("s", new Tensor(new TensorShape(2, 2), strings)), ("scalar", Tensor.FromString("model")));
        using var r = CheckpointReader.Open(prefix);
        var s = r.Read("s");
        Assert.Equal(new TensorShape(2, 2), s.Shape);
        Assert.Equal(strings, s.Strings);
        Assert.Equal("model"u8.ToArray(), r.Read("scalar").Strings[0]);
        // size = varint lengths (1+1+1+2) + 4-byte length checksum + 307 string bytes.
        Assert.Equal(5 + 4 + 307, r.GetEntry("s").Size);
        // The scalar's bytes: varint 5, masked CRC32C of the length as a uint32, then "model".
        var data = File.ReadAllBytes(prefix + ".data-00000-of-00001");
        var scalar = r.GetEntry("scalar");
        var bytes = data.AsSpan((int)scalar.Offset, (int)scalar.Size).ToArray();
        uint lengthCrc = Crc32C.Compute(BitConverter.GetBytes(5u));
        Assert.Equal(new byte[] { 5 }.Concat(BitConverter.GetBytes(Crc32C.Mask(lengthCrc))).Concat("model"u8.ToArray()), bytes);
        uint entryCrc = Crc32C.Extend(lengthCrc, bytes.AsSpan(1));
        Assert.Equal(Crc32C.Mask(entryCrc), scalar.MaskedCrc32C);
    }

    [Fact]
    public void ManyEntries_SpanSeveralDataBlocks_AndReadBack()
    {
        const int n = 20000;
        var prefix = Path.Combine(_dir, "many");
        using (var w = new CheckpointWriter(prefix))
        {
            for (int i = 0; i < n; i++) w.Add($"layer_{i:D5}/kernel", Tensor.FromScalar(i));
            w.Finish();
        }
        // 20000 entries of ~25 bytes cannot fit one 256 KiB block.
        Assert.True(new FileInfo(prefix + ".index").Length > 2 * TableWriter.BlockSize);
        using var r = CheckpointReader.Open(prefix);
        Assert.Equal(n, r.Entries.Count);
        foreach (int i in new[] { 0, 1, 15, 16, 17, 9999, 12345, n - 1 })
            Assert.Equal(i, r.Read($"layer_{i:D5}/kernel").Scalar<int>());
        r.VerifyAll();
    }

    [Fact]
    public void HugeKeys_FlushABlockPerFewEntries_AndReadBack()
    {
        var prefix = Path.Combine(_dir, "bigkeys");
        var names = Enumerable.Range(0, 7).Select(i => new string((char)('a' + i), 100_000) + "/w").ToArray();
        using (var w = new CheckpointWriter(prefix))
        {
            foreach (var name in names.Reverse()) w.Add(name, Tensor.Create(new[] { (float)name[0] }));
            w.Finish();
        }
        using var r = CheckpointReader.Open(prefix);
        Assert.Equal(names, r.Entries.Select(e => e.Name));
        foreach (var name in names) Assert.Equal((float)name[0], r.Read(name).AsSpan<float>()[0]);
    }

    [Fact]
    public void ZeroCopyTensors_AreCopyOnWrite_AndOutliveTheReader()
    {
        // Big enough to be served as a private mapping rather than a copy.
        var values = Enumerable.Range(1, MappedShard.ZeroCopyThreshold).Select(i => (float)i).ToArray();
        var prefix = Save(("w", Tensor.Create(values)));
        var before = File.ReadAllBytes(prefix + ".data-00000-of-00001");
        Tensor t;
        using (var r = CheckpointReader.Open(prefix))
        {
            t = r.Read("w");
            t.AsSpan<float>()[0] = 42f;
            Assert.Equal(1f, r.Read("w").AsSpan<float>()[0]); // a fresh read still sees the file
        }
        Assert.Equal(new[] { 42f, 2f, 3f }, t.ToArray<float>()[..3]); // still valid after the reader is gone
        t.Dispose();
        Assert.Equal(before, File.ReadAllBytes(prefix + ".data-00000-of-00001"));
    }

    [Fact]
    public void Writer_RejectsDuplicatesAndBadNames_AndLeavesNoTempFiles()
    {
        var prefix = Path.Combine(_dir, "dup");
        using var w = new CheckpointWriter(prefix);
        w.Add("a", Tensor.FromScalar(1f));
        Assert.Throws<ArgumentException>(() => w.Add("a", Tensor.FromScalar(2f)));
        Assert.Throws<ArgumentException>(() => w.Add("", Tensor.FromScalar(2f)));
        Assert.Throws<ArgumentException>(() => w.Add("h", Tensor.FromHandle(DataType.DtResource, new object())));
        w.Finish();
        Assert.Throws<InvalidOperationException>(() => w.Add("b", Tensor.FromScalar(1f)));
        Assert.Equal(new[] { "dup.data-00000-of-00001", "dup.index" }, Directory.GetFiles(_dir).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void Writer_ReportsProgressInDataBytes()
    {
        var prefix = Path.Combine(_dir, "progress");
        var seen = new List<long>();
        using (var w = new CheckpointWriter(prefix))
        {
            w.Add("b", Tensor.Create(new[] { 1f, 2f }));
            w.Add("a", Tensor.FromScalar(3L));
            w.Finish(new SyncProgress(seen.Add));
        }
        Assert.Equal(new long[] { 8, 16 }, seen); // 'a' (int64) first, then 'b' (2 floats)
    }

    private sealed class SyncProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }

    [Fact]
    public void Writer_OverwritesAnExistingCheckpointAtomically()
    {
        var prefix = Save(("w", Tensor.Create(new[] { 1f })));
        using (var w = new CheckpointWriter(prefix))
        {
            w.Add("w", Tensor.Create(new[] { 2f, 3f }));
            w.Finish();
        }
        using var r = CheckpointReader.Open(prefix);
        Assert.Equal(new[] { 2f, 3f }, r.Read("w").ToArray<float>());
    }
}
