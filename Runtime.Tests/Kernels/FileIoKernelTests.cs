using System.Text;
using TypedGraph.Tests.Support;

namespace TypedGraph.Tests.Kernels;

/// <summary>
/// ReadFile / WriteFile / MatchingFiles (whole_file_read_ops.cc, matching_files_op.cc): bytes round-trip, WriteFile
/// creating the missing parent directories as TF's WriteFileOp, TF's NotFound text, glob matching within path
/// components (*, ?, [set]) with sorted results and an empty result for no match.
/// </summary>
public sealed class FileIoKernelTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "tg-fileio-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void WriteFile_creates_parent_directories_and_ReadFile_returns_the_bytes()
    {
        string path = Path.Combine(_root, "a", "b", "data.bin");
        var bytes = new byte[] { 0, 1, 2, 255, 10, 13 };
        var g = new ExecGraph();
        g.Op("write", "WriteFile", [g.Const("name", Tensor.FromString(path)), g.Const("contents", new Tensor(TensorShape.Scalar, [bytes]))]);
        using (var session = new Session(g.Graph)) session.RunTargets("write");
        Assert.Equal(bytes, File.ReadAllBytes(path));
        var read = OpHarness.Run1("ReadFile", [Tensor.FromString(path)]);
        Assert.Equal(0, read.Shape.Rank);
        Assert.Equal(bytes, read.Strings[0]);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp*"));
    }

    [Fact]
    public void ReadFile_of_a_missing_file_fails_with_TFs_NotFound_text()
    {
        string path = Path.Combine(_root, "missing.txt");
        var e = Assert.Throws<GraphExecutionException>(() => OpHarness.Run1("ReadFile", [Tensor.FromString(path)]));
        Assert.Contains($"NotFound: {path}; No such file or directory", e.Message);
    }

    [Fact]
    public void MatchingFiles_expands_globs_per_component_and_sorts()
    {
        foreach (var name in new[] { "x/part-00001.rec", "x/part-00000.rec", "x/part-00010.txt", "y/part-00002.rec", "x/other.rec" })
        {
            string p = Path.Combine(_root, name);
            Directory.CreateDirectory(Path.GetDirectoryName(p)!);
            File.WriteAllText(p, name);
        }
        string R(string rel) => _root + "/" + rel;
        var all = OpHarness.Run1("MatchingFiles", [Tensor.FromString(R("*/part-*.rec"))]).Strings.Select(s => Encoding.UTF8.GetString(s));
        Assert.Equal(new[] { R("x/part-00000.rec"), R("x/part-00001.rec"), R("y/part-00002.rec") }, all);
        var set = OpHarness.Run1("MatchingFiles", [Tensor.FromStrings([R("x/part-0000[01].*"), R("x/?ther.rec")], 2)]).Strings.Select(s => Encoding.UTF8.GetString(s));
        Assert.Equal(new[] { R("x/other.rec"), R("x/part-00000.rec"), R("x/part-00001.rec") }, set);
        Assert.Empty(OpHarness.Run1("MatchingFiles", [Tensor.FromString(R("z/*"))]).Strings);
        Assert.Equal(new[] { R("x/other.rec") }, OpHarness.Run1("MatchingFiles", [Tensor.FromString(R("x/other.rec"))]).Strings.Select(s => Encoding.UTF8.GetString(s)));
    }
}
