using Google.Protobuf;
using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;

namespace TypedGraph.Tests.Building;

public class GraphBuilderTests
{
    [Fact]
    public void Names_are_made_unique_the_TF_way_case_insensitively()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [-1, 3], "x");
        Assert.Equal("Mul", b.Multiply(x, x).NodeName);
        Assert.Equal("Mul_1", b.Multiply(x, x).NodeName);
        Assert.Equal("mul_2", b.Multiply(x, x, "mul").NodeName); // "mul" and "Mul" share a key, as in TF
        Assert.Equal("Mul_3", b.Multiply(x, x).NodeName);
    }

    [Fact]
    public void Name_scopes_prefix_nodes_and_are_uniquified()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [2, 2], "x");
        using (b.NameScope("layer1")) Assert.Equal("layer1/MatMul", b.MatMul(x, x).NodeName);
        using (b.NameScope("layer1"))
        {
            Assert.Equal("layer1_1/MatMul", b.MatMul(x, x).NodeName);
            using (b.NameScope("inner")) Assert.Equal("layer1_1/inner/Relu", b.Relu(x).NodeName);
        }
        Assert.Equal("MatMul", b.MatMul(x, x).NodeName);
    }

    [Fact]
    public void Ops_get_type_attrs_from_inputs_and_TF_defaults()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [-1, 4], "x");
        var w = b.Constant(new float[8], [4, 2], "w");
        var mm = b.GetOperation(b.MatMul(x, w).NodeName);
        Assert.Equal(DataType.DtFloat, mm.GetType("T"));
        Assert.False(mm.GetBool("transpose_a"));
        Assert.False(mm.GetBool("transpose_b"));
        Assert.Equal(["x", "w"], mm.Def.Input);
        var conv = b.GetOperation(b.Conv2D(b.Placeholder(DataType.DtFloat, [1, 5, 5, 1]), b.Constant(new float[9], [3, 3, 1, 1]), [1, 1, 1, 1], "SAME").NodeName);
        Assert.True(conv.GetBool("use_cudnn_on_gpu"));
        Assert.Equal("NHWC", conv.GetString("data_format"));
        Assert.Equal([1L, 1, 1, 1], conv.GetInts("dilations"));
        var sum = b.GetOperation(b.ReduceSum(x, [1]).NodeName);
        Assert.Equal(DataType.DtInt32, sum.GetType("Tidx"));
        Assert.False(sum.GetBool("keep_dims"));
        var addn = b.GetOperation(b.AddN([x, x, x]).NodeName);
        Assert.Equal(3, addn.GetInt("N"));
    }

    [Fact]
    public void Mismatched_input_types_are_rejected_with_names()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, null, "x");
        var i = b.Placeholder(DataType.DtInt32, null, "i");
        var e = Assert.Throws<ArgumentException>(() => b.Add(x, i));
        Assert.Contains("i:0", e.Message);
        Assert.Contains("int32", e.Message);
    }

    [Fact]
    public void Scalar_operands_become_consts_in_the_op_scope()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [-1, 1], "x");
        var y = b.Subtract(1.0, x);
        Assert.Equal("sub", y.NodeName);
        Assert.Equal(["sub/x", "x"], b.GetOperation("sub").Def.Input);
        Assert.Equal(1f, b.GetOperation("sub/x").GetTensor("value").FloatVal[0]);
        Assert.Equal("mul", b.Multiply(x, 2.0).NodeName);
        Assert.Equal("mul/y", b.GetOperation("mul").Def.Input[1]);
    }

    [Fact]
    public void Tutorial_graph_has_TF_node_names_and_variable_defs()
    {
        var b = new GraphBuilder();
        var w1 = b.Placeholder(DataType.DtFloat, null, "w1");
        var w2 = b.Placeholder(DataType.DtFloat, null, "w2");
        var bias = b.Variable(Tensor.FromScalar(2.0f), "bias");
        var w3 = b.Add(w1, w2);
        var w4 = b.Multiply(w3, bias.Snapshot, "op_to_restore");
        b.GlobalVariablesInitializer();
        Assert.Equal(["w1", "w2", "bias/initial_value", "bias", "bias/Assign", "bias/read", "Add", "op_to_restore", "init"],
            b.Graph.Nodes.Select(n => n.Name));
        Assert.Equal("op_to_restore:0", w4.Name);
        var assign = b.GetOperation("bias/Assign");
        Assert.Equal(["bias", "bias/initial_value"], assign.Def.Input);
        Assert.True(assign.GetBool("use_locking"));
        Assert.Equal(["loc:@bias"], assign.GetStrings("_class"));
        Assert.Equal(DataType.DtFloatRef, bias.Ref.DType);
        var def = Assert.Single(b.Collections.GetVariables(GraphCollections.TrainableVariables)).ToVariableDef();
        Assert.Equal(new VariableDef { VariableName = "bias:0", InitializerName = "bias/Assign", SnapshotName = "bias/read:0", InitialValueName = "bias/initial_value:0", Trainable = true }, def);
        Assert.Equal(["^bias/Assign"], b.GetOperation("init").Def.Input);
        Assert.Empty(b.GetOperation("w1").GetShape("shape")!.Dim);
        Assert.True(b.GetOperation("w1").GetShape("shape")!.UnknownRank);
    }

    [Fact]
    public void Variable_initializers_follow_TF_naming()
    {
        var b = new GraphBuilder();
        using (b.NameScope("h1"))
        {
            b.Variable([784, 100], new TruncatedNormal(stddev: 0.1), "w");
            b.Variable([100], new ZerosInitializer(), "b");
        }
        // As in the mnist_fc2 fixture (tf.Variable(tf.truncated_normal(...)) inside name_scope("h1")).
        Assert.Equal(["h1/truncated_normal/shape", "h1/truncated_normal/mean", "h1/truncated_normal/stddev", "h1/truncated_normal/TruncatedNormal",
            "h1/truncated_normal/mul", "h1/truncated_normal", "h1/w", "h1/w/Assign", "h1/w/read", "h1/zeros", "h1/b", "h1/b/Assign", "h1/b/read"],
            b.Graph.Nodes.Select(n => n.Name));
        var zeros = b.GetOperation("h1/zeros").GetTensor("value");
        Assert.Equal([0f], zeros.FloatVal); // a splat, like tf.zeros
        Assert.Equal(100, zeros.TensorShape.Dim[0].Size);
        Assert.Equal([784, 100], b.GetOperation("h1/truncated_normal/shape").GetTensor("value").TensorContent.ToByteArray().Chunk(4).Select(c => BitConverter.ToInt32(c)));

        var d = new GraphBuilder();
        var x = d.Placeholder(DataType.DtFloat, [-1, 25], "x");
        d.Dense(x, 25, 2, name: "dense");
        Assert.Contains("dense/kernel/Initializer/random_uniform/shape", d.Graph.Nodes.Select(n => n.Name));
        Assert.Contains("dense/kernel/Initializer/random_uniform", d.Graph.Nodes.Select(n => n.Name));
        Assert.Equal("dense/BiasAdd", d.Graph.Nodes[^1].Name);
        var max = d.GetOperation("dense/kernel/Initializer/random_uniform/max").GetTensor("value").FloatVal[0];
        Assert.Equal(MathF.Sqrt(6f / 27f), max, 6);
    }

    [Fact]
    public void Global_step_is_an_int64_get_variable_outside_scopes()
    {
        var b = new GraphBuilder();
        Variable gs;
        using (b.NameScope("train")) gs = b.GetOrCreateGlobalStep();
        Assert.Equal("global_step", gs.Name);
        Assert.Equal(DataType.DtInt64, gs.DType);
        Assert.True(b.Graph.Contains("global_step/Initializer/zeros"));
        Assert.Same(gs, b.GetOrCreateGlobalStep());
        Assert.Empty(b.TrainableVariables);
        Assert.Equal([gs], b.Collections.GetVariables(GraphCollections.GlobalStep));
    }

    [Fact]
    public void Control_dependency_scopes_add_control_inputs_after_data_inputs()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, null, "x");
        var n = b.Group([], "first");
        Output y;
        using (b.ControlDependencies([n.Name])) y = b.Identity(x);
        Assert.Equal(["x", "^first"], b.GetOperation(y.NodeName).Def.Input);
    }

    [Fact]
    public void Imported_meta_graph_exposes_collections_and_avoids_name_clashes()
    {
        var meta = MetaGraphDef.Parser.ParseFrom(File.ReadAllBytes(Fixtures.Path("smove_mlp", "my_test_model-1000.meta")));
        var b = GraphBuilder.FromMetaGraph(meta);
        Assert.Equal(["GradientDescent"], b.Collections.GetNames(GraphCollections.TrainOp));
        var w = Assert.Single(b.GlobalVariables);
        Assert.Equal("W", w.Name);
        Assert.True(w.Trainable); // TF 1.4 wrote no `trainable`; membership in trainable_variables decides
        Assert.Equal([21L, 1], w.Shape!);
        Assert.Equal("zeros:0", w.InitialValue!.Value.Name);
        Assert.Equal(DataType.DtFloat, b.GetTensor("O:0").DType);
        // New nodes do not collide with imported ones: MatMul exists, so does save/...
        var o = b.GetTensor("O");
        Assert.Equal("Mul_2", b.Multiply(o, o).NodeName); // the imported graph holds mul and mul_1
        using (b.NameScope("save")) Assert.Equal("save_1/Const", b.Constant(1f).NodeName);
    }

    [Fact]
    public void Import_with_scope_prefixes_nodes_inputs_colocation_and_collections()
    {
        var meta = MetaGraphDef.Parser.ParseFrom(File.ReadAllBytes(Fixtures.Path("smove_mlp", "my_test_model-1000.meta")));
        var b = new GraphBuilder();
        b.Placeholder(DataType.DtFloat, null, "other");
        var saver = b.Import(meta, "imported", clearDevices: true);
        Assert.Equal("imported/save/Const:0", saver!.FilenameTensorName);
        Assert.Equal("imported/save/restore_all", saver.RestoreOpName);
        Assert.Equal(["imported/W", "imported/zeros"], b.GetOperation("imported/W/Assign").Def.Input);
        Assert.Equal(["loc:@imported/W"], b.GetOperation("imported/W/Assign").GetStrings("_class"));
        Assert.Equal("imported/W", Assert.Single(b.GlobalVariables).Name);
        Assert.Equal(["imported/GradientDescent"], b.Collections.GetNames(GraphCollections.TrainOp));
        Assert.Equal(110, b.Graph.Nodes.Count);
        Assert.All(b.Graph.Nodes, n => Assert.Equal("", n.Device));
    }
}

