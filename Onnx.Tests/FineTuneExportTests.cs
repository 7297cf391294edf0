using TypedGraph.Building;
using TypedGraph.Cli.Commands;
using TypedGraph.Formats;
using TypedGraph.Onnx.Tests.Support;
using TypedGraph.Protos;
using TypedGraph.SavedModels;
using TypedGraph.Tests.Support;
using TypedGraph.Training;
using Xunit.Abstractions;

namespace TypedGraph.Onnx.Tests;

/// <summary>
/// The sample's fine-tuning scenario in-process (mnist_fc2 restored, a new 2-class head trained with Adam behind a
/// StopGradient), then shipped both ways: ONNX run by ONNX Runtime, and a SavedModel reloaded by SavedModelBundle.
/// </summary>
public sealed class FineTuneExportTests(ITestOutputHelper log) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-ft-export-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void FineTunedMnistFc2ExportsToOnnxAndSavedModelWithTheTrainedWeights()
    {
        var meta = MetaGraph.Load(Fixtures.Path("mnist_fc2", "fc2.ckpt.meta"));
        var b = GraphBuilder.FromMetaGraph(meta.Proto);
        using var s = new Session(b.Graph);
        Saver.FromSaverDef(b, meta.Proto.SaverDef).Restore(s, Fixtures.Path("mnist_fc2", "fc2.ckpt"));
        var before = b.GlobalVariables.Select(v => v.Name).ToHashSet();
        var features = b.StopGradient(b.GetTensor("h2/Relu:0"));
        var labels = b.Placeholder(DataType.DtFloat, [-1, 2], "labels");
        var logits = b.Dense(features, 25, 2, name: "head", seed: 3);
        var loss = b.ReduceMean(b.SoftmaxCrossEntropyWithLogits(logits, labels).Loss, [0]);
        var probs = b.Softmax(logits, "probs");
        var head = b.TrainableVariables.Where(v => !before.Contains(v.Name)).ToList();
        var train = new AdamOptimizer(0.01).Minimize(b, loss, b.GetOrCreateGlobalStep(), head);
        s.RunTargets(b.VariablesInitializer(b.GlobalVariables.Where(v => !before.Contains(v.Name)), "head_init").Name);
        var rng = new Random(2);
        var x = Tensor.Create(Enumerable.Range(0, 20 * 784).Select(_ => (float)rng.NextDouble()).ToArray(), 20, 784);
        var y = Tensor.Create(Enumerable.Range(0, 20).SelectMany(i => i % 2 == 0 ? new[] { 1f, 0f } : new[] { 0f, 1f }).ToArray(), 20, 2);
        var losses = TrainingLoop.Run(s, train.Name, loss.Name, [new Dictionary<string, Tensor> { ["input/x:0"] = x, [labels.Name] = y }], 15);
        Assert.True(losses[^1] < losses[0], $"loss {losses[0]} → {losses[^1]}");
        var headKernel = s.Run("head/kernel:0").ToArray<float>();

        // ONNX: only the inference path (no labels, no Adam), the trained head kernel as an initializer.
        var test = OrtCheck.RandomFloats(8, 0, 1, 6, 784);
        var r = OrtCheck.ExportAndCompare(s, [("input/x:0", test)], [probs.Name]);
        log.WriteLine($"fine-tuned fc2 → ONNX: max error {r.Worst:E2}, {r.Model.Graph.Node.Count} nodes");
        Assert.Contains(r.Model.Graph.Initializer, t => t.Name == "head/kernel/read:0"
            && System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray().SequenceEqual(headKernel));
        Assert.DoesNotContain(r.Model.Graph.Input, i => i.Name == labels.Name);

        // SavedModel: the session's variables (trained head and Adam state) through a fresh saver, reloaded.
        var export = Path.Combine(_dir, "serving", "1");
        using (var builder = new SavedModelBuilder(export))
        {
            builder.AddMetaGraphAndVariables(s, b, ["serve"], new Dictionary<string, SignatureDef>
            {
                ["serving_default"] = SignatureDefs.Predict(b, new Dictionary<string, Output> { ["images"] = b.GetTensor("input/x:0") },
                    new Dictionary<string, Output> { ["probs"] = probs }),
            });
            builder.Save();
        }
        using var bundle = SavedModelBundle.Load(export, "serve");
        var expected = s.Run(probs.Name, ("input/x:0", test)).ToArray<float>();
        Assert.Equal(expected, bundle.Run(new Dictionary<string, Tensor> { ["images"] = test })["probs"].ToArray<float>());
        Assert.Equal(headKernel, bundle.Session.Run("head/kernel:0").ToArray<float>());
    }

    [Fact]
    public void ExportSavedModelCommandOnMnistFc2ServesTheCheckpointsPredictions()
    {
        var export = Path.Combine(_dir, "fc2-serving");
        using StringWriter o = new(), e = new();
        int code = CliApp.Run(["export-savedmodel", Fixtures.Path("mnist_fc2", "fc2.ckpt.meta"), "--checkpoint", Fixtures.Path("mnist_fc2", "fc2.ckpt"),
            "--input", "images=input/x:0", "--output", "probs=output/sm:0", "-o", export], o, e);
        Assert.True(code == 0, e.ToString());
        var meta = MetaGraph.Load(Fixtures.Path("mnist_fc2", "fc2.ckpt.meta"));
        using var s = new Session(meta.Graph);
        s.Restore(Fixtures.Path("mnist_fc2", "fc2.ckpt"), meta.SaverDef);
        var x = OrtCheck.RandomFloats(9, 0, 1, 4, 784);
        using var bundle = SavedModelBundle.Load(export);
        Assert.Equal(s.Run("output/sm:0", ("input/x:0", x)).ToArray<float>(), bundle.Run(new Dictionary<string, Tensor> { ["images"] = x })["probs"].ToArray<float>());
        // The graph's own saver (from the .meta) is the one inside the SavedModel.
        Assert.Equal(meta.SaverDef!.RestoreOpName, bundle.MetaGraph.SaverDef!.RestoreOpName);
    }
}
