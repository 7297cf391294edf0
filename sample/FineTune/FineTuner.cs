using TypedGraph.Building;
using TypedGraph.Execution;
using TypedGraph.Formats;
using TypedGraph.Onnx;
using TypedGraph.Protos;
using TypedGraph.SavedModels;
using TypedGraph.Summaries;
using TypedGraph.Training;

namespace TypedGraph.Sample.FineTune;

/// <summary>One fine-tuning run: an imported graph, its session, and the new head on top of a feature tensor.</summary>
public sealed class FineTuner
{
    private readonly GraphBuilder _b;
    private readonly Session _session;
    private readonly string _input;
    private readonly Dictionary<string, Tensor> _extraFeeds;
    private readonly List<Variable> _frozen;
    private readonly Output _probs, _loss, _labels;
    private readonly Node _train;
    private readonly Variable _step;

    private FineTuner(GraphBuilder b, Session session, string features, int featureWidth, string input, Dictionary<string, Tensor>? extraFeeds)
    {
        (_b, _session, _input, _extraFeeds) = (b, session, input, extraFeeds ?? []);
        _frozen = b.TrainableVariables.ToList();
        var before = b.GlobalVariables.Select(v => v.Name).ToHashSet();
        // The head: StopGradient on the penultimate layer, a new dense layer, softmax cross-entropy, Adam.
        using (b.NameScope("finetune"))
        {
            var f = b.StopGradient(b.GetTensor(features));
            _labels = b.Placeholder(DataType.DtFloat, [-1, 2], "labels");
            var logits = b.Dense(f, featureWidth, 2, name: "dense", seed: 1);
            _probs = b.Softmax(logits, "probs");
            _loss = b.ReduceMean(b.SoftmaxCrossEntropyWithLogits(logits, _labels).Loss, [0], name: "loss");
        }
        _step = b.GetOrCreateGlobalStep();
        var head = b.TrainableVariables.Where(v => !before.Contains(v.Name)).ToList();
        _train = new AdamOptimizer(0.01).Minimize(b, _loss, _step, head);
        // Initialise only what we added: the restored (or initialised) base must keep its values.
        var added = b.GlobalVariables.Where(v => !before.Contains(v.Name)).ToList();
        _session.RunTargets(b.VariablesInitializer(added, "finetune/init").Name);
        Console.WriteLine($"Added {b.Graph.Nodes.Count(n => n.Name.StartsWith("finetune/", StringComparison.Ordinal))} head nodes on '{features}' " +
            $"({string.Join(", ", head.Select(v => v.Name))}); train op '{_train.Name}'.");
    }

    /// <summary>Imports a TF .meta and restores its checkpoint through the graph's own SaverDef.</summary>
    public static FineTuner FromCheckpoint(string metaPath, string prefix, string features, int featureWidth, string input)
    {
        var meta = MetaGraph.Load(metaPath);
        var b = GraphBuilder.FromMetaGraph(meta.Proto);
        var s = new Session(b.Graph);
        Saver.FromSaverDef(b, meta.Proto.SaverDef).Restore(s, prefix);
        Console.WriteLine($"\n== {Path.GetFileName(metaPath)} (TF {meta.TensorFlowVersion}): restored {b.GlobalVariables.Count} variables from {prefix}");
        return new FineTuner(b, s, features, featureWidth, input, null);
    }

    /// <summary>Imports a TF .meta without a checkpoint and runs its own initializers.</summary>
    public static FineTuner FromInitializers(string metaPath, string features, int featureWidth, string input, Dictionary<string, Tensor>? extraFeeds)
    {
        var meta = MetaGraph.Load(metaPath);
        var b = GraphBuilder.FromMetaGraph(meta.Proto);
        var s = new Session(b.Graph);
        s.Initialize();
        Console.WriteLine($"\n== {Path.GetFileName(metaPath)} (TF {meta.TensorFlowVersion}): {b.GlobalVariables.Count} variables initialised by their own initializers");
        return new FineTuner(b, s, features, featureWidth, input, extraFeeds);
    }

