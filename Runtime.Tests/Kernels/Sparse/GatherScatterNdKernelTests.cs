using System.Text;
using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.TestTensors;

namespace TypedGraph.Tests.Kernels.Sparse;

public class GatherScatterNdKernelTests
{
    [Fact]
    public void GatherNd_MatchesTfDocExamples()
    {
        // tf.gather_nd doc: params [['a','b'],['c','d']]; [[0,0],[1,1]] -> ['a','d']; [[1],[0]] -> [['c','d'],['a','b']].
        var p = Tensor.FromStrings(["a", "b", "c", "d"], 2, 2);
        var r = Compute1("GatherNd", [p, I([0, 0, 1, 1], 2, 2)]);
        Assert.Equal(["a", "d"], r.Strings.Select(s => Encoding.UTF8.GetString(s)));
        var rows = Compute1("GatherNd", [p, I([1, 0], 2, 1)]);
        Assert.Equal(new TensorShape(2, 2), rows.Shape);
        Assert.Equal(["c", "d", "a", "b"], rows.Strings.Select(s => Encoding.UTF8.GetString(s)));
        // Batched: indices [2, 1, 2] on [2, 2, 3] floats -> shape [2, 1, 3].
        var f = F(Enumerable.Range(0, 12).Select(i => (float)i).ToArray(), 2, 2, 3);
        var b = Compute1("GatherNd", [f, L([1, 0, 0, 1], 2, 1, 2)]);
        Assert.Equal(new TensorShape(2, 1, 3), b.Shape);
        Assert.Equal([6f, 7, 8, 3, 4, 5], b.ToArray<float>());
        var ex = Assert.Throws<GraphExecutionException>(() => Compute1("GatherNd", [f, I([0, 2], 1, 2)]));
        Assert.Contains("indices[0] = [0, 2] does not index into param shape [2,2,3]", ex.Message);
    }

    [Fact]
    public void ScatterNd_SumsDuplicates_AsTfDocExample()
    {
        // tf.scatter_nd doc: indices [[4],[3],[1],[7]], updates [9,10,11,12], shape [8] -> [0,11,0,10,9,0,0,12].
        Assert.Equal([0, 11, 0, 10, 9, 0, 0, 12], Compute1("ScatterNd", [I([4, 3, 1, 7], 4, 1), I([9, 10, 11, 12]), I([8])]).ToArray<int>());
        Assert.Equal([0.0, 3, 0], Compute1("ScatterNd", [I([1, 1], 2, 1), Tensor.Create(new[] { 1.0, 2.0 }), I([3])]).ToArray<double>());
        Assert.Contains("does not index into output shape", Assert.Throws<GraphExecutionException>(() => Compute1("ScatterNd", [I([8], 1, 1), I([1]), I([8])])).Message);
        Assert.Contains("must equal updates.shape", Assert.Throws<GraphExecutionException>(() => Compute1("ScatterNd", [I([1], 1, 1), I([1, 2]), I([8])])).Message);
    }

    [Fact]
    public void TensorScatterOps_ApplyInIndexOrderOnACopy()
    {
        // tf.tensor_scatter_nd_update doc: tensor [0]*8, indices [[4],[3],[1],[7]], updates [9,10,11,12].
        var t = L(new long[8]);
        Assert.Equal([0L, 11, 0, 10, 9, 0, 0, 12], Compute1("TensorScatterUpdate", [t, I([4, 3, 1, 7], 4, 1), L([9, 10, 11, 12])]).ToArray<long>());
        Assert.Equal(new long[8], t.ToArray<long>()); // input untouched
        var x = F([1, 2, 3, 4], 2, 2);
        Assert.Equal([1f, 2, 15, 24], Compute1("TensorScatterAdd", [x, I([1, 1], 2, 1), F([5, 10, 7, 10], 2, 2)]).ToArray<float>());
        Assert.Equal([1f, 2, -9, -16], Compute1("TensorScatterSub", [x, I([1, 1], 2, 1), F([5, 10, 7, 10], 2, 2)]).ToArray<float>());
        Assert.Equal([1f, 2, 7, 10], Compute1("TensorScatterMax", [x, I([1, 1], 2, 1), F([5, 10, 7, 1], 2, 2)]).ToArray<float>());
        Assert.Equal([0f, 2, 3, 4], Compute1("TensorScatterMin", [x, I([0, 0], 1, 2), F([0], 1)]).ToArray<float>());
    }
}
