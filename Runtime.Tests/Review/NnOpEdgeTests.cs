using TypedGraph.Protos;
using static TypedGraph.Tests.Support.ExecGraph;
using static TypedGraph.Tests.Support.OpHarness;

namespace TypedGraph.Tests.Review;

/// <summary>Review sweep of NN kernels: layouts, dilation, multipliers, numerically hard inputs (values hand-computed).</summary>
public class NnOpEdgeTests
{
    static Tensor F(float[] v, params int[] s) => Tensor.Create(v, s.Length == 0 ? [v.Length] : s);
    static float[] Iota(int n) => Enumerable.Range(1, n).Select(i => (float)i).ToArray();

    [Fact]
    public void Conv2DDilatedSame()
    {
        // 5x5 input 1..25, 2x2 ones filter, dilation 2 -> effective 3x3 taps at (0,0),(0,2),(2,0),(2,2); SAME stride 1: pad total 2 -> top 1.
        var r = Run1("Conv2D", [F(Iota(25), 1, 5, 5, 1), F([1, 1, 1, 1], 2, 2, 1, 1)], T(DataType.DtFloat), ("strides", Ints(1, 1, 1, 1)), ("dilations", Ints(1, 2, 2, 1)), ("padding", Str("SAME")), ("data_format", Str("NHWC"))).ToArray<float>();
        // out(0,0): taps at input (-1,-1),(-1,1),(1,-1),(1,1) -> only (1,1)=7
        Assert.Equal(7f, r[0]);
        // out(2,2): taps (1,1),(1,3),(3,1),(3,3) = 7+9+17+19 = 52
        Assert.Equal(52f, r[12]);
    }

    [Fact]
    public void Conv2DNchwEqualsNhwc()
    {
        // 1x2 channels, 2x2 spatial; filter 1x1 mixing channels: out = c0 + 10*c1.
        var nchw = F([1, 2, 3, 4, 5, 6, 7, 8], 1, 2, 2, 2);
        var r = Run1("Conv2D", [nchw, F([1, 10], 1, 1, 2, 1)], T(DataType.DtFloat), ("strides", Ints(1, 1, 1, 1)), ("padding", Str("VALID")), ("data_format", Str("NCHW")));
        Assert.Equal(new TensorShape(1, 1, 2, 2), r.Shape);
        Assert.Equal([51f, 62, 73, 84], r.ToArray<float>());
    }

    [Fact]
    public void DepthwiseMultiplier2()
    {
        // 1x1x1x2 input [1,2], filter 1x1x2x2 [[a,b],[c,d]] = [1,2,3,4] -> out [1*1,1*2,2*3,2*4]
        var r = Run1("DepthwiseConv2dNative", [F([1, 2], 1, 1, 1, 2), F([1, 2, 3, 4], 1, 1, 2, 2)], T(DataType.DtFloat), ("strides", Ints(1, 1, 1, 1)), ("padding", Str("VALID")), ("data_format", Str("NHWC")));
        Assert.Equal([1f, 2, 6, 8], r.ToArray<float>());
    }

    [Fact]
    public void MaxPoolNchw()
    {
        var r = Run1("MaxPool", [F([1, 5, 3, 4, 8, 6, 7, 2], 1, 2, 2, 2)], T(DataType.DtFloat), ("ksize", Ints(1, 1, 2, 2)), ("strides", Ints(1, 1, 2, 2)), ("padding", Str("VALID")), ("data_format", Str("NCHW")));
        Assert.Equal(new TensorShape(1, 2, 1, 1), r.Shape);
        Assert.Equal([5f, 8], r.ToArray<float>());
    }

    [Fact]
    public void SoftmaxLargeLogitsStable() => Assert.Equal([0.5f, 0.5f], Run1("Softmax", [F([1000, 1000], 1, 2)], T(DataType.DtFloat)).ToArray<float>());

    [Fact]
    public void LogSoftmaxLargeLogits()
    {
        var r = Run1("LogSoftmax", [F([1000, 0], 1, 2)], T(DataType.DtFloat)).ToArray<float>();
        Assert.Equal(0f, r[0]);
        Assert.Equal(-1000f, r[1]);
    }

    [Fact]
    public void SoftmaxCrossEntropyLargeLogitsFinite()
    {
        var r = Run("SoftmaxCrossEntropyWithLogits", [F([1000, 0], 1, 2), F([0, 1], 1, 2)], 2, T(DataType.DtFloat));
        Assert.Equal(1000f, r[0].ToArray<float>()[0]);
        Assert.Equal([1f, -1], r[1].ToArray<float>());
    }

    [Fact]
    public void FusedBatchNormInference()
    {
        // y = scale*(x-mean)/sqrt(var+eps)+offset with eps 0.001 default replaced by 0
        var r = Run("FusedBatchNorm", [F([1, 2, 3, 4], 1, 2, 1, 2), F([2, 1]), F([0, 1]), F([1, 2]), F([4, 1])], 5, T(DataType.DtFloat), ("epsilon", Float(0)), ("is_training", Bool(false)), ("data_format", Str("NHWC")));
        Assert.Equal([0f, 1, 2, 3], r[0].ToArray<float>());
    }

    [Fact]
    public void BiasAddNchw()
        => Assert.Equal([11f, 12, 23, 24], Run1("BiasAdd", [F([1, 2, 3, 4], 1, 2, 2), F([10, 20])], T(DataType.DtFloat), ("data_format", Str("NCHW"))).ToArray<float>());

    [Fact]
    public void MatMulInt32()
        => Assert.Equal([7, 10, 15, 22], Run1("MatMul", [Tensor.Create(new[] { 1, 2, 3, 4 }, 2, 2), Tensor.Create(new[] { 1, 2, 3, 4 }, 2, 2)], T(DataType.DtInt32), ("transpose_a", Bool(false)), ("transpose_b", Bool(false))).ToArray<int>());

    [Fact]
    public void MatMulTransposeBoth()
        => Assert.Equal([7f, 15, 10, 22], Run1("MatMul", [F([1, 2, 3, 4], 2, 2), F([1, 2, 3, 4], 2, 2)], T(DataType.DtFloat), ("transpose_a", Bool(true)), ("transpose_b", Bool(true))).ToArray<float>());

    [Fact]
    public void AvgPoolValidStride()
        // rows 1..6 / 7..12, 2x2 windows at cols 0 and 3: (1+2+7+8)/4, (4+5+10+11)/4
        => Assert.Equal([4.5f, 7.5f], Run1("AvgPool", [F(Iota(12), 1, 2, 6, 1)], T(DataType.DtFloat), ("ksize", Ints(1, 2, 2, 1)), ("strides", Ints(1, 1, 3, 1)), ("padding", Str("VALID")), ("data_format", Str("NHWC"))).ToArray<float>());

    [Fact]
    public void Relu6AndElu()
    {
        Assert.Equal([0f, 3, 6], Run1("Relu6", [F([-1, 3, 9])], T(DataType.DtFloat)).ToArray<float>());
        Assert.Equal((float)(Math.Exp(-1) - 1), Run1("Elu", [F([-1])], T(DataType.DtFloat)).ToArray<float>()[0], 6);
    }

    [Fact]
    public void SparseSoftmaxCrossEntropyNegativeLabelIsError()
        => Assert.Throws<GraphExecutionException>(() => Run("SparseSoftmaxCrossEntropyWithLogits", [F([1, 2], 1, 2), Tensor.Create(new[] { -1 }, 1)], 2, T(DataType.DtFloat), ("Tlabels", Type(DataType.DtInt32))));
}
