using System.Text;
using Google.Protobuf;
using TypedGraph.Formats;
using TypedGraph.Protos;

namespace TypedGraph.Tests.Formats;

/// <summary>
/// Sizes read from files are checked against the file length and <see cref="AllocationLimits"/> before anything is
/// allocated or dereferenced (issue 9 items 2–4): each crafted file below is a typed error naming the tensor, node or
/// file, and the allocation it would have caused never happens.
/// </summary>
[Collection(AllocationLimitCollection.Name)]
public sealed class UntrustedSizeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-sizes").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static TensorShapeProto Shape(params long[] dims)
    {
        var s = new TensorShapeProto();
        foreach (var d in dims) s.Dim.Add(new TensorShapeProto.Types.Dim { Size = d });
        return s;
    }

    private string WriteIndex(int numShards, byte[] data, params (string Key, BundleEntryProto Proto)[] entries) => WriteIndexRaw(numShards, data, entries.Select(e => (Encoding.UTF8.GetBytes(e.Key), e.Proto)).ToArray());

    private string WriteIndexRaw(int numShards, byte[] data, params (byte[] Key, BundleEntryProto Proto)[] entries)
    {
        var prefix = Path.Combine(_dir, "c" + Guid.NewGuid().ToString("N")[..6]);
        for (int i = 0; i < Math.Min(numShards, 4); i++) File.WriteAllBytes(CheckpointReader.DataPath(prefix, i, numShards), data);
        CheckpointWriter.WriteIndex(prefix + ".index", new BundleHeaderProto { NumShards = numShards, Version = new VersionDef { Producer = 1 } },
            entries.OrderBy(e => e.Key, BytewiseComparer.Instance));
        return prefix;
    }

    private static long AllocatedBy(Action action)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Fact]
    public void An_offset_near_long_max_does_not_wrap_past_the_bounds_check()
    {
        // Offset + Size wraps to a small negative number when added; the check must not add.
        var prefix = WriteIndex(1, new byte[64], ("t", new BundleEntryProto { Dtype = DataType.DtFloat, Shape = Shape(4), Size = 16, Offset = long.MaxValue - 8 }));
        using var r = CheckpointReader.Open(prefix);
        var e = Assert.Throws<CheckpointFormatException>(() => r.Read("t"));
        Assert.Contains("'t'", e.Message);
        Assert.Contains("runs past the end of the 64-byte data file", e.Message);
        Assert.Throws<CheckpointFormatException>(() => r.Verify("t"));
    }

    [Fact]
    public void Num_shards_int_max_is_an_error_about_the_missing_shard_without_sizing_a_table()
    {
        var prefix = WriteIndex(int.MaxValue, new byte[16], ("t", new BundleEntryProto { Dtype = DataType.DtFloat, Shape = Shape(4), Size = 16 }));
        File.Delete(CheckpointReader.DataPath(prefix, 0, int.MaxValue));
        long allocated = 0;
        var e = Assert.Throws<CheckpointFormatException>(() => allocated = AllocatedBy(() => CheckpointReader.Open(prefix)));
        Assert.Contains("2147483647 shard(s)", e.Message);
        Assert.Contains("data-00000-of-2147483647", e.Message);
    }

    [Fact]
    public void A_sliced_tensor_is_checked_against_its_data_file_before_the_full_buffer_is_allocated()
    {
        // A tiny index declaring a [1, 2^31-1] float tensor stored as one slice: 8 GiB if allocated first.
        var full = new BundleEntryProto { Dtype = DataType.DtFloat, Shape = Shape(1, int.MaxValue) };
        var slice = new TensorSlice([0, 0], [1, int.MaxValue]);
        full.Slices.Add(slice.ToProto());
        var part = new BundleEntryProto { Dtype = DataType.DtFloat, Shape = Shape(1, int.MaxValue), Size = 4L * int.MaxValue };
        var prefix = WriteIndexRaw(1, new byte[16], (Encoding.UTF8.GetBytes("big"), full), (SliceKeys.Encode("big", slice), part));
        Assert.True(new FileInfo(prefix + ".index").Length < 1000);
        using var r = CheckpointReader.Open(prefix);
        long allocated = 0;
        CheckpointFormatException? e = null;
        allocated = AllocatedBy(() => e = Assert.Throws<CheckpointFormatException>(() => r.Read("big")));
        Assert.Contains("'big'", e!.Message);
        Assert.True(allocated < 1 << 20, $"allocated {allocated} bytes before rejecting the slice");
    }

    [Fact]
    public void A_sliced_tensor_over_the_allocation_limit_is_a_typed_error_naming_it()
    {
        // Valid slices totalling 64 floats; with a 100-byte limit the assembled tensor is refused, not allocated.
        var data = new byte[256];
        var full = new BundleEntryProto { Dtype = DataType.DtFloat, Shape = Shape(64) };
        var slice = new TensorSlice([0], [64]);
        full.Slices.Add(slice.ToProto());
        var part = new BundleEntryProto { Dtype = DataType.DtFloat, Shape = Shape(64), Size = 256, Crc32C = Crc32C.Mask(Crc32C.Compute(data)) };
        var prefix = WriteIndexRaw(1, data, (Encoding.UTF8.GetBytes("w"), full), (SliceKeys.Encode("w", slice), part));
        using var r = CheckpointReader.Open(prefix);
        Assert.Equal(new float[64], r.Read("w").ToArray<float>());
        using (AllocationLimitCollection.Limit(100))
        {
            var e = Assert.Throws<CheckpointFormatException>(() => r.Read("w"));
            Assert.Contains("tensor 'w'", e.Message);
            Assert.Contains("needs 256 bytes, more than the 100-byte limit", e.Message);
        }
    }

    [Fact]
    public void A_const_of_ten_to_the_twelve_elements_names_the_node_and_the_limit()
    {
        var proto = new TensorProto { Dtype = DataType.DtFloat, TensorShape = Shape(1_000_000, 1_000_000) };
        proto.FloatVal.Add(1f);
        var e = Assert.Throws<GraphFormatException>(() => TensorProtos.ToTensor(proto, "Const node 'huge'"));
        Assert.Contains("Const node 'huge'", e.Message);
        Assert.Contains("needs 4000000000000 bytes", e.Message);
    }

    [Fact]
    public void A_splat_string_const_of_200_million_elements_is_refused_before_allocating()
    {
        var proto = new TensorProto { Dtype = DataType.DtString, TensorShape = Shape(200_000_000) };
        proto.StringVal.Add(ByteString.CopyFromUtf8("abcdefgh"));
        Assert.True(proto.CalculateSize() < 100);
        GraphFormatException? e = null;
        long allocated = AllocatedBy(() => e = Assert.Throws<GraphFormatException>(() => TensorProtos.ToTensor(proto, "Const node 's'")));
        Assert.Contains("Const node 's'", e!.Message);
        // 200M × (32 + 8) bytes by our estimate of a string element.
        Assert.Contains("needs 8000000000 bytes", e.Message);
        Assert.True(allocated < 1 << 20, $"allocated {allocated} bytes");
    }

    [Fact]
    public void A_const_within_the_limit_still_decodes_its_splat_values()
    {
        var proto = new TensorProto { Dtype = DataType.DtInt32, TensorShape = Shape(5) };
        proto.IntVal.Add(7);
        proto.IntVal.Add(9);
        Assert.Equal([7, 9, 9, 9, 9], TensorProtos.ToTensor(proto).ToArray<int>());
    }

    [Fact]
    public void An_empty_node_input_is_a_graph_format_error_naming_the_node()
    {
        var g = new GraphDef();
        g.Node.Add(new NodeDef { Name = "a", Op = "Const" });
        g.Node.Add(new NodeDef { Name = "b", Op = "Identity", Input = { "" } });
        var e = Assert.Throws<GraphFormatException>(() => new Graph(g));
        Assert.Contains("'b'", e.Message);
        Assert.Contains("empty input", e.Message);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void An_npy_v2_or_v3_header_length_of_2_pow_31_or_more_is_an_npy_error(int version)
    {
        foreach (uint length in new[] { 0x8000_0000u, 0xFFFF_FFFFu, 100u })
        {
            var bytes = new byte[64];
            new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)version, 0 }.CopyTo(bytes, 0);
            BitConverter.GetBytes(length).CopyTo(bytes, 8);
            var e = Assert.Throws<NpyFormatException>(() => Npy.Parse(bytes, "x.npy"));
            Assert.Contains("x.npy", e.Message);
            Assert.Contains("truncated header", e.Message);
        }
    }

    [Fact]
    public void An_npy_array_over_the_allocation_limit_is_refused()
    {
        using var ms = new MemoryStream();
        Npy.Write(ms, Tensor.Create(new float[64], 64));
        using (AllocationLimitCollection.Limit(128))
        {
            var e = Assert.Throws<NpyFormatException>(() => Npy.Parse(ms.ToArray(), "big.npy"));
            Assert.Contains("needs 256 bytes, more than the 128-byte limit", e.Message);
        }
        Assert.Equal(new float[64], Npy.Parse(ms.ToArray(), "big.npy").ToArray<float>());
    }
}

/// <summary>Tests that lower <see cref="AllocationLimits.MaxTensorBytes"/> (process-wide) run one at a time, never in parallel with each other.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationLimitCollection
{
    /// <summary>The collection name.</summary>
    public const string Name = "AllocationLimits (process-wide setting)";

    /// <summary>Sets the limit until disposed.</summary>
    public static IDisposable Limit(long bytes)
    {
        var old = AllocationLimits.MaxTensorBytes;
        AllocationLimits.MaxTensorBytes = bytes;
        return new Restore(old);
    }

    private sealed class Restore(long old) : IDisposable
    {
        public void Dispose() => AllocationLimits.MaxTensorBytes = old;
    }
}
