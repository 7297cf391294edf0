using TypedGraph.Formats;
using TypedGraph.Tests.Support;

namespace TypedGraph.Tests.Formats;

/// <summary>Corrupt, truncated and missing files: each a typed exception whose message names the file and the fault.</summary>
public class BadInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-bad").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    // A copy of the smove_mlp checkpoint (one tensor 'W') that a test may damage.
    private string CopyFixture()
    {
        var src = Fixtures.Path("smove_mlp", "my_test_model-1000");
        var dst = Path.Combine(_dir, "model");
        File.Copy(src + ".index", dst + ".index");
        File.Copy(src + ".data-00000-of-00001", dst + ".data-00000-of-00001");
        return dst;
    }

    private static CheckpointFormatException OpenFails(string prefix)
        => Assert.Throws<CheckpointFormatException>(() => { using var r = CheckpointReader.Open(prefix); r.VerifyAll(); });

    [Fact]
    public void EmptyIndex()
    {
        var p = CopyFixture();
        File.WriteAllBytes(p + ".index", []);
        var e = OpenFails(p);
        Assert.Equal(p + ".index", e.Path);
        Assert.Contains("empty", e.Message);
    }

    [Theory]
    [InlineData(30)]
    [InlineData(100)]
    [InlineData(124)]
    public void TruncatedIndex(int keep)
    {
        var p = CopyFixture();
        File.WriteAllBytes(p + ".index", File.ReadAllBytes(p + ".index")[..keep]);
        var e = OpenFails(p);
        Assert.Equal(p + ".index", e.Path);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void BadMagic()
    {
        var p = CopyFixture();
        var bytes = File.ReadAllBytes(p + ".index");
        bytes[^1] ^= 0x01;
        File.WriteAllBytes(p + ".index", bytes);
        var e = OpenFails(p);
        Assert.Contains("bad table magic", e.Message);
    }

    [Theory]
    [InlineData(3, false)]   // inside the header entry of the data block
    [InlineData(20, true)]   // inside W's BundleEntryProto
    [InlineData(50, false)]  // the metaindex block
    public void FlippedBitInABlock_IsACrcError(int offset, bool namesW)
    {
        var p = CopyFixture();
        var bytes = File.ReadAllBytes(p + ".index");
        bytes[offset] ^= 0x10;
        File.WriteAllBytes(p + ".index", bytes);
        var e = OpenFails(p);
        Assert.Equal(p + ".index", e.Path);
        Assert.Contains("CRC mismatch", e.Message);
        // When the damaged block still parses, the message says which tensor it describes.
        if (namesW) Assert.Contains("the block lists tensor(s) 'W'", e.Message);
    }

    [Fact]
    public void FlippedBitInTensorData_IsACrcErrorNamingTheTensor()
    {
        var p = CopyFixture();
        var bytes = File.ReadAllBytes(p + ".data-00000-of-00001");
        bytes[40] ^= 0x04;
        File.WriteAllBytes(p + ".data-00000-of-00001", bytes);
        using var r = CheckpointReader.Open(p);
        var e = Assert.Throws<CheckpointFormatException>(() => r.Read("W"));
        Assert.Equal(p + ".data-00000-of-00001", e.Path);
        Assert.Contains("tensor 'W'", e.Message);
        Assert.Contains("CRC32C mismatch", e.Message);
        Assert.Throws<CheckpointFormatException>(() => r.VerifyAll());
        // Opting out of verification is for speed only: the bytes come back as stored.
        using var unchecked_ = CheckpointReader.Open(p, verifyCrc: false);
        Assert.Equal(21, unchecked_.Read("W").NumElements);
    }

    [Fact]
    public void TruncatedDataFile_NamesTheTensor()
    {
        var p = CopyFixture();
        File.WriteAllBytes(p + ".data-00000-of-00001", File.ReadAllBytes(p + ".data-00000-of-00001")[..50]);
        using var r = CheckpointReader.Open(p);
        var e = Assert.Throws<CheckpointFormatException>(() => r.Read("W"));
        Assert.Contains("tensor 'W'", e.Message);
        Assert.Contains("runs past the end", e.Message);
    }

    [Fact]
    public void MissingShardFile()
    {
        var p = CopyFixture();
        File.Delete(p + ".data-00000-of-00001");
        var e = OpenFails(p);
        Assert.Equal(p + ".data-00000-of-00001", e.Path);
        Assert.Contains("missing", e.Message);
    }

    [Fact]
    public void MissingCheckpoint()
    {
        var e = OpenFails(Path.Combine(_dir, "nothing-here"));
        Assert.Contains("no such checkpoint", e.Message);
    }

    [Fact]
    public void StateFilePointingNowhere()
    {
        File.WriteAllText(Path.Combine(_dir, "checkpoint"), "model_checkpoint_path: \"model-5000\"\nall_model_checkpoint_paths: \"model-5000\"\n");
        Assert.Null(Checkpoint.Latest(_dir));
        var e = OpenFails(_dir);
        Assert.Equal(Path.Combine(_dir, "checkpoint"), e.Path);
        Assert.Contains("model-5000", e.Message);
        Assert.Contains("does not exist", e.Message);
    }

    [Theory]
    [InlineData("model_checkpoint_path model\n", "expected 'field: value'")]
    [InlineData("model_checkpoint_path: model\n", "quoted string")]
    [InlineData("all_model_checkpoint_paths: \"a\"\n", "no model_checkpoint_path")]
    [InlineData("model_checkpoint_path: \"a\"\nbogus: 1\n", "unknown field 'bogus'")]
    public void MalformedStateFile(string text, string expected)
    {
        File.WriteAllText(Path.Combine(_dir, "checkpoint"), text);
        var e = Assert.Throws<CheckpointFormatException>(() => TypedGraph.Formats.CheckpointState.Read(_dir));
        Assert.Contains(expected, e.Message);
        Assert.Null(Checkpoint.Latest(_dir)); // TF's latest_checkpoint gives None for a bad state file
    }

    [Fact]
    public void MetaThatIsNotAMetaGraphDef()
    {
        var path = Path.Combine(_dir, "model.meta");
        File.WriteAllText(path, "this is not a protobuf, just some text that happens to end in .meta\n");
        var e = Assert.Throws<GraphFormatException>(() => MetaGraph.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("not a TensorFlow graph file", e.Message);
    }

    [Fact]
    public void CheckpointIndexPassedAsAGraph()
    {
        var index = Fixtures.Path("smove_mlp", "my_test_model-1000.index");
        var e = Assert.Throws<GraphFormatException>(() => MetaGraph.Load(index));
        Assert.Contains(index, e.Message);
    }

    [Fact]
    public void EmptyAndMissingGraphFiles()
    {
        var empty = Path.Combine(_dir, "empty.meta");
        File.WriteAllBytes(empty, []);
        Assert.Contains("empty", Assert.Throws<GraphFormatException>(() => MetaGraph.Load(empty)).Message);
        Assert.Contains("no such graph file", Assert.Throws<GraphFormatException>(() => MetaGraph.Load(Path.Combine(_dir, "x.meta"))).Message);
        Assert.Contains("not a SavedModel", Assert.Throws<GraphFormatException>(() => MetaGraph.Load(_dir)).Message);
    }

    [Fact]
    public void TruncatedMeta()
    {
        var src = File.ReadAllBytes(Fixtures.Path("smove_mlp", "my_test_model-1000.meta"));
        var path = Path.Combine(_dir, "cut.meta");
        File.WriteAllBytes(path, src[..(src.Length / 2)]);
        Assert.Contains(path, Assert.Throws<GraphFormatException>(() => MetaGraph.Load(path)).Message);
    }
}
