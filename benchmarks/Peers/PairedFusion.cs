using System.Diagnostics;

namespace TypedGraph.Benchmarks.Peers;

/// <summary>
/// <c>-- fusion</c>: the MLP and CNN through <see cref="Session"/> with and without plan-time fusion, runs
/// interleaved one by one so both see the same machine load (this machine is shared; separate
/// BenchmarkDotNet cases run minutes apart under different load). Prints medians and their ratio.
/// </summary>
internal static class PairedFusion
{
    public static void Print(int pairs)
    {
        foreach (int batch in new[] { 1, 64 })
        {
            var mlp = new MlpBench { Batch = batch };
            mlp.Setup();
            Report($"MLP batch {batch}", () => mlp.OursSession(), () => mlp.OursSessionUnfused(), pairs);
            mlp.Cleanup();
        }
        var cnn = new CnnBench();
        cnn.Setup();
        Report("CNN batch 64", () => cnn.OursSession(), () => cnn.OursSessionUnfused(), Math.Max(10, pairs / 20));
        cnn.Cleanup();
    }

    private static void Report(string name, Action fused, Action unfused, int pairs)
    {
        for (int i = 0; i < 5; i++) { fused(); unfused(); }
        var f = new double[pairs];
        var u = new double[pairs];
        for (int i = 0; i < pairs; i++)
        {
            // Alternate which goes first so neither always runs on a warmer cache.
            bool fusedFirst = (i & 1) == 0;
            if (fusedFirst) f[i] = Time(fused);
            u[i] = Time(unfused);
            if (!fusedFirst) f[i] = Time(fused);
        }
        Array.Sort(f);
        Array.Sort(u);
        double mf = f[pairs / 2], mu = u[pairs / 2];
        Console.WriteLine($"{name,-14} fused {Format(mf)}  unfused {Format(mu)}  fused/unfused {mf / mu:F2}  ({pairs} pairs)");
    }

    private static double Time(Action a)
    {
        long t0 = Stopwatch.GetTimestamp();
        a();
        return Stopwatch.GetElapsedTime(t0).TotalSeconds;
    }

    private static string Format(double s) => s < 1e-3 ? $"{s * 1e6,8:F1} µs" : $"{s * 1e3,8:F2} ms";
}
