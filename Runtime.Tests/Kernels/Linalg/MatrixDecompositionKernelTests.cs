using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.TestTensors;

namespace TypedGraph.Tests.Kernels.Linalg;

public class MatrixDecompositionKernelTests
{
    private static double[] Random(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => r.NextDouble() * 2 - 1).ToArray();
    }

    /// <summary>Naive row-major product of one [m, k] and one [k, n] matrix.</summary>
    private static double[] MatMul(double[] a, int aAt, double[] b, int bAt, int m, int k, int n, bool transA = false)
    {
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int t = 0; t < k; t++) s += (transA ? a[aAt + t * m + i] : a[aAt + i * k + t]) * b[bAt + t * n + j];
                c[i * n + j] = s;
            }
        return c;
    }

    private static void AssertIdentity(double[] m, int n, double tol)
    {
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                Assert.True(Math.Abs(m[i * n + j] - (i == j ? 1 : 0)) <= tol, $"[{i},{j}] = {m[i * n + j]}");
    }

    [Fact]
    public void MatrixInverse_TimesInputIsIdentity_ForBatchedDoubleAndFloat_AndAdjoint()
    {
        const int n = 4;
        var a = Random(2 * n * n, 1);
        for (int b = 0; b < 2; b++) for (int i = 0; i < n; i++) a[b * n * n + i * n + i] += 3; // well conditioned
        var inv = Compute1("MatrixInverse", [Tensor.Create(a, 2, n, n)]).ToArray<double>();
        for (int b = 0; b < 2; b++) AssertIdentity(MatMul(a, b * n * n, inv, b * n * n, n, n, n), n, 1e-12);
        var adj = Compute("MatrixInverse", [Tensor.Create(a, 2, n, n)], 1, Attrs(("adjoint", true)))[0].ToArray<double>();
        for (int b = 0; b < 2; b++) AssertIdentity(MatMul(a, b * n * n, adj, b * n * n, n, n, n, transA: true), n, 1e-12); // Aᵀ·X = I
        var invF = Compute1("MatrixInverse", [F(a.Select(v => (float)v).ToArray(), 2, n, n)]).ToArray<float>().Select(v => (double)v).ToArray();
        AssertIdentity(MatMul(a, 0, invF, 0, n, n, n), n, 1e-5);
        // A pivot-needing matrix (zero in the top-left corner).
        var p = new double[] { 0, 1, 2, 1, 0, 3, 4, -3, 8 };
        AssertIdentity(MatMul(p, 0, Compute1("MatrixInverse", [Tensor.Create(p, 3, 3)]).ToArray<double>(), 0, 3, 3, 3), 3, 1e-12);
    }

    [Fact]
    public void MatrixInverse_SingularNonSquareAndEmptyInputs()
    {
        var e = Assert.Throws<GraphExecutionException>(() => Compute1("MatrixInverse", [Tensor.Create(new double[] { 1, 2, 2, 4 }, 2, 2)]));
        Assert.Contains("Input is not invertible.", e.Message);
        Assert.Contains("'node'", e.Message);
        Assert.Throws<GraphExecutionException>(() => Compute1("MatrixInverse", [F([1, 2, 3, 4, 5, 6], 2, 3)]));
        Assert.Equal(new TensorShape(3, 0, 0), Compute1("MatrixInverse", [F([], 3, 0, 0)]).Shape);
    }

    [Fact]
    public void MatrixSolve_SolvesAxEqualsB_AndAdjoint()
    {
        const int n = 3, k = 2;
        var a = Random(n * n, 5);
        for (int i = 0; i < n; i++) a[i * n + i] += 2;
        var rhs = Random(n * k, 6);
        var x = Compute1("MatrixSolve", [Tensor.Create(a, n, n), Tensor.Create(rhs, n, k)]).ToArray<double>();
        var ax = MatMul(a, 0, x, 0, n, n, k);
        for (int i = 0; i < ax.Length; i++) Assert.Equal(rhs[i], ax[i], 12);
        var xt = Compute("MatrixSolve", [Tensor.Create(a, n, n), Tensor.Create(rhs, n, k)], 1, Attrs(("adjoint", true)))[0].ToArray<double>();
        var atx = MatMul(a, 0, xt, 0, n, n, k, transA: true);
        for (int i = 0; i < atx.Length; i++) Assert.Equal(rhs[i], atx[i], 12);
        Assert.Contains("not invertible", Assert.Throws<GraphExecutionException>(() => Compute1("MatrixSolve", [Tensor.Create(new double[] { 1, 0, -1, -1, 1, 0, 0, -1, 1 }, 3, 3), Tensor.Create(new double[3], 3, 1)])).Message);
    }

    [Fact]
    public void Cholesky_LTimesLTransposeIsA_ReadsOnlyTheLowerTriangle_RejectsNonPositiveDefinite()
    {
        const int n = 4;
        var m = Random(n * n, 3);
        var a = MatMul(m, 0, TransposeOf(m, n), 0, n, n, n);
        for (int i = 0; i < n; i++) a[i * n + i] += 1;
        var l = Compute1("Cholesky", [Tensor.Create(a, n, n)]).ToArray<double>();
        for (int i = 0; i < n; i++)
        {
            Assert.True(l[i * n + i] > 0);
            for (int j = i + 1; j < n; j++) Assert.Equal(0, l[i * n + j]);
        }
        var llt = MatMul(l, 0, TransposeOf(l, n), 0, n, n, n);
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], llt[i], 12);
        // Garbage above the diagonal does not matter (Eigen's LLT reads the lower triangle).
        var corrupted = (double[])a.Clone();
        corrupted[1] = 1e6;
        corrupted[n - 1] = -7;
        Assert.Equal(l, Compute1("Cholesky", [Tensor.Create(corrupted, n, n)]).ToArray<double>());
        var e = Assert.Throws<GraphExecutionException>(() => Compute1("Cholesky", [F([1, 2, 2, 1], 2, 2)]));
        Assert.Contains("Cholesky decomposition was not successful. The input might not be valid.", e.Message);
        // float batch
        var lf = Compute1("Cholesky", [F([4, 2, 2, 3, 9, 0, 0, 16], 2, 2, 2)]).ToArray<float>();
        Close([2f, 0, 1, (float)Math.Sqrt(2), 3, 0, 0, 4], lf, 1e-6f);
    }

    private static double[] TransposeOf(double[] m, int n)
    {
        var t = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) t[j * n + i] = m[i * n + j];
        return t;
    }

    [Theory]
    [InlineData(5, 3, false)]
    [InlineData(5, 3, true)]
    [InlineData(3, 5, false)]
    [InlineData(4, 4, true)]
    public void Qr_ReconstructsA_WithOrthonormalQ_AndUpperTriangularR(int m, int n, bool full)
    {
        var a = Random(2 * m * n, m * 10 + n);
        var outs = Compute("Qr", [Tensor.Create(a, 2, m, n)], 2, Attrs(("full_matrices", full)));
        int p = Math.Min(m, n), qc = full ? m : p, rr = full ? m : p;
        Assert.Equal(new TensorShape(2, m, qc), outs[0].Shape);
        Assert.Equal(new TensorShape(2, rr, n), outs[1].Shape);
        var q = outs[0].ToArray<double>();
        var r = outs[1].ToArray<double>();
        for (int b = 0; b < 2; b++)
        {
            var qr = MatMul(q, b * m * qc, r, b * rr * n, m, qc, n);
            for (int i = 0; i < m * n; i++) Assert.Equal(a[b * m * n + i], qr[i], 12);
            AssertIdentity(MatMul(q, b * m * qc, q, b * m * qc, qc, m, qc, transA: true), qc, 1e-12);
            for (int i = 0; i < rr; i++) for (int j = 0; j < Math.Min(i, n); j++) Assert.Equal(0, r[b * rr * n + i * n + j]);
        }
    }

    [Fact]
    public void Qr_UsesEigensSignConvention_LikeTf()
    {
        // Householder with beta = -sign(x0)·‖x‖ (Eigen, and LAPACK as numpy shows): qr([[3], [4]]) = ([[-0.6], [-0.8]], [[-5]]).
        var outs = Compute("Qr", [Tensor.Create(new double[] { 3, 4 }, 2, 1)], 2);
        Assert.Equal(-0.6, outs[0].ToArray<double>()[0], 14);
        Assert.Equal(-0.8, outs[0].ToArray<double>()[1], 14);
        Assert.Equal(-5, outs[1].ToArray<double>()[0], 14);
        // A column that is already reduced is left alone (tau = 0): R keeps the sign of a positive diagonal.
        var ident = Compute("Qr", [F([2, 0, 0, 3], 2, 2)], 2);
        Assert.Equal([1f, 0, 0, 1], ident[0].ToArray<float>());
        Assert.Equal([2f, 0, 0, 3], ident[1].ToArray<float>());
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    [InlineData(false, true)]
    public void MatrixTriangularSolve_SolvesWithTheChosenTriangle_AndBroadcastsBatchDims(bool lower, bool adjoint)
    {
        const int n = 4, k = 3;
        var a = Random(n * n, 11); // one matrix, broadcast against a batch of 2 right-hand sides
        for (int i = 0; i < n; i++) a[i * n + i] = 2 + i;
        var rhs = Random(2 * n * k, 12);
        var x = Compute("MatrixTriangularSolve", [Tensor.Create(a, 1, n, n), Tensor.Create(rhs, 2, n, k)], 1, Attrs(("lower", lower), ("adjoint", adjoint)))[0];
        Assert.Equal(new TensorShape(2, n, k), x.Shape);
        // The effective matrix: the chosen triangle of A (the other half ignored), transposed under adjoint.
        var t = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                bool keep = lower ? j <= i : j >= i;
                if (keep) t[(adjoint ? j * n + i : i * n + j)] = a[i * n + j];
            }
        var xv = x.ToArray<double>();
        for (int b = 0; b < 2; b++)
        {
            var tx = MatMul(t, 0, xv, b * n * k, n, n, k);
            for (int i = 0; i < n * k; i++) Assert.Equal(rhs[b * n * k + i], tx[i], 12);
        }
    }

    [Fact]
    public void MatrixTriangularSolve_ZeroDiagonalIsNotInvertible_AndShapesMustAgree()
    {
        var e = Assert.Throws<GraphExecutionException>(() => Compute1("MatrixTriangularSolve", [F([1, 0, 1, 0], 2, 2), F([1, 1], 2, 1)]));
        Assert.Contains("Input matrix is not invertible.", e.Message);
        Assert.Throws<GraphExecutionException>(() => Compute1("MatrixTriangularSolve", [F([1, 0, 1, 1], 2, 2), F([1, 1, 1], 3, 1)]));
        Assert.Equal(new TensorShape(2, 0), Compute1("MatrixTriangularSolve", [F([1, 0, 0, 1], 2, 2), F([], 2, 0)]).Shape);
    }
}
