using System.Text;
using TypedGraph.Protos;
using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.TestTensors;

namespace TypedGraph.Tests.Kernels.Sparse;

public class SparseTensorKernelTests
{
    private static Tensor Idx(long[,] v)
    {
        var flat = new long[v.Length];
        Buffer.BlockCopy(v, 0, flat, 0, flat.Length * 8);
        return L(flat, v.GetLength(0), v.GetLength(1));
    }

    private static string[] Strs(Tensor t) => t.Strings.Select(s => Encoding.UTF8.GetString(s)).ToArray();

    [Fact]
    public void SparseFillEmptyRows_MatchesTfDocExample()
    {
        // tf.sparse.fill_empty_rows doc: [0,1]:a [0,3]:b [2,0]:c [3,1]:d, dense_shape [5,6], default "x".
        var r = Compute("SparseFillEmptyRows", [Idx(new long[,] { { 0, 1 }, { 0, 3 }, { 2, 0 }, { 3, 1 } }), Tensor.FromStrings(["a", "b", "c", "d"]), L([5, 6]), Tensor.FromString("x")], 4);
        Assert.Equal([0L, 1, 0, 3, 1, 0, 2, 0, 3, 1, 4, 0], r[0].ToArray<long>());
        Assert.Equal(["a", "b", "x", "c", "d", "x"], Strs(r[1]));
        Assert.Equal([false, true, false, false, true], r[2].ToArray<bool>());
        Assert.Equal([0L, 1, 3, 4], r[3].ToArray<long>());
    }

    [Fact]
    public void SparseFillEmptyRows_UnorderedRowsAreGroupedKeepingOrderWithinARow()
    {
        var r = Compute("SparseFillEmptyRows", [Idx(new long[,] { { 2, 0 }, { 0, 5 }, { 2, 1 }, { 0, 1 } }), F([1, 2, 3, 4]), L([3, 6]), Tensor.FromScalar(-1f)], 4);
        Assert.Equal([0L, 5, 0, 1, 1, 0, 2, 0, 2, 1], r[0].ToArray<long>());
        Assert.Equal([2f, 4, -1, 1, 3], r[1].ToArray<float>());
        Assert.Equal([3L, 0, 4, 1], r[3].ToArray<long>());
        var ex = Assert.Throws<GraphExecutionException>(() => Compute("SparseFillEmptyRows", [Idx(new long[,] { { 3, 0 } }), F([1]), L([3, 6]), Tensor.FromScalar(0f)], 4));
        Assert.Contains("indices(0, 0) is invalid: 3 >= 3", ex.Message);
    }

    [Fact]
    public void SparseReshape_InfersMinusOneAndRemapsByLinearIndex()
    {
        // Reference: linear index in [2,3,6] re-split as [9,-1] -> [9,4].
        var rnd = new Random(5);
        var coords = Enumerable.Range(0, 8).Select(_ => new long[] { rnd.Next(2), rnd.Next(3), rnd.Next(6) }).ToArray();
        var input = L(coords.SelectMany(c => c).ToArray(), 8, 3);
        var r = Compute("SparseReshape", [input, L([2, 3, 6]), L([9, -1])], 2);
        Assert.Equal([9L, 4], r[1].ToArray<long>());
        var got = r[0].ToArray<long>();
        for (int i = 0; i < 8; i++)
        {
            long lin = coords[i][0] * 18 + coords[i][1] * 6 + coords[i][2];
            Assert.Equal(lin / 4, got[2 * i]);
            Assert.Equal(lin % 4, got[2 * i + 1]);
        }
        Assert.Contains("only one output dimension may be -1", Assert.Throws<GraphExecutionException>(() => Compute("SparseReshape", [input, L([2, 3, 6]), L([-1, -1])], 2)).Message);
        Assert.Contains("36 dense values, but the requested shape has 35", Assert.Throws<GraphExecutionException>(() => Compute("SparseReshape", [input, L([2, 3, 6]), L([5, 7])], 2)).Message);
    }

