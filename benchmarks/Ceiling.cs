using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;

namespace TypedGraph.Benchmarks;

/// <summary>
/// This machine's ceiling, measured in the same run as the peer cases: a pure Vector512 FMA loop with
/// 16 independent accumulators (no memory traffic) on one core and on every core, and a large memory
/// copy for bandwidth.
/// </summary>
public static class Ceiling
{
    /// <summary>Iterations of the FMA loop per call (16 FMAs of 16 lanes each per iteration).</summary>
    public const long FmaIterations = 20_000_000;

    /// <summary>FLOPs of one <see cref="FmaLoop"/> call.</summary>
    public const double FmaFlops = FmaIterations * 16.0 * 16 * 2;

    /// <summary>Bytes moved (read + written) by one <see cref="Copy"/> call.</summary>
    public const double CopyBytes = 2.0 * CopyLength * 4;

    private const int CopyLength = 64 << 20; // 256 MiB of floats
    private static float[]? s_src, s_dst;

    /// <summary>The FMA loop; returns a value so the work is not elided.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static float FmaLoop()
    {
        var m = Vector512.Create(0.9999999f);
        var a = Vector512.Create(1e-7f);
        Vector512<float> c0 = m, c1 = m, c2 = m, c3 = m, c4 = m, c5 = m, c6 = m, c7 = m;
        Vector512<float> c8 = m, c9 = m, c10 = m, c11 = m, c12 = m, c13 = m, c14 = m, c15 = m;
        for (long i = 0; i < FmaIterations; i++)
        {
            c0 = Vector512.FusedMultiplyAdd(c0, m, a); c1 = Vector512.FusedMultiplyAdd(c1, m, a);
            c2 = Vector512.FusedMultiplyAdd(c2, m, a); c3 = Vector512.FusedMultiplyAdd(c3, m, a);
            c4 = Vector512.FusedMultiplyAdd(c4, m, a); c5 = Vector512.FusedMultiplyAdd(c5, m, a);
            c6 = Vector512.FusedMultiplyAdd(c6, m, a); c7 = Vector512.FusedMultiplyAdd(c7, m, a);
            c8 = Vector512.FusedMultiplyAdd(c8, m, a); c9 = Vector512.FusedMultiplyAdd(c9, m, a);
            c10 = Vector512.FusedMultiplyAdd(c10, m, a); c11 = Vector512.FusedMultiplyAdd(c11, m, a);
            c12 = Vector512.FusedMultiplyAdd(c12, m, a); c13 = Vector512.FusedMultiplyAdd(c13, m, a);
            c14 = Vector512.FusedMultiplyAdd(c14, m, a); c15 = Vector512.FusedMultiplyAdd(c15, m, a);
        }
        var s = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11 + c12 + c13 + c14 + c15;
        return s[0];
    }

    /// <summary>The FMA loop on every core at once.</summary>
    public static float FmaAllCores()
    {
        float sum = 0;
        Parallel.For(0, Environment.ProcessorCount, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, _ =>
        {
            float v = FmaLoop();
            lock (s_lock) sum += v;
        });
        return sum;
    }

    private static readonly object s_lock = new();

    /// <summary>Copies a 256 MiB buffer (single thread).</summary>
    public static void Copy()
    {
        s_src ??= Enumerable.Range(0, CopyLength).Select(i => (float)i).ToArray();
        s_dst ??= new float[CopyLength];
        s_src.AsSpan().CopyTo(s_dst);
    }

    /// <summary>Median seconds of <paramref name="reps"/> calls after one warm-up call.</summary>
    public static double Median(Action action, int reps)
    {
        action();
        var t = new double[reps];
        for (int i = 0; i < reps; i++)
        {
            var sw = Stopwatch.StartNew();
            action();
            t[i] = sw.Elapsed.TotalSeconds;
        }
        Array.Sort(t);
        return t[reps / 2];
    }

    /// <summary>Shortest of <paramref name="reps"/> timed runs (after one warm-up), in seconds: on a shared machine the
    /// run that no other process interrupted — for A/B probes, not for reported results.</summary>
    public static double Best(Action action, int reps)
    {
        action();
        double best = double.MaxValue;
        for (int i = 0; i < reps; i++)
        {
            var sw = Stopwatch.StartNew();
            action();
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return best;
    }

    /// <summary>Prints GFLOP/s (one core, all cores) and copy GB/s.</summary>
    public static void Print()
    {
        double one = FmaFlops / Median(() => FmaLoop(), 9) / 1e9;
        double all = Environment.ProcessorCount * FmaFlops / Median(() => FmaAllCores(), 9) / 1e9;
        double copy = CopyBytes / Median(Copy, 7) / 1e9;
        Console.WriteLine($"Vector512 hardware-accelerated: {Vector512.IsHardwareAccelerated}; cores: {Environment.ProcessorCount}");
        Console.WriteLine($"FMA ceiling, 1 core:    {one:F1} GFLOP/s");
        Console.WriteLine($"FMA ceiling, all cores: {all:F1} GFLOP/s");
        Console.WriteLine($"memory copy (256 MiB):  {copy:F1} GB/s (read + write)");
    }
}

/// <summary>The ceiling as BenchmarkDotNet cases (GFLOP/s = <see cref="Ceiling.FmaFlops"/> / median).</summary>
public class CeilingBench
{
    [Benchmark] public float FmaOneCore() => Ceiling.FmaLoop();

    [Benchmark] public float FmaAllCores() => Ceiling.FmaAllCores();

    [Benchmark] public void MemoryCopy256MiB() => Ceiling.Copy();
}
