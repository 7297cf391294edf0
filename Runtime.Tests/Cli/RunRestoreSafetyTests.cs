using System.Text.Json;
using Google.Protobuf;
using TypedGraph.Building;
using TypedGraph.Formats;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using TypedGraph.Training;
using static TypedGraph.Tests.Support.CliRunner;

namespace TypedGraph.Tests.Cli;

/// <summary>
/// A graph file is code: <c>typedgraph run --checkpoint</c> must not execute what a file put under its restore op
/// (here a <c>SaveV2</c> writing where the file chooses) unless <c>--graph-restore</c> asks for it (issue 9 item 7).
/// </summary>
public sealed class RunRestoreSafetyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-runrestore").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string P(string name) => Path.Combine(_dir, name);

    // out = (w1 + w2) * bias with bias = 3 in the checkpoint (and 100 as its initial value, which must not be seen).
    private string SaveModel()
    {
        var b = new GraphBuilder();
        var w1 = b.Placeholder(DataType.DtFloat, null, "w1");
        var w2 = b.Placeholder(DataType.DtFloat, null, "w2");
        var v = b.Variable(Tensor.FromScalar(100f), "bias");
        b.Multiply(b.Add(w1, w2), v.Snapshot, "out");
        b.GlobalVariablesInitializer();
        var saver = new Saver(b);
        using var s = new Session(b.Graph);
        s.Initialize();
        s.State.Variable(global::TypedGraph.Kernels.Exec.VariableKernels.SlotName(b.Graph.GetNode("bias"))).Value = Tensor.FromScalar(3f);
        return saver.Save(s, P("model"), globalStep: 7);
    }

    private static NodeDef StringConst(string name, params string[] values)
    {
        var t = values.Length == 1 && name.EndsWith("prefix", StringComparison.Ordinal)
            ? Tensor.FromString(values[0])
            : new Tensor(new TensorShape(values.Length), values.Select(System.Text.Encoding.UTF8.GetBytes).ToArray());
        return new NodeDef
        {
            Name = name, Op = "Const",
            Attr = { ["dtype"] = Attrs.Type(DataType.DtString), ["value"] = Attrs.Tensor(TensorProtos.FromTensor(t)) },
        };
    }

    // The saved .meta with a SaveV2 of 'bias' to hijack/… made a control dependency of the restore op.
    private string Tamper(string prefix, string hijack)
    {
        var meta = MetaGraphDef.Parser.ParseFrom(File.ReadAllBytes(prefix + ".meta"));
        var g = meta.GraphDef;
        g.Node.Add(StringConst("evil/prefix", hijack));
        g.Node.Add(StringConst("evil/names", "bias"));
        g.Node.Add(StringConst("evil/slices", ""));
        g.Node.Add(new NodeDef
        {
            Name = "evil/save", Op = "SaveV2", Input = { "evil/prefix", "evil/names", "evil/slices", "bias" },
            Attr = { ["dtypes"] = Attrs.Types([DataType.DtFloat]) },
        });
        var restore = g.Node.Single(n => n.Name == TensorRef.Parse(meta.SaverDef.RestoreOpName).NodeName);
        restore.Input.Add("^evil/save");
        var path = P("tampered.meta");
        File.WriteAllBytes(path, meta.ToByteArray());
        return path;
    }

    private static float RunOut(params string[] extra)
    {
        var (code, stdout, stderr) = Run([.. extra, "--feed", "w1=4", "--feed", "w2=8", "--fetch", "out:0", "--json"]);
        Assert.True(code == 0, stderr + stdout);
        return JsonDocument.Parse(stdout).RootElement.GetProperty("outputs")[0].GetProperty("values").GetSingle();
    }

    [Fact]
    public void Our_savers_restore_op_passes_the_audit_and_restores_the_checkpoint()
    {
        var prefix = SaveModel();
        Assert.Null(RestoreOpAudit.FindUnexpectedOp(MetaGraph.Load(prefix + ".meta").Graph, MetaGraph.Load(prefix + ".meta").SaverDef));
        Assert.Equal(36f, RunOut("run", prefix + ".meta", "--checkpoint", prefix));
    }

    [Fact]
    public void A_restore_op_that_also_saves_is_not_run_and_the_variables_are_read_by_name()
    {
        var prefix = SaveModel();
        var hijack = P("hijack");
        var tampered = Tamper(prefix, hijack);
        var meta = MetaGraph.Load(tampered);
        Assert.Equal("'evil/save' (SaveV2)", RestoreOpAudit.FindUnexpectedOp(meta.Graph, meta.SaverDef));

        Assert.Equal(36f, RunOut("run", tampered, "--checkpoint", prefix));
        Assert.False(File.Exists(hijack + ".index"), "the file's SaveV2 ran");

        // Asked for explicitly, the file's restore op runs as TF's saver.restore would — including its SaveV2.
        Assert.Equal(36f, RunOut("run", tampered, "--checkpoint", prefix, "--graph-restore"));
        Assert.True(File.Exists(hijack + ".index"));
        using var r = CheckpointReader.Open(hijack);
        Assert.Equal(3f, r.Read("bias").Scalar<float>());
    }

    [Fact]
    public void A_refused_restore_op_whose_variables_are_not_in_the_checkpoint_says_why_it_was_not_run()
    {
        var prefix = SaveModel();
        var tampered = Tamper(prefix, P("hijack"));
        // A checkpoint without 'bias': the name-based restore cannot succeed, and the error explains both steps.
        using (var w = new CheckpointWriter(P("other")))
        {
            w.Add("unrelated", Tensor.FromScalar(1f));
            w.Finish();
        }
        var (code, stdout, stderr) = Run("run", tampered, "--checkpoint", P("other"), "--fetch", "out:0");
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Contains("depends on 'evil/save' (SaveV2)", stderr);
        Assert.Contains("--graph-restore", stderr);
        Assert.Contains("'bias'", stderr);
        Assert.False(File.Exists(P("hijack.index")));
    }

    [Theory]
    [InlineData("mnist_fc2", "fc2.ckpt.meta")]
    [InlineData("rnn_model", "model.ckpt.meta")]
    [InlineData("smove_mlp", "my_test_model-1000.meta")]
    [InlineData("mnist_cnn_meta", "cnn.ckpt.meta")]
    [InlineData("char_rnn_tensorarray", "model.ckpt.meta")]
    [InlineData("smove_tf", "smovetf.ckpt.meta")]
    [InlineData("two_tower_savedmodel_tf2", "")]
    [InlineData("keras_lstm_savedmodel_tf2", "")]
    public void Restore_ops_written_by_TensorFlow_pass_the_audit(string folder, string file)
    {
        var meta = MetaGraph.Load(file.Length == 0 ? Fixtures.Path(folder) : Fixtures.Path(folder, file));
        Assert.False(string.IsNullOrEmpty(meta.SaverDef?.RestoreOpName), "fixture without a restore op");
        Assert.Null(RestoreOpAudit.FindUnexpectedOp(meta.Graph, meta.SaverDef));
    }
}
