using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.TestTensors;

namespace TypedGraph.Tests.Kernels.Sparse;

public class BucketizeKernelTests
{
    private static Action<Protos.NodeDef> Boundaries(params float[] b) => d =>
        d.Attr["boundaries"] = new Protos.AttrValue { List = new Protos.AttrValue.Types.ListValue { F = { b } } };

    [Fact]
    public void Bucketize_MatchesTfDocExample_BoundaryValuesGoRight()
    {
        // tf.raw_ops.Bucketize doc: boundaries [0, 10, 100], input [[-5, 10000], [150, 10], [5, 100]] -> [[0, 3], [3, 2], [1, 3]].
        var r = Compute1("Bucketize", [I([-5, 10000, 150, 10, 5, 100], 3, 2)], Boundaries(0, 10, 100));
        Assert.Equal(new TensorShape(3, 2), r.Shape);
        Assert.Equal([0, 3, 3, 2, 1, 3], r.ToArray<int>());
        Assert.Equal([0, 1, 1, 2], Compute1("Bucketize", [F([-0.1f, 0, 0.4f, 0.5f])], Boundaries(0, 0.5f)).ToArray<int>());
        Assert.Equal([0, 2], Compute1("Bucketize", [Tensor.Create(new[] { 0.5, 7.0 })], Boundaries(1, 2)).ToArray<int>());
        Assert.Equal([0L, 0], Compute1("Bucketize", [L([-3, 3])], Boundaries()).ToArray<int>().Select(v => (long)v));
        Assert.Throws<GraphExecutionException>(() => Compute1("Bucketize", [F([0])], Boundaries(2, 1)));
    }
}
