using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using TypedGraph.Benchmarks.Peers;

namespace TypedGraph.Benchmarks.Execution;

/// <summary>
/// The serving case: many concurrent <see cref="PreparedRun.Run"/> calls on ONE session. MLP 784-128-10 at batch 1
/// (each run is single-threaded: its GEMMs are far below the parallel threshold), measured for a fixed time with one
/// calling thread and then with one thread per core; prints runs per second and the scaling ratio. Every thread checks
/// its last result against the single-threaded one, so a data race shows up as a failure, not as a fast number. Two
/// controls run the same way: one session per thread (nothing of the session shared) and a plain Vector512 GEMV with the
/// first layer's footprint (no TypedGraph code), which tell the session's own limits from the machine's.
/// Printed by <c>-- throughput [seconds]</c>. A whole-process timer, not BenchmarkDotNet: the quantity is a rate under
/// contention, which BenchmarkDotNet's one-thread harness does not measure.
/// </summary>
internal static class ThroughputProbe
{
    public static void Print(double seconds, int rounds = 5)
    {
        var x = BenchData.Random(6, 784);
        var w1 = BenchData.Random(7, 784 * 128, 0.05f);
        var b1 = BenchData.Random(8, 128, 0.1f);
        var w2 = BenchData.Random(9, 128 * 10, 0.1f);
        var b2 = BenchData.Random(10, 10, 0.1f);
        using var graph = Build(x, w1, b1, w2, b2);
        var reference = graph.Run().ToArray<float>();
        var run = graph.Prepared;

        // Each worker gets its own loop body from a factory (its own feeds/buffers), runs it in blocks of 64 until the
        // time is up, and returns how many runs it did.
        double Measure(int threads, Func<int, Func<long>> worker)
        {
            long total = 0;
            var stop = Stopwatch.StartNew();
            var workers = Enumerable.Range(0, threads).Select(t =>
            {
                var body = worker(t);
                return new Thread(() =>
                {
                    long count = 0;
                    while (stop.Elapsed.TotalSeconds < seconds) count += body();
                    Interlocked.Add(ref total, count);
                });
            }).ToList();
            workers.ForEach(t => t.Start());
            workers.ForEach(t => t.Join());
            return total / stop.Elapsed.TotalSeconds;
        }

        // Each worker runs 64 runs of a prepared request into its own feeds/results, then checks its last result.
        Func<long> Runs(PreparedRun prepared, bool bound, string what)
        {
            var feeds = new[] { Tensor.Create(x, 1, 784) };
            var results = new[] { Tensor.Create(new float[10], 1, 10) };
            return () =>
            {
                for (int i = 0; i < 64; i++)
                {
                    if (bound) prepared.RunInto(feeds, results);
                    else prepared.Run(feeds, results);
                }
                Check(results[0].ToArray<float>(), reference, what);
                return 64;
            };
        }

        // The serving case: every thread calls the SAME prepared run of the same session; then the same with bound outputs
        // (RunInto: a steady run allocates nothing, so no thread waits for a collection the other's allocations triggered).
        Func<long> SharedSession(int _) => Runs(run, bound: false, "shared session");
        Func<long> SharedSessionInto(int _) => Runs(run, bound: true, "shared session, RunInto");

        // Control 1: one session per thread (nothing of the session shared) — if this scales no better than the shared
        // session, the session's shared state (plan cache, frame pool, locks) is not what limits scaling.
        var own = new SessionGraph[Environment.ProcessorCount];
        Func<long> OwnSession(int t) => Runs((own[t] ??= Build(x, w1, b1, w2, b2)).Prepared, bound: false, "own session");

        // Control 2: no TypedGraph code at all — the same first-layer work (x[784] · W[784×128] with Vector512 FMAs,
        // reading the same 392 KiB of weights per run), one private copy of the weights per thread. This is the machine's
        // own scaling for a batch-1 layer whose weights stream from L2 on every run.
        Func<long> PlainGemv(int _)
        {
            var w = (float[])w1.Clone();
            var y = new float[128];
            return () =>
            {
                for (int i = 0; i < 64; i++) Gemv(x, w, y);
                return 64;
            };
        }

        int cores = Environment.ProcessorCount;
        Console.WriteLine($"load average before: {File.ReadAllText("/proc/loadavg").Trim()}");
        foreach (var (name, worker) in new (string, Func<int, Func<long>>)[]
                 { ("one session, shared", SharedSession), ("one session, shared, RunInto", SharedSessionInto), ("one session per thread", OwnSession), ("plain Vector512 GEMV (no TypedGraph)", PlainGemv) })
        {
            Measure(1, worker); // warm-up (JIT tiers, pooled buffers, the second session's plan)
            // One thread and all threads alternate, `rounds` times each, and the medians are compared: a host that
            // speeds up or slows down for a few seconds then moves both sides, not one.
            var ones = new double[rounds];
            var alls = new double[rounds];
            int gen0 = GC.CollectionCount(0);
            var clock = Stopwatch.StartNew();
            for (int r = 0; r < rounds; r++)
            {
                ones[r] = Measure(1, worker);
                alls[r] = Measure(cores, worker);
            }
            double gcPerSecond = (GC.CollectionCount(0) - gen0) / clock.Elapsed.TotalSeconds;
            double one = Median(ones), all = Median(alls);
            Console.WriteLine($"MLP 784-128-10 batch 1, {name}: 1 thread {one:F0} runs/s ({1e6 / one:F2} us/run); {cores} threads {all:F0} runs/s; " +
                              $"scaling {all / one:F2}x (medians of {rounds} alternating rounds of {seconds:G3} s; per-round ratios {string.Join(" ", alls.Zip(ones, (a, o) => (a / o).ToString("F2")))}); " +
                              $"{gcPerSecond:F0} gen-0 collections/s");
        }
        Console.WriteLine($"load average after: {File.ReadAllText("/proc/loadavg").Trim()}");
        foreach (var g in own) g?.Dispose();
    }

