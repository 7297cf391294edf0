using System.Text.Json;
using TypedGraph.Tests.Support;
using static TypedGraph.Tests.Support.CliRunner;

namespace TypedGraph.Tests.Cli;

/// <summary>Every CLI failure is one line on stderr, or with <c>--json</c> one JSON object on stdout, and exit code 1 or 2 (issue 9 item 15).</summary>
public sealed class CliFailureTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-clifail").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Garbage(string name, int seed)
    {
        var bytes = new byte[300];
        new Random(seed).NextBytes(bytes);
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private string[][] Failing() =>
    [
        ["inspect", Path.Combine(_dir, "missing.meta")],
        ["inspect", Garbage("junk.meta", 1)],
        ["inspect", Garbage("junk.pb", 2)],
        ["ckpt", Path.Combine(_dir, "nothing")],
        ["ckpt", Garbage("junk.index", 3)[..^".index".Length]],
        ["run", Garbage("junk2.meta", 4), "--fetch", "x:0"],
        ["run", Fixtures.Path("mnist_fc2", "fc2.ckpt.meta"), "--checkpoint", Fixtures.Path("mnist_fc2", "fc2.ckpt"), "--feed", "input/x=[1,2]", "--fetch", "output/Softmax:0"],
    ];

    [Fact]
    public void Failures_print_exactly_one_line_on_stderr_and_exit_1()
    {
        foreach (var args in Failing())
        {
            var (code, stdout, stderr) = Run(args);
            Assert.True(code == 1, $"{string.Join(' ', args)} → {code}: {stderr}");
            var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(lines.Length == 1, $"{string.Join(' ', args)} printed {lines.Length} lines: {stderr}");
            Assert.StartsWith($"typedgraph {args[0]}: error: ", lines[0]);
            Assert.DoesNotContain("   at ", stderr);
            Assert.Equal("", stdout);
        }
    }

    [Fact]
    public void Failures_with_json_print_one_json_object_on_stdout_with_the_same_message()
    {
        foreach (var args in Failing())
        {
            var plain = Run(args);
            var (code, stdout, stderr) = Run([.. args, "--json"]);
            Assert.Equal(1, code);
            Assert.Equal("", stderr);
            var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Single(lines);
            using var doc = JsonDocument.Parse(lines[0]);
            Assert.Equal(args[0], doc.RootElement.GetProperty("command").GetString());
            Assert.Equal(1, doc.RootElement.GetProperty("exitCode").GetInt32());
            Assert.Equal(plain.Err.Trim(), $"typedgraph {args[0]}: error: " + doc.RootElement.GetProperty("error").GetString());
            Assert.False(string.IsNullOrEmpty(doc.RootElement.GetProperty("kind").GetString()));
        }
    }

    [Fact]
    public void Usage_errors_exit_2_and_with_json_are_one_object_with_the_usage()
    {
        var (code, _, stderr) = Run("run", "model.meta", "--bogus");
        Assert.Equal(2, code);
        Assert.StartsWith("typedgraph run: unknown option --bogus", stderr);
        (code, var stdout, stderr) = Run("run", "model.meta", "--bogus", "--json");
        Assert.Equal(2, code);
        Assert.Equal("", stderr);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal("UsageException", doc.RootElement.GetProperty("kind").GetString());
        Assert.Contains("unknown option --bogus; usage: typedgraph run ", doc.RootElement.GetProperty("error").GetString());
        (code, stdout, _) = Run("frobnicate", "--json");
        Assert.Equal(2, code);
        using var doc2 = JsonDocument.Parse(stdout);
        Assert.Equal("unknown command 'frobnicate'", doc2.RootElement.GetProperty("error").GetString());
    }
}
