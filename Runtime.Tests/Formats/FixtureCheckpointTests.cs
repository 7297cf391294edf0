using TypedGraph.Formats;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using CheckpointState = TypedGraph.Formats.CheckpointState;

namespace TypedGraph.Tests.Formats;

/// <summary>Every fixture checkpoint against its SOURCE.md, and re-saved byte-for-byte.</summary>
public class FixtureCheckpointTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-fixture").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    public static TheoryData<string> CheckpointFolders()
    {
        var data = new TheoryData<string>();
        foreach (var f in Fixtures.Folders)
            if (FixtureSource.Load(f).Entries.Count > 0) data.Add(Path.GetFileName(f));
        return data;
    }

    [Fact]
    public void FixturesWithCheckpoints_AreFound() => Assert.True(CheckpointFolders().Count >= 4, "expected at least the four fixture checkpoints");

    [Theory]
    [MemberData(nameof(CheckpointFolders))]
    public void Entries_MatchSourceMd_WithAllCrcsVerified(string folder)
    {
        var src = FixtureSource.Load(Fixtures.Path(folder));
        using var reader = CheckpointReader.Open(src.CheckpointPrefix!);
        Assert.Equal(src.NumShards, reader.NumShards);
        Assert.Equal(src.Entries.Select(e => e.Name), reader.Entries.Select(e => e.Name));
        foreach (var want in src.Entries)
        {
            var e = reader.GetEntry(want.Name);
            Assert.Equal(want.DType, ShortName(e.DType));
            Assert.Equal(want.Shape, e.Shape);
            Assert.Equal(want.Shard, e.ShardId);
            Assert.Equal(want.Offset, e.Offset);
            Assert.Equal(want.Size, e.Size);
            using var t = reader.Read(want.Name);
            Assert.Equal(want.Shape.Select(d => (int)d), t.Shape.ToArray());
            for (int i = 0; i < want.First.Length; i++)
            {
                double actual = t.DType switch
                {
                    DataType.DtFloat => t.AsSpan<float>()[i],
                    DataType.DtInt32 => t.AsSpan<int>()[i],
                    DataType.DtInt64 => t.AsSpan<long>()[i],
                    DataType.DtDouble => t.AsSpan<double>()[i],
                    DataType.DtString => throw new InvalidOperationException("SOURCE.md gives no first values for string entries"),
                    _ => throw new NotSupportedException(t.DType.ToString()),
                };
                // SOURCE.md rounds to 6 decimals.
                Assert.True(Math.Abs(actual - want.First[i]) <= 5e-7, $"{want.Name}[{i}] = {actual}, SOURCE.md says {want.First[i]}");
            }
        }
        reader.VerifyAll();
        // A string entry (TF2's _CHECKPOINTABLE_OBJECT_GRAPH) is one string: its stored size is varint(len) + 4-byte length checksum + bytes.
        foreach (var want in src.Entries.Where(e => e.DType == "string"))
        {
            using var t = reader.Read(want.Name);
            var lengths = t.Strings.Sum(s => (long)s.Length + VarintLength(s.Length));
            Assert.Equal(want.Size, lengths + 4);
        }
    }

    [Theory]
    [MemberData(nameof(CheckpointFolders))]
    public void Resave_IsByteIdenticalToTensorFlow(string folder)
    {
        var src = FixtureSource.Load(Fixtures.Path(folder));
        // Byte identity is defined for single-shard bundles (one BundleWriter); every fixture is one.
        Assert.Equal(1, src.NumShards);
        var prefix = src.CheckpointPrefix!;
        var copy = Path.Combine(_dir, "resaved");
        using (var reader = CheckpointReader.Open(prefix))
        using (var writer = new CheckpointWriter(copy, CheckpointDataOrder.AddOrder))
        {
            foreach (var e in reader.EntriesInDataOrder) writer.Add(e.Name, reader.Read(e.Name));
            writer.Finish();
        }
        Assert.Equal(File.ReadAllBytes(prefix + ".index"), File.ReadAllBytes(copy + ".index"));
        Assert.Equal(File.ReadAllBytes(prefix + ".data-00000-of-00001"), File.ReadAllBytes(copy + ".data-00000-of-00001"));
        using var back = CheckpointReader.Open(copy);
        back.VerifyAll();
        Assert.Equal(src.Entries.Count, back.Entries.Count);
    }

    [Fact]
    public void Latest_ResolvesRelativeStateFilePath()
    {
        var dir = Fixtures.Path("rnn_model");
        Assert.Equal(Path.Combine(dir, "model.ckpt"), Checkpoint.Latest(dir));
        Assert.Equal(Path.Combine(Fixtures.Path("smove_mlp"), "my_test_model-1000"), Checkpoint.Latest(Fixtures.Path("smove_mlp")));
        Assert.Null(Checkpoint.Latest(Fixtures.Path("mnist_fc2"))); // no checkpoint file there
        using var r = CheckpointReader.Open(dir);
        Assert.Equal(6, r.Entries.Count);
    }

    [Fact]
    public void StateFiles_ParseAndReprintIdentically()
    {
        foreach (var f in Fixtures.Folders)
        {
            var path = Path.Combine(f, "checkpoint");
            if (!File.Exists(path)) continue;
            var state = CheckpointState.Read(f)!;
            Assert.Equal(File.ReadAllText(path), state.ToText());
        }
    }

    private static int VarintLength(long v)
    {
        int n = 1;
        for (; v >= 0x80; v >>= 7) n++;
        return n;
    }

    private static string ShortName(DataType t) => t switch
    {
        DataType.DtFloat => "float",
        DataType.DtDouble => "double",
        _ => DataTypes.Name(t),
    };
}

public class ConcurrentReadTests
{
    [Fact]
    public void ParallelReads_OfOneReader_AgreeWithSequentialOnes()
    {
        using var r = CheckpointReader.Open(Fixtures.Path("mnist_fc2", "fc2.ckpt"));
        var expected = r.Entries.ToDictionary(e => e.Name, e => r.Read(e.Name).Bytes.ToArray());
        var names = Enumerable.Range(0, 10).SelectMany(_ => r.Entries.Select(e => e.Name)).ToArray();
        Parallel.ForEach(names, new ParallelOptions { MaxDegreeOfParallelism = 4 }, name =>
        {
            using var t = r.Read(name);
            Assert.Equal(expected[name], t.Bytes.ToArray());
        });
    }
}
