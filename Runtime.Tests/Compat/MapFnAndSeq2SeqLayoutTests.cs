using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Training;
using static TypedGraph.Tests.Support.CentralDifferences;

namespace TypedGraph.Tests.Compat;

/// <summary>
/// <c>tf.map_fn</c> and a seq2seq graph (encoder dynamic_rnn whose final state starts a decoder loop emitting
/// projected logits per step) built by our GraphBuilder in TF 1.x's layouts (functional_ops.map_fn with
/// maximum_iterations; rnn.py's TensorArray loops), checked against hand computation in doubles, and their
/// gradients (through two chained loops for seq2seq) against central differences.
/// </summary>
public class MapFnAndSeq2SeqLayoutTests
{
    private const int N = 4, E = 3, F = 2;

    /// <summary>Σ c ⊙ tanh(e_i · W) over the rows e_i of elems, in doubles.</summary>
    private static double MapLoss(double[] elems, double[] w, double[] c)
    {
        double loss = 0;
        for (int i = 0; i < N; i++)
            for (int k = 0; k < F; k++)
            {
                double s = 0;
                for (int j = 0; j < E; j++) s += elems[i * E + j] * w[j * F + k];
                loss += c[i * F + k] * Math.Tanh(s);
            }
        return loss;
    }

    [Fact]
    public void MapFn_ValuesAndGradients_MatchAHandLoopAndFiniteDifferences()
    {
        var rng = new Random(3);
        var ev = Rand(rng, N * E, 1.0);
        var wv = Rand(rng, E * F, 0.8);
        var cv = Rand(rng, N * F, 1.0);
        var b = new GraphBuilder();
        var elems = b.Placeholder(DataType.DtFloat, [N, E], "elems");
        var w = b.Placeholder(DataType.DtFloat, [E, F], "w");
        var mapped = b.MapFn(e => b.Tanh(b.MatMul(b.ExpandDims(e, 0), w)), elems);
        var loss = b.ReduceSum(b.Multiply(mapped, b.Constant(cv, [N, 1, F], "c")), [0, 1, 2]);
        var grads = Gradients.Compute(b, [loss], [elems, w]);

        var g = b.Graph;
        Assert.Equal("map/while/while_context", g.GetNode("map/while/Enter").GetString("frame_name"));
        Assert.Equal("Const", g.GetNode("map/while/iteration_counter").Op);
        Assert.Equal(["map/while/Merge", "map/while/Less/Enter"], g.GetNode("map/while/Less").Inputs.Select(i => i.NodeName));
        Assert.Equal("LogicalAnd", g.GetNode("map/while/LogicalAnd").Op);
        Assert.Equal("TensorArrayV3", g.GetNode("map/TensorArray_1").Op);
        Assert.Equal("TensorArrayGatherV3", g.GetNode("map/TensorArrayStack/TensorArrayGatherV3").Op);

        using var s = new Session(g);
        var r = s.Run([mapped.Name, loss.Name, grads[0]!.Value.Name, grads[1]!.Value.Name],
            new Dictionary<string, Tensor> { ["elems:0"] = Tensor.Create(ev, N, E), ["w:0"] = Tensor.Create(wv, E, F) });
        Assert.Equal([N, 1, F], r[0].Shape.ToArray());
        var values = r[0].ToArray<float>();
        for (int i = 0; i < N; i++)
            for (int k = 0; k < F; k++)
                Assert.Equal(Math.Tanh(Enumerable.Range(0, E).Sum(j => (double)ev[i * E + j] * wv[j * F + k])), values[i * F + k], 5);
        double[] ed = D64(ev), wd = D64(wv), cd = D64(cv);
        Assert.Equal(MapLoss(ed, wd, cd), r[1].ToArray<float>()[0], 4);
        AssertClose(Numeric(p => MapLoss(p, wd, cd), ed), r[2].ToArray<float>(), "dL/delems");
        AssertClose(Numeric(p => MapLoss(ed, p, cd), wd), r[3].ToArray<float>(), "dL/dw");
    }

    private const int Te = 4, Td = 3, B = 2, D = 2, H = 3, V = 4;

    /// <summary>One dynamic_rnn-style loop (rnn.py layout) from state h0; each step's output is h·proj (or h)
    /// written to the output TensorArray. Returns (stacked outputs, final state).</summary>
    private static (Output Outputs, Output State) Rnn(GraphBuilder b, string scope, Output x, int steps, Output w, Output bias, Output h0, Output? proj, int outDim)
    {
        using var _ = b.NameScope(scope);
        var timeSteps = b.Constant(steps, "time_steps");
        var outputTa = b.TensorArray(timeSteps, DataType.DtFloat, [B, outDim]);
        var inputTa = b.TensorArrayUnstack(b.TensorArray(timeSteps, DataType.DtFloat, [B, D]), x);
        var exits = b.WhileLoop(
            v => b.Less(v[0], timeSteps),
            v =>
            {
                var xt = b.TensorArrayRead(inputTa, v[0]);
                Output h;
                using (b.NameScope("basic_rnn_cell"))
                    h = b.Tanh(b.BiasAdd(b.MatMul(b.Concat([xt, v[2]], 1), w), bias));
                var output = proj is Output p ? b.MatMul(h, p) : h;
                return [b.Add(v[0], 1), b.TensorArrayWrite(outputTa.WithFlow(v[1]), v[0], output).Flow, h];
            },
            [b.Constant(0, "time"), outputTa.Flow, h0]);
        return (b.TensorArrayStack(outputTa.WithFlow(exits[1])), exits[2]);
    }

