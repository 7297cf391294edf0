using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using TypedGraph.Generator.Model;
using TypedGraph.Protos;

namespace TypedGraph.Generator.Parsing
{
    /// <summary>
    /// Turns the visible nodes into the member tree: name scopes become nested members
    /// (<c>conv1/weights</c> → <c>Conv1.Weights</c>), a node that is also a scope (every TF1 variable
    /// <c>w</c> with its <c>w/read</c>) is one member carrying children, extra outputs
    /// (<c>split:1</c>) become siblings with a suffix (<c>Split_Output1</c>). Identifiers are assigned in
    /// ordinal TF-name order so collisions resolve the same way on every build; each is reported.
    /// </summary>
    internal sealed class MemberTreeBuilder
    {
        private sealed class Trie
        {
            public Trie(string path, string segment) { Path = path; Segment = segment; }
            public string Path { get; }
            public string Segment { get; }
            public SortedDictionary<string, Trie> Children { get; } = new SortedDictionary<string, Trie>(StringComparer.Ordinal);
            public int NodeIndex { get; set; } = -1;
        }

        private readonly GraphDef _graph;
        private readonly FeedAnalysis _feeds;
        private readonly OutputSignatures _sigs;
        private readonly string _filePath;
        private readonly string _className;
        private readonly List<DiagnosticInfo> _diagnostics;
        private readonly HashSet<string> _classNames = new HashSet<string> { "Scopes" };
        private readonly bool[] _shownByDefault;
        private readonly Dictionary<int, List<(DataType, TensorShapeProto?)>> _outputs = new Dictionary<int, List<(DataType, TensorShapeProto?)>>();

        public MemberTreeBuilder(GraphDef graph, OpList? ops, MetaGraphDef? meta, string filePath, string className, List<DiagnosticInfo> diagnostics)
        {
            _graph = graph;
            _shownByDefault = DefaultMembers.Compute(graph, meta);
            _sigs = new OutputSignatures(ops, graph.Versions?.Producer ?? 0);
            _feeds = new FeedAnalysis(graph);
            // Output signatures for every node up front, so shapes missing from the file can be inferred
            // from the producers' (see ShapeInference).
            var byName = new Dictionary<string, List<(DataType, TensorShapeProto?)>>(graph.Node.Count, StringComparer.Ordinal);
            for (int i = 0; i < graph.Node.Count; i++)
                _outputs[i] = byName[graph.Node[i].Name] = _sigs.For(graph.Node[i]);
            ShapeInference.Fill(graph, byName);
            _filePath = filePath;
            _className = className;
            _diagnostics = diagnostics;
        }

        public EquatableArray<MemberSpec> Build(NamePatterns patterns)
        {
            var root = new Trie("", "");
            for (int i = 0; i < _graph.Node.Count; i++)
            {
                var name = _graph.Node[i].Name;
                if (!patterns.IsVisible(name, _shownByDefault[i])) continue;
                var t = root;
                var parts = name.Split('/');
                for (int p = 0; p < parts.Length; p++)
                {
                    if (!t.Children.TryGetValue(parts[p], out var child))
                    {
                        child = new Trie(string.Join("/", parts, 0, p + 1), parts[p]);
                        t.Children.Add(parts[p], child);
                    }
                    t = child;
                }
                t.NodeIndex = i;
            }
            return Children(root, ReservedNames.ForModel(_className), "");
        }

        private List<(DataType, TensorShapeProto?)> Outputs(int node) => _outputs[node];

        private EquatableArray<MemberSpec> Children(Trie parent, HashSet<string> taken, string classPrefix)
        {
            // Candidates in ordinal TF-name order: each child, then its extra outputs (name:1, name:2…).
            var result = new List<MemberSpec>();
            foreach (var child in parent.Children.Values)
            {
                result.Add(Member(child, taken, classPrefix, output: 0));
                if (child.NodeIndex < 0) continue;
                int count = Outputs(child.NodeIndex).Count;
                for (int k = 1; k < count; k++) result.Add(Member(child, taken, classPrefix, k));
            }
            result.Sort((a, b) => string.CompareOrdinal(a.Identifier, b.Identifier));
            return new EquatableArray<MemberSpec>(result.ToArray());
        }