    [Fact]
    public void SparseToDense_ScatterScalarOrVectorValues_AndValidatesOrder()
    {
        var d = Compute1("SparseToDense", [Idx(new long[,] { { 0, 1 }, { 1, 2 } }), L([2, 3]), F([5, 6]), Tensor.FromScalar(-1f)]);
        Assert.Equal([-1f, 5, -1, -1, -1, 6], d.ToArray<float>());
        // 1-D indices are rank-1 coordinates; a scalar value is broadcast (tf.sparse_to_dense doc).
        Assert.Equal([0, 7, 0, 7], Compute1("SparseToDense", [I([1, 3]), I([4]), Tensor.FromScalar(7), Tensor.FromScalar(0)]).ToArray<int>());
        var unordered = Assert.Throws<GraphExecutionException>(() => Compute1("SparseToDense", [Idx(new long[,] { { 1, 2 }, { 0, 1 } }), L([2, 3]), F([5, 6]), Tensor.FromScalar(0f)]));
        Assert.Contains("indices[1] = [0,1] is out of order", unordered.Message);
        Assert.Contains("is repeated", Assert.Throws<GraphExecutionException>(() => Compute1("SparseToDense", [Idx(new long[,] { { 0, 1 }, { 0, 1 } }), L([2, 3]), F([5, 6]), Tensor.FromScalar(0f)])).Message);
        Assert.Contains("is out of bounds: need 0 <= index < [2,3]", Assert.Throws<GraphExecutionException>(() => Compute1("SparseToDense", [Idx(new long[,] { { 0, 3 } }), L([2, 3]), F([5]), Tensor.FromScalar(0f)])).Message);
        // validate_indices=false accepts any order (last write wins).
        var lenient = Compute1("SparseToDense", [Idx(new long[,] { { 1, 2 }, { 0, 1 } }), L([2, 3]), F([5, 6]), Tensor.FromScalar(0f)], Attrs(("validate_indices", false)));
        Assert.Equal([0f, 6, 0, 0, 0, 5], lenient.ToArray<float>());
    }

    [Fact]
    public void SparseReorder_SortsRowMajorAndCarriesValues()
    {
        var r = Compute("SparseReorder", [Idx(new long[,] { { 1, 0 }, { 0, 2 }, { 0, 1 } }), Tensor.FromStrings(["c", "b", "a"]), L([2, 3])], 2);
        Assert.Equal([0L, 1, 0, 2, 1, 0], r[0].ToArray<long>());
        Assert.Equal(["a", "b", "c"], Strs(r[1]));
        Assert.Contains("out of bounds", Assert.Throws<GraphExecutionException>(() => Compute("SparseReorder", [Idx(new long[,] { { 2, 0 } }), F([1]), L([2, 3])], 2)).Message);
    }

    [Fact]
    public void SparseSlice_MatchesTfDocExample()
    {
        // tf.sparse.slice doc: shape [2,7] with [0,2]:a [0,4]:d [0,5]:e [1,0]:b [1,1]:c.
        var idx = Idx(new long[,] { { 0, 2 }, { 0, 4 }, { 0, 5 }, { 1, 0 }, { 1, 1 } });
        var vals = Tensor.FromStrings(["a", "d", "e", "b", "c"]);
        var left = Compute("SparseSlice", [idx, vals, L([2, 7]), L([0, 0]), L([2, 4])], 3);
        Assert.Equal([0L, 2, 1, 0, 1, 1], left[0].ToArray<long>());
        Assert.Equal(["a", "b", "c"], Strs(left[1]));
        Assert.Equal([2L, 4], left[2].ToArray<long>());
        var right = Compute("SparseSlice", [idx, vals, L([2, 7]), L([0, 4]), L([2, 3])], 3);
        Assert.Equal([0L, 0, 0, 1], right[0].ToArray<long>());
        Assert.Equal(["d", "e"], Strs(right[1]));
        Assert.Equal([2L, 3], right[2].ToArray<long>());
        // A size past the end is clipped to the dense shape.
        Assert.Equal([2L, 1], Compute("SparseSlice", [idx, vals, L([2, 7]), L([0, 6]), L([5, 5])], 3)[2].ToArray<long>());
    }

