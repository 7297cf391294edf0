using TypedGraph.Protos;
using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.TestTensors;

namespace TypedGraph.Tests.Kernels.Sparse;

public class SegmentReductionKernelTests
{
    private static readonly float[] C = [1, 2, 3, 4, 4, 3, 2, 1, 5, 6, 7, 8];

    [Fact]
    public void SegmentSumAndMax_MatchTfDocExample()
    {
        // tf.math.segment_sum doc: c = [[1,2,3,4],[4,3,2,1],[5,6,7,8]], ids [0,0,1] -> [[5,5,5,5],[5,6,7,8]].
        var sum = Compute1("SegmentSum", [F(C, 3, 4), I([0, 0, 1])]);
        Assert.Equal(new TensorShape(2, 4), sum.Shape);
        Assert.Equal([5f, 5, 5, 5, 5, 6, 7, 8], sum.ToArray<float>());
        // segment_max doc: -> [[4,3,3,4],[5,6,7,8]].
        Assert.Equal([4f, 3, 3, 4, 5, 6, 7, 8], Compute1("SegmentMax", [F(C, 3, 4), I([0, 0, 1])]).ToArray<float>());
        Assert.Equal([1f, 2, 2, 1, 5, 6, 7, 8], Compute1("SegmentMin", [F(C, 3, 4), I([0, 0, 1])]).ToArray<float>());
        Assert.Equal([2.5f, 2.5f, 2.5f, 2.5f, 5, 6, 7, 8], Compute1("SegmentMean", [F(C, 3, 4), I([0, 0, 1])]).ToArray<float>());
        Assert.Equal([4f, 6, 6, 4, 5, 6, 7, 8], Compute1("SegmentProd", [F(C, 3, 4), I([0, 0, 1])]).ToArray<float>());
    }

    [Fact]
    public void SegmentOps_FillGapsWithTfDefaults_ZeroExceptProdOne()
    {
        // ids [0, 2]: row 1 has no id. TF's SegmentReductionOp default_value: 0 (Sum/Mean/Max/Min), 1 (Prod).
        var data = L([7, 9], 2);
        Assert.Equal([7L, 0, 9], Compute1("SegmentMax", [data, L([0, 2])]).ToArray<long>());
        Assert.Equal([7L, 1, 9], Compute1("SegmentProd", [data, L([0, 2])]).ToArray<long>());
        Assert.Equal([7, 0, 9], Compute1("SegmentSum", [I([7, 9]), I([0, 2])]).ToArray<int>());
        Assert.Equal([7.0, 0, 9], Compute1("SegmentMin", [Tensor.Create(new[] { 7.0, 9.0 }), I([0, 2])]).ToArray<double>());
    }

    [Fact]
    public void SegmentOps_RejectUnsortedNegativeAndMismatchedIds_WithTfMessages()
    {
        Assert.Contains("segment ids are not increasing", Assert.Throws<GraphExecutionException>(() => Compute1("SegmentSum", [F([1, 2], 2), I([1, 0])])).Message);
        Assert.Contains("segment ids must be >= 0", Assert.Throws<GraphExecutionException>(() => Compute1("SegmentSum", [F([1, 2], 2), I([-1, 0])])).Message);
        Assert.Contains("same size as dimension 0", Assert.Throws<GraphExecutionException>(() => Compute1("SegmentSum", [F([1, 2], 2), I([0])])).Message);
        Assert.Equal(new TensorShape(0, 3), Compute1("SegmentSum", [F([], 0, 3), I([])]).Shape);
    }

