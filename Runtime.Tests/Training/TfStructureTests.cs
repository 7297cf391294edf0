using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using TypedGraph.Training;

namespace TypedGraph.Tests.Training;

/// <summary>Our builder, gradients, optimizer, Saver and exporter reproduce the structure TF wrote for the same
/// Python program (smove_tf/smovetf.py, saved as smove_mlp by TF 1.4.1).</summary>
public class TfStructureTests
{
    private static GraphBuilder BuildSmove()
    {
        var b = new GraphBuilder();
        // W = tf.Variable(tf.zeros([21, 1]), tf.float32, name='W'); x, y placeholders; a = sigmoid(matmul(x, W), name='O')
        var w = b.Variable([21, 1], new ZerosInitializer(), "W");
        var x = b.Placeholder(DataType.DtFloat, [-1, 21], "X");
        var y = b.Placeholder(DataType.DtFloat, [-1, 1]);
        var a = b.Sigmoid(b.MatMul(x, w.Snapshot), "O");
        // loss = tf.reduce_mean(-(y * tf.log(a) + (1 - y) * tf.log(1 - a)))
        var left = b.Multiply(y, b.Log(a), "mul");
        var right = b.Multiply(b.Subtract(1.0, y), b.Log(b.Subtract(1.0, a)), "mul");
        var loss = b.ReduceMean(b.Negate(b.Add(left, right, "add")), [0, 1]);
        // train_step = tf.train.GradientDescentOptimizer(1e-5).minimize(loss)
        new GradientDescentOptimizer(1e-5).Minimize(b, loss);
        b.GlobalVariablesInitializer();
        return b;
    }

    [Fact]
    public void Logistic_regression_training_graph_matches_TFs_node_for_node()
    {
        var tf = MetaGraphDef.Parser.ParseFrom(File.ReadAllBytes(Fixtures.Path("smove_mlp", "my_test_model-1000.meta")));
        var b = BuildSmove();
        var saver = new Saver(b);
        var meta = MetaGraphExporter.Export(b, saver.SaverDef);
        // The one naming difference between TF versions: TF ≤ 1.4 called the initial gradient gradients/Const, TF ≥ 1.5 gradients/grad_ys_0.
        static string Norm(string s) => s.Replace("gradients/grad_ys_0", "gradients/Const");
        var theirs = tf.GraphDef.Node.Select(n => (n.Name, n.Op, string.Join(",", n.Input))).ToList();
        var ours = meta.GraphDef.Node.Select(n => (Norm(n.Name), n.Op, Norm(string.Join(",", n.Input)))).ToList();
        Assert.Equal(theirs, ours);
        // Attrs: same keys (bar _output_shapes) and the same values for every node.
        foreach (var t in tf.GraphDef.Node)
        {
            var o = meta.GraphDef.Node.Single(n => Norm(n.Name) == t.Name);
            foreach (var (k, v) in t.Attr)
            {
                if (k is "_output_shapes") continue;
                if (k == "value" && t.Op == "Const" && (t.Name.EndsWith("learning_rate") || t.Name == "gradients/Const")) continue; // different numbers by design
                Assert.True(o.Attr.ContainsKey(k), $"{t.Name} lacks attr {k}");
                if (k is "seed" or "seed2") continue;
                Assert.True(v.Equals(o.Attr[k]), $"{t.Name}.{k}: TF {v} vs ours {o.Attr[k]}");
            }
        }
        Assert.Equal(tf.SaverDef, meta.SaverDef);
        Assert.Equal(tf.CollectionDef.Keys.Order(), meta.CollectionDef.Keys.Order());
        foreach (var key in tf.CollectionDef.Keys) Assert.Equal(tf.CollectionDef[key].KindCase, meta.CollectionDef[key].KindCase);
        Assert.Equal(tf.CollectionDef["train_op"], meta.CollectionDef["train_op"]);
        var tfVar = VariableDef.Parser.ParseFrom(tf.CollectionDef["variables"].BytesList.Value[0]);
        var ourVar = VariableDef.Parser.ParseFrom(meta.CollectionDef["variables"].BytesList.Value[0]);
        ourVar.Trainable = false; // TF 1.4 did not write `trainable` yet
        Assert.Equal(tfVar, ourVar);
        Assert.Equal(tf.MetaInfoDef.StrippedOpList.Op.Select(o => o.Name), meta.MetaInfoDef.StrippedOpList.Op.Select(o => o.Name));
    }
}
