using System.CommandLine;
using System.Text;
using System.Text.Json;
using TypedGraph.Formats;
using TypedGraph.Training;

namespace TypedGraph.Cli.Commands;

/// <summary>
/// <c>typedgraph run &lt;meta&gt; [--checkpoint &lt;prefix|dir&gt;] [--init] --feed name=VALUE|name=@x.npy … --fetch name:0 …
/// [--target op …] [--out y.npy] [--json]</c>: restores (or initializes) the graph's variables, runs it with the
/// feeds and prints the fetched tensors (or writes the single fetch to an .npy file). A SavedModel folder
/// restores its own <c>variables/variables</c> when no checkpoint is given. The graph's own restore op is run only
/// when it merely reads the checkpoint and assigns variables, or with <c>--graph-restore</c> (see docs/reliability.md).
/// </summary>
public sealed class RunCommand : ICliCommand
{
    private readonly Argument<string> _graph = CliOptions.Graph();
    private readonly Option<string> _checkpoint = CliOptions.Checkpoint();
    private readonly Option<bool> _init = CliOptions.Init();
    private readonly Option<bool> _graphRestore = new("--graph-restore")
    {
        Description = "Run the graph's own restore op even if it does more than read the checkpoint and assign variables (as TF's saver.restore would; see docs/reliability.md).",
    };
    private readonly Option<string[]> _feed = new("--feed")
    {
        HelpName = "name=VALUE|name=@x.npy",
        Description = "Feed a placeholder (repeatable): a JSON-like literal ([[1,2],[3,4]], 3.5, \"text\") or @file (.npy; for string inputs also a TFRecord of serialized tf.Examples, or any other file as its raw bytes, e.g. @clip.wav).",
    };
    private readonly Option<string[]> _fetch = new("--fetch") { HelpName = "name:0", Description = "A tensor to compute and print (repeatable)." };
    private readonly Option<string[]> _target = new("--target") { HelpName = "op", Description = "An op to run without fetching a value (repeatable)." };
    private readonly Option<string> _out = new("--out") { HelpName = "y.npy", Description = "Write the single --fetch to this .npy file." };
    private readonly Option<int?> _batchSize = new("--batch-size")
    {
        HelpName = "N",
        Description = "Stream the @x.npy feeds N rows at a time and append each batch's rows to --out.",
        CustomParser = r => CliOptions.ParseInt(r, "--batch-size", 1, int.MaxValue, "--batch-size expects a positive integer, got '{0}'"),
    };
    private readonly Option<bool> _json = CliOptions.Json();

    /// <summary>Defines the command's syntax.</summary>
    public RunCommand()
    {
        Definition = new Command("run",
            "Restores (or initializes) the graph's variables, runs it with the feeds and prints the fetched tensors "
            + "(or writes the single fetch to an .npy file).") { _graph, _checkpoint, _graphRestore, _init, _feed, _fetch, _target, _out, _batchSize, _json };
        _feed.Validators.Add(r =>
        {
            foreach (var t in r.Tokens)
                if (t.Value.IndexOf('=') <= 0) { r.AddError($"--feed expects name=VALUE or name=@file.npy, got '{t.Value}'"); return; }
        });
    }

    /// <inheritdoc/>
    public Command Definition { get; }

