using TypedGraph.Building;
using TypedGraph.Execution;
using TypedGraph.Protos;
using TypedGraph.Training;

namespace TypedGraph.Sample.FineTune;

/// <summary>Our own stand-in for mnist_fc2 when the fixture is absent: the same 784-100-25-10 MLP with the same
/// node names (<c>input/x</c>, <c>h1/w</c>, …, <c>h2/Relu</c>), briefly pre-trained on rendered 0/1/7 and saved.</summary>
public static class BaseModel
{
    /// <summary>Builds, pre-trains and saves the model; returns the checkpoint prefix.</summary>
    public static string BuildAndSave(string directory, Dataset data)
    {
        var b = new GraphBuilder();
        Output x;
        using (b.NameScope("input")) x = b.Placeholder(DataType.DtFloat, [-1, 784], "x");
        Output Layer(string scope, Output input, long n, long m, bool relu)
        {
            using var _ = b.NameScope(scope);
            var w = b.Variable([n, m], new TruncatedNormal(stddev: 1 / Math.Sqrt(n), seed: scope.Length), "w");
            var bias = b.Variable([m], new ZerosInitializer(), "b");
            var y = b.Add(b.MatMul(input, w.Snapshot), bias.Snapshot);
            return relu ? b.Relu(y) : y;
        }
        var h2 = Layer("h2", Layer("h1", x, 784, 100, true), 100, 25, true);
        var logits = Layer("output", h2, 25, 10, false);
        var labels = b.Placeholder(DataType.DtFloat, [-1, 10], "labels");
        var loss = b.ReduceMean(b.SoftmaxCrossEntropyWithLogits(logits, labels).Loss, [0]);
        var train = new AdamOptimizer(0.005).Minimize(b, loss, b.GetOrCreateGlobalStep());
        b.GlobalVariablesInitializer();
        using var s = new Session(b.Graph);
        s.Initialize();
        // Pre-train on the two classes mapped to digit labels 0 and 1.
        foreach (var (bx, by) in data.Batches(24).ToList())
        {
            var ten = new float[by.Shape[0] * 10];
            var two = by.ToArray<float>();
            for (int i = 0; i < by.Shape[0]; i++) ten[i * 10 + (two[i * 2 + 1] > 0.5f ? 1 : 0)] = 1;
            s.Run([], new Dictionary<string, Tensor> { [x.Name] = bx, [labels.Name] = Tensor.Create(ten, by.Shape[0], 10) }, [train.Name]);
        }
        return new Saver(b).Save(s, Path.Combine(directory, "fc2.ckpt"));
    }
}
