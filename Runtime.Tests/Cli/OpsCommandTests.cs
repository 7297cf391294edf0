using System.Text.Json;
using TypedGraph.Cli.Commands;
using TypedGraph.Kernels;
using TypedGraph.Training;

namespace TypedGraph.Tests.Cli;

/// <summary><c>typedgraph ops [--json]</c> lists exactly the kernel registry's op types with their gradient status.</summary>
public class OpsCommandTests
{
    [Fact]
    public void JsonListsEveryRegisteredOpOnceSortedWithItsGradientStatus()
    {
        var o = new StringWriter();
        Assert.Equal(0, CliApp.Run(["ops", "--json"], o, new StringWriter()));
        using var doc = JsonDocument.Parse(o.ToString());
        var ops = doc.RootElement.GetProperty("ops").EnumerateArray()
            .Select(e => (Op: e.GetProperty("op").GetString()!, Gradient: e.GetProperty("gradient").GetString()!)).ToList();

        var registered = KernelRegistry.Default.OpTypes;
        Assert.Equal(registered, ops.Select(x => x.Op));
        Assert.Equal(ops.Select(x => x.Op).Order(StringComparer.Ordinal), ops.Select(x => x.Op));
        Assert.Equal(registered.Count, doc.RootElement.GetProperty("count").GetInt32());
        foreach (var (op, gradient) in ops)
        {
            string expected = GradientRegistry.Find(op) != null ? "gradient" : GradientRegistry.IsNotDifferentiable(op) ? "notDifferentiable" : "none";
            Assert.True(expected == gradient, $"{op}: {gradient}, expected {expected}");
        }
        Assert.Equal(ops.Count(x => x.Gradient == "gradient"), doc.RootElement.GetProperty("withGradient").GetInt32());
        // Spot checks of known families.
        Assert.Contains(("MatMul", "gradient"), ops);
        Assert.Contains(("Shape", "notDifferentiable"), ops);
        Assert.Contains(("StatelessWhile", "none"), ops);
        Assert.Contains(("TensorListGetItem", "gradient"), ops);
    }

    [Fact]
    public void TextHasASummaryLineAndOneTabSeparatedLinePerOp()
    {
        var o = new StringWriter();
        Assert.Equal(0, CliApp.Run(["ops"], o, new StringWriter()));
        var lines = o.ToString().Replace("\r", "").TrimEnd('\n').Split('\n');
        var count = KernelRegistry.Default.OpTypes.Count;
        Assert.StartsWith($"{count} op types with kernels, ", lines[0]);
        Assert.Equal(count + 1, lines.Length);
        Assert.Contains("MatMul\tgradient", lines);
        Assert.Equal(2, CliApp.Run(["ops", "extra"], new StringWriter(), new StringWriter()));
    }
}
