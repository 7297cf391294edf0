using TypedGraph.Building;
using TypedGraph.Onnx.Tests.Support;
using TypedGraph.Protos;
using Xunit.Abstractions;

namespace TypedGraph.Onnx.Tests;

/// <summary>
/// Graphs built node by node with <see cref="GraphBuilder"/>, one per op family, exported and run by ONNX Runtime
/// against our Session on the same random inputs. Inputs have a dynamic batch, and ORT runs a batch (3) different
/// from the exporter's probe size (2).
/// </summary>
public class OpFamilyExportTests(ITestOutputHelper log)
{
    private OrtCheck.Result Check(GraphBuilder b, (Output Input, Tensor Value)[] feeds, Output[] outputs, OnnxExportOptions? options = null)
    {
        using var session = new Session(b.Graph);
        var r = OrtCheck.ExportAndCompare(session, feeds.Select(f => (f.Input.Name, f.Value)).ToList(), outputs.Select(o => o.Name).ToList(), options);
        foreach (var (name, err) in r.MaxError) log.WriteLine($"{name}: max error {err:E2}");
        return r;
    }

    /// <summary>A node added straight to the graph (for ops the builder's op catalog does not list), attr T = the input dtype.</summary>
    private static Output Raw(GraphBuilder b, string op, Output[] inputs, string? name = null, params (string Name, AttrValue Value)[] attrs)
    {
        var def = new NodeDef { Name = b.UniqueName(name ?? op), Op = op };
        def.Input.AddRange(inputs.Select(i => i.InputString));
        def.Attr["T"] = Attrs.Type(inputs[0].DType);
        foreach (var (k, v) in attrs) def.Attr[k] = v;
        b.Graph.AddNode(def);
        return new Output(def.Name, 0, inputs[0].DType);
    }

    private static Output Op(GraphBuilder b, string op, Output[] inputs, params (string Name, AttrValue Value)[] attrs)
        => b.OutputOf(b.AddOperation(op, inputs, attrs.ToDictionary(a => a.Name, a => a.Value)));

    [Fact]
    public void UnaryMathAndActivationsMatchOrt()
    {
        var b = new GraphBuilder();
        var pos = b.Placeholder(DataType.DtFloat, [-1, 5], "pos");   // (0.1, 0.9): inside every domain below
        var any = b.Placeholder(DataType.DtFloat, [-1, 5], "any");   // (-3, 3)
        var outputs = new List<Output>();
        foreach (var op in new[] { "Log", "Sqrt", "Rsqrt", "Reciprocal", "Asin", "Acos", "Atanh" }) outputs.Add(Raw(b, op, [pos], op));
        foreach (var op in new[] { "Abs", "Neg", "Exp", "Floor", "Ceil", "Round", "Sign", "Sigmoid", "Tanh", "Relu", "Relu6", "Elu", "Selu",
                     "Softplus", "Softsign", "Square", "Sin", "Cos", "Atan", "Sinh", "Cosh", "Asinh" })
            outputs.Add(Raw(b, op, [any], op));
        outputs.Add(b.LeakyRelu(any, 0.3f));
        outputs.Add(b.Cast(b.Greater(any, pos), DataType.DtFloat, "CastBool"));
        Check(b, [(pos, OrtCheck.RandomFloats(1, 0.1f, 0.9f, 3, 5)), (any, OrtCheck.RandomFloats(2, -3, 3, 3, 5))], [.. outputs]);
    }

