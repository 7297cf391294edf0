using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using static TypedGraph.Tests.Support.ExecGraph;

namespace TypedGraph.Tests.Compat;

/// <summary>
/// TF1 <c>dynamic_rnn</c> / <c>bidirectional_dynamic_rnn</c> graphs built node by node in the layout TF 1.x writes
/// (rnn.py's <c>_dynamic_rnn_loop</c>: input TensorArray filled by TensorArrayScatterV3, a while loop reading step
/// <c>time</c>, a BasicRNNCell, <c>Select</c> on <c>time &gt;= sequence_length</c> for the output (zeros) and the
/// state (carried), the output TensorArray written per step and gathered after the loop; the backward direction
/// wraps its input and output in <c>ReverseSequence(seq_dim=0, batch_dim=1)</c>), checked against a naive loop.
/// </summary>
public class DynamicRnnLayoutTests
{
    private const int T = 6, B = 3, D = 2, H = 4;

    /// <summary>Adds one dynamic_rnn direction over the time-major input <paramref name="input"/>; returns (outputs [T,B,H], final state [B,H]).</summary>
    private static (string Outputs, string State) DynamicRnn(ExecGraph g, string scope, string input, string seqLen, string kernel, string bias)
    {
        var f32 = T(DataType.DtFloat);
        var i32 = T(DataType.DtInt32);
        var frame = ("frame_name", Str(scope + "/while/while_context"));
        (string, AttrValue) Constant(bool c) => ("is_constant", Bool(c));
        var taAttrs = new (string, AttrValue)[] { ("dtype", Type(DataType.DtFloat)), ("element_shape", Shape(null)), ("dynamic_size", Bool(false)), ("clear_after_read", Bool(true)) };
        g.Const(scope + "/time_steps", Tensor.FromScalar(T));
        g.Op(scope + "/TensorArray", "TensorArrayV3", [scope + "/time_steps"], [.. taAttrs, ("tensor_array_name", Str(scope + "/dynamic_rnn/output_0"))]);
        g.Op(scope + "/TensorArray_1", "TensorArrayV3", [scope + "/time_steps"], [.. taAttrs, ("tensor_array_name", Str(scope + "/dynamic_rnn/input_0"))]);
        g.Const(scope + "/TensorArrayUnstack/range/start", Tensor.FromScalar(0));
        g.Const(scope + "/TensorArrayUnstack/range/delta", Tensor.FromScalar(1));
        g.Op(scope + "/TensorArrayUnstack/range", "Range", [scope + "/TensorArrayUnstack/range/start", scope + "/time_steps", scope + "/TensorArrayUnstack/range/delta"], ("Tidx", Type(DataType.DtInt32)));
        g.Op(scope + "/TensorArrayUnstack/TensorArrayScatter/TensorArrayScatterV3", "TensorArrayScatterV3",
            [scope + "/TensorArray_1", scope + "/TensorArrayUnstack/range", input, scope + "/TensorArray_1:1"], f32);
        g.Const(scope + "/time", Tensor.FromScalar(0));
        g.Const(scope + "/zero_state", Tensor.Create(new float[B * H], B, H));
        g.Const(scope + "/zeros", Tensor.Create(new float[B * H], B, H));

        string w = scope + "/while/";
        g.Op(w + "Enter", "Enter", [scope + "/time"], i32, frame, Constant(false));
        g.Op(w + "Enter_1", "Enter", [scope + "/TensorArray:1"], f32, frame, Constant(false));
        g.Op(w + "Enter_2", "Enter", [scope + "/zero_state"], f32, frame, Constant(false));
        for (int k = 0; k < 3; k++)
        {
            string sfx = k == 0 ? "" : "_" + k;
            g.Op(w + "Merge" + sfx, "Merge", [w + "Enter" + sfx, w + "NextIteration" + sfx], k == 0 ? i32 : f32, ("N", Int(2)));
        }
        g.Op(w + "Less/Enter", "Enter", [scope + "/time_steps"], i32, frame, Constant(true));
        g.Op(w + "Less", "Less", [w + "Merge", w + "Less/Enter"], i32);
        g.Op(w + "LoopCond", "LoopCond", [w + "Less"]);
        for (int k = 0; k < 3; k++)
        {
            string sfx = k == 0 ? "" : "_" + k;
            g.Op(w + "Switch" + sfx, "Switch", [w + "Merge" + sfx, w + "LoopCond"], k == 0 ? i32 : f32);
            g.Op(w + "Identity" + sfx, "Identity", [w + "Switch" + sfx + ":1"], k == 0 ? i32 : f32);
            g.Op(w + "Exit" + sfx, "Exit", [w + "Switch" + sfx], k == 0 ? i32 : f32);
        }
        g.Op(w + "TensorArrayReadV3/Enter", "Enter", [scope + "/TensorArray_1"], T(DataType.DtResource), frame, Constant(true));
        g.Op(w + "TensorArrayReadV3/Enter_1", "Enter", [scope + "/TensorArrayUnstack/TensorArrayScatter/TensorArrayScatterV3"], f32, frame, Constant(true));
        g.Op(w + "TensorArrayReadV3", "TensorArrayReadV3", [w + "TensorArrayReadV3/Enter", w + "Identity", w + "TensorArrayReadV3/Enter_1"], ("dtype", Type(DataType.DtFloat)));
        // BasicRNNCell: tanh(concat([input, state], 1) · kernel + bias)
        g.Const(w + "basic_rnn_cell/concat/axis", Tensor.FromScalar(1), w + "Identity");
        g.Op(w + "basic_rnn_cell/concat", "ConcatV2", [w + "TensorArrayReadV3", w + "Identity_2", w + "basic_rnn_cell/concat/axis"], f32, ("N", Int(2)), ("Tidx", Type(DataType.DtInt32)));
        g.Op(w + "basic_rnn_cell/MatMul/Enter", "Enter", [kernel], f32, frame, Constant(true));
        g.Op(w + "basic_rnn_cell/MatMul", "MatMul", [w + "basic_rnn_cell/concat", w + "basic_rnn_cell/MatMul/Enter"], f32, ("transpose_a", Bool(false)), ("transpose_b", Bool(false)));
        g.Op(w + "basic_rnn_cell/BiasAdd/Enter", "Enter", [bias], f32, frame, Constant(true));
        g.Op(w + "basic_rnn_cell/BiasAdd", "BiasAdd", [w + "basic_rnn_cell/MatMul", w + "basic_rnn_cell/BiasAdd/Enter"], f32, ("data_format", Str("NHWC")));
        g.Op(w + "basic_rnn_cell/Tanh", "Tanh", [w + "basic_rnn_cell/BiasAdd"], f32);
        // Past a sequence's end: zero output, state carried (rnn.py's _rnn_step).
        g.Op(w + "GreaterEqual/Enter", "Enter", [seqLen], i32, frame, Constant(true));
        g.Op(w + "GreaterEqual", "GreaterEqual", [w + "Identity", w + "GreaterEqual/Enter"], i32);
        g.Op(w + "Select/Enter", "Enter", [scope + "/zeros"], f32, frame, Constant(true));
        g.Op(w + "Select", "Select", [w + "GreaterEqual", w + "Select/Enter", w + "basic_rnn_cell/Tanh"], f32);
        g.Op(w + "GreaterEqual_1", "GreaterEqual", [w + "Identity", w + "GreaterEqual/Enter"], i32);
        g.Op(w + "Select_1", "Select", [w + "GreaterEqual_1", w + "Identity_2", w + "basic_rnn_cell/Tanh"], f32);
        g.Op(w + "TensorArrayWrite/TensorArrayWriteV3/Enter", "Enter", [scope + "/TensorArray"], T(DataType.DtResource), frame, Constant(true));
        g.Op(w + "TensorArrayWrite/TensorArrayWriteV3", "TensorArrayWriteV3", [w + "TensorArrayWrite/TensorArrayWriteV3/Enter", w + "Identity", w + "Select", w + "Identity_1"], f32);
        g.Const(w + "add/y", Tensor.FromScalar(1), w + "Identity");
        g.Op(w + "add", "Add", [w + "Identity", w + "add/y"], i32);
        g.Op(w + "NextIteration", "NextIteration", [w + "add"], i32);
        g.Op(w + "NextIteration_1", "NextIteration", [w + "TensorArrayWrite/TensorArrayWriteV3"], f32);
        g.Op(w + "NextIteration_2", "NextIteration", [w + "Select_1"], f32);

        g.Op(scope + "/TensorArrayStack/TensorArraySizeV3", "TensorArraySizeV3", [scope + "/TensorArray", w + "Exit_1"]);
        g.Op(scope + "/TensorArrayStack/range", "Range", [scope + "/TensorArrayUnstack/range/start", scope + "/TensorArrayStack/TensorArraySizeV3", scope + "/TensorArrayUnstack/range/delta"], ("Tidx", Type(DataType.DtInt32)));
        g.Op(scope + "/TensorArrayStack/TensorArrayGatherV3", "TensorArrayGatherV3", [scope + "/TensorArray", scope + "/TensorArrayStack/range", w + "Exit_1"],
            ("dtype", Type(DataType.DtFloat)), ("element_shape", Shape([-1, H])));
        return (scope + "/TensorArrayStack/TensorArrayGatherV3", w + "Exit_2");
    }

