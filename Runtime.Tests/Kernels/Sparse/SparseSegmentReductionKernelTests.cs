using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.TestTensors;

namespace TypedGraph.Tests.Kernels.Sparse;

public class SparseSegmentReductionKernelTests
{
    private static readonly float[] C = [1, 2, 3, 4, -1, -2, -3, -4, 5, 6, 7, 8];

    [Fact]
    public void SparseSegmentSum_MatchesTfDocExamples()
    {
        // tf.sparse.segment_sum doc, c = [[1,2,3,4],[-1,-2,-3,-4],[5,6,7,8]].
        Assert.Equal([0f, 0, 0, 0], Compute1("SparseSegmentSum", [F(C, 3, 4), I([0, 1]), I([0, 0])]).ToArray<float>());
        Assert.Equal([1f, 2, 3, 4, -1, -2, -3, -4], Compute1("SparseSegmentSum", [F(C, 3, 4), I([0, 1]), I([0, 1])]).ToArray<float>());
        Assert.Equal([1f, 2, 3, 4, 5, 6, 7, 8], Compute1("SparseSegmentSum", [F(C, 3, 4), I([0, 2]), I([0, 1])]).ToArray<float>());
        // with_num_segments doc: (c, [0,1], [0,2], num_segments=4) -> [[1,2,3,4],[0..],[-1,-2,-3,-4],[0..]].
        var r = Compute1("SparseSegmentSumWithNumSegments", [F(C, 3, 4), I([0, 1]), I([0, 2]), Tensor.FromScalar(4)]);
        Assert.Equal(new TensorShape(4, 4), r.Shape);
        Assert.Equal([1f, 2, 3, 4, 0, 0, 0, 0, -1, -2, -3, -4, 0, 0, 0, 0], r.ToArray<float>());
    }

    [Fact]
    public void SparseSegmentMeanAndSqrtN_RandomMatchNaiveReference()
    {
        var rnd = new Random(3);
        int rows = 10, inner = 3, n = 25;
        var data = RandomFloats(rnd, rows * inner);
        var idx = Enumerable.Range(0, n).Select(_ => rnd.Next(rows)).ToArray(); // duplicates on purpose
        var ids = Enumerable.Range(0, n).Select(_ => rnd.Next(7)).Order().ToArray();
        int segs = ids[^1] + 1;
        var sum = new double[segs * inner];
        var count = new int[segs];
        for (int i = 0; i < n; i++)
        {
            count[ids[i]]++;
            for (int k = 0; k < inner; k++) sum[ids[i] * inner + k] += data[idx[i] * inner + k];
        }
        var mean = sum.Select((s, j) => count[j / inner] == 0 ? 0f : (float)(s / count[j / inner])).ToArray();
        var sqrtn = sum.Select((s, j) => count[j / inner] == 0 ? 0f : (float)(s / Math.Sqrt(count[j / inner]))).ToArray();
        Close(mean, Compute1("SparseSegmentMean", [F(data, rows, inner), I(idx), I(ids)]).ToArray<float>(), 1e-5f, "mean");
        Close(sqrtn, Compute1("SparseSegmentSqrtN", [F(data, rows, inner), L(idx.Select(v => (long)v).ToArray()), I(ids)]).ToArray<float>(), 1e-5f, "sqrtn");
        var d = Compute1("SparseSegmentMeanWithNumSegments", [Tensor.Create(data.Select(v => (double)v).ToArray(), rows, inner), I(idx), I(ids), Tensor.FromScalar(segs + 2)]);
        Assert.Equal(new TensorShape(segs + 2, inner), d.Shape);
        Close(mean.Concat(new float[2 * inner]).ToArray(), d.ToArray<double>().Select(v => (float)v).ToArray(), 1e-6f, "mean double");
    }

    [Fact]
    public void SparseSegmentOps_ErrorsNameTheBadIndexOrSegment()
    {
        var ex = Assert.Throws<GraphExecutionException>(() => Compute1("SparseSegmentSum", [F(C, 3, 4), I([0, 3]), I([0, 1])]));
        Assert.Contains("Bad: indices[1] == 3 out of range [0, 3)", ex.Message);
        Assert.Contains("segment ids are not increasing", Assert.Throws<GraphExecutionException>(() => Compute1("SparseSegmentMean", [F(C, 3, 4), I([0, 1]), I([1, 0])])).Message);
        Assert.Contains("Segment id 4 out of range [0, 2)", Assert.Throws<GraphExecutionException>(() =>
            Compute1("SparseSegmentSumWithNumSegments", [F(C, 3, 4), I([0, 1]), I([0, 4]), Tensor.FromScalar(2)])).Message);
        Assert.Contains("should have same size", Assert.Throws<GraphExecutionException>(() => Compute1("SparseSegmentSum", [F(C, 3, 4), I([0, 1]), I([0])])).Message);
        Assert.Throws<GraphExecutionException>(() => Compute1("SparseSegmentSum", [I([1, 2]), I([0]), I([0])])); // TF registers float types only
        Assert.Equal(new TensorShape(0, 4), Compute1("SparseSegmentSum", [F(C, 3, 4), I([]), I([])]).Shape);
    }

    [Fact]
    public void SparseSegmentMeanGrad_IsTheAdjointOfSparseSegmentMean()
    {
        // <Mean(x), g> == <x, MeanGrad(g)> for any x, g: the gradient op is the transpose of the linear map.
        var rnd = new Random(11);
        int rows = 6, inner = 2;
        int[] idx = [5, 0, 0, 3, 2, 5];
        int[] ids = [0, 0, 1, 1, 1, 3];
        var x = RandomFloats(rnd, rows * inner);
        var g = RandomFloats(rnd, 4 * inner);
        foreach (var op in new[] { "Sum", "Mean", "SqrtN" })
        {
            var y = Compute1("SparseSegment" + op, [F(x, rows, inner), I(idx), I(ids)]).ToArray<float>();
            var gx = Compute1("SparseSegment" + op + "Grad", [F(g, 4, inner), I(idx), I(ids), Tensor.FromScalar(rows)]).ToArray<float>();
            double lhs = y.Zip(g).Sum(p => (double)p.First * p.Second), rhs = x.Zip(gx).Sum(p => (double)p.First * p.Second);
            Assert.True(Math.Abs(lhs - rhs) < 1e-5, $"{op}: {lhs} vs {rhs}");
        }
    }
}