    /// <summary>Trains, prints the loss per epoch, saves with global_step, restores fresh and compares predictions.</summary>
    public void Train(Dataset data, int epochs, string savePath)
    {
        var frozenBefore = _frozen.Select(v => _session.Run(v.Snapshot.Name)).Select(t => t.ToArray<float>()).ToList();
        var batches = data.Batches(24).Select(p => (IReadOnlyDictionary<string, Tensor>)Feeds(p.X, p.Y)).ToList();
        // TensorBoard curves next to the checkpoints (one run folder per model): the graph, the loss of every step,
        // test accuracy per epoch.
        var full = Path.GetFullPath(savePath);
        using var events = new SummaryWriter(Path.Combine(Path.GetDirectoryName(full)!, "events", Path.GetFileName(full)));
        events.AddGraph(_b.Graph.Def);
        var summaries = new TrainingSummaries(events) { LossTag = "finetune/loss" };
        for (int e = 1; e <= epochs; e++)
        {
            float loss = TrainingLoop.Run(_session, _train.Name, _loss.Name, batches, 1, summaries: summaries)[0];
            double accuracy = Accuracy(data);
            events.AddScalar("finetune/test_accuracy", accuracy, summaries.Step);
            Console.WriteLine($"epoch {e,2}: loss {loss:F4}   test accuracy {accuracy:P1}");
        }
        events.Flush();
        Console.WriteLine($"TensorBoard events: {events.FilePath} (tensorboard --logdir {events.LogDir})");
        bool unchanged = _frozen.Select((v, i) => _session.Run(v.Snapshot.Name).ToArray<float>().AsSpan().SequenceEqual(frozenBefore[i])).All(x => x);
        Console.WriteLine($"Frozen layers unchanged: {unchanged} ({_frozen.Count} variables checked).");

        var saver = new Saver(_b);
        long step = Convert.ToInt64(_session.Run(_step.Snapshot.Name).DType == DataType.DtInt32 ? _session.Run(_step.Snapshot.Name).Scalar<int>() : _session.Run(_step.Snapshot.Name).Scalar<long>());
        var prefix = saver.Save(_session, savePath, step);
        Console.WriteLine($"Saved {prefix}.index/.data-00000-of-00001/.meta (SaverDef {saver.SaverDef.FilenameTensorName} → {saver.SaverDef.RestoreOpName}).");

        var test = Tensor.Create(data.TestX, data.TestCount, 784);
        var mine = Predict(_session, test);
        var meta = MetaGraph.Load(prefix + ".meta");
        var b2 = GraphBuilder.FromMetaGraph(meta.Proto);
        using var fresh = new Session(b2.Graph);
        Saver.FromSaverDef(b2, meta.Proto.SaverDef).Restore(fresh, Path.GetDirectoryName(prefix)!);
        var theirs = Predict(fresh, test);
        Console.WriteLine($"Fresh session restored from {Checkpoint.Latest(Path.GetDirectoryName(prefix)!)}: predictions identical = {mine.AsSpan().SequenceEqual(theirs)} " +
            $"(first: [{mine[0]:F4}, {mine[1]:F4}] vs [{theirs[0]:F4}, {theirs[1]:F4}]).");
    }

    /// <summary>The input and probabilities tensor names (for exports and tests).</summary>
    public (string Input, string Probabilities) Signature => (_input, _probs.Name);

    /// <summary>
    /// Ships the fine-tuned model both ways (README "Deploy"): <c>&lt;basePath&gt;.onnx</c> — the inference path only
    /// (no labels, loss or Adam), trained weights as initializers, for ONNX Runtime/Triton — and a SavedModel in
    /// <c>&lt;basePath&gt;-savedmodel/1</c> (tag <c>serve</c>, signature <c>serving_default</c>: images → probs) for TF
    /// Serving, then reloads the SavedModel and compares its predictions with this session's.
    /// </summary>
    /// <returns>The ONNX file and the SavedModel folder.</returns>
    public (string Onnx, string SavedModel) Export(Dataset data, string basePath)
    {
        // Extra feeds (the CNN's dropout keep-probability) stay model inputs of the ONNX file.
        var inputs = new List<string> { _input };
        inputs.AddRange(_extraFeeds.Keys);
        var onnxPath = Path.GetFullPath(basePath + ".onnx");
        // Shapes as this demo feeds them: a dynamic batch of 784-pixel rows; extra feeds as given (pkeep: a scalar —
        // its placeholder has no static shape).
        var shapes = new Dictionary<string, long[]> { [_input] = [-1, 784] };
        foreach (var (name, value) in _extraFeeds) shapes[name] = value.Shape.ToArray().Select(d => (long)d).ToArray();
        var model = OnnxExporter.Export(_session, inputs, [_probs.Name], new OnnxExportOptions { InputShapes = shapes });
        OnnxExporter.Save(model, onnxPath);
        Console.WriteLine($"Exported ONNX: {onnxPath} ({model.Graph.Node.Count} nodes, {model.Graph.Initializer.Count} initializers, opset {model.OpsetImport[0].Version}; inputs {string.Join(", ", inputs)}).");

        var dir = Path.GetFullPath(basePath + "-savedmodel");
        var version = Path.Combine(dir, "1");
        if (Directory.Exists(version)) Directory.Delete(version, recursive: true);
        using (var builder = new SavedModelBuilder(version))
        {
            var signatureInputs = new Dictionary<string, Output> { ["images"] = _b.GetTensor(_input) };
            foreach (var name in _extraFeeds.Keys) signatureInputs[name.Split(':')[0]] = _b.GetTensor(name);
            builder.AddMetaGraphAndVariables(_session, _b, ["serve"], new Dictionary<string, SignatureDef>
            {
                ["serving_default"] = SignatureDefs.Predict(_b, signatureInputs, new Dictionary<string, Output> { ["probs"] = _probs }),
            });
            builder.Save();
        }
        var test = Tensor.Create(data.TestX, data.TestCount, 784);
        using var bundle = SavedModelBundle.Load(version);
        var reloaded = bundle.Session.Run([_probs.Name], Feeds(test, null))[0].ToArray<float>();
        Console.WriteLine($"Exported SavedModel: {version} (tag serve, signature serving_default); reloaded by SavedModelBundle: predictions identical = {Predict(_session, test).AsSpan().SequenceEqual(reloaded)}.");
        return (onnxPath, version);
    }

    private Dictionary<string, Tensor> Feeds(Tensor x, Tensor? y)
    {
        var d = new Dictionary<string, Tensor>(_extraFeeds) { [_input] = x };
        if (y != null) d[_labels.Name] = y;
        return d;
    }

    private float[] Predict(Session s, Tensor x) => s.Run([_probs.Name], Feeds(x, null))[0].ToArray<float>();

    private double Accuracy(Dataset data)
    {
        var p = Predict(_session, Tensor.Create(data.TestX, data.TestCount, 784));
        int ok = 0;
        for (int i = 0; i < data.TestCount; i++) ok += (p[i * 2 + 1] > p[i * 2]) == (data.TestY[i * 2 + 1] > 0.5f) ? 1 : 0;
        return (double)ok / data.TestCount;
    }
}
