using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using TypedGraph.Tests.Compat;

namespace TypedGraph.Benchmarks.Compat;

/// <summary>
/// A 20,405-node TF1 training graph (<see cref="BigGraph"/>: 1,200 dense tanh layers with gradients and
/// ApplyGradientDescent nodes, ~2.5 MB .meta): parse the .meta, cold start (load + session + init + first
/// forward Run, which builds the pruned plan), and a steady forward Run on the cached plan (batch 8).
/// </summary>
[MemoryDiagnoser]
public class BigGraphBenchmarks
{
    private const int Layers = 1200;
    private string _path = null!;
    private byte[] _bytes = null!;
    private TypedGraph.Execution.Session _warm = null!;
    private Dictionary<string, Tensor> _feeds = null!;

    [GlobalSetup]
    public void Setup()
    {
        _path = Path.Combine(Path.GetTempPath(), $"tg-bench-big-{Environment.ProcessId}.meta");
        _bytes = BigGraph.Build(Layers).ToByteArray();
        File.WriteAllBytes(_path, _bytes);
        var x = new float[8 * BigGraph.Width];
        for (int i = 0; i < x.Length; i++) x[i] = (i % 7 - 3) * 0.3f;
        _feeds = new() { ["x:0"] = Tensor.Create(x, 8, BigGraph.Width) };
        _warm = new TypedGraph.Execution.Session(MetaGraph.Load(_path).Graph);
        _warm.RunTargets("init");
        _warm.Run([BigGraph.Output(Layers)], _feeds)[0].Dispose();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _warm.Dispose();
        File.Delete(_path);
    }

    /// <summary>MetaGraph.Load: read + parse + index 20k nodes.</summary>
    [Benchmark]
    public int LoadMeta() => MetaGraph.Load(_path).Graph.Nodes.Count;

    /// <summary>Load, new Session, run <c>init</c> (2,400 Assigns), first forward Run (plan built).</summary>
    [Benchmark]
    public float ColdStartFirstRun()
    {
        var meta = MetaGraph.Load(_path);
        using var session = new TypedGraph.Execution.Session(meta.Graph);
        session.RunTargets("init");
        using var y = session.Run([BigGraph.Output(Layers)], _feeds)[0];
        return y.AsSpan<float>()[0];
    }

    /// <summary>Forward Run through 1,200 layers on a cached plan.</summary>
    [Benchmark]
    public float SteadyForwardRun()
    {
        using var y = _warm.Run([BigGraph.Output(Layers)], _feeds)[0];
        return y.AsSpan<float>()[0];
    }
}
