using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Training;
using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.TestTensors;

namespace TypedGraph.Tests.Kernels.Image;

/// <summary>
/// CropAndResizeGradImage / CropAndResizeGradBoxes (crop_and_resize_op.cc) and the CropAndResize gradient of
/// image_grad.py. With extrapolation_value 0 the crop is linear in the image, so the image gradient must be the
/// transpose of the forward (basis-image columns); the box gradient is checked against central differences of the
/// forward at boxes whose samples stay inside one pixel cell under the perturbation, and against a derivative written
/// here from the bilinear formula.
/// </summary>
public class CropAndResizeGradientTests
{
    // image 2 x 5 x 6 x 2; boxes chosen so that no sample lies within 0.01 of a pixel line (in- and partly outside).
    private const int Batch = 2, H = 5, W = 6, C = 2;
    private static readonly float[] Boxes =
    [
        0.13f, 0.21f, 0.77f, 0.93f,   // inside
        0.9f, 0.85f, 0.22f, 0.31f,    // flipped (y2 < y1, x2 < x1): TF samples it backwards
        -0.3f, 0.45f, 0.62f, 1.27f,   // partly outside: some samples get extrapolation_value and no gradient
    ];
    private static readonly int[] BoxInd = [1, 0, 1];

    private static float[] Image() => Enumerable.Range(0, Batch * H * W * C).Select(i => (float)Math.Sin(i * 0.37) * 3).ToArray();

    [Theory]
    [InlineData("bilinear", 3, 4)]
    [InlineData("bilinear", 1, 1)]
    [InlineData("nearest", 3, 4)]
    [InlineData("bilinear", 4, 1)]
    public void GradImage_IsTransposeOfForwardCrop(string method, int cropH, int cropW)
    {
        var g = RandomFloats(new Random(cropH * 10 + cropW), Boxes.Length / 4 * cropH * cropW * C);
        var grad = Compute1("CropAndResizeGradImage", [F(g, Boxes.Length / 4, cropH, cropW, C), F(Boxes, 3, 4), I(BoxInd), I([Batch, H, W, C])],
            Attrs(("method", method), ("T", DataType.DtFloat)));
        Assert.Equal(new TensorShape(Batch, H, W, C), grad.Shape);
        var actual = grad.ToArray<float>();
        Assert.Contains(actual, v => v != 0);
        for (int i = 0; i < actual.Length; i++)
        {
            var basis = new float[actual.Length];
            basis[i] = 1;
            var column = Compute1("CropAndResize", [F(basis, Batch, H, W, C), F(Boxes, 3, 4), I(BoxInd), I([cropH, cropW])], Attrs(("method", method))).ToArray<float>();
            double expected = 0;
            for (int k = 0; k < column.Length; k++) expected += (double)column[k] * g[k];
            Assert.True(Math.Abs(expected - actual[i]) <= 1e-5 * Math.Max(1, Math.Abs(expected)), $"{method} element {i}: Aᵀg = {expected}, kernel {actual[i]}");
        }
    }

    [Fact]
    public void GradImage_HalfAccumulatesInHalf_DoubleCastsFloatProducts()
    {
        // One 1x1 crop at the centre of a 1x3x3x1 image samples pixel (1,1) exactly; three identical boxes add 3 times.
        var g = F([2048, 1, 1], 3, 1, 1, 1);
        var boxes = F([0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1], 3, 4);
        var half = Compute1("CropAndResizeGradImage", [g, boxes, I([0, 0, 0]), I([1, 3, 3, 1])], Attrs(("T", DataType.DtHalf)));
        Assert.Equal(DataType.DtHalf, half.DType);
        Assert.Equal((Half)2048, half.ToArray<Half>()[4]); // 2048 + 1 rounds back to 2048 in half, twice
        var dbl = Compute1("CropAndResizeGradImage", [g, boxes, I([0, 0, 0]), I([1, 3, 3, 1])], Attrs(("T", DataType.DtDouble)));
        Assert.Equal(2050.0, dbl.ToArray<double>()[4]);
        Assert.Equal(8, dbl.ToArray<double>().Count(v => v == 0));
    }

