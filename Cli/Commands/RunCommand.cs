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
    /// <inheritdoc/>
    public string Name => "run";

    /// <inheritdoc/>
    public string Usage => "run <file.meta|file.pb|saved_model dir> [--checkpoint <prefix|dir>] [--graph-restore] [--init] --feed name=VALUE|name=@x.npy ... --fetch name:0 ... [--target op ...] [--out y.npy] [--batch-size N] [--json]";

    /// <inheritdoc/>
    public int Execute(string[] args, TextWriter stdout)
    {
        var o = Options.Parse(args);
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

    /// <summary>The parsed command line (repeatable --feed/--fetch/--target, which ParsedArgs does not keep).</summary>
    private sealed record Options(string Graph, string? Checkpoint, bool Init, bool GraphRestore, List<(string, string)> Feeds, List<string> Fetches, List<string> Targets, string? Out, bool Json, int? BatchSize)
    {
        public static Options Parse(string[] args)
        {
            string? graph = null, checkpoint = null, output = null;
            int? batchSize = null;
            bool init = false, json = false, graphRestore = false;
            var feeds = new List<(string, string)>();
            var fetches = new List<string>();
            var targets = new List<string>();
            for (int i = 0; i < args.Length; i++)
            {
                var a = args[i];
                int eq = a.StartsWith("--", StringComparison.Ordinal) ? a.IndexOf('=') : -1;
                var name = eq > 0 ? a[..eq] : a;
                string Value() => eq > 0 ? a[(eq + 1)..] : i + 1 < args.Length ? args[++i] : throw new UsageException($"{name} needs a value");
                switch (name)
                {
                    case "--checkpoint": checkpoint = Value(); break;
                    case "--init": init = true; break;
                    case "--graph-restore": graphRestore = true; break;
                    case "--json": json = true; break;
                    case "--out": output = Value(); break;
                    case "--batch-size":
                    {
                        var v = Value();
                        if (!int.TryParse(v, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) || n < 1)
                            throw new UsageException($"--batch-size expects a positive integer, got '{v}'");
                        batchSize = n;
                        break;
                    }
                    case "--fetch": fetches.Add(Value()); break;
                    case "--target": targets.Add(Value()); break;
                    case "--feed":
                    {
                        var v = Value();
                        int split = v.IndexOf('=');
                        if (split <= 0) throw new UsageException($"--feed expects name=VALUE or name=@file.npy, got '{v}'");
                        feeds.Add((v[..split], v[(split + 1)..]));
                        break;
                    }
                    default:
                        if (a.StartsWith("--", StringComparison.Ordinal)) throw new UsageException($"unknown option {a}");
                        if (graph != null) throw new UsageException($"unexpected argument '{a}' (the graph is '{graph}')");
                        graph = a;
                        break;
                }
            }
            if (graph == null) throw new UsageException("expected a graph file or SavedModel directory");
            if (fetches.Count == 0 && targets.Count == 0) throw new UsageException("nothing to do: give at least one --fetch or --target");
            if (output != null && fetches.Count != 1) throw new UsageException("--out writes exactly one fetched tensor; give one --fetch");
            if (batchSize != null && (fetches.Count != 1 || output == null || targets.Count > 0))
                throw new UsageException("--batch-size streams one --fetch into --out y.npy (no --target)");
            if (batchSize != null && !feeds.Any(f => f.Item2.StartsWith('@')))
                throw new UsageException("--batch-size needs at least one --feed name=@rows.npy to stream");
            return new Options(graph, checkpoint, init, graphRestore, feeds, fetches, targets, output, json, batchSize);
        }
    }
}
