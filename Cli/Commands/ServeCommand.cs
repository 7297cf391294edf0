using System.Globalization;
using System.Net;
using TypedGraph.Server;
using TypedGraph.Server.Batching;

namespace TypedGraph.Cli.Commands;

/// <summary>
/// <c>typedgraph serve &lt;model base dir | saved_model dir | graph.meta&gt; [--checkpoint …] [--name NAME] [--port 8501] …</c>:
/// a TF Serving–compatible REST server (see docs/serving.md) until Ctrl+C / SIGTERM.
/// </summary>
public sealed class ServeCommand : ICliCommand
{
    /// <inheritdoc/>
    public string Name => "serve";

    /// <inheritdoc/>
    public string Usage => "serve <model base dir|saved_model dir|file.meta> [--checkpoint <prefix|dir>] [--name default] [--port 8501] [--host 127.0.0.1] "
        + "[--enable-batching] [--max-batch-size 128] [--batch-timeout-micros 0] [--num-batch-threads 1] [--poll-seconds 1] [--max-body-mb 64]";

    /// <inheritdoc/>
    public int Execute(string[] args, TextWriter stdout)
    {
        var p = ParsedArgs.Parse(args, ["--enable-batching"],
            ["--checkpoint", "--name", "--port", "--host", "--max-batch-size", "--batch-timeout-micros", "--num-batch-threads", "--poll-seconds", "--max-body-mb"]);
        if (p.Positionals.Count != 1) throw new UsageException("expected one model folder or graph file");
        var host = p.Get("--host") ?? "127.0.0.1";
        if (!IPAddress.TryParse(host, out var address)) throw new UsageException($"--host expects an IP address, got '{host}'");
        var options = new ServingOptions
        {
            ModelName = p.Get("--name") ?? "default",
            ModelPath = p.Positionals[0],
            Checkpoint = p.Get("--checkpoint"),
            Address = address,
            Port = Int(p, "--port", 8501, 0, 65535),
            PollInterval = TimeSpan.FromSeconds(Int(p, "--poll-seconds", 1, 0, 86400)),
            MaxBodyBytes = Int(p, "--max-body-mb", 64, 1, 4096) * 1024L * 1024,
            Batching = new BatchingOptions
            {
                Enabled = p.Has("--enable-batching"),
                MaxBatchSize = Int(p, "--max-batch-size", 128, 1, 1 << 20),
                Timeout = TimeSpan.FromMicroseconds(Int(p, "--batch-timeout-micros", 0, 0, 10_000_000)),
                Threads = Int(p, "--num-batch-threads", 1, 1, 256),
            },
        };
        var server = ServingHost.StartAsync(options).GetAwaiter().GetResult();
        stdout.WriteLine($"serving model '{options.ModelName}' version {server.Model.CurrentVersion} at {server.BaseAddress}v1/models/{options.ModelName} (Ctrl+C stops)");
        stdout.Flush();
        server.RunAsync().GetAwaiter().GetResult();
        return 0;
    }

    private static int Int(ParsedArgs p, string name, int fallback, int min, int max)
    {
        var s = p.Get(name);
        if (s == null) return fallback;
        if (!int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) || v < min || v > max)
            throw new UsageException($"{name} expects an integer in {min}..{max}, got '{s}'");
        return v;
    }
}
