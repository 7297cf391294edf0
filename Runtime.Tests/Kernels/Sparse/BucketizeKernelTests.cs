using static TypedGraph.Tests.Kernels.KernelHost;

namespace TypedGraph.Tests.Kernels.Sparse;

public class BucketizeKernelTests
{
    private static Action<Protos.NodeDef> Boundaries(params float[] b) => d =>
        d.Attr["boundaries"] = new Protos.AttrValue { List = new Protos.AttrValue.Types.ListValue { F = { b } } };

    [Fact]
    public void Bucketize_MatchesTfDocExample_BoundaryValuesGoRight()
    {
        // tf.raw_ops.Bucketize doc: boundaries [0, 10, 100], input [[-5, 10000], [150, 10], [5, 100]] -> [[0, 3], [3, 2], [1, 3]].
        var r = Run1("Bucketize", Boundaries(0, 10, 100), I([-5, 10000, 150, 10, 5, 100], 3, 2));
        Assert.Equal(new TensorShape(3, 2), r.Shape);
        Assert.Equal([0, 3, 3, 2, 1, 3], r.ToArray<int>());
        Assert.Equal([0, 1, 1, 2], Run1("Bucketize", Boundaries(0, 0.5f), F([-0.1f, 0, 0.4f, 0.5f])).ToArray<int>());
        Assert.Equal([0, 2], Run1("Bucketize", Boundaries(1, 2), Tensor.Create(new[] { 0.5, 7.0 })).ToArray<int>());
        Assert.Equal([0L, 0], Run1("Bucketize", Boundaries(), L([-3, 3])).ToArray<int>().Select(v => (long)v));
        Assert.Throws<GraphExecutionException>(() => Run1("Bucketize", Boundaries(2, 1), F([0])));
    }
}
