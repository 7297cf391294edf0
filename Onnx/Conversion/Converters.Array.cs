using TypedGraph.Protos;
using OnnxType = TypedGraph.Onnx.Protos.TensorProto.Types.DataType;

namespace TypedGraph.Onnx.Conversion;

/// <summary>Shape and array ops: reshape, transpose, concat/stack/split, slicing, gather, pad, fill, shape queries.</summary>
internal sealed partial class GraphConversion
{
    private const long MaxIndex = long.MaxValue;
    private const long MinIndex = long.MinValue;

    private void RegisterArray()
    {
        _converters["Reshape"] = n => SetNative(n, 0, Emit("Reshape", [In(n, 0), AsInt64(n, InputRef(n, 1), "shape")], OutName(n),
            Opset >= 14 ? [Int("allowzero", 1)] : [])); // TF's 0 is a zero-size dim, not ONNX's "copy the dim"
        _converters["Transpose"] = Transpose;
        _converters["ConcatV2"] = n => Concat(n, n.Inputs.Count - 1, 0);
        _converters["Concat"] = n => Concat(n, 0, 1);
        _converters["Pack"] = Pack;
        _converters["Unpack"] = n => SplitEqual(n, InputRef(n, 0), n.GetInt("axis", 0), (int)n.GetInt("num"), squeeze: true);
        _converters["Split"] = n => SplitEqual(n, InputRef(n, 1), ConstInt(n, 0, "split axis"), (int)n.GetInt("num_split"), squeeze: false);
        _converters["SplitV"] = SplitV;
        _converters["Squeeze"] = Squeeze;
        _converters["ExpandDims"] = n =>
        {
            long axis = ConstInt(n, 1, "axis");
            if (axis < 0) axis += Rank(InputRef(n, 0)) + 1;
            SetNative(n, 0, Emit("Unsqueeze", [In(n, 0), Int64Const(n, "axes", [axis])], OutName(n)));
        };
        _converters["Slice"] = Slice;
        _converters["StridedSlice"] = StridedSlice;
        _converters["Gather"] = n => Gather(n, 0);
        _converters["GatherV2"] = n =>
        {
            if (n.GetInt("batch_dims", 0) != 0) throw OnnxExportException.For(n, "batch_dims ≠ 0 is not exported.");
            Gather(n, ConstInt(n, 2, "axis"));
        };
        _converters["Pad"] = n => Pad(n, "constant");
        _converters["PadV2"] = n => Pad(n, "constant");
        _converters["MirrorPad"] = n => Pad(n, n.GetString("mode") switch
        {
            "REFLECT" => "reflect",
            var m => throw OnnxExportException.For(n, $"MirrorPad mode {m} has no ONNX Pad mode (ONNX has reflect and edge)."),
        });
        _converters["Tile"] = n => SetNative(n, 0, Emit("Tile", [In(n, 0), AsInt64(n, InputRef(n, 1), "multiples")], OutName(n)));
        _converters["Shape"] = Shape;
        _converters["Size"] = n => CastTo(n, Emit("Size", [In(n, 0)], Temp(n, "size")), n.GetType("out_type", DataType.DtInt32));
        _converters["Rank"] = n => SetNative(n, 0, TensorConst(n, "rank", Tensor.FromScalar(Rank(InputRef(n, 0)))));
        _converters["Fill"] = n => SetNative(n, 0, Emit("Expand", [In(n, 1), AsInt64(n, InputRef(n, 0), "dims")], OutName(n)));
        _converters["BroadcastTo"] = n => SetNative(n, 0, Emit("Expand", [In(n, 0), AsInt64(n, InputRef(n, 1), "shape")], OutName(n)));
        _converters["ZerosLike"] = n => ConstantLike(n, 0);
        _converters["OnesLike"] = n => ConstantLike(n, 1);
        _converters["OneHot"] = OneHot;
        _converters["Where"] = n => SetNative(n, 0, Emit("Transpose", [Emit("NonZero", [In(n, 0)], Temp(n, "nz"))], OutName(n), Ints("perm", [1, 0])));
        _converters["ReverseV2"] = ReverseV2;
        _converters["Cumsum"] = n => SetNative(n, 0, Emit("CumSum", [In(n, 0), In(n, 1)], OutName(n),
            Int("exclusive", n.GetBool("exclusive", false) ? 1 : 0), Int("reverse", n.GetBool("reverse", false) ? 1 : 0)));
        _converters["RandomUniform"] = n => Random(n, "RandomUniformLike");
        _converters["RandomStandardNormal"] = n => Random(n, "RandomNormalLike");
    }