    private static double Median(double[] values)
    {
        var v = (double[])values.Clone();
        Array.Sort(v);
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    private static SessionGraph Build(float[] x, float[] w1, float[] b1, float[] w2, float[] b2)
    {
        var graph = new SessionGraph();
        string sx = graph.Placeholder("x", Protos.DataType.DtFloat);
        string h = graph.Op("Relu", [graph.Op("BiasAdd", [graph.Op("MatMul", [sx, graph.Const(Tensor.Create(w1, 784, 128))]), graph.Const(Tensor.Create(b1, 128))])]);
        h = graph.Op("Softmax", [graph.Op("BiasAdd", [graph.Op("MatMul", [h, graph.Const(Tensor.Create(w2, 128, 10))]), graph.Const(Tensor.Create(b2, 10))])]);
        graph.Prepare(sx, h, Tensor.Create(x, 1, 784));
        return graph;
    }

    // A data race shows up as a failure, not as a fast number: every block's last result must equal the single-threaded one.
    private static void Check(float[] got, float[] reference, string what)
    {
        for (int i = 0; i < got.Length; i++)
            if (got[i] != reference[i]) throw new InvalidOperationException($"{what}: result [{i}] = {got[i]}, single-threaded {reference[i]}");
    }

    // y[128] = x[784] · W[784×128], eight Vector512 accumulators (in registers) across the 128 columns.
    private static void Gemv(float[] x, float[] w, float[] y)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        ref float row = ref w[0];
        for (int k = 0; k < 784; k++, row = ref Unsafe.Add(ref row, 128))
        {
            var xk = Vector512.Create(x[k]);
            a0 = Vector512.FusedMultiplyAdd(xk, Vector512.LoadUnsafe(ref row, 0), a0);
            a1 = Vector512.FusedMultiplyAdd(xk, Vector512.LoadUnsafe(ref row, 16), a1);
            a2 = Vector512.FusedMultiplyAdd(xk, Vector512.LoadUnsafe(ref row, 32), a2);
            a3 = Vector512.FusedMultiplyAdd(xk, Vector512.LoadUnsafe(ref row, 48), a3);
            a4 = Vector512.FusedMultiplyAdd(xk, Vector512.LoadUnsafe(ref row, 64), a4);
            a5 = Vector512.FusedMultiplyAdd(xk, Vector512.LoadUnsafe(ref row, 80), a5);
            a6 = Vector512.FusedMultiplyAdd(xk, Vector512.LoadUnsafe(ref row, 96), a6);
            a7 = Vector512.FusedMultiplyAdd(xk, Vector512.LoadUnsafe(ref row, 112), a7);
        }
        a0.CopyTo(y, 0); a1.CopyTo(y, 16); a2.CopyTo(y, 32); a3.CopyTo(y, 48);
        a4.CopyTo(y, 64); a5.CopyTo(y, 80); a6.CopyTo(y, 96); a7.CopyTo(y, 112);
    }
}
