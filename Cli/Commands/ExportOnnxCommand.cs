using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using TypedGraph.Formats;
using TypedGraph.Onnx;

namespace TypedGraph.Cli.Commands;

/// <summary>
/// <c>typedgraph export-onnx &lt;meta|pb|saved_model dir&gt; [--checkpoint &lt;prefix|dir&gt;] [--init] --input x:0[=-1x784][,…]
/// --output y:0[,…] [--opset 17] -o model.onnx [--json]</c>: restores the variables (a SavedModel restores its own when no
/// checkpoint is given; <c>--init</c> runs the initializers instead) and writes the inference path between the
/// inputs and outputs as an ONNX model. An input's shape can follow its name (<c>x:0=-1x10x1</c>, <c>x:0=scalar</c>)
/// when the placeholder has no static shape.
/// </summary>
public sealed class ExportOnnxCommand : ICliCommand
{
    private readonly Argument<string> _graph = CliOptions.Graph();
    private readonly Option<string> _checkpoint = CliOptions.Checkpoint();
    private readonly Option<bool> _init = CliOptions.Init();
    private readonly Option<string> _input = new("--input")
    {
        Required = true,
        HelpName = "x:0[=-1x784][,...]",
        Description = "The model inputs, comma-separated; a shape may follow a name (x:0=-1x10x1, x:0=scalar) when the placeholder has none.",
    };
    private readonly Option<string> _output = new("--output") { Required = true, HelpName = "y:0[,...]", Description = "The model outputs, comma-separated." };
    private readonly Option<int> _opset = new("--opset")
    {
        HelpName = OnnxExportOptions.DefaultOpset.ToString(CultureInfo.InvariantCulture),
        Description = "The ONNX opset to target.",
        DefaultValueFactory = _ => OnnxExportOptions.DefaultOpset,
        CustomParser = r => CliOptions.ParseInt(r, "--opset", 0, int.MaxValue, "--opset expects a number, got '{0}'") ?? 0,
    };
    private readonly Option<string> _out = new("--out", "-o") { Required = true, HelpName = "model.onnx", Description = "The .onnx file to write." };
    private readonly Option<bool> _json = CliOptions.Json();

    /// <summary>Defines the command's syntax.</summary>
    public ExportOnnxCommand() => Definition = new Command("export-onnx",
        "Restores the variables and writes the inference path between the inputs and outputs as an ONNX model.")
        { _graph, _checkpoint, _init, _input, _output, _opset, _out, _json };

    /// <inheritdoc/>
    public Command Definition { get; }

    /// <inheritdoc/>
    public int Execute(ParseResult parse, TextWriter stdout)
    {
        var output = parse.GetValue(_out)!;
        var inputSpecs = CliOptions.CommaList(parse.GetValue(_input)!);
        var outputs = CliOptions.CommaList(parse.GetValue(_output)!).ToList();
        int opset = parse.GetValue(_opset);
        var inputs = new List<string>();
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var spec in inputSpecs)
        {
            int eq = spec.IndexOf('=');
            var name = eq < 0 ? spec : spec[..eq];
            inputs.Add(name);
            if (eq >= 0) shapes[name] = ParseDims(name, spec[(eq + 1)..]);
        }
        var meta = MetaGraph.Load(parse.GetValue(_graph)!);
        var model = OnnxExporter.Export(meta, parse.GetValue(_checkpoint), inputs, outputs,
            new OnnxExportOptions { Opset = opset, InputShapes = shapes }, initialize: parse.GetValue(_init));
        OnnxExporter.Save(model, output);
        if (parse.GetValue(_json))
            stdout.WriteLine(JsonSerializer.Serialize(new
            {
                written = output, opset, nodes = model.Graph.Node.Count, initializers = model.Graph.Initializer.Count, inputs, outputs,
            }, CliJson.Options));
        else
            stdout.WriteLine($"wrote {output}: opset {opset}, {model.Graph.Node.Count} nodes, {model.Graph.Initializer.Count} initializers; "
                + $"inputs {string.Join(", ", inputs)}; outputs {string.Join(", ", outputs)}");
        return 0;
    }

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
