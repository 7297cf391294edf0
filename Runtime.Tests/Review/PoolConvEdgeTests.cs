using TypedGraph.Protos;
using static TypedGraph.Tests.Support.ExecGraph;
using static TypedGraph.Tests.Support.OpHarness;

namespace TypedGraph.Tests.Review;

/// <summary>Padding arithmetic at the edges of pooling/convolution (TF's GetWindowedOutputSize rules).</summary>
public class PoolConvEdgeTests
{
    static Tensor F(float[] v, params int[] s) => Tensor.Create(v, s.Length == 0 ? [v.Length] : s);
    static float[] Iota(int n) => Enumerable.Range(1, n).Select(i => (float)i).ToArray();

    [Fact]
    public void MaxPoolSameStrideLargerThanKernel()
    {
        // 1x5, k=2, s=3 SAME: out=ceil(5/3)=2, pad total=max((2-1)*3+2-5,0)=0 -> windows [0,1],[3,4]
        var r = Run1("MaxPool", [F(Iota(5), 1, 1, 5, 1)], T(DataType.DtFloat), ("ksize", Ints(1, 1, 2, 1)), ("strides", Ints(1, 1, 3, 1)), ("padding", Str("SAME")), ("data_format", Str("NHWC")));
        Assert.Equal([2f, 5], r.ToArray<float>());
    }

    [Fact]
    public void AvgPoolSameOddKernelPadsBothSides()
    {
        // 1x4, k=3, s=1 SAME: pad 1 left, 1 right -> avg over valid only: (1+2)/2, (1+2+3)/3, (2+3+4)/3, (3+4)/2
        var r = Run1("AvgPool", [F(Iota(4), 1, 1, 4, 1)], T(DataType.DtFloat), ("ksize", Ints(1, 1, 3, 1)), ("strides", Ints(1, 1, 1, 1)), ("padding", Str("SAME")), ("data_format", Str("NHWC")));
        Assert.Equal([1.5f, 2, 3, 3.5f], r.ToArray<float>());
    }

    [Fact]
    public void Conv2DSameEvenKernelPadsMoreAfter()
    {
        // 1x3 input [1,2,3], kernel 1x2 [1,10], stride 1 SAME: pad total 1 -> 0 before, 1 after: [1+20, 2+30, 3+0]
        var r = Run1("Conv2D", [F([1, 2, 3], 1, 1, 3, 1), F([1, 10], 1, 2, 1, 1)], T(DataType.DtFloat), ("strides", Ints(1, 1, 1, 1)), ("padding", Str("SAME")), ("data_format", Str("NHWC")));
        Assert.Equal([21f, 32, 3], r.ToArray<float>());
    }

    [Fact]
    public void Conv2DExplicitPadding()
    {
        // pad W by 2 before, 0 after: [0,0,1,2,3] * [1,10] VALID -> [0, 10, 21, 32]
        var r = Run1("Conv2D", [F([1, 2, 3], 1, 1, 3, 1), F([1, 10], 1, 2, 1, 1)], T(DataType.DtFloat), ("strides", Ints(1, 1, 1, 1)), ("padding", Str("EXPLICIT")), ("explicit_paddings", Ints(0, 0, 0, 0, 2, 0, 0, 0)), ("data_format", Str("NHWC")));
        Assert.Equal([0f, 10, 21, 32], r.ToArray<float>());
    }

    [Fact]
    public void MaxPoolOverBatchIsError()
        => Assert.Throws<GraphExecutionException>(() => Run1("MaxPool", [F(Iota(4), 2, 1, 2, 1)], T(DataType.DtFloat), ("ksize", Ints(2, 1, 1, 1)), ("strides", Ints(1, 1, 1, 1)), ("padding", Str("VALID")), ("data_format", Str("NHWC"))));

    [Fact]
    public void DepthwiseSameStride2()
    {
        // 1x4x1 input, 3-wide ones kernel, stride 2 SAME: out 2, pad total=max(1*2+3-4,0)=1 -> 0 before: [1+2+3, 3+4]
        var r = Run1("DepthwiseConv2dNative", [F(Iota(4), 1, 1, 4, 1), F([1, 1, 1], 1, 3, 1, 1)], T(DataType.DtFloat), ("strides", Ints(1, 1, 2, 1)), ("padding", Str("SAME")), ("data_format", Str("NHWC")));
        Assert.Equal([6f, 7], r.ToArray<float>());
    }
}
