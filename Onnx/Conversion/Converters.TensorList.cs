using TypedGraph.Onnx.Protos;
using TypedGraph.Protos;
using OnnxType = TypedGraph.Onnx.Protos.TensorProto.Types.DataType;

namespace TypedGraph.Onnx.Conversion;

/// <summary>
/// TF2 TensorLists (the variant tensors TF2's TensorArray, Keras RNNs and tf.function loops use) as ONNX sequences.
/// A list is a value (unlike TF1's TensorArray resource), so the list tensor itself becomes the sequence.
/// <para>
/// TF's list of <c>n</c> reserved elements (<c>TensorListReserve</c>) is represented by the prefix of elements set so
/// far. <c>TensorListSetItem</c> may only set an index below the list's size (list_kernels.h,
/// <c>TensorListSetItem::Compute</c>: "Trying to modify element … in a list with … elements"), so it becomes: replace
/// element <c>i</c> when <c>i</c> is below the sequence length, append when it equals it — setting 0, 1, 2, … in order
/// and overwriting any of them are exact; setting past the end of the prefix (which TF allows, leaving unset elements)
/// fails in ONNX Runtime rather than giving different values. <c>TensorListStack</c> of a reserved list gathers rows
/// 0…n−1 of the stacked prefix, so a list not fully set fails in ONNX Runtime instead of stacking fewer rows.
/// </para>
/// </summary>
internal sealed partial class GraphConversion
{
    private void RegisterTensorList()
    {
        _converters["TensorListReserve"] = node =>
        {
            var v = NewList(node, ElementRank(node, 0));
            v.Native = Emit("SequenceEmpty", [], OutName(node), Int("dtype", (long)OnnxTypeOf(node, v.DType)));
        };
        _converters["EmptyTensorList"] = node =>
        {
            var v = NewList(node, ElementRank(node, 0));
            v.Native = Emit("SequenceEmpty", [], OutName(node), Int("dtype", (long)OnnxTypeOf(node, v.DType)));
        };
        _converters["TensorListFromTensor"] = node =>
        {
            var tensor = InputRef(node, 0);
            var v = NewList(node, Rank(tensor) - 1);
            v.Native = Emit("SplitToSequence", [In(tensor)], OutName(node), Int("axis", 0), Int("keepdims", 0));
        };
        _converters["TensorListGetItem"] = node =>
            SetNative(node, 0, Emit("SequenceAt", [ListIn(node, 0), In(node, 1)], OutName(node)));
        _converters["TensorListSetItem"] = TensorListSetItem;
        _converters["TensorListPushBack"] = node =>
        {
            var item = InputRef(node, 1);
            var v = NewList(node, Rank(item));
            v.Native = Emit("SequenceInsert", [ListIn(node, 0), In(item)], OutName(node));
        };
        _converters["TensorListStack"] = node =>
        {
            // The element_shape input (tf.TensorArray.stack passes the inferred element shape; list_ops.py) lets an
            // empty list stack to [0, element_shape…] as TF does.
            long[]? shape = null;
            if (node.Inputs.Count > 1 && ConstOf(InputRef(node, 1)) is { Shape.Rank: 1 } es)
            {
                var dims = es.DType == DataType.DtInt64 ? es.ToArray<long>() : es.ToArray<int>().Select(d => (long)d).ToArray();
                if (dims.All(d => d >= 0)) shape = dims;
            }
            var stacked = StackSequence(node, ListIn(node, 0), Get(InputRef(node, 0)).DType, shape);
            if (ReservedSize(InputRef(node, 0)) is not { } n)
            {
                SetNative(node, 0, Emit("Identity", [stacked], OutName(node)));
                return;
            }
            // Rows 0…n−1 of the set prefix: exactly the reserved count, or an ORT error when elements were never set.
            var range = Emit("Range", [ScalarConst(node, "zero", DType(n), 0), In(n), ScalarConst(node, "one", DType(n), 1)], Temp(node, "rows"));
            SetNative(node, 0, Emit("Gather", [stacked, range], OutName(node), Int("axis", 0)));
        };
        _converters["TensorListLength"] = node =>
        {
            if (ReservedSize(InputRef(node, 0)) is { } n)
            {
                Alias(node, 0, n);
                return;
            }
            var length = Emit("SequenceLength", [ListIn(node, 0)], Temp(node, "length"));
            SetNative(node, 0, Emit("Cast", [length], OutName(node), Int("to", (long)OnnxType.Int32)));
        };
    }

