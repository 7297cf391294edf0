using TypedGraph.Protos;
using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.TestTensors;

namespace TypedGraph.Tests.Kernels;

public class MatMulNNTests
{
    [Fact]
    public void MatMulWithTransposes()
    {
        var a = F([1, 2, 3, 4, 5, 6], 2, 3);
        var b = F([7, 8, 9, 10, 11, 12], 3, 2);
        Assert.Equal([58f, 64, 139, 154], Compute1("MatMul", [a, b]).ToArray<float>());
        // aᵀ (3×2 stored as 2×3) · a (2×3) = 3×3 Gram matrix.
        var g = Compute1("MatMul", [a, a], Attrs(("transpose_a", true)));
        Assert.Equal(new TensorShape(3, 3), g.Shape);
        Assert.Equal([17f, 22, 27, 22, 29, 36, 27, 36, 45], g.ToArray<float>());
        var bt = Compute1("MatMul", [a, a], Attrs(("transpose_b", true)));
        Assert.Equal([14f, 32, 32, 77], bt.ToArray<float>());
        Assert.Equal([58, 64, 139, 154], Compute1("MatMul", [I([1, 2, 3, 4, 5, 6], 2, 3), I([7, 8, 9, 10, 11, 12], 3, 2)]).ToArray<int>());
        Assert.Equal([58.0, 64, 139, 154], Compute1("MatMul", [Tensor.Create(new double[] { 1, 2, 3, 4, 5, 6 }, 2, 3), Tensor.Create(new double[] { 7, 8, 9, 10, 11, 12 }, 3, 2)]).ToArray<double>());
        var ex = Assert.Throws<GraphExecutionException>(() => Compute1("MatMul", [a, a]));
        Assert.Contains("size-incompatible", ex.Message);
        var empty = Compute1("MatMul", [Tensor.Zeros(DataType.DtFloat, new TensorShape(0, 3)), b]);
        Assert.Equal(new TensorShape(0, 2), empty.Shape);
        var k0 = Compute1("MatMul", [Tensor.Zeros(DataType.DtFloat, new TensorShape(2, 0)), Tensor.Zeros(DataType.DtFloat, new TensorShape(0, 2))]);
        Assert.Equal([0f, 0, 0, 0], k0.ToArray<float>());
    }

    [Fact]
    public void BatchMatMulV2BroadcastsBatchDims()
    {
        // x [2,1,2,2], y [3,2,2] → [2,3,2,2]; y[j] = j·I so the result is j·x[i].
        var x = F([1, 2, 3, 4, 5, 6, 7, 8], 2, 1, 2, 2);
        var y = F([0, 0, 0, 0, 1, 0, 0, 1, 2, 0, 0, 2], 3, 2, 2);
        var z = Compute1("BatchMatMulV2", [x, y]);
        Assert.Equal(new TensorShape(2, 3, 2, 2), z.Shape);
        var zv = z.ToArray<float>();
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
                for (int e = 0; e < 4; e++)
                    Assert.Equal(j * (float)(i * 4 + e + 1), zv[(i * 3 + j) * 4 + e]);
        // adj_x / adj_y transpose the last two dims.
        var adj = Compute1("BatchMatMul", [F([1, 2, 3, 4], 1, 2, 2), F([1, 0, 1, 1], 1, 2, 2)], Attrs(("adj_x", true), ("adj_y", true)));
        // xᵀ = [[1,3],[2,4]], yᵀ = [[1,1],[0,1]] → [[1,4],[2,6]]
        Assert.Equal([1f, 4, 2, 6], adj.ToArray<float>());
        Assert.Throws<GraphExecutionException>(() => Compute1("BatchMatMul", [F(new float[8], 2, 2, 2), F(new float[12], 3, 2, 2)]));
    }

    [Fact]
    public void BiasAddBothLayouts()
    {
        var x = F([1, 2, 3, 4, 5, 6], 1, 2, 3);
        Assert.Equal([11f, 22, 33, 14, 25, 36], Compute1("BiasAdd", [x, F([10, 20, 30])]).ToArray<float>());
        // NCHW: channel dim 1 of [1, 2, 3] → bias per plane of 3.
        Assert.Equal([11f, 12, 13, 24, 25, 26], Compute1("BiasAdd", [x, F([10, 20])], Attrs(("data_format", "NCHW"))).ToArray<float>());
        Assert.Equal([11, 22], Compute1("BiasAddV1", [I([1, 2], 1, 2), I([10, 20])]).ToArray<int>());
        var ex = Assert.Throws<GraphExecutionException>(() => Compute1("BiasAdd", [x, F([1, 2])]));
        Assert.Contains("as many biases", ex.Message);
    }

    [Fact]
    public void SoftmaxAndLogSoftmax()
    {
        var x = F([1, 2, 3, 1000, 1000, 1000], 2, 3);
        var s = Compute1("Softmax", [x]).ToArray<float>();
        float z = MathF.Exp(1) + MathF.Exp(2) + MathF.Exp(3);
        Close([MathF.Exp(1) / z, MathF.Exp(2) / z, MathF.Exp(3) / z, 1f / 3, 1f / 3, 1f / 3], s);
        var ls = Compute1("LogSoftmax", [x]).ToArray<float>();
        Close([1 - MathF.Log(z), 2 - MathF.Log(z), 3 - MathF.Log(z), -MathF.Log(3), -MathF.Log(3), -MathF.Log(3)], ls, 1e-5f);
        Assert.Equal(new TensorShape(0, 4), Compute1("Softmax", [Tensor.Zeros(DataType.DtFloat, new TensorShape(0, 4))]).Shape);
    }