    [Fact]
    public void SparseConcat_MatchesTfDocExample()
    {
        // tf.sparse.concat doc, axis 1: [0,2]:a [1,0]:b [1,1]:c (shape [2,3]) ++ [0,1]:d [0,2]:e (shape [2,4]).
        var r = Compute("SparseConcat", [Idx(new long[,] { { 0, 2 }, { 1, 0 }, { 1, 1 } }), Idx(new long[,] { { 0, 1 }, { 0, 2 } }),
            Tensor.FromStrings(["a", "b", "c"]), Tensor.FromStrings(["d", "e"]), L([2, 3]), L([2, 4])], 3, Attrs(("concat_dim", 1), ("N", 2)));
        Assert.Equal([0L, 2, 0, 4, 0, 5, 1, 0, 1, 1], r[0].ToArray<long>());
        Assert.Equal(["a", "d", "e", "b", "c"], Strs(r[1]));
        Assert.Equal([2L, 7], r[2].ToArray<long>());
        var bad = Assert.Throws<GraphExecutionException>(() => Compute("SparseConcat", [Idx(new long[,] { { 0, 0 } }), Idx(new long[,] { { 0, 0 } }),
            F([1]), F([2]), L([2, 3]), L([3, 4])], 3, Attrs(("concat_dim", 1), ("N", 2))));
        Assert.Contains("Input shapes must match: expected 2 for dimension 0 but got 3 at position 1", bad.Message);
    }

    [Fact]
    public void SparseAdd_SumsMatchesAndDropsSmallSumsOnly()
    {
        // thresh 0.5: [0,1] sums to 0.25 and is dropped; lone entries stay even when small (TF's sparse_add_op.cc).
        var r = Compute("SparseAdd", [Idx(new long[,] { { 0, 0 }, { 0, 1 }, { 1, 2 } }), F([1, 0.5f, 0.1f]), L([2, 3]),
            Idx(new long[,] { { 0, 1 }, { 1, 0 }, { 1, 2 } }), F([-0.25f, 2, 3]), L([2, 3]), Tensor.FromScalar(0.5f)], 3);
        Assert.Equal([0L, 0, 1, 0, 1, 2], r[0].ToArray<long>());
        Assert.Equal([1f, 2, 3.1f], r[1].ToArray<float>());
        Assert.Equal([2L, 3], r[2].ToArray<long>());
        Assert.Contains("Operands' shapes do not match", Assert.Throws<GraphExecutionException>(() => Compute("SparseAdd", [Idx(new long[,] { { 0, 0 } }), F([1]), L([2, 3]),
            Idx(new long[,] { { 0, 0 } }), F([1]), L([3, 3]), Tensor.FromScalar(0f)], 3)).Message);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void SparseTensorDenseMatMul_MatchesDenseProduct(bool adjA, bool adjB)
    {
        var rnd = new Random(adjA ? 1 : 2);
        int m = 4, k = 5, n = 3;
        int aRows = adjA ? k : m, aCols = adjA ? m : k;
        var dense = new float[aRows * aCols];
        var coords = new List<long>();
        var vals = new List<float>();
        for (int i = 0; i < aRows; i++)
            for (int j = 0; j < aCols; j++)
                if (rnd.NextDouble() < 0.4)
                {
                    dense[i * aCols + j] = (float)rnd.NextDouble() - 0.5f;
                    coords.Add(i); coords.Add(j); vals.Add(dense[i * aCols + j]);
                }
        int bRows = adjB ? n : k, bCols = adjB ? k : n;
        var b = RandomFloats(rnd, bRows * bCols);
        var expect = new float[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                for (int t = 0; t < k; t++)
                {
                    float av = adjA ? dense[t * aCols + i] : dense[i * aCols + t];
                    float bv = adjB ? b[j * bCols + t] : b[t * bCols + j];
                    expect[i * n + j] += av * bv;
                }
        var r = Compute1("SparseTensorDenseMatMul", [L(coords.ToArray(), vals.Count, 2), F(vals.ToArray()), L([aRows, aCols]), F(b, bRows, bCols)], Attrs(("adjoint_a", adjA), ("adjoint_b", adjB)));
        Assert.Equal(new TensorShape(m, n), r.Shape);
        Close(expect, r.ToArray<float>(), 1e-5f);
    }

    [Fact]
    public void SparseTensorDenseMatMul_RejectsInnerMismatchAndOutOfRangeIndex()
    {
        Assert.Contains("inner dimension does not match", Assert.Throws<GraphExecutionException>(() =>
            Compute1("SparseTensorDenseMatMul", [L([0, 0], 1, 2), F([1]), L([2, 3]), F(new float[8], 4, 2)])).Message);
        Assert.Contains("out of range", Assert.Throws<GraphExecutionException>(() =>
            Compute1("SparseTensorDenseMatMul", [L([0, 3], 1, 2), F([1]), L([2, 3]), F(new float[6], 3, 2)])).Message);
    }
}