    private static double[] Step(double[] x, int t, double[] h, double[] w, double[] bias)
    {
        var next = new double[B * H];
        for (int bi = 0; bi < B; bi++)
            for (int k = 0; k < H; k++)
            {
                double s = bias[k];
                for (int d = 0; d < D; d++) s += x[(t * B + bi) * D + d] * w[d * H + k];
                for (int j = 0; j < H; j++) s += h[bi * H + j] * w[(D + j) * H + k];
                next[bi * H + k] = Math.Tanh(s);
            }
        return next;
    }

    /// <summary>Hand seq2seq: encoder over xe from zeros, decoder over xd from the encoder's final state, logits = h·Wo.</summary>
    private static double[] Seq2SeqLogits(double[] xe, double[] xd, double[] we, double[] be, double[] wd, double[] bd, double[] wo)
    {
        var h = new double[B * H];
        for (int t = 0; t < Te; t++) h = Step(xe, t, h, we, be);
        var logits = new double[Td * B * V];
        for (int t = 0; t < Td; t++)
        {
            h = Step(xd, t, h, wd, bd);
            for (int bi = 0; bi < B; bi++)
                for (int v = 0; v < V; v++)
                    logits[(t * B + bi) * V + v] = Enumerable.Range(0, H).Sum(j => h[bi * H + j] * wo[j * V + v]);
        }
        return logits;
    }

    [Fact]
    public void Seq2Seq_EncoderStateStartsTheDecoderLoop_LogitsAndGradientsThroughBothLoopsMatchHandComputation()
    {
        var rng = new Random(8);
        var xe = Rand(rng, Te * B * D, 1.0);
        var xdv = Rand(rng, Td * B * D, 1.0);
        var we = Rand(rng, (D + H) * H, 0.7);
        var be = Rand(rng, H, 0.3);
        var wdv = Rand(rng, (D + H) * H, 0.7);
        var bdv = Rand(rng, H, 0.3);
        var wo = Rand(rng, H * V, 0.7);
        var c = Rand(rng, Td * B * V, 1.0);

        var b = new GraphBuilder();
        var encIn = b.Placeholder(DataType.DtFloat, [Te, B, D], "encoder_inputs");
        var decIn = b.Placeholder(DataType.DtFloat, [Td, B, D], "decoder_inputs");
        var weT = b.Placeholder(DataType.DtFloat, [D + H, H], "encoder/kernel");
        var beT = b.Placeholder(DataType.DtFloat, [H], "encoder/bias");
        var wdT = b.Placeholder(DataType.DtFloat, [D + H, H], "decoder/kernel");
        var bdT = b.Placeholder(DataType.DtFloat, [H], "decoder/bias");
        var woT = b.Placeholder(DataType.DtFloat, [H, V], "decoder/projection");
        var (_, encState) = Rnn(b, "encoder", encIn, Te, weT, beT, b.Constant(new float[B * H], [B, H], "zeros"), null, H);
        var (logits, _) = Rnn(b, "decoder", decIn, Td, wdT, bdT, encState, woT, V);
        var loss = b.ReduceSum(b.Multiply(logits, b.Constant(c, [Td, B, V], "c")), [0, 1, 2]);
        var grads = Gradients.Compute(b, [loss], [weT, beT, wdT, woT, encIn]);
        // One gradient loop per forward loop, the decoder's first.
        Assert.Equal(2, b.Graph.Nodes.Count(n => n.Op == "LoopCond" && n.Name.StartsWith("gradients/")));

        using var s = new Session(b.Graph);
        var feeds = new Dictionary<string, Tensor>
        {
            ["encoder_inputs:0"] = Tensor.Create(xe, Te, B, D), ["decoder_inputs:0"] = Tensor.Create(xdv, Td, B, D),
            ["encoder/kernel:0"] = Tensor.Create(we, D + H, H), ["encoder/bias:0"] = Tensor.Create(be, H),
            ["decoder/kernel:0"] = Tensor.Create(wdv, D + H, H), ["decoder/bias:0"] = Tensor.Create(bdv, H),
            ["decoder/projection:0"] = Tensor.Create(wo, H, V),
        };
        var r = s.Run([logits.Name, .. grads.Select(g => g!.Value.Name)], feeds);
        double[] xed = D64(xe), xdd = D64(xdv), wed = D64(we), bed = D64(be), wdd = D64(wdv), bdd = D64(bdv), wod = D64(wo), cd = D64(c);
        AssertClose(Seq2SeqLogits(xed, xdd, wed, bed, wdd, bdd, wod), r[0].ToArray<float>(), "logits", 1e-5);
        double Loss(double[] xe2, double[] we2, double[] be2, double[] wd2, double[] wo2)
            => Seq2SeqLogits(xe2, xdd, we2, be2, wd2, bdd, wo2).Select((v, i) => v * cd[i]).Sum();
        AssertClose(Numeric(p => Loss(xed, p, bed, wdd, wod), wed), r[1].ToArray<float>(), "dL/dencoder_kernel");
        AssertClose(Numeric(p => Loss(xed, wed, p, wdd, wod), bed), r[2].ToArray<float>(), "dL/dencoder_bias");
        AssertClose(Numeric(p => Loss(xed, wed, bed, p, wod), wdd), r[3].ToArray<float>(), "dL/ddecoder_kernel");
        AssertClose(Numeric(p => Loss(xed, wed, bed, wdd, p), wod), r[4].ToArray<float>(), "dL/dprojection");
        AssertClose(Numeric(p => Loss(p, wed, bed, wdd, wod), xed), r[5].ToArray<float>(), "dL/dencoder_inputs");
    }
}