    private void CastTo(Node node, string int64Value, DataType to)
        => SetNative(node, 0, to == DataType.DtInt64 ? Emit("Identity", [int64Value], OutName(node))
            : Emit("Cast", [int64Value], OutName(node), Int("to", (long)OnnxTypeOf(node, to))));

    private void Transpose(Node node)
    {
        var x = InputRef(node, 0);
        var perm = ConstInts(node, 1, "permutation");
        if (HasNchw(x) && perm.Length == 4)
        {
            // Compose with the pending NCHW→NHWC transpose instead of materializing it.
            var composed = perm.Select(p => s_toNhwc[p]).ToArray();
            var nchw = InNchw(x);
            SetNative(node, 0, composed.SequenceEqual(new long[] { 0, 1, 2, 3 }) ? nchw
                : Emit("Transpose", [nchw], OutName(node), Ints("perm", composed)));
            return;
        }
        SetNative(node, 0, Emit("Transpose", [In(x)], OutName(node), Ints("perm", perm)));
    }

    private void Concat(Node node, int axisInput, int firstValue)
    {
        long axis = ConstInt(node, axisInput, "axis");
        var values = Enumerable.Range(firstValue, node.Inputs.Count - 1).Select(i => node.Inputs[i]).ToList();
        int rank = Rank(values[0]);
        if (axis < 0) axis += rank;
        if (rank == 4 && values.Any(HasNchw))
        {
            SetNchw(node, 0, Emit("Concat", values.Select(InNchw).ToList(), Fresh($"{node.Name}:0_nchw"), Int("axis", s_nhwcAxisToNchw[axis])));
            return;
        }
        SetNative(node, 0, Emit("Concat", values.Select(In).ToList(), OutName(node), Int("axis", axis)));
    }

    private void Pack(Node node)
    {
        long axis = node.GetInt("axis", 0);
        int rank = Rank(InputRef(node, 0));
        if (axis < 0) axis += rank + 1;
        var axes = Int64Const(node, "axes", [axis]);
        var parts = node.Inputs.Select((r, i) => Emit("Unsqueeze", [In(r), axes], Temp(node, $"u{i}"))).ToList();
        SetNative(node, 0, Emit("Concat", parts, OutName(node), Int("axis", axis)));
    }

    private void SplitEqual(Node node, TensorRef x, long axis, int count, bool squeeze)
    {
        int rank = Rank(x);
        if (axis < 0) axis += rank;
        var outs = Enumerable.Range(0, count).Select(i => squeeze ? Temp(node, $"part{i}") : OutName(node, i)).ToArray();
        // Equal parts: opset 18 names the count, older opsets split evenly by the number of outputs.
        if (Opset >= 18) EmitMulti("Split", [In(x)], outs, Int("axis", axis), Int("num_outputs", count));
        else EmitMulti("Split", [In(x)], outs, Int("axis", axis));
        var axes = squeeze ? Int64Const(node, "axes", [axis]) : null;
        for (int i = 0; i < count; i++)
            SetNative(node, i, squeeze ? Emit("Squeeze", [outs[i], axes!], OutName(node, i)) : outs[i]);
    }

