using TypedGraph.Protos;
using static TypedGraph.Tests.Support.OpHarness;

namespace TypedGraph.Tests.Kernels.Linalg;

/// <summary>
/// Lu (TF's lu_op.cc, Eigen PartialPivLU): packed L (unit lower, strict part) and U, and the permutation p with
/// L·U = A[p] — the relation tf.linalg.lu_reconstruct undoes. Checked by multiplying the factors back out here, by
/// partial pivoting's |Lᵢⱼ| ≤ 1, on a hand-worked 2×2 and against TF's errors.
/// </summary>
public class LuKernelTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(6)]
    public void Factors_multiply_back_to_the_permuted_rows_of_A(int n)
    {
        const int batch = 4;
        var r = new Random(90 + n);
        var a = Enumerable.Range(0, batch * n * n).Select(_ => Math.Round(r.NextDouble() * 8 - 4, 2)).ToArray();
        var outs = Compute("Lu", [Tensor.Create(a, 2, 2, n, n)], 2);
        Assert.Equal(new TensorShape(2, 2, n, n), outs[0].Shape);
        Assert.Equal(new TensorShape(2, 2, n), outs[1].Shape);
        Assert.Equal(DataType.DtInt32, outs[1].DType);
        var lu = outs[0].ToArray<double>();
        var p = outs[1].ToArray<int>();
        for (int b = 0; b < batch; b++)
        {
            int at = b * n * n;
            Assert.Equal(Enumerable.Range(0, n), p.Skip(b * n).Take(n).OrderBy(x => x));
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                {
                    if (j < i) Assert.True(Math.Abs(lu[at + i * n + j]) <= 1, "partial pivoting keeps |L| <= 1");
                    double sum = 0;
                    for (int k = 0; k <= Math.Min(i, j); k++)
                        sum += (k == i ? 1 : lu[at + i * n + k]) * lu[at + k * n + j];
                    Assert.Equal(a[at + p[b * n + i] * n + j], sum, 1e-11);
                }
        }
        // output_idx_type int64 and float input.
        var f = Compute("Lu", [Tensor.Create(Array.ConvertAll(a, x => (float)x), batch, n, n)], 2, Attrs(("output_idx_type", DataType.DtInt64)));
        Assert.Equal(DataType.DtFloat, f[0].DType);
        Assert.Equal(Array.ConvertAll(p, x => (long)x), f[1].ToArray<long>());
        var lf = f[0].ToArray<float>();
        for (int i = 0; i < lu.Length; i++) Assert.Equal(lu[i], lf[i], 4);
    }

    [Fact]
    public void Hand_worked_2x2_pivots_the_larger_row_first()
    {
        // [[1,2],[3,4]]: pivot 3 (row 1), l = 1/3, u11 = 2 − 4/3 = 2/3; p = [1, 0].
        var outs = Compute("Lu", [Tensor.Create(new double[] { 1, 2, 3, 4 }, 2, 2)], 2);
        var lu = outs[0].ToArray<double>();
        Assert.Equal(3.0, lu[0]);
        Assert.Equal(4.0, lu[1]);
        Assert.Equal(1.0 / 3, lu[2], 15);
        Assert.Equal(2.0 / 3, lu[3], 15);
        Assert.Equal([1, 0], outs[1].ToArray<int>());
    }

    [Fact]
    public void Errors_and_empty_inputs_follow_tf()
    {
        Assert.Contains("Input is not invertible.", Assert.Throws<GraphExecutionException>(() => Compute("Lu", [Tensor.Create(new double[] { 1, 2, 2, 4 }, 2, 2)], 2)).Message);
        Assert.Contains("Input matrix must be square.", Assert.Throws<GraphExecutionException>(() => Compute("Lu", [Tensor.Create(new double[6], 2, 3)], 2)).Message);
        Assert.Contains("must have rank >= 2", Assert.Throws<GraphExecutionException>(() => Compute("Lu", [Tensor.Create(new double[2], 2)], 2)).Message);
        var empty = Compute("Lu", [Tensor.Create(Array.Empty<double>(), 3, 0, 0)], 2);
        Assert.Equal(new TensorShape(3, 0, 0), empty[0].Shape);
        Assert.Equal(new TensorShape(3, 0), empty[1].Shape);
        var noBatch = Compute("Lu", [Tensor.Create(Array.Empty<double>(), 0, 2, 2)], 2);
        Assert.Equal(new TensorShape(0, 2), noBatch[1].Shape);
    }
}
