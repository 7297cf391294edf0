using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;

namespace TypedGraph.Tests.Training;

/// <summary>
/// Conv2DBackpropInput at stride 1 runs as a forward conv of dOut with the rotated filter, on whichever forward path
/// the shapes pick (direct for ≤ 8 channels into whole vectors, thin for ≤ 8 into < 16, Winograd for 3×3/5×5 where its rule wins, implicit GEMM for 32-wide
/// outputs, im2col otherwise);
/// Conv2DBackpropFilter runs several images per GEMM block. Each case is checked against the adjoint written out
/// directly in doubles: dx[b,i,j,c] = Σ dy[b,oh,ow,o]·f[y,x,c,o] over the windows that read (i,j), and
/// df[y,x,c,o] = Σ x[b,ih,iw,c]·dy[b,oh,ow,o].
/// </summary>
public sealed class ConvBackpropPathTests
{
    public static TheoryData<int[], int[], int, string, int> Cases => new()
    {
        // x, filter, stride, padding, dilation
        { new[] { 2, 9, 9, 32 }, new[] { 3, 3, 32, 2 }, 1, "SAME", 1 },   // back conv: 2 channels → 32 (direct path)
        { new[] { 1, 8, 8, 32 }, new[] { 3, 3, 32, 8 }, 1, "SAME", 1 },   // back conv: 8 channels → 32 (implicit GEMM)
        { new[] { 2, 10, 9, 5 }, new[] { 5, 3, 5, 6 }, 1, "VALID", 1 },   // back conv: im2col, full padding
        { new[] { 1, 11, 10, 32 }, new[] { 3, 3, 32, 4 }, 1, "SAME", 2 }, // dilated
        { new[] { 1, 12, 12, 4 }, new[] { 4, 4, 4, 3 }, 1, "SAME", 1 },   // even window: asymmetric SAME padding
        { new[] { 3, 32, 32, 64 }, new[] { 3, 3, 64, 2 }, 1, "SAME", 1 }, // filter grad over 3 GEMM blocks of one image
        { new[] { 2, 9, 8, 3 }, new[] { 3, 3, 3, 4 }, 2, "SAME", 1 },     // strided: the col2im path
        { new[] { 2, 7, 6, 3 }, new[] { 2, 2, 3, 16 }, 1, "SAME", 1 },    // OC 16 ≥ patch 12: filter grad as colᵀ·dOut
        { new[] { 3, 28, 28, 6 }, new[] { 5, 5, 6, 16 }, 1, "SAME", 1 },  // the training benchmark's layer: dFᵀ = dOutᵀ·col
        { new[] { 3, 17, 19, 32 }, new[] { 5, 5, 32, 64 }, 1, "SAME", 1 }, // back conv 64 → 32 channels, 5×5: Winograd F(2×2, 5×5) (Winograd5x5ConvTests pins the choice)
        { new[] { 4, 28, 28, 1 }, new[] { 5, 5, 1, 6 }, 1, "SAME", 1 },   // a LeNet's first layer: thin filter grad, thin back conv 6 → 1
        { new[] { 2, 13, 15, 2 }, new[] { 3, 3, 2, 5 }, 2, "VALID", 1 },  // thin filter grad with stride phases
    };

    [Theory]
    [InlineData(5 * 5 * 6, 16, true)]    // the training benchmark's layer
    [InlineData(5 * 5 * 32, 64, true)]   // the TF MNIST net's second conv
    [InlineData(2 * 2 * 3, 16, false)]
    [InlineData(1 * 1 * 32, 256, false)]
    public void FilterGradient_TransposesTheProductWhenOcIsNarrowerThanThePatch(int patch, int oc, bool transposed)
        => Assert.Equal(transposed, TypedGraph.Kernels.Training.ConvBackpropKernels.FilterGradTransposed(patch, oc));

    [Theory]
    [MemberData(nameof(Cases))]
    public void BackpropKernelsMatchTheAdjointSums(int[] xShape, int[] fShape, int stride, string padding, int dilation)
    {
        (string, AttrValue)[] attrs =
        [
            ("strides", Attrs.Ints(1, stride, stride, 1)), ("padding", Attrs.String(padding)), ("dilations", Attrs.Ints(1, dilation, dilation, 1)),
        ];
        var r = new Random(xShape.Sum() * 7 + fShape.Sum());
        float[] Rand(int count) => Enumerable.Range(0, count).Select(_ => r.NextSingle() * 2 - 1).ToArray();
        int n = xShape[0], h = xShape[1], w = xShape[2], c = xShape[3], kh = fShape[0], kw = fShape[1], oc = fShape[3];
        var xs = Rand(n * h * w * c);
        var fs = Rand(kh * kw * c * oc);
        var y = OpHarness.Compute1("Conv2D", [Tensor.Create(xs, xShape), Tensor.Create(fs, fShape)], attrs);
        int oh = y.Shape[1], ow = y.Shape[2];
        var gs = Rand(n * oh * ow * oc);
        var g = Tensor.Create(gs, n, oh, ow, oc);
        // TF's SAME: total padding max((out−1)·stride + (k−1)·dilation + 1 − in, 0), the smaller half before.
        int Pad(int input, int output, int k) => padding == "VALID" ? 0 : Math.Max((output - 1) * stride + (k - 1) * dilation + 1 - input, 0) / 2;
        int top = Pad(h, oh, kh), left = Pad(w, ow, kw);

        var dx = new double[xs.Length];
        var df = new double[fs.Length];
        for (int b = 0; b < n; b++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                    for (int ky = 0; ky < kh; ky++)
                        for (int kx = 0; kx < kw; kx++)
                        {
                            int ih = i * stride - top + ky * dilation, iw = j * stride - left + kx * dilation;
                            if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                            for (int ci = 0; ci < c; ci++)
                                for (int o = 0; o < oc; o++)
                                {
                                    double gv = gs[((b * oh + i) * ow + j) * oc + o];
                                    dx[((b * h + ih) * w + iw) * c + ci] += gv * fs[((ky * kw + kx) * c + ci) * oc + o];
                                    df[((ky * kw + kx) * c + ci) * oc + o] += gv * xs[((b * h + ih) * w + iw) * c + ci];
                                }
                        }

        var gotDx = OpHarness.Compute1("Conv2DBackpropInput", [Tensor.Create(xShape, 4), Tensor.Create(fs, fShape), g], attrs).ToArray<float>();
        var gotDf = OpHarness.Compute1("Conv2DBackpropFilter", [Tensor.Create(xs, xShape), Tensor.Create(fShape, 4), g], attrs).ToArray<float>();
        for (int i = 0; i < dx.Length; i++)
            Assert.True(Math.Abs(gotDx[i] - dx[i]) <= 1e-4 * (1 + Math.Abs(dx[i])), $"dx[{i}] = {gotDx[i]}, adjoint sum {dx[i]}");
        for (int i = 0; i < df.Length; i++)
            Assert.True(Math.Abs(gotDf[i] - df[i]) <= 1e-4 * (1 + Math.Abs(df[i])) * Math.Sqrt(n * oh * ow / 64.0 + 1), $"df[{i}] = {gotDf[i]}, adjoint sum {df[i]}");
    }
}
