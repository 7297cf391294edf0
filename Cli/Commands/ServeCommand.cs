using System.CommandLine;
using System.Net;
using System.Text.Json;
using TypedGraph.Server;
using TypedGraph.Server.Batching;

namespace TypedGraph.Cli.Commands;

/// <summary>
/// <c>typedgraph serve &lt;model base dir | saved_model dir | graph.meta&gt; [--checkpoint …] [--name NAME] [--port 8501] …</c>:
/// a TF Serving–compatible REST server (see docs/serving.md) until Ctrl+C / SIGTERM.
/// </summary>
public sealed class ServeCommand : ICliCommand
{
    private readonly Argument<string> _model = new("model")
    {
        HelpName = "model base dir|saved_model dir|file.meta",
        Description = "A TF Serving model base folder (numbered version folders, newest served), one SavedModel, or a graph file.",
    };
    private readonly Option<string> _checkpoint = CliOptions.Checkpoint();
    private readonly Option<string> _name = new("--name") { HelpName = "default", Description = "The model name in the URL (v1/models/NAME).", DefaultValueFactory = _ => "default" };
    private readonly Option<int> _port = CliOptions.IntInRange("--port", 8501, 0, 65535, "The HTTP port (0 picks a free one).");
    private readonly Option<IPAddress> _host = new("--host")
    {
        HelpName = "127.0.0.1",
        Description = "The IP address to listen on.",
        DefaultValueFactory = _ => IPAddress.Loopback,
        CustomParser = r =>
        {
            var s = r.Tokens.Count == 1 ? r.Tokens[0].Value : "";
            if (IPAddress.TryParse(s, out var address)) return address;
            r.AddError($"--host expects an IP address, got '{s}'");
            return null;
        },
    };
    private readonly Option<bool> _batching = new("--enable-batching") { Description = "Merge concurrent requests into one batch run." };
    private readonly Option<int> _maxBatch = CliOptions.IntInRange("--max-batch-size", 128, 1, 1 << 20, "The largest merged batch (rows).");
    private readonly Option<int> _timeout = CliOptions.IntInRange("--batch-timeout-micros", 0, 0, 10_000_000, "How long a batch waits for more requests.");
    private readonly Option<int> _threads = CliOptions.IntInRange("--num-batch-threads", 1, 1, 256, "Batches run in parallel.");
    private readonly Option<int> _poll = CliOptions.IntInRange("--poll-seconds", 1, 0, 86400, "How often the base folder is checked for a new version (0: never).");
    private readonly Option<int> _maxBody = CliOptions.IntInRange("--max-body-mb", 64, 1, 4096, "The largest request body accepted, in MiB.");
    private readonly Option<bool> _json = new("--json") { Description = "Print the ready line (or a start-up error) as one JSON object on stdout." };

    /// <summary>Defines the command's syntax.</summary>
    public ServeCommand() => Definition = new Command("serve",
        "A TF Serving-compatible REST server (see docs/serving.md) until Ctrl+C / SIGTERM.")
        { _model, _checkpoint, _name, _port, _host, _batching, _maxBatch, _timeout, _threads, _poll, _maxBody, _json };

    /// <inheritdoc/>
    public Command Definition { get; }

    /// <inheritdoc/>
    public int Execute(ParseResult parse, TextWriter stdout)
    {
        var options = new ServingOptions
        {
            ModelName = parse.GetValue(_name)!,
            ModelPath = parse.GetValue(_model)!,
            Checkpoint = parse.GetValue(_checkpoint),
            Address = parse.GetValue(_host)!,
            Port = parse.GetValue(_port),
            PollInterval = TimeSpan.FromSeconds(parse.GetValue(_poll)),
            MaxBodyBytes = parse.GetValue(_maxBody) * 1024L * 1024,
            Batching = new BatchingOptions
            {
                Enabled = parse.GetValue(_batching),
                MaxBatchSize = parse.GetValue(_maxBatch),
                Timeout = TimeSpan.FromMicroseconds(parse.GetValue(_timeout)),
                Threads = parse.GetValue(_threads),
            },
        };
        var server = ServingHost.StartAsync(options).GetAwaiter().GetResult();
        var url = $"{server.BaseAddress}v1/models/{options.ModelName}";
        // With --json the ready line is one compact JSON object on one line: the server keeps running, so a supervisor
        // reading stdout line by line must get the whole object from the first line.
        if (parse.GetValue(_json))
            stdout.WriteLine(JsonSerializer.Serialize(new { serving = options.ModelName, version = server.Model.CurrentVersion, url }, new JsonSerializerOptions(CliJson.Options) { WriteIndented = false }));
        else
            stdout.WriteLine($"serving model '{options.ModelName}' version {server.Model.CurrentVersion} at {url} (Ctrl+C stops)");
        stdout.Flush();
        server.RunAsync().GetAwaiter().GetResult();
        return 0;
    }
}
