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
                return m.Bias.Read.Run();
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
