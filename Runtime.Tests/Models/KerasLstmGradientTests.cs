using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using TypedGraph.Training;

namespace TypedGraph.Tests.Models;

/// <summary>
/// Fine-tuning the TF 2.15 Keras LSTM SavedModel (<c>keras_lstm_savedmodel_tf2</c>): loss = Σ serving output, whose
/// LSTM runs in a StatelessWhile inside PartitionedCall(standard_lstm) inside the signature's StatefulPartitionedCall,
/// differentiated by <see cref="Gradients.Compute"/> (which lowers those functional ops to TF1 control flow) with
/// respect to the LSTM's resource variables <c>kernel</c>, <c>recurrent_kernel</c> and <c>bias</c>. Checked against
/// central differences of the same model written in double precision here (Keras LSTMCell: gates i, f, c, o in
/// column blocks, sigmoid / tanh, zero initial state, last h; the Dense layers and the concatenation), and one SGD
/// step through our optimizer lowers the loss by updating exactly those variables.
/// </summary>
public sealed class KerasLstmGradientTests
{
    private const int Units = 64, Steps = 13, Batch = 2;
    private static readonly string[] s_lstm = ["lstm/lstm_cell/kernel", "lstm/lstm_cell/recurrent_kernel", "lstm/lstm_cell/bias"];

    private static string Dir => Fixtures.Path("keras_lstm_savedmodel_tf2");

    /// <summary>Every float variable gets values in [−0.5, 0.5) from a fixed seed (int64 `iteration` gets 7).</summary>
    private static Dictionary<string, float[]> Assign(Session session, Dictionary<string, float[]>? values = null)
    {
        var rng = new Random(20261203);
        values ??= new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var node in session.Graph.Nodes.Where(n => n.Op == "VarHandleOp").OrderBy(n => n.Name, StringComparer.Ordinal))
        {
            var name = node.GetString("shared_name");
            var slot = session.State.Variable(name);
            if (node.GetType("dtype") == DataType.DtInt64)
            {
                slot.Value = Tensor.FromScalar(7L);
                continue;
            }
            var dims = node.GetShape("shape")!.Dim.Select(d => (int)d.Size).ToArray();
            if (!values.TryGetValue(name, out var v))
            {
                v = new float[dims.Aggregate(1, (a, b) => a * b)];
                for (int i = 0; i < v.Length; i++) v[i] = (float)(rng.NextDouble() - 0.5);
                values[name] = v;
            }
            slot.Value = Tensor.Create(v, dims);
        }
        return values;
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    private static double[] Dense(double[] x, float[] w, float[] b, int outDim, Func<double, double> act)
    {
        var y = new double[outDim];
        for (int j = 0; j < outDim; j++)
        {
            double s = b[j];
            for (int i = 0; i < x.Length; i++) s += x[i] * w[i * outDim + j];
            y[j] = act(s);
        }
        return y;
    }

    /// <summary>Σ over the batch of the model's output, in double, with the LSTM's weights given separately.</summary>
    private static double Loss(Dictionary<string, float[]> v, double[] kernel, double[] recurrent, double[] bias, float[] in1, float[] in2)
    {
        double loss = 0;
        for (int b = 0; b < Batch; b++)
        {
            var x1 = in1[(b * 13)..((b + 1) * 13)].Select(f => (double)f).ToArray();
            var d1 = Dense(Dense(x1, v["dense/kernel"], v["dense/bias"], 64, x => Math.Max(x, 0)), v["dense_1/kernel"], v["dense_1/bias"], 1, Sigmoid);
            var h = new double[Units];
            var c = new double[Units];
            for (int t = 0; t < Steps; t++)
            {
                double xt = in2[b * Steps + t];
                var z = new double[4 * Units];
                for (int j = 0; j < 4 * Units; j++)
                {
                    double s = bias[j] + xt * kernel[j];
                    for (int u = 0; u < Units; u++) s += h[u] * recurrent[u * 4 * Units + j];
                    z[j] = s;
                }
                var next = new double[Units];
                for (int u = 0; u < Units; u++)
                {
                    double i = Sigmoid(z[u]), f = Sigmoid(z[Units + u]), g = Math.Tanh(z[2 * Units + u]), o = Sigmoid(z[3 * Units + u]);
                    c[u] = f * c[u] + i * g;
                    next[u] = o * Math.Tanh(c[u]);
                }
                h = next;
            }
            var d2 = Dense(h, v["dense_2/kernel"], v["dense_2/bias"], 1, Sigmoid);
            loss += Dense([d1[0], d2[0]], v["dense_3/kernel"], v["dense_3/bias"], 1, Sigmoid)[0];
        }
        return loss;
    }

    private static (float[] In1, float[] In2) Inputs()
    {
        var rng = new Random(7);
        var in1 = Enumerable.Range(0, Batch * 13).Select(_ => (float)(4 * (rng.NextDouble() - 0.5))).ToArray();
        var in2 = Enumerable.Range(0, Batch * Steps).Select(_ => (float)(4 * (rng.NextDouble() - 0.5))).ToArray();
        return (in1, in2);
    }

