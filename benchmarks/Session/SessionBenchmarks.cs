using BenchmarkDotNet.Attributes;

namespace TypedGraph.Benchmarks.Execution;

/// <summary>
/// Executor overhead and steady-state allocation on real TF graphs: smove_mlp's O = sigmoid(X·W) and
/// mnist_fc2's logits (784-100-25-10), batch 64, through the dictionary Run and a PreparedRun.
/// MemoryDiagnoser shows the bytes a run allocates (only the fetched output should remain).
/// </summary>
[MemoryDiagnoser]
public class SessionBenchmarks
{
    private TypedGraph.Execution.Session _smove = null!;
    private TypedGraph.Execution.Session _fc2 = null!;
    private Dictionary<string, Tensor> _smoveFeeds = null!;
    private PreparedRun _fc2Run = null!;
    private Tensor[] _fc2Feeds = null!;
    private readonly Tensor[] _results = new Tensor[1];

    [GlobalSetup]
    public void Setup()
    {
        var smove = MetaGraph.Load(FixturePaths.Path("smove_mlp", "my_test_model-1000.meta"));
        _smove = new TypedGraph.Execution.Session(smove.Graph);
        _smove.Restore(FixturePaths.Path("smove_mlp"), smove.SaverDef);
        _smoveFeeds = new() { ["X:0"] = Tensor.Create(Enumerable.Range(0, 64 * 21).Select(i => (float)Math.Sin(i)).ToArray(), 64, 21) };

        var fc2 = MetaGraph.Load(FixturePaths.Path("mnist_fc2", "fc2.ckpt.meta"));
        _fc2 = new TypedGraph.Execution.Session(fc2.Graph);
        _fc2.Restore(FixturePaths.Path("mnist_fc2", "fc2.ckpt"), fc2.SaverDef);
        _fc2Run = _fc2.Prepare(["output/output:0"], ["input/x:0"]);
        _fc2Feeds = [Tensor.Create(Enumerable.Range(0, 64 * 784).Select(i => (float)((i * 37) % 255) / 255f).ToArray(), 64, 784)];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _smove.Dispose();
        _fc2.Dispose();
    }

    /// <summary>smove_mlp through <c>Session.Run(fetches, feeds)</c>.</summary>
    [Benchmark]
    public Tensor SmoveRunDictionary() => _smove.Run(["O:0"], _smoveFeeds)[0];

    /// <summary>mnist_fc2 logits through a PreparedRun.</summary>
    [Benchmark]
    public Tensor Fc2LogitsPrepared()
    {
        _fc2Run.Run(_fc2Feeds, _results);
        return _results[0];
    }
}

/// <summary>Finds ../shared/fixtures beside the folder holding TypedGraph.sln.</summary>
internal static class FixturePaths
{
    public static string Path(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "TypedGraph.sln")))
                return System.IO.Path.Combine([dir.FullName, "..", "shared", "fixtures", .. parts]);
        throw new DirectoryNotFoundException("TypedGraph.sln not found above " + AppContext.BaseDirectory);
    }
}
