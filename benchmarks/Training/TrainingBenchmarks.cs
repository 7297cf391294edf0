using BenchmarkDotNet.Attributes;
using TypedGraph.Building;
using TypedGraph.Kernels;
using TypedGraph.Protos;
using TypedGraph.Training;

namespace TypedGraph.Benchmarks.Training;

/// <summary>
/// Training-side costs: one Adam step of the TF-written mnist_fc2 graph through its own train op (batch 64,
/// 784-100-25-10: forward, TF's gradient subgraph, 6 ApplyAdam), the two Conv2D backprops of a LeNet-size
/// layer (32×28×28×6 → 16, 5×5 SAME), and a full Saver.Save of mnist_fc2's 21 variables (975 KB).
/// Fixtures are read from ../shared/fixtures (TYPEDGRAPH_FIXTURES overrides).
/// </summary>
[MemoryDiagnoser]
public class TrainingBenchmarks
{
    private Session _fc2 = null!;
    private Session _cnn = null!;
    private Dictionary<string, Tensor> _cnnFeeds = null!;
    private Saver _saver = null!;
    private Dictionary<string, Tensor> _feeds = null!;
    private string _dir = "";
    private Tensor _x = null!, _f = null!, _dy = null!, _xShape = null!, _fShape = null!;
    private OpKernel _bpInput = null!, _bpFilter = null!;
    private SessionState _state = new();

    /// <summary>The training sessions' options; <c>BENCH_OPTIMIZE_DEPENDENCIES=0</c> turns the NoOp conversion off (A/B runs).</summary>
    private static SessionOptions Options => new() { OptimizeDependencies = Environment.GetEnvironmentVariable("BENCH_OPTIMIZE_DEPENDENCIES") != "0" };

    [GlobalSetup]
    public void Setup()
    {
        var root = Environment.GetEnvironmentVariable("TYPEDGRAPH_FIXTURES") ?? FindFixtures();
        var meta = MetaGraph.Load(Path.Combine(root, "mnist_fc2", "fc2.ckpt.meta"));
        var b = GraphBuilder.FromMetaGraph(meta.Proto);
        _fc2 = new Session(b.Graph, Options);
        _saver = Saver.FromSaverDef(b, meta.Proto.SaverDef);
        _saver.Restore(_fc2, Path.Combine(root, "mnist_fc2", "fc2.ckpt"));
        var rng = new Random(1);
        var oneHot = new long[64 * 10];
        for (int i = 0; i < 64; i++) oneHot[i * 10 + i % 10] = 1;
        _feeds = new() { ["input/x:0"] = Tensor.Create(Enumerable.Range(0, 64 * 784).Select(_ => (float)rng.NextDouble()).ToArray(), 64, 784), ["one_hot/one_hot:0"] = Tensor.Create(oneHot, 64, 10) };
        _dir = Directory.CreateTempSubdirectory("tg-train-bench").FullName;

        // The TF-written LeNet (mnist_cnn_meta, TF 1.13: two 5×5 SAME convs + pools, dropout, 784-200-10, Adam): a meta
        // graph without checkpoint data, so its variables start from their own initializers.
        var cnnMeta = MetaGraph.Load(Path.Combine(root, "mnist_cnn_meta", "cnn.ckpt.meta"));
        _cnn = new Session(GraphBuilder.FromMetaGraph(cnnMeta.Proto).Graph, Options);
        _cnn.Initialize();
        var labels = new float[64 * 10];
        for (int i = 0; i < 64; i++) labels[i * 10 + i % 10] = 1;
        // The train op needs the labels twice (`y_` and `Placeholder`, both read by the graph's loss/summary path) and the
        // learning rate's ExponentialDecay step from `Placeholder_1`.
        _cnnFeeds = new()
        {
            ["x:0"] = Tensor.Create(Enumerable.Range(0, 64 * 784).Select(_ => (float)rng.NextDouble()).ToArray(), 64, 784),
            ["y_:0"] = Tensor.Create(labels, 64, 10),
            ["Placeholder:0"] = Tensor.Create(labels, 64, 10),
            ["Placeholder_1:0"] = Tensor.FromScalar(100),
            ["pkeep:0"] = Tensor.FromScalar(0.75f),
        };

        var cb = new GraphBuilder();
        var attrs = new Dictionary<string, AttrValue> { ["strides"] = Attrs.Ints(1, 1, 1, 1), ["padding"] = Attrs.String("SAME") };
        var ph = (DataType t, string n) => cb.Placeholder(t, null, n);
        var bi = cb.AddOperation("Conv2DBackpropInput", [ph(DataType.DtInt32, "s"), ph(DataType.DtFloat, "f"), ph(DataType.DtFloat, "g")], attrs);
        var bf = cb.AddOperation("Conv2DBackpropFilter", [ph(DataType.DtFloat, "x"), ph(DataType.DtInt32, "fs"), ph(DataType.DtFloat, "g2")], attrs);
        _bpInput = KernelRegistry.Default.Find(bi.Op)!(bi);
        _bpFilter = KernelRegistry.Default.Find(bf.Op)!(bf);
        float[] R(int n) => Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        _x = Tensor.Create(R(32 * 28 * 28 * 6), 32, 28, 28, 6);
        _f = Tensor.Create(R(5 * 5 * 6 * 16), 5, 5, 6, 16);
        _dy = Tensor.Create(R(32 * 28 * 28 * 16), 32, 28, 28, 16);
        _xShape = Tensor.Create(new[] { 32, 28, 28, 6 }, 4);
        _fShape = Tensor.Create(new[] { 5, 5, 6, 16 }, 4);
        _bpInputNode = bi;
        _bpFilterNode = bf;
    }

