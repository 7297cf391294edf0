using TypedGraph.Kernels;
using TypedGraph.Protos;

namespace TypedGraph.Execution;

/// <summary>
/// Plan-time kernel fusion, as TF's grappler remapper does it: a float <c>Conv2D → BiasAdd → (Relu|Relu6|Elu)?</c>
/// or <c>MatMul → BiasAdd → (Relu|Relu6|Elu)?</c> chain becomes one <c>_FusedConv2D</c> / <c>_FusedMatMul</c>
/// node (attr <c>fused_ops</c>, <c>num_args</c> = 1, the bias as third input), which adds the bias and applies
/// the activation to each block of output while it is still in cache instead of two more passes over memory.
/// </summary>
/// <remarks>
/// Only the plan changes, never the graph. A chain is fused only when its intermediate tensors are invisible
/// to the request: not fetched, not fed, read by nothing but the next op of the chain, no op waits on the
/// intermediate nodes (control edges) and they are not targets. The fused node takes the name of the last op
/// of the chain, so every consumer and fetch of that tensor is unchanged. Opt out with
/// <see cref="SessionOptions.FuseKernels"/>.
/// </remarks>
internal static partial class PlanFusion
{
    /// <summary>Returns <paramref name="needed"/> with every fusable chain replaced by its fused node.</summary>
    public static List<Node> Rewrite(List<Node> needed, TensorRef[] fetches, HashSet<TensorRef> fed, Node[] targets, KernelRegistry registry)
    {
        needed = FuseRowChains(FuseEpilogues(needed, fetches, fed, targets, registry), fetches, fed, targets, registry);
        needed = FuseLstmCells(needed, fetches, fed, targets, registry);
        return FuseGruBlends(FuseGruCells(needed, fetches, fed, targets, registry), fetches, fed, targets, registry);
    }

    /// <summary>Who reads each tensor of a plan's nodes, and which nodes the request can see.</summary>
    private sealed class Readers
    {
        private readonly Dictionary<TensorRef, int> _count = new();
        private readonly Dictionary<TensorRef, Node> _sole = new();
        private readonly Dictionary<TensorRef, List<Node>> _all = new();

        /// <summary>The plan's nodes by name.</summary>
        public Dictionary<string, Node> Nodes { get; } = new(StringComparer.Ordinal);
        private readonly HashSet<string> _controlled = new(StringComparer.Ordinal);
        private readonly HashSet<string> _visible;
        private readonly HashSet<TensorRef> _fed;

        public Readers(List<Node> nodes, TensorRef[] fetches, HashSet<TensorRef> fed, Node[] targets)
        {
            foreach (var n in nodes)
            {
                Nodes[n.Name] = n;
                foreach (var r in n.Inputs) _count[r] = _count.GetValueOrDefault(r) + 1;
                foreach (var c in n.ControlInputs) _controlled.Add(c);
            }
            foreach (var n in nodes)
                foreach (var r in n.Inputs)
                {
                    if (_count[r] == 1) _sole[r] = n;
                    if (!_all.TryGetValue(r, out var list)) _all[r] = list = [];
                    if (!list.Contains(n)) list.Add(n);
                }
            _visible = new HashSet<string>(fetches.Select(f => f.NodeName), StringComparer.Ordinal);
            foreach (var t in targets) _visible.Add(t.Name);
            _fed = fed;
        }

        /// <summary>An intermediate may vanish only if exactly one op of the plan reads it and nothing else can see it:
        /// not fetched, not a target, not fed, no control edge from it.</summary>
        public bool Hidden(Node n) => !_visible.Contains(n.Name) && !_controlled.Contains(n.Name)
            && !_fed.Contains(new TensorRef(n.Name, 0)) && _count.GetValueOrDefault(new TensorRef(n.Name, 0)) == 1;

        /// <summary>The one op reading <c>n:0</c>, when exactly one does.</summary>
        public Node? SoleReader(Node n) => _sole.GetValueOrDefault(new TensorRef(n.Name, 0));

        /// <summary><see cref="Hidden(Node)"/> for any output of a node: read once, not fed, and the node itself invisible.</summary>
        public bool Hidden(TensorRef r) => !_visible.Contains(r.NodeName) && !_controlled.Contains(r.NodeName)
            && !_fed.Contains(r) && _count.GetValueOrDefault(r) == 1;

        /// <summary>The one op reading <paramref name="r"/>, when exactly one does.</summary>
        public Node? SoleReader(TensorRef r) => _sole.GetValueOrDefault(r);

        /// <summary>Every op of the plan that reads <paramref name="r"/> (each once).</summary>
        public IReadOnlyList<Node> ReadersOf(TensorRef r) => _all.TryGetValue(r, out var list) ? list : [];

