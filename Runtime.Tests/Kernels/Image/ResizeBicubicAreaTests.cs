using TypedGraph.Protos;
using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.TestTensors;

namespace TypedGraph.Tests.Kernels.Image;

/// <summary>ResizeBicubic and ResizeArea against naive reference loops written from TF's formulas
/// (resize_bicubic_op.cc, resize_area_op.cc), computed here in double without TF's caching.</summary>
public class ResizeBicubicAreaTests
{
    private static (string Name, AttrValue Value)[] Flags(bool align, bool half) => Attrs(("align_corners", align), ("half_pixel_centers", half));

    private static float Scale(int inSize, int outSize, bool align) => align && outSize > 1 ? (inSize - 1) / (float)(outSize - 1) : inSize / (float)outSize;

    // Cubic convolution kernel with parameter a (Keys 1981), evaluated exactly.
    private static double Cubic(double d, double a)
    {
        d = Math.Abs(d);
        return d <= 1 ? ((a + 2) * d - (a + 3)) * d * d + 1 : d < 2 ? ((a * d - 5 * a) * d + 8 * a) * d - 4 * a : 0;
    }

    // The four taps of one output coordinate: TF rounds the fraction to 1/1024 (its table), legacy clamps taps into the
    // image with their weights, half_pixel_centers (Keys, a = −0.5) drops taps outside and renormalizes.
    private static (int[] Index, double[] Weight) Taps(int outLoc, float scale, int inSize, bool half)
    {
        float pos = half ? (outLoc + 0.5f) * scale - 0.5f : outLoc * scale;
        int fl = (int)Math.Floor(pos);
        double frac = Math.Round((double)(pos - fl) * 1024, MidpointRounding.ToEven) / 1024;
        double a = half ? -0.5 : -0.75;
        var idx = new int[4];
        var w = new double[4];
        for (int k = 0; k < 4; k++)
        {
            int src = fl - 1 + k;
            idx[k] = Math.Clamp(src, 0, inSize - 1);
            w[k] = half && idx[k] != src ? 0 : Cubic(frac - (k - 1), a);
        }
        if (half) { double s = w.Sum(); for (int k = 0; k < 4; k++) w[k] /= s; }
        return (idx, w);
    }

    private static float[] ReferenceBicubic(float[] img, int b, int h, int w, int c, int oh, int ow, bool align, bool half)
    {
        var r = new float[b * oh * ow * c];
        for (int n = 0; n < b; n++)
            for (int y = 0; y < oh; y++)
            {
                var (iy, wy) = Taps(y, Scale(h, oh, align), h, half);
                for (int x = 0; x < ow; x++)
                {
                    var (ix, wx) = Taps(x, Scale(w, ow, align), w, half);
                    for (int ch = 0; ch < c; ch++)
                    {
                        double sum = 0;
                        for (int i = 0; i < 4; i++)
                            for (int j = 0; j < 4; j++) sum += wy[i] * wx[j] * img[((n * h + iy[i]) * w + ix[j]) * c + ch];
                        r[((n * oh + y) * ow + x) * c + ch] = (float)sum;
                    }
                }
            }
        return r;
    }

    [Fact]
    public void ResizeBicubic_Legacy3x3To6x6_EqualsTfOutput()
    {
        // tf.image.resize_bicubic(0..8 as [1,3,3,1], [6,6]) printed by TF 1.x (quoted in the bicubic_interp-tensorflow
        // README); fractions are 0 or 0.5, so a = −0.75 gives exact binary fractions.
        var r = Compute1("ResizeBicubic", [F(Enumerable.Range(0, 9).Select(i => (float)i).ToArray(), 1, 3, 3, 1), I([6, 6])], Flags(false, false));
        Assert.Equal(new TensorShape(1, 6, 6, 1), r.Shape);
        float[] expected =
        [
            0f, 0.40625f, 1f, 1.59375f, 2f, 2.09375f,
            1.21875f, 1.625f, 2.21875f, 2.8125f, 3.21875f, 3.3125f,
            3f, 3.40625f, 4f, 4.59375f, 5f, 5.09375f,
            4.78125f, 5.1875f, 5.78125f, 6.375f, 6.78125f, 6.875f,
            6f, 6.40625f, 7f, 7.59375f, 8f, 8.09375f,
            6.28125f, 6.6875f, 7.28125f, 7.875f, 8.28125f, 8.375f,
        ];
        Close(expected, r.ToArray<float>(), 1e-6f);
    }

