using System.Text.Json;
using Google.Protobuf;
using TypedGraph.Cli.Commands;

namespace TypedGraph.Tests.Compat;

/// <summary>A 20k-node training graph loads, inspects, initializes, runs forward correctly and trains one step
/// (speed is measured in benchmarks/BigGraphBenchmarks, not here).</summary>
public sealed class BigGraphTests : IDisposable
{
    private const int Layers = 1200;
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-big").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void TwentyThousandNodeGraphInspectsAndRunsForward()
    {
        var path = Path.Combine(_dir, "big.meta");
        File.WriteAllBytes(path, BigGraph.Build(Layers).ToByteArray());

        var o = new StringWriter();
        var e = new StringWriter();
        Assert.True(CliApp.Run(["inspect", path, "--json"], o, e) == 0, e.ToString());
        using var doc = JsonDocument.Parse(o.ToString());
        Assert.Equal(17 * Layers + 5, doc.RootElement.GetProperty("nodeCount").GetInt32());
        Assert.Equal(0, doc.RootElement.GetProperty("unsupportedOps").GetArrayLength());
        Assert.Equal(2 * Layers, doc.RootElement.GetProperty("variables").GetArrayLength());

        var meta = MetaGraph.Load(path);
        using var session = new Session(meta.Graph);
        session.RunTargets("init");
        var x = new float[3 * BigGraph.Width];
        for (int i = 0; i < x.Length; i++) x[i] = (i % 7 - 3) * 0.3f;
        var y = session.Run(BigGraph.Output(Layers), ("x", Tensor.Create(x, 3, BigGraph.Width))).ToArray<float>();
        var expected = BigGraph.Reference(x, 3, Layers);
        for (int i = 0; i < y.Length; i++) Assert.Equal(expected[i], y[i], 1e-4f);

        // One step of the graph's own training op runs through all 2,400 ApplyGradientDescent nodes.
        session.Run([], new Dictionary<string, Tensor> { ["x:0"] = Tensor.Create(x, 3, BigGraph.Width) }, ["GradientDescent"]);
        var after = session.Run(BigGraph.Output(Layers), ("x", Tensor.Create(x, 3, BigGraph.Width))).ToArray<float>();
        Assert.NotEqual(y, after);
    }
}