    [Fact]
    public void UnsortedSegmentOps_MatchTfDocExampleAndIdentities()
    {
        // unsorted_segment_sum doc: c = [[1,2,3,4],[5,6,7,8],[4,3,2,1]], ids [0,1,0], n 2 -> [[5,5,5,5],[5,6,7,8]].
        float[] c = [1, 2, 3, 4, 5, 6, 7, 8, 4, 3, 2, 1];
        Assert.Equal([5f, 5, 5, 5, 5, 6, 7, 8], Compute1("UnsortedSegmentSum", [F(c, 3, 4), I([0, 1, 0]), I([2])]).ToArray<float>());
        Assert.Equal([4f, 3, 3, 4, 5, 6, 7, 8], Compute1("UnsortedSegmentMax", [F(c, 3, 4), I([0, 1, 0]), Tensor.FromScalar(2)]).ToArray<float>());
        Assert.Equal([1f, 2, 2, 1, 5, 6, 7, 8], Compute1("UnsortedSegmentMin", [F(c, 3, 4), I([0, 1, 0]), Tensor.FromScalar(2)]).ToArray<float>());
        Assert.Equal([4f, 6, 6, 4, 5, 6, 7, 8], Compute1("UnsortedSegmentProd", [F(c, 3, 4), I([0, 1, 0]), Tensor.FromScalar(2)]).ToArray<float>());
        // Empty segments hold the identity: lowest() for max, highest() for min, 1 for prod (TF's UnsortedSegmentFunctor).
        Assert.Equal([3, int.MinValue], Compute1("UnsortedSegmentMax", [I([3]), I([0]), Tensor.FromScalar(2)]).ToArray<int>());
        Assert.Equal([3L, long.MaxValue], Compute1("UnsortedSegmentMin", [L([3]), I([0]), Tensor.FromScalar(2L)]).ToArray<long>());
        Assert.Equal(-float.MaxValue, Compute1("UnsortedSegmentMax", [F([3], 1), I([0]), Tensor.FromScalar(2)]).ToArray<float>()[1]);
    }

    [Fact]
    public void UnsortedSegmentOps_DropNegativeIds_RejectTooLargeOnes_AcceptPrefixShapedIds()
    {
        Assert.Equal([2.0, 0], Compute1("UnsortedSegmentSum", [Tensor.Create(new[] { 1.0, 2.0 }), I([-1, 0]), Tensor.FromScalar(2)]).ToArray<double>());
        var ex = Assert.Throws<GraphExecutionException>(() => Compute1("UnsortedSegmentSum", [F([1, 2], 2), I([0, 2]), Tensor.FromScalar(2)]));
        Assert.Contains("segment_ids[1] = 2 is out of range [0, 2)", ex.Message);
        // ids of shape [2, 2] on data [2, 2, 3]: rows of 3 summed into segments.
        var data = F(Enumerable.Range(0, 12).Select(i => (float)i).ToArray(), 2, 2, 3);
        var r = Compute1("UnsortedSegmentSum", [data, I([1, 0, 1, 1], 2, 2), Tensor.FromScalar(2)]);
        Assert.Equal(new TensorShape(2, 3), r.Shape);
        Assert.Equal([3f, 4, 5, 0 + 6 + 9, 1 + 7 + 10, 2 + 8 + 11], r.ToArray<float>());
        Assert.Contains("does not start with segment_ids.shape", Assert.Throws<GraphExecutionException>(() => Compute1("UnsortedSegmentSum", [data, I([0, 1, 0]), Tensor.FromScalar(2)])).Message);
    }

    [Fact]
    public void UnsortedSegmentSum_RandomInt64MatchesNaiveLoop()
    {
        var rnd = new Random(7);
        var ids = Enumerable.Range(0, 50).Select(_ => (long)rnd.Next(-2, 9)).ToArray();
        var data = Enumerable.Range(0, 150).Select(_ => (long)rnd.Next(-100, 100)).ToArray();
        var expect = new long[9 * 3];
        for (int i = 0; i < 50; i++)
            if (ids[i] >= 0)
                for (int k = 0; k < 3; k++) expect[ids[i] * 3 + k] += data[i * 3 + k];
        Assert.Equal(expect, Compute1("UnsortedSegmentSum", [L(data, 50, 3), L(ids), Tensor.FromScalar(9L)]).ToArray<long>());
    }
}
