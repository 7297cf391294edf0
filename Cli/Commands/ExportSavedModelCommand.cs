using TypedGraph.Building;
using TypedGraph.Formats;
using TypedGraph.Protos;
using TypedGraph.SavedModels;

namespace TypedGraph.Cli.Commands;

/// <summary>
/// <c>typedgraph export-savedmodel &lt;meta|pb|saved_model dir&gt; [--checkpoint &lt;prefix|dir&gt;] [--init] --input key=x:0[,…]
/// --output key=y:0[,…] [--signature serving_default] [--tags serve] -o export_dir</c>: restores the variables and writes a
/// SavedModel with one predict signature (keys default to the tensor's node name) for TF Serving.
/// </summary>
public sealed class ExportSavedModelCommand : ICliCommand
{
    /// <inheritdoc/>
    public string Name => "export-savedmodel";

    /// <inheritdoc/>
    public string Usage => "export-savedmodel <file.meta|file.pb|saved_model dir> [--checkpoint <prefix|dir>] [--init] --input [key=]x:0[,...] --output [key=]y:0[,...] [--signature serving_default] [--tags serve] -o export_dir";

    /// <inheritdoc/>
    public int Execute(string[] args, TextWriter stdout)
    {
        var a = ParsedArgs.Parse(args.Select(s => s == "-o" ? "--out" : s).ToArray(), ["--init"],
            ["--checkpoint", "--input", "--output", "--signature", "--tags", "--out"]);
        if (a.Positionals.Count != 1) throw new UsageException("expected exactly one graph file or SavedModel directory");
        var exportDir = a.Get("--out") ?? throw new UsageException("-o <export_dir> is required");
        var inputs = Keyed(a.Get("--input") ?? throw new UsageException("--input is required (e.g. --input x=x:0)"), "--input");
        var outputs = Keyed(a.Get("--output") ?? throw new UsageException("--output is required (e.g. --output y=y:0)"), "--output");
        var tags = (a.Get("--tags") ?? SavedModelBuilder.ServeTag).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var meta = MetaGraph.Load(a.Positionals[0]);
        var builder = GraphBuilder.FromMetaGraph(meta.Proto);
        using var session = new Session(builder.Graph);
        var checkpoint = a.Get("--checkpoint") ?? (a.Has("--init") ? null : meta.VariablesPrefix);
        if (checkpoint != null) session.Restore(checkpoint, meta.SaverDef);
        if (a.Has("--init")) session.Initialize();
        var signature = SignatureDefs.Predict(builder,
            inputs.ToDictionary(kv => kv.Key, kv => Tensor(builder, kv.Value, "--input")),
            outputs.ToDictionary(kv => kv.Key, kv => Tensor(builder, kv.Value, "--output")));
        using var saved = new SavedModelBuilder(exportDir);
        saved.AddMetaGraphAndVariables(session, builder, tags, new Dictionary<string, SignatureDef> { [a.Get("--signature") ?? SavedModelBundle.DefaultSignatureKey] = signature },
            new SavedModelMetaGraphOptions { SaverDef = meta.SaverDef is { RestoreOpName.Length: > 0 } s ? s : null });
        var path = saved.Save();
        stdout.WriteLine($"wrote {path}: tags {string.Join(",", tags)}; inputs {string.Join(", ", inputs.Select(kv => kv.Key + "=" + kv.Value))}; outputs {string.Join(", ", outputs.Select(kv => kv.Key + "=" + kv.Value))}");
        return 0;
    }

    private static Output Tensor(GraphBuilder b, string name, string option)
    {
        try { return b.GetTensor(name); }
        catch (Exception e) when (e is KeyNotFoundException or FormatException or ArgumentException) { throw new UsageException($"{option}: {e.Message}"); }
    }

    private static List<KeyValuePair<string, string>> Keyed(string list, string option)
    {
        var result = new List<KeyValuePair<string, string>>();
        foreach (var item in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = item.IndexOf('=');
            var tensor = eq < 0 ? item : item[(eq + 1)..];
            var key = eq < 0 ? TensorRef.Parse(tensor).NodeName.Split('/')[^1] : item[..eq];
            if (result.Any(kv => kv.Key == key)) throw new UsageException($"{option}: key '{key}' is used twice; name them as key=tensor");
            result.Add(new(key, tensor));
        }
        return result;
    }
}
