using TypedGraph.Protos;

namespace TypedGraph.Building;

/// <summary>
/// A small static shape inference over the ops gradients care about (TF's C++ shape functions, reduced):
/// returns dims with -1 for unknown sizes, or null when even the rank is unknown. Gradient functions use it
/// where TF uses <c>x.get_shape()</c> (e.g. the rank in <c>_SumGrad</c>) and to emit a Const instead of a
/// <c>Shape</c> op for fully known shapes, as <c>array_ops.shape</c> does.
/// </summary>
internal static class StaticShapes
{
    private static readonly HashSet<string> s_sameAsInput0 = new(StringComparer.Ordinal)
    {
        "Identity", "StopGradient", "PreventGradient", "Relu", "Relu6", "Elu", "Selu", "Softplus", "Softsign", "Sigmoid", "Tanh",
        "Neg", "Square", "Sqrt", "Rsqrt", "Exp", "Log", "Log1p", "Abs", "Sign", "Reciprocal", "Inv", "Floor", "Ceil", "Round",
        "Softmax", "LogSoftmax", "BiasAdd", "Cast", "ZerosLike", "OnesLike", "AddN", "LeakyRelu", "Dropout", "Assign", "LRN",
        "ReluGrad", "SigmoidGrad", "TanhGrad", "BiasAddGrad_", "PlaceholderWithDefault", "Snapshot", "RefIdentity",
        "Enter", "RefEnter", "Exit", "RefExit", "NextIteration", "RefNextIteration", "Switch", "RefSwitch", "LoopCond", "StackPushV2",
        "Erf", "Erfc", "Cumsum", "Cumprod", "ClipByValue", "CheckNumerics", "CheckNumericsV2", "FakeQuantWithMinMaxArgs",
        "FakeQuantWithMinMaxVars", "FakeQuantWithMinMaxVarsPerChannel", "MatrixBandPart", "MatrixInverse", "Cholesky",
        "MatrixSetDiag", "MatrixSetDiagV2", "MatrixSetDiagV3", "Real", "Imag", "ComplexAbs", "Angle", "Conj", "Print",
    };

    private static readonly HashSet<string> s_broadcast = new(StringComparer.Ordinal)
    {
        "Add", "AddV2", "Sub", "Mul", "RealDiv", "Div", "Maximum", "Minimum", "Pow", "SquaredDifference", "FloorDiv", "FloorMod",
        "Equal", "NotEqual", "Greater", "GreaterEqual", "Less", "LessEqual", "LogicalAnd", "LogicalOr", "Complex",
    };

    /// <summary>The static shape of <paramref name="t"/>, or null when the rank is unknown.</summary>
    public static long[]? Of(GraphBuilder b, Output t) => Of(b, t, 0);

