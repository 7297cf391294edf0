using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;

namespace TypedGraph.Tests.Building;

public class OpDefCatalogTests
{
    [Fact]
    public void Catalogue_parses_and_knows_every_fixture_op()
    {
        var known = OpDefCatalog.Default.OpTypes.ToHashSet();
        foreach (var meta in new[] { "smove_mlp/my_test_model-1000.meta", "mnist_fc2/fc2.ckpt.meta", "rnn_model/model.ckpt.meta", "mnist_cnn_meta/cnn.ckpt.meta" })
        {
            var m = MetaGraphDef.Parser.ParseFrom(File.ReadAllBytes(Fixtures.Path(meta.Split('/'))));
            var missing = m.GraphDef.Node.Select(n => n.Op).Distinct().Where(op => !known.Contains(op)).ToList();
            Assert.True(missing.Count == 0, meta + ": " + string.Join(", ", missing));
        }
    }

    [Fact]
    public void Signatures_match_TF_op_defs_of_the_fixtures()
    {
        // Arg names, arg types, attr names and defaults must agree with the OpDefs TF wrote into the .meta files.
        // Newest TF first; an op is checked against the newest file that uses it (OpDefs grew attrs over time).
        var seen = new HashSet<string>();
        foreach (var meta in new[] { "mnist_cnn_meta/cnn.ckpt.meta", "mnist_fc2/fc2.ckpt.meta", "smove_mlp/my_test_model-1000.meta", "rnn_model/model.ckpt.meta" })
        {
            var m = MetaGraphDef.Parser.ParseFrom(File.ReadAllBytes(Fixtures.Path(meta.Split('/'))));
            foreach (var tf in m.MetaInfoDef.StrippedOpList.Op)
            {
                if (!seen.Add(tf.Name)) continue;
                var ours = OpDefCatalog.Default.Find(tf.Name)!;
                // Arg names changed across TF 1.x (SigmoidGrad's x, y became y, dy), so names are checked on the newest file only.
                bool names = meta.StartsWith("mnist_cnn", StringComparison.Ordinal);
                Assert.Equal(tf.InputArg.Select(a => (tf.Name, names ? a.Name : "", a.Type, a.TypeAttr, a.NumberAttr, a.TypeListAttr, a.IsRef)),
                    ours.InputArg.Select(a => (tf.Name, names ? a.Name : "", a.Type, a.TypeAttr, a.NumberAttr, a.TypeListAttr, a.IsRef)));
                Assert.Equal(tf.OutputArg.Select(a => (tf.Name, names ? a.Name : "", a.Type, a.TypeAttr, a.NumberAttr, a.IsRef)),
                    ours.OutputArg.Select(a => (tf.Name, names ? a.Name : "", a.Type, a.TypeAttr, a.NumberAttr, a.IsRef)));
                foreach (var a in tf.Attr)
                {
                    var o = ours.Attr.FirstOrDefault(x => x.Name == a.Name);
                    Assert.True(o != null, $"{tf.Name}.{a.Name} missing");
                    Assert.Equal((tf.Name, a.Name, a.Type, a.DefaultValue), (tf.Name, o!.Name, o.Type, o.DefaultValue));
                }
            }
        }
    }

    [Fact]
    public void Output_types_follow_attrs_and_refs()
    {
        var c = OpDefCatalog.Default;
        var v = new NodeDef { Name = "v", Op = "VariableV2", Attr = { ["dtype"] = Attrs.Type(DataType.DtFloat), ["shape"] = Attrs.Shape([2]) } };
        Assert.Equal([DataType.DtFloatRef], c.OutputTypes(v));
        var split = new NodeDef { Name = "s", Op = "Split", Attr = { ["T"] = Attrs.Type(DataType.DtFloat), ["num_split"] = Attrs.Int(3) } };
        Assert.Equal([DataType.DtFloat, DataType.DtFloat, DataType.DtFloat], c.OutputTypes(split));
        var restore = new NodeDef { Name = "r", Op = "RestoreV2", Attr = { ["dtypes"] = Attrs.Types([DataType.DtFloat, DataType.DtInt64]) } };
        Assert.Equal([DataType.DtFloat, DataType.DtInt64], c.OutputTypes(restore));
    }
}
