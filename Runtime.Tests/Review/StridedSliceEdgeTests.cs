using TypedGraph.Protos;
using static TypedGraph.Tests.Support.ExecGraph;
using static TypedGraph.Tests.Support.OpHarness;

namespace TypedGraph.Tests.Review;

/// <summary>StridedSlice with int64 indices far out of range (clamped like Python slices) and ellipsis/new-axis combinations.</summary>
public class StridedSliceEdgeTests
{
    private static Tensor Ss(Tensor x, long[] b, long[] e, long[] s, int begin = 0, int end = 0, int ellipsis = 0, int newAxis = 0, int shrink = 0)
        => Run1("StridedSlice", [x, Tensor.Create(b, b.Length), Tensor.Create(e, e.Length), Tensor.Create(s, s.Length)], T(x.DType), ("Index", Type(DataType.DtInt64)),
            ("begin_mask", Int(begin)), ("end_mask", Int(end)), ("ellipsis_mask", Int(ellipsis)), ("new_axis_mask", Int(newAxis)), ("shrink_axis_mask", Int(shrink)));

    private static readonly Tensor X = Tensor.Create(new[] { 1f, 2, 3, 4, 5, 6 }, 2, 3);

    [Fact] public void HugeInt64BoundsClamp() => Assert.Equal([1f, 2, 3, 4, 5, 6], Ss(X, [-(1L << 40), -(1L << 40)], [1L << 40, 1L << 40], [1, 1]).ToArray<float>());
    [Fact] public void HugeNegativeStrideReverses() => Assert.Equal([6f, 5, 4, 3, 2, 1], Ss(X, [1L << 40, 1L << 40], [-(1L << 40), -(1L << 40)], [-1, -1]).ToArray<float>());
    [Fact] public void EllipsisThenNewAxis()
    {
        var r = Ss(X, [0, 0], [0, 0], [1, 1], ellipsis: 1, newAxis: 2);
        Assert.Equal(new TensorShape(2, 3, 1), r.Shape);
    }
    [Fact] public void ShrinkLastColumnNegativeIndex() => Assert.Equal([3f, 6], Ss(X, [0, -1], [0, 0], [1, 1], begin: 1, end: 1, shrink: 2).ToArray<float>());
    [Fact] public void ShrinkOutOfRangeIsError() => Assert.Throws<GraphExecutionException>(() => Ss(X, [0, 3], [0, 4], [1, 1], begin: 1, end: 1, shrink: 2));
    [Fact] public void EmptyResultWhenBeginPastEnd() => Assert.Equal(new TensorShape(2, 0), Ss(X, [0, 2], [2, 1], [1, 1]).Shape);
}
