using TypedGraph.Formats;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;

namespace TypedGraph.Tests.Models;

/// <summary>mnist_fc2, rnn_model and mnist_cnn_meta forward passes against plain reference code.</summary>
public class RealModelForwardTests
{
    private static float[] Read(CheckpointReader r, string name) => r.Read(name).ToArray<float>();

    private static float[] RandomInputs(int n, int seed, float lo, float hi)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(lo + rng.NextDouble() * (hi - lo))).ToArray();
    }

    /// <summary>y[r, :] = act(x[r, :]·w + b), row-major, in double.</summary>
    private static double[] Dense(double[] x, int rows, int inDim, float[] w, float[] b, int outDim, bool relu)
    {
        var y = new double[rows * outDim];
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < outDim; o++)
            {
                double z = b[o];
                for (int i = 0; i < inDim; i++) z += x[r * inDim + i] * w[i * outDim + o];
                y[r * outDim + o] = relu ? Math.Max(0, z) : z;
            }
        return y;
    }

    private static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));

    [Fact]
    public void MnistFc2SoftmaxMatchesANaiveForwardPass()
    {
        var meta = MetaGraph.Load(Fixtures.Path("mnist_fc2", "fc2.ckpt.meta"));
        using var session = new Session(meta.Graph);
        var prefix = Fixtures.Path("mnist_fc2", "fc2.ckpt");
        session.Restore(prefix, meta.SaverDef);
        const int batch = 6;
        var x = RandomInputs(batch * 784, 3, 0, 1);
        var probs = session.Run("output/sm:0", ("input/x:0", Tensor.Create(x, batch, 784)));
        Assert.Equal(new TensorShape(batch, 10), probs.Shape);

        using var r = CheckpointReader.Open(prefix);
        var h1 = Dense(x.Select(v => (double)v).ToArray(), batch, 784, Read(r, "h1/w"), Read(r, "h1/b"), 100, relu: true);
        var h2 = Dense(h1, batch, 100, Read(r, "h2/w"), Read(r, "h2/b"), 25, relu: true);
        var logits = Dense(h2, batch, 25, Read(r, "output/w"), Read(r, "output/b"), 10, relu: false);
        var p = probs.ToArray<float>();
        for (int row = 0; row < batch; row++)
        {
            var z = logits.Skip(row * 10).Take(10).ToArray();
            double max = z.Max(), sum = z.Sum(v => Math.Exp(v - max));
            for (int c = 0; c < 10; c++)
                Assert.True(Math.Abs(Math.Exp(z[c] - max) / sum - p[row * 10 + c]) < 1e-5, $"row {row} class {c}: {p[row * 10 + c]}");
            Assert.Equal(1.0, p.Skip(row * 10).Take(10).Sum(v => (double)v), 5);
        }
        // global_step came back too (an int32 variable).
        Assert.Equal(20000, session.Run("global_step:0").Scalar<int>());
    }

    [Fact]
    public void RnnModelMatchesAPlainLstmReference()
    {
        var meta = MetaGraph.Load(Fixtures.Path("rnn_model", "model.ckpt.meta"));
        using var session = new Session(meta.Graph);
        session.Restore(Fixtures.Path("rnn_model"), meta.SaverDef);
        const int batch = 3, steps = 10, units = 80;
        var input = RandomInputs(batch * steps, 5, -1, 1);           // [batch, 10, 1]
        var istate = RandomInputs(batch * 2 * units, 6, -0.5f, 0.5f); // [batch, 160] = (c, h)
        var feeds = new Dictionary<string, Tensor>
        {
            ["input:0"] = Tensor.Create(input, batch, steps, 1),
            ["istate:0"] = Tensor.Create(istate, batch, 2 * units),
        };
        var output = session.Run(["inference/add_1:0"], feeds)[0];
        Assert.Equal(new TensorShape(batch, 1), output.Shape);

        using var r = CheckpointReader.Open(Fixtures.Path("rnn_model", "model.ckpt"));
        float[] w1 = Read(r, "inference/weight1"), b1 = Read(r, "inference/bias1"), w2 = Read(r, "inference/weight2"), b2 = Read(r, "inference/bias2");
        float[] w = Read(r, "rnn/basic_lstm_cell/weights"), b = Read(r, "rnn/basic_lstm_cell/biases");
        var expected = new double[batch];
        for (int n = 0; n < batch; n++)
        {
            var c = istate.Skip(n * 160).Take(units).Select(v => (double)v).ToArray();
            var h = istate.Skip(n * 160 + units).Take(units).Select(v => (double)v).ToArray();
            for (int t = 0; t < steps; t++)
            {
                // BasicLSTMCell (TF 1.1, state_is_tuple=False, forget_bias 0.8): [x, h]·W + b → i, j, f, o.
                var xin = new double[160];
                for (int k = 0; k < units; k++) xin[k] = input[n * steps + t] * w1[k] + b1[k];
                Array.Copy(h, 0, xin, units, units);
                var gates = new double[320];
                for (int g = 0; g < 320; g++)
                {
                    double z = b[g];
                    for (int k = 0; k < 160; k++) z += xin[k] * w[k * 320 + g];
                    gates[g] = z;
                }
                for (int k = 0; k < units; k++)
                {
                    double i = gates[k], j = gates[units + k], f = gates[2 * units + k], o = gates[3 * units + k];
                    c[k] = c[k] * Sigmoid(f + 0.8) + Sigmoid(i) * Math.Tanh(j);
                    h[k] = Math.Tanh(c[k]) * Sigmoid(o);
                }
            }
            expected[n] = b2[0] + Enumerable.Range(0, units).Sum(k => h[k] * w2[k]);
        }
        var got = output.ToArray<float>();
        for (int n = 0; n < batch; n++) Assert.True(Math.Abs(expected[n] - got[n]) < 1e-5, $"sample {n}: {got[n]} vs {expected[n]}");
    }

    [Fact]
    public void RnnModelSummaryOpsExecute()
    {
        var meta = MetaGraph.Load(Fixtures.Path("rnn_model", "model.ckpt.meta"));
        using var session = new Session(meta.Graph);
        session.Restore(Fixtures.Path("rnn_model"), meta.SaverDef);
        var feeds = new Dictionary<string, Tensor>
        {
            ["input:0"] = Tensor.Create(RandomInputs(20, 1, -1, 1), 2, 10, 1),
            ["istate:0"] = Tensor.Zeros(DataType.DtFloat, new TensorShape(2, 160)),
            ["supervisor:0"] = Tensor.Create(new float[] { 0.5f, -0.5f }, 2, 1),
        };
        var r = session.Run(["Merge/MergeSummary:0", "loss/Mean:0"], feeds);
        var summary = Summary.Parser.ParseFrom(r[0].Strings[0]);
        Assert.Equal(["inference/weights1", "inference/weights2", "inference/biases1", "inference/biases2", "inference/output", "loss/loss"],
            summary.Value.Select(v => v.Tag));
        Assert.Equal(r[1].Scalar<float>(), summary.Value[5].SimpleValue);
        Assert.Equal(80, summary.Value[0].Histo.Num);
        Assert.Equal(2, summary.Value[4].Histo.Num);
    }

    /// <summary>NHWC conv, stride 1, SAME (TF pads (k−1)/2 before and the rest after), then bias and ReLU, in double.</summary>
    private static double[] ConvSameReluNaive(double[] x, int n, int h, int w, int cin, float[] filter, int k, int cout, float[] bias)
    {
        int padTop = (k - 1) / 2, padLeft = (k - 1) / 2;
        var y = new double[n * h * w * cout];
        for (int b = 0; b < n; b++)
            for (int i = 0; i < h; i++)
                for (int j = 0; j < w; j++)
                    for (int o = 0; o < cout; o++)
                    {
                        double z = bias[o];
                        for (int di = 0; di < k; di++)
                            for (int dj = 0; dj < k; dj++)
                            {
                                int si = i + di - padTop, sj = j + dj - padLeft;
                                if (si < 0 || si >= h || sj < 0 || sj >= w) continue;
                                for (int c = 0; c < cin; c++)
                                    z += x[((b * h + si) * w + sj) * cin + c] * filter[((di * k + dj) * cin + c) * cout + o];
                            }
                        y[((b * h + i) * w + j) * cout + o] = Math.Max(0, z);
                    }
        return y;
    }

    /// <summary>2×2 max pool, stride 2, on even sizes (SAME adds no padding there), NHWC.</summary>
    private static double[] MaxPool2x2(double[] x, int n, int h, int w, int c)
    {
        var y = new double[n * (h / 2) * (w / 2) * c];
        for (int b = 0; b < n; b++)
            for (int i = 0; i < h / 2; i++)
                for (int j = 0; j < w / 2; j++)
                    for (int ch = 0; ch < c; ch++)
                    {
                        double m = double.NegativeInfinity;
                        for (int di = 0; di < 2; di++)
                            for (int dj = 0; dj < 2; dj++) m = Math.Max(m, x[((b * h + 2 * i + di) * w + 2 * j + dj) * c + ch]);
                        y[((b * (h / 2) + i) * (w / 2) + j) * c + ch] = m;
                    }
        return y;
    }

    [Fact]
    public void MnistCnnSoftmaxMatchesANaiveForwardPassOverItsVariables()
    {
        // The fixture has no checkpoint: its variables come from the graph's own initializers (truncated normal filters and
        // weights, biases 0.1), read back from the session, and the naive LeNet below (structure from SOURCE.md and the .meta:
        // 28×28×1 → conv5×5×6 SAME + ReLU → maxpool 2 → conv5×5×16 SAME + ReLU → maxpool 2 → 784 → 200 ReLU → dropout
        // (pkeep 1) → 10 → softmax) recomputes `y` from them.
        var meta = MetaGraph.Load(Fixtures.Path("mnist_cnn_meta", "cnn.ckpt.meta"));
        using var session = new Session(meta.Graph);
        session.Initialize();
        const int batch = 3;
        var xs = RandomInputs(batch * 784, 9, 0, 1);
        var y = session.Run(["y:0"], new Dictionary<string, Tensor> { ["x:0"] = Tensor.Create(xs, batch, 784), ["pkeep:0"] = Tensor.FromScalar(1f) })[0];
        Assert.Equal(new TensorShape(batch, 10), y.Shape);

        float[] V(string name) => session.Run(name + ":0").ToArray<float>();
        Assert.Equal(Enumerable.Repeat(0.1f, 6), V("Variable_4")); // the graph's bias initializer: ones / 10
        var c1 = ConvSameReluNaive(xs.Select(v => (double)v).ToArray(), batch, 28, 28, 1, V("Variable"), 5, 6, V("Variable_4"));
        var p1 = MaxPool2x2(c1, batch, 28, 28, 6);
        var c2 = ConvSameReluNaive(p1, batch, 14, 14, 6, V("Variable_1"), 5, 16, V("Variable_5"));
        var p2 = MaxPool2x2(c2, batch, 14, 14, 16); // [batch, 7, 7, 16] → flattened in NHWC order = 784
        var h = Dense(p2, batch, 784, V("Variable_2"), V("Variable_6"), 200, relu: true);
        var logits = Dense(h, batch, 200, V("Variable_3"), V("Variable_7"), 10, relu: false);
        var p = y.ToArray<float>();
        for (int row = 0; row < batch; row++)
        {
            var z = logits.Skip(row * 10).Take(10).ToArray();
            double max = z.Max(), sum = z.Sum(v => Math.Exp(v - max));
            for (int c = 0; c < 10; c++)
            {
                double expected = Math.Exp(z[c] - max) / sum;
                Assert.True(Math.Abs(expected - p[row * 10 + c]) < 1e-5, $"row {row} class {c}: {p[row * 10 + c]} vs {expected}");
            }
        }
        // The logits are not all alike (the check above would be weak on a flat softmax).
        Assert.True(logits.Max() - logits.Min() > 0.1, $"logits span only {logits.Max() - logits.Min()}");
    }
}
