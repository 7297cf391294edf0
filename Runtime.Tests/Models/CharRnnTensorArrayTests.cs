using TypedGraph.Formats;
using TypedGraph.Tests.Support;

namespace TypedGraph.Tests.Models;

/// <summary>
/// The TF 1.4 char-RNN (<c>char_rnn_tensorarray</c>): its dynamic_rnn while loop (TensorArrayV3 scatter/read/
/// write/gather, sequence-length masking) and its gradient loop (StackV2/Push/Pop, TensorArrayGradV3) run from
/// the .meta as TF wrote it, checked against a BasicLSTMCell unrolled by hand in this file from the checkpoint's
/// weights.
/// </summary>
public partial class CharRnnTensorArrayTests
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

    /// <summary>
    /// Hand BPTT of the graph's loss, <c>sequence_loss = Σ mask·CE(logits, y) / (Σ mask + 1e-12)</c> with mask = t &lt; len,
    /// through W_out, the masked BasicLSTMCell steps (backwards from each sequence's last valid step: past it the
    /// output is a constant zero and the state is carried, so nothing flows there), W_in/b_in and the embedding rows.
    /// Returns the gradients in the checkpoint's layouts.
    /// </summary>
    private static Dictionary<string, double[]> ReferenceGradients(Weights w, int[] ids, int[] labels, int[] lengths)
    {
        int batch = lengths.Length, G = 4 * Hidden;
        var d = new Dictionary<string, double[]>
        {
            ["embedding_matrix"] = new double[Vocab * Embed], ["W_in"] = new double[Embed * Hidden], ["b_in"] = new double[Hidden],
            ["rnn/basic_lstm_cell/kernel"] = new double[2 * Hidden * G], ["rnn/basic_lstm_cell/bias"] = new double[G],
            ["W_out"] = new double[Hidden * Vocab], ["b_out"] = new double[Vocab],
        };
        double n = lengths.Sum() + 1e-12;
        for (int b = 0; b < batch; b++)
        {
            int len = lengths[b];
            // Forward, keeping what the backward pass needs.
            var xs = new double[len][];
            var zs = new double[len][];
            var cs = new double[len + 1][];
            var hs = new double[len + 1][];
            cs[0] = new double[Hidden];
            hs[0] = new double[Hidden];
            for (int t = 0; t < len; t++)
            {
                int id = ids[b * Steps + t];
                var x = new double[2 * Hidden];
                for (int k = 0; k < Hidden; k++)
                {
                    double s = w.BIn[k];
                    for (int e = 0; e < Embed; e++) s += (double)w.Emb[id * Embed + e] * w.WIn[e * Hidden + k];
                    x[k] = s;
                    x[Hidden + k] = hs[t][k];
                }
                var z = new double[G];
                for (int g = 0; g < G; g++)
                {
                    double s = w.Bias[g];
                    for (int r = 0; r < 2 * Hidden; r++) s += x[r] * w.Kernel[r * G + g];
                    z[g] = s;
                }
                var c = new double[Hidden];
                var h = new double[Hidden];
                for (int k = 0; k < Hidden; k++)
                {
                    c[k] = cs[t][k] * Sigmoid(z[2 * Hidden + k] + 1.0) + Sigmoid(z[k]) * Math.Tanh(z[Hidden + k]);
                    h[k] = Math.Tanh(c[k]) * Sigmoid(z[3 * Hidden + k]);
                }
                xs[t] = x;
                zs[t] = z;
                cs[t + 1] = c;
                hs[t + 1] = h;
            }
            // Backward.
            var dhNext = new double[Hidden];
            var dcNext = new double[Hidden];
            for (int t = len - 1; t >= 0; t--)
            {
                var h = hs[t + 1];
                var logits = new double[Vocab];
                double max = double.NegativeInfinity;
                for (int v = 0; v < Vocab; v++)
                {
                    double s = w.BOut[v];
                    for (int k = 0; k < Hidden; k++) s += h[k] * w.WOut[k * Vocab + v];
                    logits[v] = s;
                    max = Math.Max(max, s);
                }
                double sum = logits.Sum(l => Math.Exp(l - max));
                var dh = (double[])dhNext.Clone();
                for (int v = 0; v < Vocab; v++)
                {
                    double dl = (Math.Exp(logits[v] - max) / sum - (v == labels[b * Steps + t] ? 1 : 0)) / n;
                    d["b_out"][v] += dl;
                    for (int k = 0; k < Hidden; k++)
                    {
                        d["W_out"][k * Vocab + v] += h[k] * dl;
                        dh[k] += dl * w.WOut[k * Vocab + v];
                    }
                }
                var z = zs[t];
                var dz = new double[G];
                for (int k = 0; k < Hidden; k++)
                {
                    double i = Sigmoid(z[k]), j = Math.Tanh(z[Hidden + k]), f = Sigmoid(z[2 * Hidden + k] + 1.0), o = Sigmoid(z[3 * Hidden + k]);
                    double tc = Math.Tanh(cs[t + 1][k]);
                    double dc = dh[k] * o * (1 - tc * tc) + dcNext[k];
                    dz[k] = dc * j * i * (1 - i);
                    dz[Hidden + k] = dc * i * (1 - j * j);
                    dz[2 * Hidden + k] = dc * cs[t][k] * f * (1 - f);
                    dz[3 * Hidden + k] = dh[k] * tc * o * (1 - o);
                    dcNext[k] = dc * f;
                }
                var dx = new double[2 * Hidden];
                var x = xs[t];
                for (int r = 0; r < 2 * Hidden; r++)
                {
                    double s = 0;
                    for (int g = 0; g < G; g++)
                    {
                        d["rnn/basic_lstm_cell/kernel"][r * G + g] += x[r] * dz[g];
                        s += dz[g] * w.Kernel[r * G + g];
                    }
                    dx[r] = s;
                }
                for (int g = 0; g < G; g++) d["rnn/basic_lstm_cell/bias"][g] += dz[g];
                int id = ids[b * Steps + t];
                for (int k = 0; k < Hidden; k++)
                {
                    d["b_in"][k] += dx[k];
                    for (int e = 0; e < Embed; e++)
                    {
                        d["W_in"][e * Hidden + k] += w.Emb[id * Embed + e] * dx[k];
                        d["embedding_matrix"][id * Embed + e] += dx[k] * w.WIn[e * Hidden + k];
                    }
                    dhNext[k] = dx[Hidden + k];
                }
            }
        }
        return d;
    }

    // The graph's learning rate is 0.0005 + 0.0095·e^(-decay): decay 0 gives 0.01.
    private static Dictionary<string, Tensor> TrainFeeds(int[] ids, int[] labels, int[] lengths, float decay = 0)
    {
        var f = Feeds(ids, lengths);
        f["y_target_label:0"] = Tensor.Create(labels, lengths.Length, Steps);
        f["decay_iter_divide_decay_speed:0"] = Tensor.FromScalar(decay);
        return f;
    }

    [Fact]
    public void OneStepOfTheGraphsOwnTrainOp_EqualsTheHandBpttUpdate()
    {
        var w = Weights.FromCheckpoint();
        var (_, session) = Restored();
        using var _s = session;
        var rng = new Random(9);
        int[] lengths = [5, 3];
        var ids = Enumerable.Range(0, lengths.Length * Steps).Select(_ => rng.Next(Vocab)).ToArray();
        ids[1 * Steps + 0] = ids[0]; // a repeated character: its embedding row gets two ScatterSub contributions
        var labels = Enumerable.Range(0, lengths.Length * Steps).Select(_ => rng.Next(Vocab)).ToArray();
        session.Run([], TrainFeeds(ids, labels, lengths), ["GradientDescent"]);

        const double lr = 0.0005 + 0.0095;
        var grads = ReferenceGradients(w, ids, labels, lengths);
        var before = new Dictionary<string, float[]>
        {
            ["embedding_matrix"] = w.Emb, ["W_in"] = w.WIn, ["b_in"] = w.BIn, ["rnn/basic_lstm_cell/kernel"] = w.Kernel,
            ["rnn/basic_lstm_cell/bias"] = w.Bias, ["W_out"] = w.WOut, ["b_out"] = w.BOut,
        };
        foreach (var (name, g) in grads)
        {
            var got = session.Run(name + ":0").ToArray<float>();
            double worst = 0, moved = 0;
            int at = -1;
            for (int i = 0; i < got.Length; i++)
            {
                double expected = before[name][i] - lr * g[i];
                // float32 storage: a few ulps of the weight, plus float32 rounding inside the step's own gradient.
                double err = Math.Abs(got[i] - expected) / (4e-7 * Math.Max(1, Math.Abs(expected)) + 1e-3 * lr * Math.Abs(g[i]));
                if (err > worst) (worst, at) = (err, i);
                moved += Math.Abs(got[i] - before[name][i]);
            }
            Assert.True(worst <= 1, $"{name}[{at}]: got {got[Math.Max(at, 0)]}, expected {before[name][Math.Max(at, 0)] - lr * g[Math.Max(at, 0)]} (gradient {g[Math.Max(at, 0)]})");
            Assert.True(moved > 0, $"{name} did not change");
        }
        // Rows of characters that were not in the batch stay exactly as they were.
        var emb = session.Run("embedding_matrix:0").ToArray<float>();
        var used = new HashSet<int>(Enumerable.Range(0, lengths.Length).SelectMany(b => Enumerable.Range(0, lengths[b]).Select(t => ids[b * Steps + t])));
        for (int row = 0; row < Vocab; row++)
            if (!used.Contains(row))
                for (int e = 0; e < Embed; e++) Assert.Equal(w.Emb[row * Embed + e], emb[row * Embed + e]);
    }

    [Fact]
    public void LossFallsOverSeveralTrainingSteps()
    {
        var (_, session) = Restored();
        using var _s = session;
        var rng = new Random(13);
        int[] lengths = [12, 9];
        var ids = Enumerable.Range(0, lengths.Length * Steps).Select(_ => rng.Next(Vocab)).ToArray();
        var labels = Enumerable.Range(0, lengths.Length * Steps).Select(_ => rng.Next(Vocab)).ToArray();
        // lr ≈ 0.00097: at 0.01 these weights overshoot (one step 7.1 → 4.2, then it oscillates).
        var feeds = TrainFeeds(ids, labels, lengths, decay: 3);
        var losses = new List<float>();
        for (int step = 0; step < 4; step++)
        {
            losses.Add(session.Run(["sequence_loss/truediv:0"], feeds)[0].Scalar<float>());
            session.Run([], feeds, ["GradientDescent"]);
        }
        losses.Add(session.Run(["sequence_loss/truediv:0"], feeds)[0].Scalar<float>());
        for (int i = 1; i < losses.Count; i++) Assert.True(losses[i] < losses[i - 1], "losses: " + string.Join(", ", losses));
    }
}
