using TypedGraph.Protos;
using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.TestTensors;

namespace TypedGraph.Tests.Kernels;

/// <summary>
/// IEEE products with a zero operand are not always zero: 0·Inf and 0·NaN are NaN. Every matrix-product path must multiply
/// every pair (as Eigen's contraction behind TF's MatMul does), so a zero in A next to an Inf/NaN in B gives NaN, not 0.
/// Expected values come from a naive sum of products written here, which skips nothing.
/// </summary>
public class MatMulNonFiniteTests
{
    // A has zeros in every row; B has Inf, -Inf and NaN placed so that some of them meet those zeros.
    private static readonly double[] A = [0, 1, 0, 2, 0, 0, 3, 0, -1];
    private static readonly double[] B = [double.PositiveInfinity, 1, 2, 1, double.NaN, 0, 4, 5, double.NegativeInfinity];

    /// <summary>C = op(A)·op(B) for 3×3 row-major matrices, summing every product.</summary>
    private static double[] Reference(double[] a, double[] b, bool ta, bool tb)
    {
        var c = new double[9];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
            {
                double s = 0;
                for (int p = 0; p < 3; p++) s += (ta ? a[p * 3 + i] : a[i * 3 + p]) * (tb ? b[j * 3 + p] : b[p * 3 + j]);
                c[i * 3 + j] = s;
            }
        return c;
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void DoubleMatMulGivesNaNForZeroTimesInfinity(bool ta, bool tb)
    {
        var expected = Reference(A, B, ta, tb);
        Assert.Contains(expected, double.IsNaN); // the case is meaningful only if some zero meets a non-finite value
        var c = Run1("MatMul", [Tensor.Create(A, 3, 3), Tensor.Create(B, 3, 3)], Attrs(("transpose_a", ta), ("transpose_b", tb)));
        Assert.Equal(expected, c.ToArray<double>());
    }

    [Fact]
    public void FloatMatMulGivesNaNForZeroTimesInfinity()
    {
        var expected = Reference(A, B, false, false);
        var c = Run1("MatMul", [F(Array.ConvertAll(A, v => (float)v), 3, 3), F(Array.ConvertAll(B, v => (float)v), 3, 3)]);
        Assert.Equal(Array.ConvertAll(expected, v => (float)v), c.ToArray<float>());
    }

    [Theory]
    [InlineData("BatchMatMul")]
    [InlineData("BatchMatMulV2")]
    public void DoubleBatchMatMulGivesNaNForZeroTimesInfinity(string op)
    {
        // Two batches: (A, B) and (B, A), so zeros meet Inf/NaN from either side.
        var x = Tensor.Create(A.Concat(B).ToArray(), 2, 3, 3);
        var y = Tensor.Create(B.Concat(A).ToArray(), 2, 3, 3);
        var expected = Reference(A, B, false, false).Concat(Reference(B, A, false, false)).ToArray();
        Assert.Equal(expected, Run1(op, [x, y]).ToArray<double>());
    }

    [Fact]
    public void SparseTensorDenseMatMulMultipliesStoredZerosByInfinity()
    {
        // A is sparse 2×3 with entries (0,0)=0 (stored explicitly), (1,2)=2; TF multiplies every stored value.
        var indices = L([0, 0, 1, 2], 2, 2);
        var values = Tensor.Create(new double[] { 0, 2 }, 2);
        var shape = L([2, 3]);
        var b = Tensor.Create(new double[] { double.PositiveInfinity, 1, 5, 6, 7, 8 }, 3, 2);
        // Reference: out[r, :] += value · B[c, :] for every stored (r, c, value), as the CPU functor of TF's sparse_tensor_dense_matmul_op.cc does.
        (int R, int C, double V)[] stored = [(0, 0, 0), (1, 2, 2)];
        var bv = b.ToArray<double>();
        var expected = new double[4];
        foreach (var (r, col, v) in stored)
            for (int j = 0; j < 2; j++) expected[r * 2 + j] += v * bv[col * 2 + j];
        Assert.True(double.IsNaN(expected[0]));
        Assert.Equal(expected, Run1("SparseTensorDenseMatMul", [indices, values, shape, b]).ToArray<double>());
    }

    [Fact]
    public void IntegerMatMulStillExactWithZeros()
    {
        var a = I([0, 1, 0, 2, 0, 0, 3, 0, -1], 3, 3);
        var b = I([7, 1, 2, 1, 9, 0, 4, 5, 6], 3, 3);
        var av = a.ToArray<int>();
        var bv = b.ToArray<int>();
        var expected = new int[9];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                for (int p = 0; p < 3; p++) expected[i * 3 + j] += av[i * 3 + p] * bv[p * 3 + j];
        Assert.Equal(expected, Run1("MatMul", [a, b]).ToArray<int>());
        var al = Array.ConvertAll(av, v => (long)v);
        Assert.Equal(Array.ConvertAll(expected, v => (long)v), Run1("MatMul", [L(al, 3, 3), L(Array.ConvertAll(bv, v => (long)v), 3, 3)]).ToArray<long>());
    }
}