        /// <summary>Whether the request or a control edge can see <paramref name="n"/>: fetched, a target, waited on, or its
        /// first output fed — so it may not vanish even when it has several readers inside a fused group.</summary>
        public bool Visible(Node n) => _visible.Contains(n.Name) || _controlled.Contains(n.Name) || _fed.Contains(new TensorRef(n.Name, 0));

        /// <summary>Whether the request feeds <paramref name="r"/> (its consumers then read the fed value).</summary>
        public bool Fed(TensorRef r) => _fed.Contains(r);
    }

    /// <summary>Conv2D/MatMul → BiasAdd → activation chains into <c>_FusedConv2D</c>/<c>_FusedMatMul</c>.</summary>
    private static List<Node> FuseEpilogues(List<Node> needed, TensorRef[] fetches, HashSet<TensorRef> fed, Node[] targets, KernelRegistry registry)
    {
        bool conv = registry.Find("_FusedConv2D") != null, matmul = registry.Find("_FusedMatMul") != null;
        if (!conv && !matmul) return needed;
        var readers = new Readers(needed, fetches, fed, targets);
        var replaced = new Dictionary<string, Node>(StringComparer.Ordinal); // tail name → fused node
        var removed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var head in needed)
        {
            bool isConv = head.Op == "Conv2D" && conv, isMatMul = head.Op == "MatMul" && matmul;
            if (!(isConv || isMatMul) || head.GetType("T", DataType.DtInvalid) != DataType.DtFloat || head.Inputs.Count != 2) continue;
            if (!readers.Hidden(head) || readers.SoleReader(head) is not { } bias) continue;
            if (bias.Op != "BiasAdd" || bias.Inputs.Count != 2 || bias.Inputs[0] != new TensorRef(head.Name, 0)) continue;
            // BiasAdd adds along its data_format's channel dim: the conv's own channel dim, a matrix's last dim.
            string biasFormat = bias.HasAttr("data_format") ? bias.GetString("data_format") : "NHWC";
            string headFormat = isConv && head.HasAttr("data_format") ? head.GetString("data_format") : "NHWC";
            if (biasFormat != headFormat) continue;
            var tail = bias;
            string? activation = null;
            if (readers.Hidden(bias) && readers.SoleReader(bias) is { } act
                && act.Op is "Relu" or "Relu6" or "Elu" && act.Inputs.Count == 1 && act.GetType("T", DataType.DtInvalid) == DataType.DtFloat)
            {
                tail = act;
                activation = act.Op;
            }
            var fused = Fuse(head, bias, tail, activation, isConv ? "_FusedConv2D" : "_FusedMatMul");
            replaced[tail.Name] = fused;
            removed.Add(head.Name);
            if (tail != bias) removed.Add(bias.Name);
        }
        return Replace(needed, replaced, removed);
    }

    /// <summary><paramref name="needed"/> without the <paramref name="removed"/> nodes, each fused tail replaced by its fused node.</summary>
    private static List<Node> Replace(List<Node> needed, Dictionary<string, Node> replaced, HashSet<string> removed)
    {
        if (replaced.Count == 0) return needed;
        var result = new List<Node>(needed.Count);
        foreach (var n in needed)
        {
            if (removed.Contains(n.Name)) continue;
            result.Add(replaced.GetValueOrDefault(n.Name) ?? n);
        }
        return result;
    }

    /// <summary>The fused node: the head's attrs, named after the tail, with the chain's control inputs.</summary>
    private static Node Fuse(Node head, Node bias, Node tail, string? activation, string op)
    {
        var def = head.Def.Clone();
        def.Name = tail.Name;
        def.Op = op;
        def.Device = tail.Device;
        def.Input.Clear();
        def.Input.Add(head.Def.Input.Where(i => !i.StartsWith('^')));
        def.Input.Add(bias.Def.Input.Where(i => !i.StartsWith('^')).Skip(1));
        var controls = head.ControlInputs.Concat(bias.ControlInputs).Concat(tail == bias ? [] : tail.ControlInputs).Distinct(StringComparer.Ordinal);
        def.Input.Add(controls.Select(c => "^" + c));
        var ops = new AttrValue { List = new AttrValue.Types.ListValue() };
        ops.List.S.Add(Google.Protobuf.ByteString.CopyFromUtf8("BiasAdd"));
        if (activation != null) ops.List.S.Add(Google.Protobuf.ByteString.CopyFromUtf8(activation));
        def.Attr["fused_ops"] = ops;
        def.Attr["num_args"] = new AttrValue { I = 1 };
        def.Attr.Remove("_output_shapes");
        if (tail.Attr("_output_shapes") is { } shapes) def.Attr["_output_shapes"] = shapes;
        return new Node(def, tail.Id);
    }
}
