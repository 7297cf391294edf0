using System.Diagnostics;
using System.Globalization;
using System.Text;
using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.SavedModels;
using TypedGraph.Server;
using TypedGraph.Server.Batching;

namespace TypedGraph.Benchmarks.Serving;

/// <summary>
/// <c>dotnet run --project benchmarks -c Release -- serving [seconds] [clients]</c>: requests per second and p50/p99
/// latency of <c>:predict</c> over HTTP on loopback for an MLP (784 → 128 ReLU → 10 softmax) with one row per request,
/// with and without request batching, from <c>clients</c> concurrent HttpClient loops. Not BenchmarkDotNet: a load test
/// needs many concurrent callers and latency percentiles, not the mean of one caller. Prints the load average so a
/// result from a busy machine can be recognized.
/// </summary>
public static class HttpServingProbe
{
    public static void Print(double seconds, int clients)
    {
        var dir = Directory.CreateTempSubdirectory("tg-serving-bench-").FullName;
        try
        {
            WriteModel(Path.Combine(dir, "1"));
            var rng = new Random(1);
            var body = "{\"instances\": [[" + string.Join(",", Enumerable.Range(0, 784).Select(_ => rng.NextSingle().ToString("0.###", CultureInfo.InvariantCulture))) + "]]}";
            Console.WriteLine($"load average before: {LoadAverage()}; {Environment.ProcessorCount} cores; {clients} clients, {seconds} s per mode");
            Console.WriteLine($"{"mode",-34} {"req/s",8} {"p50 ms",8} {"p99 ms",8} {"runs/req",9}");
            foreach (var (name, batching) in new (string, BatchingOptions)[]
            {
                ("no batching", new BatchingOptions()),
                ("batching (timeout 0, max 64)", new BatchingOptions { Enabled = true, MaxBatchSize = 64 }),
                ("batching (timeout 1 ms, max 64)", new BatchingOptions { Enabled = true, MaxBatchSize = 64, Timeout = TimeSpan.FromMilliseconds(1) }),
            })
            {
                var (rps, p50, p99, runsPerRequest) = Measure(dir, body, batching, seconds, clients).GetAwaiter().GetResult();
                Console.WriteLine($"{name,-34} {rps,8:F0} {p50,8:F2} {p99,8:F2} {runsPerRequest,9:F2}");
            }
            Console.WriteLine($"load average after: {LoadAverage()}");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    private static async Task<(double Rps, double P50, double P99, double RunsPerRequest)> Measure(string dir, string body, BatchingOptions batching, double seconds, int clients)
    {
        await using var host = await ServingHost.StartAsync(new ServingOptions
        {
            ModelName = "mlp", ModelPath = dir, Port = 0, PollInterval = TimeSpan.Zero, Batching = batching,
            LogLevel = Microsoft.Extensions.Logging.LogLevel.Warning,
        });
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients }) { BaseAddress = host.BaseAddress };
        async Task Call()
        {
            using var r = await http.PostAsync("v1/models/mlp:predict", new StringContent(body, Encoding.UTF8, "application/json"));
            if (!r.IsSuccessStatusCode) throw new InvalidOperationException(await r.Content.ReadAsStringAsync());
            await r.Content.ReadAsByteArrayAsync();
        }
        for (int i = 0; i < 50; i++) await Call(); // warm up: JIT, plan cache, connections
        var latencies = new List<double>[clients];
        var stop = Stopwatch.StartNew();
        var until = TimeSpan.FromSeconds(seconds);
        var before = Scrape(await http.GetStringAsync("metrics"));
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
        {
            var mine = latencies[c] = [];
            while (stop.Elapsed < until)
            {
                long t0 = Stopwatch.GetTimestamp();
                await Call();
                mine.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }
        }));
        double elapsed = stop.Elapsed.TotalSeconds;
        var after = Scrape(await http.GetStringAsync("metrics"));
        var all = latencies.SelectMany(l => l).Order().ToArray();
        double runs = after.Runs - before.Runs, requests = after.Requests - before.Requests;
        return (all.Length / elapsed, all[all.Length / 2], all[Math.Min(all.Length - 1, (int)(all.Length * 0.99))], runs / Math.Max(1, requests));
    }

    private static (double Runs, double Requests) Scrape(string metrics)
    {
        double Value(string name)
        {
            foreach (var line in metrics.Split('\n'))
                if (line.StartsWith(name, StringComparison.Ordinal)) return double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            return 0;
        }
        return (Value("typedgraph_serving_batch_requests_count"), Value("typedgraph_serving_batch_requests_sum"));
    }

    private static void WriteModel(string exportDir)
    {
        var g = new GraphBuilder();
        var x = g.Placeholder(DataType.DtFloat, [-1, 784], "x");
        var h = g.Dense(x, 784, 128, "Relu", "hidden", seed: 1);
        var probs = g.Softmax(g.Dense(h, 128, 10, name: "logits", seed: 2), "probs");
        using var session = new Session(g.Graph);
        session.RunTargets(g.GlobalVariablesInitializer().Name);
        using var builder = new SavedModelBuilder(exportDir);
        builder.AddMetaGraphAndVariables(session, g, [SavedModelBuilder.ServeTag],
            new Dictionary<string, SignatureDef> { ["serving_default"] = SignatureDefs.Predict(g, new Dictionary<string, Output> { ["x"] = x }, new Dictionary<string, Output> { ["probs"] = probs }) });
        builder.Save();
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "n/a";
        }
    }
}
