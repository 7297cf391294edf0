using System.Numerics;
using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using TypedGraph.Training;

namespace TypedGraph.Tests.Training;

/// <summary>
/// MirrorPad's gradient through the new MirrorPadGrad kernel (TF's array_grad.py <c>_MirrorPadGrad</c> /
/// <c>_MirrorPadGradGrad</c>; the kernel after mirror_pad_op.cc): central differences in both modes, the fold checked
/// as MirrorPad's adjoint (⟨MirrorPad u, v⟩ = ⟨u, MirrorPadGrad v⟩ on random u, v), TF's documented example, an
/// int32 fold, and TF's padding errors.
/// </summary>
public class MirrorPadGradientTests
{
    private static Output Pad(GraphBuilder b, string op, Output x, int[] pads, string mode)
        => GradientProbe.Op(b, op, [x, b.Constant(Tensor.Create(pads, pads.Length / 2, 2), "paddings")], new() { ["mode"] = Attrs.String(mode) });

    [Theory]
    [InlineData("REFLECT")]
    [InlineData("SYMMETRIC")]
    public void MirrorPad_gradient_matches_central_differences(string mode)
        => CentralDifferences.CheckGraphGradient((b, x) => Pad(b, "MirrorPad", x, [1, 2, 2, 1], mode), GradientProbe.Values(12, mode.Length), [3, 4]);

    [Theory]
    [InlineData("REFLECT")]
    [InlineData("SYMMETRIC")]
    public void MirrorPadGrad_gradient_matches_central_differences(string mode)
        => CentralDifferences.CheckGraphGradient((b, x) => Pad(b, "MirrorPadGrad", x, [1, 2, 0, 1, 2, 0], mode), GradientProbe.Values(90, 3), [6, 3, 5]);

    [Theory]
    [InlineData("REFLECT", new[] { 2, 1, 0, 2 })]
    [InlineData("SYMMETRIC", new[] { 3, 0, 1, 3 })]
    public void Fold_is_the_adjoint_of_MirrorPad(string mode, int[] pads)
    {
        var u = GradientProbe.Values(12, 7);
        int rows = 3 + pads[0] + pads[1], cols = 4 + pads[2] + pads[3];
        var v = GradientProbe.Values(rows * cols, 8);
        var b = new GraphBuilder();
        var padded = Pad(b, "MirrorPad", b.Constant(Tensor.Create(u, 3, 4), "u"), pads, mode);
        var folded = Pad(b, "MirrorPadGrad", b.Constant(Tensor.Create(v, rows, cols), "v"), pads, mode);
        using var s = new Session(b.Graph);
        var pu = s.Run(padded.Name).ToArray<double>();
        var fv = s.Run(folded.Name);
        Assert.Equal([3, 4], fv.Shape.ToArray());
        double lhs = pu.Zip(v, (p, q) => p * q).Sum();
        double rhs = u.Zip(fv.ToArray<double>(), (p, q) => p * q).Sum();
        Assert.Equal(lhs, rhs, 1e-12);
    }