    private static long[]? Of(GraphBuilder b, Output t, int depth)
    {
        if (depth > 200) return null; // deep chains: give up rather than recurse without bound
        if (b.ShapeHint(t) is { } hint) return hint;
        var node = b.GetOperation(t.NodeName);
        long[]? In(int i) => i < node.Inputs.Count ? Of(b, b.OutputOf(b.GetOperation(node.Inputs[i].NodeName), node.Inputs[i].Index), depth + 1) : null;
        switch (node.Op)
        {
            case "Placeholder" when node.GetShape("shape") is { UnknownRank: false, Dim.Count: 0 } && GraphVersions.EmptyPlaceholderShapeIsUnknown(b.Graph):
                return null; // before TF 1.2 (GraphDef version 22) a Placeholder shape with no dims meant "unconstrained"
            case "Placeholder":
            case "VariableV2":
            case "Variable":
            case "PlaceholderWithDefault" when node.HasAttr("shape"):
                return Attrs.Dims(node.GetShape("shape"));
            case "StringFormat": // string_ops.cc: a scalar
                return [];
            case "Const":
                return node.GetTensor("value").TensorShape.Dim.Select(d => d.Size).ToArray();
            case "Shape":
                return In(0) is { } sh ? [sh.Length] : [-1];
            case "SparseTensorDenseMatMul":
            {
                // op(A)·op(B): rows of op(A) from the constant a_shape, columns of op(B) from b's shape.
                var aShape = ConstValues(b, node.Inputs[2]);
                var c = In(3);
                long m = aShape is { Length: 2 } ? aShape[node.GetBool("adjoint_a", false) ? 1 : 0] : -1;
                long n = c is { Length: 2 } ? c[node.GetBool("adjoint_b", false) ? 0 : 1] : -1;
                return [m, n];
            }
            case "SparseToDense": // output_shape's values, or at least its length as the rank
                return ConstValues(b, node.Inputs[1]) is { } dense ? dense
                    : In(1) is { Length: 1 } r && r[0] >= 0 ? Enumerable.Repeat(-1L, (int)r[0]).ToArray() : null;
            case "SparseReorder": // (indices, values) keep their input shapes
                return In(t.Index);
            case "SparseAdd": // (sum_indices [nnz, rank], sum_values [nnz], sum_shape [rank]); nnz known only at run time
                return t.Index switch { 0 => [-1, In(0) is { Length: 2 } ai ? ai[1] : -1], 1 => [-1], _ => In(2) };
            case "MatMul" or "SparseMatMul":
            {
                var a = In(0);
                var c = In(1);
                long m = a == null ? -1 : a[node.GetBool("transpose_a", false) ? 1 : 0];
                long n = c == null ? -1 : c[node.GetBool("transpose_b", false) ? 0 : 1];
                return [m, n];
            }
            case "Reshape":
                return ConstValues(b, node.Inputs[1]) is { } dims ? ResolveReshape(In(0), dims) : null;
            case "Sum" or "Mean" or "Max" or "Min" or "Prod":
            {
                var s = In(0);
                var axes = ConstValues(b, node.Inputs[1]);
                if (s == null || axes == null) return null;
                var set = axes.Select(a => a < 0 ? a + s.Length : a).ToHashSet();
                bool keep = node.GetBool("keep_dims", false);
                return s.Select((d, i) => set.Contains(i) ? (keep ? 1 : -2) : d).Where(d => d != -2).ToArray();
            }
            case "SoftmaxCrossEntropyWithLogits" or "SparseSoftmaxCrossEntropyWithLogits":
                return t.Index == 1 ? In(0) : In(0) is { } lg ? [lg[0]] : [-1];
            case "CTCLoss": // ctc_ops.cc: loss [batch], gradient like inputs [max_time, batch, classes]
                return t.Index == 1 ? In(0) : In(0) is { Length: 3 } ctcIn ? [ctcIn[1]] : [-1];
            case "LSTMBlockCell" or "GRUBlockCell": // rnn_ops.cc: every output is [batch, cell] (cell from h_prev)
                return [In(0) is { Length: 2 } rnnX ? rnnX[0] : -1, In(node.Op == "GRUBlockCell" ? 1 : 2) is { Length: 2 } rnnH ? rnnH[1] : -1];
            case "ArgMax" or "ArgMin":
            {
                var s = In(0);
                var axis = ConstValues(b, node.Inputs[1]);
                if (s == null || axis == null) return null;
                long ax = axis[0] < 0 ? axis[0] + s.Length : axis[0];
                return s.Where((_, i) => i != ax).ToArray();
            }
            case "Conv2D" or "MaxPool" or "AvgPool":
                return In(0) is { Length: 4 } x ? [x[0], -1, -1, node.Op == "Conv2D" ? (In(1) is { Length: 4 } f ? f[3] : -1) : x[3]] : [-1, -1, -1, -1];
            case "IdentityN":
                return In(t.Index);
            case "ReadVariableOp":
            {
                // The handle's shape, as TF's handle data carries it: follow Identity / Enter / Switch back to the VarHandleOp.
                var h = b.GetOperation(node.Inputs[0].NodeName);
                for (int hops = 0; h.Op is "Identity" or "Enter" or "Switch" && h.Inputs.Count > 0 && hops < 100; hops++) h = b.GetOperation(h.Inputs[0].NodeName);
                return h.Op == "VarHandleOp" && h.HasAttr("shape") ? Attrs.Dims(h.GetShape("shape")) : null;
            }
            case "Merge" or "RefMerge":
                // TF's MergeShape: the inputs' common rank, dims that differ unknown; a loop's back edge is skipped.
                return t.Index == 1 ? [] : MergeShapes(node.Inputs.Select((r, i) => (r, i))
                    .Where(p => b.GetOperation(p.r.NodeName).Op is not ("NextIteration" or "RefNextIteration")).Select(p => In(p.i)));
            case "ConcatV2" when ConstValues(b, node.Inputs[^1]) is [var axis0]:
            {
                var parts = Enumerable.Range(0, node.Inputs.Count - 1).Select(In).ToList();
                if (parts.Any(p => p == null) || parts.Select(p => p!.Length).Distinct().Count() != 1) return null;
                int rank = parts[0]!.Length;
                long axis = axis0 < 0 ? axis0 + rank : axis0;
                var result = MergeShapes(parts.Select(p => (long[]?)p!.Select((d, i) => i == axis ? 0 : d).ToArray()))!;
                result[axis] = parts.Any(p => p![axis] < 0) ? -1 : parts.Sum(p => p![axis]);
                return result;
            }
            case "TensorArrayGatherV3" when node.GetShape("element_shape") is { UnknownRank: false } es:
                return [-1, .. Attrs.Dims(es)!];
            case "TensorArraySizeV3" or "Size" or "Rank":
                return [];
            case "Range":
                return [-1];
            case "Fill" when ConstValues(b, node.Inputs[0]) is { } fillDims:
                return fillDims;
            case "ResizeBilinear" or "ResizeNearestNeighbor" or "ResizeBicubic" or "ResizeArea" when In(0) is { Length: 4 } img:
                return ConstValues(b, node.Inputs[1]) is [var rh, var rw] ? [img[0], rh, rw, img[3]] : [img[0], -1, -1, img[3]];
            case "CropAndResize" when In(1) is { Length: 2 } boxes && In(0) is { Length: 4 } image:
                return ConstValues(b, node.Inputs[3]) is [var ch, var cw] ? [boxes[0], ch, cw, image[3]] : [boxes[0], -1, -1, image[3]];
            case "MirrorPad" or "MirrorPadGrad" when In(0) is { } padIn:
            {
                // array_ops.cc: each dim plus (MirrorPad) or minus (MirrorPadGrad) its two paddings, when they are constant.
                var pads = ConstValues(b, node.Inputs[1]);
                if (pads == null || pads.Length != 2 * padIn.Length) return padIn.Select(_ => -1L).ToArray();
                long sign = node.Op == "MirrorPad" ? 1 : -1;
                return padIn.Select((d, i) => d < 0 ? -1 : d + sign * (pads[2 * i] + pads[2 * i + 1])).ToArray();
            }
            case "TopK" or "TopKV2" when In(0) is { Length: > 0 } topIn:
            {
                // nn_ops.cc TopKV2 shape fn: the input's dims with the last replaced by k (unknown when k is not constant).
                long k = node.Op == "TopK" ? node.GetInt("k") : ConstValues(b, node.Inputs[1]) is [var kv] ? kv : -1;
                return [.. topIn[..^1], k];
            }
            case "ExpandDims" when In(0) is { } es && ConstValues(b, node.Inputs[1]) is { } ax:
            {
                var l = es.ToList();
                long a = ax[0] < 0 ? ax[0] + es.Length + 1 : ax[0];
                l.Insert((int)a, 1);
                return l.ToArray();
            }
        }
        if (s_sameAsInput0.Contains(node.Op)) return In(0);
        if (s_broadcast.Contains(node.Op)) return Broadcast(In(0), In(1));
        return null;
    }

