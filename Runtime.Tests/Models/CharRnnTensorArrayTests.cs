using TypedGraph.Formats;
using TypedGraph.Tests.Support;

namespace TypedGraph.Tests.Models;

/// <summary>
/// The TF 1.4 char-RNN (<c>char_rnn_tensorarray</c>): its dynamic_rnn while loop (TensorArrayV3 scatter/read/
/// write/gather, sequence-length masking) and its gradient loop (StackV2/Push/Pop, TensorArrayGradV3) run from
/// the .meta as TF wrote it, checked against a BasicLSTMCell unrolled by hand in this file from the checkpoint's
/// weights.
/// </summary>
public class CharRnnTensorArrayTests
{
    private const int Steps = 158, Vocab = 92, Embed = 100, Hidden = 300;

    /// <summary>The checkpoint's weights, read directly from the files (not through the session).</summary>
    private sealed class Weights
    {
        public required float[] Emb, WIn, BIn, Kernel, Bias, WOut, BOut;

        public static Weights FromCheckpoint()
        {
            using var r = CheckpointReader.Open(Fixtures.Path("char_rnn_tensorarray", "model.ckpt"));
            return new Weights
            {
                Emb = r.Read("embedding_matrix").ToArray<float>(),
                WIn = r.Read("W_in").ToArray<float>(),
                BIn = r.Read("b_in").ToArray<float>(),
                Kernel = r.Read("rnn/basic_lstm_cell/kernel").ToArray<float>(),
                Bias = r.Read("rnn/basic_lstm_cell/bias").ToArray<float>(),
                WOut = r.Read("W_out").ToArray<float>(),
                BOut = r.Read("b_out").ToArray<float>(),
            };
        }
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>
    /// The model by hand: embedding → W_in/b_in → BasicLSTMCell (TF's rnn_cell_impl.BasicLSTMCell: one matmul of
    /// [input, h] with the kernel, gates split in the order i, j, f, o, c' = c·σ(f + forget_bias 1.0) + σ(i)·tanh(j),
    /// h' = tanh(c')·σ(o)) → W_out/b_out. dynamic_rnn with sequence_length: past a sequence's end the output is
    /// zero and the state is carried unchanged. Returns logits [batch, Steps, Vocab].
    /// </summary>
    private static double[] ReferenceLogits(Weights w, int[] ids, int[] lengths)
    {
        int batch = lengths.Length;
        var logits = new double[batch * Steps * Vocab];
        var z = new double[4 * Hidden];
        var input = new double[2 * Hidden];
        for (int b = 0; b < batch; b++)
        {
            var c = new double[Hidden];
            var h = new double[Hidden];
            for (int t = 0; t < Steps; t++)
            {
                var output = new double[Hidden];
                if (t < lengths[b])
                {
                    int id = ids[b * Steps + t];
                    for (int k = 0; k < Hidden; k++)
                    {
                        double s = w.BIn[k];
                        for (int e = 0; e < Embed; e++) s += (double)w.Emb[id * Embed + e] * w.WIn[e * Hidden + k];
                        input[k] = s;
                        input[Hidden + k] = h[k];
                    }
                    for (int g = 0; g < 4 * Hidden; g++)
                    {
                        double s = w.Bias[g];
                        for (int r = 0; r < 2 * Hidden; r++) s += input[r] * w.Kernel[r * 4 * Hidden + g];
                        z[g] = s;
                    }
                    for (int k = 0; k < Hidden; k++)
                    {
                        double i = z[k], j = z[Hidden + k], f = z[2 * Hidden + k], o = z[3 * Hidden + k];
                        c[k] = c[k] * Sigmoid(f + 1.0) + Sigmoid(i) * Math.Tanh(j);
                        h[k] = Math.Tanh(c[k]) * Sigmoid(o);
                        output[k] = h[k];
                    }
                }
                for (int v = 0; v < Vocab; v++)
                {
                    double s = w.BOut[v];
                    for (int k = 0; k < Hidden; k++) s += output[k] * w.WOut[k * Vocab + v];
                    logits[(b * Steps + t) * Vocab + v] = s;
                }
            }
        }
        return logits;
    }

    private static (MetaGraph Meta, Session Session) Restored()
    {
        var meta = MetaGraph.Load(Fixtures.Path("char_rnn_tensorarray", "model.ckpt.meta"));
        var session = new Session(meta.Graph);
        session.Restore(Fixtures.Path("char_rnn_tensorarray"), meta.SaverDef);
        return (meta, session);
    }

    private static Dictionary<string, Tensor> Feeds(int[] ids, int[] lengths) => new()
    {
        ["x_raw_input:0"] = Tensor.Create(ids, lengths.Length, Steps),
        ["length_of_each_sequence:0"] = Tensor.Create(lengths),
        ["batch_size:0"] = Tensor.FromScalar(lengths.Length),
    };

    [Fact]
    public void Logits_MatchAHandUnrolledBasicLstm_WithSequenceLengthMasking()
    {
        var w = Weights.FromCheckpoint();
        var (_, session) = Restored();
        using var _s = session;
        var rng = new Random(5);
        int[] lengths = [Steps, 7];
        var ids = Enumerable.Range(0, lengths.Length * Steps).Select(_ => rng.Next(Vocab)).ToArray();
        var r = session.Run(["logits:0", "prediction:0"], Feeds(ids, lengths));
        Assert.Equal([2, Steps, Vocab], r[0].Shape.ToArray());
        var got = r[0].ToArray<float>();
        var expected = ReferenceLogits(w, ids, lengths);
        double worst = 0;
        for (int i = 0; i < got.Length; i++)
            worst = Math.Max(worst, Math.Abs(got[i] - expected[i]) / Math.Max(1, Math.Abs(expected[i])));
        Assert.True(worst < 1e-5, $"largest relative logit error {worst}");
        // Past the second sequence's end the cell output is zero, so its logits are exactly b_out.
        for (int v = 0; v < Vocab; v++) Assert.Equal(w.BOut[v], got[(1 * Steps + 100) * Vocab + v]);
        // prediction = argmax over the vocabulary.
        var pred = r[1].ToArray<int>();
        for (int p = 0; p < 2 * Steps; p++)
        {
            int best = 0;
            for (int v = 1; v < Vocab; v++) if (expected[p * Vocab + v] > expected[p * Vocab + best]) best = v;
            Assert.Equal(best, pred[p]);
        }
    }

    [Fact]
    public void GreedySampling_FollowsTheHandUnrolledModel()
    {
        var w = Weights.FromCheckpoint();
        var (_, session) = Restored();
        using var _s = session;
        var ids = new int[Steps];
        ids[0] = 40;
        for (int len = 1; len <= 4; len++)
        {
            var pred = session.Run(["prediction:0"], Feeds(ids, [len]))[0].ToArray<int>();
            var logits = ReferenceLogits(w, ids, [len]);
            int best = 0;
            for (int v = 1; v < Vocab; v++) if (logits[(len - 1) * Vocab + v] > logits[(len - 1) * Vocab + best]) best = v;
            Assert.Equal(best, pred[len - 1]);
            ids[len] = best;
        }
    }
}