    private void SplitV(Node node)
    {
        var sizes = ConstInts(node, 1, "split sizes");
        if (sizes.Any(s => s < 0))
            throw OnnxExportException.For(node, "a -1 split size depends on the input's dimension; give explicit sizes.");
        long axis = ConstInt(node, 2, "axis");
        var outs = Enumerable.Range(0, sizes.Length).Select(i => OutName(node, i)).ToArray();
        EmitMulti("Split", [In(node, 0), Int64Const(node, "split", sizes)], outs, Int("axis", axis));
        for (int i = 0; i < outs.Length; i++) SetNative(node, i, outs[i]);
    }

    private void Squeeze(Node node)
    {
        var x = InputRef(node, 0);
        var dims = node.GetInts("squeeze_dims", []);
        int rank = Rank(x);
        // No dims: TF squeezes every size-1 dim at run time — so does ONNX Squeeze without axes.
        SetNative(node, 0, dims.Length == 0 ? Emit("Squeeze", [In(x)], OutName(node))
            : Emit("Squeeze", [In(x), Int64Const(node, "axes", dims.Select(d => d < 0 ? d + rank : d).ToArray())], OutName(node)));
    }

    private void Slice(Node node)
    {
        // TF Slice: size -1 means "to the end".
        var begin = AsInt64(node, InputRef(node, 1), "begin");
        string ends;
        if (ConstOf(InputRef(node, 1)) != null && ConstOf(InputRef(node, 2)) != null)
        {
            long[] b = ConstInts(node, 1, "begin"), s = ConstInts(node, 2, "size");
            ends = Int64Const(node, "ends", b.Select((v, i) => s[i] < 0 ? MaxIndex : v + s[i]).ToArray());
        }
        else
        {
            var size = AsInt64(node, InputRef(node, 2), "size");
            var sum = Emit("Add", [begin, size], Temp(node, "end"));
            var toEnd = Emit("Less", [size, Int64Const(node, "zero", [0], scalar: true)], Temp(node, "to_end"));
            ends = Emit("Where", [toEnd, Int64Const(node, "max", [MaxIndex], scalar: true), sum], Temp(node, "ends"));
        }
        SetNative(node, 0, Emit("Slice", [In(node, 0), begin, ends], OutName(node)));
    }

