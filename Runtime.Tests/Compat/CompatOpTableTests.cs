using System.Text;
using TypedGraph.Kernels;
using TypedGraph.Tests.Support;

namespace TypedGraph.Tests.Compat;

/// <summary>
/// docs/compat.md's op table is generated from the kernel registry: every kernel family (KernelSet, in the registry's
/// registration order) with the op types it registers. This test fails when the committed table differs from the
/// registry; run it with <c>TYPEDGRAPH_WRITE_OP_TABLE=1</c> to rewrite the table in place, then commit the doc.
/// </summary>
public class CompatOpTableTests
{
    private const string Begin = "<!-- op-table:begin -->";
    private const string End = "<!-- op-table:end -->";

    /// <summary>(family, op types) in registration order; an op goes to the family that registered it first, exactly
    /// as <see cref="KernelRegistry.Default"/> resolves it (a family that registers "only when missing" gets nothing).</summary>
    internal static List<(string Family, List<string> Ops)> Families()
    {
        var registry = new KernelRegistry();
        var result = new List<(string, List<string>)>();
        foreach (var set in KernelRegistry.CreateKernelSets())
        {
            var before = registry.OpTypes.ToHashSet(StringComparer.Ordinal);
            set.Register(registry);
            var added = registry.OpTypes.Where(op => !before.Contains(op)).ToList();
            var t = set.GetType();
            var family = (t.Namespace ?? "").Replace("TypedGraph.Kernels", "").TrimStart('.');
            result.Add(((family.Length > 0 ? family + "." : "") + t.Name, added));
        }
        return result;
    }

    internal static string Render()
    {
        var families = Families();
        var sb = new StringBuilder();
        sb.Append(Begin).Append('\n');
        sb.Append("Generated from `KernelRegistry` by `Runtime.Tests/Compat/CompatOpTableTests` (`TYPEDGRAPH_WRITE_OP_TABLE=1 dotnet test --filter CompatOpTable` rewrites it); ");
        sb.Append($"{families.Sum(f => f.Ops.Count)} op types in {families.Count(f => f.Ops.Count > 0)} kernel families.\n\n");
        sb.Append("| Kernel family | Op types |\n|---|---|\n");
        foreach (var (family, ops) in families.Where(f => f.Ops.Count > 0))
            sb.Append("| `").Append(family).Append("` | ").Append(string.Join(", ", ops.Select(o => "`" + o + "`"))).Append(" |\n");
        sb.Append(End);
        return sb.ToString();
    }

    [Fact]
    public void OpTableInCompatDocMatchesTheKernelRegistry()
    {
        var path = Path.Combine(Fixtures.RepoRoot, "docs", "compat.md");
        var doc = File.ReadAllText(path).Replace("\r\n", "\n");
        var table = Render();
        int b = doc.IndexOf(Begin, StringComparison.Ordinal), e = doc.IndexOf(End, StringComparison.Ordinal);
        string current = b >= 0 && e > b ? doc[b..(e + End.Length)] : "";
        if (Environment.GetEnvironmentVariable("TYPEDGRAPH_WRITE_OP_TABLE") == "1" && current != table)
        {
            doc = b >= 0 && e > b ? doc[..b] + table + doc[(e + End.Length)..] : doc.TrimEnd('\n') + "\n\n## Op table (every kernel family)\n" + table + "\n";
            File.WriteAllText(path, doc);
            current = table;
        }
        Assert.True(current == table, "docs/compat.md's op table is stale (a kernel was added or moved). Regenerate it: " +
            "TYPEDGRAPH_WRITE_OP_TABLE=1 dotnet test Runtime.Tests -c Release --filter CompatOpTable, then commit docs/compat.md.");
    }

    [Fact]
    public void EveryRegisteredOpAppearsInExactlyOneFamily()
    {
        var all = Families().SelectMany(f => f.Ops).ToList();
        Assert.Equal(all.Count, all.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(KernelRegistry.Default.OpTypes.ToHashSet(StringComparer.Ordinal), all.ToHashSet(StringComparer.Ordinal));
        // The families of issue 10 are listed.
        var names = Families().Select(f => f.Family).ToList();
        Assert.Contains("Sparse.SparseTensorKernels", names);
        Assert.Contains("Image.NonMaxSuppressionKernels", names);
        Assert.Contains("Training.SparseApplyKernels", names);
    }
}
