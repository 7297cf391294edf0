using Microsoft.CodeAnalysis;
using TypedGraph.Building;
using TypedGraph.Formats;
using TypedGraph.Generator.Tests.Support;
using TypedGraph.Protos;
using TypedGraph.Training;
using TypedGraph.Tests.Support;

namespace TypedGraph.Generator.Tests;

/// <summary>
/// The typed model beyond inference: fine-tuned through <c>model.Extend()</c> and saved (mnist_fc2, TF 1.5),
/// the untyped escape hatch, and scalars from graphs that leave shapes open.
/// </summary>
public class TypedModelScenarioTests
{
    private const string FineTuneProbe = """
        using System.Linq;
        using TypedGraph;
        using TypedGraph.Building;
        using TypedGraph.Protos;
        using TypedGraph.Training;
        using TypedGraph.Typed;
        namespace Demo;
        public static class Probe
        {
            public static object[] FineTune(string prefix, string outDir, float[] x, float[] labels, int steps)
            {
                using var m = Fc2.Restore(prefix);
                GraphBuilder g = m.Extend();
                int globals = g.GlobalVariables.Count;
                var step = g.GetOrCreateGlobalStep();               // the file's own global_step, not global_step_1
                var before = g.GlobalVariables.Select(v => v.Name).ToHashSet();
                GraphTensor<float> probs, loss, labelsIn;
                using (g.NameScope("finetune"))
                {
                    var f = g.StopGradient(m.Tensor<float>("h2/Relu:0"));
                    labelsIn = m.Tensor<float>(g.Placeholder(DataType.DtFloat, [-1, 2], "labels"));
                    var logits = g.Dense(f, 25, 2, name: "dense", seed: 1);
                    probs = m.Tensor<float>(g.Softmax(logits, "probs"));
                    loss = m.Tensor<float>(g.ReduceMean(g.SoftmaxCrossEntropyWithLogits(logits, labelsIn).Loss, [0], name: "loss"));
                }
                var head = g.TrainableVariables.Where(v => !before.Contains(v.Name)).ToList();
                var train = m.Operation(new AdamOptimizer(0.05).Minimize(g, loss, step, head).Name);
                var added = g.GlobalVariables.Where(v => !before.Contains(v.Name)).ToList();
                m.Operation(g.VariablesInitializer(added, "finetune/init").Name).Execute();
                int n = x.Length / 784;
                FeedValue[] Feeds() => [m.Input.X.Feed(x, n, 784), labelsIn.Feed(labels, n, 2)];
                float first = loss.Fetch(Feeds()).Scalar;
                for (int i = 0; i < steps; i++) train.Execute(Feeds());
                float last = loss.Fetch(Feeds()).Scalar;
                int globalStep = m.GlobalStep.Run();                 // typed: int32 scalar variable
                var p = probs.Fetch(m.Input.X.Feed(x, n, 784)).ToArray();
                var h2 = m.Tensor<float>("h2/Relu:0").Fetch(m.Input.X.Feed(x, n, 784)).ToArray();
                var saved = new Saver(g).Save(m.Session, System.IO.Path.Combine(outDir, "fc2-finetuned"), globalStep);
                bool hasStep1 = m.Graph.Contains("global_step_1");
                return [globals, step.Name, hasStep1, first, last, globalStep, p, h2, saved, head.Count];
            }
        }
        """;

