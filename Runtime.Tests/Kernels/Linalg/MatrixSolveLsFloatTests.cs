using System.Numerics;
using TypedGraph.Protos;
using static TypedGraph.Tests.Support.OpHarness;

namespace TypedGraph.Tests.Kernels.Linalg;

/// <summary>
/// MatrixSolveLs's fast path (TF's matrix_solve_ls_op_impl.h: Gramian + Eigen LLT in the input's scalar type) runs in
/// single precision for float/complex64: a float matrix whose float Gramian is not positive definite fails with TF's
/// rank-deficiency error although the same values in double factor; well-conditioned float/complex64 problems agree with
/// the double normal-equation solution formed here to single-precision accuracy.
/// </summary>
public class MatrixSolveLsFloatTests
{
    private static Tensor L2(double v) => Tensor.FromScalar(v);

    [Fact]
    public void Float_Cholesky_of_a_nearly_rank_deficient_gramian_fails_where_double_succeeds()
    {
        // A = [[1, 1], [1, 1.0001]]: AᵀA's second Cholesky pivot is δ²/2 ≈ 5e-9 in exact arithmetic, below float's
        // rounding of the entries near 2 (ulp 2.4e-7), so Eigen's float LLT meets a pivot ≤ 0; in double it is positive.
        float d = 1.0001f;
        var a = new float[] { 1, 1, 1, d };
        var b = new float[] { 2, 3 };
        var e = Assert.Throws<GraphExecutionException>(() => Compute1("MatrixSolveLs", [Tensor.Create(a, 2, 2), Tensor.Create(b, 2, 1), L2(0)]));
        Assert.Contains("Input matrix was rank deficient or ill-conditioned. Try setting fast=False or provide a larger l2_regularizer > 0.", e.Message);
        // The same values in double: x solves A·x = b (square and invertible): x₁ = 1/(d − 1), x₀ = 2 − x₁.
        var x = Compute1("MatrixSolveLs", [Tensor.Create(a.Select(v => (double)v).ToArray(), 2, 2), Tensor.Create(new double[] { 2, 3 }, 2, 1), L2(0)]).ToArray<double>();
        double x1 = 1 / ((double)d - 1), x0 = 2 - x1;
        Assert.True(Math.Abs(x[1] - x1) <= 1e-5 * Math.Abs(x1), $"x1 {x[1]} vs {x1}");
        Assert.True(Math.Abs(x[0] - x0) <= 1e-5 * Math.Abs(x1), $"x0 {x[0]} vs {x0}");
        // Underdetermined (rows < cols): AAᵀ of [[1, 1, 0], [1, d, 0]] is the same Gramian → the second-kind error text;
        // a float l2_regularizer of 1e-3 makes it factor.
        var wide = new float[] { 1, 1, 0, 1, d, 0 };
        var e2 = Assert.Throws<GraphExecutionException>(() => Compute1("MatrixSolveLs", [Tensor.Create(wide, 2, 3), Tensor.Create(b, 2, 1), L2(0)]));
        Assert.Contains("Try setting fast=False or provide an l2_regularizer > 0.", e2.Message);
        var regularized = Compute1("MatrixSolveLs", [Tensor.Create(wide, 2, 3), Tensor.Create(b, 2, 1), L2(1e-3)]).ToArray<float>();
        Assert.Equal(3, regularized.Length);
        Assert.Equal(0f, regularized[2]); // Aᵀ·z has a zero third row
        Assert.All(regularized, v => Assert.True(float.IsFinite(v)));
    }

    private static Complex[] NormalEquations(Complex[] a, Complex[] b, int m, int n, int k)
    {
        // (AᴴA)·X = AᴴB by Gauss–Jordan in complex double.
        var g = new Complex[n * (n + k)];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++) for (int r = 0; r < m; r++) g[i * (n + k) + j] += Complex.Conjugate(a[r * n + i]) * a[r * n + j];
            for (int j = 0; j < k; j++) for (int r = 0; r < m; r++) g[i * (n + k) + n + j] += Complex.Conjugate(a[r * n + i]) * b[r * k + j];
        }
        int w = n + k;
        for (int c = 0; c < n; c++)
        {
            var piv = g[c * w + c];
            for (int j = 0; j < w; j++) g[c * w + j] /= piv;
            for (int i = 0; i < n; i++)
                if (i != c)
                {
                    var f = g[i * w + c];
                    for (int j = 0; j < w; j++) g[i * w + j] -= f * g[c * w + j];
                }
        }
        var x = new Complex[n * k];
        for (int i = 0; i < n; i++) for (int j = 0; j < k; j++) x[i * k + j] = g[i * w + n + j];
        return x;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Well_conditioned_float_and_complex64_batches_match_double_normal_equations(bool complex)
    {
        const int batch = 2, m = 5, n = 3, k = 2;
        var r = new Random(5);
        Complex Next() => new((float)(r.NextDouble() * 2 - 1), complex ? (float)(r.NextDouble() * 2 - 1) : 0f);
        var a = Enumerable.Range(0, batch * m * n).Select(_ => Next()).ToArray();
        for (int bi = 0; bi < batch; bi++) for (int i = 0; i < n; i++) a[bi * m * n + i * n + i] += 3; // full column rank, well conditioned
        var b = Enumerable.Range(0, batch * m * k).Select(_ => Next()).ToArray();
        Tensor Pack(Complex[] v, params int[] shape)
        {
            if (!complex) return Tensor.Create(v.Select(c => (float)c.Real).ToArray(), shape);
            var t = Tensor.Zeros(DataType.DtComplex64, new TensorShape(shape));
            var f = t.AsSpan<float>();
            for (int i = 0; i < v.Length; i++) { f[2 * i] = (float)v[i].Real; f[2 * i + 1] = (float)v[i].Imaginary; }
            return t;
        }
        var output = Compute1("MatrixSolveLs", [Pack(a, batch, m, n), Pack(b, batch, m, k), L2(0)]);
        Assert.Equal(complex ? DataType.DtComplex64 : DataType.DtFloat, output.DType);
        var raw = output.ToArray<float>();
        for (int bi = 0; bi < batch; bi++)
        {
            var expected = NormalEquations(a.Skip(bi * m * n).Take(m * n).ToArray(), b.Skip(bi * m * k).Take(m * k).ToArray(), m, n, k);
            for (int i = 0; i < n * k; i++)
            {
                int at = bi * n * k + i;
                var got = complex ? new Complex(raw[2 * at], raw[2 * at + 1]) : new Complex(raw[at], 0);
                Assert.True(Complex.Abs(got - expected[i]) <= 1e-5, $"batch {bi} [{i}]: {got} vs {expected[i]}");
            }
        }
    }
}
