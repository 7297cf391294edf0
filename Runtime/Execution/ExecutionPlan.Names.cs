namespace TypedGraph.Execution;

internal sealed partial class ExecutionPlan
{
    /// <summary>Parses a tensor name (<c>"n:0"</c> or <c>"n"</c>) and checks the node exists.</summary>
    /// <exception cref="GraphExecutionException">Malformed name or no such node (close names listed).</exception>
    internal static TensorRef ResolveTensor(Graph graph, string name, string kind)
    {
        TensorRef r;
        try
        {
            r = TensorRef.Parse(name);
        }
        catch (FormatException e)
        {
            throw new GraphExecutionException($"The {kind} name '{name}' is not a tensor name ('node' or 'node:index').", null, e);
        }
        if (!graph.Contains(r.NodeName))
            throw new GraphExecutionException($"Cannot {kind} '{name}': the graph has no node named '{r.NodeName}'." + Suggest(graph, r.NodeName));
        return r;
    }

    /// <summary>Finds a target op by name (a trailing <c>":0"</c> or leading <c>"^"</c> is tolerated).</summary>
    /// <exception cref="GraphExecutionException">No such node (close names listed).</exception>
    internal static Node ResolveNode(Graph graph, string name)
    {
        var bare = name.StartsWith('^') ? name[1..] : name;
        var node = graph.FindNode(bare);
        if (node == null && bare.Contains(':'))
        {
            try
            {
                node = graph.FindNode(TensorRef.Parse(bare).NodeName);
            }
            catch (FormatException) { }
        }
        return node ?? throw new GraphExecutionException($"Cannot run target '{name}': the graph has no op named '{bare}'." + Suggest(graph, bare));
    }

    /// <summary>" Did you mean: 'a', 'b'?" — names containing each other or within a small edit distance.</summary>
    internal static string Suggest(Graph graph, string name)
    {
        var scored = new List<(int Score, string Name)>();
        foreach (var node in graph.Nodes)
        {
            var n = node.Name;
            int score;
            if (n.Contains(name, StringComparison.OrdinalIgnoreCase) || name.Contains(n, StringComparison.OrdinalIgnoreCase))
                score = Math.Abs(n.Length - name.Length);
            else
            {
                int d = EditDistance(n, name, 3);
                if (d > 3) continue;
                score = d;
            }
            scored.Add((score, n));
        }
        var best = scored.OrderBy(s => s.Score).ThenBy(s => s.Name, StringComparer.Ordinal).Take(5).Select(s => $"'{s.Name}'").ToList();
        return best.Count == 0 ? "" : " Did you mean: " + string.Join(", ", best) + "?";
    }

    /// <summary>Case-insensitive Levenshtein distance, giving up (returning max+1) beyond <paramref name="max"/>.</summary>
    private static int EditDistance(string a, string b, int max)
    {
        if (Math.Abs(a.Length - b.Length) > max) return max + 1;
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) prev[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            int rowMin = cur[0];
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1;
                cur[j] = Math.Min(Math.Min(prev[j] + 1, cur[j - 1] + 1), prev[j - 1] + cost);
                rowMin = Math.Min(rowMin, cur[j]);
            }
            if (rowMin > max) return max + 1;
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }
}
