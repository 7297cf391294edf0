using System.Numerics;
using TypedGraph.Protos;
using static TypedGraph.Tests.Support.OpHarness;

namespace TypedGraph.Tests.Kernels.Linalg;

/// <summary>
/// MatrixExponential, MatrixSquareRoot and MatrixLogarithm (TF's matrix_exponential_op.cc, matrix_square_root_op.cc,
/// matrix_logarithm_op.cc — Eigen's MatrixFunctions) against references written here that share nothing with the
/// kernels' Schur/Padé code: a Taylor series with scaling and squaring for exp, the Denman–Beavers iteration for the
/// principal square root, closed forms (rotations, nilpotent and diagonal matrices), and identities (S·S = A,
/// exp(log A) = A through the Taylor reference).
/// </summary>
public class MatrixFunctionKernelTests
{
    private static Complex[] RandomComplex(int count, int seed, bool real, double scale = 1)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => new Complex((r.NextDouble() * 2 - 1) * scale, real ? 0 : (r.NextDouble() * 2 - 1) * scale)).ToArray();
    }

    internal static Complex[] Mul(Complex[] a, Complex[] b, int n)
    {
        var c = new Complex[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                for (int k = 0; k < n; k++) c[i * n + j] += a[i * n + k] * b[k * n + j];
        return c;
    }

    /// <summary>Gauss–Jordan inverse with partial pivoting.</summary>
    internal static Complex[] Inverse(Complex[] a, int n)
    {
        var m = (Complex[])a.Clone();
        var inv = new Complex[n * n];
        for (int i = 0; i < n; i++) inv[i * n + i] = 1;
        for (int c = 0; c < n; c++)
        {
            int p = c;
            for (int i = c + 1; i < n; i++) if (Complex.Abs(m[i * n + c]) > Complex.Abs(m[p * n + c])) p = i;
            for (int j = 0; j < n; j++) { (m[c * n + j], m[p * n + j]) = (m[p * n + j], m[c * n + j]); (inv[c * n + j], inv[p * n + j]) = (inv[p * n + j], inv[c * n + j]); }
            var d = m[c * n + c];
            for (int j = 0; j < n; j++) { m[c * n + j] /= d; inv[c * n + j] /= d; }
            for (int i = 0; i < n; i++)
            {
                if (i == c) continue;
                var f = m[i * n + c];
                for (int j = 0; j < n; j++) { m[i * n + j] -= f * m[c * n + j]; inv[i * n + j] -= f * inv[c * n + j]; }
            }
        }
        return inv;
    }

    /// <summary>exp(A) = (Σₖ (A/2ˢ)ᵏ/k!)^(2ˢ) with ‖A/2ˢ‖ ≤ 1/2 and 40 terms.</summary>
    internal static Complex[] TaylorExp(Complex[] a, int n)
    {
        double norm = a.Sum(Complex.Abs);
        int s = 0;
        while (norm / Math.Pow(2, s) > 0.5) s++;
        var x = a.Select(v => v / Math.Pow(2, s)).ToArray();
        var sum = new Complex[n * n];
        var term = new Complex[n * n];
        for (int i = 0; i < n; i++) sum[i * n + i] = term[i * n + i] = 1;
        for (int k = 1; k <= 40; k++)
        {
            term = Mul(term, x, n).Select(v => v / k).ToArray();
            for (int i = 0; i < n * n; i++) sum[i] += term[i];
        }
        for (int i = 0; i < s; i++) sum = Mul(sum, sum, n);
        return sum;
    }

    /// <summary>Denman–Beavers: Y ← (Y + Z⁻¹)/2, Z ← (Z + Y⁻¹)/2 from Y = A, Z = I converges to the principal √A.</summary>
    internal static Complex[] DenmanBeavers(Complex[] a, int n)
    {
        var y = (Complex[])a.Clone();
        var z = new Complex[n * n];
        for (int i = 0; i < n; i++) z[i * n + i] = 1;
        for (int it = 0; it < 100; it++)
        {
            var yi = Inverse(y, n);
            var zi = Inverse(z, n);
            var ny = y.Zip(zi, (p, q) => (p + q) / 2).ToArray();
            var nz = z.Zip(yi, (p, q) => (p + q) / 2).ToArray();
            double change = ny.Zip(y, (p, q) => Complex.Abs(p - q)).Max();
            y = ny;
            z = nz;
            if (change < 1e-15) break;
        }
        return y;
    }

    private static Tensor Complex128(Complex[] v, params int[] shape) => Tensor.Create(v, shape);

    private static Tensor Complex64(Complex[] v, params int[] shape)
    {
        var t = Tensor.Zeros(DataType.DtComplex64, new TensorShape(shape));
        var f = t.AsSpan<float>();
        for (int i = 0; i < v.Length; i++) { f[2 * i] = (float)v[i].Real; f[2 * i + 1] = (float)v[i].Imaginary; }
        return t;
    }

    private static Complex[] ReadComplex64(Tensor t)
    {
        var f = t.AsSpan<float>().ToArray();
        return Enumerable.Range(0, f.Length / 2).Select(i => new Complex(f[2 * i], f[2 * i + 1])).ToArray();
    }

    private static void AssertClose(Complex[] expected, Complex[] actual, double tol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = Math.Max(1, expected.Max(Complex.Abs));
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Complex.Abs(expected[i] - actual[i]) <= tol * scale, $"{what}[{i}]: expected {expected[i]}, got {actual[i]}");
    }

    private static Complex[] AsComplex(double[] v) => v.Select(x => new Complex(x, 0)).ToArray();

    // One batch whose matrices have 1-norms in every Padé band of Eigen's double path (degree 3, 5, 7, 9, 13 with
    // and without squarings).
    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    public void Exponential_matches_a_taylor_series_in_every_pade_band_real_and_complex(int n)
    {
        double[] scales = [0.001, 0.03, 0.12, 0.4, 1.5, 12];
        foreach (bool real in new[] { true, false })
        {
            var all = new List<Complex>();
            var expected = new List<Complex>();
            for (int b = 0; b < scales.Length; b++)
            {
                var m = RandomComplex(n * n, 10 * n + b, real, scales[b] / n);
                all.AddRange(m);
                expected.AddRange(TaylorExp(m, n));
            }
            var input = real ? Tensor.Create(all.Select(c => c.Real).ToArray(), scales.Length, n, n) : Complex128(all.ToArray(), scales.Length, n, n);
            var output = Compute1("MatrixExponential", [input]);
            var got = real ? AsComplex(output.ToArray<double>()) : output.ToArray<Complex>();
            for (int b = 0; b < scales.Length; b++)
                AssertClose(expected.Skip(b * n * n).Take(n * n).ToArray(), got.Skip(b * n * n).Take(n * n).ToArray(), 1e-12, $"exp real={real} scale={scales[b]}");
        }
    }

    [Fact]
    public void Exponential_closed_forms_rotation_nilpotent_diagonal_and_float()
    {
        // exp([[0, t], [−t, 0]]) = [[cos t, sin t], [−sin t, cos t]] (norm 3 → degree 13 with squarings).
        double t = 3;
        var rot = Compute1("MatrixExponential", [Tensor.Create(new[] { 0, t, -t, 0 }, 2, 2)]).ToArray<double>();
        Assert.Equal(new[] { Math.Cos(t), Math.Sin(t), -Math.Sin(t), Math.Cos(t) }, rot, new ToleranceComparer(1e-13));
        // Nilpotent: exp([[0,1,2],[0,0,3],[0,0,0]]) = I + N + N²/2.
        var nil = Compute1("MatrixExponential", [Tensor.Create(new double[] { 0, 1, 2, 0, 0, 3, 0, 0, 0 }, 3, 3)]).ToArray<double>();
        Assert.Equal(new double[] { 1, 1, 3.5, 0, 1, 3, 0, 0, 1 }, nil, new ToleranceComparer(1e-13));
        // Float: diag(1, −2) → diag(e, e⁻²) within float rounding.
        var f = Compute1("MatrixExponential", [Tensor.Create(new float[] { 1, 0, 0, -2 }, 2, 2)]);
        Assert.Equal(DataType.DtFloat, f.DType);
        Assert.Equal(new[] { (float)Math.E, 0f, 0f, (float)Math.Exp(-2) }, f.ToArray<float>());
        // complex64: exp(iθ·I) = e^{iθ}·I.
        var c = ReadComplex64(Compute1("MatrixExponential", [Complex64([new Complex(0, 0.5), 0, 0, new Complex(0, 0.5)], 2, 2)]));
        AssertClose([Complex.Exp(new Complex(0, 0.5)), 0, 0, Complex.Exp(new Complex(0, 0.5))], c, 1e-7, "complex64");
        // 0×0 and an empty batch pass through; bad shapes and dtypes are refused as TF does.
        Assert.Equal(new TensorShape(2, 0, 0), Compute1("MatrixExponential", [Tensor.Create(Array.Empty<double>(), 2, 0, 0)]).Shape);
        Assert.Contains("Input matrix must be square.", Assert.Throws<GraphExecutionException>(() => Compute1("MatrixExponential", [Tensor.Create(new double[6], 2, 3)])).Message);
        Assert.Contains("must have rank >= 2, got 1", Assert.Throws<GraphExecutionException>(() => Compute1("MatrixExponential", [Tensor.Create(new double[2], 2)])).Message);
        Assert.Throws<GraphExecutionException>(() => Compute1("MatrixExponential", [Tensor.Create(new int[4], 2, 2)]));
    }

    private sealed class ToleranceComparer(double tol) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tol * Math.Max(1, Math.Abs(x));
        public int GetHashCode(double obj) => 0;
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(6)]
    public void SquareRoot_is_the_principal_root_of_denman_beavers_and_squares_back_real_and_complex(int n)
    {
        foreach (bool real in new[] { true, false })
        {
            // A shifted random matrix keeps its eigenvalues in the right half-plane (principal root exists, is real
            // for real input); the eigenvalues are generally complex, so the real Schur form has 2×2 blocks.
            const int batch = 3;
            var all = new Complex[batch * n * n];
            for (int b = 0; b < batch; b++)
            {
                var m = RandomComplex(n * n, 100 + 7 * n + b, real);
                for (int i = 0; i < n; i++) m[i * n + i] += n;
                m.CopyTo(all, b * n * n);
            }
            var input = real ? Tensor.Create(all.Select(c => c.Real).ToArray(), batch, n, n) : Complex128(all, batch, n, n);
            var output = Compute1("MatrixSquareRoot", [input]);
            var got = real ? AsComplex(output.ToArray<double>()) : output.ToArray<Complex>();
            for (int b = 0; b < batch; b++)
            {
                var a = all.Skip(b * n * n).Take(n * n).ToArray();
                var s = got.Skip(b * n * n).Take(n * n).ToArray();
                AssertClose(DenmanBeavers(a, n), s, 1e-12, $"sqrtm real={real} b={b}");
                AssertClose(a, Mul(s, s, n), 1e-12, $"S·S real={real} b={b}");
            }
        }
    }

    [Fact]
    public void SquareRoot_closed_forms_negative_eigenvalue_nan_and_complex_branch()
    {
        // diag(4, 9) → diag(2, 3); the Jordan block [[1,1],[0,1]] → [[1, ½],[0, 1]].
        Assert.Equal(new double[] { 2, 0, 0, 3 }, Compute1("MatrixSquareRoot", [Tensor.Create(new double[] { 4, 0, 0, 9 }, 2, 2)]).ToArray<double>());
        Assert.Equal(new[] { 1, 0.5, 0, 1 }, Compute1("MatrixSquareRoot", [Tensor.Create(new double[] { 1, 1, 0, 1 }, 2, 2)]).ToArray<double>(), new ToleranceComparer(1e-15));
        // A rotation by θ (eigenvalues e^{±iθ}) has the rotation by θ/2 as principal root.
        double th = 2.5;
        var half = Compute1("MatrixSquareRoot", [Tensor.Create(new[] { Math.Cos(th), -Math.Sin(th), Math.Sin(th), Math.Cos(th) }, 2, 2)]).ToArray<double>();
        Assert.Equal(new[] { Math.Cos(th / 2), -Math.Sin(th / 2), Math.Sin(th / 2), Math.Cos(th / 2) }, half, new ToleranceComparer(1e-14));
        // Real input with a negative real eigenvalue: Eigen's real Schur block √(−1) is NaN and spreads everywhere.
        Assert.All(Compute1("MatrixSquareRoot", [Tensor.Create(new double[] { -1, 2, 0, 4 }, 2, 2)]).ToArray<double>(), v => Assert.True(double.IsNaN(v)));
        Assert.All(Compute1("MatrixSquareRoot", [Tensor.Create(new float[] { 3, 1, 1, -3 }, 2, 2)]).ToArray<float>(), v => Assert.True(float.IsNaN(v)));
        // The same as complex128: the principal branch, √(−1) = i.
        var c = Compute1("MatrixSquareRoot", [Complex128([-1, 0, 0, 4], 2, 2)]).ToArray<Complex>();
        AssertClose([Complex.ImaginaryOne, 0, 0, 2], c, 1e-15, "complex sqrt");
        // complex64 and float round once from double.
        var c64 = ReadComplex64(Compute1("MatrixSquareRoot", [Complex64([new Complex(0, 2), 0, 0, 9], 2, 2)]));
        AssertClose([new Complex(1, 1), 0, 0, 3], c64, 1e-7, "complex64 sqrt");
        Assert.Equal(new float[] { 2, 0, 0, 5 }, Compute1("MatrixSquareRoot", [Tensor.Create(new float[] { 4, 0, 0, 25 }, 2, 2)]).ToArray<float>());
        Assert.Contains("Input matrix must be square.", Assert.Throws<GraphExecutionException>(() => Compute1("MatrixSquareRoot", [Tensor.Create(new double[6], 3, 2)])).Message);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    public void Logarithm_exponentiates_back_through_the_taylor_reference(int n)
    {
        const int batch = 2;
        var all = new Complex[batch * n * n];
        for (int b = 0; b < batch; b++)
        {
            var m = RandomComplex(n * n, 300 + n + b, real: false, scale: 2);
            for (int i = 0; i < n; i++) m[i * n + i] += 2 * n;
            m.CopyTo(all, b * n * n);
        }
        var log = Compute1("MatrixLogarithm", [Complex128(all, batch, n, n)]).ToArray<Complex>();
        for (int b = 0; b < batch; b++)
        {
            var l = log.Skip(b * n * n).Take(n * n).ToArray();
            AssertClose(all.Skip(b * n * n).Take(n * n).ToArray(), TaylorExp(l, n), 1e-12, $"exp(log A) b={b}");
            // The principal branch: exp(L/2) is the principal square root (Denman–Beavers), which a logarithm off by
            // 2πi·k on some eigenvalue would not give.
            var a = all.Skip(b * n * n).Take(n * n).ToArray();
            AssertClose(DenmanBeavers(a, n), TaylorExp(l.Select(v => v / 2).ToArray(), n), 1e-12, $"exp(log(A)/2) b={b}");
        }
    }

    [Fact]
    public void Logarithm_closed_forms_and_complex_only_registration()
    {
        // log(diag(e, e²)) = diag(1, 2); log of a rotation by t (|t| < π) is [[0, −t], [t, 0]]; log of the Jordan block
        // [[1,1],[0,1]] is [[0,1],[0,0]].
        AssertClose([1, 0, 0, 2], Compute1("MatrixLogarithm", [Complex128([Math.E, 0, 0, Math.E * Math.E], 2, 2)]).ToArray<Complex>(), 1e-15, "diag");
        double t = 2.9;
        var rot = Compute1("MatrixLogarithm", [Complex128([Math.Cos(t), -Math.Sin(t), Math.Sin(t), Math.Cos(t)], 2, 2)]).ToArray<Complex>();
        AssertClose([0, -t, t, 0], rot, 1e-14, "rotation");
        AssertClose([0, 1, 0, 0], Compute1("MatrixLogarithm", [Complex128([1, 1, 0, 1], 2, 2)]).ToArray<Complex>(), 1e-15, "jordan");
        // 1×1 is std::log of the entry (principal branch: log(−1) = iπ); complex64 rounds once.
        AssertClose([new Complex(0, Math.PI)], Compute1("MatrixLogarithm", [Complex128([-1], 1, 1)]).ToArray<Complex>(), 1e-15, "1x1");
        AssertClose([Complex.Log(new Complex(2, 3))], ReadComplex64(Compute1("MatrixLogarithm", [Complex64([new Complex(2, 3)], 1, 1)])), 1e-7, "complex64");
        // A singular matrix has no logarithm: all NaN.
        Assert.All(Compute1("MatrixLogarithm", [Complex128([1, 2, 2, 4], 2, 2)]).ToArray<Complex>(), v => Assert.True(double.IsNaN(v.Real)));
        // TF registers MatrixLogarithm for complex64/complex128 only.
        Assert.Contains("dtype float64 is not supported", Assert.Throws<GraphExecutionException>(() => Compute1("MatrixLogarithm", [Tensor.Create(new double[] { 1, 0, 0, 1 }, 2, 2)])).Message);
    }
}
