using AttributeProto = TypedGraph.Onnx.Protos.AttributeProto;
using TypedGraph.Protos;

namespace TypedGraph.Onnx.Conversion;

/// <summary>
/// Convolutions, pooling, batch norm and LRN. ONNX runs them in NCHW only: NHWC inputs are read through
/// <see cref="InNchw"/> and outputs recorded as NCHW values, so a chain conv → bias → relu → pool → conv needs one
/// transpose at its start and one where a layout-sensitive consumer (reshape, matmul, an output) reads it.
/// </summary>
internal sealed partial class GraphConversion
{
    private void RegisterNn()
    {
        _converters["Conv2D"] = n => Conv(n, depthwise: false);
        _converters["DepthwiseConv2dNative"] = n => Conv(n, depthwise: true);
        _converters["MaxPool"] = n => Pool(n, "MaxPool", n.GetInts("ksize"), n.GetInts("strides"));
        _converters["MaxPoolV2"] = n => Pool(n, "MaxPool", ConstInts(n, 1, "ksize"), ConstInts(n, 2, "strides"));
        _converters["AvgPool"] = n => Pool(n, "AveragePool", n.GetInts("ksize"), n.GetInts("strides"));
        foreach (var op in new[] { "FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3" }) _converters[op] = BatchNorm;
        _converters["LRN"] = Lrn;
    }

    private bool IsNchwFormat(Node node)
    {
        var format = node.GetString("data_format", "NHWC");
        return format switch
        {
            "NHWC" => false,
            "NCHW" => true,
            _ => throw OnnxExportException.For(node, $"data_format {format} is not exported (NHWC and NCHW are)."),
        };
    }

    /// <summary>The input in NCHW, whatever the TF layout.</summary>
    private string SpatialInput(Node node, bool nchwFormat) => nchwFormat ? In(node, 0) : InNchw(InputRef(node, 0));

    private void SetSpatialOutput(Node node, bool nchwFormat, string name)
    {
        if (nchwFormat) SetNative(node, 0, name);
        else SetNchw(node, 0, name);
    }

    private string SpatialOutName(Node node, bool nchwFormat) => nchwFormat ? OutName(node) : Fresh($"{node.Name}:0_nchw");

    /// <summary>The H and W entries of a 4-entry TF attribute (strides, ksize, dilations) in the node's layout.</summary>
    private static long[] HW(long[] values, bool nchwFormat, Node node, string what)
    {
        if (values.Length != 4) throw OnnxExportException.For(node, $"{what} has {values.Length} entries, expected 4.");
        bool batchChannelOne = nchwFormat ? values[0] == 1 && values[1] == 1 : values[0] == 1 && values[3] == 1;
        if (!batchChannelOne) throw OnnxExportException.For(node, $"{what} [{string.Join(", ", values)}] moves along batch or channels, which ONNX cannot express.");
        return nchwFormat ? [values[2], values[3]] : [values[1], values[2]];
    }

    /// <summary>
    /// Padding attributes: TF SAME puts the odd extra row/column at the end (the bottom/right), which is ONNX's
    /// SAME_UPPER (tensorflow/core/framework/kernel_shape_util.cc GetWindowedOutputSizeVerbose).
    /// </summary>
    private static AttributeProto[] PaddingAttrs(Node node, bool nchwFormat)
    {
        var padding = node.GetString("padding");
        switch (padding)
        {
            case "SAME": return [Str("auto_pad", "SAME_UPPER")];
            case "VALID": return [Str("auto_pad", "VALID")];
            case "EXPLICIT":
            {
                var p = node.GetInts("explicit_paddings");
                if (p.Length != 8) throw OnnxExportException.For(node, "explicit_paddings needs 8 values.");
                int h = nchwFormat ? 2 : 1, w = nchwFormat ? 3 : 2;
                return [Ints("pads", [p[h * 2], p[w * 2], p[h * 2 + 1], p[w * 2 + 1]])];
            }
            default: throw OnnxExportException.For(node, $"padding {padding} is not exported.");
        }
    }