    /// <summary>
    /// TF StridedSlice with static begin/end/strides, following the mask rules of TF's ValidateStridedSliceOp
    /// (strided_slice_op.cc): the ellipsis expands to the dims the other entries do not name, new_axis entries add a
    /// size-1 dim and consume no input dim, shrink entries take one element and drop the dim; masked begins/ends run
    /// to the start or end in the stride's direction. Emitted as Slice → Squeeze(shrinks) → Unsqueeze(new axes).
    /// </summary>
    private void StridedSlice(Node node)
    {
        var x = InputRef(node, 0);
        long[] begin = ConstInts(node, 1, "begin"), end = ConstInts(node, 2, "end"), strides = ConstInts(node, 3, "strides");
        long beginMask = node.GetInt("begin_mask", 0), endMask = node.GetInt("end_mask", 0), ellipsisMask = node.GetInt("ellipsis_mask", 0);
        long newAxisMask = node.GetInt("new_axis_mask", 0), shrinkMask = node.GetInt("shrink_axis_mask", 0);
        int rank = Rank(x), n = begin.Length;
        if (end.Length != n || strides.Length != n) throw OnnxExportException.For(node, "begin, end and strides differ in length.");
        if (System.Numerics.BitOperations.PopCount((ulong)ellipsisMask) > 1) throw OnnxExportException.For(node, "more than one ellipsis.");
        bool Bit(long mask, int i) => ((mask >> i) & 1) != 0;
        int named = Enumerable.Range(0, n).Count(i => !Bit(ellipsisMask, i) && !Bit(newAxisMask, i));
        var starts = new List<long>();
        var ends = new List<long>();
        var axes = new List<long>();
        var steps = new List<long>();
        var shrink = new List<long>();
        var newAxes = new List<long>();
        int dim = 0, outPos = 0;
        bool sawEllipsis = false;
        for (int i = 0; i < n; i++)
        {
            if (Bit(ellipsisMask, i))
            {
                int covered = rank - named;
                dim += covered;
                outPos += covered;
                sawEllipsis = true;
                continue;
            }
            if (Bit(newAxisMask, i))
            {
                newAxes.Add(outPos++);
                continue;
            }
            if (dim >= rank) throw OnnxExportException.For(node, $"the slice names more dims than the input's rank {rank}.");
            long stride = strides[i];
            if (stride == 0) throw OnnxExportException.For(node, "a stride is 0.");
            if (Bit(shrinkMask, i))
            {
                long b = begin[i];
                starts.Add(b);
                ends.Add(b == -1 ? MaxIndex : b + 1);
                axes.Add(dim);
                steps.Add(1);
                shrink.Add(dim);
            }
            else
            {
                long b = Bit(beginMask, i) ? (stride > 0 ? 0 : MaxIndex) : begin[i];
                long e = Bit(endMask, i) ? (stride > 0 ? MaxIndex : MinIndex) : end[i];
                if (!(Bit(beginMask, i) && Bit(endMask, i) && stride == 1))
                {
                    starts.Add(b);
                    ends.Add(e);
                    axes.Add(dim);
                    steps.Add(stride);
                }
                outPos++;
            }
            dim++;
        }
        _ = sawEllipsis; // dims after the last entry are taken whole, with or without an ellipsis
        string result = In(x);
        bool last(int stage) => stage switch
        {
            0 => shrink.Count == 0 && newAxes.Count == 0,
            1 => newAxes.Count == 0,
            _ => true,
        };
        if (axes.Count > 0)
            result = Emit("Slice", [result, Int64Const(node, "starts", [.. starts]), Int64Const(node, "ends", [.. ends]),
                Int64Const(node, "axes", [.. axes]), Int64Const(node, "steps", [.. steps])], last(0) ? OutName(node) : Temp(node, "slice"));
        if (shrink.Count > 0)
            result = Emit("Squeeze", [result, Int64Const(node, "shrink", [.. shrink])], last(1) ? OutName(node) : Temp(node, "shrunk"));
        if (newAxes.Count > 0)
            result = Emit("Unsqueeze", [result, Int64Const(node, "new_axes", [.. newAxes])], OutName(node));
        if (axes.Count == 0 && shrink.Count == 0 && newAxes.Count == 0)
        {
            Alias(node, 0, x);
            return;
        }
        SetNative(node, 0, result);
    }

    private void Gather(Node node, long axis)
    {
        var p = InputRef(node, 0);
        if (axis < 0) axis += Rank(p);
        SetNative(node, 0, Emit("Gather", [In(p), In(node, 1)], OutName(node), Int("axis", axis)));
    }

    private void Pad(Node node, string mode)
    {
        var x = InputRef(node, 0);
        var pads = ConstInts(node, 1, "paddings");
        int rank = Rank(x);
        if (pads.Length != rank * 2) throw OnnxExportException.For(node, $"paddings has {pads.Length} values for a rank-{rank} input.");
        bool nchw = HasNchw(x) && rank == 4;
        var order = nchw ? s_toNchw : Enumerable.Range(0, rank).Select(i => (long)i).ToArray();
        // TF paddings [[b0, e0], [b1, e1], …] → ONNX pads [b0, b1, …, e0, e1, …].
        var onnxPads = order.Select(d => pads[d * 2]).Concat(order.Select(d => pads[d * 2 + 1])).ToArray();
        var inputs = new List<string> { nchw ? InNchw(x) : In(x), Int64Const(node, "pads", onnxPads) };
        if (node.Op == "PadV2") inputs.Add(In(node, 2));
        var output = Emit("Pad", inputs, nchw ? Fresh($"{node.Name}:0_nchw") : OutName(node), Str("mode", mode));
        if (nchw) SetNchw(node, 0, output);
        else SetNative(node, 0, output);
    }

