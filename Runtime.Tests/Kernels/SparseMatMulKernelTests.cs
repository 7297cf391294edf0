using TypedGraph.Protos;
using TypedGraph.Tests.Support;

namespace TypedGraph.Tests.Kernels;

/// <summary>SparseMatMul (sparse_matmul_op.cc): the dense product with transposes, float and bfloat16 inputs, the
/// sparsity flags being hints that leave the values unchanged; checked against a naive triple loop.</summary>
public sealed class SparseMatMulKernelTests
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Product_matches_a_naive_loop_for_every_transpose(bool ta, bool tb)
    {
        int m = 3, k = 5, n = 4;
        var rng = new Random(3);
        // bfloat16-exact values (8 significant bits) so the bfloat16 run must agree exactly.
        float R() => (float)Math.Round((rng.NextDouble() * 2 - 1) * 16) / 16;
        var a = Enumerable.Range(0, m * k).Select(_ => R()).ToArray();
        var b = Enumerable.Range(0, k * n).Select(_ => R()).ToArray();
        // a stored [k, m] when transposed, b [n, k].
        double A(int i, int p) => ta ? a[p * m + i] : a[i * k + p];
        double B(int p, int j) => tb ? b[j * k + p] : b[p * n + j];
        var expected = new float[m * n];
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) { double s = 0; for (int p = 0; p < k; p++) s += A(i, p) * B(p, j); expected[i * n + j] = (float)s; }
        var attrs = OpHarness.Attrs(("transpose_a", ta), ("transpose_b", tb), ("a_is_sparse", true), ("b_is_sparse", false));
        var ta0 = Tensor.Create(a, ta ? [k, m] : [m, k]);
        var tb0 = Tensor.Create(b, tb ? [n, k] : [k, n]);
        var y = OpHarness.Run1("SparseMatMul", [ta0, tb0], attrs);
        Assert.Equal(new[] { m, n }, y.Shape.ToArray());
        TestTensors.Close(expected, y.ToArray<float>(), 1e-6f);
        var aBf16 = new Tensor(DataType.DtBfloat16, ta0.Shape, a.SelectMany(v => BitConverter.GetBytes((ushort)(BitConverter.SingleToInt32Bits(v) >>> 16))).ToArray());
        var yb = OpHarness.Compute1("SparseMatMul", [aBf16, tb0], [.. attrs, ("Ta", new AttrValue { Type = DataType.DtBfloat16 })]);
        Assert.Equal(y.ToArray<float>(), yb.ToArray<float>());
    }

    [Fact]
    public void Mismatched_inner_dimensions_are_refused()
        => Assert.Contains("Matrix size incompatible", Assert.Throws<GraphExecutionException>(() =>
            OpHarness.Run1("SparseMatMul", [Tensor.Create(new float[6], 2, 3), Tensor.Create(new float[8], 4, 2)])).Message);
}