    private static float[] Random(Random rng, int n, double scale) => Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 2 - 1) * scale)).ToArray();

    /// <summary>One BasicRNNCell step in doubles: tanh([x, h]·W + b).</summary>
    private static double[] Cell(float[] x, int t, int b, double[] h, float[] w, float[] bias)
    {
        var next = new double[H];
        for (int k = 0; k < H; k++)
        {
            double s = bias[k];
            for (int d = 0; d < D; d++) s += x[(t * B + b) * D + d] * (double)w[d * H + k];
            for (int j = 0; j < H; j++) s += h[j] * w[(D + j) * H + k];
            next[k] = Math.Tanh(s);
        }
        return next;
    }

    [Fact]
    public void BidirectionalDynamicRnn_WithSequenceLengths_MatchesANaiveLoopInBothDirections()
    {
        var rng = new Random(21);
        var wf = Random(rng, (D + H) * H, 0.8);
        var bf = Random(rng, H, 0.3);
        var wb = Random(rng, (D + H) * H, 0.8);
        var bb = Random(rng, H, 0.3);
        var g = new ExecGraph();
        g.Placeholder("inputs", DataType.DtFloat, [T, -1, D]); // time-major
        g.Placeholder("seq_len", DataType.DtInt32, [-1]);
        g.Const("fw/kernel", Tensor.Create(wf, D + H, H));
        g.Const("fw/bias", Tensor.Create(bf, H));
        g.Const("bw/kernel", Tensor.Create(wb, D + H, H));
        g.Const("bw/bias", Tensor.Create(bb, H));
        var (fwOut, fwState) = DynamicRnn(g, "bidirectional_rnn/fw/fw", "inputs", "seq_len", "fw/kernel", "fw/bias");
        g.Op("bidirectional_rnn/bw/ReverseSequence", "ReverseSequence", ["inputs", "seq_len"], T(DataType.DtFloat), ("Tlen", Type(DataType.DtInt32)), ("seq_dim", Int(0)), ("batch_dim", Int(1)));
        var (bwOut, bwState) = DynamicRnn(g, "bidirectional_rnn/bw/bw", "bidirectional_rnn/bw/ReverseSequence", "seq_len", "bw/kernel", "bw/bias");
        g.Op("ReverseSequence", "ReverseSequence", [bwOut, "seq_len"], T(DataType.DtFloat), ("Tlen", Type(DataType.DtInt32)), ("seq_dim", Int(0)), ("batch_dim", Int(1)));
        g.Const("concat/axis", Tensor.FromScalar(2));
        g.Op("concat", "ConcatV2", [fwOut, "ReverseSequence", "concat/axis"], T(DataType.DtFloat), ("N", Int(2)), ("Tidx", Type(DataType.DtInt32)));

        var x = Random(rng, T * B * D, 1.0);
        int[] lengths = [T, 2, 0];
        using var s = new Session(g.Graph);
        var r = s.Run(["concat:0", fwState + ":0", bwState + ":0"], new Dictionary<string, Tensor> { ["inputs"] = Tensor.Create(x, T, B, D), ["seq_len"] = Tensor.Create(lengths) });
        Assert.Equal([T, B, 2 * H], r[0].Shape.ToArray());
        var outputs = r[0].ToArray<float>();
        var fwFinal = r[1].ToArray<float>();
        var bwFinal = r[2].ToArray<float>();
        for (int b = 0; b < B; b++)
        {
            var h = new double[H];
            var expected = new double[T, 2 * H];
            for (int t = 0; t < lengths[b]; t++)
            {
                h = Cell(x, t, b, h, wf, bf);
                for (int k = 0; k < H; k++) expected[t, k] = h[k];
            }
            for (int k = 0; k < H; k++) Assert.Equal(h[k], fwFinal[b * H + k], 5);
            h = new double[H];
            for (int t = lengths[b] - 1; t >= 0; t--)
            {
                h = Cell(x, t, b, h, wb, bb);
                for (int k = 0; k < H; k++) expected[t, H + k] = h[k];
            }
            for (int k = 0; k < H; k++) Assert.Equal(h[k], bwFinal[b * H + k], 5);
            for (int t = 0; t < T; t++)
                for (int k = 0; k < 2 * H; k++)
                    Assert.Equal(expected[t, k], outputs[(t * B + b) * 2 * H + k], 5);
        }
    }

    /// <summary>
    /// Nested tf.while_loop with a TensorArray accumulator: for i &lt; n: ta.write(i, inner(i)) where inner(i) is a
    /// second while loop summing x·j for j &lt; i — the inner frame is entered once per outer iteration, its
    /// loop-invariant inputs (x, i) entered as constants from the outer frame, as TF 1.x nests while contexts.
    /// </summary>
    [Fact]
    public void NestedWhileLoops_WithAnOuterTensorArray_MatchTheClosedForm()
    {
        var g = new ExecGraph();
        var f32 = T(DataType.DtFloat);
        var i32 = T(DataType.DtInt32);
        var outer = ("frame_name", Str("outer/while_context"));
        var inner = ("frame_name", Str("outer/inner/while_context"));
        g.Placeholder("x", DataType.DtFloat, []);
        g.Placeholder("n", DataType.DtInt32, []);
        g.Op("ta", "TensorArrayV3", ["n"], ("dtype", Type(DataType.DtFloat)), ("element_shape", Shape([])), ("dynamic_size", Bool(false)), ("clear_after_read", Bool(true)));
        g.Const("i0", Tensor.FromScalar(0));
        g.Op("outer/Enter", "Enter", ["i0"], i32, outer, ("is_constant", Bool(false)));
        g.Op("outer/Enter_1", "Enter", ["ta:1"], f32, outer, ("is_constant", Bool(false)));
        g.Op("outer/Merge", "Merge", ["outer/Enter", "outer/NextIteration"], i32, ("N", Int(2)));
        g.Op("outer/Merge_1", "Merge", ["outer/Enter_1", "outer/NextIteration_1"], f32, ("N", Int(2)));
        g.Op("outer/Less/Enter", "Enter", ["n"], i32, outer, ("is_constant", Bool(true)));
        g.Op("outer/Less", "Less", ["outer/Merge", "outer/Less/Enter"], i32);
        g.Op("outer/LoopCond", "LoopCond", ["outer/Less"]);
        g.Op("outer/Switch", "Switch", ["outer/Merge", "outer/LoopCond"], i32);
        g.Op("outer/Switch_1", "Switch", ["outer/Merge_1", "outer/LoopCond"], f32);
        g.Op("outer/Identity", "Identity", ["outer/Switch:1"], i32);
        g.Op("outer/Identity_1", "Identity", ["outer/Switch_1:1"], f32);
        g.Op("outer/x", "Enter", ["x"], f32, outer, ("is_constant", Bool(true)));
        // inner loop: j = 0, acc = 0; while j < i: acc += x·j; j += 1
        g.Const("outer/inner/j0", Tensor.FromScalar(0), "outer/Identity");
        g.Const("outer/inner/acc0", Tensor.FromScalar(0f), "outer/Identity");
        g.Op("outer/inner/Enter", "Enter", ["outer/inner/j0"], i32, inner, ("is_constant", Bool(false)));
        g.Op("outer/inner/Enter_1", "Enter", ["outer/inner/acc0"], f32, inner, ("is_constant", Bool(false)));
        g.Op("outer/inner/Merge", "Merge", ["outer/inner/Enter", "outer/inner/NextIteration"], i32, ("N", Int(2)));
        g.Op("outer/inner/Merge_1", "Merge", ["outer/inner/Enter_1", "outer/inner/NextIteration_1"], f32, ("N", Int(2)));
        g.Op("outer/inner/Less/Enter", "Enter", ["outer/Identity"], i32, inner, ("is_constant", Bool(true)));
        g.Op("outer/inner/Less", "Less", ["outer/inner/Merge", "outer/inner/Less/Enter"], i32);
        g.Op("outer/inner/LoopCond", "LoopCond", ["outer/inner/Less"]);
        g.Op("outer/inner/Switch", "Switch", ["outer/inner/Merge", "outer/inner/LoopCond"], i32);
        g.Op("outer/inner/Switch_1", "Switch", ["outer/inner/Merge_1", "outer/inner/LoopCond"], f32);
        g.Op("outer/inner/Identity", "Identity", ["outer/inner/Switch:1"], i32);
        g.Op("outer/inner/Identity_1", "Identity", ["outer/inner/Switch_1:1"], f32);
        g.Op("outer/inner/x", "Enter", ["outer/x"], f32, inner, ("is_constant", Bool(true)));
        g.Op("outer/inner/fj", "Cast", ["outer/inner/Identity"], ("SrcT", Type(DataType.DtInt32)), ("DstT", Type(DataType.DtFloat)));
        g.Op("outer/inner/xj", "Mul", ["outer/inner/x", "outer/inner/fj"], f32);
        g.Op("outer/inner/acc", "Add", ["outer/inner/Identity_1", "outer/inner/xj"], f32);
        g.Const("outer/inner/one", Tensor.FromScalar(1), "outer/inner/Identity");
        g.Op("outer/inner/add", "Add", ["outer/inner/Identity", "outer/inner/one"], i32);
        g.Op("outer/inner/NextIteration", "NextIteration", ["outer/inner/add"], i32);
        g.Op("outer/inner/NextIteration_1", "NextIteration", ["outer/inner/acc"], f32);
        g.Op("outer/inner/Exit_1", "Exit", ["outer/inner/Switch_1"], f32);
        g.Op("outer/ta", "Enter", ["ta"], T(DataType.DtResource), outer, ("is_constant", Bool(true)));
        g.Op("outer/write", "TensorArrayWriteV3", ["outer/ta", "outer/Identity", "outer/inner/Exit_1", "outer/Identity_1"], f32);
        g.Const("outer/one", Tensor.FromScalar(1), "outer/Identity");
        g.Op("outer/add", "Add", ["outer/Identity", "outer/one"], i32);
        g.Op("outer/NextIteration", "NextIteration", ["outer/add"], i32);
        g.Op("outer/NextIteration_1", "NextIteration", ["outer/write"], f32);
        g.Op("outer/Exit_1", "Exit", ["outer/Switch_1"], f32);
        g.Const("start", Tensor.FromScalar(0));
        g.Const("delta", Tensor.FromScalar(1));
        g.Op("range", "Range", ["start", "n", "delta"], ("Tidx", Type(DataType.DtInt32)));
        g.Op("stack", "TensorArrayGatherV3", ["ta", "range", "outer/Exit_1"], ("dtype", Type(DataType.DtFloat)), ("element_shape", Shape([])));
        using var s = new Session(g.Graph);
        foreach (int n in new[] { 1, 5 })
        {
            var r = s.Run(["stack:0"], new Dictionary<string, Tensor> { ["x"] = Tensor.FromScalar(0.5f), ["n"] = Tensor.FromScalar(n) })[0].ToArray<float>();
            Assert.Equal(Enumerable.Range(0, n).Select(i => 0.5f * i * (i - 1) / 2).ToArray(), r);
        }
    }
}
