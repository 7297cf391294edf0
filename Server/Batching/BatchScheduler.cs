using System.Diagnostics;
using System.Threading.Channels;
using TypedGraph.Server.Http;
using TypedGraph.Server.Models;

namespace TypedGraph.Server.Batching;

/// <summary>Request batching settings (TF Serving's <c>--enable_batching</c> with BatchingParameters).</summary>
public sealed record BatchingOptions
{
    /// <summary>Merge concurrent requests into one run. Off by default, as in TF Serving: it is only correct for graphs
    /// whose rows are independent (every output's first dimension is the batch).</summary>
    public bool Enabled { get; init; }

    /// <summary>The most rows one merged run may hold (<c>max_batch_size</c>); a single request with more rows is rejected.</summary>
    public int MaxBatchSize { get; init; } = 128;

    /// <summary>How long the first request of a batch waits for others (<c>batch_timeout_micros</c>). Zero: no waiting —
    /// a batch is whatever queued while the previous batch ran.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.Zero;

    /// <summary>Batches run at once (<c>num_batch_threads</c>).</summary>
    public int Threads { get; init; } = 1;
}

/// <summary>
/// Merges concurrent predict calls into one session run. Requests are compatible when they go to the same loaded
/// version and signature with the same inputs, dtypes and per-row shapes; their inputs are concatenated along the
/// first dimension, the signature runs once, and each output is split back by the requests' row counts. If some
/// output does not have the batch as its first dimension the requests are run one by one instead, so results are
/// always those of individual runs.
/// </summary>
public sealed class BatchScheduler : IAsyncDisposable
{
    private readonly BatchingOptions _options;
    private readonly ServingMetrics _metrics;
    private readonly Channel<Job> _queue = Channel.CreateUnbounded<Job>(new UnboundedChannelOptions { SingleReader = false });
    private readonly Task[] _workers;

    /// <summary>Starts the worker threads (none when batching is off).</summary>
    public BatchScheduler(BatchingOptions options, ServingMetrics metrics)
    {
        if (options.MaxBatchSize < 1) throw new ArgumentException($"max batch size must be ≥ 1, got {options.MaxBatchSize}.", nameof(options));
        if (options.Threads < 1) throw new ArgumentException($"batch threads must be ≥ 1, got {options.Threads}.", nameof(options));
        if (options.Timeout < TimeSpan.Zero) throw new ArgumentException("batch timeout must not be negative.", nameof(options));
        _options = options;
        _metrics = metrics;
        _workers = options.Enabled
            ? Enumerable.Range(0, options.Threads).Select(_ => Task.Factory.StartNew(Work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap()).ToArray()
            : [];
    }

    /// <summary>Runs a signature, merged with concurrent compatible calls when batching is on.</summary>
    /// <exception cref="ServingException">INVALID_ARGUMENT: bad inputs, or more rows than the maximum batch size.</exception>
    public Task<IReadOnlyDictionary<string, Tensor>> RunAsync(ServableVersion servable, string signatureKey, IReadOnlyDictionary<string, Tensor> inputs)
    {
        int rows = BatchRows(inputs);
        if (!_options.Enabled || rows < 0)
        {
            var result = servable.Run(signatureKey, inputs);
            _metrics.ObserveBatch(servable.ModelName, rows < 0 ? 1 : rows, 1);
            return Task.FromResult(result);
        }
        if (rows > _options.MaxBatchSize)
            throw ServingException.InvalidArgument($"Task size {rows} is larger than maximum input batch size {_options.MaxBatchSize}");
        var job = new Job(servable, signatureKey, inputs, rows, Key(servable, signatureKey, inputs));
        // Counted before the write so a worker's decrement can never run first.
        _metrics.AddBatchPending(servable.ModelName, 1);
        if (!_queue.Writer.TryWrite(job))
        {
            _metrics.AddBatchPending(servable.ModelName, -1);
            throw new ServingException(ErrorCode.Unavailable, "The server is shutting down.");
        }
        return job.Completion.Task;
    }

    // The common first dimension of every input, or -1 if some input is a scalar or the sizes differ (not batchable).
    private static int BatchRows(IReadOnlyDictionary<string, Tensor> inputs)
    {
        int rows = -1;
        foreach (var t in inputs.Values)
        {
            if (t.Shape.Rank == 0) return -1;
            if (rows >= 0 && rows != t.Shape[0]) return -1;
            rows = t.Shape[0];
        }
        return rows > 0 ? rows : -1;
    }

    private static string Key(ServableVersion servable, string signatureKey, IReadOnlyDictionary<string, Tensor> inputs)
    {
        var parts = inputs.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => $"{kv.Key}:{(int)kv.Value.DType}:{string.Join(",", kv.Value.Shape.Dims[1..].ToArray())}");
        return $"{RuntimeHelpersId(servable)}|{signatureKey}|{string.Join(";", parts)}";
    }

