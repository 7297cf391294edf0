using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.TestTensors;

namespace TypedGraph.Tests.Kernels.Linalg;

public class EinsumKernelTests
{
    private static double[] Random(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => r.NextDouble() * 2 - 1).ToArray();
    }

    private static Tensor Einsum(string eq, params Tensor[] xs) => Compute1("Einsum", xs, Attrs(("equation", eq)));

    [Fact]
    public void Einsum_MatMulBatchMatMulAndBroadcastEllipsis_MatchNaiveLoops()
    {
        var a = Random(2 * 3 * 4, 1);
        var b = Random(4 * 5, 2);
        // "...ij,jk->...ik": a [2, 3, 4] · b [4, 5], the leading 2 broadcast.
        var y = Einsum("...ij,jk->...ik", Tensor.Create(a, 2, 3, 4), Tensor.Create(b, 4, 5));
        Assert.Equal(new TensorShape(2, 3, 5), y.Shape);
        var yv = y.ToArray<double>();
        for (int p = 0; p < 2; p++)
            for (int i = 0; i < 3; i++)
                for (int k = 0; k < 5; k++)
                {
                    double s = 0;
                    for (int j = 0; j < 4; j++) s += a[(p * 3 + i) * 4 + j] * b[j * 5 + k];
                    Assert.Equal(s, yv[(p * 3 + i) * 5 + k], 12);
                }
        // Implicit output: "ij,jk" is "ik"; batch "bij,bkj->bik" with the second operand transposed.
        var m = Random(3 * 4, 3);
        Assert.Equal(Einsum("ij,jk->ik", Tensor.Create(m, 3, 4), Tensor.Create(b, 4, 5)).ToArray<double>(), Einsum("ij,jk", Tensor.Create(m, 3, 4), Tensor.Create(b, 4, 5)).ToArray<double>());
        var c = Random(2 * 5 * 4, 4);
        var bt = Einsum("bij,bkj->bik", Tensor.Create(a, 2, 3, 4), Tensor.Create(c, 2, 5, 4)).ToArray<double>();
        for (int p = 0; p < 2; p++)
            for (int i = 0; i < 3; i++)
                for (int k = 0; k < 5; k++)
                {
                    double s = 0;
                    for (int j = 0; j < 4; j++) s += a[(p * 3 + i) * 4 + j] * c[(p * 5 + k) * 4 + j];
                    Assert.Equal(s, bt[(p * 3 + i) * 5 + k], 12);
                }
        // Size-1 ellipsis dims broadcast: [2, 1, 3, 4] with [5, 4, 2] -> [2, 5, 3, 2].
        var e = Einsum("...ij,...jk->...ik", Tensor.Create(Random(24, 5), 2, 1, 3, 4), Tensor.Create(Random(40, 6), 5, 4, 2));
        Assert.Equal(new TensorShape(2, 5, 3, 2), e.Shape);
    }

    [Fact]
    public void Einsum_DiagonalTraceTransposeOuterAndIntegers()
    {
        var sq = F([1, 2, 3, 4, 5, 6, 7, 8, 9], 3, 3);
        Assert.Equal([1f, 5, 9], Einsum("ii->i", sq).ToArray<float>());
        Assert.Equal(15f, Einsum("ii", sq).ToArray<float>().Single()); // implicit: i appears twice, so summed
        Assert.Equal(new TensorShape(), Einsum("ii", sq).Shape);
        Assert.Equal([1f, 4, 7, 2, 5, 8, 3, 6, 9], Einsum("ij->ji", sq).ToArray<float>());
        Assert.Equal([12f, 15, 18], Einsum("ij->j", sq).ToArray<float>());
        Assert.Equal([3, 4, 6, 8], Einsum("i,j->ij", I([1, 2]), I([3, 4])).ToArray<int>());
        Assert.Equal([11L], Einsum("i,i->", L([1, 2]), L([3, 4])).ToArray<long>());
        var err = Assert.Throws<GraphExecutionException>(() => Einsum("ij,jk->ik", F([1, 2, 3, 4, 5, 6], 2, 3), F([1, 2, 3, 4], 2, 2)));
        Assert.Contains("Expected dimension 3", err.Message);
        Assert.Throws<GraphExecutionException>(() => Einsum("ij->k", sq));
        Assert.Throws<GraphExecutionException>(() => Einsum("i1->i", sq));
    }

    // TF's EinsumHelper::StrideOrInflate with should_inflate: a label repeated in the output puts the values on that
    // diagonal and zeros elsewhere (the VJP of "ii->i" is "i->ii"); checked against a loop over the full output.
    [Fact]
    public void Einsum_RepeatedOutputLabel_InflatesOntoTheDiagonal()
    {
        Assert.Equal([1f, 0, 0, 0, 2, 0, 0, 0, 3], Einsum("i->ii", F([1, 2, 3], 3)).ToArray<float>());
        var x = Random(2 * 3, 11);
        var y = Einsum("ij->iji", Tensor.Create(x, 2, 3));
        Assert.Equal(new TensorShape(2, 3, 2), y.Shape);
        var v = y.ToArray<double>();
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
                for (int k = 0; k < 2; k++)
                    Assert.Equal(i == k ? x[i * 3 + j] : 0.0, v[(i * 3 + j) * 2 + k]);
        // Binary with an inflated output: out[b,i,i] = Σ_j a[b,i,j]·c[j].
        var a = Random(2 * 3 * 4, 12);
        var cv = Random(4, 13);
        var z = Einsum("bij,j->bii", Tensor.Create(a, 2, 3, 4), Tensor.Create(cv, 4)).ToArray<double>();
        for (int bb = 0; bb < 2; bb++)
            for (int i = 0; i < 3; i++)
                for (int k = 0; k < 3; k++)
                {
                    double expect = 0;
                    if (i == k) for (int j = 0; j < 4; j++) expect += a[(bb * 3 + i) * 4 + j] * cv[j];
                    Assert.Equal(expect, z[(bb * 3 + i) * 3 + k], 12);
                }
        Assert.Equal([7L, 0, 0, 7], Einsum(",ii->ii", Tensor.FromScalar(7L), L([1, 1, 1, 1], 2, 2)).ToArray<long>());
    }

    // TF's EinsumHelper::ProcessDimensions: broadcast dims in the inputs need an ellipsis in an explicit output.
    [Fact]
    public void Einsum_BroadcastDimsWithoutOutputEllipsis_IsRefusedWithTfMessage()
    {
        var err = Assert.Throws<GraphExecutionException>(() => Einsum("...ij->ij", Tensor.Create(Random(12, 1), 2, 2, 3)));
        Assert.Contains("Output contains 1 broadcasting dimension(s) but no ellipsis", err.Message);
        // No broadcast dims: the same equation is fine (an empty ellipsis).
        Assert.Equal(Random(6, 2), Einsum("...ij->ij", Tensor.Create(Random(6, 2), 2, 3)).ToArray<double>());
    }
}