    private Node _bpInputNode = null!, _bpFilterNode = null!;

    [GlobalCleanup]
    public void Cleanup()
    {
        _fc2.Dispose();
        _cnn.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>One <c>Run(train_op)</c> of mnist_fc2 (Adam) on a 64-image batch.</summary>
    [Benchmark]
    public void Fc2AdamStep() => _fc2.Run([], _feeds, ["Adam"]);

    /// <summary>One <c>Run(train_op)</c> of the TF-written LeNet (Adam) on a 64-image batch: about 0.29 GFLOP (forward
    /// ≈ 95 MFLOP — conv1 15, conv2 60, dense 20 — and twice that backward).</summary>
    [Benchmark]
    public void CnnAdamStep() => _cnn.Run([], _cnnFeeds, ["Adam"]);

    /// <summary>Conv2DBackpropInput, 32×28×28×6 ← 16 channels, 5×5 SAME.</summary>
    [Benchmark]
    public Tensor Conv2DBackpropInput()
    {
        var ctx = new OpKernelContext(_bpInputNode, [_xShape, _f, _dy], 1, _state);
        _bpInput.Compute(ctx);
        return ctx.Output(0)!;
    }

    /// <summary>Conv2DBackpropFilter for the same layer.</summary>
    [Benchmark]
    public Tensor Conv2DBackpropFilter()
    {
        var ctx = new OpKernelContext(_bpFilterNode, [_x, _fShape, _dy], 1, _state);
        _bpFilter.Compute(ctx);
        return ctx.Output(0)!;
    }

    /// <summary>Saver.Save of mnist_fc2 (bundle + .meta + checkpoint), max_to_keep 5 rotating old files out.</summary>
    [Benchmark]
    public string SaveFc2() => _saver.Save(_fc2, Path.Combine(_dir, "fc2"), 1);

    /// <summary>
    /// Where one Adam step's time goes: total ms per op type (median step over <paramref name="steps"/> after a
    /// warm-up), plus the whole step and the bytes it allocates. Printed by <c>-- train-profile</c>.
    /// </summary>
    public void PrintStepProfile(int steps, bool cnn = false)
    {
        Action step = cnn ? CnnAdamStep : Fc2AdamStep;
        string what = cnn ? "mnist_cnn (LeNet)" : "mnist_fc2";
        for (int i = 0; i < 50; i++) step();
        var perOp = new Dictionary<string, List<double>>();
        var whole = new List<double>();
        var current = new Dictionary<string, double>();
        var perNode = new Dictionary<TypedGraph.Node, List<double>>();
        var currentNode = new Dictionary<TypedGraph.Node, double>();
        var lastStepBytes = new Dictionary<TypedGraph.Node, long>();
        long allocated = 0;
        for (int i = 0; i < steps; i++)
        {
            current.Clear();
            currentNode.Clear();
            long lastBytes = GC.GetAllocatedBytesForCurrentThread();
            TypedGraph.Execution.StaticExecutor.StepObserver = (step, ticks) =>
            {
                // Bytes the calling thread allocated since the previous node finished (the node's, plus the executor's between).
                long nowBytes = GC.GetAllocatedBytesForCurrentThread();
                if (i == steps - 1 && nowBytes - lastBytes > 0) lastStepBytes[step.Node] = nowBytes - lastBytes;
                lastBytes = nowBytes;
                double ms = ticks * 1e3 / System.Diagnostics.Stopwatch.Frequency;
                current[step.Node.Op] = current.GetValueOrDefault(step.Node.Op) + ms;
                // Keyed by the node itself: the profile must not allocate per node (the per-step bytes above are the step's).
                currentNode[step.Node] = currentNode.GetValueOrDefault(step.Node) + ms;
            };
            long a0 = GC.GetAllocatedBytesForCurrentThread();
            long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            step();
            whole.Add(System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            allocated += GC.GetAllocatedBytesForCurrentThread() - a0;
            TypedGraph.Execution.StaticExecutor.StepObserver = null;
            foreach (var (op, ms) in current)
            {
                if (!perOp.TryGetValue(op, out var list)) perOp[op] = list = new List<double>();
                list.Add(ms);
            }
            foreach (var (node, ms) in currentNode)
            {
                if (!perNode.TryGetValue(node, out var list)) perNode[node] = list = new List<double>();
                list.Add(ms);
            }
        }
        static double Median(List<double> l) { l.Sort(); return l[l.Count / 2]; }
        Console.WriteLine($"{what} Adam step, batch 64: median {Median(whole):F3} ms per step (with the observer), {allocated / steps / 1024.0:F1} KB allocated per step");
        double kernels = 0;
        foreach (var (op, list) in perOp.OrderByDescending(p => Median(p.Value)))
        {
            double m = Median(list);
            kernels += m;
            Console.WriteLine($"  {op,-28} {m,8:F4} ms");
        }
        Console.WriteLine($"  {"(sum of kernels)",-28} {kernels,8:F4} ms; executor overhead ≈ {Median(whole) - kernels:F4} ms");
        // Per node, the median and the 10th percentile (on a shared machine the low percentile is the steadier number).
        static double P10(List<double> l) { l.Sort(); return l[l.Count / 10]; }
        Console.WriteLine("the nodes over 0.05 ms (median, 10th percentile):");
        foreach (var (node, list) in perNode.Where(p => Median(p.Value) > 0.05).OrderByDescending(p => Median(p.Value)))
            Console.WriteLine($"  {node.Op + " " + node.Name,-66} {Median(list),8:F4} {P10(list),8:F4} ms");
        Console.WriteLine("bytes allocated on the calling thread in the last step, by the node that finished after them:");
        foreach (var (node, bytes) in lastStepBytes.OrderByDescending(p => p.Value).Take(12))
            Console.WriteLine($"  {node.Op + " " + node.Name,-66} {bytes,8} B");
    }

    /// <summary>
    /// In-place Apply vs copy-on-write (<see cref="TypedGraph.Kernels.VariableSlot.CopyOnWriteOnly"/>) on the same session,
    /// interleaved in blocks of <paramref name="stepsPerBlock"/> steps so both see the same machine load: median wall ms
    /// per step and process CPU ms per step (all threads, GC included) over the blocks, and bytes allocated per step.
    /// Printed by <c>-- train-ab</c>.
    /// </summary>
    public void PrintInPlaceAb(int blocks, int stepsPerBlock)
    {
        var wall = new[] { new List<double>(), new List<double>() };
        var cpu = new[] { new List<double>(), new List<double>() };
        var bytes = new long[2];
        var process = System.Diagnostics.Process.GetCurrentProcess();
        for (int i = 0; i < 30; i++) Fc2AdamStep();
        for (int blk = 0; blk < 2 * blocks; blk++)
        {
            int mode = (blk + blk / 2) % 2; // ABBA order
            TypedGraph.Kernels.VariableSlot.CopyOnWriteOnly = mode == 1;
            Fc2AdamStep(); // the first step after a switch copies either way
            process.Refresh();
            var cpu0 = process.TotalProcessorTime;
            long a0 = GC.GetAllocatedBytesForCurrentThread();
            long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            for (int i = 0; i < stepsPerBlock; i++) Fc2AdamStep();
            wall[mode].Add(System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalMilliseconds / stepsPerBlock);
            bytes[mode] += GC.GetAllocatedBytesForCurrentThread() - a0;
            process.Refresh();
            cpu[mode].Add((process.TotalProcessorTime - cpu0).TotalMilliseconds / stepsPerBlock);
        }
        TypedGraph.Kernels.VariableSlot.CopyOnWriteOnly = false;
        static double Median(List<double> l) { l.Sort(); return l[l.Count / 2]; }
        string[] names = ["in place", "copy-on-write"];
        for (int m = 0; m < 2; m++)
            Console.WriteLine($"{names[m],-14} wall {Median(wall[m]):F3} ms/step, process CPU {Median(cpu[m]):F3} ms/step, {bytes[m] / (double)(blocks * stepsPerBlock) / 1024:F1} KB/step");
        Console.WriteLine($"in place / copy-on-write: wall {Median(wall[0]) / Median(wall[1]):F2}, CPU {Median(cpu[0]) / Median(cpu[1]):F2}");
    }

    internal static string FindFixtures()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "TypedGraph.sln"))) return Path.GetFullPath(Path.Combine(d.FullName, "..", "shared", "fixtures"));
        throw new DirectoryNotFoundException("../shared/fixtures not found");
    }
}
