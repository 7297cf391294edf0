using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Tests.Kernels.Rnn;

namespace TypedGraph.Tests.Compat;

/// <summary>
/// The recurrent part of a Mozilla DeepSpeech 0.x frozen graph, built node by node in the layout
/// tf.contrib.rnn.LSTMBlockFusedCell produces (contrib/rnn/python/ops/lstm_ops.py <c>LSTMBlockFusedCell._call_cell</c>
/// and <c>LSTMBlockWrapper.call</c>; DeepSpeech.py <c>rnn_impl_lstmblockfusedcell</c> uses forget_bias=0): batch-major
/// input transposed to [time, batch, input], seq_len_max = Cast(Max(seq_length), int64), zero peephole vectors (Const
/// after freezing), BlockLSTM with cell_clip −1, the outputs multiplied by the transposed sequence_mask, then the
/// [−1, cell] reshape and layer_6's MatMul + BiasAdd to logits. No real DeepSpeech file is in the fixtures.
/// </summary>
public sealed class DeepSpeechBlockLstmGraphTests
{
    [Fact]
    public void BlockLstmAcousticModelTail_LogitsEqualAHandComputedLstmMaskedAndProjected()
    {
        const int T = 4, B = 2, I = 3, C = 2, Classes = 5;
        var rng = new Random(21);
        var x = LstmReference.Rand(rng, B * T * I, 1); // batch-major, as DeepSpeech's input_node
        var kernel = LstmReference.Rand(rng, (I + C) * 4 * C, 0.7);
        var bias = LstmReference.Rand(rng, 4 * C, 0.5);
        var c0 = LstmReference.Rand(rng, B * C, 0.5);
        var h0 = LstmReference.Rand(rng, B * C, 0.5);
        var w6 = LstmReference.Rand(rng, C * Classes, 1);
        var b6 = LstmReference.Rand(rng, Classes, 0.3);
        int[] seqLength = [3, 2];

        var b = new GraphBuilder();
        var input = b.Placeholder(DataType.DtFloat, [B, T, I], "input_node");
        var lengths = b.Placeholder(DataType.DtInt32, [B], "input_lengths");
        var prevC = b.Placeholder(DataType.DtFloat, [B, C], "previous_state_c");
        var prevH = b.Placeholder(DataType.DtFloat, [B, C], "previous_state_h");
        var timeMajor = b.Transpose(input, [1, 0, 2]);
        const string scope = "cudnn_lstm/rnn/multi_rnn_cell/cell_0/cudnn_compatible_lstm_cell";
        var w = b.Constant(Tensor.Create(LstmReference.F32(kernel), I + C, 4 * C), scope + "/kernel");
        var bi = b.Constant(Tensor.Create(LstmReference.F32(bias), 4 * C), scope + "/bias");
        var zeros = b.Constant(Tensor.Create(new float[C], C), scope + "/zeros");
        var seqLenMax = b.Cast(b.ReduceMax(lengths, [0]), DataType.DtInt64, scope + "/ToInt64");
        var attrs = new Dictionary<string, AttrValue>
        {
            ["forget_bias"] = Attrs.Float(0f), ["cell_clip"] = Attrs.Float(-1f), ["use_peephole"] = Attrs.Bool(false),
        };
        var lstm = b.AddOperation("BlockLSTM", [seqLenMax, timeMajor, prevC, prevH, w, zeros, zeros, zeros, bi], attrs, scope + "/BlockLSTM");
        // sequence_mask(lengths, T): range(T) < lengths[:, None], cast to float, transposed to [T, B], tiled over units.
        var mask = b.Cast(b.Less(b.ExpandDims(b.Range(0, T), 0), b.ExpandDims(lengths, 1)), DataType.DtFloat);
        var tiled = b.Tile(b.ExpandDims(b.Transpose(mask, [1, 0]), -1), b.Constant([1, 1, C]));
        var outputs = b.Multiply(b.OutputOf(lstm, 6), tiled, "mul");
        var flat = b.Reshape(outputs, [-1, C]);
        var logits = b.BiasAdd(b.MatMul(flat, b.Constant(Tensor.Create(LstmReference.F32(w6), C, Classes), "layer_6/weights")),
            b.Constant(Tensor.Create(LstmReference.F32(b6), Classes), "layer_6/bias"));
        var raw = b.Reshape(logits, [T, B, Classes], "raw_logits");

        using var s = new Session(b.Graph);
        var got = s.Run([raw.Name], new Dictionary<string, Tensor>
        {
            ["input_node:0"] = Tensor.Create(LstmReference.F32(x), B, T, I), ["input_lengths:0"] = Tensor.Create(seqLength, B),
            ["previous_state_c:0"] = Tensor.Create(LstmReference.F32(c0), B, C), ["previous_state_h:0"] = Tensor.Create(LstmReference.F32(h0), B, C),
        })[0].ToArray<float>();

        // Reference: time-major copy of x, the double LSTM up to max(seq_length), masked, projected.
        var xt = new double[T * B * I];
        for (int t = 0; t < T; t++)
            for (int bb = 0; bb < B; bb++)
                for (int k = 0; k < I; k++) xt[(t * B + bb) * I + k] = x[(bb * T + t) * I + k];
        var p = new LstmReference.Params(xt, c0, h0, kernel, new double[C], new double[C], new double[C], bias);
        var h = LstmReference.Run(p, T, B, I, C, 0, -1, peephole: false, ifco: false, seqLenMax: seqLength.Max())[6];
        Assert.Equal(T * B * Classes, got.Length);
        for (int t = 0; t < T; t++)
            for (int bb = 0; bb < B; bb++)
                for (int k = 0; k < Classes; k++)
                {
                    double e = b6[k];
                    for (int j = 0; j < C; j++) e += (t < seqLength[bb] ? h[(t * B + bb) * C + j] : 0) * w6[j * Classes + k];
                    double a = got[(t * B + bb) * Classes + k];
                    Assert.True(Math.Abs(e - a) <= 1e-5, $"logit[{t},{bb},{k}]: expected {e}, got {a}");
                }
    }
}
