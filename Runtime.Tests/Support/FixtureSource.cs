using System.Globalization;
using System.Text.RegularExpressions;

namespace TypedGraph.Tests.Support;

/// <summary>
/// What a fixture folder's SOURCE.md says about its files: the "Graph" block (TF version, node count,
/// op-type counts, placeholders, variables, saver_def) and the "Checkpoint entries" block. Parsed here
/// so a new fixture folder is tested without new code.
/// </summary>
public sealed partial class FixtureSource
{
    public required string Folder { get; init; }
    public string? TensorFlowVersion { get; private set; }
    public int? NodeCount { get; private set; }
    public Dictionary<string, int> OpCounts { get; } = new(StringComparer.Ordinal);
    public List<(string Name, string DType, string Shape)> Placeholders { get; } = [];
    public List<(string Name, string DType, string Shape)> Variables { get; } = [];
    public Dictionary<string, string> SaverDef { get; } = new(StringComparer.Ordinal);
    public int? NumShards { get; private set; }
    public List<Entry> Entries { get; } = [];

    /// <summary>One "Checkpoint entries" line.</summary>
    public sealed record Entry(string Name, string DType, long[] Shape, int Shard, long Offset, long Size, double[] First);

    /// <summary>True for a SavedModel folder (<c>saved_model.pb</c> at its top).</summary>
    public bool IsSavedModel => File.Exists(Path.Combine(Folder, "saved_model.pb"));

    /// <summary>The graph file SOURCE.md's graph block describes: the folder's single <c>.meta</c>, or for a
    /// SavedModel folder its <c>saved_model.pb</c> (the block describes its <c>serve</c> meta graph); null when neither.</summary>
    public string? MetaPath => IsSavedModel ? Path.Combine(Folder, "saved_model.pb") : Directory.GetFiles(Folder, "*.meta").SingleOrDefault();

    /// <summary>The checkpoint prefix: from the folder's single top-level <c>.index</c>, or a SavedModel's
    /// <c>variables/variables</c>; null when the folder holds no checkpoint.</summary>
    public string? CheckpointPrefix
    {
        get
        {
            if (IsSavedModel)
            {
                var prefix = Path.Combine(Folder, "variables", "variables");
                return File.Exists(prefix + ".index") ? prefix : null;
            }
            return Directory.GetFiles(Folder, "*.index").SingleOrDefault() is { } i ? i[..^".index".Length] : null;
        }
    }

    public static FixtureSource Load(string folder)
    {
        var src = new FixtureSource { Folder = folder };
        string? section = null;
        bool inBlock = false;
        foreach (var line in File.ReadLines(Path.Combine(folder, "SOURCE.md")))
        {
            if (line.StartsWith("## ", StringComparison.Ordinal)) { section = line[3..]; continue; }
            if (line.StartsWith("```", StringComparison.Ordinal)) { inBlock = !inBlock; continue; }
            if (section == null) continue;
            if (!inBlock)
            {
                // Prose may name entries the block has no form for (a string tensor's first values), e.g.
                // `_CHECKPOINTABLE_OBJECT_GRAPH string [] shard=0 offset=933148 size=10178`.
                if (section.StartsWith("Checkpoint entries", StringComparison.Ordinal))
                    foreach (Match m in ProseEntry().Matches(line)) src.AddEntry(m, []);
                continue;
            }
            if (section.StartsWith("Graph", StringComparison.Ordinal)) src.ParseGraphLine(line);
            else if (section.StartsWith("Checkpoint entries", StringComparison.Ordinal)) src.ParseEntryLine(line);
        }
        // A reader lists entries in key order (bytewise; these names are ASCII).
        src.Entries.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return src;
    }

    private void ParseGraphLine(string line)
    {
        int colon = line.IndexOf(": ", StringComparison.Ordinal);
        if (colon < 0) return;
        var key = line[..colon];
        var value = line[(colon + 2)..];
        switch (key)
        {
            case "tensorflow_version": TensorFlowVersion = value; break;
            case "nodes": NodeCount = int.Parse(value, CultureInfo.InvariantCulture); break;
            case "op types":
                foreach (var part in value.Split(", "))
                {
                    var x = part.Split('×');
                    OpCounts[x[0]] = int.Parse(x[1], CultureInfo.InvariantCulture);
                }
                break;
            case "placeholder": Placeholders.Add(ParseNamed(value)); break;
            case "variable": Variables.Add(ParseNamed(value)); break;
            case "saver_def":
                foreach (Match m in KeyValue().Matches(value)) SaverDef[m.Groups[1].Value] = m.Groups[2].Value;
                break;
        }
    }

    private static (string, string, string) ParseNamed(string value)
    {
        var m = NamedLine().Match(value);
        if (!m.Success) throw new FormatException("Unparsed SOURCE.md line: " + value);
        return (m.Groups[1].Value, m.Groups[2].Value, m.Groups[3].Value);
    }

    private void ParseEntryLine(string line)
    {
        if (line.StartsWith("header ", StringComparison.Ordinal))
        {
            NumShards = int.Parse(line.Split('=')[1], CultureInfo.InvariantCulture);
            return;
        }
        var m = EntryLine().Match(line);
        if (!m.Success) throw new FormatException("Unparsed SOURCE.md entry line: " + line);
        AddEntry(m, m.Groups[7].Value.Split(", ").Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray());
    }

    private void AddEntry(Match m, double[] first)
    {
        var dims = m.Groups[3].Value.Length == 0 ? [] : m.Groups[3].Value.Split(", ").Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        Entries.Add(new Entry(m.Groups[1].Value, m.Groups[2].Value, dims, int.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture),
            long.Parse(m.Groups[5].Value, CultureInfo.InvariantCulture), long.Parse(m.Groups[6].Value, CultureInfo.InvariantCulture), first));
    }

    [GeneratedRegex(@"(\w+)=(\S+)")]
    private static partial Regex KeyValue();

    [GeneratedRegex(@"^(\S+) dtype=(\S+) shape=(.+)$")]
    private static partial Regex NamedLine();

    [GeneratedRegex(@"^(\S+) (\S+) \[([^\]]*)\] shard=(\d+) offset=(\d+) size=(\d+) crc_ok=True first=\[([^\]]*)\]$")]
    private static partial Regex EntryLine();

    [GeneratedRegex(@"`(\S+) (\S+) \[([^\]]*)\] shard=(\d+) offset=(\d+) size=(\d+)`")]
    private static partial Regex ProseEntry();
}