    /// <summary>d crop / d (y1, x1, y2, x2) from the bilinear formula: the sample at in_y = y1(H−1) + y(y2−y1)(H−1)/(ch−1)
    /// moves with dy1 = (H−1)(1 − y/(ch−1)), dy2 = (H−1)·y/(ch−1) (both (H−1)/2 for one row), and the bilinear value's
    /// slope along y is (1−lx)(bl−tl) + lx(br−tr).</summary>
    private static double[] BoxGradReference(float[] image, float[] g, int cropH, int cropW)
    {
        var result = new double[Boxes.Length];
        for (int b = 0; b < Boxes.Length / 4; b++)
        {
            double y1 = Boxes[b * 4], x1 = Boxes[b * 4 + 1], y2 = Boxes[b * 4 + 2], x2 = Boxes[b * 4 + 3];
            for (int y = 0; y < cropH; y++)
                for (int x = 0; x < cropW; x++)
                {
                    double ty = cropH > 1 ? (double)y / (cropH - 1) : 0.5, tx = cropW > 1 ? (double)x / (cropW - 1) : 0.5;
                    double inY = (y1 + (y2 - y1) * ty) * (H - 1), inX = (x1 + (x2 - x1) * tx) * (W - 1);
                    if (inY < 0 || inY > H - 1 || inX < 0 || inX > W - 1) continue;
                    int top = (int)Math.Floor(inY), left = (int)Math.Floor(inX);
                    int bottom = Math.Min(top + 1, H - 1), right = Math.Min(left + 1, W - 1);
                    double ly = inY - top, lx = inX - left;
                    for (int c = 0; c < C; c++)
                    {
                        double P(int yy, int xx) => image[((BoxInd[b] * H + yy) * W + xx) * C + c];
                        double slopeY = (1 - lx) * (P(bottom, left) - P(top, left)) + lx * (P(bottom, right) - P(top, right));
                        double slopeX = (1 - ly) * (P(top, right) - P(top, left)) + ly * (P(bottom, right) - P(bottom, left));
                        double gv = g[((b * cropH + y) * cropW + x) * C + c];
                        result[b * 4] += gv * slopeY * (H - 1) * (1 - ty);
                        result[b * 4 + 2] += gv * slopeY * (H - 1) * ty;
                        result[b * 4 + 1] += gv * slopeX * (W - 1) * (1 - tx);
                        result[b * 4 + 3] += gv * slopeX * (W - 1) * tx;
                    }
                }
        }
        return result;
    }

    [Theory]
    [InlineData(3, 4)]
    [InlineData(1, 1)]
    [InlineData(2, 5)]
    public void GradBoxes_MatchesBilinearDerivativeAndCentralDifferences(int cropH, int cropW)
    {
        var image = Image();
        var g = RandomFloats(new Random(cropH + 7 * cropW), Boxes.Length / 4 * cropH * cropW * C);
        var actual = Compute1("CropAndResizeGradBoxes", [F(g, Boxes.Length / 4, cropH, cropW, C), F(image, Batch, H, W, C), F(Boxes, 3, 4), I(BoxInd)]).ToArray<float>();
        var reference = BoxGradReference(image, g, cropH, cropW);
        for (int i = 0; i < actual.Length; i++)
            Assert.True(Math.Abs(reference[i] - actual[i]) <= 1e-4 * Math.Max(1, Math.Abs(reference[i])), $"box coordinate {i}: reference {reference[i]}, kernel {actual[i]}");
        // Central differences of Σ g·crop(boxes) in float, step 1e-3 (samples stay inside their pixel cell).
        const float h = 1e-3f;
        double Loss(float[] boxes)
        {
            var crop = Compute1("CropAndResize", [F(image, Batch, H, W, C), F(boxes, 3, 4), I(BoxInd), I([cropH, cropW])]).ToArray<float>();
            double s = 0;
            for (int k = 0; k < crop.Length; k++) s += (double)crop[k] * g[k];
            return s;
        }
        for (int i = 0; i < Boxes.Length; i++)
        {
            var p = (float[])Boxes.Clone();
            var m = (float[])Boxes.Clone();
            p[i] += h;
            m[i] -= h;
            double numeric = (Loss(p) - Loss(m)) / ((double)p[i] - m[i]);
            Assert.True(Math.Abs(numeric - actual[i]) <= 2e-3 * Math.Max(1, Math.Abs(numeric)), $"box coordinate {i}: numeric {numeric}, kernel {actual[i]}");
        }
    }

