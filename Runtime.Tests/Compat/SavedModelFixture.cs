using Google.Protobuf;
using TypedGraph.Protos;
using static TypedGraph.Tests.Support.ExecGraph;

namespace TypedGraph.Tests.Compat;

/// <summary>
/// Writes a SavedModel the way TF 1.14's <c>SavedModelBuilder.add_meta_graph_and_variables</c> lays it out:
/// <c>saved_model.pb</c> (schema 1; a <c>serve</c> and a <c>train</c> meta graph), <c>variables/variables.*</c>
/// written by running the graph's own sharded saver (two devices → two data shards), a <c>saved_model_main_op</c>
/// that initializes a local variable, and a <c>serving_default</c> predict signature. The model:
/// <c>y = x·W + b</c> (W, b resource variables), <c>scaled = y * counter</c> (counter: local, 7 after the main op),
/// <c>global_step</c> a ref int64 variable on <c>/device:CPU:0</c>.
/// </summary>
public static class SavedModelFixture
{
    /// <summary>The trained weights written into the checkpoint (the initializers hold other values).</summary>
    public static readonly float[] W = [1, 2, 3, 4, 5, 6], B = [0.5f, -1];

    /// <summary>The global step saved.</summary>
    public const long Step = 42;

    /// <summary>Builds the graph (forward part, variables, init ops, sharded saver).</summary>
    /// <param name="tf10">TF 1.0 instead: ref variables, the first-Saver-taken names (<c>save/Const_1</c>,
    /// <c>save/restore_all_1</c>), a Const temp suffix, and <c>legacy_init_op</c> instead of the main op.</param>
    public static (TfLayoutGraph Graph, SaverDef Saver) BuildGraph(bool tf10 = false)
    {
        var t = new TfLayoutGraph();
        var g = t.Exec;
        g.Placeholder("x", DataType.DtFloat, [-1, 3]);
        t.AddVariable(new TfVar("global_step", DataType.DtInt64, [], Tensor.FromScalar(0L), Resource: false, Device: "/device:CPU:0"));
        t.AddVariable(new TfVar("W", DataType.DtFloat, [3, 2], Tensor.Create(new float[6], 3, 2), Resource: !tf10));
        t.AddVariable(new TfVar("b", DataType.DtFloat, [2], Tensor.Create(new float[2], 2), Resource: !tf10));
        t.AddVariable(new TfVar("counter", DataType.DtFloat, [], Tensor.FromScalar(7f), Resource: false, Local: true));
        if (!tf10)
        {
            g.Op("MatMul/ReadVariableOp", "ReadVariableOp", ["W"], ("dtype", Type(DataType.DtFloat)));
            g.Op("add/ReadVariableOp", "ReadVariableOp", ["b"], ("dtype", Type(DataType.DtFloat)));
        }
        g.Op("MatMul", "MatMul", ["x", tf10 ? "W/read" : "MatMul/ReadVariableOp"], T(DataType.DtFloat), ("transpose_a", Bool(false)), ("transpose_b", Bool(false)));
        g.Op("add", "Add", ["MatMul", tf10 ? "b/read" : "add/ReadVariableOp"], T(DataType.DtFloat));
        g.Op("y", "Identity", ["add"], T(DataType.DtFloat));
        g.Op("scaled", "Mul", ["y", "counter/read"], T(DataType.DtFloat));
        g.Op("init", "NoOp", ["^global_step/Assign", "^W/Assign", "^b/Assign"]);
        g.Op("init_1", "NoOp", ["^counter/Assign"]);
        g.Op("init_all_tables", "NoOp", []);
        g.Op("group_deps", "NoOp", ["^init_1", "^init_all_tables"]);
        // What training left behind: the values the builder then saves.
        g.Const("trained/W", Tensor.Create(W, 3, 2));
        g.Const("trained/b", Tensor.Create(B, 2));
        g.Const("trained/step", Tensor.FromScalar(Step));
        if (tf10)
        {
            g.Op("trained/AssignW", "Assign", ["W", "trained/W"], T(DataType.DtFloat));
            g.Op("trained/Assignb", "Assign", ["b", "trained/b"], T(DataType.DtFloat));
        }
        else
        {
            g.Op("trained/AssignW", "AssignVariableOp", ["W", "trained/W"], ("dtype", Type(DataType.DtFloat)));
            g.Op("trained/Assignb", "AssignVariableOp", ["b", "trained/b"], ("dtype", Type(DataType.DtFloat)));
        }
        g.Op("trained/AssignStep", "Assign", ["global_step", "trained/step"], T(DataType.DtInt64));
        g.Op("trained", "NoOp", ["^trained/AssignW", "^trained/Assignb", "^trained/AssignStep"]);
        var saver = t.AddShardedSaver(tf10: tf10);
        return (t, saver);
    }

    /// <summary>Writes the SavedModel into <paramref name="exportDir"/> (which must not exist yet, as in TF).</summary>
    public static SaverDef Write(string exportDir, bool tf10 = false)
    {
        var (t, saver) = BuildGraph(tf10);
        var variables = Path.Combine(exportDir, "variables", "variables");
        using (var session = new Session(t.Exec.Graph))
        {
            session.RunTargets("init");
            session.RunTargets("trained");
            var written = session.Run(saver.SaveTensorName, (saver.FilenameTensorName, Tensor.FromString(variables)));
            Assert.Equal(variables, System.Text.Encoding.UTF8.GetString(written.Strings[0]));
        }
        var serve = t.ToMetaGraph(saver, ["serve"], tf10 ? "1.0.0" : "1.14.0");
        var mainOp = new CollectionDef { NodeList = new CollectionDef.Types.NodeList() };
        mainOp.NodeList.Value.Add("group_deps");
        serve.CollectionDef[tf10 ? "legacy_init_op" : "saved_model_main_op"] = mainOp;
        var sig = new SignatureDef { MethodName = "tensorflow/serving/predict" };
        sig.Inputs["x"] = TfLayoutGraph.Info("x:0", DataType.DtFloat, [-1, 3]);
        sig.Outputs["y"] = TfLayoutGraph.Info("y:0", DataType.DtFloat, [-1, 2]);
        sig.Outputs["scaled"] = TfLayoutGraph.Info("scaled:0", DataType.DtFloat, [-1, 2]);
        serve.SignatureDef["serving_default"] = sig;
        var train = serve.Clone();
        train.MetaInfoDef.Tags.Clear();
        train.MetaInfoDef.Tags.Add("train");
        train.SignatureDef.Clear();
        var step = new SignatureDef { MethodName = "tensorflow/serving/predict" };
        step.Outputs["step"] = TfLayoutGraph.Info("global_step/read:0", DataType.DtInt64, []);
        train.SignatureDef["step"] = step;
        var model = new SavedModel { SavedModelSchemaVersion = 1 };
        model.MetaGraphs.Add(serve);
        model.MetaGraphs.Add(train);
        File.WriteAllBytes(Path.Combine(exportDir, "saved_model.pb"), model.ToByteArray());
        return saver;
    }
}
