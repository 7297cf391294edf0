using System.Globalization;
using TypedGraph.Formats;
using TypedGraph.Onnx;

namespace TypedGraph.Cli.Commands;

/// <summary>
/// <c>typedgraph export-onnx &lt;meta|pb|saved_model dir&gt; [--checkpoint &lt;prefix|dir&gt;] [--init] --input x:0[=-1x784][,…]
/// --output y:0[,…] [--opset 17] -o model.onnx</c>: restores the variables (a SavedModel restores its own when no
/// checkpoint is given; <c>--init</c> runs the initializers instead) and writes the inference path between the
/// inputs and outputs as an ONNX model. An input's shape can follow its name (<c>x:0=-1x10x1</c>, <c>x:0=scalar</c>)
/// when the placeholder has no static shape.
/// </summary>
public sealed class ExportOnnxCommand : ICliCommand
{
    /// <inheritdoc/>
    public string Name => "export-onnx";

    /// <inheritdoc/>
    public string Usage => "export-onnx <file.meta|file.pb|saved_model dir> [--checkpoint <prefix|dir>] [--init] --input x:0[=-1x784][,...] --output y:0[,...] [--opset 17] -o model.onnx";

    /// <inheritdoc/>
    public int Execute(string[] args, TextWriter stdout)
    {
        var a = ParsedArgs.Parse(args.Select(s => s == "-o" ? "--out" : s).ToArray(), ["--init"], ["--checkpoint", "--input", "--output", "--opset", "--out"]);
        if (a.Positionals.Count != 1) throw new UsageException("expected exactly one graph file or SavedModel directory");
        var output = a.Get("--out") ?? throw new UsageException("-o <model.onnx> is required");
        var inputSpecs = Split(a.Get("--input") ?? throw new UsageException("--input is required (e.g. --input x:0)"));
        var outputs = Split(a.Get("--output") ?? throw new UsageException("--output is required (e.g. --output y:0)"));
        int opset = OnnxExportOptions.DefaultOpset;
        if (a.Get("--opset") is { } o && !int.TryParse(o, NumberStyles.None, CultureInfo.InvariantCulture, out opset))
            throw new UsageException($"--opset expects a number, got '{o}'");
        var inputs = new List<string>();
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var spec in inputSpecs)
        {
            int eq = spec.IndexOf('=');
            var name = eq < 0 ? spec : spec[..eq];
            inputs.Add(name);
            if (eq >= 0) shapes[name] = ParseDims(name, spec[(eq + 1)..]);
        }
        var meta = MetaGraph.Load(a.Positionals[0]);
        var model = OnnxExporter.Export(meta, a.Get("--checkpoint"), inputs, outputs,
            new OnnxExportOptions { Opset = opset, InputShapes = shapes }, initialize: a.Has("--init"));
        OnnxExporter.Save(model, output);
        stdout.WriteLine($"wrote {output}: opset {opset}, {model.Graph.Node.Count} nodes, {model.Graph.Initializer.Count} initializers; "
            + $"inputs {string.Join(", ", inputs)}; outputs {string.Join(", ", outputs)}");
        return 0;
    }

    private static List<string> Split(string list) => list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    private static long[] ParseDims(string name, string text)
    {
        if (text is "scalar" or "") return [];
        var parts = text.Split('x');
        var dims = new long[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!long.TryParse(parts[i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out dims[i]) || dims[i] < -1)
                throw new UsageException($"the shape of input '{name}' must look like -1x784 (or 'scalar'), got '{text}'");
        return dims;
    }
}
