using Google.Protobuf;
using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using TypedGraph.Training;

namespace TypedGraph.Tests.Training;

public class SaverGraphTests
{
    private static (GraphBuilder B, SaverDef Def) Tutorial()
    {
        var b = new GraphBuilder();
        var w1 = b.Placeholder(DataType.DtFloat, null, "w1");
        var w2 = b.Placeholder(DataType.DtFloat, null, "w2");
        var bias = b.Variable(Tensor.FromScalar(2.0f), "bias");
        b.Multiply(b.Add(w1, w2), bias.Snapshot, "op_to_restore");
        var vars = b.GlobalVariables.Select(v => new KeyValuePair<string, Variable>(v.Name, v)).ToList();
        return (b, SaverGraph.Build(b, vars, new SaverOptions()));
    }

    [Fact]
    public void Default_saver_def_is_byte_identical_to_TF()
    {
        var (_, def) = Tutorial();
        // tf-formats.md §1.2: a default tf.train.Saver() SaverDef, confirmed against TF 1.1–2.3.1 files.
        var expected = Convert.FromHexString("0A0C" + Hex("save/Const:0") + "1219" + Hex("save/control_dependency:0") + "1A10" + Hex("save/restore_all") + "200535" + "00401C46" + "3802");
        Assert.Equal(expected, def.ToByteArray());
    }

    private static string Hex(string s) => Convert.ToHexString(System.Text.Encoding.ASCII.GetBytes(s));

    [Fact]
    public void Save_nodes_match_TFs_layout_in_the_smove_mlp_fixture()
    {
        var tf = MetaGraphDef.Parser.ParseFrom(File.ReadAllBytes(Fixtures.Path("smove_mlp", "my_test_model-1000.meta")));
        var b = new GraphBuilder();
        var w = b.Variable([21, 1], new ZerosInitializer(), "W");
        SaverGraph.Build(b, [new("W", w)], new SaverOptions());
        var ours = b.Graph.Nodes.Where(n => n.Name.StartsWith("save/", StringComparison.Ordinal)).ToList();
        var theirs = tf.GraphDef.Node.Where(n => n.Name.StartsWith("save/", StringComparison.Ordinal)).ToList();
        // Devices differ by version: TF 1.4.1 wrote none, TF ≥ 1.6 pins RestoreV2 and its Consts to the CPU (as we do).
        Assert.Equal(theirs.Select(n => (n.Name, n.Op, string.Join(",", n.Input))), ours.Select(n => (n.Name, n.Op, string.Join(",", n.Def.Input))));
        Assert.Equal("/device:CPU:0", b.GetOperation("save/RestoreV2/tensor_names").Device);
        foreach (var t in theirs)
        {
            var o = b.GetOperation(t.Name);
            foreach (var (k, v) in t.Attr)
                if (k != "_output_shapes") Assert.True(v.Equals(o.Attr(k)), $"{t.Name}.{k}: TF {v} vs ours {o.Attr(k)}");
            Assert.Equal(t.Attr.Keys.Where(k => k != "_output_shapes").Order(), o.Def.Attr.Keys.Order());
        }
    }

    [Fact]
    public void Second_saver_and_sorted_keys()
    {
        var b = new GraphBuilder();
        var z = b.Variable([2], new ZerosInitializer(), "z");
        var a = b.Variable([3], new OnesInitializer(), "a");
        var d1 = SaverGraph.Build(b, [new("a", a), new("z", z)], new SaverOptions());
        var d2 = SaverGraph.Build(b, [new("a", a)], new SaverOptions { MaxToKeep = 2 });
        Assert.Equal("save_1/Const:0", d2.FilenameTensorName);
        Assert.Equal("save_1/restore_all", d2.RestoreOpName);
        Assert.Equal(2, d2.MaxToKeep);
        Assert.Equal(["save/Const", "save/SaveV2/tensor_names", "save/SaveV2/shape_and_slices", "a", "z"], b.GetOperation("save/SaveV2").Def.Input);
        Assert.Equal(["a", "save/RestoreV2"], b.GetOperation("save/Assign").Def.Input);
        Assert.Equal(["z", "save/RestoreV2:1"], b.GetOperation("save/Assign_1").Def.Input);
        Assert.Equal(["^save/Assign", "^save/Assign_1"], b.GetOperation("save/restore_all").Def.Input);
        Assert.Equal("save/control_dependency:0", d1.SaveTensorName);
    }

    [Fact]
    public void Filename_placeholder_style_matches_TF_1_13()
    {
        var b = new GraphBuilder();
        var v = b.Variable([1], new ZerosInitializer(), "v");
        var def = SaverGraph.Build(b, [new("v", v)], new SaverOptions { FilenamePlaceholder = true });
        Assert.Equal("save/Const:0", def.FilenameTensorName);
        Assert.Equal("PlaceholderWithDefault", b.GetOperation("save/Const").Op);
        Assert.Equal(["save/filename"], b.GetOperation("save/Const").Def.Input);
        Assert.Equal(["save/filename/input"], b.GetOperation("save/filename").Def.Input);
    }

    [Fact]
    public void Exported_meta_graph_has_sorted_op_list_collections_and_reimports()
    {
        var (b, def) = Tutorial();
        b.GlobalVariablesInitializer();
        var meta = MetaGraphExporter.Export(b, def);
        var ops = meta.MetaInfoDef.StrippedOpList.Op.Select(o => o.Name).ToList();
        Assert.Equal(["Add", "Assign", "Const", "Identity", "Mul", "NoOp", "Placeholder", "RestoreV2", "SaveV2", "VariableV2"], ops);
        Assert.Equal(["trainable_variables", "variables"], meta.CollectionDef.Keys);
        Assert.Equal(CollectionDef.KindOneofCase.BytesList, meta.CollectionDef["variables"].KindCase);
        Assert.Equal(def, meta.SaverDef);
        Assert.Equal("1.13.1", meta.MetaInfoDef.TensorflowVersion);
        var back = GraphBuilder.FromMetaGraph(MetaGraphDef.Parser.ParseFrom(meta.ToByteArray()));
        Assert.Equal(b.Graph.Nodes.Select(n => n.Name), back.Graph.Nodes.Select(n => n.Name));
        Assert.Equal("bias/read:0", Assert.Single(back.TrainableVariables).Snapshot.Name);
    }

    [Fact]
    public void Strip_default_attrs_removes_only_defaults_and_clear_devices_drops_devices()
    {
        var (b, def) = Tutorial();
        var meta = MetaGraphExporter.Export(b, def, new MetaGraphExportOptions { StripDefaultAttrs = true, ClearDevices = true });
        Assert.True(meta.MetaInfoDef.StrippedDefaultAttrs);
        var assign = meta.GraphDef.Node.Single(n => n.Name == "bias/Assign");
        Assert.False(assign.Attr.ContainsKey("use_locking")); // default true
        Assert.True(assign.Attr.ContainsKey("T"));
        var mul = meta.GraphDef.Node.Single(n => n.Name == "op_to_restore");
        Assert.Equal(["T"], mul.Attr.Keys);
        Assert.All(meta.GraphDef.Node, n => Assert.Equal("", n.Device));
        Assert.Equal("/device:CPU:0", b.GetOperation("save/RestoreV2").Device); // the builder's graph is untouched
    }
}
