using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using TypedGraph.Training;

namespace TypedGraph.Tests.Training;

/// <summary>TF-written training graphs continue training in .NET through their own train ops.</summary>
public class ResumeTrainingTests
{
    private static (GraphBuilder B, Session S, MetaGraphDef Meta) Restore(string folder, string meta, string? prefix = null)
    {
        var m = MetaGraphDef.Parser.ParseFrom(File.ReadAllBytes(Fixtures.Path(folder, meta)));
        var b = GraphBuilder.FromMetaGraph(m);
        var s = new Session(b.Graph);
        Saver.FromSaverDef(b, m.SaverDef).Restore(s, prefix == null ? Fixtures.Path(folder) : Fixtures.Path(folder, prefix));
        return (b, s, m);
    }

    [Fact]
    public void Smove_mlp_gradient_descent_step_matches_the_hand_computed_update_and_the_loss_falls()
    {
        var (b, s, meta) = Restore("smove_mlp", "my_test_model-1000.meta");
        using var _ = s;
        Assert.Equal("GradientDescent", b.Collections.GetNames(GraphCollections.TrainOp).Single());
        const int n = 16;
        var rng = new Random(5);
        var x = new float[n * 21];
        var y = new float[n];
        for (int i = 0; i < n; i++)
        {
            x[i * 21] = 1;
            for (int j = 1; j < 21; j++) x[i * 21 + j] = (float)(rng.NextDouble() * 100);
            y[i] = x[i * 21 + 1] > 50 ? 1 : 0;
        }
        var feeds = new Dictionary<string, Tensor> { ["X:0"] = Tensor.Create(x, n, 21), ["Placeholder:0"] = Tensor.Create(y, n, 1) };
        var w0 = s.Run("W/read:0").ToArray<float>();
        float loss0 = s.Run(["Mean:0"], feeds)[0].Scalar<float>();
        s.Run([], feeds, ["GradientDescent"]);
        // loss = mean(−(y log a + (1 − y) log(1 − a))), a = σ(XW)  ⇒  dL/dW = Xᵀ(a − y) / n; W ← W − 1e-5 · dL/dW.
        var a = new double[n];
        for (int i = 0; i < n; i++)
        {
            double z = 0;
            for (int j = 0; j < 21; j++) z += x[i * 21 + j] * (double)w0[j];
            a[i] = 1 / (1 + Math.Exp(-z));
        }
        var w1 = s.Run("W/read:0").ToArray<float>();
        for (int j = 0; j < 21; j++)
        {
            double g = 0;
            for (int i = 0; i < n; i++) g += x[i * 21 + j] * (a[i] - y[i]);
            Assert.Equal(w0[j] - 1e-5 * g / n, w1[j], 5);
        }
        for (int step = 0; step < 30; step++) s.Run([], feeds, ["GradientDescent"]);
        float loss1 = s.Run(["Mean:0"], feeds)[0].Scalar<float>();
        Assert.True(loss1 < loss0, $"loss {loss0} → {loss1}");
    }

    private static (Tensor X, Tensor OneHot) DigitBatch(int n, int seed)
    {
        // Ten fixed random 28×28 templates plus noise: a learnable stand-in for digits.
        var templates = new float[10][];
        var t = new Random(42);
        for (int c = 0; c < 10; c++) templates[c] = Enumerable.Range(0, 784).Select(_ => t.NextDouble() < 0.2 ? 1f : 0f).ToArray();
        var rng = new Random(seed);
        var x = new float[n * 784];
        var oneHot = new long[n * 10];
        for (int i = 0; i < n; i++)
        {
            int c = i % 10;
            for (int p = 0; p < 784; p++) x[i * 784 + p] = Math.Clamp(templates[c][p] + (float)(rng.NextDouble() * 0.3 - 0.15), 0, 1);
            oneHot[i * 10 + c] = 1;
        }
        return (Tensor.Create(x, n, 784), Tensor.Create(oneHot, n, 10));
    }

    [Fact]
    public void Mnist_fc2_resumes_Adam_from_TFs_slots_exactly_as_ApplyAdam_says()
    {
        var (b, s, _) = Restore("mnist_fc2", "fc2.ckpt.meta", "fc2.ckpt");
        using var _ = s;
        Assert.Equal("Adam", b.Collections.GetNames(GraphCollections.TrainOp).Single());
        var (x, y) = DigitBatch(40, 1);
        var feeds = new Dictionary<string, Tensor> { ["input/x:0"] = x, ["one_hot/one_hot:0"] = y };
        var before = s.Run(["output/b/read:0", "output/b/Adam/read:0", "output/b/Adam_1/read:0", "beta1_power/read:0", "beta2_power/read:0",
            "gradients/output/output_grad/tuple/control_dependency_1:0", "mean_squared_error/value:0"], feeds);
        Assert.Equal(20000, s.Run("global_step/read:0").Scalar<int>());
        s.Run([], feeds, ["Adam"]);
        var after = s.Run("output/b/read:0").ToArray<float>();
        var (var0, m0, v0, g) = (before[0].ToArray<float>(), before[1].ToArray<float>(), before[2].ToArray<float>(), before[5].ToArray<float>());
        double b1p = before[3].Scalar<float>(), b2p = before[4].Scalar<float>();
        double lrT = 0.001 * Math.Sqrt(1 - b2p) / (1 - b1p);
        for (int i = 0; i < 10; i++)
        {
            double m = m0[i] + (g[i] - m0[i]) * (1 - 0.9);
            double v = v0[i] + ((double)g[i] * g[i] - v0[i]) * (1 - 0.999);
            Assert.Equal(var0[i] - lrT * m / (Math.Sqrt(v) + 1e-8), after[i], 5);
        }
        Assert.Equal(20001, s.Run("global_step/read:0").Scalar<int>());
        Assert.Equal((float)(b1p * 0.9), s.Run("beta1_power/read:0").Scalar<float>(), 6);
        for (int step = 0; step < 30; step++) s.Run([], feeds, ["Adam"]);
        float loss0 = before[6].Scalar<float>(), loss1 = s.Run(["mean_squared_error/value:0"], feeds)[0].Scalar<float>();
        Assert.True(loss1 < loss0, $"loss {loss0} → {loss1}");
    }

    [Fact]
    public void Rnn_model_lstm_resumes_gradient_descent_and_the_loss_falls()
    {
        var (b, s, _) = Restore("rnn_model", "model.ckpt.meta");
        using var _ = s;
        Assert.Equal("training/GradientDescent", b.Collections.GetNames(GraphCollections.TrainOp).Single());
        const int n = 16;
        var input = new float[n * 10];
        var target = new float[n];
        for (int i = 0; i < n; i++)
        {
            for (int k = 0; k < 10; k++) input[i * 10 + k] = MathF.Sin((i + k) * 0.3f);
            target[i] = MathF.Sin((i + 10) * 0.3f);
        }
        var feeds = new Dictionary<string, Tensor>
        {
            ["input:0"] = Tensor.Create(input, n, 10, 1), ["supervisor:0"] = Tensor.Create(target, n, 1), ["istate:0"] = Tensor.Zeros(DataType.DtFloat, new TensorShape(n, 160)),
        };
        float loss0 = s.Run(["loss/Mean:0"], feeds)[0].Scalar<float>();
        var losses = new List<float>();
        for (int step = 0; step < 40; step++)
        {
            s.Run([], feeds, ["training/GradientDescent"]);
            losses.Add(s.Run(["loss/Mean:0"], feeds)[0].Scalar<float>());
        }
        Assert.True(losses[^1] < loss0, $"loss {loss0} → {string.Join(", ", losses)}");
    }
}
