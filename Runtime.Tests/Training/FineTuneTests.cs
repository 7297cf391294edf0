using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using TypedGraph.Training;
using TypedGraph.Typed;

namespace TypedGraph.Tests.Training;

public sealed class FineTuneTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-finetune-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Fine_tuning_mnist_fc2_keeps_frozen_layers_and_round_trips_predictions()
    {
        var meta = MetaGraph.Load(Fixtures.Path("mnist_fc2", "fc2.ckpt.meta"));
        var b = GraphBuilder.FromMetaGraph(meta.Proto);
        using var s = new Session(b.Graph);
        Saver.FromSaverDef(b, meta.Proto.SaverDef).Restore(s, Fixtures.Path("mnist_fc2", "fc2.ckpt"));
        var before = b.GlobalVariables.Select(v => v.Name).ToHashSet();
        var frozen = b.TrainableVariables.ToDictionary(v => v.Name, v => s.Run(v.Snapshot.Name).ToArray<float>());

        var features = b.StopGradient(b.GetTensor("h2/Relu:0"));
        var labels = b.Placeholder(DataType.DtFloat, [-1, 2], "labels");
        var logits = b.Dense(features, 25, 2, name: "head", seed: 3);
        var loss = b.ReduceMean(b.SoftmaxCrossEntropyWithLogits(logits, labels).Loss, [0]);
        var probs = b.Softmax(logits, "probs");
        var head = b.TrainableVariables.Where(v => !before.Contains(v.Name)).ToList();
        Assert.Equal(["head/kernel", "head/bias"], head.Select(v => v.Name));
        var train = new AdamOptimizer(0.01).Minimize(b, loss, b.GetOrCreateGlobalStep(), head);
        Assert.Equal("Adam_1", train.Name); // the imported graph already has an Adam op
        s.RunTargets(b.VariablesInitializer(b.GlobalVariables.Where(v => !before.Contains(v.Name)), "head_init").Name);

        var rng = new Random(2);
        var x = Tensor.Create(Enumerable.Range(0, 20 * 784).Select(_ => (float)rng.NextDouble()).ToArray(), 20, 784);
        var y = Tensor.Create(Enumerable.Range(0, 20).SelectMany(i => i % 2 == 0 ? new[] { 1f, 0f } : new[] { 0f, 1f }).ToArray(), 20, 2);
        var feeds = new Dictionary<string, Tensor> { ["input/x:0"] = x, [labels.Name] = y };
        var losses = TrainingLoop.Run(s, train.Name, loss.Name, [feeds], 25);
        Assert.True(losses[^1] < losses[0] * 0.8, $"loss {losses[0]} → {losses[^1]}");
        foreach (var (name, values) in frozen) Assert.Equal(values, s.Run(name + "/read:0").ToArray<float>());
        Assert.Equal(20025, s.Run("global_step/read:0").Scalar<int>());

        var prefix = new Saver(b).Save(s, Path.Combine(_dir, "tuned"), 20025);
        Assert.EndsWith("tuned-20025", prefix);
        var mine = s.Run([probs.Name], feeds)[0].ToArray<float>();
        var meta2 = MetaGraph.Load(prefix + ".meta");
        var b2 = GraphBuilder.FromMetaGraph(meta2.Proto);
        using var fresh = new Session(b2.Graph);
        Saver.FromSaverDef(b2, meta2.Proto.SaverDef).Restore(fresh, _dir);
        Assert.Equal(mine, fresh.Run([probs.Name], feeds)[0].ToArray<float>());
    }

    private sealed class TutorialModel(Session s) : GraphModel(s)
    {
        public GraphTensor<float> OpToRestore => new(this, "op_to_restore:0", "float32", null);
    }

    [Fact]
    public void Generated_typed_tensors_plug_into_the_builder()
    {
        var b = new GraphBuilder();
        var w1 = b.Placeholder(DataType.DtFloat, null, "w1");
        var bias = b.Variable(Tensor.FromScalar(2f), "bias");
        b.Multiply(w1, bias.Snapshot, "op_to_restore");
        using var model = new TutorialModel(new Session(b.Graph));
        model.Initialize();
        var g = new GraphBuilder(model.Graph);
        var doubled = g.Multiply(model.OpToRestore, 2f);
        Assert.Equal("mul", doubled.NodeName);
        Assert.Equal(12f, model.Session.Run(doubled.Name, ("w1:0", Tensor.FromScalar(3f))).Scalar<float>());
    }
}
