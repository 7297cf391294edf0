using TypedGraph.Onnx.Protos;
using TypedGraph.Protos;
using OnnxType = TypedGraph.Onnx.Protos.TensorProto.Types.DataType;

namespace TypedGraph.Onnx.Conversion;

/// <summary>
/// TF1 TensorArrays (<c>tf.TensorArray</c>, used by <c>tf.nn.dynamic_rnn</c>, <c>tf.map_fn</c>, <c>tf.scan</c>) as ONNX
/// sequences. A TensorArray is a resource (its <c>handle</c>) whose contents TF threads through the graph as the
/// <c>flow</c> scalar: every write returns a new flow, reads take the flow they depend on. In ONNX the flow tensor
/// <em>is</em> the contents: <c>TensorArrayV3</c> → <c>SequenceEmpty</c>, <c>TensorArrayWriteV3</c> →
/// <c>SequenceInsert</c> at the written index, <c>TensorArrayScatterV3</c> (unstack) → <c>SplitToSequence</c>,
/// <c>TensorArrayReadV3</c> → <c>SequenceAt</c>, <c>TensorArrayGatherV3</c> (stack) → <c>ConcatFromSequence</c>
/// + <c>Gather</c>, <c>TensorArraySizeV3</c> → the declared size. The handle has no ONNX value; a flow that is a
/// while-loop variable becomes a sequence-typed Loop variable.
/// <para>
/// Inserting at the written index equals TF's write whenever the TF graph runs without error: TF refuses a second
/// write to an index (tensorflow/core/kernels/tensor_array.h, <c>TensorArray::WriteOrAggregate</c>: "Could not write to
/// TensorArray index … because it has already been written to", gradient arrays aside), and ONNX's SequenceInsert
/// refuses a position past the end. Writes of distinct indices each at most the current length are necessarily
/// 0, 1, 2, … in order, i.e. appends; any other order fails in ONNX Runtime instead of giving different values.
/// Reading or stacking an element that was never written fails in ONNX Runtime (index out of range), where TF
/// returns zeros for arrays with a fully defined element shape and fails otherwise.
/// </para>
/// </summary>
internal sealed partial class GraphConversion
{
    /// <summary>The handle and flow tensors of TensorArrays, and every tensor that passes them on unchanged.</summary>
    private readonly HashSet<TensorRef> _taState = [];

    private static bool IsTensorArrayReadOp(string op) => op is "TensorArrayReadV3" or "TensorArrayGatherV3" or "TensorArraySizeV3";

    private bool IsTensorArrayState(TensorRef r) => _taState.Contains(r);

    /// <summary>Marks TensorArray handles and flows: TensorArrayV3's two outputs, the flow out of a write/scatter/split,
    /// and the outputs of the control-flow and identity ops that forward them (loop variables and invariants).</summary>
    private void ComputeTensorArrayState()
    {
        for (bool changed = true; changed;)
        {
            changed = false;
            foreach (var n in _graph.Nodes)
            {
                int outputs;
                switch (n.Op)
                {
                    case "TensorArrayV3":
                        outputs = 2;
                        break;
                    case "TensorArrayWriteV3" or "TensorArrayScatterV3" or "TensorArraySplitV3":
                        outputs = 1;
                        break;
                    case "Enter" or "RefEnter" or "Exit" or "RefExit" or "Identity" or "Snapshot" or "NextIteration" or "RefNextIteration"
                        when n.Inputs.Count > 0 && _taState.Contains(n.Inputs[0]):
                        outputs = 1;
                        break;
                    case "Switch" or "RefSwitch" when n.Inputs.Count > 0 && _taState.Contains(n.Inputs[0]):
                        outputs = 2;
                        break;
                    case "Merge" or "RefMerge" when n.Inputs.Any(_taState.Contains):
                        outputs = 1;
                        break;
                    default:
                        continue;
                }
                for (int i = 0; i < outputs; i++)
                    changed |= _taState.Add(new TensorRef(n.Name, i));
            }
        }
    }

