namespace TypedGraph.Building;

/// <summary>
/// TF's unique naming (<c>Graph.unique_name</c> in <c>ops.py</c>): a name is used case-insensitively; the
/// second <c>Mul</c> becomes <c>Mul_1</c>, then <c>Mul_2</c>, skipping suffixes already taken. Names of an
/// imported graph, and every scope prefix of them, count as used, so a new <c>save</c> scope in a graph that
/// already holds <c>save/Const</c> becomes <c>save_1</c>, as with <c>import_meta_graph</c> + <c>Saver()</c>.
/// </summary>
internal sealed class UniqueNamer
{
    private readonly Dictionary<string, int> _inUse = new(StringComparer.Ordinal);

    /// <summary>Marks <paramref name="name"/> and each of its scope prefixes as used.</summary>
    public void MarkExisting(string name)
    {
        var key = name.ToLowerInvariant();
        while (true)
        {
            _inUse[key] = Math.Max(_inUse.GetValueOrDefault(key), 1);
            int slash = key.LastIndexOf('/');
            if (slash <= 0) break;
            key = key[..slash];
        }
    }

    /// <summary>A name not used yet, derived from <paramref name="name"/> the way TF derives it.</summary>
    public string Unique(string name, bool markAsUsed = true)
    {
        var key = name.ToLowerInvariant();
        int i = _inUse.GetValueOrDefault(key);
        if (markAsUsed) _inUse[key] = i + 1;
        if (i == 0) return name;
        var baseKey = key;
        while (_inUse.ContainsKey(key))
        {
            key = $"{baseKey}_{i}";
            i++;
        }
        if (markAsUsed) _inUse[key] = 1;
        return $"{name}_{i - 1}";
    }
}
