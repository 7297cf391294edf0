using Prometheus;

namespace TypedGraph.Server.Http;

/// <summary>
/// The server's Prometheus metrics (prometheus-net), in a registry of their own so several servers in one process
/// (tests) each expose only theirs at <c>/metrics</c>: request counts by model/API/HTTP status, request latency,
/// and the rows and requests of each session run (a run holding more than one request is a merged batch).
/// </summary>
public sealed class ServingMetrics
{
    private readonly Counter _requests;
    private readonly Histogram _latency;
    private readonly Histogram _batchRows;
    private readonly Histogram _batchRequests;
    private readonly Gauge _version;
    private readonly Gauge _batchPending;

    /// <summary>Creates the metrics in a new registry.</summary>
    public ServingMetrics()
    {
        Registry = Metrics.NewCustomRegistry();
        var f = Metrics.WithCustomRegistry(Registry);
        _requests = f.CreateCounter("typedgraph_serving_requests_total", "REST requests handled, by model, API and HTTP status code.",
            new CounterConfiguration { LabelNames = ["model", "api", "code"] });
        _latency = f.CreateHistogram("typedgraph_serving_request_latency_seconds", "Time from receiving a REST request to writing its response.",
            new HistogramConfiguration { LabelNames = ["model", "api"], Buckets = Histogram.ExponentialBuckets(0.0001, 2, 18) });
        _batchRows = f.CreateHistogram("typedgraph_serving_batch_size", "Rows (first-dimension size) of each session run.",
            new HistogramConfiguration { LabelNames = ["model"], Buckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024] });
        _batchRequests = f.CreateHistogram("typedgraph_serving_batch_requests", "Requests merged into each session run (1 = not merged).",
            new HistogramConfiguration { LabelNames = ["model"], Buckets = [1, 2, 4, 8, 16, 32, 64, 128] });
        _batchPending = f.CreateGauge("typedgraph_serving_batch_pending_requests", "Requests handed to the batch scheduler and not yet answered.",
            new GaugeConfiguration { LabelNames = ["model"] });
        _version = f.CreateGauge("typedgraph_serving_model_version", "The model version being served.", new GaugeConfiguration { LabelNames = ["model"] });
    }

    /// <summary>The registry <c>/metrics</c> exports.</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>Counts one request and its latency.</summary>
    public void ObserveRequest(string model, string api, int httpStatus, TimeSpan elapsed)
    {
        _requests.WithLabels(model, api, httpStatus.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
        _latency.WithLabels(model, api).Observe(elapsed.TotalSeconds);
    }

    /// <summary>Records one session run of <paramref name="rows"/> rows serving <paramref name="requests"/> requests.</summary>
    public void ObserveBatch(string model, int rows, int requests)
    {
        _batchRows.WithLabels(model).Observe(rows);
        _batchRequests.WithLabels(model).Observe(requests);
    }

    /// <summary>Adds <paramref name="delta"/> to the requests waiting in the batch scheduler (+1 queued, −1 answered).</summary>
    public void AddBatchPending(string model, int delta) => _batchPending.WithLabels(model).Inc(delta);

    /// <summary>Requests handed to the batch scheduler and not yet answered — lets a caller (or a test) see that a
    /// request has reached the server's queue, e.g. before starting a graceful shutdown.</summary>
    public double BatchPending(string model) => _batchPending.WithLabels(model).Value;

    /// <summary>Sets the served version.</summary>
    public void SetVersion(string model, long version) => _version.WithLabels(model).Set(version);
}
