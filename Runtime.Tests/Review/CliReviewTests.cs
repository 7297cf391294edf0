using TypedGraph.Formats;
using static TypedGraph.Tests.Support.CliRunner;

namespace TypedGraph.Tests.Review;

/// <summary>The CLI on bad or unusual input: always a one-line reason and exit code 1/2, never a stack trace.</summary>
public class CliReviewTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-cli-review").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void CkptOnAnEmptyDirectoryIsAnErrorNotACrash()
    {
        var (code, _, err) = Run("ckpt", _dir);
        Assert.Equal(1, code);
        Assert.Contains("error", err);
        Assert.Single(err.Trim().Split('\n'));
    }

    [Fact]
    public void CkptDumpOfNaNAndInfinityAsJson()
    {
        var prefix = Path.Combine(_dir, "m");
        using (var w = new CheckpointWriter(prefix))
        {
            w.Add("v", Tensor.Create(new[] { float.NaN, float.PositiveInfinity, 1.5f }, 3));
            w.Finish();
        }
        var (code, output, err) = Run("ckpt", prefix, "--tensor", "v", "--json");
        Assert.True(code == 0, err);
        Assert.Contains("NaN", output);
        Assert.Contains("Infinity", output);
        Assert.Contains("1.5", output);
    }

    [Fact]
    public void CkptUnknownTensorNamesIt()
    {
        var prefix = Path.Combine(_dir, "m");
        using (var w = new CheckpointWriter(prefix))
        {
            w.Add("v", Tensor.Create(new[] { 1f }, 1));
            w.Finish();
        }
        var (code, _, err) = Run("ckpt", prefix, "--tensor", "nope");
        Assert.Equal(1, code);
        Assert.Contains("nope", err);
    }

    [Fact]
    public void CkptStringTensorToNpyIsAnError()
    {
        var prefix = Path.Combine(_dir, "m");
        using (var w = new CheckpointWriter(prefix))
        {
            w.Add("s", Tensor.FromStrings(["a"], 1));
            w.Finish();
        }
        var npy = Path.Combine(_dir, "s.npy");
        var (code, _, err) = Run("ckpt", prefix, "--tensor", "s", "--out", npy);
        Assert.Equal(1, code);
        Assert.Contains("string", err);
        Assert.False(File.Exists(npy));
    }

    [Fact]
    public void InspectMissingFileIsAnError()
    {
        var (code, _, err) = Run("inspect", Path.Combine(_dir, "none.meta"));
        Assert.Equal(1, code);
        Assert.Contains("none.meta", err);
    }

    [Fact]
    public void InspectGarbageFileIsAnError()
    {
        var p = Path.Combine(_dir, "junk.pb");
        File.WriteAllBytes(p, [0xFF, 0xFF, 0xFF, 0x01, 0x02]);
        var (code, _, err) = Run("inspect", p);
        Assert.Equal(1, code);
        Assert.Contains("junk.pb", err);
    }
}

/// <summary><c>typedgraph run --feed</c> with integer literals that do not fit the placeholder's dtype.</summary>
public class CliFeedRangeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-cli-feed").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Graph(Protos.DataType dtype)
    {
        var g = new Support.ExecGraph();
        g.Placeholder("x", dtype, [-1]);
        g.Op("y", "Identity", ["x"], Support.ExecGraph.T(dtype));
        var path = Path.Combine(_dir, "g.pb");
        File.WriteAllBytes(path, Google.Protobuf.MessageExtensions.ToByteArray(g.Graph.Def));
        return path;
    }

    [Fact]
    public void OutOfRangeUint8LiteralIsAUsageErrorNotAWrap()
    {
        var (code, output, err) = Run("run", Graph(Protos.DataType.DtUint8), "--feed", "x=[1, 300]", "--fetch", "y:0");
        Assert.Equal(2, code);
        Assert.Contains("300", err);
        Assert.DoesNotContain("44", output);
    }

    [Fact]
    public void InRangeInt32LiteralsRun()
    {
        var (code, output, err) = Run("run", Graph(Protos.DataType.DtInt32), "--feed", "x=[-2147483648, 2147483647]", "--fetch", "y:0");
        Assert.True(code == 0, err);
        Assert.Contains("[-2147483648,2147483647]", output.Replace(" ", ""));
    }
}
