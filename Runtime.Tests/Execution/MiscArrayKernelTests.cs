using TypedGraph.Protos;
using static TypedGraph.Tests.Execution.ExecutionTestValues;
using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.ExecGraph;

namespace TypedGraph.Tests.Execution;

public class MiscArrayKernelTests
{
    [Fact]
    public void InvertPermutationAndReverse()
    {
        Assert.Equal([2, 0, 1], Run1("InvertPermutation", [I(1, 2, 0)]).ToArray<int>());
        Assert.Throws<GraphExecutionException>(() => Run1("InvertPermutation", [I(1, 1, 0)]));
        Assert.Equal([2f, 1, 0, 5, 4, 3], Run1("ReverseV2", [Iota(6, 2, 3), I(1)]).ToArray<float>());
        Assert.Equal([5f, 4, 3, 2, 1, 0], Run1("ReverseV2", [Iota(6, 2, 3), I(0, -1)]).ToArray<float>());
    }

    [Fact]
    public void DynamicStitchMergesByIndex()
    {
        // TF's doc example: indices [6], [4, 1], [[5, 2], [0, 3]] with matching data.
        var r = Run1("DynamicStitch", [I(6), I(4, 1), Tensor.Create(new[] { 5, 2, 0, 3 }, 2, 2),
            F([61, 62], 1, 2), F([41, 42, 11, 12], 2, 2), F([51, 52, 21, 22, 1, 2, 31, 32], 2, 2, 2)], ("N", Int(3)));
        Assert.Equal(new TensorShape(7, 2), r.Shape);
        Assert.Equal([1f, 2, 11, 12, 21, 22, 31, 32, 41, 42, 51, 52, 61, 62], r.ToArray<float>());
    }

    [Fact]
    public void BroadcastToAndArgs()
    {
        var b = Run1("BroadcastTo", [F([1, 2, 3], 3), I(2, 3)]);
        Assert.Equal([1f, 2, 3, 1, 2, 3], b.ToArray<float>());
        Assert.Equal([1f, 1, 2, 2], Run1("BroadcastTo", [F([1, 2], 2, 1), I(2, 2)]).ToArray<float>());
        Assert.Throws<GraphExecutionException>(() => Run1("BroadcastTo", [F([1, 2], 2), I(3)]));
        Assert.Equal([4, 2, 3], Run1("BroadcastArgs", [I(2, 1), I(4, 1, 3)]).ToArray<int>());
    }

    [Fact]
    public void UniqueKeepsFirstOccurrenceOrder()
    {
        var r = Run("Unique", [I(1, 1, 2, 4, 4, 4, 7, 8, 8)], 2);
        Assert.Equal([1, 2, 4, 7, 8], r[0].ToArray<int>());
        Assert.Equal([0, 0, 1, 2, 2, 2, 3, 4, 4], r[1].ToArray<int>());
    }

    [Fact]
    public void AssertFailsWithItsDataAndPrintForwards()
    {
        var ex = Assert.Throws<GraphExecutionException>(() => Run1("Assert", [Tensor.FromScalar(false), Tensor.FromString("x must be positive"), F([-1], 1)]));
        Assert.Contains("x must be positive", ex.Message);
        Assert.Contains("-1", ex.Message);
        Assert.Equal([3f], Run1("Print", [F([3], 1), F([9], 1)], ("message", Str("dbg: "))).ToArray<float>());
    }
}