    [Fact]
    public void Fold_matches_TFs_documented_example_in_int32()
    {
        // raw_ops.MirrorPadGrad doc: [[1,2,3],[4,5,6],[7,8,9]], paddings [[0,1],[0,1]], SYMMETRIC → [[1,5],[11,28]].
        var b = new GraphBuilder();
        var y = Pad(b, "MirrorPadGrad", b.Constant(Tensor.Create(new[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, 3, 3), "t"), [0, 1, 0, 1], "SYMMETRIC");
        using var s = new Session(b.Graph);
        var r = s.Run(y.Name);
        Assert.Equal([2, 2], r.Shape.ToArray());
        Assert.Equal([1, 5, 11, 28], r.ToArray<int>());
    }

    [Theory]
    [InlineData("REFLECT", new[] { 2, 0 }, "paddings must be less than the output dimension size: 2, 0 not less than 2")]
    [InlineData("SYMMETRIC", new[] { 3, 0 }, "paddings must be no greater than the output dimension size: 3, 0 greater than 1")]
    [InlineData("SYMMETRIC", new[] { -1, 0 }, "Paddings must be non-negative: -1, 0")]
    public void Bad_paddings_fail_with_TFs_message_naming_the_node(string mode, int[] pads, string message)
    {
        var b = new GraphBuilder();
        var y = Pad(b, "MirrorPadGrad", b.Constant(Tensor.Create(GradientProbe.Values(4, 1), 4), "t"), pads, mode);
        using var s = new Session(b.Graph);
        var e = Assert.ThrowsAny<Exception>(() => s.Run(y.Name));
        Assert.Contains(message, e.Message);
        Assert.Contains("MirrorPadGrad", e.Message);
    }
}

/// <summary>
/// ExtractImagePatches' gradient (TF's array_grad.py <c>_ExtractImagePatchesGrad</c>, its sparse index product built
/// as an UnsortedSegmentSum): central differences over VALID/SAME padding, strides, rates, batch and depth, and an
/// unknown-dims input.
/// </summary>
public class ExtractImagePatchesGradientTests
{
    private static Output Patches(GraphBuilder b, Output x, int k, int stride, int rate, string padding) => GradientProbe.Op(b, "ExtractImagePatches", [x], new()
    {
        ["ksizes"] = Attrs.Ints([1, k, k, 1]),
        ["strides"] = Attrs.Ints([1, stride, stride, 1]),
        ["rates"] = Attrs.Ints([1, rate, rate, 1]),
        ["padding"] = Attrs.String(padding),
    });

    [Theory]
    [InlineData(2, 1, 1, "VALID")]
    [InlineData(3, 2, 1, "SAME")]
    [InlineData(2, 1, 2, "VALID")]
    [InlineData(2, 3, 2, "SAME")]
    public void Gradient_matches_central_differences(int k, int stride, int rate, string padding)
        => CentralDifferences.CheckGraphGradient((b, x) => Patches(b, x, k, stride, rate, padding), GradientProbe.Values(2 * 5 * 4 * 2, k + stride), [2, 5, 4, 2]);

    [Fact]
    public void Gradient_with_unknown_dims_matches_central_differences()
        => CentralDifferences.CheckGraphGradient((b, x) => Patches(b, x, 2, 1, 1, "SAME"), GradientProbe.Values(18, 3), [1, 3, 3, 2], placeholderShape: [-1, -1, -1, 2]);

    [Fact]
    public void Each_pixel_gets_the_sum_over_the_patches_that_copied_it()
    {
        // 1×3×3×1 image, 2×2 VALID patches, stride 1: the centre pixel is in all four patches, corners in one.
        var w = Enumerable.Range(1, 16).Select(i => (double)i).ToArray();
        var g = GradientProbe.Gradient((b, x) => Patches(b, x, 2, 1, 1, "VALID"), new double[9], [1, 3, 3, 1], w, [1, 2, 2, 4]);
        // Patch p (row-major over 2×2 positions) holds pixels (r, c)…(r+1, c+1) as entries 4p…4p+3.
        var expected = new double[9];
        for (int p = 0; p < 4; p++)
            for (int e = 0; e < 4; e++) expected[(p / 2 + e / 2) * 3 + p % 2 + e % 2] += w[4 * p + e];
        Assert.Equal(expected, g);
    }
}

/// <summary>
/// TensorList gather/scatter gradients (TF's list_ops.py <c>_TensorListGatherGrad</c>, <c>_TensorListScatterGrad</c>,
/// <c>_TensorListScatterIntoExistingListGrad</c>): central differences through FromTensor/Stack, a repeated gather
/// index keeping the last gradient (TF's overwriting scatter), and the overwritten slots of an existing list getting no gradient.
/// </summary>
public class ListGatherScatterGradientTests
{
    private static Dictionary<string, AttrValue> Elem(bool shapeType = false)
    {
        var d = new Dictionary<string, AttrValue> { ["element_dtype"] = Attrs.Type(DataType.DtDouble) };
        if (shapeType) d["shape_type"] = Attrs.Type(DataType.DtInt32);
        return d;
    }

    private static Output FromTensor(GraphBuilder b, Output t, int[] elementShape)
        => GradientProbe.Op(b, "TensorListFromTensor", [t, b.Constant(elementShape, "element_shape")], Elem(true));

