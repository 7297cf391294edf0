using TypedGraph.Kernels;
using TypedGraph.Protos;

namespace TypedGraph.Execution;

internal static partial class PlanFusion
{
    /// <summary>The fused GRU cell op (<c>FusedGruCellKernel</c>); a TypedGraph plan-only op, not one of TF's.</summary>
    private const string GruCellOp = "_FusedGruCell";

    /// <summary>
    /// The elementwise tail of Keras's GRU step as TF traces it (keras/src/layers/rnn/gru.py <c>standard_gru</c>, the
    /// layer's default <c>reset_after=True</c> form) — two 3-way Splits, of the input projection <c>x</c> and of the
    /// recurrent projection <c>u</c>, then <c>z = σ(x_z + u_z)</c>, <c>r = σ(x_r + u_r)</c>, <c>hh = tanh(x_h + r ⊙ u_h)</c>,
    /// <c>h = z ⊙ h_prev + (1 − z) ⊙ hh</c> — becomes one <c>_FusedGruCell</c> node named after <c>h</c>.
    /// </summary>
    /// <remarks>
    /// The gates are found by structure: the Sigmoid multiplied with the old state is z, the one multiplied with a split
    /// output of <c>u</c> is r, and the split whose output r multiplies is the recurrent one; operands may come in either
    /// order, the two splits' gate columns in any order. Intermediates must be hidden as for every fusion here; h may be
    /// read by anything. Inputs: the two Splits' <c>split_dim</c> and value (x first, then u), the old state, the tensor
    /// <c>1 − z</c> subtracts from; attrs <c>x_split_index</c> / <c>u_split_index</c> (z, r, h), <c>fused_nodes</c>. The
    /// kernel gives the separate ops' bits (see <c>FusedGruCellKernel</c>).
    /// </remarks>
    private static List<Node> FuseGruCells(List<Node> needed, TensorRef[] fetches, HashSet<TensorRef> fed, Node[] targets, KernelRegistry registry)
    {
        if (registry.Find(GruCellOp) == null || needed.Count(n => n.Op == "Split") < 2) return needed;
        var readers = new Readers(needed, fetches, fed, targets);
        var replaced = new Dictionary<string, Node>(StringComparer.Ordinal);
        var removed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var h in needed)
        {
            if (MatchGruCell(h, readers) is not { } cell) continue;
            if (cell.Removed.Any(n => removed.Contains(n.Name) || replaced.ContainsKey(n.Name)) || removed.Contains(h.Name)) continue;
            replaced[h.Name] = FuseGruCell(cell);
            foreach (var n in cell.Removed) removed.Add(n.Name);
        }
        return Replace(needed, replaced, removed);
    }

    /// <summary>The fused GRU blend op (<c>FusedGruBlendKernel</c>); a TypedGraph plan-only op, not one of TF's.</summary>
    private const string GruBlendOp = "_FusedGruBlend";

    /// <summary>
    /// What is left of a GRU step when its gates are not one elementwise group — TF 1.x's <c>GRUCell</c>
    /// (rnn_cell_impl.py: <c>c = tanh(candidate)</c>, <c>new_h = u * state + (1 - u) * c</c>, with a MatMul between the
    /// gates and the candidate): <c>h = z ⊙ h_prev + (one − z) ⊙ tanh(c)</c> becomes one <c>_FusedGruBlend</c> node named
    /// after h. Inputs: the Tanh's input, z, h_prev, one. Runs after <see cref="FuseGruCells"/>, which takes whole Keras
    /// steps first.
    /// </summary>
    private static List<Node> FuseGruBlends(List<Node> needed, TensorRef[] fetches, HashSet<TensorRef> fed, Node[] targets, KernelRegistry registry)
    {
        if (registry.Find(GruBlendOp) == null || !needed.Any(n => n.Op == "Sub")) return needed;
        var readers = new Readers(needed, fetches, fed, targets);
        var replaced = new Dictionary<string, Node>(StringComparer.Ordinal);
        var removed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var h in needed)
        {
            if (MatchGruBlend(h, readers) is not { } blend) continue;
            var (_, _, sub, tanh, zRef, oldH, keep, mix) = blend;
            var gone = new[] { keep, mix, sub, tanh };
            if (gone.Any(n => removed.Contains(n.Name) || replaced.ContainsKey(n.Name)) || removed.Contains(h.Name)) continue;
            var def = CellNode(GruBlendOp, h, [Text(tanh.Inputs[0]), Text(zRef), Text(oldH), Text(sub.Inputs[0])], [.. gone, h]);
            replaced[h.Name] = new Node(def, h.Id);
            foreach (var n in gone) removed.Add(n.Name);
        }
        return Replace(needed, replaced, removed);
    }

    /// <summary><c>h = z ⊙ h_prev + (one − z) ⊙ tanh(c)</c> at <paramref name="h"/>: the nodes, z and h_prev; the products,
    /// Sub and Tanh hidden (z stays, read by the fused node).</summary>
    private static (Node M0, Node M1, Node Sub, Node Tanh, TensorRef Z, TensorRef OldH, Node Keep, Node Mix)? MatchGruBlend(Node h, Readers readers)
    {
        if (h.Op is not ("Add" or "AddV2") || h.Inputs.Count != 2 || !IsFloat(h) || readers.Fed(new TensorRef(h.Name, 0))) return null;
        var byName = readers.Nodes;
        if (h.Inputs[0].Index != 0 || h.Inputs[1].Index != 0) return null;
        if (Producer(readers, h.Inputs[0], byName) is not { Op: "Mul" } m0 || Producer(readers, h.Inputs[1], byName) is not { Op: "Mul" } m1) return null;
        if (m0 == m1 || !IsHiddenFloat(readers, m0, "Mul", 2) || !IsHiddenFloat(readers, m1, "Mul", 2)) return null;
        foreach (var (keep, mix) in new[] { (m0, m1), (m1, m0) })
            foreach (var subRef in mix.Inputs)
            {
                if (subRef.Index != 0 || Producer(readers, subRef, byName) is not { } sub || !IsHiddenFloat(readers, sub, "Sub", 2)) continue;
                // z stays (the fused node reads it) and may have other readers.
                var zRef = sub.Inputs[1];
                if (!keep.Inputs.Contains(zRef) || keep.Inputs[0] == keep.Inputs[1] || mix.Inputs[0] == mix.Inputs[1]) continue;
                var tanhRef = Other(mix, subRef);
                if (tanhRef.Index != 0 || Producer(readers, tanhRef, byName) is not { } tanh || !IsHiddenFloat(readers, tanh, "Tanh", 1)) continue;
                return (m0, m1, sub, tanh, zRef, Other(keep, zRef), keep, mix);
            }
        return null;
    }

    /// <summary>A matched GRU step: the two splits (x, u), each gate's split output index in each (z, r, h), the old
    /// state, the tensor <c>1 − z</c> subtracts from, the nodes that vanish and h.</summary>
    private sealed record GruCellMatch(Node SplitX, Node SplitU, int[] XIndex, int[] UIndex, TensorRef OldH, TensorRef One, List<Node> Removed, Node NewH);

    private static bool IsHiddenFloat(Readers readers, Node n, string op, int inputs)
        => n.Op == op && n.Inputs.Count == inputs && IsFloat(n) && readers.Hidden(n);

    /// <summary>The other operand of a two-input node, given one of them.</summary>
    private static TensorRef Other(Node n, TensorRef one) => n.Inputs[0] == one ? n.Inputs[1] : n.Inputs[0];

    private static Node? Producer(Readers readers, TensorRef r, Dictionary<string, Node> byName) => byName.GetValueOrDefault(r.NodeName);

    private static GruCellMatch? MatchGruCell(Node h, Readers readers)
    {
        // h = z ⊙ h_prev + (1 − z) ⊙ hh, z a Sigmoid read only there.
        if (MatchGruBlend(h, readers) is not { } blend) return null;
        var (m0, m1, sub, hh, zRef, oldH, _, _) = blend;
        var byName = readers.Nodes;
        if (zRef.Index != 0 || Producer(readers, zRef, byName) is not { Op: "Sigmoid" } z || !IsFloat(z) || z.Inputs.Count != 1) return null;
        // The whole step vanishes, z with it: read by the Sub and the product only, and invisible.
        var zReaders = readers.ReadersOf(zRef);
        if (zReaders.Count != 2 || !zReaders.Contains(sub) || !zReaders.Contains(blend.Keep) || readers.Visible(z)) return null;
        if (MatchGruGates(readers, byName, z, hh) is not { } gates) return null;
        var (splitX, splitU, xIndex, uIndex, gateNodes) = gates;
        if (oldH.NodeName == splitX.Name || oldH.NodeName == splitU.Name || gateNodes.Any(n => n.Name == oldH.NodeName)) return null;
        var removed = new List<Node> { m0, m1, sub, z, hh };
        removed.AddRange(gateNodes);
        return new GruCellMatch(splitX, splitU, xIndex, uIndex, oldH, sub.Inputs[0], removed, h);
    }

    /// <summary>z = σ(x_z + u_z), hh = tanh(x_h + r ⊙ u_h), r = σ(x_r + u_r) over two hidden 3-way Splits.</summary>
    private static (Node SplitX, Node SplitU, int[] XIndex, int[] UIndex, List<Node> Nodes)? MatchGruGates(Readers readers, Dictionary<string, Node> byName, Node z, Node hh)
    {
        var nodes = new List<Node>();
        // hh's input: x_h + r ⊙ u_h.
        if (Producer(readers, hh.Inputs[0], byName) is not { } hAdd || hh.Inputs[0].Index != 0 || hAdd.Op is not ("Add" or "AddV2") || !IsFloat(hAdd)
            || hAdd.Inputs.Count != 2 || !readers.Hidden(hAdd)) return null;
        if (OperandOf(readers, hAdd, "Mul", 2) is not var (rMul, xh)) return null;
        if (OperandOf(readers, rMul, "Sigmoid", 1) is not var (r, uh)) return null;
        if (r == z) return null;
        // The splits: u is the one r multiplies, x the one added to r ⊙ u_h.
        if (Producer(readers, uh, byName) is not { } splitU || Producer(readers, xh, byName) is not { } splitX || splitU == splitX) return null;
        foreach (var split in new[] { splitX, splitU })
            if (split.Op != "Split" || !IsFloat(split) || split.GetInt("num_split", 0) != 3 || split.Inputs.Count != 2 || readers.Visible(split)) return null;
        var xIndex = new int[3];
        var uIndex = new int[3];
        xIndex[2] = xh.Index;
        uIndex[2] = uh.Index;
        // z's and r's inputs: x_k + u_k.
        for (int g = 0; g < 2; g++)
        {
            var sig = g == 0 ? z : r;
            if (sig.Inputs[0].Index != 0 || Producer(readers, sig.Inputs[0], byName) is not { } add || add.Op is not ("Add" or "AddV2") || !IsFloat(add)
                || add.Inputs.Count != 2 || !readers.Hidden(add)) return null;
            var xs = add.Inputs.Where(i => i.NodeName == splitX.Name).ToList();
            var us = add.Inputs.Where(i => i.NodeName == splitU.Name).ToList();
            if (xs.Count != 1 || us.Count != 1) return null;
            xIndex[g] = xs[0].Index;
            uIndex[g] = us[0].Index;
            nodes.Add(add);
        }
        // Each split output read once, by the cell; every index once.
        if (xIndex.Distinct().Count() != 3 || uIndex.Distinct().Count() != 3) return null;
        for (int k = 0; k < 3; k++)
            if (!readers.Hidden(new TensorRef(splitX.Name, k)) || !readers.Hidden(new TensorRef(splitU.Name, k))) return null;
        nodes.AddRange([hAdd, rMul, r, splitX, splitU]);
        return (splitX, splitU, xIndex, uIndex, nodes);
    }

    /// <summary>The operand of two-input <paramref name="n"/> made by a hidden float <paramref name="op"/> node (the last
    /// such, if both are), and <paramref name="n"/>'s other operand.</summary>
    private static (Node Producer, TensorRef Other)? OperandOf(Readers readers, Node n, string op, int inputs)
    {
        (Node, TensorRef)? found = null;
        foreach (var operand in n.Inputs)
            if (operand.Index == 0 && readers.Nodes.GetValueOrDefault(operand.NodeName) is { } p && IsHiddenFloat(readers, p, op, inputs))
                found = (p, Other(n, operand));
        return found;
    }

    private static Node FuseGruCell(GruCellMatch m)
    {
        var inputs = new[] { m.SplitX, m.SplitU }.SelectMany(split => split.Def.Input.Where(i => !i.StartsWith('^')).Take(2))
            .Append(Text(m.OldH)).Append(Text(m.One));
        var def = CellNode(GruCellOp, m.NewH, inputs, [.. m.Removed, m.NewH]);
        def.Attr["x_split_index"] = Ints(m.XIndex);
        def.Attr["u_split_index"] = Ints(m.UIndex);
        return new Node(def, m.NewH.Id);
    }
}
