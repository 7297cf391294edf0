using TypedGraph.Formats;
using TypedGraph.Onnx.Tests.Support;
using TypedGraph.Tests.Support;
using Xunit.Abstractions;

namespace TypedGraph.Onnx.Tests;

/// <summary>
/// Every fixture graph's inference path (real TF-written files) exported to ONNX and run by ONNX Runtime on the
/// same random inputs as our Session.
/// </summary>
public class FixtureExportTests(ITestOutputHelper log)
{
    private void Report(string name, OrtCheck.Result r)
        => log.WriteLine($"{name}: max error {r.Worst:E2} over {string.Join(", ", r.MaxError.Keys)}; {r.Model.Graph.Node.Count} ONNX nodes, {r.Model.Graph.Initializer.Count} initializers");

    [Theory]
    [InlineData("smove_mlp", "my_test_model-1000.meta")]
    [InlineData("smove_tf", "smovetf.ckpt.meta")]
    public void SmoveLogisticRegressionMatchesOrtWithRestoredWeights(string folder, string meta)
    {
        var graph = MetaGraph.Load(Fixtures.Path(folder, meta));
        using var session = new Session(graph.Graph);
        session.Restore(Fixtures.Path(folder), graph.SaverDef);
        var x = OrtCheck.RandomFloats(1, -2, 2, 7, 21);
        var r = OrtCheck.ExportAndCompare(session, [("X:0", x)], ["O:0"]);
        Report(folder, r);
        // The weights are an initializer holding the checkpoint's values, and the training graph is gone.
        var w = r.Model.Graph.Initializer.Single();
        Assert.Equal(session.Run("W:0").ToArray<float>(), System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(w.RawData.Span).ToArray());
        Assert.DoesNotContain(r.Model.Graph.Node, n => n.OpType is "ApplyGradientDescent" or "Log");
        Assert.Equal(["MatMul", "Sigmoid"], r.Model.Graph.Node.Select(n => n.OpType));
    }

    [Fact]
    public void SmoveFrozenGraphDefMatchesOrt()
    {
        var graph = MetaGraph.Load(Fixtures.Path("smove_tf", "frozen_smovetf.pb"));
        using var session = new Session(graph.Graph);
        var r = OrtCheck.ExportAndCompare(session, [("X:0", OrtCheck.RandomFloats(2, -2, 2, 3, 21))], ["O:0"]);
        Report("smove_tf frozen", r);
    }

    [Fact]
    public void MnistFc2SoftmaxMatchesOrtAndBatchStaysDynamic()
    {
        var graph = MetaGraph.Load(Fixtures.Path("mnist_fc2", "fc2.ckpt.meta"));
        using var session = new Session(graph.Graph);
        session.Restore(Fixtures.Path("mnist_fc2", "fc2.ckpt"), graph.SaverDef);
        var x = OrtCheck.RandomFloats(3, 0, 1, 9, 784);
        var r = OrtCheck.ExportAndCompare(session, [("input/x:0", x)], ["output/sm:0"]);
        Report("mnist_fc2", r);
        // The batch dimension is symbolic: the same model runs batch 1 as well.
        var one = OrtCheck.RandomFloats(4, 0, 1, 1, 784);
        OrtCheck.Compare(r.Model, session, [("input/x:0", one)], ["output/sm:0"]);
        Assert.Equal("batch", r.Model.Graph.Input[0].Type.TensorType.Shape.Dim[0].DimParam);
        // Only the inference weights were exported (no Adam slots, no global_step).
        Assert.Equal(6, r.Model.Graph.Initializer.Count);
    }

    /// <summary>
    /// Every TF tensor the exported graph computes (not an input, output or initializer) is declared in value_info
    /// with its element type and rank; dims TF's static shape rules know are given (the MatMul's 10 classes), the
    /// dynamic batch is left unknown. ORT checks them against its own shape inference when it loads the model.
    /// </summary>
    [Fact]
    public void MnistFc2IntermediatesAreDeclaredInValueInfoWithTheirStaticDims()
    {
        var graph = MetaGraph.Load(Fixtures.Path("mnist_fc2", "fc2.ckpt.meta"));
        using var session = new Session(graph.Graph);
        session.Restore(Fixtures.Path("mnist_fc2", "fc2.ckpt"), graph.SaverDef);
        var r = OrtCheck.ExportAndCompare(session, [("input/x:0", OrtCheck.RandomFloats(3, 0, 1, 2, 784))], ["output/sm:0"]);
        var g = r.Model.Graph;
        var info = g.ValueInfo.ToDictionary(v => v.Name);
        var defined = g.Node.SelectMany(n => n.Output).Where(o => o.Contains(':') && session.Graph.FindNode(o[..o.LastIndexOf(':')]) != null)
            .Except(g.Output.Select(o => o.Name)).ToList();
        Assert.NotEmpty(defined);
        foreach (var name in defined) Assert.True(info.ContainsKey(name), $"no value_info for '{name}'");
        var logits = info["output/MatMul:0"].Type.TensorType;
        Assert.Equal((int)Protos.TensorProto.Types.DataType.Float, logits.ElemType);
        Assert.Equal(2, logits.Shape.Dim.Count);
        Assert.Equal(Protos.TensorShapeProto.Types.Dimension.ValueOneofCase.None, logits.Shape.Dim[0].ValueCase);
        Assert.Equal(10, logits.Shape.Dim[1].DimValue);
    }