    [Theory]
    [InlineData(2, 5, 7, 3, 9, 4, false, false)] // upscale rows, downscale columns
    [InlineData(2, 5, 7, 3, 9, 4, true, false)]
    [InlineData(2, 5, 7, 3, 9, 4, false, true)]
    [InlineData(1, 8, 8, 2, 3, 5, false, true)] // downscale both
    [InlineData(1, 8, 8, 2, 3, 5, true, false)]
    [InlineData(3, 1, 1, 4, 4, 3, false, true)] // 1×1 image
    [InlineData(1, 4, 6, 1, 1, 1, true, false)] // 1×1 output with align_corners (scale falls back to in/out)
    public void ResizeBicubic_MatchesReferenceLoop(int b, int h, int w, int c, int oh, int ow, bool align, bool half)
    {
        var img = RandomFloats(new Random(h * 100 + w * 10 + c), b * h * w * c, 50f);
        var r = Compute1("ResizeBicubic", [F(img, b, h, w, c), I([oh, ow])], Flags(align, half));
        Assert.Equal(new TensorShape(b, oh, ow, c), r.Shape);
        Close(ReferenceBicubic(img, b, h, w, c, oh, ow, align, half), r.ToArray<float>(), 2e-5f);
    }

    [Fact]
    public void ResizeBicubic_Uint8AndHalfInputs_ComputeInFloat_EmptyBatchAndBadFlags()
    {
        var bytes = Enumerable.Range(0, 2 * 3 * 4 * 3).Select(i => (byte)(i * 37 % 256)).ToArray();
        var asFloat = bytes.Select(v => (float)v).ToArray();
        var r = Compute1("ResizeBicubic", [Tensor.Create(bytes, [2, 3, 4, 3]), I([5, 2])], Flags(false, true));
        Assert.Equal(DataType.DtFloat, r.DType);
        Close(ReferenceBicubic(asFloat, 2, 3, 4, 3, 5, 2, false, true), r.ToArray<float>(), 2e-5f);
        var halves = asFloat.Select(v => (Half)(v / 16)).ToArray();
        var rh = Compute1("ResizeBicubic", [Tensor.Create(halves, [2, 3, 4, 3]), I([5, 2])], Flags(false, false));
        Close(ReferenceBicubic(halves.Select(v => (float)v).ToArray(), 2, 3, 4, 3, 5, 2, false, false), rh.ToArray<float>(), 2e-5f);
        var empty = Compute1("ResizeBicubic", [F([], 0, 3, 3, 1), I([2, 2])], Flags(false, false));
        Assert.Equal(new TensorShape(0, 2, 2, 1), empty.Shape);
        Assert.Throws<GraphExecutionException>(() => Compute1("ResizeBicubic", [F([1], 1, 1, 1, 1), I([2, 2])], Flags(true, true)));
        Assert.Contains("ResizeBicubic", Assert.Throws<GraphExecutionException>(() => Compute1("ResizeBicubic", [F([1], 1, 1, 1, 1), I([0, 2])], Flags(false, false))).Message);
    }

