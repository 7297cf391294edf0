using TypedGraph.Kernels;
using TypedGraph.Protos;

namespace TypedGraph.Execution;

internal static partial class PlanFusion
{
    /// <summary>The fused row-chain op (<c>MatMulChainKernel</c>); a TypedGraph plan-only op, not one of TF's.</summary>
    private const string ChainOp = "_FusedMatMulChain";

    /// <summary>
    /// Float dense layers that feed each other — MatMul or <c>_FusedMatMul</c> (BiasAdd with no, Relu, Relu6, Elu or
    /// LeakyRelu activation), untransposed A — optionally ending in Softmax/LogSoftmax, become one
    /// <c>_FusedMatMulChain</c> node whose row parts each run the whole chain on their rows (one fork/join instead of
    /// one per op). Every op of such a chain is row-wise: row i of its output depends only on row i of its input.
    /// </summary>
    /// <remarks>A chain needs at least two ops and hidden intermediates (<see cref="Readers.Hidden(Node)"/>), each read as the
    /// next layer's A. Tanh/Sigmoid epilogues stay out: their vector library calls may round a short block differently,
    /// and the chain must give the same bits as the separate ops.</remarks>
    private static List<Node> FuseRowChains(List<Node> needed, TensorRef[] fetches, HashSet<TensorRef> fed, Node[] targets, KernelRegistry registry)
    {
        if (registry.Find(ChainOp) == null || registry.Find("_FusedMatMul") == null) return needed;
        var readers = new Readers(needed, fetches, fed, targets);
        // The layer that continues a layer's output, if any (then that output is the next layer's A and nothing else's).
        Node? Next(Node layer) => readers.Hidden(layer) && readers.SoleReader(layer) is { } next && IsLayer(next)
            && next.Inputs[0] == new TensorRef(layer.Name, 0) && next.Inputs.Skip(1).All(r => r.NodeName != layer.Name) ? next : null;
        var continued = new HashSet<string>(StringComparer.Ordinal);
        foreach (var n in needed)
            if (IsLayer(n) && Next(n) is { } next) continued.Add(next.Name);

        var replaced = new Dictionary<string, Node>(StringComparer.Ordinal);
        var removed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var head in needed)
        {
            if (!IsLayer(head) || continued.Contains(head.Name)) continue;
            var layers = new List<Node> { head };
            for (var next = Next(head); next != null; next = Next(next)) layers.Add(next);
            var last = layers[^1];
            Node? softmax = readers.Hidden(last) && readers.SoleReader(last) is { Op: "Softmax" or "LogSoftmax" } sm && sm.Inputs.Count == 1
                && sm.GetType("T", DataType.DtInvalid) == DataType.DtFloat ? sm : null;
            if (layers.Count + (softmax != null ? 1 : 0) < 2) continue;
            var tail = softmax ?? last;
            replaced[tail.Name] = FuseChain(layers, softmax);
            foreach (var l in layers)
                if (l != tail) removed.Add(l.Name);
        }
        return Replace(needed, replaced, removed);
    }

    /// <summary>A float MatMul (A untransposed) or a <c>_FusedMatMul</c> whose epilogue is BiasAdd [+ Relu/Relu6/Elu/LeakyRelu].</summary>
    private static bool IsLayer(Node n)
    {
        if (n.GetType("T", DataType.DtInvalid) != DataType.DtFloat || n.GetBool("transpose_a", false)) return false;
        if (n.Op == "MatMul") return n.Inputs.Count == 2;
        if (n.Op != "_FusedMatMul" || n.Inputs.Count != 3 || n.GetInt("num_args", 1) != 1) return false;
        var ops = n.GetStrings("fused_ops", []);
        return ops is ["BiasAdd"] or ["BiasAdd", "Relu" or "Relu6" or "Elu" or "LeakyRelu"];
    }

    /// <summary>The chain node: named after its tail (so consumers and fetches of that tensor are unchanged), inputs x
    /// then each layer's weight [and bias], the chain's control inputs, one layer description per layer.</summary>
    private static Node FuseChain(List<Node> layers, Node? softmax)
    {
        var tail = softmax ?? layers[^1];
        var def = new NodeDef { Name = tail.Name, Op = ChainOp, Device = tail.Device };
        def.Attr["T"] = new AttrValue { Type = DataType.DtFloat };
        def.Input.Add(layers[0].Def.Input[0]);
        var ops = new AttrValue.Types.ListValue();
        var transB = new AttrValue.Types.ListValue();
        var alphas = new AttrValue.Types.ListValue();
        var names = new AttrValue.Types.ListValue();
        foreach (var l in layers)
        {
            var data = l.Def.Input.Where(i => !i.StartsWith('^')).ToList();
            def.Input.Add(data.Skip(1));
            ops.S.Add(Google.Protobuf.ByteString.CopyFromUtf8(l.Op == "MatMul" ? "" : string.Join(",", l.GetStrings("fused_ops", []))));
            transB.I.Add(l.GetBool("transpose_b", false) ? 1 : 0);
            alphas.F.Add(l.GetFloat("leakyrelu_alpha", 0.2f));
            names.S.Add(Google.Protobuf.ByteString.CopyFromUtf8(l.Name));
        }
        var controls = layers.Append(tail).SelectMany(l => l.ControlInputs).Distinct(StringComparer.Ordinal);
        def.Input.Add(controls.Select(c => "^" + c));
        def.Attr["layer_fused_ops"] = new AttrValue { List = ops };
        def.Attr["layer_transpose_b"] = new AttrValue { List = transB };
        def.Attr["layer_leakyrelu_alpha"] = new AttrValue { List = alphas };
        def.Attr["layer_names"] = new AttrValue { List = names };
        def.Attr["softmax"] = new AttrValue { S = Google.Protobuf.ByteString.CopyFromUtf8(softmax?.Op ?? "") };
        if (tail.Attr("_output_shapes") is { } shapes) def.Attr["_output_shapes"] = shapes;
        return new Node(def, tail.Id);
    }
}