    [Fact]
    public void MnistCnnWithInitializedVariablesMatchesOrtAndNeedsOnlyEdgeTransposes()
    {
        var graph = MetaGraph.Load(Fixtures.Path("mnist_cnn_meta", "cnn.ckpt.meta"));
        using var session = new Session(graph.Graph);
        session.Initialize();
        var x = OrtCheck.RandomFloats(5, 0, 1, 3, 784);
        // pkeep is fed 1: the dropout mask floor(pkeep + U[0,1)) is then 1 in both engines, whatever their generators draw.
        var r = OrtCheck.ExportAndCompare(session, [("x:0", x), ("pkeep:0", Tensor.FromScalar(1f))], ["y:0"],
            new OnnxExportOptions { InputShapes = new Dictionary<string, long[]> { ["pkeep:0"] = [] } });
        Report("mnist_cnn_meta", r);
        Assert.Equal(2, r.Count("Conv"));
        Assert.Equal(2, r.Count("MaxPool"));
        // conv → relu → pool → conv → relu → pool runs in NCHW end to end: one transpose in, one out.
        Assert.Equal(2, r.Count("Transpose"));
    }

    [Fact]
    public void RnnModelUnrolledLstmMatchesOrt()
    {
        var graph = MetaGraph.Load(Fixtures.Path("rnn_model", "model.ckpt.meta"));
        using var session = new Session(graph.Graph);
        session.Restore(Fixtures.Path("rnn_model"), graph.SaverDef);
        const int batch = 4;
        var options = new OnnxExportOptions { InputShapes = new Dictionary<string, long[]> { ["input:0"] = [-1, 10, 1], ["istate:0"] = [-1, 160] } };
        var r = OrtCheck.ExportAndCompare(session,
            [("input:0", OrtCheck.RandomFloats(6, -1, 1, batch, 10, 1)), ("istate:0", OrtCheck.RandomFloats(7, -0.5f, 0.5f, batch, 160))],
            ["inference/add_1:0"], options);
        Report("rnn_model", r);
        Assert.DoesNotContain(r.Model.Graph.Node, n => n.OpType.Contains("Summary", StringComparison.Ordinal));
    }

    /// <summary>
    /// The TF 1.4 char-RNN: <c>tf.nn.dynamic_rnn</c> unstacks the embedded sequence into a TensorArray
    /// (TensorArrayScatterV3), reads one step per iteration of its while loop, writes each output into a second
    /// TensorArray and stacks it after the loop (TensorArrayGatherV3 over Range(0, TensorArraySizeV3)); per-sequence
    /// lengths copy the state through (Select) past each sequence's end. Exported as one ONNX Loop with the arrays as
    /// sequences; ORT and our session agree on the restored checkpoint for random ids, lengths and batch sizes.
    /// </summary>
    [Fact]
    public void CharRnnDynamicRnnWithTensorArraysMatchesOrtAsALoopOverSequences()
    {
        var graph = MetaGraph.Load(Fixtures.Path("char_rnn_tensorarray", "model.ckpt.meta"));
        using var session = new Session(graph.Graph);
        session.Restore(Fixtures.Path("char_rnn_tensorarray"), graph.SaverDef);
        string[] inputs = ["x_raw_input:0", "length_of_each_sequence:0", "batch_size:0"];
        // batch_size sizes the zero state: in the probe run it must equal the probe batch (2).
        var options = new OnnxExportOptions { ProbeInputs = new Dictionary<string, Tensor> { ["batch_size:0"] = Tensor.FromScalar(2) } };
        var model = OnnxExporter.Export(session, inputs, ["prediction_probability:0"], options);
        var nodes = model.Graph.Node;
        Assert.Single(nodes, n => n.OpType == "Loop");
        Assert.DoesNotContain(nodes, n => n.OpType.StartsWith("TensorArray", StringComparison.Ordinal));
        Assert.Contains(nodes, n => n.OpType == "SplitToSequence");
        Assert.Contains(nodes, n => n.OpType == "ConcatFromSequence");
        var body = nodes.Single(n => n.OpType == "Loop").Attribute.Single(a => a.Name == "body").G;
        Assert.Contains(body.Node, n => n.OpType == "SequenceAt");
        Assert.Contains(body.Node, n => n.OpType == "SequenceInsert");
        Assert.Contains(body.Input, i => i.Type.SequenceType != null);

        var rng = new Random(42);
        foreach (int batch in new[] { 1, 3 })
        {
            var ids = Tensor.Create(Enumerable.Range(0, batch * 158).Select(_ => rng.Next(92)).ToArray(), batch, 158);
            // Lengths from 1 to 158, so some sequences end early and their state is copied through.
            var lengths = Tensor.Create(Enumerable.Range(0, batch).Select(b => b == 0 ? 158 : 1 + rng.Next(158)).ToArray(), batch);
            var r = OrtCheck.Compare(model, session,
                [("x_raw_input:0", ids), ("length_of_each_sequence:0", lengths), ("batch_size:0", Tensor.FromScalar(batch))],
                ["prediction_probability:0"]);
            Report($"char_rnn_tensorarray batch {batch}", r);
            // Softmax rows over the 92 classes: the compared values are probabilities, each row summing to 1.
            var p = r.Ours["prediction_probability:0"].ToArray<float>();
            Assert.Equal(batch * 158 * 92, p.Length);
            Assert.InRange(p.Take(92).Sum(), 0.999f, 1.001f);
        }
    }

