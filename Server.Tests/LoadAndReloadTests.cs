using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using TypedGraph.Server.Batching;

namespace TypedGraph.Server.Tests;

/// <summary>Concurrency, request batching, version hot-swap and graceful shutdown against a real server.</summary>
public sealed class LoadAndReloadTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-serve-load-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static float[] Row(int i) => [i, -0.5f * i, 1 + i % 7];

    private static string Body(float[] x) => "{\"instances\": [[" + string.Join(", ", x.Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "]]}";

    private static double MetricValue(string metrics, string name)
    {
        var m = Regex.Match(metrics, "^" + Regex.Escape(name) + @"(\{[^}]*\})? ([0-9.eE+-]+)$", RegexOptions.Multiline);
        Assert.True(m.Success, $"{name} not in /metrics");
        return double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task A_hundred_concurrent_clients_each_get_their_own_answer_and_metrics_show_merged_batches()
    {
        TestModel.WriteSavedModel(Path.Combine(_dir, "1"), 1);
        await using var server = await RunningServer.StartAsync(_dir, batching: new BatchingOptions { Enabled = true, MaxBatchSize = 64, Timeout = TimeSpan.FromMilliseconds(5) });
        var tasks = Enumerable.Range(0, 100).Select(async i =>
        {
            var (status, body, text) = await server.PostAsync("v1/models/mlp:predict", Body(Row(i)));
            Assert.True(status == HttpStatusCode.OK, text);
            return (i, PredictApiTests.Floats(body.GetProperty("predictions")));
        }).ToList();
        foreach (var (i, got) in await Task.WhenAll(tasks))
        {
            var want = TestModel.Predict(1, Row(i));
            Assert.Equal(2, got.Length);
            for (int j = 0; j < 2; j++) Assert.True(Math.Abs(want[j] - got[j]) <= 1e-4f * Math.Max(1, Math.Abs(want[j])), $"client {i}: {want[j]} vs {got[j]}");
        }
        var metrics = await server.Client.GetStringAsync("metrics");
        Assert.Equal(100, MetricValue(metrics, "typedgraph_serving_batch_requests_sum"));
        double runs = MetricValue(metrics, "typedgraph_serving_batch_requests_count");
        Assert.True(runs < 100, $"100 requests ran in {runs} session runs: nothing was merged");
        Assert.Equal(100, MetricValue(metrics, "typedgraph_serving_batch_size_sum"));
        Assert.Equal(0, MetricValue(metrics, "typedgraph_serving_batch_pending_requests"));
        Assert.Contains("typedgraph_serving_requests_total{model=\"mlp\",api=\"predict\",code=\"200\"} 100", metrics);
    }

    [Fact]
    public async Task A_new_version_folder_is_swapped_in_under_load_with_no_failed_request()
    {
        TestModel.WriteSavedModel(Path.Combine(_dir, "1"), 1);
        await using var server = await RunningServer.StartAsync(_dir, poll: TimeSpan.FromMilliseconds(50));
        var x = Row(3);
        var v1 = TestModel.Predict(1, x);
        var v2 = TestModel.Predict(2, x);
        int ok1 = 0, ok2 = 0, failures = 0;
        var failuresText = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        bool swapped = false;
        async Task Client()
        {
            int after = 0;
            while (!stop.IsCancellationRequested && after < 20)
            {
                var (status, body, text) = await server.PostAsync("v1/models/mlp:predict", Body(x));
                if (status != HttpStatusCode.OK) { Interlocked.Increment(ref failures); failuresText.Enqueue(text); continue; }
                var got = PredictApiTests.Floats(body.GetProperty("predictions"));
                if (got.SequenceEqual(v1)) Interlocked.Increment(ref ok1);
                else if (got.SequenceEqual(v2)) Interlocked.Increment(ref ok2);
                else { Interlocked.Increment(ref failures); failuresText.Enqueue(string.Join(",", got)); }
                if (Volatile.Read(ref swapped)) after++;
            }
        }
        var clients = Enumerable.Range(0, 8).Select(_ => Task.Run(Client)).ToList();
        await Task.Delay(300);
        // Write version 2 elsewhere, then move it in with one rename, as a deployment would.
        var staging = Path.Combine(Path.GetTempPath(), "tg-stage-" + Guid.NewGuid().ToString("N"));
        TestModel.WriteSavedModel(staging, 2);
        Directory.Move(staging, Path.Combine(_dir, "2"));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (server.Host.Model.CurrentVersion != 2 && DateTime.UtcNow < deadline) await Task.Delay(20);
        Volatile.Write(ref swapped, true);
        await Task.WhenAll(clients);
        Assert.True(failures == 0, $"{failures} failed: {string.Join(" | ", failuresText.Take(3))}");
        Assert.Equal(2, server.Host.Model.CurrentVersion);
        Assert.True(ok1 > 0 && ok2 > 0, $"v1 answers {ok1}, v2 answers {ok2}");
        // After the swap the latest version answers.
        var (s, b, _) = await server.PostAsync("v1/models/mlp:predict", Body(x));
        Assert.Equal(HttpStatusCode.OK, s);
        Assert.Equal(v2, PredictApiTests.Floats(b.GetProperty("predictions")));
        var (_, status, _) = await server.GetAsync("v1/models/mlp");
        var states = status.GetProperty("model_version_status").EnumerateArray().ToDictionary(e => e.GetProperty("version").GetString()!, e => e.GetProperty("state").GetString());
        Assert.Equal("END", states["1"]);
        Assert.Equal("AVAILABLE", states["2"]);
    }

    [Fact]
    public async Task Shutdown_lets_a_request_in_flight_finish()
    {
        TestModel.WriteSavedModel(Path.Combine(_dir, "1"), 1);
        // A long batching window keeps the request inside the server while shutdown begins.
        var server = await RunningServer.StartAsync(_dir, batching: new BatchingOptions { Enabled = true, Timeout = TimeSpan.FromMilliseconds(400) });
        var x = Row(5);
        var request = server.PostAsync("v1/models/mlp:predict", Body(x));
        // Shut down only once the request is inside the batch queue (a fixed delay raced the connection on a loaded machine).
        var waitUntil = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (server.Host.Metrics.BatchPending("mlp") < 1)
        {
            Assert.False(request.IsCompleted, "the request finished before it was seen in the batch queue");
            Assert.True(DateTime.UtcNow < waitUntil, "the request did not reach the batch queue within 30 s");
            await Task.Delay(5);
        }
        var stopping = server.Host.DisposeAsync().AsTask();
        var (status, body, text) = await request;
        await stopping;
        Assert.True(status == HttpStatusCode.OK, text);
        Assert.Equal(TestModel.Predict(1, x), PredictApiTests.Floats(body.GetProperty("predictions")));
        Assert.Equal(0, server.Host.Metrics.BatchPending("mlp"));
        await Assert.ThrowsAsync<HttpRequestException>(() => server.Client.GetAsync("v1/models/mlp"));
        server.Client.Dispose();
    }

    [Fact]
    public async Task A_meta_graph_with_a_checkpoint_is_served_as_version_1()
    {
        var (meta, checkpoint) = TestModel.WriteMetaGraph(_dir, 3);
        await using var server = await RunningServer.StartAsync(meta, name: "graph", checkpoint: checkpoint);
        var x = Row(2);
        var (status, body, text) = await server.PostAsync("v1/models/graph:predict", Body(x));
        Assert.True(status == HttpStatusCode.OK, text);
        Assert.Equal(TestModel.Predict(3, x), PredictApiTests.Floats(body.GetProperty("predictions")));
    }

    [Fact]
    public async Task A_base_folder_without_any_loadable_version_fails_to_start_with_the_reason()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "1"));
        File.WriteAllText(Path.Combine(_dir, "1", "saved_model.pb"), "not a proto");
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => RunningServer.StartAsync(_dir));
        Assert.Contains("version 1", e.Message);
        Assert.Contains("saved_model.pb", e.Message);
    }
}