    private static Output Stack(GraphBuilder b, Output list, int[] elementShape)
        => GradientProbe.Op(b, "TensorListStack", [list, b.Constant(elementShape, "stack_shape")], Elem());

    [Fact]
    public void Gather_gradient_matches_central_differences()
        => CentralDifferences.CheckGraphGradient((b, x) => GradientProbe.Op(b, "TensorListGather",
            [FromTensor(b, x, [2]), b.Constant(new[] { 2, 0 }, "indices"), b.Constant(new[] { 2 }, "es")], Elem()), GradientProbe.Values(6, 2), [3, 2]);

    [Fact]
    public void Gather_gradient_with_a_repeated_index_keeps_the_last_as_TFs_scatter()
    {
        // TF's _TensorListGatherGrad scatters into a reserved list with TensorListScatterIntoExistingList, which
        // overwrites: row 2, gathered at positions 0 and 2, gets only position 2's gradient (5, 6), not the sum.
        double[] w = [1, 2, 3, 4, 5, 6];
        var g = GradientProbe.Gradient((b, x) => GradientProbe.Op(b, "TensorListGather",
            [FromTensor(b, x, [2]), b.Constant(new[] { 2, 0, 2 }, "indices"), b.Constant(new[] { 2 }, "es")], Elem()), GradientProbe.Values(6, 1), [3, 2], w, [3, 2]);
        Assert.Equal([3.0, 4, 0, 0, 5, 6], g);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Scatter_gradient_gathers_the_list_gradient(bool v2)
        => CentralDifferences.CheckGraphGradient((b, x) =>
        {
            var idx = b.Constant(new[] { 3, 0, 1 }, "indices");
            var es = b.Constant(new[] { 2 }, "element_shape");
            var list = v2
                ? GradientProbe.Op(b, "TensorListScatterV2", [x, idx, es, b.Constant(5, "num_elements")], Elem(true))
                : GradientProbe.Op(b, "TensorListScatter", [x, idx, es], Elem(true));
            return Stack(b, list, [2]);
        }, GradientProbe.Values(6, 3), [3, 2]);

    [Fact]
    public void Scatter_into_existing_list_gives_overwritten_slots_no_gradient()
    {
        // x = [base rows 0..3 | update rows 4..5]; updates land on slots 1 and 3 of the base list.
        Output F(GraphBuilder b, Output x)
        {
            var rows = b.Unstack(b.Reshape(x, [6, 2], "rows"), 6);
            var list = FromTensor(b, b.Stack(rows[..4], 0, "base"), [2]);
            var updates = b.Multiply(b.Stack(rows[4..], 0, "updates"), 3.0, "scaled");
            var scattered = GradientProbe.Op(b, "TensorListScatterIntoExistingList", [list, updates, b.Constant(new[] { 3, 1 }, "indices")], Elem());
            return Stack(b, scattered, [2]);
        }
        var w = Enumerable.Range(1, 8).Select(i => (double)i).ToArray();
        var g = GradientProbe.Gradient(F, GradientProbe.Values(12, 4), [12], w, [4, 2]);
        // Slots 0, 2 keep base rows 0, 2; slots 1, 3 take updates 1, 0 (×3); base rows 1, 3 are overwritten.
        Assert.Equal([1.0, 2, 0, 0, 5, 6, 0, 0, 3 * 7, 3 * 8, 3 * 3, 3 * 4], g);
        CentralDifferences.CheckGraphGradient(F, GradientProbe.Values(12, 5), [12]);
    }
}

/// <summary>
/// Array-op gradients from TF's array_grad.py: ConjugateTranspose (real and complex, constant and fed perm),
/// StridedSliceGrad (second order), TensorScatterMax/Min (ties shared between the tensor element and the update, as
/// <c>_TensorScatterMinOrMaxGrad</c>) and ResourceGatherNd (dense, and row slices for [N, 1] indices).
/// </summary>
public class ArrayBreadthGradientTests
{
    [Fact]
    public void ConjugateTranspose_gradient_matches_central_differences()
    {
        CentralDifferences.CheckGraphGradient((b, x) => GradientProbe.Op(b, "ConjugateTranspose", [x, b.Constant(new[] { 2, 0, 1 }, "perm")]), GradientProbe.Values(24, 1), [2, 3, 4]);
        ComplexGradientTests.Check((b, x) => GradientProbe.Op(b, "ConjugateTranspose", [x, b.Constant(new[] { 1, 0 }, "perm")]), ComplexGradientTests.Random(6, 12), [2, 3]);
    }

