using TypedGraph.Cli.Commands;
using TypedGraph.Formats;
using TypedGraph.Onnx.Protos;
using TypedGraph.Onnx.Tests.Support;
using TypedGraph.Tests.Support;

namespace TypedGraph.Onnx.Tests;

/// <summary><c>typedgraph export-onnx</c> in-process: the written file run by ONNX Runtime against our Session.</summary>
public class CliExportTests
{
    private static (int Code, string Out, string Err) Cli(params string[] args)
    {
        using StringWriter o = new(), e = new();
        int code = CliApp.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    [Fact]
    public void ExportOnnxOnMnistFc2WritesAModelOrtRunsLikeOurSession()
    {
        var dir = Directory.CreateTempSubdirectory("tg-onnx-cli").FullName;
        try
        {
            var path = Path.Combine(dir, "fc2.onnx");
            var (code, stdout, stderr) = Cli("export-onnx", Fixtures.Path("mnist_fc2", "fc2.ckpt.meta"), "--checkpoint", Fixtures.Path("mnist_fc2", "fc2.ckpt"),
                "--input", "input/x:0", "--output", "output/sm:0", "--opset", "17", "-o", path);
            Assert.True(code == 0, stderr);
            Assert.Contains("wrote", stdout);
            var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
            Assert.Equal(17, model.OpsetImport.Single().Version);

            var meta = MetaGraph.Load(Fixtures.Path("mnist_fc2", "fc2.ckpt.meta"));
            using var session = new Session(meta.Graph);
            session.Restore(Fixtures.Path("mnist_fc2", "fc2.ckpt"), meta.SaverDef);
            var r = OrtCheck.Compare(model, session, [("input/x:0", OrtCheck.RandomFloats(11, 0, 1, 5, 784))], ["output/sm:0"]);
            Assert.True(r.Worst <= OrtCheck.Tolerance);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void ExportOnnxNamesTheNodeAndOpItCannotTranslateAndWritesNothing()
    {
        var dir = Directory.CreateTempSubdirectory("tg-onnx-cli").FullName;
        try
        {
            var path = Path.Combine(dir, "loss.onnx");
            // The training loss of smove_mlp goes through the Placeholder label and Log … but first through a node
            // the exporter does not translate: ask for the gradient's BroadcastGradientArgs.
            var meta = MetaGraph.Load(Fixtures.Path("smove_mlp", "my_test_model-1000.meta"));
            var bga = meta.Graph.Nodes.First(n => n.Op == "BroadcastGradientArgs");
            var (code, _, stderr) = Cli("export-onnx", Fixtures.Path("smove_mlp", "my_test_model-1000.meta"), "--checkpoint", Fixtures.Path("smove_mlp"),
                "--input", "X:0,Placeholder:0", "--output", bga.Name + ":0", "-o", path);
            Assert.Equal(1, code);
            Assert.Contains($"'{bga.Name}'", stderr);
            Assert.Contains("BroadcastGradientArgs", stderr);
            Assert.False(File.Exists(path));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void ExportOnnxWithoutOutputIsAUsageError()
    {
        var (code, _, stderr) = Cli("export-onnx", Fixtures.Path("mnist_fc2", "fc2.ckpt.meta"), "--input", "input/x:0", "-o", "x.onnx");
        Assert.Equal(2, code);
        Assert.Contains("--output", stderr);
    }
}
