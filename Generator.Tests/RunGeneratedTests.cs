using TypedGraph.Generator.Tests.Support;

namespace TypedGraph.Generator.Tests;

/// <summary>The generated class really runs: compiled in memory, executed on TypedGraph.Session.</summary>
public class RunGeneratedTests
{
    private const string Probe = """
        using TypedGraph.Typed;
        namespace Demo;
        public static class Probe
        {
            public static float Typed()
            {
                using var m = TutorialModel.Create();
                m.Initialize();
                return m.OpToRestore.Run(w1: 13f, w2: 17f);
            }

            public static float TfStyle()
            {
                using var m = TutorialModel.Create();
                m.Init.Run();
                return m.Session.Run(m.OpToRestore, m.W1.Feed(4f), m.W2.Feed(8f)).Scalar;
            }

            public static float Bias()
            {
                using var m = TutorialModel.Create();
                m.Initialize();
                return m.Bias.Run();
            }

            public static void WrongShape()
            {
                using var m = TutorialModel.Create();
                m.Initialize();
                m.Session.Run(m.OpToRestore, m.W1.Feed(new[] { 1f, 2f }), m.W2.Feed(8f));
            }
        }
        """;

    private static System.Reflection.Assembly Build()
    {
        var path = TestGraphs.Write(TestGraphs.Tutorial().Meta(), "my_test_model-1000.meta");
        var run = GeneratorHarness.Generate(path, new Dictionary<string, string> { ["ClassName"] = "TutorialModel", ["Namespace"] = "Demo", ["Visibility"] = "public" }, Probe);
        return InMemoryAssembly.Load(run.Output);
    }

    [Fact]
    public void TypedRun_ComputesTheTutorialValue()
    {
        var asm = Build();
        Assert.Equal((13f + 17f) * 2f, (float)InMemoryAssembly.Call(asm, "Demo.Probe", "Typed")!);
        Assert.Equal((4f + 8f) * 2f, (float)InMemoryAssembly.Call(asm, "Demo.Probe", "TfStyle")!);
        Assert.Equal(2f, (float)InMemoryAssembly.Call(asm, "Demo.Probe", "Bias")!);
    }

    [Fact]
    public void ShapeMismatch_FailsAtRunTime_NamingTheTensor()
    {
        var asm = Build();
        var e = Assert.Throws<GraphExecutionException>(() => InMemoryAssembly.Call(asm, "Demo.Probe", "WrongShape"));
        Assert.Contains("'w1:0'", e.Message);
        Assert.Contains("[2]", e.Message);
    }
}

/// <summary>A real TF-written model (smove_mlp, TF 1.4.1) through the generator, restored from TF's own checkpoint.</summary>
public class RunGeneratedFixtureTests
{
    private const string Probe = """
        using TypedGraph.Typed;
        namespace Demo;
        public static class Probe
        {
            public static float[] Predict(string folder, float[] x)
            {
                using var m = Smove.Restore(folder);
                return m.O.Run(x: TensorValue<float>.Create(x, x.Length / 21, 21)).ToArray();
            }
        }
        """;

    [Fact]
    public void SmoveMlp_TypedO_MatchesSigmoidOfXTimesW()
    {
        var folder = TypedGraph.Tests.Support.Fixtures.Path("smove_mlp");
        var run = GeneratorHarness.Generate(Path.Combine(folder, "my_test_model-1000.meta"),
            new Dictionary<string, string> { ["ClassName"] = "Smove", ["Namespace"] = "Demo", ["Visibility"] = "public" }, Probe);
        var asm = InMemoryAssembly.Load(run.Output);
        // Four rows: a leading 1 (bias column), then 20 features.
        var x = new float[4 * 21];
        for (int r = 0; r < 4; r++)
        {
            x[r * 21] = 1f;
            for (int c = 1; c < 21; c++) x[r * 21 + c] = (r + 1) * 0.1f * c - 1f;
        }
        var y = (float[])InMemoryAssembly.Call(asm, "Demo.Probe", "Predict", folder, x)!;

        // Naive reference with W read straight from TF's checkpoint.
        using var reader = TypedGraph.Formats.CheckpointReader.Open(Path.Combine(folder, "my_test_model-1000"));
        var w = reader.Read("W").ToArray<float>();
        Assert.Equal(4, y.Length);
        for (int r = 0; r < 4; r++)
        {
            double dot = 0;
            for (int c = 0; c < 21; c++) dot += x[r * 21 + c] * w[c];
            Assert.Equal(1 / (1 + Math.Exp(-dot)), y[r], 5);
        }
    }
}

/// <summary>A frozen GraphDef (<c>.pb</c>, variables folded into constants) through the generator.</summary>
public class RunGeneratedFrozenTests
{
    private const string Probe = """
        using TypedGraph.Typed;
        namespace Demo;
        public static class Probe
        {
            public static float[] RunFrozen(float[] x)
            {
                using var m = Frozen.Create();   // nothing to restore: the weights are constants
                return m.O.Run(x: TensorValue<float>.Create(x, x.Length / 21, 21)).ToArray();
            }

            public static float[] Restored(string folder, float[] x)
            {
                using var m = Checkpointed.Restore(folder);
                return m.O.Run(x: TensorValue<float>.Create(x, x.Length / 21, 21)).ToArray();
            }
        }
        """;

    [Fact]
    public void FrozenSmoveTf_GivesTheSameOAsItsRestoredCheckpoint()
    {
        var folder = TypedGraph.Tests.Support.Fixtures.Path("smove_tf");
        var frozen = Path.Combine(folder, "frozen_smovetf.pb");
        var meta = Path.Combine(folder, "smovetf.ckpt.meta");
        var metadata = new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            [frozen] = new Dictionary<string, string> { ["ClassName"] = "Frozen", ["Namespace"] = "Demo", ["Visibility"] = "public" },
            [meta] = new Dictionary<string, string> { ["ClassName"] = "Checkpointed", ["Namespace"] = "Demo", ["Visibility"] = "public" },
        };
        GeneratorHarness.Driver([frozen, meta], metadata)
            .RunGeneratorsAndUpdateCompilation(GeneratorHarness.Compilation(Probe), out var output, out var diagnostics);
        Assert.DoesNotContain(diagnostics, d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error);
        var asm = InMemoryAssembly.Load(output);
        var x = new float[3 * 21];
        for (int i = 0; i < x.Length; i++) x[i] = i % 21 == 0 ? 1f : MathF.Sin(i);
        var a = (float[])InMemoryAssembly.Call(asm, "Demo.Probe", "RunFrozen", x)!;
        var b = (float[])InMemoryAssembly.Call(asm, "Demo.Probe", "Restored", folder, x)!;
        Assert.Equal(3, a.Length);
        Assert.Equal(b, a);
        Assert.All(a, v => Assert.InRange(v, 0f, 1f));
    }
}