    [Fact]
    public void StridedSliceGrad_gradient_is_the_strided_slice()
        => CentralDifferences.CheckGraphGradient((b, dy) => GradientProbe.Op(b, "StridedSliceGrad",
            [b.Constant(new[] { 5, 4 }, "shape"), b.Constant(new[] { 4, 0 }, "begin"), b.Constant(new[] { 0, 4 }, "end"), b.Constant(new[] { -2, 3 }, "strides"), dy],
            new() { ["begin_mask"] = Attrs.Int(0), ["end_mask"] = Attrs.Int(0), ["ellipsis_mask"] = Attrs.Int(0), ["new_axis_mask"] = Attrs.Int(0), ["shrink_axis_mask"] = Attrs.Int(0) }),
            GradientProbe.Values(4, 2), [2, 2]);

    private static Output Scatter(GraphBuilder b, string op, Output x, double[] updates)
        => GradientProbe.Op(b, op, [x, b.Constant(Tensor.Create(new[] { 1, 3, 4 }, 3, 1), "indices"), b.Constant(Tensor.Create(updates, 3), "updates")]);

    [Theory]
    [InlineData("TensorScatterMax")]
    [InlineData("TensorScatterMin")]
    public void TensorScatter_extremum_gradient_matches_central_differences(string op)
    {
        CentralDifferences.CheckGraphGradient((b, x) => Scatter(b, op, x, [0.3, -0.4, 1.1]), GradientProbe.Values(5, op.Length), [5]);
        // The updates as the variable.
        var x0 = GradientProbe.Values(5, 9);
        CentralDifferences.CheckGraphGradient((b, u) => GradientProbe.Op(b, op, [b.Constant(Tensor.Create(x0, 5), "x"), b.Constant(Tensor.Create(new[] { 1, 3, 4 }, 3, 1), "indices"), u]),
            GradientProbe.Values(3, 10), [3]);
    }

