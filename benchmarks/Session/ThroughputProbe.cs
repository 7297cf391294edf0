using System.Diagnostics;
using TypedGraph.Benchmarks.Peers;

namespace TypedGraph.Benchmarks.Execution;

/// <summary>
/// The serving case: many concurrent <see cref="PreparedRun.Run"/> calls on ONE session. MLP 784-128-10 at batch 1
/// (each run is single-threaded: its GEMMs are far below the parallel threshold), measured for a fixed time with one
/// calling thread and then with one thread per core; prints runs per second and the scaling ratio. Every thread checks
/// its last result against the single-threaded one, so a data race shows up as a failure, not as a fast number.
/// Printed by <c>-- throughput [seconds]</c>. A whole-process timer, not BenchmarkDotNet: the quantity is a rate under
/// contention, which BenchmarkDotNet's one-thread harness does not measure.
/// </summary>
internal static class ThroughputProbe
{
    public static void Print(double seconds)
    {
        var x = BenchData.Random(6, 784);
        var w1 = BenchData.Random(7, 784 * 128, 0.05f);
        var b1 = BenchData.Random(8, 128, 0.1f);
        var w2 = BenchData.Random(9, 128 * 10, 0.1f);
        var b2 = BenchData.Random(10, 10, 0.1f);
        using var graph = new SessionGraph();
        string sx = graph.Placeholder("x", Protos.DataType.DtFloat);
        string h = graph.Op("Relu", [graph.Op("BiasAdd", [graph.Op("MatMul", [sx, graph.Const(Tensor.Create(w1, 784, 128))]), graph.Const(Tensor.Create(b1, 128))])]);
        h = graph.Op("Softmax", [graph.Op("BiasAdd", [graph.Op("MatMul", [h, graph.Const(Tensor.Create(w2, 128, 10))]), graph.Const(Tensor.Create(b2, 10))])]);
        graph.Prepare(sx, h, Tensor.Create(x, 1, 784));
        var reference = graph.Run().ToArray<float>();
        var run = graph.Prepared;

        double Measure(int threads)
        {
            long total = 0;
            var stop = Stopwatch.StartNew();
            var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() =>
            {
                var feeds = new[] { Tensor.Create(x, 1, 784) };
                var results = new Tensor[1];
                long count = 0;
                while (stop.Elapsed.TotalSeconds < seconds)
                {
                    for (int i = 0; i < 64; i++) run.Run(feeds, results);
                    count += 64;
                }
                var got = results[0].ToArray<float>();
                for (int i = 0; i < got.Length; i++)
                    if (got[i] != reference[i]) throw new InvalidOperationException($"thread result [{i}] = {got[i]}, single-threaded {reference[i]}");
                Interlocked.Add(ref total, count);
            })).ToList();
            workers.ForEach(t => t.Start());
            workers.ForEach(t => t.Join());
            return total / stop.Elapsed.TotalSeconds;
        }

        Measure(1); // warm-up (JIT tiers, pooled buffers)
        Console.WriteLine($"load average before: {File.ReadAllText("/proc/loadavg").Trim()}");
        double one = Measure(1);
        int cores = Environment.ProcessorCount;
        double all = Measure(cores);
        Console.WriteLine($"MLP 784-128-10 batch 1, one session: 1 thread {one:F0} runs/s ({1e6 / one:F2} us/run); {cores} threads {all:F0} runs/s; scaling {all / one:F2}x");
        Console.WriteLine($"load average after: {File.ReadAllText("/proc/loadavg").Trim()}");
    }
}
