using System;
using System.Collections.Generic;
using TypedGraph.Protos;

namespace TypedGraph.Generator.Parsing
{
    /// <summary>
    /// For every node, the placeholders that running it needs: graph reachability backwards over data
    /// and control inputs, ending at placeholders and at nodes without inputs (variables, constants).
    /// Cycles (TF while loops: Merge ← NextIteration) are collapsed with Tarjan's SCC algorithm, and the
    /// condensation is folded in the order Tarjan emits it (every SCC after all SCCs it reads from), so
    /// the whole analysis is O(nodes + edges) × (placeholders / 64) — fine for 20k-node graphs.
    /// </summary>
    internal sealed class FeedAnalysis
    {
        private readonly ulong[][] _setsByScc;
        private readonly int[] _sccOf;

        public FeedAnalysis(GraphDef graph)
        {
            int n = graph.Node.Count;
            var index = new Dictionary<string, int>(n, StringComparer.Ordinal);
            for (int i = 0; i < n; i++) index[graph.Node[i].Name] = i;

            var placeholders = new List<int>();
            var placeholderId = new int[n];
            for (int i = 0; i < n; i++)
            {
                placeholderId[i] = -1;
                if (IsPlaceholder(graph.Node[i].Op)) { placeholderId[i] = placeholders.Count; placeholders.Add(i); }
            }
            Placeholders = placeholders;

            var edges = new int[n][];
            for (int i = 0; i < n; i++)
            {
                var list = new List<int>();
                foreach (var input in graph.Node[i].Input)
                    if (index.TryGetValue(NodeOf(input), out int j)) list.Add(j);
                edges[i] = list.ToArray();
            }

            int words = (placeholders.Count + 63) / 64;
            _sccOf = new int[n];
            var sets = new List<ulong[]>();
            foreach (var scc in Tarjan(edges))
            {
                var set = new ulong[words];
                int id = sets.Count;
                foreach (int v in scc)
                {
                    _sccOf[v] = id;
                    if (placeholderId[v] >= 0) set[placeholderId[v] >> 6] |= 1UL << (placeholderId[v] & 63);
                }
                foreach (int v in scc)
                    foreach (int w in edges[v])
                    {
                        int other = _sccOf[w];
                        if (other == id) continue;
                        var src = sets[other];
                        for (int k = 0; k < words; k++) set[k] |= src[k];
                    }
                sets.Add(set);
            }
            _setsByScc = sets.ToArray();
        }

        /// <summary>Node indices of every placeholder, in graph order.</summary>
        public IReadOnlyList<int> Placeholders { get; }

        public static bool IsPlaceholder(string op) => op == "Placeholder" || op == "PlaceholderV2" || op == "PlaceholderWithDefault";

        /// <summary>Node indices of the placeholders node <paramref name="node"/> depends on.</summary>
        public List<int> Needs(int node)
        {
            var result = new List<int>();
            var set = _setsByScc[_sccOf[node]];
            for (int k = 0; k < set.Length; k++)
            {
                ulong bits = set[k];
                while (bits != 0)
                {
                    int b = TrailingZeros(bits);
                    result.Add(Placeholders[(k << 6) + b]);
                    bits &= bits - 1;
                }
            }
            return result;
        }

        private static int TrailingZeros(ulong v)
        {
            int c = 0;
            while ((v & 1) == 0) { v >>= 1; c++; }
            return c;
        }

        private static string NodeOf(string input)
        {
            int start = input.Length > 0 && input[0] == '^' ? 1 : 0;
            int colon = input.LastIndexOf(':');
            if (start == 0 && colon < 0) return input; // a plain node name: no copy
            return colon > start ? input.Substring(start, colon - start) : input.Substring(start);
        }

        /// <summary>Iterative Tarjan (no recursion: graphs can be deeper than the stack).</summary>
        private static IEnumerable<List<int>> Tarjan(int[][] edges)
        {
            int n = edges.Length, counter = 0;
            var indexOf = new int[n];
            var low = new int[n];
            var onStack = new bool[n];
            for (int i = 0; i < n; i++) indexOf[i] = -1;
            var stack = new Stack<int>();
            var work = new Stack<(int Node, int Edge)>();
            for (int root = 0; root < n; root++)
            {
                if (indexOf[root] >= 0) continue;
                work.Push((root, 0));
                while (work.Count > 0)
                {
                    var (v, e) = work.Pop();
                    if (e == 0)
                    {
                        indexOf[v] = low[v] = counter++;
                        stack.Push(v);
                        onStack[v] = true;
                    }
                    else
                    {
                        int child = edges[v][e - 1];
                        if (low[child] < low[v]) low[v] = low[child];
                    }
                    bool descended = false;
                    while (e < edges[v].Length)
                    {
                        int w = edges[v][e++];
                        if (indexOf[w] < 0)
                        {
                            work.Push((v, e));
                            work.Push((w, 0));
                            descended = true;
                            break;
                        }
                        if (onStack[w] && indexOf[w] < low[v]) low[v] = indexOf[w];
                    }
                    if (descended) continue;
                    if (low[v] == indexOf[v])
                    {
                        var scc = new List<int>();
                        int w;
                        do { w = stack.Pop(); onStack[w] = false; scc.Add(w); } while (w != v);
                        yield return scc;
                    }
                }
            }
        }
    }
}
