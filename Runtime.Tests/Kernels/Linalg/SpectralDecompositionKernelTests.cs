using static TypedGraph.Tests.Support.OpHarness;

namespace TypedGraph.Tests.Kernels.Linalg;

/// <summary>
/// SelfAdjointEigV2 and Svd (TF's self_adjoint_eig_v2_op_impl.h / svd_op_impl.h). TF guarantees no sign (or, for a
/// repeated eigenvalue, no basis) for the vectors, so the checks are the defining identities — A·v = λ·v, Vᵀ·V = I,
/// U·diag(s)·Vᵀ = A, UᵀU = I — plus value checks independent of any factorization (trace and Frobenius norm, closed-form
/// 2×2 cases), the orderings TF returns (eigenvalues ascending, singular values descending) and TF's edge cases.
/// </summary>
public class SpectralDecompositionKernelTests
{
    private static double[] RandomValues(int count, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => Math.Round(r.NextDouble() * 6 - 3, 3)).ToArray();
    }

    /// <summary>The symmetric matrix Eigen sees: the lower triangle mirrored.</summary>
    private static double Lower(double[] a, int at, int n, int i, int j) => i >= j ? a[at + i * n + j] : a[at + j * n + i];

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(8)]
    public void Eigenpairs_satisfy_Av_equals_lambda_v_ascending_and_orthonormal_reading_only_the_lower_triangle(int n)
    {
        const int batch = 3;
        // The strict upper triangle holds unrelated values: Eigen's SelfAdjointEigenSolver reads the lower one only.
        var a = RandomValues(batch * n * n, 40 + n);
        var outs = Compute("SelfAdjointEigV2", [Tensor.Create(a, batch, n, n)], 2);
        Assert.Equal(new TensorShape(batch, n), outs[0].Shape);
        Assert.Equal(new TensorShape(batch, n, n), outs[1].Shape);
        var e = outs[0].ToArray<double>();
        var v = outs[1].ToArray<double>();
        for (int b = 0; b < batch; b++)
        {
            int at = b * n * n;
            double trace = 0, frob = 0;
            for (int i = 0; i < n; i++)
            {
                trace += a[at + i * n + i];
                for (int j = 0; j < n; j++) frob += Lower(a, at, n, i, j) * Lower(a, at, n, i, j);
            }
            Assert.Equal(trace, Enumerable.Range(0, n).Sum(k => e[b * n + k]), 1e-10);
            Assert.Equal(frob, Enumerable.Range(0, n).Sum(k => e[b * n + k] * e[b * n + k]), 1e-9);
            for (int k = 1; k < n; k++) Assert.True(e[b * n + k - 1] <= e[b * n + k], "eigenvalues ascending");
            for (int k = 0; k < n; k++)
            {
                double lambda = e[b * n + k];
                for (int i = 0; i < n; i++)
                {
                    double av = 0;
                    for (int j = 0; j < n; j++) av += Lower(a, at, n, i, j) * v[at + j * n + k];
                    Assert.Equal(lambda * v[at + i * n + k], av, 1e-10);
                }
                for (int l = 0; l < n; l++)
                {
                    double dot = 0;
                    for (int i = 0; i < n; i++) dot += v[at + i * n + k] * v[at + i * n + l];
                    Assert.Equal(k == l ? 1.0 : 0.0, dot, 1e-12);
                }
            }
        }
        // compute_v = false: the same eigenvalues; the unused v output is a scalar, as TF's LinearAlgebraOp allocates it.
        var only = Compute("SelfAdjointEigV2", [Tensor.Create(a, batch, n, n)], 2, Attrs(("compute_v", false)));
        Assert.Equal(e, only[0].ToArray<double>());
        Assert.Equal(0, only[1].Shape.Rank);
    }

    [Fact]
    public void Closed_form_2x2_and_repeated_eigenvalues()
    {
        // [[2,1],[1,2]]: eigenvalues 1 and 3 with eigenvectors ±(1,−1)/√2 and ±(1,1)/√2.
        var outs = Compute("SelfAdjointEigV2", [Tensor.Create(new double[] { 2, 1, 1, 2 }, 2, 2)], 2);
        Assert.Equal(1.0, outs[0].ToArray<double>()[0], 14);
        Assert.Equal(3.0, outs[0].ToArray<double>()[1], 14);
        var v = outs[1].ToArray<double>();
        Assert.Equal(1 / Math.Sqrt(2), Math.Abs(v[0]), 14);
        Assert.Equal(-v[0], v[2], 14); // first column ∝ (1, −1)
        Assert.Equal(v[1], v[3], 14);  // second column ∝ (1, 1)
        // Q·diag(4, 4, −1)·Qᵀ with a rotation Q: the double eigenvalue 4 comes back twice and its vectors stay orthonormal.
        double c = Math.Cos(0.7), s = Math.Sin(0.7);
        double[] q = [c, -s, 0, s * 0.6, c * 0.6, -0.8, s * 0.8, c * 0.8, 0.6];
        double[] d = [4, 4, -1];
        var a = new double[9];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                for (int k = 0; k < 3; k++) a[i * 3 + j] += q[i * 3 + k] * d[k] * q[j * 3 + k];
        var rep = Compute("SelfAdjointEigV2", [Tensor.Create(a, 3, 3)], 2);
        var e = rep[0].ToArray<double>();
        Assert.Equal(-1.0, e[0], 12);
        Assert.Equal(4.0, e[1], 12);
        Assert.Equal(4.0, e[2], 12);
        var vv = rep[1].ToArray<double>();
        for (int k = 0; k < 3; k++)
            for (int l = 0; l < 3; l++)
                Assert.Equal(k == l ? 1.0 : 0.0, Enumerable.Range(0, 3).Sum(i => vv[i * 3 + k] * vv[i * 3 + l]), 12);
    }

    [Fact]
    public void Float_input_gives_float_output_close_to_the_double_result()
    {
        var a = RandomValues(16, 7);
        var sym = new double[16];
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) sym[i * 4 + j] = Lower(a, 0, 4, i, j);
        var ed = Compute("SelfAdjointEigV2", [Tensor.Create(sym, 4, 4)], 2)[0].ToArray<double>();
        var ef = Compute("SelfAdjointEigV2", [Tensor.Create(Array.ConvertAll(sym, x => (float)x), 4, 4)], 2)[0].ToArray<float>();
        for (int k = 0; k < 4; k++) Assert.Equal(ed[k], ef[k], 5);
        var sd = Compute("Svd", [Tensor.Create(a, 4, 4)], 3)[0].ToArray<double>();
        var sf = Compute("Svd", [Tensor.Create(Array.ConvertAll(a, x => (float)x), 4, 4)], 3)[0].ToArray<float>();
        for (int k = 0; k < 4; k++) Assert.Equal(sd[k], sf[k], 5);
    }

    [Fact]
    public void Eig_edge_cases_follow_tf()
    {
        // 0×0 matrices and an empty batch: empty outputs.
        var empty = Compute("SelfAdjointEigV2", [Tensor.Create(Array.Empty<double>(), 2, 0, 0)], 2);
        Assert.Equal(new TensorShape(2, 0), empty[0].Shape);
        Assert.Equal(new TensorShape(2, 0, 0), empty[1].Shape);
        var noBatch = Compute("SelfAdjointEigV2", [Tensor.Create(Array.Empty<double>(), 0, 3, 3)], 2);
        Assert.Equal(new TensorShape(0, 3), noBatch[0].Shape);
        // 1×1: the value itself (Eigen's n == 1 shortcut, NaN included), eigenvector 1.
        var one = Compute("SelfAdjointEigV2", [Tensor.Create(new double[] { double.NaN, -2 }, 2, 1, 1)], 2);
        Assert.True(double.IsNaN(one[0].ToArray<double>()[0]));
        Assert.Equal(-2.0, one[0].ToArray<double>()[1]);
        Assert.Equal([1.0, 1.0], one[1].ToArray<double>());
        // Non-square, rank 1, NaN in the lower triangle: TF's messages. NaN in the (unread) upper triangle is fine.
        Assert.Contains("Input matrix must be square.", Assert.Throws<GraphExecutionException>(() => Compute("SelfAdjointEigV2", [Tensor.Create(new double[6], 2, 3)], 2)).Message);
        Assert.Contains("must have rank >= 2", Assert.Throws<GraphExecutionException>(() => Compute("SelfAdjointEigV2", [Tensor.Create(new double[3], 3)], 2)).Message);
        Assert.Contains("Self Adjoint Eigen decomposition was not successful",
            Assert.Throws<GraphExecutionException>(() => Compute("SelfAdjointEigV2", [Tensor.Create(new double[] { 1, 0, double.NaN, 1 }, 2, 2)], 2)).Message);
        var upperNaN = Compute("SelfAdjointEigV2", [Tensor.Create(new double[] { 1, double.NaN, 0, 2 }, 2, 2)], 2)[0].ToArray<double>();
        Assert.Equal([1.0, 2.0], upperNaN);
    }

    private static void CheckSvd(double[] a, int batch, int m, int n, bool full)
    {
        int p = Math.Min(m, n), uc = full ? m : p, vc = full ? n : p;
        var outs = Compute("Svd", [Tensor.Create(a, batch, m, n)], 3, Attrs(("full_matrices", full)));
        Assert.Equal(new TensorShape(batch, p), outs[0].Shape);
        Assert.Equal(new TensorShape(batch, m, uc), outs[1].Shape);
        Assert.Equal(new TensorShape(batch, n, vc), outs[2].Shape);
        var s = outs[0].ToArray<double>();
        var u = outs[1].ToArray<double>();
        var v = outs[2].ToArray<double>();
        for (int b = 0; b < batch; b++)
        {
            double frob = 0;
            for (int i = 0; i < m * n; i++) frob += a[b * m * n + i] * a[b * m * n + i];
            Assert.Equal(frob, Enumerable.Range(0, p).Sum(k => s[b * p + k] * s[b * p + k]), 1e-9);
            for (int k = 0; k < p; k++)
            {
                Assert.True(s[b * p + k] >= 0);
                if (k > 0) Assert.True(s[b * p + k - 1] >= s[b * p + k], "singular values descending");
            }
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double usv = 0;
                    for (int k = 0; k < p; k++) usv += u[b * m * uc + i * uc + k] * s[b * p + k] * v[b * n * vc + j * vc + k];
                    Assert.Equal(a[b * m * n + i * n + j], usv, 1e-11);
                }
            for (int k = 0; k < uc; k++)
                for (int l = 0; l < uc; l++)
                    Assert.Equal(k == l ? 1.0 : 0.0, Enumerable.Range(0, m).Sum(i => u[b * m * uc + i * uc + k] * u[b * m * uc + i * uc + l]), 12);
            for (int k = 0; k < vc; k++)
                for (int l = 0; l < vc; l++)
                    Assert.Equal(k == l ? 1.0 : 0.0, Enumerable.Range(0, n).Sum(i => v[b * n * vc + i * vc + k] * v[b * n * vc + i * vc + l]), 12);
        }
        var only = Compute("Svd", [Tensor.Create(a, batch, m, n)], 3, Attrs(("compute_uv", false)));
        Assert.Equal(s, only[0].ToArray<double>());
        Assert.Equal(0, only[1].Shape.Rank);
        Assert.Equal(0, only[2].Shape.Rank);
    }

    [Theory]
    [InlineData(3, 3, false)]
    [InlineData(5, 3, false)]
    [InlineData(3, 5, false)]
    [InlineData(5, 3, true)]
    [InlineData(3, 5, true)]
    [InlineData(1, 4, true)]
    [InlineData(4, 1, false)]
    [InlineData(6, 6, true)]
    public void Svd_reconstructs_A_with_orthonormal_factors_and_descending_values(int m, int n, bool full)
        => CheckSvd(RandomValues(2 * m * n, m * 10 + n), 2, m, n, full);

    [Fact]
    public void Svd_of_rank_deficient_and_zero_matrices_still_has_orthonormal_factors()
    {
        // Rank 1 (outer product) and all zeros: the columns of U for zero singular values are completed to a basis.
        double[] x = [1, -2, 0.5, 3], y = [2, 1, -1];
        var outer = new double[12];
        for (int i = 0; i < 4; i++) for (int j = 0; j < 3; j++) outer[i * 3 + j] = x[i] * y[j];
        CheckSvd([.. outer, .. new double[12]], 2, 4, 3, full: false);
        CheckSvd([.. outer, .. new double[12]], 2, 4, 3, full: true);
        var s = Compute("Svd", [Tensor.Create(outer, 4, 3)], 3)[0].ToArray<double>();
        double expected = Math.Sqrt(x.Sum(t => t * t) * y.Sum(t => t * t));
        Assert.Equal(expected, s[0], 12);
        Assert.Equal(0.0, s[1], 12);
        Assert.Equal(0.0, s[2], 12);
    }

    [Fact]
    public void Svd_closed_form_and_tf_edge_cases()
    {
        // [[3,0],[4,5]]: AᵀA = [[25,20],[20,25]] has eigenvalues 45 and 5, so s = (3√5, √5).
        var s = Compute("Svd", [Tensor.Create(new double[] { 3, 0, 4, 5 }, 2, 2)], 3)[0].ToArray<double>();
        Assert.Equal(3 * Math.Sqrt(5), s[0], 13);
        Assert.Equal(Math.Sqrt(5), s[1], 13);
        // Empty matrices: s empty; with full_matrices the non-empty side is an identity (svd_op_impl.h).
        var wide = Compute("Svd", [Tensor.Create(Array.Empty<double>(), 0, 3)], 3, Attrs(("full_matrices", true)));
        Assert.Equal(new TensorShape(0), wide[0].Shape);
        Assert.Equal(new TensorShape(0, 0), wide[1].Shape);
        Assert.Equal(new double[] { 1, 0, 0, 0, 1, 0, 0, 0, 1 }, wide[2].ToArray<double>());
        var tall = Compute("Svd", [Tensor.Create(Array.Empty<double>(), 2, 0)], 3, Attrs(("full_matrices", true)));
        Assert.Equal(new double[] { 1, 0, 0, 1 }, tall[1].ToArray<double>());
        Assert.Equal(new TensorShape(0, 0), tall[2].Shape);
        var thin = Compute("Svd", [Tensor.Create(Array.Empty<double>(), 2, 0)], 3);
        Assert.Equal(new TensorShape(2, 0), thin[1].Shape);
        // A non-finite input: every output NaN (TF fills NaN when BDCSVD reports failure), other batch entries unaffected.
        var bad = Compute("Svd", [Tensor.Create(new double[] { 1, double.PositiveInfinity, 0, 1, 3, 0, 4, 5 }, 2, 2, 2)], 3);
        var bs = bad[0].ToArray<double>();
        Assert.True(double.IsNaN(bs[0]) && double.IsNaN(bs[1]));
        Assert.Equal(3 * Math.Sqrt(5), bs[2], 13);
        Assert.All(bad[1].ToArray<double>()[..4], x => Assert.True(double.IsNaN(x)));
        Assert.Contains("must have rank >= 2", Assert.Throws<GraphExecutionException>(() => Compute("Svd", [Tensor.Create(new double[3], 3)], 3)).Message);
        Assert.Throws<GraphExecutionException>(() => Compute("Svd", [Tensor.Create(new int[4], 2, 2)], 3));
    }
}
