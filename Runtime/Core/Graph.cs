using TypedGraph.Protos;

namespace TypedGraph;

/// <summary>
/// A TF graph: the nodes of a <see cref="GraphDef"/> with name lookup. Nodes can be appended (the builder
/// does this on an imported graph); existing nodes are never changed (except while the builder wires a new loop's
/// back edge or a gradient loop orders its stack pushes, as TF's Python layer does), so execution plans built for an
/// earlier <see cref="Version"/> stay valid for the nodes they cover.
/// </summary>
public sealed class Graph
{
    private readonly List<Node> _nodes = [];
    private readonly Dictionary<string, Node> _byName = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    /// <summary>An empty graph.</summary>
    public Graph() : this(new GraphDef { Versions = new VersionDef { Producer = 27 } }) { }

    /// <summary>Wraps <paramref name="def"/> (taken over, not copied).</summary>
    /// <exception cref="GraphFormatException">Duplicate node names or an input naming a missing node.</exception>
    public Graph(GraphDef def)
    {
        Def = def;
        foreach (var nd in def.Node)
        {
            if (string.IsNullOrEmpty(nd.Name)) throw new GraphFormatException($"Node #{_nodes.Count} (op {nd.Op}) has no name.");
            if (_byName.ContainsKey(nd.Name)) throw new GraphFormatException($"Duplicate node name '{nd.Name}'.");
            var node = new Node(nd, _nodes.Count);
            _nodes.Add(node);
            _byName.Add(nd.Name, node);
        }
        foreach (var node in _nodes) CheckInputs(node);
    }

    /// <summary>The underlying proto; appended nodes are added to it too.</summary>
    public GraphDef Def { get; }

    /// <summary>All nodes in definition order.</summary>
    public IReadOnlyList<Node> Nodes => _nodes;

    /// <summary>Incremented on every change, so caches can tell the graph grew.</summary>
    public int Version { get; private set; }

    /// <summary>The node named <paramref name="name"/>, or null.</summary>
    public Node? FindNode(string name)
    {
        lock (_gate) return _byName.GetValueOrDefault(name);
    }

    /// <summary>The node named <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such node; the message suggests close names.</exception>
    public Node GetNode(string name) => FindNode(name) ?? throw new KeyNotFoundException(
        $"The graph has no node named '{name}'." + Suggest(name));

    /// <summary>True when a node with that name exists.</summary>
    public bool Contains(string name) => FindNode(name) != null;

    /// <summary>Appends a node; its data and control inputs must already exist.</summary>
    /// <exception cref="GraphFormatException">Name taken or an input is missing.</exception>
    public Node AddNode(NodeDef def)
    {
        lock (_gate)
        {
            if (string.IsNullOrEmpty(def.Name)) throw new GraphFormatException($"A new node (op {def.Op}) has no name.");
            if (_byName.ContainsKey(def.Name)) throw new GraphFormatException($"The graph already has a node named '{def.Name}'.");
            var node = new Node(def, _nodes.Count);
            CheckInputs(node);
            _nodes.Add(node);
            _byName.Add(def.Name, node);
            Def.Node.Add(def);
            Version++;
            return node;
        }
    }

    /// <summary>Appends several nodes at once: their inputs may name each other (a lowered loop's back edges) or
    /// existing nodes. Everything is checked before anything is added.</summary>
    /// <exception cref="GraphFormatException">A name is taken twice, or an input names no node.</exception>
    internal void AddNodes(IReadOnlyList<NodeDef> defs)
    {
        lock (_gate)
        {
            var fresh = new HashSet<string>(StringComparer.Ordinal);
            foreach (var def in defs)
            {
                if (string.IsNullOrEmpty(def.Name)) throw new GraphFormatException($"A new node (op {def.Op}) has no name.");
                if (_byName.ContainsKey(def.Name) || !fresh.Add(def.Name)) throw new GraphFormatException($"The graph already has a node named '{def.Name}'.");
            }
            var nodes = defs.Select((d, k) => new Node(d, _nodes.Count + k)).ToList();
            foreach (var node in nodes)
            {
                foreach (var input in node.Inputs)
                    if (!_byName.ContainsKey(input.NodeName) && !fresh.Contains(input.NodeName))
                        throw new GraphFormatException($"Node '{node.Name}' (op {node.Op}) reads '{input}', but no node '{input.NodeName}' exists.");
                foreach (var c in node.ControlInputs)
                    if (!_byName.ContainsKey(c) && !fresh.Contains(c))
                        throw new GraphFormatException($"Node '{node.Name}' (op {node.Op}) has a control input '^{c}', but no such node exists.");
            }
            foreach (var node in nodes)
            {
                _nodes.Add(node);
                _byName.Add(node.Name, node);
                Def.Node.Add(node.Def);
            }
            Version++;
        }
    }

    /// <summary>Replaces the node named like <paramref name="def"/> by it, at the same position (a functional op
    /// lowered to TF1 control flow becomes an IdentityN of its results under its own name, as TF's lowering keeps it).
    /// Plans a session built earlier keep running the old node, which computes the same values.</summary>
    /// <exception cref="GraphFormatException">No such node, or an input names no node.</exception>
    internal Node ReplaceNode(NodeDef def)
    {
        lock (_gate)
        {
            if (!_byName.TryGetValue(def.Name, out var old)) throw new GraphFormatException($"The graph has no node named '{def.Name}' to replace.");
            var node = new Node(def, old.Id);
            CheckInputs(node);
            _nodes[old.Id] = node;
            _byName[def.Name] = node;
            Def.Node[old.Id] = def;
            Version++;
            return node;
        }
    }

    /// <summary>Rewires data input <paramref name="index"/> of <paramref name="node"/> (building a loop's back edge).</summary>
    /// <exception cref="GraphFormatException">The new input's node does not exist.</exception>
    internal void UpdateInput(Node node, int index, TensorRef input)
    {
        lock (_gate)
        {
            if (!_byName.ContainsKey(input.NodeName)) throw new GraphFormatException($"Node '{node.Name}' cannot read '{input}': no node '{input.NodeName}' exists.");
            node.SetInput(index, input);
            Version++;
        }
    }

    /// <summary>Adds a control input to an existing node (TF's <c>_add_control_input</c>).</summary>
    /// <exception cref="GraphFormatException">No node named <paramref name="control"/>.</exception>
    internal void AddControlInput(Node node, string control)
    {
        lock (_gate)
        {
            if (!_byName.ContainsKey(control)) throw new GraphFormatException($"Node '{node.Name}' cannot wait for '^{control}': no such node exists.");
            node.AddControlInput(control);
            Version++;
        }
    }

    private void CheckInputs(Node node)
    {
        foreach (var input in node.Inputs)
            if (!_byName.ContainsKey(input.NodeName))
                throw new GraphFormatException($"Node '{node.Name}' (op {node.Op}) reads '{input}', but no node '{input.NodeName}' exists.");
        foreach (var c in node.ControlInputs)
            if (!_byName.ContainsKey(c))
                throw new GraphFormatException($"Node '{node.Name}' (op {node.Op}) has a control input '^{c}', but no such node exists.");
    }

    private string Suggest(string name)
    {
        var close = _nodes.Select(n => n.Name)
            .Where(n => n.Contains(name, StringComparison.OrdinalIgnoreCase) || name.Contains(n, StringComparison.OrdinalIgnoreCase))
            .Take(5).ToList();
        return close.Count == 0 ? "" : " Did you mean: " + string.Join(", ", close.Select(c => $"'{c}'")) + "?";
    }
}
