using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;
using TypedGraph.Server.Batching;
using TypedGraph.Server.Http;
using TypedGraph.Server.Models;

namespace TypedGraph.Server;

/// <summary>Settings of <see cref="ServingHost"/> (names after TF Serving's model server flags where there is one).</summary>
public sealed record ServingOptions
{
    /// <summary>The model name in URLs (<c>--model_name</c>).</summary>
    public required string ModelName { get; init; }

    /// <summary>A versioned base folder (<c>--model_base_path</c>), one SavedModel folder, or a graph file.</summary>
    public required string ModelPath { get; init; }

    /// <summary>The checkpoint for a graph file (prefix or folder); null = the graph's own variables path.</summary>
    public string? Checkpoint { get; init; }

    /// <summary>The address to listen on; loopback by default (give <see cref="IPAddress.Any"/> in a container).</summary>
    public IPAddress Address { get; init; } = IPAddress.Loopback;

    /// <summary>The port (<c>--rest_api_port</c>, 8501); 0 picks a free one (see <see cref="ServingHost.BaseAddress"/>).</summary>
    public int Port { get; init; } = 8501;

    /// <summary>How often the base folder is checked for new versions (<c>--file_system_poll_wait_seconds</c>, 1 s);
    /// zero or less: never.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Request batching.</summary>
    public BatchingOptions Batching { get; init; } = new();

    /// <summary>The largest request body accepted (larger: HTTP 413 with a JSON error).</summary>
    public long MaxBodyBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>How long shutdown waits for in-flight requests.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Log level of the server's own messages (ASP.NET Core's are held to warnings).</summary>
    public LogLevel LogLevel { get; init; } = LogLevel.Information;
}

/// <summary>
/// A TF Serving–compatible REST server for one model on Kestrel: <c>/v1/models/…</c> (status, metadata, predict,
/// classify, regress) and <c>/metrics</c> (Prometheus). Start with <see cref="StartAsync"/>; <see cref="DisposeAsync"/>
/// (or SIGTERM/Ctrl+C under <see cref="RunAsync"/>) stops accepting connections, lets in-flight requests finish
/// (up to <see cref="ServingOptions.ShutdownTimeout"/>), drains the batch queue, then releases the model.
/// </summary>
public sealed class ServingHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ModelManager _model;
    private readonly BatchScheduler _batcher;
    private int _disposed;

    private ServingHost(WebApplication app, ModelManager model, BatchScheduler batcher, ServingMetrics metrics, Uri baseAddress)
    {
        _app = app;
        _model = model;
        _batcher = batcher;
        Metrics = metrics;
        BaseAddress = baseAddress;
    }

    /// <summary>Where the server listens, e.g. <c>http://127.0.0.1:8501/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The served model.</summary>
    public ModelManager Model => _model;

    /// <summary>The metrics behind <c>/metrics</c>.</summary>
    public ServingMetrics Metrics { get; }

    /// <summary>Loads the model and starts listening.</summary>
    /// <exception cref="InvalidOperationException">The model could not be loaded (the message says why).</exception>
    /// <exception cref="IOException">The port is in use.</exception>
    public static async Task<ServingHost> StartAsync(ServingOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        // Logs go to stderr: stdout carries only what the caller prints (the CLI's ready line, one JSON object with --json).
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(options.LogLevel);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.ShutdownTimeout);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(options.Address, options.Port);
            k.Limits.MaxRequestBodySize = options.MaxBodyBytes;
            k.AddServerHeader = false;
        });
        var app = builder.Build();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("TypedGraph.Server");
        var metrics = new ServingMetrics();
        var model = ModelManager.Start(options.ModelName, ModelSource.Open(options.ModelPath, options.Checkpoint), options.PollInterval, log);
        metrics.SetVersion(model.Name, model.CurrentVersion);
        model.VersionLoaded += v => metrics.SetVersion(model.Name, v);
        var batcher = new BatchScheduler(options.Batching, metrics);
        var api = new RestApi(model, batcher, metrics, options.MaxBodyBytes);
        app.Map("/v1/{**rest}", api.HandleAsync);
        app.MapMetrics("/metrics", metrics.Registry);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await batcher.DisposeAsync().ConfigureAwait(false);
            await model.DisposeAsync().ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        log.LogInformation("Serving model {Model} version {Version} at {Address}", model.Name, model.CurrentVersion, address);
        return new ServingHost(app, model, batcher, metrics, new Uri(address.EndsWith('/') ? address : address + "/"));
    }

    /// <summary>Runs until the process is asked to stop (SIGTERM, Ctrl+C) or <paramref name="cancellationToken"/> fires,
    /// then shuts down gracefully.</summary>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        var lifetime = _app.Services.GetRequiredService<IHostApplicationLifetime>();
        var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStopping.Register(() => stopping.TrySetResult()))
        using (cancellationToken.Register(() => stopping.TrySetResult()))
            await stopping.Task.ConfigureAwait(false);
        await DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Graceful shutdown: stop listening, finish in-flight requests and batches, release the model.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _app.StopAsync().ConfigureAwait(false);
        await _batcher.DisposeAsync().ConfigureAwait(false);
        await _model.DisposeAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
