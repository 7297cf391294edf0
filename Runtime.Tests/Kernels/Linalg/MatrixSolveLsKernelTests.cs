using System.Numerics;
using TypedGraph.Protos;
using static TypedGraph.Tests.Support.OpHarness;
using M = TypedGraph.Tests.Kernels.Linalg.MatrixFunctionKernelTests;

namespace TypedGraph.Tests.Kernels.Linalg;

/// <summary>
/// MatrixSolveLs (TF's matrix_solve_ls_op_impl.h) against solutions formed here by explicit inverses of the normal
/// equations — (AᴴA + λI)⁻¹AᴴB for rows ≥ cols, Aᴴ(AAᴴ + λI)⁻¹B for rows &lt; cols — for both the Cholesky (fast) and the
/// complete-orthogonal (fast=false) paths, a hand-computed pseudo-inverse for a rank-deficient matrix, and TF's errors.
/// </summary>
public class MatrixSolveLsKernelTests
{
    private static Complex[] Random(int count, int seed, bool real)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => new Complex(r.NextDouble() * 2 - 1, real ? 0 : r.NextDouble() * 2 - 1)).ToArray();
    }

    private static Complex[] MulRect(Complex[] a, Complex[] b, int m, int k, int n)
    {
        var c = new Complex[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                for (int p = 0; p < k; p++) c[i * n + j] += a[i * k + p] * b[p * n + j];
        return c;
    }

    private static Complex[] Adjoint(Complex[] a, int m, int n)
    {
        var r = new Complex[n * m];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) r[j * m + i] = Complex.Conjugate(a[i * n + j]);
        return r;
    }

    private static Complex[] Reference(Complex[] a, Complex[] b, int m, int n, int k, double l2)
    {
        var ah = Adjoint(a, m, n);
        if (m >= n)
        {
            var g = MulRect(ah, a, n, m, n);
            for (int i = 0; i < n; i++) g[i * n + i] += l2;
            return MulRect(M.Inverse(g, n), MulRect(ah, b, n, m, k), n, n, k);
        }
        var g2 = MulRect(a, ah, m, n, m);
        for (int i = 0; i < m; i++) g2[i * m + i] += l2;
        return MulRect(ah, MulRect(M.Inverse(g2, m), b, m, m, k), n, m, k);
    }

    private static Tensor L2(double v) => Tensor.FromScalar(v);

    private static void Close(Complex[] expected, Complex[] actual, double tol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Complex.Abs(expected[i] - actual[i]) <= tol * Math.Max(1, Complex.Abs(expected[i])), $"{what}[{i}]: expected {expected[i]}, got {actual[i]}");
    }

    [Theory]
    [InlineData(5, 3, 2, true, 0.0)]
    [InlineData(5, 3, 2, true, 0.7)]
    [InlineData(5, 3, 2, false, 0.0)]
    [InlineData(4, 4, 1, true, 0.0)]
    [InlineData(4, 4, 3, false, 0.0)]
    [InlineData(2, 5, 2, true, 0.0)]
    [InlineData(2, 5, 2, true, 0.3)]
    [InlineData(2, 5, 3, false, 0.0)]
    public void Solution_equals_the_normal_equations_real_and_complex(int m, int n, int k, bool fast, double l2)
    {
        const int batch = 2;
        foreach (bool real in new[] { true, false })
        {
            var a = Random(batch * m * n, 10 * m + n + k, real);
            var b = Random(batch * m * k, 20 * m + n + k, real);
            var inputs = real
                ? new[] { Tensor.Create(a.Select(c => c.Real).ToArray(), batch, m, n), Tensor.Create(b.Select(c => c.Real).ToArray(), batch, m, k), L2(l2) }
                : [Tensor.Create(a, batch, m, n), Tensor.Create(b, batch, m, k), L2(l2)];
            var output = Compute1("MatrixSolveLs", inputs, Attrs(("fast", fast)));
            Assert.Equal(new TensorShape(batch, n, k), output.Shape);
            var x = real ? output.ToArray<double>().Select(v => new Complex(v, 0)).ToArray() : output.ToArray<Complex>();
            for (int i = 0; i < batch; i++)
            {
                // fast=false ignores l2_regularizer (TF's doc and kernel), so its reference is the λ = 0 one.
                var expected = Reference(a.Skip(i * m * n).Take(m * n).ToArray(), b.Skip(i * m * k).Take(m * k).ToArray(), m, n, k, fast ? l2 : 0);
                Close(expected, x.Skip(i * n * k).Take(n * k).ToArray(), 1e-11, $"real={real} batch {i}");
            }
        }
    }

    [Fact]
    public void Rank_deficient_matrix_gives_the_pseudo_inverse_solution_on_the_orthogonal_path_and_fails_fast()
    {
        // A = a·bᵀ with a = (1, 2, 3), b = (1, 2): rank 1, A⁺ = b·aᵀ/(|a|²|b|²) = b·aᵀ/70; X = A⁺·B.
        double[] a = [1, 2, 2, 4, 3, 6];
        double[] rhs = [1, 0, 2, 1, 4, -1];
        var x = Compute1("MatrixSolveLs", [Tensor.Create(a, 3, 2), Tensor.Create(rhs, 3, 2), L2(0)], Attrs(("fast", false))).ToArray<double>();
        double[] aTb = [1 * 1 + 2 * 2 + 3 * 4, 1 * 0 + 2 * 1 + 3 * -1];
        double[] expected = [aTb[0] / 70, aTb[1] / 70, 2 * aTb[0] / 70, 2 * aTb[1] / 70];
        for (int i = 0; i < 4; i++) Assert.Equal(expected[i], x[i], 14);
        // Wide rank-deficient (the transpose): min-norm solution Aᵀ⁺·B, Aᵀ⁺ = a·bᵀ/70.
        double[] at = [1, 2, 3, 2, 4, 6];
        double[] rhs2 = [1, 2];
        var x2 = Compute1("MatrixSolveLs", [Tensor.Create(at, 2, 3), Tensor.Create(rhs2, 2, 1), L2(0)], Attrs(("fast", false))).ToArray<double>();
        double bTr = 1 * 1 + 2 * 2;
        for (int i = 0; i < 3; i++) Assert.Equal((i + 1) * bTr / 70, x2[i], 14);
        // The all-zero matrix has rank 0: the minimum-norm solution is 0.
        Assert.All(Compute1("MatrixSolveLs", [Tensor.Create(new double[6], 3, 2), Tensor.Create(rhs, 3, 2), L2(0)], Attrs(("fast", false))).ToArray<double>(), v => Assert.Equal(0.0, v));
        // The Cholesky path cannot factor AᵀA (singular) and fails with TF's text; a λ > 0 makes it solvable.
        var err = Assert.Throws<GraphExecutionException>(() => Compute1("MatrixSolveLs", [Tensor.Create(a, 3, 2), Tensor.Create(rhs, 3, 2), L2(0)]));
        Assert.Contains("Input matrix was rank deficient or ill-conditioned. Try setting fast=False or provide a larger l2_regularizer > 0.", err.Message);
        var wideErr = Assert.Throws<GraphExecutionException>(() => Compute1("MatrixSolveLs", [Tensor.Create(at, 2, 3), Tensor.Create(rhs2, 2, 1), L2(0)]));
        Assert.Contains("Try setting fast=False or provide an l2_regularizer > 0.", wideErr.Message);
        var reg = Compute1("MatrixSolveLs", [Tensor.Create(a, 3, 2), Tensor.Create(rhs, 3, 2), L2(0.5)]).ToArray<double>();
        var refReg = Reference(a.Select(v => new Complex(v, 0)).ToArray(), rhs.Select(v => new Complex(v, 0)).ToArray(), 3, 2, 2, 0.5);
        for (int i = 0; i < 4; i++) Assert.Equal(refReg[i].Real, reg[i], 12);
    }

    [Fact]
    public void Float_and_complex64_round_once_and_tf_errors()
    {
        // A square invertible system: the least-squares solution is A⁻¹B ([[2,1],[1,3]]·x = (3, 5) → x = (0.8, 1.4)).
        var f = Compute1("MatrixSolveLs", [Tensor.Create(new float[] { 2, 1, 1, 3 }, 2, 2), Tensor.Create(new float[] { 3, 5 }, 2, 1), L2(0)]);
        Assert.Equal(DataType.DtFloat, f.DType);
        Assert.Equal(0.8f, f.ToArray<float>()[0], 6);
        Assert.Equal(1.4f, f.ToArray<float>()[1], 6);
        var c64 = Tensor.Zeros(DataType.DtComplex64, new TensorShape(1, 1));
        c64.AsSpan<float>()[1] = 2; // 2i
        var r64 = Tensor.Zeros(DataType.DtComplex64, new TensorShape(1, 1));
        r64.AsSpan<float>()[0] = 4; // 4 → x = 4/(2i) = −2i
        var x64 = Compute1("MatrixSolveLs", [c64, r64, L2(0)]).AsSpan<float>().ToArray();
        Assert.Equal(new[] { 0f, -2f }, x64);
        // Empty problems give zeros of shape [.., n, k].
        var empty = Compute1("MatrixSolveLs", [Tensor.Create(Array.Empty<double>(), 0, 3), Tensor.Create(Array.Empty<double>(), 0, 2), L2(0)]);
        Assert.Equal(new TensorShape(3, 2), empty.Shape);
        Assert.All(empty.ToArray<double>(), v => Assert.Equal(0.0, v));
        var ok = new[] { Tensor.Create(new double[] { 1, 0, 0, 1 }, 2, 2), Tensor.Create(new double[] { 1, 2 }, 2, 1) };
        Assert.Contains("l2_regularizer must be >= 0.", Assert.Throws<GraphExecutionException>(() => Compute1("MatrixSolveLs", [.. ok, L2(-1)])).Message);
        Assert.Contains("l2_regularizer must be scalar, got shape [2]", Assert.Throws<GraphExecutionException>(() => Compute1("MatrixSolveLs", [.. ok, Tensor.Create(new double[2], 2)])).Message);
        Assert.Contains("Input matrix and rhs are incompatible.", Assert.Throws<GraphExecutionException>(() => Compute1("MatrixSolveLs", [ok[0], Tensor.Create(new double[3], 3, 1), L2(0)])).Message);
        Assert.Contains("All input tensors must have the same rank.", Assert.Throws<GraphExecutionException>(() => Compute1("MatrixSolveLs", [ok[0], Tensor.Create(new double[2], 1, 2, 1), L2(0)])).Message);
        Assert.Contains("Input tensor 0 must have rank >= 2, got 1", Assert.Throws<GraphExecutionException>(() => Compute1("MatrixSolveLs", [Tensor.Create(new double[2], 2), Tensor.Create(new double[2], 2), L2(0)])).Message);
    }
}