    /// <inheritdoc/>
    public int Execute(ParseResult parse, TextWriter stdout)
    {
        var o = new Options(parse.GetValue(_graph)!, parse.GetValue(_checkpoint), parse.GetValue(_init), parse.GetValue(_graphRestore),
            (parse.GetValue(_feed) ?? []).Select(f => (f[..f.IndexOf('=')], f[(f.IndexOf('=') + 1)..])).ToList(),
            [.. parse.GetValue(_fetch) ?? []], [.. parse.GetValue(_target) ?? []], parse.GetValue(_out), parse.GetValue(_json), parse.GetValue(_batchSize));
        // Rules about combining options; checked after every single option parsed, so a bad value is reported first.
        if (o.Fetches.Count == 0 && o.Targets.Count == 0) throw new UsageException("nothing to do: give at least one --fetch or --target");
        if (o.Out != null && o.Fetches.Count != 1) throw new UsageException("--out writes exactly one fetched tensor; give one --fetch");
        if (o.BatchSize != null && (o.Fetches.Count != 1 || o.Out == null || o.Targets.Count > 0))
            throw new UsageException("--batch-size streams one --fetch into --out y.npy (no --target)");
        if (o.BatchSize != null && !o.Feeds.Any(f => f.Item2.StartsWith('@')))
            throw new UsageException("--batch-size needs at least one --feed name=@rows.npy to stream");
        var meta = MetaGraph.Load(o.Graph);
        using var session = new Session(meta.Graph);
        var checkpoint = o.Checkpoint ?? (o.Init ? null : meta.VariablesPrefix);
        if (checkpoint != null) Restore(session, meta, checkpoint, o.GraphRestore);
        if (o.Init) session.Initialize();
        if (o.BatchSize is { } batchSize) return BatchScoring.Run(meta, session, o.Feeds, o.Fetches[0], o.Out!, batchSize, o.Json, stdout);
        var feeds = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, value) in o.Feeds)
            if (!feeds.TryAdd(name, FeedValues.Parse(meta.Graph, name, value))) throw new UsageException($"'{name}' is fed twice");
        var results = session.Run(o.Fetches, feeds, o.Targets);
        if (o.Out != null)
        {
            Npy.Write(o.Out, results[0]);
            if (!o.Json) stdout.WriteLine($"{o.Fetches[0]}: {DataTypes.Name(results[0].DType)}{results[0].Shape} -> {o.Out}");
        }
        if (o.Json) WriteJson(stdout, o, results);
        else if (o.Out == null) WriteText(stdout, o, results);
        return 0;
    }

    /// <summary>
    /// Restores the variables without trusting the file: the graph's own restore op runs only when it is nothing but
    /// checkpoint reads and variable assignments (<see cref="RestoreOpAudit"/>) or when <c>--graph-restore</c> asks
    /// for it; otherwise each variable is read by our checkpoint reader under its name (the <c>variables</c>
    /// collection, as TF's default Saver keys it), and nothing the file chose is executed.
    /// </summary>
    private static void Restore(Session session, MetaGraph meta, string checkpoint, bool graphRestore)
    {
        var unexpected = graphRestore ? null : RestoreOpAudit.FindUnexpectedOp(meta.Graph, meta.SaverDef);
        if (unexpected == null)
        {
            session.Restore(checkpoint, meta.SaverDef);
            return;
        }
        var savedModelVariables = Path.Combine(checkpoint, "variables", "variables");
        var prefix = File.Exists(savedModelVariables + ".index") ? savedModelVariables : Checkpoint.ResolvePrefix(checkpoint);
        try
        {
            CollectionRestore.Restore(session, meta, prefix);
        }
        catch (TypedGraphException e)
        {
            throw new GraphExecutionException($"the graph's restore op '{meta.SaverDef!.RestoreOpName}' depends on {unexpected}, which is not a checkpoint read, so it was not run " +
                $"(--graph-restore runs it as TF's saver.restore would); restoring each variable by name failed: {e.Message}", meta.SaverDef.RestoreOpName, e);
        }
    }

    private static void WriteText(TextWriter stdout, Options o, Tensor[] results)
    {
        for (int i = 0; i < results.Length; i++)
        {
            using var ms = new MemoryStream();
            using (var w = new Utf8JsonWriter(ms)) FeedValues.WriteValues(w, results[i]);
            stdout.WriteLine($"{o.Fetches[i]}: {DataTypes.Name(results[i].DType)}{results[i].Shape} {Encoding.UTF8.GetString(ms.ToArray())}");
        }
        if (results.Length == 0) stdout.WriteLine("ran " + string.Join(", ", o.Targets));
    }

    private static void WriteJson(TextWriter stdout, Options o, Tensor[] results)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true, Encoder = CliJson.Options.Encoder }))
        {
            w.WriteStartObject();
            w.WriteStartArray("outputs");
            for (int i = 0; i < results.Length; i++)
            {
                w.WriteStartObject();
                w.WriteString("name", o.Fetches[i]);
                w.WriteString("dtype", DataTypes.Name(results[i].DType));
                w.WriteStartArray("shape");
                foreach (var d in results[i].Shape.Dims) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WritePropertyName("values");
                FeedValues.WriteValues(w, results[i]);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (o.Out != null) w.WriteString("out", o.Out);
            w.WriteEndObject();
        }
        stdout.WriteLine(Encoding.UTF8.GetString(ms.ToArray()));
    }

    /// <summary>The parsed command line; each feed is split at its first '=' into (name, value).</summary>
    private sealed record Options(string Graph, string? Checkpoint, bool Init, bool GraphRestore, List<(string, string)> Feeds, List<string> Fetches, List<string> Targets, string? Out, bool Json, int? BatchSize);
}
