using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Tests.Building;

/// <summary>
/// <see cref="LayerOps.DepthwiseConv2D"/> builds <c>DepthwiseConv2dNative</c> (<c>tf.nn.depthwise_conv2d_native</c>)
/// and runs to the values of a naive loop: output channel <c>k·M + q</c> is input channel <c>k</c> convolved with
/// <c>filter[:, :, k, q]</c>; SAME pads <c>max((out−1)·s + kh − in, 0)</c> with the smaller half before.
/// </summary>
public class DepthwiseConv2DBuilderTests
{
    private static float[] Naive(float[] x, int h, int w, int c, float[] f, int kh, int kw, int m, int stride, bool same, out int oh, out int ow)
    {
        oh = same ? (h + stride - 1) / stride : (h - kh) / stride + 1;
        ow = same ? (w + stride - 1) / stride : (w - kw) / stride + 1;
        int padTop = same ? Math.Max((oh - 1) * stride + kh - h, 0) / 2 : 0;
        int padLeft = same ? Math.Max((ow - 1) * stride + kw - w, 0) / 2 : 0;
        var y = new float[oh * ow * c * m];
        for (int i = 0; i < oh; i++)
            for (int j = 0; j < ow; j++)
                for (int k = 0; k < c; k++)
                    for (int q = 0; q < m; q++)
                    {
                        double sum = 0;
                        for (int di = 0; di < kh; di++)
                            for (int dj = 0; dj < kw; dj++)
                            {
                                int r = i * stride + di - padTop, s = j * stride + dj - padLeft;
                                if (r < 0 || r >= h || s < 0 || s >= w) continue;
                                sum += x[(r * w + s) * c + k] * f[((di * kw + dj) * c + k) * m + q];
                            }
                        y[((i * ow + j) * c + k) * m + q] = (float)sum;
                    }
        return y;
    }

    [Theory]
    [InlineData(2, "SAME")]
    [InlineData(1, "VALID")]
    [InlineData(3, "SAME")]
    public void Depthwise_conv_matches_a_naive_loop_with_channel_multiplier_2(int stride, string padding)
    {
        const int h = 5, w = 6, c = 3, kh = 3, kw = 3, m = 2;
        var r = new Random(stride * 31 + padding.Length);
        var xv = Enumerable.Range(0, h * w * c).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
        var fv = Enumerable.Range(0, kh * kw * c * m).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [1, h, w, c], "x");
        var y = b.DepthwiseConv2D(x, b.Constant(fv, [kh, kw, c, m]), [1, stride, stride, 1], padding);
        Assert.Equal("DepthwiseConv2dNative", b.GetOperation(y.NodeName).Op);
        using var s = new Session(b.Graph);
        var result = s.Run([y.Name], new Dictionary<string, Tensor> { ["x:0"] = Tensor.Create(xv, 1, h, w, c) })[0];
        var expected = Naive(xv, h, w, c, fv, kh, kw, m, stride, padding == "SAME", out int oh, out int ow);
        Assert.Equal(new TensorShape(1, oh, ow, c * m), result.Shape);
        var actual = result.ToArray<float>();
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5f, $"[{i}]: expected {expected[i]}, got {actual[i]}");
    }
}
