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

    /// <summary>
    /// <c>export-onnx</c> on the TF2 two-tower SavedModel folder: the CLI restores its variables and runs its
    /// <c>__saved_model_init_op</c> (filling the StringLookup tables) before exporting, so the file ORT runs equals
    /// the model as <c>SavedModelBundle</c> serves it, unknown ids included.
    /// </summary>
    [Fact]
    public void ExportOnnxOnATf2SavedModelRunsItsInitOpSoTheLookupTablesAreExportedFilled()
    {
        var dir = Directory.CreateTempSubdirectory("tg-onnx-cli").FullName;
        try
        {
            var path = Path.Combine(dir, "towers.onnx");
            string movie = "serving_default_movie_title:0", user = "serving_default_user_id:0", output = "StatefulPartitionedCall:0";
            var (code, stdout, stderr) = Cli("export-onnx", Fixtures.Path("two_tower_savedmodel_tf2"), "--input", movie + "," + user, "--output", output, "-o", path);
            Assert.True(code == 0, stderr);
            var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
            Assert.Equal(2, model.Graph.Node.Count(n => n.OpType == "LabelEncoder"));

            using var bundle = SavedModelBundle.Load(Fixtures.Path("two_tower_savedmodel_tf2"), "serve");
            var vocab = model.Graph.Node.Where(n => n.OpType == "LabelEncoder")
                .Select(n => n.Attribute.Single(a => a.Name == "keys_strings").Strings.Select(b => b.ToStringUtf8()).ToArray()).ToArray();
            // Which encoder reads which input is not assumed: known keys of both vocabularies plus unknown ones.
            string[] users = [vocab[0][0], vocab[1][5], "stranger", vocab[0][^1]];
            string[] movies = [vocab[1][0], "unseen film", vocab[0][2], vocab[1][^1]];
            var r = OrtCheck.Compare(model, bundle.Session, [(movie, Tensor.FromStrings(movies, 4)), (user, Tensor.FromStrings(users, 4))], [output]);
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
