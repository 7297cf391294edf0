using System.Text.Json;
using TypedGraph.Formats;
using TypedGraph.Tests.Support;
using static TypedGraph.Tests.Support.CliRunner;

namespace TypedGraph.Tests.Cli;

/// <summary><c>typedgraph run</c>, in-process, on the smove fixtures.</summary>
public class RunCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-run").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static string Row(params float[] v) => "[" + string.Join(",", v.Select(x => x.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]";

    private static float[] Features(float second) => [1, second, .. new float[19]];

    private static double Expected(float[] x)
    {
        using var r = CheckpointReader.Open(Fixtures.Path("smove_mlp", "my_test_model-1000"));
        var w = r.Read("W").ToArray<float>();
        double z = x.Select((v, i) => (double)v * w[i]).Sum();
        return 1 / (1 + Math.Exp(-z));
    }

    [Fact]
    public void RunsARestoredGraphAndPrintsJson()
    {
        var x = Features(0.5f);
        var (code, output, err) = Run("run", Fixtures.Path("smove_mlp", "my_test_model-1000.meta"), "--checkpoint", Fixtures.Path("smove_mlp"),
            "--feed", "X:0=[" + Row(x) + "]", "--fetch", "O:0", "--json");
        Assert.True(code == 0, err);
        var o = JsonDocument.Parse(output).RootElement.GetProperty("outputs")[0];
        Assert.Equal("O:0", o.GetProperty("name").GetString());
        Assert.Equal("float32", o.GetProperty("dtype").GetString());
        Assert.Equal([1, 1], o.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(Expected(x), o.GetProperty("values")[0][0].GetDouble(), 6);
    }

    [Fact]
    public void ReadsNpyFeedsAndWritesNpyOutput()
    {
        var x = Features(-1);
        var input = Path.Combine(_dir, "x.npy");
        Npy.Write(input, Tensor.Create(x, 1, 21));
        var output = Path.Combine(_dir, "o.npy");
        var (code, text, err) = Run("run", Fixtures.Path("smove_tf", "frozen_smovetf.pb"), "--feed", "X=@" + input, "--fetch", "O:0", "--out", output);
        Assert.True(code == 0, err);
        Assert.Contains("O:0: float32[1, 1]", text);
        var o = Npy.Read(output);
        using var r = CheckpointReader.Open(Fixtures.Path("smove_tf", "smovetf.ckpt"));
        var w = r.Read("W").ToArray<float>();
        Assert.Equal(1 / (1 + Math.Exp(-x.Select((v, i) => (double)v * w[i]).Sum())), o.Scalar<float>(), 6);
    }

    [Fact]
    public void TextOutputAndErrors()
    {
        var meta = Fixtures.Path("smove_mlp", "my_test_model-1000.meta");
        var ok = Run("run", meta, "--checkpoint", Fixtures.Path("smove_mlp", "my_test_model-1000"), "--feed", "X=[" + Row(Features(0)) + "]", "--fetch", "O");
        Assert.Equal(0, ok.Code);
        Assert.StartsWith("O: float32[1, 1] [[0.", ok.Out);

        var missing = Run("run", meta, "--checkpoint", Fixtures.Path("smove_mlp"), "--fetch", "O:0");
        Assert.Equal(1, missing.Code);
        Assert.Contains("must feed a value for placeholder tensor 'X'", missing.Err);

        var unknown = Run("run", meta, "--checkpoint", Fixtures.Path("smove_mlp"), "--feed", "X=[" + Row(Features(0)) + "]", "--fetch", "Q:0");
        Assert.Equal(1, unknown.Code);
        Assert.Contains("no node named 'Q'", unknown.Err);

        var uninitialized = Run("run", meta, "--feed", "X=[" + Row(Features(0)) + "]", "--fetch", "O:0");
        Assert.Equal(1, uninitialized.Code);
        Assert.Contains("uninitialized value W", uninitialized.Err);

        Assert.Equal(2, Run("run", meta).Code);
        Assert.Equal(2, Run("run", meta, "--fetch", "O:0", "--feed", "X").Code);
        Assert.Equal(2, Run("run", meta, "--fetch", "O:0", "--feed", "X=[[1],[2,3]]").Code);
        Assert.Equal(2, Run("run", meta, "--fetch", "O:0", "--fetch", "W:0", "--out", Path.Combine(_dir, "a.npy")).Code);
    }

    [Fact]
    public void InitRunsInitializersInsteadOfRestoring()
    {
        var (code, output, err) = Run("run", Fixtures.Path("mnist_cnn_meta", "cnn.ckpt.meta"), "--init", "--fetch", "Variable_4:0", "--json");
        Assert.True(code == 0, err);
        var values = JsonDocument.Parse(output).RootElement.GetProperty("outputs")[0].GetProperty("values");
        Assert.All(values.EnumerateArray(), v => Assert.Equal(0.1, v.GetDouble(), 6));
    }
}