    private static int RuntimeHelpersId(object o) => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(o);

    private async Task Work()
    {
        var reader = _queue.Reader;
        var pending = new List<Job>();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            if (!reader.TryRead(out var first)) continue;
            pending.Clear();
            pending.Add(first);
            int rows = first.Rows;
            var deadline = Stopwatch.GetTimestamp() + (long)(_options.Timeout.TotalSeconds * Stopwatch.Frequency);
            while (rows < _options.MaxBatchSize)
            {
                if (reader.TryRead(out var next))
                {
                    pending.Add(next);
                    rows += next.Rows;
                    continue;
                }
                long left = deadline - Stopwatch.GetTimestamp();
                if (left <= 0) break;
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds((double)left / Stopwatch.Frequency));
                try
                {
                    if (!await reader.WaitToReadAsync(cts.Token).ConfigureAwait(false)) break;
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
            foreach (var group in pending.GroupBy(j => j.Key))
            {
                var chunk = new List<Job>();
                int chunkRows = 0;
                foreach (var job in group)
                {
                    if (chunkRows + job.Rows > _options.MaxBatchSize && chunk.Count > 0)
                    {
                        RunBatch(chunk);
                        chunk = [];
                        chunkRows = 0;
                    }
                    chunk.Add(job);
                    chunkRows += job.Rows;
                }
                if (chunk.Count > 0) RunBatch(chunk);
            }
        }
    }

    private void RunBatch(List<Job> jobs)
    {
        var servable = jobs[0].Servable;
        if (jobs.Count == 1)
        {
            RunOne(jobs[0]);
            return;
        }
        int total = jobs.Sum(j => j.Rows);
        IReadOnlyDictionary<string, Tensor> merged;
        try
        {
            var inputs = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var name in jobs[0].Inputs.Keys)
                inputs[name] = TensorRows.Concat(jobs.Select(j => j.Inputs[name]).ToList());
            merged = servable.Run(jobs[0].SignatureKey, inputs);
        }
        catch (Exception)
        {
            // One bad request must not fail its neighbours: run each alone so each gets its own answer or error.
            foreach (var job in jobs) RunOne(job);
            return;
        }
        if (merged.Values.Any(t => t.Shape.Rank == 0 || t.Shape[0] != total))
        {
            foreach (var job in jobs) RunOne(job);
            return;
        }
        _metrics.ObserveBatch(servable.ModelName, total, jobs.Count);
        int offset = 0;
        foreach (var job in jobs)
        {
            var part = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var (name, t) in merged) part[name] = TensorRows.Slice(t, offset, job.Rows);
            offset += job.Rows;
            Answer(job, part, null);
        }
    }

    private void RunOne(Job job)
    {
        try
        {
            var result = job.Servable.Run(job.SignatureKey, job.Inputs);
            _metrics.ObserveBatch(job.Servable.ModelName, job.Rows, 1);
            Answer(job, result, null);
        }
        catch (Exception e)
        {
            Answer(job, null, e);
        }
    }

    // The pending gauge drops before the caller can see the answer, so a finished request is never still counted.
    private void Answer(Job job, IReadOnlyDictionary<string, Tensor>? result, Exception? error)
    {
        _metrics.AddBatchPending(job.Servable.ModelName, -1);
        if (error is null) job.Completion.TrySetResult(result!);
        else job.Completion.TrySetException(error);
    }

    /// <summary>Stops taking work and finishes the queued batches.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_workers).ConfigureAwait(false);
    }

    private sealed record Job(ServableVersion Servable, string SignatureKey, IReadOnlyDictionary<string, Tensor> Inputs, int Rows, string Key)
    {
        public TaskCompletionSource<IReadOnlyDictionary<string, Tensor>> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
