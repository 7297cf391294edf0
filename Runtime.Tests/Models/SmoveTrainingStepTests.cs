using TypedGraph.Formats;
using TypedGraph.Tests.Support;

namespace TypedGraph.Tests.Models;

/// <summary>One step of smove_mlp's own training op (TF's gradient subgraph + ApplyGradientDescent) against the hand-derived update.</summary>
public class SmoveTrainingStepTests
{
    [Fact]
    public void GradientDescentStepMatchesTheLogisticRegressionGradient()
    {
        var meta = MetaGraph.Load(Fixtures.Path("smove_mlp", "my_test_model-1000.meta"));
        using var session = new Session(meta.Graph);
        session.Restore(Fixtures.Path("smove_mlp"), meta.SaverDef);
        const int n = 6;
        var rng = new Random(11);
        var x = new float[n * 21];
        var y = new float[n];
        for (int r = 0; r < n; r++)
        {
            x[r * 21] = 1;
            for (int c = 1; c < 21; c++) x[r * 21 + c] = (float)(rng.NextDouble() * 4 - 2);
            y[r] = r % 2;
        }
        var w = session.Run("W:0").ToArray<float>();
        var feeds = new Dictionary<string, Tensor> { ["X:0"] = Tensor.Create(x, n, 21), ["Placeholder:0"] = Tensor.Create(y, n, 1) };
        session.Run([], feeds, ["GradientDescent"]);
        var updated = session.Run("W:0").ToArray<float>();

        // loss = mean(-(y·log o + (1 - y)·log(1 - o))), o = sigmoid(X·W)  ⇒  dW = Xᵀ(o - y) / n
        var grad = new double[21];
        for (int r = 0; r < n; r++)
        {
            double z = 0;
            for (int c = 0; c < 21; c++) z += (double)x[r * 21 + c] * w[c];
            double o = 1 / (1 + Math.Exp(-z));
            for (int c = 0; c < 21; c++) grad[c] += x[r * 21 + c] * (o - y[r]) / n;
        }
        for (int c = 0; c < 21; c++)
        {
            double expected = w[c] - 1e-5 * grad[c];
            Assert.True(Math.Abs(expected - updated[c]) < 1e-8 + 1e-6 * Math.Abs(expected), $"W[{c}] = {updated[c]}, expected {expected}");
        }
        Assert.NotEqual(w, updated);
    }
}