    [Fact]
    public void LossOfTheServingOutput_GradientsWrtLstmVariablesMatchCentralDifferences_AndAnSgdStepLowersTheLoss()
    {
        var (in1, in2) = Inputs();
        var meta = MetaGraph.Load(Dir);
        var sig = meta.Proto.SignatureDef["serving_default"];
        var feeds = new Dictionary<string, Tensor>
        {
            [sig.Inputs["input_1"].Name] = Tensor.Create(in1, Batch, 13),
            [sig.Inputs["input_2"].Name] = Tensor.Create(in2, Batch, Steps, 1),
        };
        var output = sig.Outputs["dense_3"].Name;

        // The un-lowered graph's forward values, for comparison.
        float[] unlowered;
        Dictionary<string, float[]> values;
        using (var plain = new Session(MetaGraph.Load(Dir).Graph))
        {
            values = Assign(plain);
            unlowered = plain.Run([output], feeds)[0].ToArray<float>();
        }

        var b = new GraphBuilder(meta.Graph);
        var handles = s_lstm.Select(name => b.OutputOf(b.Graph.Nodes.Single(n => n.Op == "VarHandleOp" && n.GetString("shared_name") == name))).ToArray();
        var loss = b.ReduceSum(b.GetTensor(output), [0, 1]);
        var grads = Gradients.Compute(b, [loss], handles);
        Assert.All(grads, g => Assert.NotNull(g));
        Assert.Equal("IdentityN", b.Graph.GetNode(TensorRef.Parse(output).NodeName).Op);
        Assert.Contains(b.Graph.Nodes, n => n.Op == "LoopCond"); // the LSTM's StatelessWhile became a TF1 frame

        const double lr = 0.5;
        long[][] shapes = [[1, 4 * Units], [Units, 4 * Units], [4 * Units]];
        var variables = s_lstm.Select((name, k) => new Variable(name, handles[k], handles[k], "", null, DataType.DtFloat, shapes[k], trainable: true, isResource: true)).ToArray();
        var train = new GradientDescentOptimizer(lr).ApplyGradients(b, grads.Select((g, k) => (g, variables[k])).ToList());

        using var session = new Session(b.Graph);
        Assign(session, values);
        var r = session.Run([output, loss.Name, .. grads.Select(g => g!.Value.Name)], feeds);
        // The lowered graph computes what the functional one did.
        Assert.Equal(unlowered, r[0].ToArray<float>());

        double[] kernel = values[s_lstm[0]].Select(f => (double)f).ToArray(), recurrent = values[s_lstm[1]].Select(f => (double)f).ToArray(), bias = values[s_lstm[2]].Select(f => (double)f).ToArray();
        double before = Loss(values, kernel, recurrent, bias, in1, in2);
        Assert.Equal(before, r[1].ToArray<float>()[0], 5);
        var rng = new Random(11);
        for (int k = 0; k < 3; k++)
        {
            var weights = new[] { kernel, recurrent, bias }[k];
            var graphGrad = r[2 + k].ToArray<float>();
            Assert.Equal(weights.Length, graphGrad.Length);
            // Every gate block of the kernel and bias, and 24 recurrent weights spread over rows and gates.
            var indices = k == 1 ? Enumerable.Range(0, 24).Select(_ => rng.Next(weights.Length)).ToArray() : Enumerable.Range(0, 16).Select(i => i * 16 + i % 7).ToArray();
            foreach (int i in indices)
            {
                double saved = weights[i];
                weights[i] = saved + 1e-5;
                double up = Loss(values, kernel, recurrent, bias, in1, in2);
                weights[i] = saved - 1e-5;
                double down = Loss(values, kernel, recurrent, bias, in1, in2);
                weights[i] = saved;
                double expected = (up - down) / 2e-5;
                Assert.True(Math.Abs(expected - graphGrad[i]) <= 2e-5 + 1e-3 * Math.Abs(expected), $"{s_lstm[k]}[{i}]: expected {expected}, got {graphGrad[i]}");
            }
        }

        // One SGD step: each LSTM variable moves by −lr·gradient and the loss falls.
        session.Run([], feeds, [train.Name]);
        for (int k = 0; k < 3; k++)
        {
            var after = session.State.FindVariable(s_lstm[k])!.Value!.ToArray<float>();
            var g = r[2 + k].ToArray<float>();
            for (int i = 0; i < after.Length; i++) Assert.Equal(values[s_lstm[k]][i] - (float)lr * g[i], after[i], 6);
        }
        var lossAfter = session.Run([loss.Name], feeds)[0].ToArray<float>()[0];
        Assert.True(lossAfter < r[1].ToArray<float>()[0] - 1e-4, $"loss {r[1].ToArray<float>()[0]} → {lossAfter}");
    }
}
