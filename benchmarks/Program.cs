using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using TypedGraph.Benchmarks;

// `ceiling` prints this machine's FMA and copy ceilings; anything else goes to BenchmarkDotNet.
// BENCH_ITERATIONS (default 25) sets the measured iterations: keep it small while developing.
if (args.Length > 0 && args[0] == "ceiling")
{
    Ceiling.Print();
    return;
}
Console.WriteLine("TorchSharp: unavailable on this machine (TorchSharp-cpu 0.107 needs GLIBCXX_3.4.32; this libstdc++ stops at 3.4.30), so ONNX Runtime is the peer.");
Ceiling.Print();
int iterations = int.TryParse(Environment.GetEnvironmentVariable("BENCH_ITERATIONS"), out var it) ? it : 25;
var job = Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(iterations);
var config = DefaultConfig.Instance.AddJob(job).AddColumn(StatisticColumn.Median, StatisticColumn.Min, StatisticColumn.Max)
    .WithOptions(ConfigOptions.DisableOptimizationsValidator);
BenchmarkSwitcher.FromAssembly(typeof(Ceiling).Assembly).Run(args, config);
