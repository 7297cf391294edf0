using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using TypedGraph.Training;

namespace TypedGraph.Tests.Training;

public class ExportRoundTripTests
{
    [Theory]
    [InlineData("smove_mlp", "my_test_model-1000.meta")]
    [InlineData("mnist_fc2", "fc2.ckpt.meta")]
    [InlineData("rnn_model", "model.ckpt.meta")]
    [InlineData("mnist_cnn_meta", "cnn.ckpt.meta")]
    public void Imported_TF_meta_graphs_export_with_the_same_nodes_collections_and_op_list(string folder, string file)
    {
        var tf = MetaGraphDef.Parser.ParseFrom(File.ReadAllBytes(Fixtures.Path(folder, file)));
        var b = GraphBuilder.FromMetaGraph(tf);
        var ours = MetaGraphExporter.Export(b, tf.SaverDef);
        Assert.Equal(tf.GraphDef.Node.Select(n => (n.Name, n.Op, string.Join(",", n.Input))), ours.GraphDef.Node.Select(n => (n.Name, n.Op, string.Join(",", n.Input))));
        Assert.Equal(tf.MetaInfoDef.StrippedOpList.Op.Select(o => o.Name), ours.MetaInfoDef.StrippedOpList.Op.Select(o => o.Name));
        Assert.Equal(tf.MetaInfoDef.TensorflowVersion, ours.MetaInfoDef.TensorflowVersion);
        Assert.Equal(tf.CollectionDef.Keys.Order(), ours.CollectionDef.Keys.Order());
        foreach (var key in tf.CollectionDef.Keys)
        {
            Assert.Equal(tf.CollectionDef[key].KindCase, ours.CollectionDef[key].KindCase);
            if (tf.CollectionDef[key].KindCase == CollectionDef.KindOneofCase.NodeList) Assert.Equal(tf.CollectionDef[key], ours.CollectionDef[key]);
        }
        Assert.Equal(tf.SaverDef, ours.SaverDef);
    }
}