    [Fact]
    public void TensorScatterMax_tie_shares_the_gradient_between_tensor_and_update()
    {
        // x = [1, 5, 3, 2, 0], updates [5, 2, -1] at 1, 3, 4: slot 1 ties (5 = 5), slot 3 keeps x, slot 4 keeps x.
        double[] w = [1, 2, 3, 4, 5];
        var gx = GradientProbe.Gradient((b, x) => Scatter(b, "TensorScatterMax", x, [5, 2, -1]), [1, 5, 3, 2, 0], [5], w, [5]);
        Assert.Equal([1.0, 1, 3, 2, 5], gx);
        var gu = GradientProbe.Gradient((b, u) => GradientProbe.Op(b, "TensorScatterMax",
            [b.Constant(Tensor.Create(new double[] { 1, 5, 3, 2, 0 }, 5), "x"), b.Constant(Tensor.Create(new[] { 1, 3, 4 }, 3, 1), "indices"), u]), [5, 2, -1], [3], w, [5]);
        Assert.Equal([1.0, 2, 0], gu);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ResourceGatherNd_gradient_scatters_into_the_variable_shape(bool rowIndices)
    {
        var b = new GraphBuilder();
        var v = b.ResourceVariable([4, 3], new ConstantInitializer(0.5), "v", DataType.DtDouble);
        int[] idx = rowIndices ? [2, 0, 2] : [2, 1, 0, 0, 2, 1];
        var indices = b.Constant(Tensor.Create(idx, 3, rowIndices ? 1 : 2), "indices");
        var gathered = b.OutputOf(b.AddOperation("ResourceGatherNd", [v.Ref, indices], new Dictionary<string, AttrValue> { ["dtype"] = Attrs.Type(DataType.DtDouble) }, "ResourceGatherNd"));
        var w = GradientProbe.Values(rowIndices ? 9 : 3, 11);
        var weights = b.Constant(Tensor.Create(w, rowIndices ? new[] { 3, 3 } : new[] { 3 }), "w");
        var loss = b.ReduceSum(b.Reshape(b.Multiply(gathered, weights), [-1]), [0]);
        var g = Gradients.Compute(b, [loss], [v.Ref])[0]!.Value;
        b.GlobalVariablesInitializer();
        using var s = new Session(b.Graph);
        s.Initialize();
        var expected = new double[12];
        for (int i = 0; i < 3; i++)
        {
            if (rowIndices) for (int k = 0; k < 3; k++) expected[idx[i] * 3 + k] += w[3 * i + k];
            else expected[idx[2 * i] * 3 + idx[2 * i + 1]] += w[i];
        }
        GradientProbe.AssertClose(expected, s.Run(g.Name).ToArray<double>());
        Assert.Equal(rowIndices, SparseGradients.TryGet(b, g, out _));
    }
}

/// <summary>MaxPoolV2's gradient (nn_grad.py <c>_MaxPoolGradV2</c>): the window maxima, found here by loops, get the
/// output gradient; SAME padding with overlapping windows accumulates; fed ksize is refused naming the node.</summary>
public class MaxPoolV2GradientTests
{
    [Theory]
    [InlineData(2, 2, "VALID")]
    [InlineData(3, 2, "SAME")]
    public void Gradient_goes_to_each_window_maximum(int k, int stride, string padding)
    {
        const int H = 5, W = 4;
        var x = GradientProbe.Values(H * W, k + stride).Select(v => (float)v).ToArray();
        var b = new GraphBuilder();
        var input = b.Placeholder(DataType.DtFloat, [1, H, W, 1], "x");
        var y = b.OutputOf(b.AddOperation("MaxPoolV2", [input, b.Constant(new[] { 1, k, k, 1 }, "ksize"), b.Constant(new[] { 1, stride, stride, 1 }, "strides")],
            new Dictionary<string, AttrValue> { ["padding"] = Attrs.String(padding) }, "MaxPoolV2"));
        int oh = padding == "VALID" ? (H - k) / stride + 1 : (H + stride - 1) / stride;
        int ow = padding == "VALID" ? (W - k) / stride + 1 : (W + stride - 1) / stride;
        var w = Enumerable.Range(1, oh * ow).Select(i => (float)i).ToArray();
        var loss = b.ReduceSum(b.Reshape(b.Multiply(y, b.Constant(w, [1, oh, ow, 1], "w")), [-1]), [0]);
        var g = Gradients.Compute(b, [loss], [input])[0]!.Value;
        using var s = new Session(b.Graph);
        var actual = s.Run(g.Name, ("x:0", Tensor.Create(x, 1, H, W, 1))).ToArray<float>();
        // SAME: TF pads (out − 1)·stride + k − in in total, the smaller half before.
        int padTop = padding == "VALID" ? 0 : Math.Max((oh - 1) * stride + k - H, 0) / 2;
        int padLeft = padding == "VALID" ? 0 : Math.Max((ow - 1) * stride + k - W, 0) / 2;
        var expected = new float[H * W];
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
            {
                int best = -1;
                for (int dy = 0; dy < k; dy++)
                    for (int dx = 0; dx < k; dx++)
                    {
                        int iy = oy * stride - padTop + dy, ix = ox * stride - padLeft + dx;
                        if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                        if (best < 0 || x[iy * W + ix] > x[best]) best = iy * W + ix;
                    }
                expected[best] += w[oy * ow + ox];
            }
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Fed_ksize_is_refused_naming_the_node()
    {
        var b = new GraphBuilder();
        var input = b.Placeholder(DataType.DtFloat, [1, 4, 4, 1], "x");
        var ksize = b.Placeholder(DataType.DtInt32, [4], "ksize");
        var y = b.OutputOf(b.AddOperation("MaxPoolV2", [input, ksize, b.Constant(new[] { 1, 2, 2, 1 }, "strides")],
            new Dictionary<string, AttrValue> { ["padding"] = Attrs.String("VALID") }, "pool"));
        var e = Assert.Throws<NotSupportedException>(() => Gradients.Compute(b, [b.ReduceSum(b.Reshape(y, [-1]), [0])], [input]));
        Assert.Contains("'pool' (MaxPoolV2)", e.Message);
    }
}
