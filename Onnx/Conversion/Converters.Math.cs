using TypedGraph.Protos;
using OnnxType = TypedGraph.Onnx.Protos.TensorProto.Types.DataType;

namespace TypedGraph.Onnx.Conversion;

/// <summary>Matrix products, reductions, arg-reductions, softmax, selection and clipping.</summary>
internal sealed partial class GraphConversion
{
    private static readonly long[] s_nhwcAxisToNchw = [0, 2, 3, 1];

    private void RegisterMath()
    {
        _converters["MatMul"] = MatMul;
        _converters["BatchMatMul"] = BatchMatMul;
        _converters["BatchMatMulV2"] = BatchMatMul;
        _converters["BatchMatMulV3"] = BatchMatMul;
        foreach (var (tf, onnx) in new[] { ("Sum", "ReduceSum"), ("Mean", "ReduceMean"), ("Max", "ReduceMax"), ("Min", "ReduceMin"), ("Prod", "ReduceProd") })
            _converters[tf] = n => Reduce(n, onnx);
        _converters["ArgMax"] = n => ArgReduce(n, "ArgMax");
        _converters["ArgMin"] = n => ArgReduce(n, "ArgMin");
        _converters["Softmax"] = n => SetNative(n, 0, Emit("Softmax", [In(n, 0)], OutName(n), Int("axis", -1)));
        _converters["LogSoftmax"] = n => SetNative(n, 0, Emit("LogSoftmax", [In(n, 0)], OutName(n), Int("axis", -1)));
        _converters["Select"] = Select;
        _converters["SelectV2"] = n => SetNative(n, 0, Emit("Where", [In(n, 0), In(n, 1), In(n, 2)], OutName(n)));
        _converters["ClipByValue"] = ClipByValue;
        _converters["TopKV2"] = TopK;
        _converters["Range"] = n => SetNative(n, 0, Emit("Range", [In(n, 0), In(n, 1), In(n, 2)], OutName(n)));
    }

    /// <summary>A matrix operand, transposed over its last two axes when <paramref name="transpose"/> (at export time when static).</summary>
    private string MatrixOperand(Node node, int input, bool transpose)
    {
        var r = InputRef(node, input);
        if (!transpose) return In(r);
        int rank = Rank(r);
        if (rank < 2) throw OnnxExportException.For(node, $"input {input} has rank {rank}; a matrix product needs rank ≥ 2.");
        var perm = Enumerable.Range(0, rank).ToArray();
        (perm[rank - 1], perm[rank - 2]) = (perm[rank - 2], perm[rank - 1]);
        if (ConstOf(r) is { } c) return TensorConst(node, $"t{input}", TensorPermute.Permute(c, perm));
        return Emit("Transpose", [In(r)], Temp(node, $"t{input}"), Ints("perm", perm.Select(p => (long)p)));
    }

    private void MatMul(Node node)
    {
        var a = MatrixOperand(node, 0, node.GetBool("transpose_a", false));
        var b = MatrixOperand(node, 1, node.GetBool("transpose_b", false));
        SetNative(node, 0, Emit("MatMul", [a, b], OutName(node)));
    }

    private void BatchMatMul(Node node)
    {
        var a = MatrixOperand(node, 0, node.GetBool("adj_x", false));
        var b = MatrixOperand(node, 1, node.GetBool("adj_y", false));
        var product = Emit("MatMul", [a, b], node.Op == "BatchMatMulV3" ? Temp(node, "mm") : OutName(node));
        if (node.Op == "BatchMatMulV3" && node.GetType("Tout", DType(InputRef(node, 0))) is var tout && tout != DType(InputRef(node, 0)))
            product = Emit("Cast", [product], OutName(node), Int("to", (long)OnnxTypeOf(node, tout)));
        else if (node.Op == "BatchMatMulV3")
            product = Emit("Identity", [product], OutName(node));
        SetNative(node, 0, product);
    }

