using TypedGraph.Onnx.Protos;
using TypedGraph.Onnx.Tests.Support;
using TypedGraph.Sample.FineTune;
using TypedGraph.Tests.Support;
using Xunit.Abstractions;

namespace TypedGraph.Onnx.Tests;

/// <summary>
/// The sample's own fine-tune-and-export code (<c>sample -- finetune</c> → <see cref="FineTuner.Export"/>) run in
/// process on the mnist_fc2 fixture: the ONNX file read back from disk is run by ONNX Runtime against a fresh
/// session restored from the checkpoint the sample saved, and the SavedModel reloaded by SavedModelBundle gives
/// identical outputs with TF's predict signature.
/// </summary>
public sealed class SampleExportTests(ITestOutputHelper log) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-sample-export-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void SampleFineTuneExportsAnOnnxFileOrtAgreesWithAndASavedModelThatReloadsIdentically()
    {
        var data = Dataset.Make(seed: 7);
        var prefix = Fixtures.Path("mnist_fc2", "fc2.ckpt");
        var run = FineTuner.FromCheckpoint(prefix + ".meta", prefix, features: "h2/Relu:0", featureWidth: 25, input: "input/x:0");
        var basePath = Path.Combine(_dir, "fc2-finetuned");
        run.Train(data, 1, basePath);
        var (onnxPath, savedModel) = run.Export(data, basePath);
        var (input, probs) = run.Signature;

        // The trained model as the sample saved it, restored into a fresh session: the reference for both exports.
        var checkpoint = Checkpoint.Latest(_dir)!;
        var meta = MetaGraph.Load(checkpoint + ".meta");
        using var fresh = new Session(meta.Graph);
        fresh.Restore(checkpoint, meta.SaverDef);
        var test = Tensor.Create(data.TestX, data.TestCount, 784);

        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(onnxPath));
        var r = OrtCheck.Compare(model, fresh, [(input, test)], [probs]);
        log.WriteLine($"sample fc2 fine-tuned → {Path.GetFileName(onnxPath)}: max error {r.Worst:E2} over {data.TestCount} digits");
        Assert.Equal([input], model.Graph.Input.Select(i => i.Name));
        // Probabilities of two classes, independently: every row sums to 1.
        var p = r.Ours[probs].ToArray<float>();
        for (int i = 0; i < data.TestCount; i++) Assert.Equal(1f, p[2 * i] + p[2 * i + 1], 5);

        using var bundle = SavedModelBundle.Load(savedModel, "serve");
        var signature = bundle.Signatures[SavedModelBundle.DefaultSignatureKey];
        Assert.Equal("tensorflow/serving/predict", signature.MethodName);
        Assert.Equal(input, signature.Inputs["images"].TensorName);
        Assert.Equal(probs, signature.Outputs["probs"].TensorName);
        var reloaded = bundle.Session.Run([probs], new Dictionary<string, Tensor> { [input] = test })[0].ToArray<float>();
        Assert.Equal(p, reloaded);
        Assert.True(File.Exists(Path.Combine(savedModel, "variables", "variables.index")));
    }
}