    [Fact]
    public void FineTuneFromTypedModel_ExtendTrainSave_RestoresToTheSamePredictions()
    {
        var folder = Fixtures.Path("mnist_fc2");
        var run = GeneratorHarness.Generate(Path.Combine(folder, "fc2.ckpt.meta"),
            new Dictionary<string, string> { ["ClassName"] = "Fc2", ["Namespace"] = "Demo", ["Visibility"] = "public" }, FineTuneProbe);
        var asm = InMemoryAssembly.Load(run.Output);
        var outDir = Directory.CreateTempSubdirectory("typedgraph-finetune-").FullName;
        try
        {
            // Eight "images": class 0 bright on the left half, class 1 on the right half.
            const int n = 8;
            var rng = new Random(5);
            var x = new float[n * 784];
            var labels = new float[n * 2];
            for (int i = 0; i < n; i++)
            {
                int cls = i % 2;
                labels[i * 2 + cls] = 1;
                for (int p = 0; p < 784; p++) x[i * 784 + p] = ((p % 28 < 14) == (cls == 0) ? 0.8f : 0.1f) * (float)rng.NextDouble();
            }
            var r = (object[])InMemoryAssembly.Call(asm, "Demo.Probe", "FineTune", Path.Combine(folder, "fc2.ckpt"), outDir, x, labels, 30)!;
            var meta = MetaGraphDef.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(folder, "fc2.ckpt.meta")));
            int fileVariables = VariableDefs(meta, "variables").Count;
            Assert.Equal(fileVariables, (int)r[0]);               // Extend() saw the .meta's global variables
            Assert.Equal("global_step", (string)r[1]);
            Assert.False((bool)r[2]);                             // no second global_step_1
            Assert.True((float)r[4] < (float)r[3] * 0.8f, $"loss {r[3]} → {r[4]}");
            Assert.Equal(20000 + 30, (int)r[5]);                   // TF's 20,000 steps, then ours
            Assert.Equal(2, (int)r[9]);                            // only the head (kernel, bias) trained

