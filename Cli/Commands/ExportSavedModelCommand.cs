using System.CommandLine;
using System.Text.Json;
using TypedGraph.Building;
using TypedGraph.Formats;
using TypedGraph.Protos;
using TypedGraph.SavedModels;

namespace TypedGraph.Cli.Commands;

/// <summary>
/// <c>typedgraph export-savedmodel &lt;meta|pb|saved_model dir&gt; [--checkpoint &lt;prefix|dir&gt;] [--init] --input key=x:0[,…]
/// --output key=y:0[,…] [--signature serving_default] [--tags serve] -o export_dir [--json]</c>: restores the variables and writes a
/// SavedModel with one predict signature (keys default to the tensor's node name) for TF Serving.
/// </summary>
public sealed class ExportSavedModelCommand : ICliCommand
{
    private readonly Argument<string> _graph = CliOptions.Graph();
    private readonly Option<string> _checkpoint = CliOptions.Checkpoint();
    private readonly Option<bool> _init = CliOptions.Init();
    private readonly Option<string> _input = new("--input")
    {
        Required = true,
        HelpName = "[key=]x:0[,...]",
        Description = "The signature inputs, comma-separated; the key defaults to the tensor's node name.",
    };
    private readonly Option<string> _output = new("--output")
    {
        Required = true,
        HelpName = "[key=]y:0[,...]",
        Description = "The signature outputs, comma-separated; the key defaults to the tensor's node name.",
    };
    private readonly Option<string> _signature = new("--signature")
    {
        HelpName = SavedModelBundle.DefaultSignatureKey,
        Description = "The signature key.",
        DefaultValueFactory = _ => SavedModelBundle.DefaultSignatureKey,
    };
    private readonly Option<string> _tags = new("--tags")
    {
        HelpName = SavedModelBuilder.ServeTag,
        Description = "The MetaGraph's tag set, comma-separated.",
        DefaultValueFactory = _ => SavedModelBuilder.ServeTag,
    };
    private readonly Option<string> _out = new("--out", "-o") { Required = true, HelpName = "export_dir", Description = "The SavedModel folder to write." };
    private readonly Option<bool> _json = CliOptions.Json();

    /// <summary>Defines the command's syntax.</summary>
    public ExportSavedModelCommand() => Definition = new Command("export-savedmodel",
        "Restores the variables and writes a SavedModel with one predict signature, for TF Serving.")
        { _graph, _checkpoint, _init, _input, _output, _signature, _tags, _out, _json };

    /// <inheritdoc/>
    public Command Definition { get; }

    /// <inheritdoc/>
    public int Execute(ParseResult parse, TextWriter stdout)
    {
        var exportDir = parse.GetValue(_out)!;
        var inputs = Keyed(parse.GetValue(_input)!, "--input");
        var outputs = Keyed(parse.GetValue(_output)!, "--output");
        var tags = CliOptions.CommaList(parse.GetValue(_tags)!);
        var meta = MetaGraph.Load(parse.GetValue(_graph)!);
        var builder = GraphBuilder.FromMetaGraph(meta.Proto);
        using var session = new Session(builder.Graph);
        bool init = parse.GetValue(_init);
        var checkpoint = parse.GetValue(_checkpoint) ?? (init ? null : meta.VariablesPrefix);
        if (checkpoint != null) session.Restore(checkpoint, meta.SaverDef);
        if (init) session.Initialize();
        var signature = SignatureDefs.Predict(builder,
            inputs.ToDictionary(kv => kv.Key, kv => Tensor(builder, kv.Value, "--input")),
            outputs.ToDictionary(kv => kv.Key, kv => Tensor(builder, kv.Value, "--output")));
        using var saved = new SavedModelBuilder(exportDir);
        saved.AddMetaGraphAndVariables(session, builder, tags, new Dictionary<string, SignatureDef> { [parse.GetValue(_signature)!] = signature },
            new SavedModelMetaGraphOptions { SaverDef = meta.SaverDef is { RestoreOpName.Length: > 0 } s ? s : null });
        var path = saved.Save();
        if (parse.GetValue(_json))
        {
            stdout.WriteLine(JsonSerializer.Serialize(new
            {
                written = path, tags, signature = parse.GetValue(_signature),
                inputs = inputs.ToDictionary(kv => kv.Key, kv => kv.Value), outputs = outputs.ToDictionary(kv => kv.Key, kv => kv.Value),
            }, CliJson.Options));
            return 0;
        }
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
        foreach (var item in CliOptions.CommaList(list))
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
