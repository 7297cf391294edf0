using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using TypedGraph.Server.Batching;

namespace TypedGraph.Server.Tests;

/// <summary>A real Kestrel server on a free loopback port serving a model folder, and an HttpClient for it.</summary>
public sealed class RunningServer : IAsyncDisposable
{
    private RunningServer(ServingHost host)
    {
        Host = host;
        Client = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public ServingHost Host { get; }

    public HttpClient Client { get; }

    public static async Task<RunningServer> StartAsync(string modelPath, string name = "mlp", BatchingOptions? batching = null,
        TimeSpan? poll = null, long maxBody = 64 << 20, string? checkpoint = null)
    {
        var host = await ServingHost.StartAsync(new ServingOptions
        {
            ModelName = name,
            ModelPath = modelPath,
            Checkpoint = checkpoint,
            Port = 0,
            Address = IPAddress.Loopback,
            Batching = batching ?? new BatchingOptions(),
            PollInterval = poll ?? TimeSpan.Zero,
            MaxBodyBytes = maxBody,
            LogLevel = LogLevel.Warning,
        });
        return new RunningServer(host);
    }

    /// <summary>POSTs a JSON body; returns status and parsed response.</summary>
    public async Task<(HttpStatusCode Status, JsonElement Body, string Text)> PostAsync(string path, string json)
    {
        using var response = await Client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, Parse(text), text);
    }

    public async Task<(HttpStatusCode Status, JsonElement Body, string Text)> GetAsync(string path)
    {
        using var response = await Client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, Parse(text), text);
    }

    private static JsonElement Parse(string text)
    {
        try
        {
            return JsonDocument.Parse(text).RootElement.Clone();
        }
        catch (JsonException)
        {
            return default;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Host.DisposeAsync();
    }
}