            // The saved checkpoint, read independently: probs = softmax(h2 · kernel + bias) over the restored features.
            var prefix = (string)r[8];
            Assert.Equal(Path.Combine(outDir, "fc2-finetuned-20030"), prefix);
            Assert.True(File.Exists(prefix + ".meta") && File.Exists(Path.Combine(outDir, "checkpoint")));
            using var reader = CheckpointReader.Open(prefix);
            var kernel = reader.Read("finetune/dense/kernel").ToArray<float>();
            var bias = reader.Read("finetune/dense/bias").ToArray<float>();
            var h2 = (float[])r[7];
            var probs = (float[])r[6];
            for (int i = 0; i < n; i++)
            {
                double z0 = bias[0], z1 = bias[1];
                for (int k = 0; k < 25; k++) { z0 += h2[i * 25 + k] * kernel[k * 2]; z1 += h2[i * 25 + k] * kernel[k * 2 + 1]; }
                double p1 = 1 / (1 + Math.Exp(z0 - z1));
                Assert.Equal(p1, probs[i * 2 + 1], 4);
            }
            // The written .meta carries every op it uses (ops outside our catalogue keep the file's own OpDef) and
            // restores in a fresh session to the very same predictions.
            var written = MetaGraph.Load(prefix + ".meta");
            var listed = written.Proto.MetaInfoDef.StrippedOpList.Op.Select(o => o.Name).ToHashSet();
            Assert.All(written.Proto.GraphDef.Node, node => Assert.Contains(node.Op, listed));
            using var fresh = new Session(written.Graph);
            fresh.Restore(prefix, written.SaverDef);
            var again = fresh.Run(["finetune/probs:0"], new Dictionary<string, Tensor> { ["input/x:0"] = Tensor.Create(x, n, 784) })[0].ToArray<float>();
            Assert.Equal(probs, again);
        }
        finally
        {
            Directory.Delete(outDir, recursive: true);
        }
    }

    private static List<VariableDef> VariableDefs(MetaGraphDef meta, string key)
        => meta.CollectionDef.TryGetValue(key, out var c) ? c.BytesList.Value.Select(b => VariableDef.Parser.ParseFrom(b)).ToList() : [];

    [Fact]
    public void Save_OfAGraphWithAnOpNobodyDefines_ThrowsBeforeWritingAnyFile()
    {
        var def = new GraphDef();
        def.Node.Add(new NodeDef { Name = "mystery", Op = "NoSuchOpAnywhere" });
        var b = new GraphBuilder(new Graph(def));
        var v = b.Variable([2], new ZerosInitializer(), "v");
        using var s = new Session(b.Graph);
        s.RunTargets(b.VariablesInitializer([v]).Name);
        var dir = Directory.CreateTempSubdirectory("typedgraph-save-").FullName;
        try
        {
            var e = Assert.Throws<GraphFormatException>(() => new Saver(b).Save(s, Path.Combine(dir, "model"), 1));
            Assert.Contains("NoSuchOpAnywhere", e.Message);
            Assert.Empty(Directory.GetFileSystemEntries(dir));    // no data, index, .meta or checkpoint file
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private const string EscapeProbe = """
        using TypedGraph.Typed;
        namespace Demo;
        public static class Probe
        {
            // Add = w1 + w2 is consumed by op_to_restore and auto-named, so it is no member: the escape hatch reaches it.
            public static float Add(float a, float b) { using var m = TutorialModel.Create(); m.Initialize(); return m.Tensor<float>("Add:0").Fetch(m.W1.Feed(a), m.W2.Feed(b)).Scalar; }
            public static void WrongType() { using var m = TutorialModel.Create(); m.Tensor<int>("Add:0"); }
            public static void Missing() { using var m = TutorialModel.Create(); m.Tensor<float>("ad:0"); }
            public static float Scalar(float a, float b) { using var m = TutorialModel.Create(); m.Initialize(); float y = m.OpToRestore.Run(w1: a, w2: b); return y; }
        }
        """;

    /// <summary>The TF tutorial as its script writes it: w1/w2 placeholders declared without a shape.</summary>
    private static string UnknownShapeTutorial()
    {
        var g = TestGraphs.Tutorial();
        var meta = g.Meta();
        foreach (var node in meta.GraphDef.Node)
        {
            node.Attr.Remove("_output_shapes");
            if (node.Op == "Placeholder") node.Attr["shape"] = new AttrValue { Shape = new TensorShapeProto { UnknownRank = true } };
        }
        return TestGraphs.Write(meta, "my_test_model-1000.meta");
    }

    [Fact]
    public void UnknownShapeFetch_ReadsAsAScalar_AndTheEscapeHatchChecksNamesAndTypesAtRunTime()
    {
        var run = GeneratorHarness.Generate(UnknownShapeTutorial(),
            new Dictionary<string, string> { ["ClassName"] = "TutorialModel", ["Namespace"] = "Demo", ["Visibility"] = "public" }, EscapeProbe);
        Assert.Empty(run.Problems);
        Assert.Contains("TensorOrScalar<float> Run(", run.Source);
        Assert.DoesNotContain(" Add =>", run.Source);
        var asm = InMemoryAssembly.Load(run.Output);
        Assert.Equal((13f + 17f) * 2f, (float)InMemoryAssembly.Call(asm, "Demo.Probe", "Scalar", 13f, 17f)!);
        Assert.Equal(3f + 4f, (float)InMemoryAssembly.Call(asm, "Demo.Probe", "Add", 3f, 4f)!);
        var wrong = Assert.Throws<ArgumentException>(() => InMemoryAssembly.Call(asm, "Demo.Probe", "WrongType"));
        Assert.Contains("float32", wrong.Message);
        Assert.Throws<KeyNotFoundException>(() => InMemoryAssembly.Call(asm, "Demo.Probe", "Missing"));
    }

    [Fact]
    public void UnknownShapeTutorial_StillRejectsAMissingFeedAndADouble()
    {
        var path = UnknownShapeTutorial();
        var meta = new Dictionary<string, string> { ["ClassName"] = "TutorialModel", ["Namespace"] = "Demo" };
        var missing = GeneratorHarness.Generate(path, meta, "namespace Demo; static class U { static float F(TutorialModel m) => m.OpToRestore.Run(w1: 13f); }");
        Assert.Equal("CS7036", Assert.Single(missing.CompileDiagnostics, d => d.Severity == DiagnosticSeverity.Error).Id);
        var dbl = GeneratorHarness.Generate(path, meta, "namespace Demo; static class U { static float F(TutorialModel m) => m.OpToRestore.Run(w1: 13.0, w2: 17f); }");
        Assert.Equal("CS1503", Assert.Single(dbl.CompileDiagnostics, d => d.Severity == DiagnosticSeverity.Error).Id);
    }
}
