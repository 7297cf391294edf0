using System.Numerics;
using TypedGraph.Protos;
using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.ComplexReference;

namespace TypedGraph.Tests.Kernels.Linalg;

/// <summary>
/// complex64/complex128 for MatrixInverse, MatrixSolve, Cholesky, Qr, MatrixDeterminant, LogMatrixDeterminant, Lu,
/// SelfAdjointEigV2 and Svd (TF registers each for complex types): defining identities checked with products written here
/// (A·A⁻¹ = I, A·X = B, L·Lᴴ = A, Q·R = A with QᴴQ = I, L·U = A[p], A·v = λ·v, U·S·Vᴴ = A), determinants against Gaussian
/// elimination here, hand-solved 2×2 cases, and — for Qr, whose factors TF pins down — agreement with the real kernel
/// (Eigen's sign choice) on real matrices given as complex.
/// </summary>
public class ComplexDecompositionTests
{
    private static Complex[] Random(int count, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => new Complex(r.NextDouble() * 2 - 1, r.NextDouble() * 2 - 1)).ToArray();
    }

    private static Complex[] Mul(Complex[] a, Complex[] b, int m, int k, int n, bool adjA = false)
    {
        var c = new Complex[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                for (int p = 0; p < k; p++)
                    c[i * n + j] += (adjA ? Complex.Conjugate(a[p * m + i]) : a[i * k + p]) * b[p * n + j];
        return c;
    }

    private static Complex[] Slice(Complex[] a, int index, int size) => a.Skip(index * size).Take(size).ToArray();

    private static void Close(Complex[] expected, Complex[] actual, double tol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Complex.Abs(expected[i] - actual[i]) <= tol, $"{what}[{i}]: expected {expected[i]}, got {actual[i]}");
    }

    private static Complex[] Identity(int n) => Enumerable.Range(0, n * n).Select(i => i / n == i % n ? Complex.One : Complex.Zero).ToArray();

    private static Complex[] Adjoint(Complex[] a, int m, int n)
    {
        var r = new Complex[n * m];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) r[j * m + i] = Complex.Conjugate(a[i * n + j]);
        return r;
    }

    [Fact]
    public void Inverse_and_solve_with_and_without_adjoint()
    {
        const int n = 4, batch = 2, k = 3;
        var a = Random(batch * n * n, 1);
        var b = Random(batch * n * k, 2);
        var inv = Compute1("MatrixInverse", [Tensor.Create(a, batch, n, n)]).ToArray<Complex>();
        var invAdj = Compute1("MatrixInverse", [Tensor.Create(a, batch, n, n)], Attrs(("adjoint", true))).ToArray<Complex>();
        var x = Compute1("MatrixSolve", [Tensor.Create(a, batch, n, n), Tensor.Create(b, batch, n, k)]).ToArray<Complex>();
        var xAdj = Compute1("MatrixSolve", [Tensor.Create(a, batch, n, n), Tensor.Create(b, batch, n, k)], Attrs(("adjoint", true))).ToArray<Complex>();
        for (int i = 0; i < batch; i++)
        {
            var ai = Slice(a, i, n * n);
            Close(Identity(n), Mul(ai, Slice(inv, i, n * n), n, n, n), 1e-13, "A·A⁻¹");
            Close(Identity(n), Mul(ai, Slice(invAdj, i, n * n), n, n, n, adjA: true), 1e-13, "Aᴴ·(Aᴴ)⁻¹");
            Close(Slice(b, i, n * k), Mul(ai, Slice(x, i, n * k), n, n, k), 1e-13, "A·X");
            Close(Slice(b, i, n * k), Mul(ai, Slice(xAdj, i, n * k), n, n, k, adjA: true), 1e-13, "Aᴴ·X");
        }
        // complex64 in and out: [[0, 2i], [1, 0]]⁻¹ = [[0, 1], [−i/2, 0]].
        var c64 = Tensor.Zeros(DataType.DtComplex64, new TensorShape(2, 2));
        float[] raw = [0, 0, 0, 2, 1, 0, 0, 0];
        raw.CopyTo(c64.AsSpan<float>());
        Assert.Equal(new float[] { 0, 0, 1, 0, 0, -0.5f, 0, 0 }, Compute1("MatrixInverse", [c64]).AsSpan<float>().ToArray());
        Assert.Contains("Input is not invertible.", Assert.Throws<GraphExecutionException>(() => Compute1("MatrixInverse", [Tensor.Create(new Complex[] { 1, Complex.ImaginaryOne, 1, Complex.ImaginaryOne }, 2, 2)])).Message);
    }

    [Fact]
    public void Cholesky_of_a_hermitian_matrix_reads_the_lower_triangle()
    {
        const int n = 4;
        var m = Random(n * n, 3);
        var a = Mul(m, m, n, n, n, adjA: true); // MᴴM: Hermitian positive definite
        for (int i = 0; i < n; i++) a[i * n + i] += 1;
        var input = (Complex[])a.Clone();
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++) input[i * n + j] = new Complex(99, -7); // ignored, as Eigen's LLT<Lower>
        var l = Compute1("Cholesky", [Tensor.Create(input, n, n)]).ToArray<Complex>();
        for (int i = 0; i < n; i++)
        {
            Assert.True(l[i * n + i].Real > 0 && l[i * n + i].Imaginary == 0, "real positive diagonal");
            for (int j = i + 1; j < n; j++) Assert.Equal(Complex.Zero, l[i * n + j]);
        }
        Close(a, Mul(l, Adjoint(l, n, n), n, n, n), 1e-13, "L·Lᴴ");
        // [[4, 2i], [−2i, 5]] = L·Lᴴ with L = [[2, 0], [−i, 2]].
        var hand = Compute1("Cholesky", [Tensor.Create(new Complex[] { 4, 0, new Complex(0, -2), 5 }, 2, 2)]).ToArray<Complex>();
        Close([2, 0, new Complex(0, -1), 2], hand, 1e-15, "hand 2×2");
        Assert.Contains("Cholesky decomposition was not successful", Assert.Throws<GraphExecutionException>(() => Compute1("Cholesky", [Tensor.Create(new Complex[] { 1, 0, 2, 1 }, 2, 2)])).Message);
    }

    [Theory]
    [InlineData(5, 3, false)]
    [InlineData(5, 3, true)]
    [InlineData(3, 5, false)]
    [InlineData(4, 4, true)]
    public void Qr_factors_reconstruct_are_unitary_and_match_the_real_kernel_on_real_input(int m, int n, bool full)
    {
        var a = Random(2 * m * n, 10 * m + n);
        var outs = Compute("Qr", [Tensor.Create(a, 2, m, n)], 2, Attrs(("full_matrices", full)));
        int p = Math.Min(m, n), qCols = full ? m : p, rRows = full ? m : p;
        var q = outs[0].ToArray<Complex>();
        var r = outs[1].ToArray<Complex>();
        for (int b = 0; b < 2; b++)
        {
            var qb = Slice(q, b, m * qCols);
            var rb = Slice(r, b, rRows * n);
            Close(Slice(a, b, m * n), Mul(qb, rb, m, qCols, n), 1e-13, "Q·R");
            Close(Identity(qCols), Mul(qb, qb, qCols, m, qCols, adjA: true), 1e-13, "QᴴQ");
            for (int i = 0; i < rRows; i++)
            {
                for (int j = 0; j < Math.Min(i, n); j++) Assert.Equal(Complex.Zero, rb[i * n + j]);
                if (i < p) Assert.Equal(0.0, rb[i * n + i].Imaginary); // Eigen's reflector makes R's diagonal real
            }
        }
        // A real matrix given as complex gives exactly the real kernel's (Eigen's) Q and R.
        var real = a.Select(z => z.Real).ToArray();
        var realOuts = Compute("Qr", [Tensor.Create(real, 2, m, n)], 2, Attrs(("full_matrices", full)));
        var asComplex = Compute("Qr", [Tensor.Create(real.Select(v => new Complex(v, 0)).ToArray(), 2, m, n)], 2, Attrs(("full_matrices", full)));
        for (int o = 0; o < 2; o++)
            Close(realOuts[o].ToArray<double>().Select(v => new Complex(v, 0)).ToArray(), asComplex[o].ToArray<Complex>(), 1e-14, $"real vs complex output {o}");
    }

    [Fact]
    public void Determinants_and_lu_of_complex_matrices()
    {
        const int n = 5, batch = 3;
        var a = Random(batch * n * n, 21);
        var det = Compute1("MatrixDeterminant", [Tensor.Create(a, batch, n, n)]).ToArray<Complex>();
        var slog = Compute("LogMatrixDeterminant", [Tensor.Create(a, batch, n, n)], 2);
        var sign = slog[0].ToArray<Complex>();
        var logAbs = slog[1].ToArray<Complex>();
        for (int b = 0; b < batch; b++)
        {
            var expected = Determinant(Slice(a, b, n * n), n);
            Assert.True(Complex.Abs(expected - det[b]) < 1e-13 * Math.Max(1, expected.Magnitude), $"det {expected} vs {det[b]}");
            Assert.Equal(1.0, sign[b].Magnitude, 14);
            Assert.Equal(0.0, logAbs[b].Imaginary);
            Assert.True(Complex.Abs(expected - sign[b] * Math.Exp(logAbs[b].Real)) < 1e-13 * Math.Max(1, expected.Magnitude));
        }
        // det([[i, 0], [0, i]]) = −1; a singular matrix: sign 0, log|det| −∞, det 0 (TF's SLogDet).
        Close([-1], Compute1("MatrixDeterminant", [Tensor.Create(new Complex[] { Complex.ImaginaryOne, 0, 0, Complex.ImaginaryOne }, 2, 2)]).ToArray<Complex>(), 1e-15, "det iI");
        var singular = Compute("LogMatrixDeterminant", [Tensor.Create(new Complex[] { 1, Complex.ImaginaryOne, 1, Complex.ImaginaryOne }, 2, 2)], 2);
        Assert.Equal(Complex.Zero, singular[0].ToArray<Complex>()[0]);
        Assert.Equal(double.NegativeInfinity, singular[1].ToArray<Complex>()[0].Real);

        var lu = Compute("Lu", [Tensor.Create(a, batch, n, n)], 2, Attrs(("output_idx_type", DataType.DtInt64)));
        var packed = lu[0].ToArray<Complex>();
        var perm = lu[1].ToArray<long>();
        for (int b = 0; b < batch; b++)
        {
            var l = new Complex[n * n];
            var u = new Complex[n * n];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                {
                    var v = packed[b * n * n + i * n + j];
                    if (i > j) l[i * n + j] = v; else u[i * n + j] = v;
                    if (i == j) l[i * n + j] = 1;
                }
            var permuted = new Complex[n * n];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) permuted[i * n + j] = a[b * n * n + (int)perm[b * n + i] * n + j];
            Close(permuted, Mul(l, u, n, n, n), 1e-13, "L·U = A[p]");
        }
    }

    [Fact]
    public void SelfAdjointEigV2_of_hermitian_matrices_ascending_real_eigenvalues()
    {
        const int n = 5, batch = 2;
        var m = Random(batch * n * n, 31);
        var a = new Complex[batch * n * n];
        for (int b = 0; b < batch; b++)
        {
            var mb = Slice(m, b, n * n);
            var h = Mul(mb, mb, n, n, n, adjA: true);
            for (int i = 0; i < n; i++) h[i * n + i] -= 1.5; // indefinite
            h.CopyTo(a, b * n * n);
        }
        var input = (Complex[])a.Clone();
        for (int b = 0; b < batch; b++)
            for (int i = 0; i < n; i++)
                for (int j = i + 1; j < n; j++) input[b * n * n + i * n + j] = 42; // only the lower triangle is read
        var outs = Compute("SelfAdjointEigV2", [Tensor.Create(input, batch, n, n)], 2);
        var e = outs[0].ToArray<Complex>();
        var v = outs[1].ToArray<Complex>();
        for (int b = 0; b < batch; b++)
        {
            var ab = Slice(a, b, n * n);
            var vb = Slice(v, b, n * n);
            Close(Identity(n), Mul(vb, vb, n, n, n, adjA: true), 1e-13, "VᴴV");
            var av = Mul(ab, vb, n, n, n);
            double trace = 0;
            for (int k = 0; k < n; k++)
            {
                var lambda = e[b * n + k];
                Assert.Equal(0.0, lambda.Imaginary);
                if (k > 0) Assert.True(e[b * n + k - 1].Real <= lambda.Real, "ascending");
                for (int i = 0; i < n; i++) Assert.True(Complex.Abs(av[i * n + k] - lambda * vb[i * n + k]) < 1e-12, "A·v = λ·v");
                trace += lambda.Real;
            }
            double expectedTrace = Enumerable.Range(0, n).Sum(i => ab[i * n + i].Real);
            Assert.Equal(expectedTrace, trace, 12);
        }
        // [[2, i], [−i, 2]] has eigenvalues 1 and 3.
        var hand = Compute("SelfAdjointEigV2", [Tensor.Create(new Complex[] { 2, 0, new Complex(0, -1), 2 }, 2, 2)], 2)[0].ToArray<Complex>();
        Close([1, 3], hand, 1e-14, "hand 2×2");
        Assert.Contains("not successful", Assert.Throws<GraphExecutionException>(() => Compute("SelfAdjointEigV2", [Tensor.Create(new Complex[] { 1, 0, double.NaN, 1 }, 2, 2)], 2)).Message);
    }
    [Theory]
    [InlineData(5, 3, false)]
    [InlineData(5, 3, true)]
    [InlineData(3, 5, false)]
    [InlineData(3, 5, true)]
    [InlineData(4, 4, false)]
    public void Svd_reconstructs_with_unitary_factors_and_matches_the_real_embedding(int m, int n, bool full)
    {
        const int batch = 2;
        var a = Random(batch * m * n, 50 + m * n);
        var outs = Compute("Svd", [Tensor.Create(a, batch, m, n)], 3, Attrs(("full_matrices", full)));
        int p = Math.Min(m, n), uCols = full ? m : p, vCols = full ? n : p;
        var s = outs[0].ToArray<Complex>();
        var u = outs[1].ToArray<Complex>();
        var v = outs[2].ToArray<Complex>();
        for (int b = 0; b < batch; b++)
        {
            var ub = Slice(u, b, m * uCols);
            var vb = Slice(v, b, n * vCols);
            Close(Identity(uCols), Mul(ub, ub, uCols, m, uCols, adjA: true), 1e-13, "UᴴU");
            Close(Identity(vCols), Mul(vb, vb, vCols, n, vCols, adjA: true), 1e-13, "VᴴV");
            // U[:, :p]·diag(s)·V[:, :p]ᴴ = A.
            var us = new Complex[m * p];
            for (int i = 0; i < m; i++)
                for (int k = 0; k < p; k++) us[i * p + k] = ub[i * uCols + k] * s[b * p + k];
            var vp = new Complex[n * p];
            for (int i = 0; i < n; i++)
                for (int k = 0; k < p; k++) vp[i * p + k] = vb[i * vCols + k];
            Close(Slice(a, b, m * n), Mul(us, Adjoint(vp, n, p), m, p, n), 1e-13, "U·S·Vᴴ");
            // The real embedding [[X, −Y], [Y, X]] of A = X + iY has each singular value of A twice; the real Svd kernel
            // (separate code) computes them.
            var emb = new double[2 * m * 2 * n];
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    var z = a[b * m * n + i * n + j];
                    emb[i * 2 * n + j] = z.Real;
                    emb[i * 2 * n + n + j] = -z.Imaginary;
                    emb[(m + i) * 2 * n + j] = z.Imaginary;
                    emb[(m + i) * 2 * n + n + j] = z.Real;
                }
            var sReal = Compute("Svd", [Tensor.Create(emb, 2 * m, 2 * n)], 3, Attrs(("compute_uv", false)))[0].ToArray<double>();
            for (int k = 0; k < p; k++)
            {
                Assert.Equal(0.0, s[b * p + k].Imaginary);
                Assert.Equal(sReal[2 * k], s[b * p + k].Real, 12);
                Assert.Equal(sReal[2 * k + 1], s[b * p + k].Real, 12);
            }
        }
        var only = Compute("Svd", [Tensor.Create(a, batch, m, n)], 3, Attrs(("compute_uv", false)));
        Close(s, only[0].ToArray<Complex>(), 1e-15, "compute_uv=false");
    }
}