    /// <summary>
    /// The TF 2.15 Keras LSTM SavedModel: its signature is a StatefulPartitionedCall whose body calls the standard_lstm
    /// function (PartitionedCall), which runs a StatelessWhile over TensorLists (TensorListFromTensor / GetItem /
    /// SetItem / Stack). Exported by lowering the calls and the While to the TF1 form (inlined bodies, one frame) and
    /// the lists to ONNX sequences: one Loop; ORT equals our session with every variable given pseudo-random values.
    /// </summary>
    [Fact]
    public void KerasLstmSavedModelFunctionsAndStatelessWhileMatchOrtAsOneLoop()
    {
        var meta = MetaGraph.Load(Fixtures.Path("keras_lstm_savedmodel_tf2"));
        using var session = new Session(meta.Graph);
        var rng = new Random(7);
        foreach (var node in session.Graph.Nodes.Where(n => n.Op == "VarHandleOp"))
        {
            var dims = node.GetShape("shape")!.Dim.Select(d => (int)d.Size).ToArray();
            var slot = session.State.Variable(node.GetString("shared_name"));
            slot.Value = node.GetType("dtype") == TypedGraph.Protos.DataType.DtInt64 ? Tensor.FromScalar(7L)
                : OrtCheck.RandomFloats(rng.Next(), -0.5f, 0.5f, dims);
        }
        var sig = meta.Proto.SignatureDef["serving_default"];
        string in1 = sig.Inputs["input_1"].Name, in2 = sig.Inputs["input_2"].Name, output = sig.Outputs["dense_3"].Name;
        var model = OnnxExporter.Export(session, [in1, in2], [output]);
        Assert.Single(model.Graph.Node, n => n.OpType == "Loop");
        Assert.DoesNotContain(model.Graph.Node, n => n.OpType.Contains("PartitionedCall", StringComparison.Ordinal));
        foreach (int batch in new[] { 1, 4 })
        {
            var r = OrtCheck.Compare(model, session,
                [(in1, OrtCheck.RandomFloats(10 + batch, -2, 2, batch, 13)), (in2, OrtCheck.RandomFloats(20 + batch, -2, 2, batch, 13, 1))], [output]);
            Report($"keras_lstm_savedmodel_tf2 batch {batch}", r);
        }
    }

