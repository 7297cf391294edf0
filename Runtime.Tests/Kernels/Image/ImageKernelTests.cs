using TypedGraph.Protos;
using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.TestTensors;

namespace TypedGraph.Tests.Kernels.Image;

public class ImageKernelTests
{
    private static readonly Tensor Square = F([1, 2, 3, 4], 1, 2, 2, 1);

    private static (string Name, AttrValue Value)[] Flags(bool align, bool half) => Attrs(("align_corners", align), ("half_pixel_centers", half));

    [Fact]
    public void ResizeBilinear_LegacyAlignCornersAndHalfPixel_AsTf()
    {
        // TF1 resize_bilinear([[1,2],[3,4]], [4,4]): source x = i·0.5 clamped at the edge.
        var legacy = Compute1("ResizeBilinear", [Square, I([4, 4])], Flags(false, false));
        Assert.Equal(new TensorShape(1, 4, 4, 1), legacy.Shape);
        Assert.Equal([1f, 1.5f, 2, 2, 2, 2.5f, 3, 3, 3, 3.5f, 4, 4, 3, 3.5f, 4, 4], legacy.ToArray<float>());
        // align_corners: corners map to corners, scale (in−1)/(out−1).
        Assert.Equal([1f, 1.5f, 2, 2, 2.5f, 3, 3, 3.5f, 4], Compute1("ResizeBilinear", [Square, I([3, 3])], Flags(true, false)).ToArray<float>());
        // half_pixel_centers: x = (i + 0.5)·0.5 − 0.5 = −0.25, 0.25, 0.75, 1.25 → weights 0, .25, .75, 1 after clamping.
        float[] w = [0, 0.25f, 0.75f, 1];
        var expect = new float[16];
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 4; x++) expect[y * 4 + x] = 1 + w[x] + 2 * w[y];
        Close(expect, Compute1("ResizeBilinear", [Square, I([4, 4])], Flags(false, true)).ToArray<float>());
        // Integer input, float output (TF's kernel always produces float).
        var ints = Compute1("ResizeBilinear", [I([0, 10], 1, 1, 2, 1), I([1, 4])], Flags(false, false));
        Assert.Equal(DataType.DtFloat, ints.DType);
        Assert.Equal([0f, 5, 10, 10], ints.ToArray<float>());
        Assert.Throws<GraphExecutionException>(() => Compute1("ResizeBilinear", [Square, I([4, 4])], Flags(true, true)));
        Assert.Contains("output dimensions must be positive", Assert.Throws<GraphExecutionException>(() => Compute1("ResizeBilinear", [Square, I([0, 4])], Flags(false, false))).Message);
    }

    [Fact]
    public void ResizeNearestNeighbor_IndexRulesAsTf_KeepsDtype()
    {
        var img = I([10, 20, 30], 1, 1, 3, 1);
        // legacy 3 -> 2: floor(i·1.5) = 0, 1.
        Assert.Equal([10, 20], Compute1("ResizeNearestNeighbor", [img, I([1, 2])], Flags(false, false)).ToArray<int>());
        // half_pixel_centers 3 -> 2: floor((i + 0.5)·1.5) = 0, 2 (HalfPixelScalerForNN has no −0.5).
        Assert.Equal([10, 30], Compute1("ResizeNearestNeighbor", [img, I([1, 2])], Flags(false, true)).ToArray<int>());
        // align_corners 2 -> 3: round(i·0.5) with roundf (half away from zero) = 0, 1, 1.
        Assert.Equal([1f, 2, 2], Compute1("ResizeNearestNeighbor", [F([1, 2], 1, 1, 2, 1), I([1, 3])], Flags(true, false)).ToArray<float>());
        // legacy 2 -> 4 upsampling duplicates: 0, 0, 1, 1.
        Assert.Equal([1L, 1, 2, 2], Compute1("ResizeNearestNeighbor", [L([1, 2], 1, 1, 2, 1), I([1, 4])], Flags(false, false)).ToArray<long>());
    }

    [Fact]
    public void CropAndResize_BoxesInNormalizedCoordinates_AsTf()
    {
        var img = F(Enumerable.Range(0, 9).Select(i => (float)i).ToArray(), 1, 3, 3, 1);
        Tensor Crop(float[] box, int h, int w, string method = "bilinear", float extrapolation = 0)
            => Compute1("CropAndResize", [img, F(box, 1, 4), I([0]), I([h, w])], Attrs(("method", method), ("extrapolation_value", extrapolation)));
        Assert.Equal(Enumerable.Range(0, 9).Select(i => (float)i), Crop([0, 0, 1, 1], 3, 3).ToArray<float>()); // whole image
        Assert.Equal([4f, 5, 7, 8], Crop([0.5f, 0.5f, 1, 1], 2, 2).ToArray<float>());
        Assert.Equal([4f], Crop([0, 0, 1, 1], 1, 1).ToArray<float>()); // crop size 1 samples the box centre
        Assert.Equal([1.5f], Crop([0.25f, 0, 0.25f, 0], 1, 1).ToArray<float>()); // y = 0.5 between rows 0 and 1
        // Samples outside [0, H−1] get extrapolation_value: y/x = 0, 2, 4.
        Assert.Equal([0f, 2, -1, 6, 8, -1, -1, -1, -1], Crop([0, 0, 2, 2], 3, 3, "bilinear", -1).ToArray<float>());
        Assert.Equal([0f, 1, 3, 4], Crop([0, 0, 0.4f, 0.4f], 2, 2, "nearest").ToArray<float>()); // 0.8 rounds to 1
        Assert.Contains("box_index has values outside [0, batch_size)", Assert.Throws<GraphExecutionException>(() =>
            Compute1("CropAndResize", [img, F([0, 0, 1, 1], 1, 4), I([1]), I([2, 2])])).Message);
    }

    // TF's non_max_suppression_op_test "three clusters" boxes.
    private static readonly Tensor Boxes = F([0, 0, 1, 1, 0, 0.1f, 1, 1.1f, 0, -0.1f, 1, 0.9f, 0, 10, 1, 11, 0, 10.1f, 1, 11.1f, 0, 100, 1, 101], 6, 4);
    private static readonly Tensor Scores = F([0.9f, 0.75f, 0.6f, 0.95f, 0.5f, 0.3f]);

    [Fact]
    public void NonMaxSuppression_SelectsFromThreeClusters_WithThresholdsAndPadding()
    {
        Assert.Equal([3, 0, 5], Compute1("NonMaxSuppressionV2", [Boxes, Scores, Tensor.FromScalar(3), Tensor.FromScalar(0.5f)]).ToArray<int>());
        Assert.Equal([3, 0, 5], Compute1("NonMaxSuppression", [Boxes, Scores, Tensor.FromScalar(3)], Attrs(("iou_threshold", 0.5f))).ToArray<int>());
        Assert.Equal([3, 0], Compute1("NonMaxSuppressionV3", [Boxes, Scores, Tensor.FromScalar(6), Tensor.FromScalar(0.5f), Tensor.FromScalar(0.4f)]).ToArray<int>());
        var v4 = Compute("NonMaxSuppressionV4", [Boxes, Scores, Tensor.FromScalar(6), Tensor.FromScalar(0.5f), Tensor.FromScalar(0f)], 2, Attrs(("pad_to_max_output_size", true)));
        Assert.Equal([3, 0, 5, 0, 0, 0], v4[0].ToArray<int>());
        Assert.Equal(3, v4[1].Scalar<int>());
        // Corners may come in any order: a flipped box [1,1,0,0] is the same box as [0,0,1,1].
        Assert.Equal([1], Compute1("NonMaxSuppressionV2", [F([0, 0, 1, 1, 1, 1, 0, 0], 2, 4), F([0.5f, 0.6f]), Tensor.FromScalar(5), Tensor.FromScalar(0.5f)]).ToArray<int>());
        Assert.Contains("iou_threshold must be in [0, 1]", Assert.Throws<GraphExecutionException>(() =>
            Compute1("NonMaxSuppressionV2", [Boxes, Scores, Tensor.FromScalar(3), Tensor.FromScalar(1.5f)])).Message);
    }

    [Fact]
    public void NonMaxSuppressionV5_SoftNms_DecaysOverlappingScores()
    {
        // σ = 0.5 → weight exp(−iou²); iou(0,1) = 0.9/1.1 → 0.75·0.512 = 0.384, box 4 → 0.256, box 2 → 0.6·0.512·0.641 = 0.197
        // (hand-derived from DoNonMaxSuppressionOp; box 2 is re-examined against box 1 once that is selected).
        var r = Compute("NonMaxSuppressionV5", [Boxes, Scores, Tensor.FromScalar(6), Tensor.FromScalar(1f), Tensor.FromScalar(0f), Tensor.FromScalar(0.5f)], 3);
        Assert.Equal([3, 0, 1, 5, 4, 2], r[0].ToArray<int>());
        Close([0.95f, 0.9f, 0.384f, 0.3f, 0.256f, 0.197f], r[1].ToArray<float>(), 2e-3f);
        Assert.Equal(6, r[2].Scalar<int>());
    }
}