    private void RegisterTensorArray()
    {
        _converters["TensorArrayV3"] = node =>
        {
            var dtype = DataTypes.BaseType(node.Attr("dtype")?.Type ?? throw OnnxExportException.For(node, "it has no dtype attribute."));
            var handle = Set(node, 0);
            handle.DType = DataType.DtResource;
            handle.TensorArray = node;
            var flow = Set(node, 1);
            flow.Sequence = true;
            flow.DType = dtype;
            flow.Rank = node.GetShape("element_shape") is { UnknownRank: false } es ? es.Dim.Count : -1;
            flow.Native = Emit("SequenceEmpty", [], OutName(node, 1), Int("dtype", (long)OnnxTypeOf(node, dtype)));
        };
        _converters["TensorArrayWriteV3"] = node =>
        {
            TensorArrayOf(node);
            var value = InputRef(node, 2);
            var flow = SequenceIn(node, 3);
            var v = Set(node, 0);
            (v.Sequence, v.DType, v.Rank) = (true, DType(value), Rank(value));
            v.Native = Emit("SequenceInsert", [flow, In(value), In(node, 1)], OutName(node));
        };
        _converters["TensorArrayScatterV3"] = TensorArrayScatter;
        _converters["TensorArraySplitV3"] = TensorArraySplit;
        _converters["TensorArrayConcatV3"] = TensorArrayConcat;
        _converters["TensorArrayReadV3"] = node =>
        {
            TensorArrayOf(node);
            SetNative(node, 0, Emit("SequenceAt", [SequenceIn(node, 2), In(node, 1)], OutName(node)));
        };
        _converters["TensorArrayGatherV3"] = node =>
        {
            var ta = TensorArrayOf(node);
            // Stack every element (new axis 0), then pick the gathered indices: any index order TF accepts. The
            // element shape is the Gather's own attr (tensor_array_ops.py passes the shape it inferred from the
            // writes), else the array's.
            var shape = FullyDefined(node.GetShape("element_shape")) ?? FullyDefined(ta.GetShape("element_shape"));
            var stacked = StackSequence(node, SequenceIn(node, 2), Get(InputRef(node, 2)).DType, shape);
            SetNative(node, 0, Emit("Gather", [stacked, In(node, 1)], OutName(node), Int("axis", 0)));
        };
        _converters["TensorArraySizeV3"] = node =>
        {
            var ta = TensorArrayOf(node);
            SequenceIn(node, 1);
            // A fixed-size array's size is the size it was created with, written or not (tensor_array.h: the element
            // vector is sized at creation and Size returns its length); a growing one's is one past its last write,
            // which for in-order writes (see the class comment) is the sequence length.
            if (!ta.GetBool("dynamic_size", false))
            {
                Alias(node, 0, InputRef(ta, 0));
                return;
            }
            var length = Emit("SequenceLength", [In(node, 1)], Temp(node, "length"));
            SetNative(node, 0, Emit("Cast", [length], OutName(node), Int("to", (long)OnnxType.Int32)));
        };
    }

    /// <summary>
    /// <c>ta.unstack(value)</c>: TF scatters <c>value[k]</c> to index <c>indices[k]</c>. Exported when the array is
    /// fresh and the indices are 0, 1, …, n−1 (a constant, or <c>Range(0, n, 1)</c> as TensorArray.unstack builds
    /// it; TF requires len(indices) = value.shape[0]) — then element i is value[i]: SplitToSequence along axis 0.
    /// </summary>
    private void TensorArrayScatter(Node node)
    {
        var ta = TensorArrayOf(node);
        var flowIn = Unforwarded(InputRef(node, 3));
        if (flowIn != new TensorRef(ta.Name, 1))
            throw OnnxExportException.For(node, "it scatters into a TensorArray that may already hold elements; only a scatter into a new TensorArray (unstack) is exported.");
        var indices = InputRef(node, 1);
        if (ConstOf(indices) is { } c)
        {
            var ints = ConstInts(node, 1, "indices");
            for (int i = 0; i < ints.Length; i++)
                if (ints[i] != i) throw OnnxExportException.For(node, $"its indices are [{string.Join(", ", ints)}]; only 0, 1, …, n−1 (unstack) is exported.");
        }
        else if (!IsRangeFromZeroByOne(indices))
        {
            throw OnnxExportException.For(node, $"its indices '{indices}' depend on the inputs and are not Range(0, n, 1); only an unstack (indices 0, 1, …, n−1) is exported.");
        }
        var value = InputRef(node, 2);
        var v = Set(node, 0);
        (v.Sequence, v.DType, v.Rank) = (true, DType(value), Rank(value) - 1);
        v.Native = Emit("SplitToSequence", [In(value)], OutName(node), Int("axis", 0), Int("keepdims", 0));
    }

    /// <summary>
    /// <c>ta.split(value, lengths)</c>: element i is rows <c>lengths[0] + … + lengths[i−1]</c> onward, <c>lengths[i]</c>
    /// of them (tensor_array_ops.cc TensorArraySplitOp, which requires the lengths to sum to value.shape[0]). Into a new
    /// array that is exactly ONNX's SplitToSequence with the lengths as its split input (which ORT also requires to sum
    /// to the axis size, so a bad split fails in both).
    /// </summary>
    private void TensorArraySplit(Node node)
    {
        var ta = TensorArrayOf(node);
        if (Unforwarded(InputRef(node, 3)) != new TensorRef(ta.Name, 1))
            throw OnnxExportException.For(node, "it splits into a TensorArray that may already hold elements; only a split into a new TensorArray is exported.");
        var value = InputRef(node, 1);
        var v = Set(node, 0);
        (v.Sequence, v.DType, v.Rank) = (true, DType(value), Rank(value));
        v.Native = Emit("SplitToSequence", [In(value), AsInt64(node, InputRef(node, 2), "lengths")], OutName(node), Int("axis", 0), Int("keepdims", 1));
    }

