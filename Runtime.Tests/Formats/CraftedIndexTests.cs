using System.Text;
using TypedGraph.Formats;
using TypedGraph.Protos;

namespace TypedGraph.Tests.Formats;

/// <summary>Well-formed tables holding nonsensical entries: each read fails with a typed error naming the tensor.</summary>
public class CraftedIndexTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-crafted").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static TensorShapeProto Shape(params long[] dims)
    {
        var s = new TensorShapeProto();
        foreach (var d in dims) s.Dim.Add(new TensorShapeProto.Types.Dim { Size = d });
        return s;
    }

    private string Write(BundleEntryProto entry, int numShards = 1, byte[]? data = null, params (byte[] Key, BundleEntryProto Proto)[] extra)
    {
        var prefix = Path.Combine(_dir, "c" + Guid.NewGuid().ToString("N")[..6]);
        for (int i = 0; i < numShards; i++) File.WriteAllBytes(CheckpointReader.DataPath(prefix, i, numShards), data ?? new byte[16]);
        var entries = extra.Append((Encoding.UTF8.GetBytes("t"), entry)).OrderBy(e => e.Item1, BytewiseComparer.Instance);
        CheckpointWriter.WriteIndex(prefix + ".index", new BundleHeaderProto { NumShards = numShards, Version = new VersionDef { Producer = 1 } }, entries);
        return prefix;
    }

    public static TheoryData<string, string> Cases => new()
    {
        { "shard", "names shard 3" },
        { "size", "needs 16 bytes but its entry says 12" },
        { "past-end", "runs past the end" },
        { "resource", "which a checkpoint cannot hold" },
        { "huge", "impossible shape" },
        { "unknown-dim", "non-concrete shape" },
        { "strings", "cannot fit" },
        { "bad-slice", "invalid slice" },
        { "slice-rank", "rank-1 slice of a rank-2 tensor" },
        { "slice-missing", "index has no entry for it" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void CraftedEntry_IsATypedErrorNamingTheTensor(string kind, string expected)
    {
        var e = new BundleEntryProto { Dtype = DataType.DtFloat, Shape = Shape(4), Size = 16 };
        string prefix;
        switch (kind)
        {
            case "shard": e.ShardId = 3; prefix = Write(e); break;
            case "size": e.Size = 12; prefix = Write(e); break;
            case "past-end": e.Offset = 8; prefix = Write(e); break;
            case "resource": e.Dtype = DataType.DtResource; prefix = Write(e); break;
            case "huge": e.Shape = Shape(1L << 40, 1L << 30); prefix = Write(e); break;
            case "unknown-dim": e.Shape = Shape(-1); prefix = Write(e); break;
            case "strings": e.Dtype = DataType.DtString; e.Shape = Shape(1000); prefix = Write(e); break;
            case "bad-slice":
                e.Slices.Add(new TensorSliceProto { Extent = { new TensorSliceProto.Types.Extent { Start = -5, Length = 2 } } });
                prefix = Write(e);
                break;
            case "slice-rank":
                e.Shape = Shape(2, 2);
                e.Slices.Add(new TensorSliceProto { Extent = { new TensorSliceProto.Types.Extent { Start = 0, Length = 1 } } });
                prefix = Write(e);
                break;
            default:
                e.Slices.Add(new TensorSliceProto { Extent = { new TensorSliceProto.Types.Extent { Start = 0, Length = 2 } } });
                prefix = Write(e);
                break;
        }
        var ex = Record.Exception(() =>
        {
            using var r = CheckpointReader.Open(prefix);
            r.Read("t");
        });
        var cfe = Assert.IsType<CheckpointFormatException>(ex);
        Assert.Contains(expected, cfe.Message);
        Assert.Contains("'t'", cfe.Message);
    }

    [Fact]
    public void MissingHeader_IsReported()
    {
        var prefix = Path.Combine(_dir, "nohdr");
        using (var s = File.Create(prefix + ".index"))
        {
            var t = new TableWriter(s);
            t.Add("w"u8, new BundleEntryProto { Dtype = DataType.DtFloat, Shape = Shape() }.ToByteArrayForTest());
            t.Finish();
        }
        Assert.Contains("no bundle header", Assert.Throws<CheckpointFormatException>(() => CheckpointReader.Open(prefix)).Message);
    }

    [Fact]
    public void BigEndianOrFutureBundles_AreRejected()
    {
        var prefix = Path.Combine(_dir, "be");
        File.WriteAllBytes(prefix + ".data-00000-of-00001", []);
        CheckpointWriter.WriteIndex(prefix + ".index", new BundleHeaderProto { NumShards = 1, Endianness = BundleHeaderProto.Types.Endianness.Big }, []);
        Assert.Contains("big-endian", Assert.Throws<CheckpointFormatException>(() => CheckpointReader.Open(prefix)).Message);
        File.Delete(prefix + ".index");
        CheckpointWriter.WriteIndex(prefix + ".index", new BundleHeaderProto { NumShards = 1, Version = new VersionDef { Producer = 9, MinConsumer = 5 } }, []);
        Assert.Contains("reader version", Assert.Throws<CheckpointFormatException>(() => CheckpointReader.Open(prefix)).Message);
    }
}

internal static class ProtoTestExtensions
{
    public static byte[] ToByteArrayForTest(this Google.Protobuf.IMessage m) => Google.Protobuf.MessageExtensions.ToByteArray(m);
}