    private void Conv(Node node, bool depthwise)
    {
        bool nchwFormat = IsNchwFormat(node);
        var strides = HW(node.GetInts("strides"), nchwFormat, node, "strides");
        var dilations = HW(node.GetInts("dilations", [1, 1, 1, 1]), nchwFormat, node, "dilations");
        var filterRef = InputRef(node, 1);
        var filter = ConstOf(filterRef);
        string weights;
        long[] kernel;
        var attrs = new List<AttributeProto>();
        if (depthwise)
        {
            // TF filter [kh, kw, C, M]; output channel c·M + m (depthwise_conv_op.cc) — ONNX grouped Conv with
            // group = C and weights [C·M, 1, kh, kw] ordered the same way.
            if (filter == null) throw OnnxExportException.For(node, "a depthwise filter that depends on the inputs is not exported.");
            var d = filter.Shape.ToArray();
            kernel = [d[0], d[1]];
            var flat = filter.Reshape(new TensorShape(d[0], d[1], d[2] * d[3]));
            var w = TensorPermute.Permute(flat, [2, 0, 1]).Reshape(new TensorShape(d[2] * d[3], 1, d[0], d[1]));
            weights = TensorConst(node, "weights", w);
            attrs.Add(Int("group", d[2]));
        }
        else if (filter != null)
        {
            // TF filter [kh, kw, in, out] → ONNX [out, in, kh, kw].
            var d = filter.Shape.ToArray();
            kernel = [d[0], d[1]];
            weights = TensorConst(node, "weights", TensorPermute.Permute(filter, [3, 2, 0, 1]));
        }
        else
        {
            var d = ProbeShape(filterRef);
            kernel = [d[0], d[1]];
            weights = Emit("Transpose", [In(filterRef)], Temp(node, "weights"), Ints("perm", [3, 2, 0, 1]));
        }
        attrs.Add(Ints("kernel_shape", kernel));
        attrs.Add(Ints("strides", strides));
        attrs.Add(Ints("dilations", dilations));
        attrs.AddRange(PaddingAttrs(node, nchwFormat));
        var y = Emit("Conv", [SpatialInput(node, nchwFormat), weights], SpatialOutName(node, nchwFormat), [.. attrs]);
        SetSpatialOutput(node, nchwFormat, y);
    }

    private void Pool(Node node, string onnxOp, long[] ksize, long[] stridesAttr)
    {
        bool nchwFormat = IsNchwFormat(node);
        var attrs = new List<AttributeProto>
        {
            Ints("kernel_shape", HW(ksize, nchwFormat, node, "ksize")),
            Ints("strides", HW(stridesAttr, nchwFormat, node, "strides")),
        };
        attrs.AddRange(PaddingAttrs(node, nchwFormat));
        // TF AvgPool divides by the number of in-bounds elements (avgpooling_op.cc); ONNX count_include_pad = 0 does the same.
        if (onnxOp == "AveragePool") attrs.Add(Int("count_include_pad", 0));
        var y = Emit(onnxOp, [SpatialInput(node, nchwFormat)], SpatialOutName(node, nchwFormat), [.. attrs]);
        SetSpatialOutput(node, nchwFormat, y);
    }

    private void BatchNorm(Node node)
    {
        if (node.GetBool("is_training", true))
            throw OnnxExportException.For(node, "is_training=true normalizes with the batch's own statistics; export the inference graph (is_training=false).");
        for (int i = 1; i < node.Inputs.Count; i++)
            if (ConstOf(node.Inputs[i]) == null && Rank(node.Inputs[i]) != 1)
                throw OnnxExportException.For(node, $"input {i} must be a vector.");
        bool nchwFormat = IsNchwFormat(node);
        // y = scale·(x − mean)/sqrt(var + ε) + offset, as fused_batch_norm_op.cc (inference) and ONNX BatchNormalization.
        var y = Emit("BatchNormalization", [SpatialInput(node, nchwFormat), In(node, 1), In(node, 2), In(node, 3), In(node, 4)],
            SpatialOutName(node, nchwFormat), Float("epsilon", node.GetFloat("epsilon", 1e-4f)));
        SetSpatialOutput(node, nchwFormat, y);
    }

    private void Lrn(Node node)
    {
        // TF: x / (bias + alpha·Σ_{c−r..c+r} x²)^beta (lrn_op.cc); ONNX: x / (bias + alpha/size·Σ)^beta over
        // size = 2r + 1 channels centred the same way — so ONNX alpha = TF alpha · size.
        long r = node.GetInt("depth_radius", 5);
        long size = 2 * r + 1;
        var y = Emit("LRN", [InNchw(InputRef(node, 0))], Fresh($"{node.Name}:0_nchw"),
            Int("size", size), Float("alpha", node.GetFloat("alpha", 1f) * size), Float("beta", node.GetFloat("beta", 0.5f)),
            Float("bias", node.GetFloat("bias", 1f)));
        SetNchw(node, 0, y);
    }
}