    private void Shape(Node node)
    {
        var x = InputRef(node, 0);
        var outType = node.GetType("out_type", DataType.DtInt32);
        string shape;
        if (HasNchw(x) && _values[x].Native == null)
            shape = Emit("Gather", [Emit("Shape", [InNchw(x)], Temp(node, "nchw_shape")), Int64Const(node, "nhwc", s_toNhwc)], Temp(node, "shape"), Int("axis", 0));
        else
            shape = Emit("Shape", [In(x)], Temp(node, "shape"));
        CastTo(node, shape, outType);
    }

    private void ConstantLike(Node node, double value)
    {
        var x = InputRef(node, 0);
        var fill = Tensor.Zeros(DType(x), new TensorShape(1));
        var valueTensor = OnnxTensors.FromTensor("value", value == 0 ? fill : OneOf(node, DType(x)));
        SetNative(node, 0, Emit("ConstantOfShape", [Emit("Shape", [In(x)], Temp(node, "shape"))], OutName(node), TensorAttr("value", valueTensor)));
    }

    private static Tensor OneOf(Node node, DataType dtype) => dtype switch
    {
        DataType.DtFloat => Tensor.Create(new[] { 1f }, 1),
        DataType.DtDouble => Tensor.Create(new[] { 1.0 }, 1),
        DataType.DtInt32 => Tensor.Create(new[] { 1 }, 1),
        DataType.DtInt64 => Tensor.Create(new[] { 1L }, 1),
        DataType.DtBool => Tensor.Create(new[] { true }, 1),
        _ => throw OnnxExportException.For(node, $"dtype {DataTypes.Name(dtype)} is not supported here."),
    };

    private void OneHot(Node node)
    {
        var indices = In(node, 0);
        long axis = node.GetInt("axis", -1);
        var depth = In(node, 1);
        // ONNX counts negative indices from the end; TF gives an all-off row for any index outside [0, depth).
        var idxType = DType(InputRef(node, 0));
        var negative = Emit("Less", [indices, ScalarConst(node, "zero", idxType, 0)], Temp(node, "negative"));
        var depthAsIdx = Emit("Cast", [depth], Temp(node, "depth_idx"), Int("to", (long)OnnxTypeOf(node, idxType)));
        var safe = Emit("Where", [negative, depthAsIdx, indices], Temp(node, "indices"));
        var one = Int64Const(node, "one", [1]);
        var off = Emit("Reshape", [In(node, 3), one], Temp(node, "off"));
        var on = Emit("Reshape", [In(node, 2), one], Temp(node, "on"));
        var values = Emit("Concat", [off, on], Temp(node, "values"), Int("axis", 0));
        SetNative(node, 0, Emit("OneHot", [safe, depth, values], OutName(node), Int("axis", axis)));
    }

    private void ReverseV2(Node node)
    {
        var x = InputRef(node, 0);
        int rank = Rank(x);
        var axes = ConstInts(node, 1, "axes").Select(a => a < 0 ? a + rank : a).ToArray();
        if (axes.Length == 0) { Alias(node, 0, x); return; }
        SetNative(node, 0, Emit("Slice", [In(x), Int64Const(node, "starts", axes.Select(_ => -1L).ToArray()),
            Int64Const(node, "ends", axes.Select(_ => MinIndex).ToArray()), Int64Const(node, "axes", axes),
            Int64Const(node, "steps", axes.Select(_ => -1L).ToArray())], OutName(node)));
    }

    /// <summary>
    /// Random ops become ONNX's *Like random ops over a tensor of the requested shape: same distribution, but a
    /// different generator, so the draws differ from TF's (documented; dropout with keep_prob 1 is still exact).
    /// </summary>
    private void Random(Node node, string onnxOp)
    {
        var dtype = node.GetType("dtype");
        var shapeOf = Emit("ConstantOfShape", [AsInt64(node, InputRef(node, 0), "shape")], Temp(node, "zeros"),
            TensorAttr("value", OnnxTensors.FromTensor("value", Tensor.Zeros(dtype, new TensorShape(1)))));
        SetNative(node, 0, Emit(onnxOp, [shapeOf], OutName(node), Int("dtype", (long)OnnxTypeOf(node, dtype))));
    }
}
