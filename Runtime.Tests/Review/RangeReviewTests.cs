using TypedGraph.Protos;
using static TypedGraph.Tests.Support.ExecGraph;
using static TypedGraph.Tests.Support.OpHarness;

namespace TypedGraph.Tests.Review;

/// <summary>Range follows TF's RangeOp: scalar inputs only; float32 size computed in float32.</summary>
public class RangeReviewTests
{
    [Fact]
    public void Float32RangeSizeIsComputedInFloat32()
    {
        // TF: size = ceil(|(limit - start) / delta|) in T. 0.3f / 0.1f == 3.0f exactly, so 3 elements
        // (in double the same operands give 3.00000007 -> 4 elements).
        var r = Run1("Range", [Tensor.FromScalar(0f), Tensor.FromScalar(0.3f), Tensor.FromScalar(0.1f)], ("Tidx", Type(DataType.DtFloat)));
        Assert.Equal(new TensorShape(3), r.Shape);
        Assert.Equal([0f, 0.1f, 0.1f + 0.1f], r.ToArray<float>());
    }

    [Fact]
    public void NonScalarStartIsAnErrorNamingTheNode()
    {
        var ex = Assert.Throws<GraphExecutionException>(() => Run1("Range", [Tensor.Create(new[] { 0, 1 }, 2), Tensor.FromScalar(5), Tensor.FromScalar(1)], ("Tidx", Type(DataType.DtInt32))));
        Assert.Contains("'op'", ex.Message);
        Assert.Contains("start must be a scalar", ex.Message);
    }

    [Fact]
    public void DoubleRangeUnchanged()
        => Assert.Equal([1.0, 0.5, 0.0], Run1("Range", [Tensor.FromScalar(1.0), Tensor.FromScalar(-0.25), Tensor.FromScalar(-0.5)], ("Tidx", Type(DataType.DtDouble))).ToArray<double>());
}