    /// <summary>Output 0 of a list-producing node: an ONNX sequence of the node's <c>element_dtype</c>.</summary>
    private Value NewList(Node node, int elementRank)
    {
        var v = Set(node, 0);
        v.Sequence = true;
        v.DType = DataTypes.BaseType(node.Attr("element_dtype")?.Type ?? throw OnnxExportException.For(node, "it has no element_dtype attribute."));
        v.Rank = elementRank;
        return v;
    }

    /// <summary>The rank a static element_shape input gives (-1 when unknown or dynamic).</summary>
    private int ElementRank(Node node, int input)
    {
        if (ConstOf(InputRef(node, input)) is not { } shape) return -1;
        if (shape.Shape.Rank == 0) return -1; // -1 scalar: unknown rank
        return shape.Shape[0];
    }

    private string ListIn(Node node, int input)
    {
        var r = InputRef(node, input);
        var v = Get(r);
        if (!v.Sequence || v.Native == null)
            throw OnnxExportException.For(node, $"its list input '{r}' is not a TensorList this export created (from TensorListReserve, TensorListFromTensor or a loop over one).");
        return v.Native;
    }

    /// <summary>For a list that comes from TensorListReserve (through loops, Identity and calls): its num_elements tensor.</summary>
    private TensorRef? ReservedSize(TensorRef list)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (!_inputSet.Contains(list) && seen.Add(list.NodeName) && _graph.FindNode(list.NodeName) is { } n)
        {
            switch (n.Op)
            {
                case "TensorListReserve":
                    return n.Inputs[1];
                case "TensorListSetItem" when !n.GetBool("resize_if_index_out_of_bounds", false):
                    list = n.Inputs[0];
                    break;
                case "Identity" or "Snapshot" or "Enter" or "Exit" or "Switch" or "NextIteration":
                    list = n.Inputs[0];
                    break;
                case "IdentityN":
                    list = n.Inputs[list.Index];
                    break;
                case "Merge" when n.Inputs.FirstOrDefault(i => !IsBackEdge(n, i)) is { NodeName: not null } first:
                    // A loop keeps the reserved size only if one iteration does: the back edge must lead to this
                    // Merge through size-keeping ops only.
                    foreach (var back in n.Inputs.Where(i => IsBackEdge(n, i)))
                        if (!KeepsListSize(back, n.Name)) return null;
                    list = first;
                    break;
                default:
                    return null;
            }
        }
        return null;
    }

    private bool KeepsListSize(TensorRef r, string merge)
    {
        for (int steps = 0; steps < 100_000; steps++)
        {
            if (r.NodeName == merge) return true;
            if (_inputSet.Contains(r) || _graph.FindNode(r.NodeName) is not { } n) return false;
            if (n.Op == "TensorListSetItem" && n.GetBool("resize_if_index_out_of_bounds", false)) return false;
            if (n.Op is not ("TensorListSetItem" or "Identity" or "Snapshot" or "NextIteration" or "Switch")) return false;
            r = n.Inputs[0];
        }
        return false;
    }

    /// <summary>Set element i: replace it when i is below the sequence length, append when i equals it (see the class comment).</summary>
    private void TensorListSetItem(Node node)
    {
        var seq = ListIn(node, 0);
        var item = InputRef(node, 2);
        var index = In(node, 1);
        var v = NewList(node, Rank(item));
        var length = Emit("SequenceLength", [seq], Temp(node, "length"));
        var index64 = Emit("Cast", [index], Temp(node, "index64"), Int("to", (long)OnnxType.Int64));
        var inside = Emit("Less", [index64, length], Temp(node, "replaces"));
        var itemName = In(item);

        GraphProto Branch(string which, bool replace)
        {
            var g = new GraphProto { Name = Temp(node, which) };
            var saved = _scope;
            _scope = new ScopeState(g, saved);
            try
            {
                var from = replace ? Emit("SequenceErase", [seq, index], Temp(node, which + "_erased")) : seq;
                var result = Emit("SequenceInsert", [from, itemName, index], Temp(node, which + "_set"));
                g.Output.Add(SequenceValue(node, result, v.DType));
            }
            finally
            {
                _scope = saved;
            }
            return g;
        }
        v.Native = OutName(node);
        EmitMulti("If", [inside], [v.Native], GraphAttr("then_branch", Branch("replace", true)), GraphAttr("else_branch", Branch("append", false)));
    }
}
