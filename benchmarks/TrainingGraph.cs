using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Training;

namespace TypedGraph.Benchmarks;

/// <summary>
/// A training script's <c>.meta</c> at real-world scale, built the way a TF1 script builds it and exported with
/// our MetaGraphExporter: an MLP of <c>layers</c> dense ReLU layers (variables with their Initializer/Assign/read
/// nodes), softmax cross-entropy, <c>AdamOptimizer.minimize</c> with a global step (gradients, slots, update ops),
/// an accuracy computation added once per epoch (as scripts that build ops inside their training loop do), the
/// global initializer and a Saver. <c>Build(210)</c> has about 12,000 nodes. Shared by Generator.Tests and the
/// generator benchmark.
/// </summary>
public static class TrainingGraph
{
    /// <summary>The MetaGraphDef and the builder it was exported from.</summary>
    public static MetaGraphDef Build(int layers, int width = 64, int epochs = 20)
    {
        var b = new GraphBuilder();
        Output x;
        using (b.NameScope("input")) x = b.Placeholder(DataType.DtFloat, [-1, width], "x");
        var labels = b.Placeholder(DataType.DtFloat, [-1, 10], "labels");
        Output Dense(string scope, Output input, long n, long m, bool relu)
        {
            using var _ = b.NameScope(scope);
            var w = b.Variable([n, m], new TruncatedNormal(stddev: 1 / Math.Sqrt(n), seed: scope.Length), "w");
            var bias = b.Variable([m], new ZerosInitializer(), "b");
            var y = b.Add(b.MatMul(input, w.Snapshot), bias.Snapshot);
            return relu ? b.Relu(y) : y;
        }
        var h = x;
        for (int l = 0; l < layers; l++) h = Dense($"layer{l}", h, width, width, true);
        var logits = Dense("output", h, width, 10, false);
        var loss = b.ReduceMean(b.SoftmaxCrossEntropyWithLogits(logits, labels).Loss, [0], name: "loss");
        new AdamOptimizer(0.001).Minimize(b, loss, b.GetOrCreateGlobalStep());
        for (int e = 0; e < epochs; e++)
            b.ReduceMean(b.Cast(b.Equal(b.ArgMax(logits, 1), b.ArgMax(labels, 1)), DataType.DtFloat), [0]);
        b.GlobalVariablesInitializer();
        var saver = new Saver(b);
        return MetaGraphExporter.Export(b, saver.SaverDef);
    }
}