    [Fact]
    public void GradKernels_RejectWhatTfRejects()
    {
        var g = F(new float[8], 1, 2, 2, 2);
        var box = F([0, 0, 1, 1], 1, 4);
        Assert.Contains("box_index has values outside [0, batch_size)", Assert.Throws<GraphExecutionException>(() =>
            Compute1("CropAndResizeGradImage", [g, box, I([1]), I([1, 3, 3, 2])])).Message);
        Assert.Contains("image_size and grads are incompatible", Assert.Throws<GraphExecutionException>(() =>
            Compute1("CropAndResizeGradImage", [g, box, I([0]), I([1, 3, 3, 3])])).Message);
        Assert.Contains("image_size must have 4 elements", Assert.Throws<GraphExecutionException>(() =>
            Compute1("CropAndResizeGradImage", [g, box, I([0]), I([3, 3, 2])])).Message);
        Assert.Contains("boxes must have 4 columns", Assert.Throws<GraphExecutionException>(() =>
            Compute1("CropAndResizeGradBoxes", [g, F(new float[18], 1, 3, 3, 2), F([0, 0, 1], 1, 3), I([0])])).Message);
        Assert.Contains("image, grads depth differ", Assert.Throws<GraphExecutionException>(() =>
            Compute1("CropAndResizeGradBoxes", [g, F(new float[9], 1, 3, 3, 1), box, I([0])])).Message);
        Assert.Contains("boxes and grads have incompatible shape", Assert.Throws<GraphExecutionException>(() =>
            Compute1("CropAndResizeGradBoxes", [g, F(new float[18], 1, 3, 3, 2), F([0, 0, 1, 1, 0, 0, 1, 1], 2, 4), I([0, 0])])).Message);
        Assert.Contains("method must be 'bilinear'", Assert.Throws<GraphExecutionException>(() =>
            Compute1("CropAndResizeGradBoxes", [g, F(new float[18], 1, 3, 3, 2), box, I([0])], Attrs(("method", "nearest")))).Message);
        Assert.Contains("not finite", Assert.Throws<GraphExecutionException>(() =>
            Compute1("CropAndResize", [F(new float[18], 1, 3, 3, 2), F([0, float.NaN, 1, 1], 1, 4), I([0]), I([2, 2])])).Message);
    }

    [Fact]
    public void RegisteredGradient_ImageAndBoxes_MatchCentralDifferences_NoneForIndices()
    {
        var b = new GraphBuilder();
        var image = b.Placeholder(DataType.DtDouble, [Batch, H, W, C], "image");
        var boxes = b.Placeholder(DataType.DtFloat, [3, 4], "boxes");
        var boxInd = b.Constant(BoxInd, "box_ind");
        var crop = b.OutputOf(b.AddOperation("CropAndResize", [image, boxes, boxInd, b.Constant(new[] { 3, 4 })], null, "crop"));
        var w = b.Placeholder(DataType.DtDouble, null, "w");
        var loss = b.ReduceSum(b.Reshape(b.Multiply(b.Cast(crop, DataType.DtDouble), w), [-1]), [0]);
        var grads = Gradients.Compute(b, [loss], [image, boxes, boxInd]);
        Assert.Null(grads[2]);
        Assert.Equal(DataType.DtDouble, grads[0]!.Value.BaseType);
        using var s = new Session(b.Graph);
        var img = Array.ConvertAll(Image(), v => (double)v);
        var wv = Tensor.Create(Array.ConvertAll(RandomFloats(new Random(3), 3 * 3 * 4 * C), v => (double)v), 3, 3, 4, C);
        (string, Tensor)[] Feeds(double[] im, float[] bx) => [("image:0", Tensor.Create(im, Batch, H, W, C)), ("boxes:0", F(bx, 3, 4)), ("w:0", wv)];
        var r = s.Run([grads[0]!.Value.Name, grads[1]!.Value.Name], Feeds(img, Boxes).ToDictionary(f => f.Item1, f => f.Item2));
        var gImage = r[0].ToArray<double>();
        var gBoxes = r[1].ToArray<float>();
        double L(double[] im, float[] bx) => s.Run(loss.Name, Feeds(im, bx)).Scalar<double>();
        for (int i = 0; i < img.Length; i += 7) // linear in the image: a wide step is exact up to float rounding
        {
            var p = (double[])img.Clone(); p[i] += 0.5;
            var m = (double[])img.Clone(); m[i] -= 0.5;
            double numeric = (L(p, Boxes) - L(m, Boxes)) / 1.0;
            Assert.True(Math.Abs(numeric - gImage[i]) <= 1e-4 * Math.Max(1, Math.Abs(numeric)), $"image element {i}: numeric {numeric}, analytic {gImage[i]}");
        }
        for (int i = 0; i < Boxes.Length; i++)
        {
            var p = (float[])Boxes.Clone(); p[i] += 1e-3f;
            var m = (float[])Boxes.Clone(); m[i] -= 1e-3f;
            double numeric = (L(img, p) - L(img, m)) / ((double)p[i] - m[i]);
            Assert.True(Math.Abs(numeric - gBoxes[i]) <= 5e-3 * Math.Max(1, Math.Abs(numeric)), $"box coordinate {i}: numeric {numeric}, analytic {gBoxes[i]}");
        }
    }
}