    private void Reduce(Node node, string onnxOp)
    {
        var x = InputRef(node, 0);
        if (onnxOp == "ReduceMean" && !IsFloat(DType(x)))
            throw OnnxExportException.For(node, "an integer Mean (TF divides with truncation) has no exact ONNX ReduceMean.");
        var axes = ConstInts(node, 1, "reduction axes");
        bool keep = node.GetBool("keep_dims", false);
        if (axes.Length == 0)
        {
            // TF reduces nothing for an empty axis list; ONNX would reduce everything.
            Alias(node, 0, x);
            return;
        }
        int rank = Rank(x);
        axes = axes.Select(a => a < 0 ? a + rank : a).ToArray();
        bool nchw = keep && HasNchw(x);
        string input = nchw ? InNchw(x) : In(x);
        if (nchw) axes = axes.Select(a => s_nhwcAxisToNchw[a]).ToArray();
        string output = nchw ? Fresh($"{node.Name}:0_nchw") : OutName(node);
        // ReduceSum takes axes as an input from opset 13, the other reductions from opset 18.
        string result = onnxOp == "ReduceSum" || Opset >= 18
            ? Emit(onnxOp, [input, Int64Const(node, "axes", axes)], output, Int("keepdims", keep ? 1 : 0))
            : Emit(onnxOp, [input], output, Ints("axes", axes), Int("keepdims", keep ? 1 : 0));
        if (nchw) SetNchw(node, 0, result);
        else SetNative(node, 0, result);
    }

    private void ArgReduce(Node node, string onnxOp)
    {
        long axis = ConstInt(node, 1, "axis");
        var outType = node.GetType("output_type", DataType.DtInt64);
        // Ties: TF returns the first index (argmax_op.cc via Eigen), ONNX too with select_last_index = 0.
        if (outType == DataType.DtInt64)
        {
            SetNative(node, 0, Emit(onnxOp, [In(node, 0)], OutName(node), Int("axis", axis), Int("keepdims", 0)));
            return;
        }
        var idx = Emit(onnxOp, [In(node, 0)], Temp(node, "idx"), Int("axis", axis), Int("keepdims", 0));
        SetNative(node, 0, Emit("Cast", [idx], OutName(node), Int("to", (long)OnnxTypeOf(node, outType))));
    }

    private void Select(Node node)
    {
        // Select (v1): a rank-1 condition picks whole rows of higher-rank t/e (select_op.cc); otherwise shapes match.
        TensorRef cond = InputRef(node, 0), t = InputRef(node, 1);
        string c = In(cond);
        int rc = Rank(cond), rt = Rank(t);
        if (rc == 1 && rt > 1)
            c = Emit("Unsqueeze", [c, Int64Const(node, "axes", Enumerable.Range(1, rt - 1).Select(i => (long)i).ToArray())], Temp(node, "cond"));
        SetNative(node, 0, Emit("Where", [c, In(t), In(node, 2)], OutName(node)));
    }

    private void ClipByValue(Node node)
    {
        TensorRef lo = InputRef(node, 1), hi = InputRef(node, 2);
        if (Rank(lo) == 0 && Rank(hi) == 0)
        {
            SetNative(node, 0, Emit("Clip", [In(node, 0), In(lo), In(hi)], OutName(node)));
            return;
        }
        // Tensor bounds broadcast in TF; ONNX Clip takes scalars only.
        var low = Emit("Max", [In(node, 0), In(lo)], Temp(node, "max"));
        SetNative(node, 0, Emit("Min", [low, In(hi)], OutName(node)));
    }

    private void TopK(Node node)
    {
        if (!node.GetBool("sorted", true))
            throw OnnxExportException.For(node, "sorted=false leaves TF's output order unspecified; ONNX TopK cannot match it.");
        var k = Emit("Reshape", [AsInt64(node, InputRef(node, 1), "k"), Int64Const(node, "k1", [1])], Temp(node, "k1d"));
        string values = OutName(node, 0), indices = Temp(node, "indices");
        // Equal values: TF lists the lower index first (topk_op.cc stable sort); so does ONNX TopK (sorted=1).
        EmitMulti("TopK", [In(node, 0), k], [values, indices], Int("axis", -1), Int("largest", 1), Int("sorted", 1));
        SetNative(node, 0, values);
        var idxType = node.GetType("index_type", DataType.DtInt32);
        SetNative(node, 1, Emit("Cast", [indices], OutName(node, 1), Int("to", (long)OnnxTypeOf(node, idxType))));
    }
}