    /// <summary>
    /// <c>ta.concat()</c>: every element joined along axis 0 (TensorArrayConcatOp) → ConcatFromSequence(axis 0). An
    /// empty array concatenates to [0, element_shape_except0…] in TF when that shape is fully defined, so then the
    /// empty case is written out as for a stack. The second output (each element's row count) is not exported; a graph
    /// that reads it is refused naming the node.
    /// </summary>
    private void TensorArrayConcat(Node node)
    {
        var ta = TensorArrayOf(node);
        var lengths = new TensorRef(node.Name, 1);
        if (_outputs.Contains(lengths) || _allReads.Contains(lengths))
            throw OnnxExportException.For(node, $"its lengths output '{lengths}' is used; only the concatenated value (output 0) of a TensorArray concat is exported.");
        var except0 = FullyDefined(node.GetShape("element_shape_except0"));
        if (except0 == null && FullyDefined(ta.GetShape("element_shape")) is { Length: > 0 } es) except0 = es[1..];
        var dtype = DataTypes.BaseType(node.Attr("dtype")?.Type ?? Get(InputRef(node, 1)).DType);
        SetNative(node, 0, Emit("Identity", [StackSequence(node, SequenceIn(node, 1), dtype, except0, newAxis: false)], OutName(node)));
    }

    private bool IsRangeFromZeroByOne(TensorRef r)
    {
        r = Unforwarded(r);
        if (_inputSet.Contains(r) || _graph.FindNode(r.NodeName) is not { Op: "Range" } range || range.Inputs.Count != 3) return false;
        return ConstOf(range.Inputs[0]) is { } start && ScalarValue(start) == 0
            && ConstOf(range.Inputs[2]) is { } delta && ScalarValue(delta) == 1;
    }

    private static long? ScalarValue(Tensor t) => t.Shape.Rank != 0 ? null : t.DType switch
    {
        DataType.DtInt32 => t.Scalar<int>(),
        DataType.DtInt64 => t.Scalar<long>(),
        _ => null,
    };

    /// <summary>The tensor read through Identity-like ops, Enters, Switches and Exits (and a Merge's first non-back-edge input).</summary>
    private TensorRef Unforwarded(TensorRef r)
    {
        for (int guard = 0; guard < 10_000 && !_inputSet.Contains(r) && _graph.FindNode(r.NodeName) is { } n; guard++)
        {
            if (n.Op is "Identity" or "Snapshot" or "Enter" or "RefEnter" or "Exit" or "RefExit" or "Switch" or "RefSwitch" && n.Inputs.Count > 0)
                r = n.Inputs[0];
            else if (IsMergeOp(n.Op) && n.Inputs.FirstOrDefault(i => !IsBackEdge(n, i)) is { NodeName: not null } first)
                r = first;
            else
                break;
        }
        return r;
    }

    /// <summary>The TensorArrayV3 node whose handle a TensorArray op reads (input 0), or an error naming the op.</summary>
    private Node TensorArrayOf(Node node)
    {
        var handle = InputRef(node, 0);
        var ta = Get(handle).TensorArray;
        if (ta != null) return ta;
        var source = Unforwarded(handle);
        throw OnnxExportException.For(node, $"its TensorArray handle comes from '{source}', not from a TensorArrayV3 of this graph (a TensorArray from a gradient or a function is not exported).");
    }

    private static long[]? FullyDefined(TypedGraph.Protos.TensorShapeProto? shape)
        => shape == null || shape.UnknownRank || shape.Dim.Any(d => d.Size < 0) ? null : shape.Dim.Select(d => d.Size).ToArray();

    // ConstantOfShape's value types (onnx/defs/generator/defs.cc, opset 9+).
    private static bool HasConstantOfShape(DataType t) => t is DataType.DtFloat or DataType.DtDouble or DataType.DtHalf
        or DataType.DtInt8 or DataType.DtInt16 or DataType.DtInt32 or DataType.DtInt64
        or DataType.DtUint8 or DataType.DtUint16 or DataType.DtUint32 or DataType.DtUint64 or DataType.DtBool;

