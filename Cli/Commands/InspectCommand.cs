using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using TypedGraph.Formats;
using TypedGraph.Protos;

namespace TypedGraph.Cli.Commands;

/// <summary>
/// <c>typedgraph inspect &lt;file.meta|.pb|saved_model dir&gt; [--tags a,b] [--json]</c>: what a graph file holds
/// — TF version, node and op-type counts, placeholders, variables, Saver settings, collections,
/// signatures, and op types the runtime cannot execute (also inside function bodies), each with one node that needs it. The text form uses the same line shapes as the
/// fixtures' SOURCE.md; the JSON keys are camelCase and stable.
/// </summary>
public sealed class InspectCommand : ICliCommand
{
    private readonly Argument<string> _graph = CliOptions.Graph();
    private readonly Option<string> _tags = new("--tags")
    {
        HelpName = "serve,gpu",
        Description = "For a SavedModel with several MetaGraphs: the tag set of the one to inspect (comma-separated).",
    };
    private readonly Option<bool> _json = CliOptions.Json();

    /// <summary>Defines the command's syntax.</summary>
    public InspectCommand() => Definition = new Command("inspect",
        "What a graph file holds: TF version, node and op-type counts, placeholders, variables, Saver settings, collections, "
        + "signatures, and op types the runtime cannot execute.") { _graph, _tags, _json };

    /// <inheritdoc/>
    public Command Definition { get; }

    /// <inheritdoc/>
    public int Execute(ParseResult parse, TextWriter stdout)
    {
        var tags = parse.GetValue(_tags) is { } list ? CliOptions.CommaList(list) : null;
        var meta = MetaGraph.Load(parse.GetValue(_graph)!, tags);
        var report = InspectReport.Create(meta);
        if (parse.GetValue(_json)) stdout.WriteLine(JsonSerializer.Serialize(report, CliJson.Options));
        else WriteText(report, stdout);
        return 0;
    }

    private static void WriteText(InspectReport r, TextWriter o)
    {
        o.WriteLine($"file: {r.Source}");
        o.WriteLine($"kind: {r.Kind}");
        o.WriteLine($"tensorflow_version: {(r.TensorflowVersion.Length == 0 ? "(not recorded)" : r.TensorflowVersion)}");
        o.WriteLine($"graph_producer: {r.Producer}");
        o.WriteLine($"nodes: {r.NodeCount}");
        o.WriteLine("op types: " + string.Join(", ", r.OpCounts.Select(kv => $"{kv.Key}×{kv.Value}")));
        foreach (var p in r.Placeholders) o.WriteLine($"placeholder: {p.Name} dtype={p.Dtype} shape={p.ShapeText}");
        foreach (var v in r.Variables) o.WriteLine($"variable: {v.Name} dtype={v.Dtype} shape={v.ShapeText}");
        if (r.Saver is { } s)
        {
            o.WriteLine($"saver_def: filename_tensor_name={s.FilenameTensorName} save_tensor_name={s.SaveTensorName} restore_op_name={s.RestoreOpName} " +
                $"max_to_keep={s.MaxToKeep} keep_checkpoint_every_n_hours={TextFormat.FormatDouble(s.KeepCheckpointEveryNHours)} version={s.Version}" +
                (s.Sharded ? " sharded=True" : ""));
        }
        else o.WriteLine("saver_def: (none)");
        foreach (var c in r.Collections)
            o.WriteLine($"collection: {c.Name} ({c.Kind}, {c.Count})" + (c.Items.Count > 0 ? ": " + string.Join(", ", c.Items.Take(8)) + (c.Items.Count > 8 ? ", …" : "") : ""));
        foreach (var sig in r.Signatures)
            o.WriteLine($"signature: {sig.Key} method={sig.MethodName} inputs=[{string.Join(", ", sig.Inputs.Select(t => $"{t.Key}={t.Name}"))}] outputs=[{string.Join(", ", sig.Outputs.Select(t => $"{t.Key}={t.Name}"))}]");
        o.WriteLine("unsupported ops: " + (r.UnsupportedOps.Count == 0 ? "(none)" : string.Join(", ", r.UnsupportedOps)));
        foreach (var u in r.UnsupportedOpNodes) o.WriteLine($"unsupported op: {u}");
        if (r.LibraryFunctions.Count > 0) o.WriteLine($"function library: {r.LibraryFunctions.Count} function(s): " + string.Join(", ", r.LibraryFunctions.Take(8)) + (r.LibraryFunctions.Count > 8 ? ", …" : ""));
        foreach (var c in r.FunctionCalls)
            o.WriteLine($"function call: {c.NodeName} op={c.OpType} calls=[{string.Join(", ", c.Functions)}]" + (r.UnsupportedOps.Contains(c.OpType) ? " (unsupported)" : ""));
    }
}