    /// <summary>
    /// The TF 2.15 two-tower SavedModel loaded as TF Serving would (SavedModelBundle restores the variables and runs
    /// <c>__saved_model_init_op</c>, whose initializer functions fill the two StringLookup hash tables): the calls are
    /// inlined, each LookupTableFindV2 becomes an ai.onnx.ml LabelEncoder holding the table's contents, each
    /// ResourceGather a Gather. ORT equals our session on known and unknown user ids and movie titles, batch 1 and 6.
    /// The LabelEncoders' key → id maps are checked against the vocabulary Consts the initializers import.
    /// </summary>
    [Fact]
    public void TwoTowerSavedModelExportsItsStringLookupTablesAsLabelEncodersAndMatchesOrt()
    {
        using var bundle = SavedModelBundle.Load(Fixtures.Path("two_tower_savedmodel_tf2"), "serve");
        var sig = bundle.MetaGraph.Proto.SignatureDef["serving_default"];
        string movie = sig.Inputs["movie_title"].Name, user = sig.Inputs["user_id"].Name, output = sig.Outputs["output_1"].Name;
        var model = OnnxExporter.Export(bundle.Session, [movie, user], [output]);

        Assert.Contains(model.OpsetImport, o => o.Domain == "ai.onnx.ml" && o.Version == 2);
        var encoders = model.Graph.Node.Where(n => n.OpType == "LabelEncoder").ToList();
        Assert.Equal(2, encoders.Count);
        Assert.All(encoders, n => Assert.Equal("ai.onnx.ml", n.Domain));
        Assert.Equal(2, model.Graph.Node.Count(n => n.OpType == "Gather"));
        Assert.DoesNotContain(model.Graph.Node, n => n.OpType.Contains("Lookup", StringComparison.Ordinal));

        // Each encoder is one of the vocabularies the graph imports into its tables (Const_3 → Const_2 for user ids,
        // Const_1 → Const for movie titles; default 0 = Keras StringLookup's OOV index).
        Tensor Const(string name) => TensorProtos.ToTensor(bundle.MetaGraph.Graph.GetNode(name).GetTensor("value"), name);
        Dictionary<string, long> Vocab(string keys, string ids)
            => Const(keys).Strings.Select(s => System.Text.Encoding.UTF8.GetString(s)).Zip(Const(ids).ToArray<long>()).ToDictionary(p => p.First, p => p.Second);
        var userVocab = Vocab("Const_3", "Const_2");
        var movieVocab = Vocab("Const_1", "Const");
        foreach (var n in encoders)
        {
            var a = n.Attribute.ToDictionary(x => x.Name);
            var map = a["keys_strings"].Strings.Select(b => b.ToStringUtf8()).Zip(a["values_int64s"].Ints).ToDictionary(p => p.First, p => p.Second);
            Assert.Equal(0, a["default_int64"].I);
            Assert.True(map.Count == userVocab.Count ? map.OrderBy(p => p.Key, StringComparer.Ordinal).SequenceEqual(userVocab.OrderBy(p => p.Key, StringComparer.Ordinal))
                : map.OrderBy(p => p.Key, StringComparer.Ordinal).SequenceEqual(movieVocab.OrderBy(p => p.Key, StringComparer.Ordinal)), $"{n.Name} holds neither vocabulary");
        }

        var users = userVocab.Keys.ToArray();
        var movies = movieVocab.Keys.ToArray();
        var rng = new Random(13);
        foreach (int batch in new[] { 1, 6 })
        {
            // Every other row has an id / title the tables do not hold (→ the OOV row 0 of the embeddings).
            var u = Enumerable.Range(0, batch).Select(i => i % 2 == 1 ? "no-such-user-" + i : users[rng.Next(users.Length)]).ToArray();
            var m = Enumerable.Range(0, batch).Select(i => i % 3 == 2 ? "no such movie " + i : movies[rng.Next(movies.Length)]).ToArray();
            var r = OrtCheck.Compare(model, bundle.Session, [(movie, Tensor.FromStrings(m, batch)), (user, Tensor.FromStrings(u, batch))], [output]);
            Report($"two_tower_savedmodel_tf2 batch {batch}", r);
            Assert.Equal([batch, 1], r.Ours[output].Shape.ToArray());
        }
    }

    /// <summary>
    /// The same fixture with its tables never filled (the graph loaded into a bare Session, so
    /// <c>__saved_model_init_op</c> never ran): refused before anything runs, naming the lookup node and the table.
    /// </summary>
    [Fact]
    public void TwoTowerWithItsTablesNotInitializedIsRefusedNamingTheLookupAndTheTable()
    {
        var graph = MetaGraph.Load(Fixtures.Path("two_tower_savedmodel_tf2"));
        using var session = new Session(graph.Graph);
        var e = Assert.Throws<OnnxExportException>(() => OnnxExporter.Export(session, ["serving_default_movie_title:0", "serving_default_user_id:0"], ["StatefulPartitionedCall:0"]));
        log.WriteLine(e.Message);
        Assert.StartsWith("Cannot export node '", e.Message);
        Assert.Contains("LookupTableFindV2", e.Message);
        Assert.Contains("(op LookupTableFindV2)", e.Message);
        Assert.Contains("is not initialized", e.Message);
        Assert.Matches("node 'hash_table(_1)?', op HashTableV2", e.Message);
    }
}