    /// <summary>
    /// The elements of a sequence stacked on a new axis 0. ONNX Runtime's ConcatFromSequence refuses an empty
    /// sequence, where TF stacks an empty TensorArray or TensorList to shape [0, element_shape…] when the element shape
    /// is fully defined (and fails when it is not). So with a known element shape the stack is
    /// <c>If(SequenceLength == 0, ConstantOfShape([0, element_shape…]), ConcatFromSequence)</c>; without one the plain
    /// ConcatFromSequence fails on an empty sequence in ORT as TF fails.
    /// </summary>
    private string StackSequence(Node node, string seq, DataType dtype, long[]? elementShape, bool newAxis = true)
    {
        if (elementShape == null || !HasConstantOfShape(dtype))
            return Emit("ConcatFromSequence", [seq], Temp(node, "stacked"), Int("axis", 0), Int("new_axis", newAxis ? 1 : 0));
        var length = Emit("SequenceLength", [seq], Temp(node, "length"));
        var empty = Emit("Equal", [length, Int64Const(node, "zero", [0], scalar: true)], Temp(node, "is_empty"));
        var emptyShape = Int64Const(node, "empty_shape", [0, .. elementShape]);

        GraphProto Branch(string which, Func<string> body)
        {
            var g = new GraphProto { Name = Temp(node, which) };
            var saved = _scope;
            _scope = new ScopeState(g, saved);
            try { g.Output.Add(TypedValue(node, body(), dtype, scalar: false)); }
            finally { _scope = saved; }
            return g;
        }
        var then = Branch("if_empty", () => Emit("ConstantOfShape", [emptyShape], Temp(node, "empty_stack"),
            TensorAttr("value", OnnxTensors.FromTensor("value", Tensor.Zeros(dtype, new TensorShape(1))))));
        var otherwise = Branch("if_elements", () => Emit("ConcatFromSequence", [seq], Temp(node, "concat"), Int("axis", 0), Int("new_axis", newAxis ? 1 : 0)));
        var stacked = Temp(node, "stacked");
        EmitMulti("If", [empty], [stacked], GraphAttr("then_branch", then), GraphAttr("else_branch", otherwise));
        return stacked;
    }

    /// <summary>The ONNX sequence a TensorArray op's flow input carries.</summary>
    private string SequenceIn(Node node, int input)
    {
        var flow = InputRef(node, input);
        var v = Get(flow);
        if (!v.Sequence || v.Native == null)
            throw OnnxExportException.For(node, $"its flow input '{flow}' does not carry the contents of a TensorArray created in this graph.");
        return v.Native;
    }

    /// <summary>
    /// A stand-in value for a TensorArray read when a subgraph (an If branch, a Loop body) is probed alone: its nodes
    /// run in a separate session that has no TensorArrays, so the read is fed an element of the right dtype and shape —
    /// a slice of the tensor that was unstacked into the array, or the value written into it, or zeros of the array's
    /// fully defined element shape. Null when none of these is known.
    /// </summary>
    private Tensor? TensorArraySample(TensorRef r)
    {
        if (_inputSet.Contains(r) || _graph.FindNode(r.NodeName) is not { } node) return null;
        switch (node.Op)
        {
            case "TensorArraySizeV3":
                return Tensor.FromScalar(_options.ProbeDimension);
            case "TensorArrayReadV3":
                return ElementSample(node.Inputs[2], []);
            default:
                return null;
        }
    }

    private Tensor? ElementSample(TensorRef flow, HashSet<string> seen)
    {
        if (_inputSet.Contains(flow) || !seen.Add(flow.NodeName) || _graph.FindNode(flow.NodeName) is not { } n) return null;
        switch (n.Op)
        {
            case "TensorArrayScatterV3" when ProbeOf(n.Inputs[2]) is { Shape.Rank: > 0 } value && value.Shape[0] > 0:
            {
                var shape = value.Shape.ToArray()[1..];
                int bytes = value.Bytes.Length / value.Shape[0];
                return new Tensor(value.DType, new TensorShape(shape), value.Bytes[..bytes].ToArray());
            }
            case "TensorArrayWriteV3" when ProbeOf(n.Inputs[2]) is { } written:
                return written;
            case "TensorArrayWriteV3" or "TensorArrayScatterV3":
                return ElementSample(n.Inputs[3], seen);
            case "TensorArrayV3":
                var es = n.GetShape("element_shape");
                if (es == null || es.UnknownRank || es.Dim.Any(d => d.Size < 0)) return null;
                return Tensor.Zeros(DataTypes.BaseType(n.Attr("dtype")!.Type), TensorShape.FromLongs(es.Dim.Select(d => d.Size).ToArray()));
            default:
                foreach (var i in n.Inputs.OrderBy(i => IsBackEdge(n, i) ? 0 : 1))
                    if (_taState.Contains(i) && ElementSample(i, seen) is { } t) return t;
                return null;
        }
    }
}