    [Fact]
    public void BroadcastingBinaryOpsComparisonsAndSelectMatchOrt()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [-1, 3, 4], "x");
        var v = b.Constant(new float[] { 0.5f, -1.5f, 2f, 3.25f }, name: "v");
        var s = b.Placeholder(DataType.DtFloat, [], "s");
        var outputs = new List<Output>();
        foreach (var op in new[] { "Add", "AddV2", "Sub", "Mul", "RealDiv", "Maximum", "Minimum", "SquaredDifference", "FloorDiv", "FloorMod" })
        {
            outputs.Add(Raw(b, op, [x, v], op + "_v"));
            outputs.Add(Raw(b, op, [s, x], op + "_s"));
        }
        outputs.Add(b.Pow(b.Abs(x), b.Constant(new float[] { 0.5f, 1f, 2f, 3f })));
        outputs.Add(b.AddN([x, x, b.Multiply(x, 3.0)]));
        foreach (var op in new[] { "Equal", "NotEqual", "Greater", "GreaterEqual", "Less", "LessEqual" })
            outputs.Add(b.Binary(op, Raw(b, "Floor", [x], "floor_" + op), b.Constant(new float[] { 0f, -1f, 1f, 2f }), op));
        var mask = b.Greater(x, v);
        outputs.Add(b.Select(mask, x, b.Negate(x)));
        outputs.Add(b.OutputOf(b.AddOperation("SelectV2", [mask, x, s])));
        outputs.Add(b.OutputOf(b.AddOperation("LogicalAnd", [mask, b.Less(x, s)])));
        Check(b, [(x, OrtCheck.RandomFloats(3, -4, 4, 3, 3, 4)), (s, Tensor.FromScalar(0.75f))], [.. outputs]);
    }

    [Fact]
    public void IntegerFloorDivAndFloorModRoundTowardMinusInfinityLikeTf()
    {
        var b = new GraphBuilder();
        var a = b.Placeholder(DataType.DtInt32, [-1, 4], "a");
        var d = b.Constant(new[] { 3, -3, 4, -5 }, "d");
        var r = Check(b, [(a, Tensor.Create(new[] { 7, 7, -7, -7, 0, -1, 9, 10, -9, 11, -12, 13 }, 3, 4))],
            [Raw(b, "FloorDiv", [a, d], "fd"), Raw(b, "FloorMod", [a, d], "fm")]);
        // Independent check of TF's semantics: floor(7 / -3) = -3, 7 mod -3 = -2.
        Assert.Equal(-3, r.Ours["fd:0"].ToArray<int>()[1]);
        Assert.Equal(-2, r.Ours["fm:0"].ToArray<int>()[1]);
    }

    [Fact]
    public void MatMulTransposesAndBatchMatMulAdjointsMatchOrt()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [-1, 6], "x");
        var y = b.Placeholder(DataType.DtFloat, [-1, 6], "y");
        var w = b.Constant(OrtCheck.RandomFloats(9, -1, 1, 4, 6), "w");
        var m1 = b.MatMul(x, w, transposeB: true, name: "mm_tb_const");
        var m2 = b.MatMul(x, y, transposeA: true, name: "mm_ta_dyn");
        var m3 = b.MatMul(x, y, transposeB: true, name: "mm_tb_dyn");
        var p = b.Placeholder(DataType.DtFloat, [-1, 3, 4], "p");
        var q = b.Placeholder(DataType.DtFloat, [-1, 5, 4], "q");
        var bm = b.BatchMatMul(p, q, adjY: true, name: "bmm_adj_y");
        var bm2 = b.BatchMatMul(q, p, adjX: false, adjY: true, name: "bmm2");
        Check(b, [(x, OrtCheck.RandomFloats(10, -1, 1, 3, 6)), (y, OrtCheck.RandomFloats(11, -1, 1, 3, 6)),
                  (p, OrtCheck.RandomFloats(12, -1, 1, 3, 3, 4)), (q, OrtCheck.RandomFloats(13, -1, 1, 3, 5, 4))], [m1, m2, m3, bm, bm2]);
    }

    [Fact]
    public void ReductionsArgReductionsAndSoftmaxMatchOrt()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [-1, 4, 5], "x");
        var outputs = new List<Output>
        {
            b.ReduceSum(x, [1], name: "sum1"), b.ReduceSum(x, [-1, 1], keepDims: true, name: "sum_keep"),
            b.ReduceMean(x, [2], name: "mean2"), b.ReduceMax(x, [0, 2], name: "max02"), b.Reduce("Min", x, [1], true, "min1"),
            b.Reduce("Prod", x, [2], false, "prod2"), b.ArgMax(x, 2, "argmax"), b.Softmax(x), b.LogSoftmax(x),
            b.OutputOf(b.AddOperation("ArgMin", [x, b.Constant(1)], new Dictionary<string, AttrValue> { ["output_type"] = Attrs.Type(DataType.DtInt32) }, "argmin")),
        };
        Check(b, [(x, OrtCheck.RandomFloats(20, -2, 2, 3, 4, 5))], [.. outputs]);
    }

    [Fact]
    public void DynamicBatchReshapeThroughShapeArithmeticMatchesOrt()
    {
        // tf.reshape(x, [tf.shape(x)[0], -1]) — the shape subgraph depends on the batch, so it is translated, not frozen.
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [-1, 2, 3], "x");
        var shape = b.Shape(x);
        var batch = Op(b, "StridedSlice", [shape, b.Constant(new[] { 0 }), b.Constant(new[] { 1 }), b.Constant(new[] { 1 })],
            ("shrink_axis_mask", Attrs.Int(1)), ("begin_mask", Attrs.Int(0)), ("end_mask", Attrs.Int(0)), ("ellipsis_mask", Attrs.Int(0)), ("new_axis_mask", Attrs.Int(0)));
        var target = b.Stack([batch, b.Constant(-1)]);
        var flat = b.Reshape(x, target, "flat");
        var r = Check(b, [(x, OrtCheck.RandomFloats(21, -1, 1, 3, 2, 3))], [flat, b.OutputOf(b.AddOperation("Size", [x]))]);
        Assert.Equal(new TensorShape(3, 6), r.Ours["flat:0"].Shape);
        Assert.Contains(r.Model.Graph.Node, n => n.OpType == "Shape");
    }

    [Fact]
    public void ArrayOpsMatchOrt()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [-1, 4, 6], "x");
        var idx = b.Placeholder(DataType.DtInt32, [-1], "idx");
        var outputs = new List<Output>
        {
            b.Transpose(x, [2, 0, 1]), b.Concat([x, b.Negate(x)], -1, "concat"), b.Stack([x, x], 1, "stack"),
            b.ExpandDims(x, -1, "expand"), b.Squeeze(b.ExpandDims(x, 1, "e1"), [1], "squeeze"),
            b.Slice(x, b.Constant(new[] { 0, 1, 2 }), b.Constant(new[] { -1, 2, 3 }), "slice"),
            b.Gather(x, b.Constant(new[] { 5, 0, 2 }), 2, "gather_axis2"),
            b.Pad(x, new[,] { { 0, 0 }, { 1, 2 }, { 0, 1 } }, "pad"),
            b.Tile(x, b.Constant(new[] { 1, 2, 1 }), "tile"),
            b.OneHot(idx, 5, 2f, -1f, "onehot"),
            b.Fill(b.Constant(new[] { 2, 3 }), b.Constant(1.5f), "fill"),
            b.ZerosLike(x, "zeros"), b.OnesLike(x, "ones"),
            b.Cast(b.Cast(x, DataType.DtInt32, "to_int"), DataType.DtFloat, "to_float"),
            Raw(b, "MirrorPad", [x, b.Constant(Tensor.Create(new[] { 0, 0, 1, 1, 2, 0 }, 3, 2))], "mirror",
                ("mode", Attrs.String("REFLECT")), ("Tpaddings", Attrs.Type(DataType.DtInt32))),
            Op(b, "ReverseV2", [x, b.Constant(new[] { -1, 1 })]),
        };
        outputs.AddRange(b.Unstack(x, 4, 1, "unstack"));
        outputs.AddRange(b.Split(x, 3, 2, "split"));
        outputs.Add(b.Gather(x, Raw(b, "Abs", [idx], "abs_idx"), 1, "gather_dyn"));
        var topk = Raw(b, "TopKV2", [x, b.Constant(2)], "topk", ("sorted", Attrs.Bool(true)));
        outputs.Add(topk);
        outputs.Add(new Output(topk.NodeName, 1, DataType.DtInt32));
        Check(b, [(x, OrtCheck.RandomFloats(30, -2, 2, 3, 4, 6)), (idx, Tensor.Create(new[] { 1, -1, 3 }, 3))], [.. outputs]);
    }

    [Theory]
    [InlineData(new[] { 0, 1, 1 }, new[] { 0, 3, 5 }, new[] { 1, 1, 2 }, 0, 0, 0, 0, 0)]     // plain strided
    [InlineData(new[] { 0, -1, 0 }, new[] { 0, 0, 0 }, new[] { 1, -1, 1 }, 5, 7, 0, 0, 0)]     // masks + negative stride
    [InlineData(new[] { 0, 2 }, new[] { 0, 3 }, new[] { 1, 1 }, 0, 0, 1, 0, 2)]               // ellipsis then shrink last
    [InlineData(new[] { 1, 0, 0 }, new[] { 2, 0, 0 }, new[] { 1, 1, 1 }, 0, 0, 0, 2, 1)]      // shrink first, new axis
    [InlineData(new[] { 0, -2 }, new[] { 0, 0 }, new[] { 1, 1 }, 1, 3, 0, 0, 0)]               // negative begin, implicit trailing dim
    public void StridedSliceMaskCombinationsMatchOrt(int[] begin, int[] end, int[] strides, int beginMask, int endMask, int ellipsisMask, int newAxisMask, int shrinkMask)
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [-1, 4, 6], "x");
        var y = Op(b, "StridedSlice", [x, b.Constant(begin), b.Constant(end), b.Constant(strides)],
            ("begin_mask", Attrs.Int(beginMask)), ("end_mask", Attrs.Int(endMask)), ("ellipsis_mask", Attrs.Int(ellipsisMask)),
            ("new_axis_mask", Attrs.Int(newAxisMask)), ("shrink_axis_mask", Attrs.Int(shrinkMask)));
        Check(b, [(x, OrtCheck.RandomFloats(31, -2, 2, 3, 4, 6))], [y]);
    }

    [Fact]
    public void ConvPoolBatchNormLrnChainRunsInNchwWithTwoTransposesAndMatchesOrt()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [-1, 9, 9, 3], "image");
        var c1 = b.Conv2D(x, b.Constant(OrtCheck.RandomFloats(40, -0.5f, 0.5f, 3, 3, 3, 4)), [1, 1, 1, 1], "SAME", name: "conv1");
        var r1 = b.Relu(b.BiasAdd(c1, b.Constant(new float[] { 0.1f, -0.2f, 0.3f, 0f }), name: "bias1"), "relu1");
        var p1 = b.MaxPool(r1, [1, 2, 2, 1], [1, 2, 2, 1], "SAME", name: "pool1");         // 9 → 5, odd: SAME pads at the end
        var d1 = b.DepthwiseConv2D(p1, b.Constant(OrtCheck.RandomFloats(41, -0.5f, 0.5f, 3, 3, 4, 2)), [1, 2, 2, 1], "SAME", "dw");
        var bn = b.FusedBatchNorm(d1, b.Constant(OrtCheck.RandomFloats(42, 0.5f, 1.5f, 8)), b.Constant(OrtCheck.RandomFloats(43, -0.5f, 0.5f, 8)),
            b.Constant(OrtCheck.RandomFloats(44, -0.2f, 0.2f, 8)), b.Constant(OrtCheck.RandomFloats(45, 0.5f, 1.5f, 8)), 0.001f, isTraining: false, name: "bn").Y;
        var lrn = Op(b, "LRN", [bn], ("depth_radius", Attrs.Int(2)), ("bias", Attrs.Float(1.5f)), ("alpha", Attrs.Float(0.1f)), ("beta", Attrs.Float(0.75f)));
        var scaled = b.Multiply(b.Add(lrn, b.Constant(new float[8].Select((_, i) => i * 0.01f).ToArray())), 2.0);
        var a1 = b.AvgPool(scaled, [1, 3, 3, 1], [1, 1, 1, 1], "SAME", name: "avg");
        var c2 = b.Conv2D(a1, b.Constant(OrtCheck.RandomFloats(46, -0.5f, 0.5f, 2, 2, 8, 5)), [1, 1, 1, 1], "VALID", dilations: [1, 2, 2, 1], name: "conv2");
        var flat = b.Reshape(c2, [-1, 5], "flat");
        var logits = b.MatMul(flat, b.Constant(OrtCheck.RandomFloats(47, -1, 1, 5, 3)), name: "logits");
        var r = Check(b, [(x, OrtCheck.RandomFloats(48, -1, 1, 3, 9, 9, 3))], [logits, c2]);
        Assert.Equal(["Conv", "Conv", "Conv"], r.Model.Graph.Node.Where(n => n.OpType == "Conv").Select(n => n.OpType));
        // NHWC → NCHW once at the input, NCHW → NHWC once where the flattening reshape (and the output c2) reads it.
        Assert.Equal(2, r.Count("Transpose"));
    }

    [Fact]
    public void StridedTwoSameConvAndExplicitPadThenConvMatchOrt()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [-1, 8, 7, 2], "x");
        var c = b.Conv2D(x, b.Constant(OrtCheck.RandomFloats(50, -1, 1, 4, 3, 2, 3)), [1, 2, 2, 1], "SAME", name: "same_s2");
        var padded = b.Pad(c, new[,] { { 0, 0 }, { 1, 1 }, { 2, 0 }, { 0, 0 } }, "pad");
        var v = b.Conv2D(padded, b.Constant(OrtCheck.RandomFloats(51, -1, 1, 3, 3, 3, 2)), [1, 1, 1, 1], "VALID", name: "valid");
        var m = b.MaxPool(v, [1, 3, 3, 1], [1, 2, 2, 1], "VALID", name: "maxv");
        var r = Check(b, [(x, OrtCheck.RandomFloats(52, -1, 1, 3, 8, 7, 2))], [m, c]);
        // One transpose in; one out for each of the two NHWC outputs (the pad and convs between stay NCHW).
        Assert.Equal(3, r.Count("Transpose"));
    }

    [Fact]
    public void TrainingModeBatchNormIsRefusedWithTheNodeName()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [-1, 4, 4, 2], "x");
        var y = b.FusedBatchNorm(x, b.Constant(new float[] { 1, 1 }), b.Constant(new float[] { 0, 0 }), isTraining: true, name: "bn_train").Y;
        using var session = new Session(b.Graph);
        var e = Assert.Throws<OnnxExportException>(() => OnnxExporter.Export(session, ["x:0"], [y.Name]));
        Assert.Contains("'bn_train'", e.Message);
        Assert.Contains("FusedBatchNormV3", e.Message);
    }

    [Fact]
    public void AnOpWithoutTranslationIsRefusedWithNodeAndOp()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [-1, 3], "x");
        var y = Raw(b, "Log1p", [x], "log1p");
        using var session = new Session(b.Graph);
        var e = Assert.Throws<OnnxExportException>(() => OnnxExporter.Export(session, ["x:0"], [y.Name]));
        Assert.Equal("Cannot export node 'log1p' (op Log1p) to ONNX: ONNX export has no translation for this op.", e.Message);
    }

    [Fact]
    public void SeveralOpsWithoutTranslation_AreAllNamedInOneError()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [-1, 3], "x");
        var a = Raw(b, "Log1p", [x], "log1p");
        var c = Raw(b, "Expm1", [a], "expm1");
        var d = Raw(b, "Log1p", [c], "log1p_again");
        using var session = new Session(b.Graph);
        var e = Assert.Throws<OnnxExportException>(() => OnnxExporter.Export(session, ["x:0"], [d.Name]));
        Assert.Equal("Cannot export node 'log1p' (op Log1p) to ONNX: ONNX export has no translation for this op. "
            + "1 more node(s) use Log1p. Also without a translation: Expm1 (node 'expm1').", e.Message);
    }

    [Fact]
    public void AMissingPlaceholderAndABadOutputNameAreReportedByName()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [-1, 3], "x");
        var k = b.Placeholder(DataType.DtFloat, [], "keep");
        var y = b.Multiply(x, k, "y");
        using var session = new Session(b.Graph);
        var e = Assert.Throws<OnnxExportException>(() => OnnxExporter.Export(session, ["x:0"], [y.Name]));
        Assert.Contains("'keep'", e.Message);
        Assert.Contains("add 'keep:0' to the inputs", e.Message);
        var e2 = Assert.Throws<OnnxExportException>(() => OnnxExporter.Export(session, ["x:0", "keep:0"], ["nope:0"]));
        Assert.Contains("'nope:0'", e2.Message);
    }

    private static Node RawNode(GraphBuilder b, string op, Output[] inputs, string name, params (string Name, AttrValue Value)[] attrs)
    {
        var def = new NodeDef { Name = b.UniqueName(name), Op = op };
        def.Input.AddRange(inputs.Select(i => i.InputString));
        def.Attr["T"] = Attrs.Type(inputs[0].DType);
        foreach (var (k, v) in attrs) def.Attr[k] = v;
        return b.Graph.AddNode(def);
    }

    /// <summary>TF1 tf.cond(pred, lambda: x·w + 100, lambda: x·2) laid out as TF builds it: a Switch per captured tensor, one Merge.</summary>
    private static (GraphBuilder B, Output X, Output Y) StaticCond()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [-1, 3], "x");
        var pred = b.PlaceholderWithDefault(b.Constant(Tensor.FromScalar(false)), [], "is_training");
        var w = b.Constant(new float[] { 1.5f, -2f, 0.5f }, name: "w");
        var sx = RawNode(b, "Switch", [x, pred], "cond/Switch_x");
        var sw = RawNode(b, "Switch", [w, pred], "cond/Switch_w");
        var t = b.Add(b.Multiply(new Output(sx.Name, 1, DataType.DtFloat), new Output(sw.Name, 1, DataType.DtFloat), "cond/true_mul"), 100.0, "cond/true_add");
        var f = b.Multiply(new Output(sx.Name, 0, DataType.DtFloat), 2.0, "cond/false_mul");
        var merge = RawNode(b, "Merge", [f, t], "cond/Merge", ("N", Attrs.Int(2)));
        return (b, x, new Output(merge.Name, 0, DataType.DtFloat));
    }

    [Fact]
    public void Tf1CondWithAStaticPredicateExportsOnlyTheTakenBranch()
    {
        var (b, x, y) = StaticCond();
        var input = OrtCheck.RandomFloats(60, -1, 1, 3, 3);
        var r = Check(b, [(x, input)], [y]);
        // is_training defaults to False: the false branch, x·2, independently of both engines.
        Assert.Equal(input.ToArray<float>().Select(v => v * 2), r.Ours[y.Name].ToArray<float>());
        Assert.DoesNotContain(r.Model.Graph.Node, n => n.Output.Any(o => o.StartsWith("cond/true", StringComparison.Ordinal)));
    }

    [Fact]
    public void BareSwitchMergeOnAFedPredicateExportsAsAnIfSelectingTheLiveInput()
    {
        // Was refused before If export existed; now the minimal Switch → Merge pair (no pred_id/pivots) is an If
        // whose branches both forward the outer tensor — the Merge forwards whichever Switch output is live.
        var (b, x, _) = StaticCond();
        var pred = b.Placeholder(DataType.DtBool, [], "dyn_pred");
        var sx = RawNode(b, "Switch", [x, pred], "dyn/Switch");
        var merge = RawNode(b, "Merge", [new Output(sx.Name, 0, DataType.DtFloat), new Output(sx.Name, 1, DataType.DtFloat)], "dyn/Merge", ("N", Attrs.Int(2)));
        var y = b.Add(new Output(merge.Name, 0, DataType.DtFloat), 1.0, "after_merge");
        using var session = new Session(b.Graph);
        var valueIndex = merge.Name + ":1";
        var model = OnnxExporter.Export(session, ["x:0", "dyn_pred:0"], [y.Name, valueIndex]);
        Assert.Equal(1, model.Graph.Node.Count(n => n.OpType == "If"));
        var input = OrtCheck.RandomFloats(61, -1, 1, 3, 3);
        foreach (bool p in new[] { true, false })
        {
            var r = OrtCheck.Compare(model, session, [("x:0", input), ("dyn_pred:0", Tensor.FromScalar(p))], [y.Name, valueIndex]);
            Assert.Equal(input.ToArray<float>().Select(v => v + 1), r.Ours[y.Name].ToArray<float>());
            // Merge's value_index: the live input, Switch:1 (input 1) when the predicate is true.
            Assert.Equal(p ? 1 : 0, r.Ours[valueIndex].Scalar<int>());
        }
    }
}