public class GraphBuilderLayerTests
{
    [Fact]
    public void Dropout_has_TF_names_keeps_everything_at_keep_prob_1_and_scales_kept_values()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [2, 50], "x");
        var keep = b.Placeholder(DataType.DtFloat, [], "keep");
        var y = b.Dropout(x, keep, seed: 1);
        Assert.Equal("dropout/mul", y.NodeName);
        foreach (var n in new[] { "dropout/Shape", "dropout/random_uniform/RandomUniform", "dropout/random_uniform", "dropout/add", "dropout/Floor", "dropout/truediv" })
            Assert.True(b.Graph.Contains(n), n);
        using var s = new Session(b.Graph);
        var ones = Tensor.Create(Enumerable.Repeat(1f, 100).ToArray(), 2, 50);
        Assert.All(s.Run(y.Name, ("x:0", ones), ("keep:0", Tensor.FromScalar(1f))).ToArray<float>(), v => Assert.Equal(1f, v));
        var half = s.Run(y.Name, ("x:0", ones), ("keep:0", Tensor.FromScalar(0.5f))).ToArray<float>();
        Assert.All(half, v => Assert.True(v == 0f || v == 2f));
        Assert.InRange(half.Count(v => v == 2f), 25, 75);
    }

    [Fact]
    public void Pad_BatchMatMul_LeakyRelu_and_batch_norm_run()
    {
        var b = new GraphBuilder();
        var x = b.Constant(new[] { 1f, -2f, 3f, -4f }, [2, 2]);
        var padded = b.Pad(x, new[,] { { 1, 0 }, { 0, 1 } });
        var bm = b.BatchMatMul(b.Reshape(x, [1, 2, 2]), b.Reshape(x, [1, 2, 2]));
        var lr = b.LeakyRelu(x, 0.5f);
        var img = b.Constant(new[] { 1f, 2f, 3f, 5f }, [1, 2, 2, 1]);
        var (bn, mean, variance) = b.FusedBatchNorm(img, b.Constant(new[] { 2f }, [1]), b.Constant(new[] { 1f }, [1]), epsilon: 0);
        using var s = new Session(b.Graph);
        Assert.Equal([0f, 0f, 0f, 1f, -2f, 0f, 3f, -4f, 0f], s.Run(padded.Name).ToArray<float>());
        Assert.Equal([1f - 6f, -2f + 8f, 3f - 12f, -6f + 16f], s.Run(bm.Name).ToArray<float>());
        Assert.Equal([1f, -1f, 3f, -2f], s.Run(lr.Name).ToArray<float>());
        Assert.Equal(2.75f, s.Run(mean.Name).ToArray<float>()[0], 5);
        // Biased variance 2.1875 → (x − 2.75)/√2.1875 · 2 + 1.
        var y = s.Run(bn.Name).ToArray<float>();
        Assert.Equal((1 - 2.75) / Math.Sqrt(2.1875) * 2 + 1, y[0], 4);
    }
}

public class StaticShapeTests
{
    [Fact]
    public void Shapes_propagate_and_pre_1_2_empty_placeholder_shapes_mean_unknown()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [-1, 784], "x");
        var w = b.Variable([784, 10], new ZerosInitializer(), "w");
        var y = b.Add(b.MatMul(x, w.Snapshot), b.Constant(new float[10], [10]));
        Assert.Equal([-1L, 10], StaticShapes.Of(b, y)!);
        Assert.Equal([-1L], StaticShapes.Of(b, b.ReduceSum(y, [1]))!);
        Assert.Equal([-1L, 5, 2], StaticShapes.Of(b, b.Reshape(y, [-1, 5, 2]))!);
        Assert.Empty(StaticShapes.Of(b, b.Placeholder(DataType.DtFloat, [], "scalar"))!);

        var rnn = GraphBuilder.FromMetaGraph(MetaGraphDef.Parser.ParseFrom(File.ReadAllBytes(Fixtures.Path("rnn_model", "model.ckpt.meta"))));
        Assert.Null(StaticShapes.Of(rnn, rnn.GetTensor("input:0"))); // TF 1.1: "shape {}" was unconstrained
    }
}