    [Fact]
    public void CrossEntropiesGiveLossAndBackprop()
    {
        var logits = F([1, 2, 3, 0, 0, 0], 2, 3);
        float z = MathF.Exp(1) + MathF.Exp(2) + MathF.Exp(3);
        float[] p0 = [MathF.Exp(1) / z, MathF.Exp(2) / z, MathF.Exp(3) / z];
        var dense = Compute("SoftmaxCrossEntropyWithLogits", [logits, F([0, 0, 1, 0.5f, 0.5f, 0], 2, 3)], 2);
        Close([MathF.Log(z) - 3, MathF.Log(3)], dense[0].AsSpan<float>());
        Close([p0[0], p0[1], p0[2] - 1, 1f / 3 - 0.5f, 1f / 3 - 0.5f, 1f / 3], dense[1].AsSpan<float>());
        var sparse = Compute("SparseSoftmaxCrossEntropyWithLogits", [logits, L([2, 0])], 2);
        Close([MathF.Log(z) - 3, MathF.Log(3)], sparse[0].AsSpan<float>());
        Close([p0[0], p0[1], p0[2] - 1, 1f / 3 - 1, 1f / 3, 1f / 3], sparse[1].AsSpan<float>());
        var ex = Assert.Throws<GraphExecutionException>(() => Compute("SparseSoftmaxCrossEntropyWithLogits", [logits, I([3, 0])], 2));
        Assert.Contains("outside the valid range of [0, 3)", ex.Message);
        // Labels broadcast from [1, C].
        var bc = Compute("SoftmaxCrossEntropyWithLogits", [logits, F([0, 0, 1], 1, 3)], 2);
        Close([MathF.Log(z) - 3, MathF.Log(3)], bc[0].AsSpan<float>());
    }

    [Fact]
    public void L2LossIsHalfSumOfSquares()
    {
        Assert.Equal(15f, Compute1("L2Loss", [F([1, 2, 3, 4])]).Scalar<float>());
        Assert.Equal(0.0, Compute1("L2Loss", [Tensor.Zeros(DataType.DtDouble, new TensorShape(0))]).Scalar<double>());
    }

    [Fact]
    public void FusedBatchNormInferenceAndTraining()
    {
        // NHWC [1,1,2,2]: channel 0 values {1,3}, channel 1 values {2,6}.
        var x = F([1, 2, 3, 6], 1, 1, 2, 2);
        var scale = F([2, 1]);
        var offset = F([0.5f, -1]);
        var mean = F([1, 2]);
        var variance = F([4, 16]);
        var inf = Compute("FusedBatchNormV3", [x, scale, offset, mean, variance], 6, Attrs(("is_training", false), ("epsilon", 0f)));
        // ch0: (x−1)·2/2 + 0.5 → {0.5, 2.5}; ch1: (x−2)·1/4 − 1 → {−1, 0}
        Close([0.5f, -1, 2.5f, 0], inf[0].AsSpan<float>());
        Assert.Equal([1f, 2], inf[1].ToArray<float>());
        Assert.Equal([4f, 16], inf[2].ToArray<float>());
        Assert.Equal(0, inf[5].NumElements);
        var nchw = Compute("FusedBatchNorm", [F([1, 3, 2, 6], 1, 2, 1, 2), scale, offset, mean, variance], 5, Attrs(("is_training", false), ("epsilon", 0f), ("data_format", "NCHW")));
        Close([0.5f, 2.5f, -1, 0], nchw[0].AsSpan<float>());
        // Training: batch mean {2, 4}, biased var {1, 4}, unbiased (n=2) {2, 8}.
        var tr = Compute("FusedBatchNormV3", [x, scale, offset, F([]), F([])], 6, Attrs(("is_training", true), ("epsilon", 0f)));
        Close([-1.5f, -2, 2.5f, 0], tr[0].AsSpan<float>());
        Close([2f, 4], tr[1].AsSpan<float>());
        Close([2f, 8], tr[2].AsSpan<float>());
        Close([1f, 4], tr[4].AsSpan<float>());
    }

    [Fact]
    public void LrnNormalizesAcrossNeighbouringChannels()
    {
        var x = F([1, 2, 3], 1, 1, 1, 3);
        var y = Compute1("LRN", [x], Attrs(("depth_radius", 1), ("bias", 1f), ("alpha", 1f), ("beta", 0.5f))).ToArray<float>();
        // sums of squares over {0,1}, {0,1,2}, {1,2}: 5, 14, 13.
        Close([1 / MathF.Sqrt(6), 2 / MathF.Sqrt(15), 3 / MathF.Sqrt(14)], y);
        var y2 = Compute1("LRN", [x], Attrs(("depth_radius", 0), ("bias", 2f), ("alpha", 0.5f), ("beta", 0.75f))).ToArray<float>();
        Close([1 / MathF.Pow(2.5f, 0.75f), 2 / MathF.Pow(4f, 0.75f), 3 / MathF.Pow(6.5f, 0.75f)], y2);
    }
}
