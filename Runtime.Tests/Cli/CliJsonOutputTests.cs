using System.Text.Json;
using TypedGraph.Cli.Commands;
using TypedGraph.Onnx.Protos;
using TypedGraph.SavedModels;
using TypedGraph.Tests.Support;
using static TypedGraph.Tests.Support.CliRunner;

namespace TypedGraph.Tests.Cli;

/// <summary>
/// <c>--json</c> on every command (issue 9 item 15): the result is one JSON object on stdout whose fields are checked
/// against the files the command wrote, and a failure is one JSON error object (<c>command, error, kind, exitCode</c>)
/// carrying the same message as the plain-text error line.
/// </summary>
public sealed class CliJsonOutputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-clijson").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    // The whole of stdout must be one JSON document (results are indented like the other commands'; errors are one line).
    private static JsonElement SingleJsonObject(string stdout)
    {
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal(JsonValueKind.Object, doc.RootElement.ValueKind);
        return doc.RootElement.Clone();
    }

    [Fact]
    public void EveryCommand_HasAJsonOption()
    {
        var names = CliApp.Commands.Select(c => c.Definition.Name).ToList();
        Assert.Equal(["ckpt", "events", "export-onnx", "export-savedmodel", "inspect", "ops", "run", "serve"], names);
        foreach (var c in CliApp.Commands)
            Assert.True(c.Definition.Options.Any(o => o.Name == "--json"), $"{c.Definition.Name} has no --json");
    }

    [Fact]
    public void ExportOnnx_Json_DescribesTheWrittenModel()
    {
        var path = Path.Combine(_dir, "fc2.onnx");
        var (code, stdout, stderr) = Run("export-onnx", Fixtures.Path("mnist_fc2", "fc2.ckpt.meta"), "--checkpoint", Fixtures.Path("mnist_fc2", "fc2.ckpt"),
            "--input", "input/x:0", "--output", "output/sm:0", "-o", path, "--json");
        Assert.True(code == 0, stderr);
        Assert.Equal("", stderr);
        var root = SingleJsonObject(stdout);
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        Assert.Equal(path, root.GetProperty("written").GetString());
        Assert.Equal(model.OpsetImport.Single().Version, root.GetProperty("opset").GetInt64());
        Assert.Equal(model.Graph.Node.Count, root.GetProperty("nodes").GetInt32());
        Assert.Equal(model.Graph.Initializer.Count, root.GetProperty("initializers").GetInt32());
        Assert.True(model.Graph.Initializer.Count >= 6, "the six weight/bias tensors of mnist_fc2");
        Assert.Equal(["input/x:0"], root.GetProperty("inputs").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["output/sm:0"], root.GetProperty("outputs").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void ExportSavedModel_Json_DescribesTheWrittenSignature()
    {
        var export = Path.Combine(_dir, "sm");
        var (code, stdout, stderr) = Run("export-savedmodel", Fixtures.Path("mnist_fc2", "fc2.ckpt.meta"), "--checkpoint", Fixtures.Path("mnist_fc2", "fc2.ckpt"),
            "--input", "images=input/x:0", "--output", "output/sm:0", "-o", export, "--json");
        Assert.True(code == 0, stderr);
        var root = SingleJsonObject(stdout);
        Assert.True(File.Exists(Path.Combine(root.GetProperty("written").GetString()!, "saved_model.pb")));
        Assert.Equal(["serve"], root.GetProperty("tags").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("serving_default", root.GetProperty("signature").GetString());
        using var bundle = SavedModelBundle.Load(export, "serve");
        var sig = bundle.GetSignature("serving_default");
        Assert.Equal(sig.Inputs.ToDictionary(kv => kv.Key, kv => kv.Value.TensorName),
            root.GetProperty("inputs").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!));
        Assert.Equal(sig.Outputs.ToDictionary(kv => kv.Key, kv => kv.Value.TensorName),
            root.GetProperty("outputs").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!));
        Assert.Equal(["images"], sig.Inputs.Keys);
        Assert.Equal(["sm"], sig.Outputs.Keys);
    }

    private string[][] Failing() =>
    [
        ["export-onnx", Path.Combine(_dir, "missing.meta"), "--input", "x:0", "--output", "y:0", "-o", Path.Combine(_dir, "m.onnx")],
        ["export-onnx", Fixtures.Path("mnist_fc2", "fc2.ckpt.meta"), "--checkpoint", Fixtures.Path("mnist_fc2", "fc2.ckpt"),
            "--input", "input/x:0", "--output", "no/such:0", "-o", Path.Combine(_dir, "m.onnx")],
        ["export-savedmodel", Path.Combine(_dir, "missing.meta"), "--input", "x:0", "--output", "y:0", "-o", Path.Combine(_dir, "out")],
        ["serve", Path.Combine(_dir, "no-model-here"), "--port", "0", "--poll-seconds", "0"],
    ];

    [Fact]
    public void ExportAndServeFailures_WithJson_AreOneErrorObject_WithThePlainMessage()
    {
        foreach (var args in Failing())
        {
            var plain = Run(args);
            Assert.True(plain.Code == 1, $"{string.Join(' ', args)} → {plain.Code}: {plain.Err}");
            var (code, stdout, stderr) = Run([.. args, "--json"]);
            Assert.Equal(1, code);
            Assert.Equal("", stderr);
            Assert.Single(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            var root = SingleJsonObject(stdout);
            Assert.Equal(args[0], root.GetProperty("command").GetString());
            Assert.Equal(1, root.GetProperty("exitCode").GetInt32());
            Assert.Equal(plain.Err.Trim(), $"typedgraph {args[0]}: error: " + root.GetProperty("error").GetString());
            Assert.False(string.IsNullOrEmpty(root.GetProperty("kind").GetString()));
        }
        Assert.False(File.Exists(Path.Combine(_dir, "m.onnx")), "a failed export left a file behind");
    }
}