public class SetOperationKernelTests
{
    [Fact]
    public void ListDiff_MatchesTfDocExample_KeepsOrderAndDuplicates()
    {
        // tf.compat.v1.setdiff1d doc: x = [1, 2, 3, 4, 5, 6], y = [1, 3, 5] -> out [2, 4, 6], idx [1, 3, 5].
        var r = Compute("ListDiff", [I([1, 2, 3, 4, 5, 6]), I([1, 3, 5])], 2);
        Assert.Equal([2, 4, 6], r[0].ToArray<int>());
        Assert.Equal([1, 3, 5], r[1].ToArray<int>());
        var d = Compute("ListDiff", [F([1, 2, 2, 3, -0f]), F([3, 0])], 2, Attrs(("out_idx", Protos.DataType.DtInt64)));
        Assert.Equal([1f, 2, 2], d[0].ToArray<float>());
        Assert.Equal([0L, 1, 2], d[1].ToArray<long>());
        var s = Compute("ListDiff", [Tensor.FromStrings(["a", "b", "c"], 3), Tensor.FromStrings(["b"], 1)], 2);
        Assert.Equal(["a", "c"], s[0].Strings.Select(System.Text.Encoding.UTF8.GetString));
        Assert.Throws<GraphExecutionException>(() => Compute("ListDiff", [I([1, 2], 1, 2), I([1])], 2));
    }

    [Fact]
    public void DenseToDenseSetOperation_PerRowSortedResults_AsSparseTensor()
    {
        var a = I([1, 2, 2, 3, 4, 5], 2, 3);
        var b = I([2, 7, 7, 5, 5, 1], 2, 3);
        Tensor[] Op(string kind) => Compute("DenseToDenseSetOperation", [a, b], 3, Attrs(("set_operation", kind)));
        var inter = Op("intersection");
        Assert.Equal([0L, 0, 1, 0], inter[0].ToArray<long>());
        Assert.Equal([2, 5], inter[1].ToArray<int>());
        Assert.Equal([2L, 1], inter[2].ToArray<long>());
        var union = Op("union");
        Assert.Equal([1, 2, 7, 1, 3, 4, 5], union[1].ToArray<int>());
        Assert.Equal([0L, 0, 0, 1, 0, 2, 1, 0, 1, 1, 1, 2, 1, 3], union[0].ToArray<long>());
        Assert.Equal([2L, 4], union[2].ToArray<long>());
        var aMinusB = Op("a-b");
        Assert.Equal([1, 3, 4], aMinusB[1].ToArray<int>());
        Assert.Equal([7, 1], Op("b-a")[1].ToArray<int>()); // row 0: {2, 7} - {1, 2}; row 1: {1, 5} - {3, 4, 5}
        var strs = Compute("DenseToDenseSetOperation", [Tensor.FromStrings(["b", "a"], 1, 2), Tensor.FromStrings(["a", "c"], 1, 2)], 3, Attrs(("set_operation", "union")));
        Assert.Equal(["a", "b", "c"], strs[1].Strings.Select(System.Text.Encoding.UTF8.GetString));
        Assert.Throws<GraphExecutionException>(() => Compute("DenseToDenseSetOperation", [I([1, 2]), I([1, 2])], 3, Attrs(("set_operation", "union"))));
        Assert.Throws<GraphExecutionException>(() => Compute("DenseToDenseSetOperation", [a, I([1, 2, 3], 3, 1)], 3, Attrs(("set_operation", "union"))));
    }
}