/// <summary>The <c>inspect</c> result; its property names are the JSON interface.</summary>
public sealed record InspectReport(
    string Source, string Kind, string TensorflowVersion, int Producer, int NodeCount,
    IReadOnlyDictionary<string, int> OpCounts, IReadOnlyList<TypedNodeReport> Placeholders, IReadOnlyList<TypedNodeReport> Variables,
    SaverReport? Saver, IReadOnlyList<CollectionReport> Collections, IReadOnlyList<SignatureReport> Signatures,
    IReadOnlyList<string> UnsupportedOps, IReadOnlyList<UnsupportedOp> UnsupportedOpNodes, IReadOnlyList<string> LibraryFunctions, IReadOnlyList<FunctionCall> FunctionCalls)
{
    /// <summary>Builds the report for <paramref name="meta"/>.</summary>
    public static InspectReport Create(MetaGraph meta)
    {
        var s = GraphSummary.Create(meta);
        return new InspectReport(
            meta.SourcePath ?? "", CliJson.Camel(meta.Kind.ToString()), s.TensorFlowVersion, s.Producer, s.NodeCount, s.OpCounts,
            s.Placeholders.Select(TypedNodeReport.From).ToList(), s.Variables.Select(TypedNodeReport.From).ToList(),
            s.SaverDef == null ? null : SaverReport.From(s.SaverDef),
            s.Collections.Select(c => new CollectionReport(c.Name, c.Kind, c.Count, c.Items)).ToList(),
            meta.Proto.SignatureDef.Select(kv => SignatureReport.From(kv.Key, kv.Value)).ToList(),
            s.UnsupportedOps, s.UnsupportedOpNodes, TypedGraph.FunctionCalls.LibraryFunctions(meta.Graph), TypedGraph.FunctionCalls.Find(meta.Graph));
    }
}

/// <summary>A placeholder or variable; <c>shape</c> is null for unknown rank, −1 marks unknown dims.</summary>
public sealed record TypedNodeReport(string Name, string Dtype, long[]? Shape, string ShapeText)
{
    internal static TypedNodeReport From(GraphSummary.TypedNode n) => new(n.Name, n.DType, n.Shape, n.ShapeText);
}

/// <summary>SaverDef fields.</summary>
public sealed record SaverReport(string FilenameTensorName, string SaveTensorName, string RestoreOpName, int MaxToKeep,
    bool Sharded, double KeepCheckpointEveryNHours, int Version)
{
    internal static SaverReport From(SaverDef d) => new(d.FilenameTensorName, d.SaveTensorName, d.RestoreOpName, d.MaxToKeep,
        d.Sharded, d.KeepCheckpointEveryNHours, (int)d.Version);
}

/// <summary>A collection: kind is nodeList, bytesList, int64List, floatList or anyList.</summary>
public sealed record CollectionReport(string Name, string Kind, int Count, IReadOnlyList<string> Items);

/// <summary>A SavedModel signature.</summary>
public sealed record SignatureReport(string Key, string MethodName, IReadOnlyList<SignatureTensorReport> Inputs, IReadOnlyList<SignatureTensorReport> Outputs)
{
    internal static SignatureReport From(string key, SignatureDef d) => new(key, d.MethodName,
        d.Inputs.Select(kv => SignatureTensorReport.From(kv.Key, kv.Value)).ToList(),
        d.Outputs.Select(kv => SignatureTensorReport.From(kv.Key, kv.Value)).ToList());
}

/// <summary>One signature input or output.</summary>
public sealed record SignatureTensorReport(string Key, string Name, string Dtype, long[]? Shape)
{
    internal static SignatureTensorReport From(string key, TensorInfo t)
        => new(key, t.Name, GraphSummary.TypeName(t.Dtype), GraphSummary.Dims(t.TensorShape));
}

/// <summary>Shared JSON settings: camelCase, indented, no escaping of non-ASCII.</summary>
public static class CliJson
{
    /// <summary>The options every command serializes with.</summary>
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary><c>MetaGraph</c> → <c>metaGraph</c>.</summary>
    public static string Camel(string s) => s.Length == 0 ? s : char.ToLowerInvariant(s[0]) + s[1..];

    internal static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
