using TypedGraph.Formats;
using TypedGraph.Protos;

namespace TypedGraph.Tests.Formats;

/// <summary>Partitioned tensors (slices) and multi-shard bundles made by merging.</summary>
public class CheckpointShardTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-shards").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static Tensor Range(int rows, int cols, int start = 0)
        => Tensor.Create(Enumerable.Range(start, rows * cols).Select(i => (float)i).ToArray(), rows, cols);

    [Fact]
    public void SlicedTensor_IsAssembledFromRowAndColumnPartitions()
    {
        var prefix = Path.Combine(_dir, "sliced");
        var full = Range(4, 6).ToArray<float>();
        using (var w = new CheckpointWriter(prefix))
        {
            // Rows 0-1 whole; rows 2-3 split in columns 0-3 and 4-5.
            w.AddSlice("w", [4, 6], TensorSlice.Parse("0,2:-"), Tensor.Create(full[..12], 2, 6));
            w.AddSlice("w", [4, 6], TensorSlice.Parse("2,2:0,4"), Tensor.Create(new[] { full[12], full[13], full[14], full[15], full[18], full[19], full[20], full[21] }, 2, 4));
            w.AddSlice("w", [4, 6], TensorSlice.Parse("2,2:4,2"), Tensor.Create(new[] { full[16], full[17], full[22], full[23] }, 2, 2));
            w.Add("b", Tensor.Create(new[] { 9f }));
            w.Finish();
        }
        using var r = CheckpointReader.Open(prefix);
        Assert.Equal(new[] { "b", "w" }, r.Entries.Select(e => e.Name)); // binary slice keys are not listed
        Assert.True(r.GetEntry("w").IsSliced);
        Assert.Equal(new long[] { 4, 6 }, r.GetEntry("w").Shape);
        Assert.Equal(new[] { "0,2:-", "2,2:0,4", "2,2:4,2" }, r.GetSlices("w").Select(s => s.ToString()));
        var t = r.Read("w");
        Assert.Equal(new TensorShape(4, 6), t.Shape);
        Assert.Equal(full, t.ToArray<float>());
        r.VerifyAll();
    }

    [Fact]
    public void FullCoverSlice_IsWrittenAsAPlainEntry()
    {
        var prefix = Path.Combine(_dir, "fullslice");
        using (var w = new CheckpointWriter(prefix))
        {
            w.AddSlice("w", [2, 3], TensorSlice.Parse("0,2:0,3"), Range(2, 3));
            w.Finish();
        }
        using var r = CheckpointReader.Open(prefix);
        Assert.False(r.GetEntry("w").IsSliced);
        Assert.Equal(24, r.GetEntry("w").Size);
    }

    [Fact]
    public void Merge_OfTwoBundles_GivesTwoShards_AndCombinesSlices()
    {
        var a = Path.Combine(_dir, "tmp", "part-00000-of-00002");
        var b = Path.Combine(_dir, "tmp", "part-00001-of-00002");
        using (var w = new CheckpointWriter(a))
        {
            w.Add("global_step", Tensor.FromScalar(7L));
            w.AddSlice("emb", [4, 2], TensorSlice.Parse("0,2:-"), Range(2, 2));
            w.Finish();
        }
        using (var w = new CheckpointWriter(b))
        {
            w.Add("dense/kernel", Range(3, 2, 100));
            w.Add("zz", Tensor.FromString("last"));
            w.AddSlice("emb", [4, 2], TensorSlice.Parse("2,2:-"), Range(2, 2, 4));
            w.Finish();
        }
        var dest = Path.Combine(_dir, "merged", "variables");
        CheckpointMerger.Merge([a, b], dest);

        Assert.False(File.Exists(a + ".index"));
        Assert.True(File.Exists(dest + ".data-00000-of-00002"));
        Assert.True(File.Exists(dest + ".data-00001-of-00002"));
        // Header: num_shards 2, version producer 1 (TF's merged header bytes).
        using var r = CheckpointReader.Open(dest);
        Assert.Equal(2, r.NumShards);
        Assert.Equal(Convert.FromHexString("08021A020801"), Google.Protobuf.MessageExtensions.ToByteArray(r.Header));
        Assert.Equal(new[] { "dense/kernel", "emb", "global_step", "zz" }, r.Entries.Select(e => e.Name));
        Assert.Equal(0, r.GetEntry("global_step").ShardId);
        Assert.Equal(1, r.GetEntry("dense/kernel").ShardId);
        // Offsets restart in each data file; the emb slice (key starts with 0x00) sorts first.
        Assert.Equal(16, r.GetEntry("dense/kernel").Offset);
        Assert.Equal(16, r.GetEntry("global_step").Offset);
        Assert.Equal(7L, r.Read("global_step").Scalar<long>());
        Assert.Equal(Range(3, 2, 100).ToArray<float>(), r.Read("dense/kernel").ToArray<float>());
        Assert.Equal(Enumerable.Range(0, 8).Select(i => (float)i), r.Read("emb").ToArray<float>());
        Assert.Equal("last"u8.ToArray(), r.Read("zz").Strings[0]);
        r.VerifyAll();
    }

    [Fact]
    public void Merge_GivesASlicedTensorsMetadataEntryItsDataFilesShardId_AsTf()
    {
        var a = Path.Combine(_dir, "p0");
        var b = Path.Combine(_dir, "p1");
        using (var w = new CheckpointWriter(a))
        {
            w.Add("x", Tensor.FromScalar(1f));
            w.Finish();
        }
        using (var w = new CheckpointWriter(b))
        {
            w.AddSlice("emb", [2, 2], TensorSlice.Parse("0,1:-"), Range(1, 2));
            w.AddSlice("emb", [2, 2], TensorSlice.Parse("1,1:-"), Range(1, 2, 2));
            w.Finish();
        }
        var dest = Path.Combine(_dir, "m");
        CheckpointMerger.Merge([a, b], dest, deleteInputs: false);
        using var r = CheckpointReader.Open(dest);
        Assert.Equal(1, r.GetEntryProto("emb").ShardId);
        Assert.Equal(0, r.GetEntry("x").ShardId);
        Assert.Equal(new[] { 0f, 1f, 2f, 3f }, r.Read("emb").ToArray<float>());
        Assert.True(File.Exists(a + ".index")); // deleteInputs: false leaves the inputs
    }

    [Fact]
    public void Merge_RejectsTheSameTensorInTwoInputs()
    {
        var a = Path.Combine(_dir, "a");
        var b = Path.Combine(_dir, "b");
        foreach (var p in new[] { a, b })
        {
            using var w = new CheckpointWriter(p);
            w.Add("w", Tensor.FromScalar(1f));
            w.Finish();
        }
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointMerger.Merge([a, b], Path.Combine(_dir, "m"), deleteInputs: false));
        Assert.Contains("'w'", e.Message);
    }

    [Fact]
    public void MissingSliceEntry_IsReported()
    {
        var prefix = Path.Combine(_dir, "holes");
        using (var w = new CheckpointWriter(prefix))
        {
            w.AddSlice("w", [4, 2], TensorSlice.Parse("0,2:-"), Range(2, 2));
            w.Finish();
        }
        using var r = CheckpointReader.Open(prefix);
        var e = Assert.Throws<CheckpointFormatException>(() => r.Read("w"));
        Assert.Contains("4 of 8 elements", e.Message);
        Assert.Equal(DataType.DtFloat, r.GetEntry("w").DType);
    }
}