    private static long[]? MergeShapes(IEnumerable<long[]?> shapes)
    {
        long[]? merged = null;
        foreach (var s in shapes)
        {
            if (s == null) return null;
            if (merged == null) { merged = (long[])s.Clone(); continue; }
            if (s.Length != merged.Length) return null;
            for (int k = 0; k < s.Length; k++)
                if (merged[k] != s[k]) merged[k] = -1;
        }
        return merged;
    }

    /// <summary>The int values of a Const input, or null when it is not a Const.</summary>
    internal static long[]? ConstValues(GraphBuilder b, TensorRef r)
    {
        var n = b.GetOperation(r.NodeName);
        if (n.Op != "Const") return null;
        var t = n.GetTensor("value");
        if (t.IntVal.Count > 0 || t.Int64Val.Count > 0)
        {
            long count = t.TensorShape.Dim.Aggregate(1L, (acc, d) => acc * d.Size);
            var vals = t.IntVal.Count > 0 ? t.IntVal.Select(v => (long)v).ToList() : t.Int64Val.ToList();
            while (vals.Count < count) vals.Add(vals[^1]);
            return vals.ToArray();
        }
        if (t.TensorContent.Length > 0)
        {
            var bytes = t.TensorContent.Span;
            return t.Dtype == DataType.DtInt64
                ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(bytes).ToArray()
                : System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(bytes).ToArray().Select(v => (long)v).ToArray();
        }
        return t.TensorShape.Dim.Count == 0 || t.TensorShape.Dim[0].Size == 0 ? [] : null;
    }

    private static long[] ResolveReshape(long[]? input, long[] dims)
    {
        if (!dims.Contains(-1) || input == null || input.Any(d => d < 0)) return dims;
        long total = input.Aggregate(1L, (a, d) => a * d);
        long known = dims.Where(d => d >= 0).Aggregate(1L, (a, d) => a * d);
        return dims.Select(d => d == -1 && known > 0 ? total / known : d).ToArray();
    }

    private static long[]? Broadcast(long[]? a, long[]? c)
    {
        if (a == null || c == null) return null;
        int r = Math.Max(a.Length, c.Length);
        var result = new long[r];
        for (int i = 0; i < r; i++)
        {
            long x = i - (r - a.Length) >= 0 ? a[i - (r - a.Length)] : 1;
            long y = i - (r - c.Length) >= 0 ? c[i - (r - c.Length)] : 1;
            result[i] = x == 1 ? y : y == 1 ? x : x == y ? x : -1;
        }
        return result;
    }
}
