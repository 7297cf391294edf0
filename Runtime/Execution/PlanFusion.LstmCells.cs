using TypedGraph.Kernels;
using TypedGraph.Protos;

namespace TypedGraph.Execution;

internal static partial class PlanFusion
{
    /// <summary>The fused LSTM cell op (<c>FusedLstmCellKernel</c>); a TypedGraph plan-only op, not one of TF's.</summary>
    private const string LstmCellOp = "_FusedLstmCell";

    /// <summary>
    /// The elementwise tail of an LSTM cell as TF builds it from separate ops — a 4-way <c>Split</c> of the gate matrix,
    /// three Sigmoids and a Tanh (each gate optionally after an <c>Add</c> of another tensor, the forget bias), then
    /// <c>c' = c ⊙ σ(f) + σ(i) ⊙ tanh(j)</c> and <c>h' = tanh(c') ⊙ σ(o)</c> — becomes one <c>_FusedLstmCell</c> node.
    /// </summary>
    /// <remarks>
    /// <para>This is the tail of TF 1.x's <c>BasicLSTMCell.call</c> and of <c>LSTMCell</c> without peepholes, cell clip or
    /// projection (rnn_cell_impl.py: <c>i, j, f, o = split(...)</c>, <c>new_c = c * sigmoid(f + forget_bias) + sigmoid(i) *
    /// tanh(j)</c>, <c>new_h = tanh(new_c) * sigmoid(o)</c>) and of Keras's LSTM (recurrent_v2.py <c>standard_lstm</c> and
    /// <c>LSTMCell</c> with implementation 2: gates i, f, c, o, no forget-bias add). The gates are recognised by the graph's
    /// structure, not by names or by a fixed order: the Tanh'd gate is j, the Sigmoid multiplied with it is i, the Sigmoid
    /// multiplied with the old cell state is f, the one multiplied with <c>tanh(c')</c> is o; operands may come in either order.</para>
    /// <para>A cell runs ~12 nodes per step inside a dynamic_rnn loop; the fused node is one step of the loop executor and one
    /// pass over the gate rows. Its outputs are <c>h'</c> (0) and <c>c'</c> (1); it is named after the <c>h'</c> node and an
    /// <c>Identity</c> named after the <c>c'</c> node forwards output 1, so every consumer and fetch keeps its name. The
    /// intermediates (the Split's four outputs, the gate adds and activations, the three products but not c', tanh(c'))
    /// must be hidden from the request as for every fusion here; c' and h' may be read by anything. The kernel gives the
    /// same bits as the separate ops (see <c>FusedLstmCellKernel</c>).</para>
    /// <para>Inputs of the fused node: the Split's <c>split_dim</c> and value (the gates), the old cell state, then the
    /// addend of each gate that has one. Attrs: <c>T</c>, <c>gate_split_index</c> (the Split output of i, j, f, o),
    /// <c>addend_gates</c> (which gates, 0 = i … 3 = o, have an addend input, in input order), <c>fused_nodes</c> (the graph
    /// nodes it stands for, for errors).</para>
    /// </remarks>
    private static List<Node> FuseLstmCells(List<Node> needed, TensorRef[] fetches, HashSet<TensorRef> fed, Node[] targets, KernelRegistry registry)
    {
        if (registry.Find(LstmCellOp) == null || !needed.Any(n => n.Op == "Split")) return needed;
        var readers = new Readers(needed, fetches, fed, targets);
        var replaced = new Dictionary<string, Node>(StringComparer.Ordinal);
        var removed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var split in needed)
        {
            if (MatchLstmCell(split, readers) is not { } cell) continue;
            if (cell.Removed.Any(n => removed.Contains(n.Name) || replaced.ContainsKey(n.Name))
                || removed.Contains(cell.NewC.Name) || removed.Contains(cell.NewH.Name)) continue;
            var (fusedCell, identity) = FuseLstmCell(cell);
            replaced[cell.NewH.Name] = fusedCell;
            replaced[cell.NewC.Name] = identity;
            foreach (var n in cell.Removed) removed.Add(n.Name);
        }
        return Replace(needed, replaced, removed);
    }

    /// <summary>A matched cell: the split, the gates' split outputs and addends (i, j, f, o), the old state, the nodes that
    /// vanish, and the two nodes that stay as outputs.</summary>
    private sealed record LstmCellMatch(Node Split, int[] GateIndex, TensorRef?[] Addends, TensorRef OldC, List<Node> Removed, Node NewC, Node NewH);

    private static bool IsFloat(Node n) => n.GetType("T", DataType.DtInvalid) == DataType.DtFloat;

    private static LstmCellMatch? MatchLstmCell(Node split, Readers readers)
    {
        if (split.Op != "Split" || !IsFloat(split) || split.GetInt("num_split", 0) != 4 || split.Inputs.Count != 2) return null;
        var removed = new List<Node> { split };
        // Each split output: [Add(·, addend) →] Sigmoid|Tanh, every step read by exactly one op and invisible.
        var activation = new Node[4];
        var addend = new TensorRef?[4];
        for (int k = 0; k < 4; k++)
        {
            var part = new TensorRef(split.Name, k);
            if (!readers.Hidden(part) || readers.SoleReader(part) is not { } next || !IsFloat(next)) return null;
            if (next.Op is "Add" or "AddV2" && next.Inputs.Count == 2)
            {
                var other = next.Inputs[0] == part ? next.Inputs[1] : next.Inputs[0];
                if (other.NodeName == split.Name || !readers.Hidden(next) || readers.SoleReader(next) is not { } act) return null;
                addend[k] = other;
                removed.Add(next);
                next = act;
                if (next.Inputs[0].NodeName != removed[^1].Name) return null;
            }
            if (next.Op is not ("Sigmoid" or "Tanh") || next.Inputs.Count != 1 || !IsFloat(next) || !readers.Hidden(next)) return null;
            activation[k] = next;
            removed.Add(next);
        }
        int j = Array.FindIndex(activation, a => a.Op == "Tanh");
        if (j < 0 || activation.Count(a => a.Op == "Tanh") != 1) return null;
        // i ⊙ tanh(j): the Sigmoid multiplied with the Tanh'd gate.
        if (Product(readers, activation[j]) is not { } inputProduct) return null;
        int i = GateOf(activation, inputProduct.Other);
        if (i < 0 || i == j) return null;
        // f ⊙ c: a remaining Sigmoid multiplied with a tensor from outside the cell, summed with i ⊙ tanh(j) into c'.
        var newC = readers.SoleReader(inputProduct.Mul);
        if (newC is not { Op: "Add" or "AddV2" } || !IsFloat(newC) || newC.Inputs.Count != 2) return null;
        int f = -1;
        (Node Mul, TensorRef Other) fp = default;
        for (int k = 0; k < 4 && f < 0; k++)
        {
            if (k == i || k == j || Product(readers, activation[k]) is not { } p || GateOf(activation, p.Other) >= 0) continue;
            if (p.Other.NodeName == split.Name || removed.Any(n => n.Name == p.Other.NodeName) || readers.SoleReader(p.Mul) != newC) continue;
            f = k;
            fp = p;
        }
        if (f < 0) return null;
        var sum = new[] { new TensorRef(inputProduct.Mul.Name, 0), new TensorRef(fp.Mul!.Name, 0) };
        if (!(newC.Inputs[0] == sum[0] && newC.Inputs[1] == sum[1]) && !(newC.Inputs[0] == sum[1] && newC.Inputs[1] == sum[0])) return null;
        var cRef = new TensorRef(newC.Name, 0);
        if (readers.Fed(cRef)) return null;
        int o = 6 - i - j - f;
        // h' = tanh(c') ⊙ σ(o): a Tanh of c' read only by the product with the last gate.
        foreach (var tanhC in readers.ReadersOf(cRef))
        {
            if (tanhC.Op != "Tanh" || tanhC.Inputs.Count != 1 || !IsFloat(tanhC) || !readers.Hidden(tanhC)) continue;
            if (readers.SoleReader(tanhC) is not { Op: "Mul" } newH || !IsFloat(newH) || newH.Inputs.Count != 2) continue;
            var gateO = new TensorRef(activation[o].Name, 0);
            var tanhRef = new TensorRef(tanhC.Name, 0);
            if (!((newH.Inputs[0] == tanhRef && newH.Inputs[1] == gateO) || (newH.Inputs[0] == gateO && newH.Inputs[1] == tanhRef))) continue;
            if (readers.SoleReader(activation[o]) != newH || readers.Fed(new TensorRef(newH.Name, 0))) continue;
            removed.Add(inputProduct.Mul);
            removed.Add(fp.Mul);
            removed.Add(tanhC);
            return new LstmCellMatch(split, [i, j, f, o], [addend[i], addend[j], addend[f], addend[o]], fp.Other, removed, newC, newH);
        }
        return null;
    }

    /// <summary>The hidden float Mul that is <paramref name="activation"/>'s only reader, and its other operand.</summary>
    private static (Node Mul, TensorRef Other)? Product(Readers readers, Node activation)
    {
        var self = new TensorRef(activation.Name, 0);
        if (readers.SoleReader(activation) is not { Op: "Mul" } mul || !IsFloat(mul) || mul.Inputs.Count != 2 || !readers.Hidden(mul)) return null;
        if (mul.Inputs[0] == mul.Inputs[1]) return null;
        return (mul, mul.Inputs[0] == self ? mul.Inputs[1] : mul.Inputs[0]);
    }

    /// <summary>The gate whose Sigmoid is <paramref name="r"/>, or -1.</summary>
    private static int GateOf(Node[] activation, TensorRef r)
        => r.Index != 0 ? -1 : Array.FindIndex(activation, a => a.Op == "Sigmoid" && a.Name == r.NodeName);

    /// <summary>The fused node (named after h') and the Identity that keeps c''s name.</summary>
    private static (Node Cell, Node NewC) FuseLstmCell(LstmCellMatch m)
    {
        var inputs = m.Split.Def.Input.Where(i => !i.StartsWith('^')).Take(2).Append(Text(m.OldC)).ToList();
        var addendGates = new List<int>();
        for (int g = 0; g < 4; g++)
            if (m.Addends[g] is { } a)
            {
                inputs.Add(Text(a));
                addendGates.Add(g);
            }
        var def = CellNode(LstmCellOp, m.NewH, inputs, [.. m.Removed, m.NewC, m.NewH]);
        def.Attr["gate_split_index"] = Ints(m.GateIndex);
        def.Attr["addend_gates"] = Ints([.. addendGates]);
        if (m.NewH.Attr("_output_shapes") is { List.Shape.Count: 1 } hs && m.NewC.Attr("_output_shapes") is { List.Shape.Count: 1 } cs)
        {
            var shapes = new AttrValue.Types.ListValue();
            shapes.Shape.Add(hs.List.Shape[0]);
            shapes.Shape.Add(cs.List.Shape[0]);
            def.Attr["_output_shapes"] = new AttrValue { List = shapes };
        }
        else def.Attr.Remove("_output_shapes"); // two outputs: both shapes or none
        var identity = new NodeDef { Name = m.NewC.Name, Op = "Identity", Device = m.NewC.Device };
        identity.Attr["T"] = new AttrValue { Type = DataType.DtFloat };
        identity.Input.Add(m.NewH.Name + ":1");
        if (m.NewC.Attr("_output_shapes") is { } shape) identity.Attr["_output_shapes"] = shape;
        return (new Node(def, m.NewH.Id), new Node(identity, m.NewC.Id));
    }

    private static string Text(TensorRef r) => r.Index == 0 ? r.NodeName : $"{r.NodeName}:{r.Index}";

    /// <summary>A float plan-only node named after <paramref name="at"/> (so its readers and fetches keep their names), with
    /// <paramref name="inputs"/>, every control input of the nodes it stands for, and their names in <c>fused_nodes</c>
    /// (for errors); one output's <c>_output_shapes</c> kept from <paramref name="at"/>.</summary>
    private static NodeDef CellNode(string op, Node at, IEnumerable<string> inputs, List<Node> standsFor)
    {
        var def = new NodeDef { Name = at.Name, Op = op, Device = at.Device };
        def.Attr["T"] = new AttrValue { Type = DataType.DtFloat };
        def.Input.Add(inputs);
        def.Input.Add(standsFor.SelectMany(n => n.ControlInputs).Distinct(StringComparer.Ordinal).Select(c => "^" + c));
        var names = new AttrValue.Types.ListValue();
        names.S.Add(standsFor.Select(n => Google.Protobuf.ByteString.CopyFromUtf8(n.Name)));
        def.Attr["fused_nodes"] = new AttrValue { List = names };
        if (at.Attr("_output_shapes") is { } shapes) def.Attr["_output_shapes"] = shapes;
        return def;
    }

    private static AttrValue Ints(int[] values)
    {
        var list = new AttrValue.Types.ListValue();
        list.I.Add(values.Select(v => (long)v));
        return new AttrValue { List = list };
    }
}
