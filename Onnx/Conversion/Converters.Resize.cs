using TypedGraph.Protos;
using OnnxType = TypedGraph.Onnx.Protos.TensorProto.Types.DataType;

namespace TypedGraph.Onnx.Conversion;

/// <summary>
/// <c>ResizeBilinear</c> / <c>ResizeNearestNeighbor</c> (NHWC images, size = [new_height, new_width]).
/// TF's source coordinates (tensorflow/core/util/image_resizer_state.h <c>CalculateResizeScale</c>, scale = in/out or
/// (in − 1)/(out − 1) with align_corners; resize_bilinear_op.cc <c>compute_interpolation_weights</c>;
/// resize_nearest_neighbor_op.cc) match ONNX Resize's coordinate_transformation_mode:
/// <list type="bullet">
/// <item>bilinear, neither flag: x·in/out = <c>asymmetric</c>; align_corners: x·(in−1)/(out−1) = <c>align_corners</c>;
/// half_pixel_centers: (x + 0.5)·in/out − 0.5, clamped to the image like ONNX's linear mode = <c>half_pixel</c>.
/// The output is float whatever the input dtype, so a non-float input is cast first.</item>
/// <item>nearest: TF takes floor(x·in/out) (asymmetric), floor((x + 0.5)·in/out) (half_pixel_centers = ONNX's
/// <c>tf_half_pixel_for_nn</c>) or roundf (half away from zero = <c>round_prefer_ceil</c> for these non-negative
/// coordinates) of x·(in−1)/(out−1) (align_corners), clamped to [0, in − 1]. ONNX divides by the float out/in
/// instead of multiplying by in/out, which can floor an exact integer coordinate one pixel lower (6 → 4 rows, output
/// row 2: TF 2·1.5 = 3, while 2 / float(4/6) = 2.9999998); so the source rows and columns are computed in the graph with
/// TF's own float formula and the resize is two Gathers — exact for every size.</item>
/// </list>
/// ONNX Resize runs on the NCHW view (N and C sizes unchanged), so it sits inside NCHW regions like a pool.
/// </summary>
internal sealed partial class GraphConversion
{
    private void RegisterResize()
    {
        _converters["ResizeBilinear"] = n => Resize(n, nearest: false);
        _converters["ResizeNearestNeighbor"] = n => Resize(n, nearest: true);
    }

    private void Resize(Node node, bool nearest)
    {
        bool align = node.GetBool("align_corners", false), half = node.GetBool("half_pixel_centers", false);
        if (align && half) throw OnnxExportException.For(node, "half_pixel_centers and align_corners are both set, which TF rejects.");
        var x = InputRef(node, 0);
        if (Rank(x) != 4) throw OnnxExportException.For(node, $"its images have rank {Rank(x)}, expected 4 (NHWC).");
        if (nearest)
        {
            // Source rows/columns computed in the graph with TF's float formula, then two Gathers — exact for any size.
            bool nchw = HasNchw(x);
            var src = nchw ? InNchw(x) : In(x);
            var shape = Emit("Shape", [src], Temp(node, "shape"));
            var hw = AsInt64(node, InputRef(node, 1), "size");
            var rows = NearestIndices(node, shape, nchw ? 2 : 1, hw, 0, align, half, "rows");
            var cols = NearestIndices(node, shape, nchw ? 3 : 2, hw, 1, align, half, "cols");
            var g = Emit("Gather", [src, rows], Temp(node, "gather_rows"), Int("axis", nchw ? 2 : 1));
            if (nchw) SetNchw(node, 0, Emit("Gather", [g, cols], Fresh($"{node.Name}:0_nchw"), Int("axis", 3)));
            else SetNative(node, 0, Emit("Gather", [g, cols], OutName(node), Int("axis", 2)));
            return;
        }
        var input = InNchw(x);
        if (!nearest && DType(x) != DataType.DtFloat)
            input = Emit("Cast", [input], Temp(node, "float"), Int("to", (long)OnnxType.Float));
        // sizes = [N, C] of the input ++ [new_h, new_w].
        var nc = Emit("Slice", [Emit("Shape", [input], Temp(node, "shape")), Int64Const(node, "nc_start", [0]), Int64Const(node, "nc_end", [2])], Temp(node, "nc"));
        var sizesName = Emit("Concat", [nc, AsInt64(node, InputRef(node, 1), "hw")], Temp(node, "sizes"), Int("axis", 0));
        string mode = align ? "align_corners" : half ? (nearest ? "tf_half_pixel_for_nn" : "half_pixel") : "asymmetric";
        var attrs = new List<Protos.AttributeProto> { Str("mode", nearest ? "nearest" : "linear"), Str("coordinate_transformation_mode", mode) };
        if (nearest) attrs.Add(Str("nearest_mode", align ? "round_prefer_ceil" : "floor"));
        SetNchw(node, 0, Emit("Resize", [input, "", "", sizesName], Fresh($"{node.Name}:0_nchw"), [.. attrs]));
    }

    /// <summary>
    /// int64 source indices along one axis, as resize_nearest_neighbor_op.cc computes them: scale =
    /// (align_corners &amp;&amp; out &gt; 1) ? (in − 1)/(float)(out − 1) : in/(float)out; src = x·scale or (x + 0.5)·scale
    /// (half_pixel_centers); floor, or round half away from zero (align_corners; floor(src + 0.5) for src ≥ 0);
    /// clamped to [0, in − 1].
    /// </summary>
    private string NearestIndices(Node node, string shape, int axis, string sizes, int sizeIndex, bool align, bool half, string tag)
    {
        string T(string what) => Temp(node, tag + "_" + what);
        string F(string v) => Emit("Cast", [v], T("f"), Int("to", (long)OnnxType.Float));
        var zero = Int64Const(node, tag + "_zero", [0], scalar: true);
        var one = Int64Const(node, tag + "_one", [1], scalar: true);
        var inSize = Emit("Gather", [shape, Int64Const(node, tag + "_axis", [axis], scalar: true)], T("in"), Int("axis", 0));
        var outSize = Emit("Gather", [sizes, Int64Const(node, tag + "_index", [sizeIndex], scalar: true)], T("out"), Int("axis", 0));
        var scale = Emit("Div", [F(inSize), F(outSize)], T("scale"));
        if (align)
        {
            var alignScale = Emit("Div", [F(Emit("Sub", [inSize, one], T("in_1"))), F(Emit("Sub", [outSize, one], T("out_1")))], T("align_scale"));
            scale = Emit("Where", [Emit("Greater", [outSize, one], T("out_gt_1")), alignScale, scale], T("scale_sel"));
        }
        var positions = F(Emit("Range", [zero, outSize, one], T("range")));
        if (half) positions = Emit("Add", [positions, ScalarConst(node, tag + "_half", DataType.DtFloat, 0.5)], T("centers"));
        var source = Emit("Mul", [positions, scale], T("src"));
        if (align) source = Emit("Add", [source, ScalarConst(node, tag + "_round", DataType.DtFloat, 0.5)], T("src_round"));
        var index = Emit("Cast", [Emit("Floor", [source], T("floor"))], T("index"), Int("to", (long)OnnxType.Int64));
        var last = Emit("Sub", [inSize, one], T("last"));
        return Emit("Max", [Emit("Min", [index, last], T("min")), zero], T("clamped"));
    }
}
