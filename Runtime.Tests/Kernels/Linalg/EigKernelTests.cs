using System.Numerics;
using TypedGraph.Protos;
using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.ComplexReference;

namespace TypedGraph.Tests.Kernels.Linalg;

/// <summary>
/// Eig (TF's eig_op_impl.h, Eigen's ComplexEigenSolver): TF fixes no eigenvector phase, so the checks are the defining
/// identity A·V = V·diag(e), unit-norm columns, the eigenvalues' order (ascending modulus, Eigen's sortEigenvalues),
/// invariants independent of any decomposition (trace = Σλ, det = Πλ by Gaussian elimination here), hand-solved 2×2
/// cases, the complex output dtypes and TF's errors.
/// </summary>
public class EigKernelTests
{
    private static Complex[] Random(int count, int seed, bool real)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => new Complex(r.NextDouble() * 4 - 2, real ? 0 : r.NextDouble() * 4 - 2)).ToArray();
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(7)]
    public void Eigenpairs_satisfy_AV_equals_V_Lambda_sorted_by_modulus_real_and_complex_input(int n)
    {
        const int batch = 3;
        foreach (bool real in new[] { true, false })
        {
            var a = Random(batch * n * n, 40 + n, real);
            var input = real ? Tensor.Create(a.Select(c => c.Real).ToArray(), batch, n, n) : Tensor.Create(a, batch, n, n);
            var outs = Compute("Eig", [input], 2, Attrs(("Tout", DataType.DtComplex128)));
            Assert.Equal(new TensorShape(batch, n), outs[0].Shape);
            Assert.Equal(new TensorShape(batch, n, n), outs[1].Shape);
            var e = outs[0].ToArray<Complex>();
            var v = outs[1].ToArray<Complex>();
            for (int b = 0; b < batch; b++)
            {
                int at = b * n * n;
                double scale = a.Skip(at).Take(n * n).Max(Complex.Abs);
                for (int k = 0; k < n; k++)
                {
                    var lambda = e[b * n + k];
                    double norm = 0;
                    for (int i = 0; i < n; i++)
                    {
                        Complex av = 0;
                        for (int j = 0; j < n; j++) av += a[at + i * n + j] * v[at + j * n + k];
                        Assert.True(Complex.Abs(av - lambda * v[at + i * n + k]) < 1e-12 * scale * n, $"A·v ≠ λ·v (real={real}, batch {b}, column {k})");
                        norm += v[at + i * n + k].Magnitude * v[at + i * n + k].Magnitude;
                    }
                    Assert.Equal(1.0, norm, 12);
                    if (k > 0) Assert.True(Complex.Abs(e[b * n + k - 1]) <= Complex.Abs(lambda) + 1e-15, "eigenvalues are sorted by ascending modulus");
                }
                var block = a.Skip(at).Take(n * n).ToArray();
                Complex trace = 0, product = 1;
                for (int k = 0; k < n; k++) { trace += block[k * n + k]; product *= e[b * n + k]; }
                Complex sum = 0;
                for (int k = 0; k < n; k++) sum += e[b * n + k];
                Assert.True(Complex.Abs(trace - sum) < 1e-12 * n * scale, "trace = Σλ");
                var det = Determinant(block, n);
                Assert.True(Complex.Abs(det - product) < 1e-11 * Math.Max(1, det.Magnitude), $"det = Πλ: {det} vs {product}");
                if (real)
                {
                    // A real matrix's eigenvalues come in conjugate pairs.
                    var values = e.Skip(b * n).Take(n).ToList();
                    foreach (var l in values) Assert.Contains(values, o => Complex.Abs(o - Complex.Conjugate(l)) < 1e-10 * scale);
                }
            }
            // compute_v = false: the same eigenvalues; v is the [0]-shaped placeholder TF allocates.
            var only = Compute("Eig", [input], 2, Attrs(("Tout", DataType.DtComplex128), ("compute_v", false)));
            Assert.Equal(e, only[0].ToArray<Complex>());
            Assert.Equal(new TensorShape(0), only[1].Shape);
        }
    }

    [Fact]
    public void Hand_solved_2x2_cases_complex64_output_and_errors()
    {
        // [[4, 1], [2, 3]]: λ² − 7λ + 10 = 0 → 2 and 5, ascending modulus; eigenvectors ∝ (1, −2) and (1, 1).
        var outs = Compute("Eig", [Tensor.Create(new double[] { 4, 1, 2, 3 }, 2, 2)], 2, Attrs(("Tout", DataType.DtComplex128)));
        var e = outs[0].ToArray<Complex>();
        Assert.Equal(2.0, e[0].Real, 13);
        Assert.Equal(5.0, e[1].Real, 13);
        Assert.Equal(0.0, e[0].Imaginary, 13);
        var v = outs[1].ToArray<Complex>();
        Assert.Equal(0.0, Complex.Abs(v[2] + 2 * v[0]), 13);   // column 0 ∝ (1, −2)
        Assert.Equal(0.0, Complex.Abs(v[3] - v[1]), 13);       // column 1 ∝ (1, 1)
        Assert.Equal(1 / Math.Sqrt(5), v[0].Magnitude, 13);
        // diag(3, −1, 2) sorts to −1, 2, 3 by modulus, with unit eigenvectors e₂, e₃, e₁ (up to phase).
        var d = Compute("Eig", [Tensor.Create(new double[] { 3, 0, 0, 0, -1, 0, 0, 0, 2 }, 3, 3)], 2, Attrs(("Tout", DataType.DtComplex128)));
        Assert.Equal(new Complex[] { -1, 2, 3 }, d[0].ToArray<Complex>());
        var dv = d[1].ToArray<Complex>();
        Assert.Equal(1.0, dv[1 * 3 + 0].Magnitude, 14);
        Assert.Equal(1.0, dv[2 * 3 + 1].Magnitude, 14);
        Assert.Equal(1.0, dv[0 * 3 + 2].Magnitude, 14);
        // float input → complex64 output: the rotation [[0, −1], [1, 0]] has eigenvalues ±i.
        var rot = Compute("Eig", [Tensor.Create(new float[] { 0, -1, 1, 0 }, 2, 2)], 2, Attrs(("Tout", DataType.DtComplex64)));
        Assert.Equal(DataType.DtComplex64, rot[0].DType);
        var f = rot[0].AsSpan<float>().ToArray();
        Assert.Equal(0f, f[0], 6);
        Assert.Equal(0f, f[2], 6);
        Assert.Equal(0f, f[1] + f[3], 6);
        Assert.Equal(1f, Math.Abs(f[1]), 6);
        // Empty matrices; a NaN below the diagonal never deflates, so Eigen's ComplexSchur reports NoConvergence and TF
        // fails; non-square is refused.
        var empty = Compute("Eig", [Tensor.Create(Array.Empty<double>(), 2, 0, 0)], 2, Attrs(("Tout", DataType.DtComplex128)));
        Assert.Equal(new TensorShape(2, 0), empty[0].Shape);
        var nan = Assert.Throws<GraphExecutionException>(() => Compute("Eig", [Tensor.Create(new[] { 1, 0, double.NaN, 1 }, 2, 2)], 2, Attrs(("Tout", DataType.DtComplex128))));
        Assert.Contains("Eigen decomposition was not successful. The input might not be valid.", nan.Message);
        Assert.Contains("Input matrix must be square.", Assert.Throws<GraphExecutionException>(() => Compute("Eig", [Tensor.Create(new double[6], 2, 3)], 2, Attrs(("Tout", DataType.DtComplex128)))).Message);
    }
}