        private MemberSpec Member(Trie t, HashSet<string> taken, string classPrefix, int output)
        {
            // "_Output1" cannot come out of Naming.Pascal (it never puts '_' before a letter), so an extra output
            // never takes the name of a node: split:1 → Split_Output1, while a node split_1 → Split_1.
            string suffix = output == 0 ? "" : "_Output" + output.ToString(CultureInfo.InvariantCulture);
            string wanted = Naming.Pascal(t.Segment) + suffix;
            string tfName = t.NodeIndex < 0 ? t.Path : t.Path + ":" + output.ToString(CultureInfo.InvariantCulture);
            string identifier = Naming.Unique(wanted, taken);
            if (identifier != wanted)
                _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.IdentifierCollision, _filePath,
                    System.IO.Path.GetFileName(_filePath), tfName, wanted, identifier));
            string className = Naming.Unique(classPrefix + identifier, _classNames);

            if (t.NodeIndex < 0)
                return new MemberSpec(identifier, className, MemberKind.Scope, t.Path, null, null,
                    EquatableArray<FeedSpec>.Empty, EquatableArray<FeedSpec>.Empty,
                    Children(t, ReservedNames.ForMember(className), className + "_"));

            var node = _graph.Node[t.NodeIndex];
            var outputs = Outputs(t.NodeIndex);
            var info = new NodeInfo(node.Name, node.Op, node.Device, node.Input.ToEquatableArray(), outputs.Count,
                FeedAnalysis.IsPlaceholder(node.Op), IsVariable(node.Op));
            var (required, optional) = FeedsOf(t.NodeIndex);
            // Extra outputs carry no children: the scope below a node hangs off its first output.
            // Most nodes are leaves: only build the reserved-name set when there are children to name.
            var children = output == 0 && t.Children.Count > 0 ? Children(t, ReservedNames.ForMember(className), className + "_") : EquatableArray<MemberSpec>.Empty;
            if (outputs.Count == 0)
                return new MemberSpec(identifier, className, MemberKind.Operation, node.Name, info, null, required, optional, children);
            var (dtype, shape) = outputs[output];
            var tfTensor = node.Name + ":" + output.ToString(CultureInfo.InvariantCulture);
            return new MemberSpec(identifier, className, MemberKind.Tensor, tfTensor, info,
                TypeMapping.TensorType(dtype, shape), required, optional, children);
        }

        private static bool IsVariable(string op)
            => DefaultMembers.IsVariableOp(op);

        // Most nodes of a big graph need the same few placeholders: build each distinct feed list once.
        private readonly Dictionary<string, (EquatableArray<FeedSpec>, EquatableArray<FeedSpec>)> _feedCache =
            new Dictionary<string, (EquatableArray<FeedSpec>, EquatableArray<FeedSpec>)>(StringComparer.Ordinal);

        private (EquatableArray<FeedSpec> Required, EquatableArray<FeedSpec> Optional) FeedsOf(int node)
        {
            var needs = _feeds.Needs(node);
            if (needs.Count == 0) return (EquatableArray<FeedSpec>.Empty, EquatableArray<FeedSpec>.Empty);
            var key = string.Join(",", needs);
            if (_feedCache.TryGetValue(key, out var cached)) return cached;
            var result = BuildFeeds(needs);
            _feedCache[key] = result;
            return result;
        }

        private (EquatableArray<FeedSpec> Required, EquatableArray<FeedSpec> Optional) BuildFeeds(List<int> needs)
        {
            needs.Sort((a, b) => string.CompareOrdinal(_graph.Node[a].Name, _graph.Node[b].Name));
            var names = new HashSet<string>();
            var required = new List<FeedSpec>();
            var optional = new List<FeedSpec>();
            foreach (int p in needs)
            {
                var ph = _graph.Node[p];
                var outs = Outputs(p);
                var type = outs.Count > 0 ? TypeMapping.TensorType(outs[0].Item1, outs[0].Item2)
                    : TypeMapping.TensorType(DataType.DtInvalid, null);
                bool isOptional = ph.Op == "PlaceholderWithDefault";
                var spec = new FeedSpec(Naming.Unique(Naming.Camel(ph.Name), names), ph.Name + ":0", type, isOptional);
                (isOptional ? optional : required).Add(spec);
            }
            return (required.ToEquatableArray(), optional.ToEquatableArray());
        }
    }
}