    // Exact area average: each source cell weighs by its overlap with [y·s, (y+1)·s) × [x·s, (x+1)·s); indices past
    // the edge (align_corners) read the clamped edge cell, as TF's Bound.
    private static float[] ReferenceArea(float[] img, int b, int h, int w, int c, int oh, int ow, bool align)
    {
        double sy = Scale(h, oh, align), sx = Scale(w, ow, align);
        var r = new float[b * oh * ow * c];
        for (int n = 0; n < b; n++)
            for (int y = 0; y < oh; y++)
                for (int x = 0; x < ow; x++)
                    for (int ch = 0; ch < c; ch++)
                    {
                        double y0 = y * sy, y1 = (y + 1) * sy, x0 = x * sx, x1 = (x + 1) * sx, sum = 0;
                        for (int i = (int)Math.Floor(y0); i < Math.Ceiling(y1); i++)
                            for (int j = (int)Math.Floor(x0); j < Math.Ceiling(x1); j++)
                            {
                                double cover = (Math.Min(i + 1, y1) - Math.Max(i, y0)) * (Math.Min(j + 1, x1) - Math.Max(j, x0));
                                sum += cover * img[((n * h + Math.Clamp(i, 0, h - 1)) * w + Math.Clamp(j, 0, w - 1)) * c + ch];
                            }
                        r[((n * oh + y) * ow + x) * c + ch] = (float)(sum / (sy * sx));
                    }
        return r;
    }

    [Fact]
    public void ResizeArea_FourToThree_IsTfDocumentedWeighting()
    {
        // resize_area_op.cc's own example: in[4] → out[3] covers fractions (1, 1/3), (2/3, 2/3), (1/3, 1) of the
        // source cells, and each sum is multiplied by scale = 3/4 (the 4/3 source cells per output cell).
        var r = Compute1("ResizeArea", [F([3, 6, 9, 12], 1, 1, 4, 1), I([1, 3])]).ToArray<float>();
        Close([(3 + 6 / 3f) * 0.75f, (6 * 2 / 3f + 9 * 2 / 3f) * 0.75f, (9 / 3f + 12) * 0.75f], r, 1e-6f);
    }

    [Theory]
    [InlineData(2, 7, 5, 3, 3, 2, false)] // downscale, 3 channels
    [InlineData(2, 7, 5, 3, 3, 2, true)]
    [InlineData(1, 3, 4, 2, 7, 9, false)] // upscale: each output lies within one or two cells
    [InlineData(1, 3, 4, 2, 7, 9, true)] // align_corners reaches past the last row/column (clamped)
    [InlineData(3, 1, 1, 1, 2, 3, false)] // 1×1 image
    [InlineData(1, 6, 6, 4, 1, 1, false)] // whole image to one pixel = its mean
    public void ResizeArea_MatchesExactOverlapReference(int b, int h, int w, int c, int oh, int ow, bool align)
    {
        var img = RandomFloats(new Random(h * 31 + w * 7 + c + (align ? 1 : 0)), b * h * w * c, 100f);
        var r = Compute1("ResizeArea", [F(img, b, h, w, c), I([oh, ow])], Attrs(("align_corners", align)));
        Assert.Equal(new TensorShape(b, oh, ow, c), r.Shape);
        Close(ReferenceArea(img, b, h, w, c, oh, ow, align), r.ToArray<float>(), 1e-4f);
    }

    [Fact]
    public void ResizeArea_Uint8AndHalf_FloatOutput_EmptyBatch()
    {
        var bytes = Enumerable.Range(0, 5 * 6 * 3).Select(i => (byte)(i * 53 % 256)).ToArray();
        var r = Compute1("ResizeArea", [Tensor.Create(bytes, [1, 5, 6, 3]), I([2, 4])]);
        Assert.Equal(DataType.DtFloat, r.DType);
        Close(ReferenceArea(bytes.Select(v => (float)v).ToArray(), 1, 5, 6, 3, 2, 4, false), r.ToArray<float>(), 1e-5f);
        var halves = bytes.Select(v => (Half)(v / 8f)).ToArray();
        var rh = Compute1("ResizeArea", [Tensor.Create(halves, [1, 5, 6, 3]), I([3, 3])]);
        Close(ReferenceArea(halves.Select(v => (float)v).ToArray(), 1, 5, 6, 3, 3, 3, false), rh.ToArray<float>(), 1e-5f);
        Assert.Equal(new TensorShape(0, 4, 4, 2), Compute1("ResizeArea", [F([], 0, 2, 2, 2), I([4, 4])]).Shape);
        Assert.Contains("input must be 4-dimensional", Assert.Throws<GraphExecutionException>(() => Compute1("ResizeArea", [F([1, 2], 1, 2, 1), I([2, 2])])).Message);
    }
}
