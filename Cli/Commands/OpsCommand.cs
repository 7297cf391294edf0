using System.CommandLine;
using System.Text.Json;
using TypedGraph.Kernels;
using TypedGraph.Training;

namespace TypedGraph.Cli.Commands;

/// <summary>
/// <c>typedgraph ops [--json]</c>: the op types the runtime executes (<see cref="KernelRegistry.Default"/>) and, for
/// each, whether <c>Gradients.Compute</c> can differentiate it (<see cref="GradientRegistry"/>: a gradient function,
/// "not differentiable" as TF's <c>ops.NotDifferentiable</c>, or none) — coverage without running a model.
/// </summary>
public sealed class OpsCommand : ICliCommand
{
    private readonly Option<bool> _json = CliOptions.Json();

    /// <summary>Defines the command's syntax.</summary>
    public OpsCommand() => Definition = new Command("ops",
        "The op types the runtime executes and, for each, whether gradients can flow through it.") { _json };

    /// <inheritdoc/>
    public Command Definition { get; }

    /// <inheritdoc/>
    public int Execute(ParseResult parse, TextWriter stdout)
    {
        var report = OpsReport.Create(KernelRegistry.Default);
        if (parse.GetValue(_json))
        {
            stdout.WriteLine(JsonSerializer.Serialize(report, CliJson.Options));
            return 0;
        }
        stdout.WriteLine($"{report.Count} op types with kernels, {report.WithGradient} with gradients, {report.NotDifferentiable} not differentiable");
        foreach (var op in report.Ops) stdout.WriteLine($"{op.Op}\t{op.Gradient}");
        return 0;
    }
}

/// <summary>The <c>ops</c> result; property names are the JSON interface.</summary>
/// <param name="Count">Number of op types with a kernel.</param>
/// <param name="WithGradient">How many of them have a gradient function.</param>
/// <param name="NotDifferentiable">How many are registered as not differentiable.</param>
/// <param name="Ops">Each op type, sorted ordinally.</param>
public sealed record OpsReport(int Count, int WithGradient, int NotDifferentiable, IReadOnlyList<OpReport> Ops)
{
    /// <summary>Builds the report for <paramref name="registry"/>.</summary>
    public static OpsReport Create(KernelRegistry registry)
    {
        var ops = registry.OpTypes.Select(op => new OpReport(op,
            GradientRegistry.Find(op) != null ? "gradient" : GradientRegistry.IsNotDifferentiable(op) ? "notDifferentiable" : "none")).ToList();
        return new OpsReport(ops.Count, ops.Count(o => o.Gradient == "gradient"), ops.Count(o => o.Gradient == "notDifferentiable"), ops);
    }
}

/// <summary>One op type: <c>gradient</c> is <c>gradient</c>, <c>notDifferentiable</c> or <c>none</c>.</summary>
public sealed record OpReport(string Op, string Gradient);
