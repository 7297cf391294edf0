using System.Numerics;
using TypedGraph.Protos;
using static TypedGraph.Tests.Support.OpHarness;

namespace TypedGraph.Tests.Kernels.Linalg;

/// <summary>
/// MatrixTriangularSolve for complex64/complex128 (TF's matrix_triangular_solve_op_impl.h registers both on CPU): the
/// solution checked by multiplying back with the effective matrix built here (the chosen triangle only, conjugate-
/// transposed under adjoint; the other triangle filled with values that must not be read), MatMulBCast batch
/// broadcasting, hand-solved 2×2 cases, and the errors; plus Eigen's no-skipped-products rule on a real matrix.
/// </summary>
public class TriangularSolveKernelTests
{
    private static Complex[] Random(int count, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => new Complex(r.NextDouble() * 2 - 1, r.NextDouble() * 2 - 1)).ToArray();
    }

    private static Tensor Complex64(Complex[] values, params int[] shape)
    {
        var t = Tensor.Zeros(DataType.DtComplex64, new TensorShape(shape));
        var f = t.AsSpan<float>();
        for (int i = 0; i < values.Length; i++) { f[2 * i] = (float)values[i].Real; f[2 * i + 1] = (float)values[i].Imaginary; }
        return t;
    }

    private static Complex[] ReadComplex64(Tensor t)
    {
        var f = t.ToArray<float>();
        return Enumerable.Range(0, f.Length / 2).Select(i => new Complex(f[2 * i], f[2 * i + 1])).ToArray();
    }

    /// <summary>The matrix the solve uses: A's lower (or upper) triangle, conjugate-transposed when adjoint.</summary>
    private static Complex[] Effective(Complex[] a, int at, int n, bool lower, bool adjoint)
    {
        var t = new Complex[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                if (lower ? j <= i : j >= i)
                {
                    if (adjoint) t[j * n + i] = Complex.Conjugate(a[at + i * n + j]);
                    else t[i * n + j] = a[at + i * n + j];
                }
        return t;
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    [InlineData(false, true)]
    public void Complex128_solution_times_the_effective_triangle_gives_rhs_with_batch_broadcasting(bool lower, bool adjoint)
    {
        const int n = 4, k = 3;
        // matrix batch [2, 1] against rhs batch [3] → output batch [2, 3] (MatMulBCast).
        var a = Random(2 * n * n, 21);
        for (int b = 0; b < 2; b++) for (int i = 0; i < n; i++) a[b * n * n + i * n + i] += new Complex(2 + i, 1);
        var rhs = Random(3 * n * k, 22);
        var x = Compute1("MatrixTriangularSolve", [Tensor.Create(a, 2, 1, n, n), Tensor.Create(rhs, 3, n, k)], Attrs(("lower", lower), ("adjoint", adjoint)));
        Assert.Equal(new TensorShape(2, 3, n, k), x.Shape);
        var xv = x.ToArray<Complex>();
        for (int ab = 0; ab < 2; ab++)
        {
            var t = Effective(a, ab * n * n, n, lower, adjoint);
            for (int bb = 0; bb < 3; bb++)
            {
                int xAt = (ab * 3 + bb) * n * k;
                for (int i = 0; i < n; i++)
                    for (int c = 0; c < k; c++)
                    {
                        Complex s = 0;
                        for (int j = 0; j < n; j++) s += t[i * n + j] * xv[xAt + j * k + c];
                        Assert.True(Complex.Abs(s - rhs[bb * n * k + i * k + c]) < 1e-13, $"batch ({ab},{bb}) [{i},{c}]: {s} vs {rhs[bb * n * k + i * k + c]}");
                    }
            }
        }
        // The unread triangle really is unread: changing it changes nothing.
        var scrambled = (Complex[])a.Clone();
        for (int b = 0; b < 2; b++)
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    if (lower ? j > i : j < i) scrambled[b * n * n + i * n + j] = new Complex(1e6, -3e5);
        var again = Compute1("MatrixTriangularSolve", [Tensor.Create(scrambled, 2, 1, n, n), Tensor.Create(rhs, 3, n, k)], Attrs(("lower", lower), ("adjoint", adjoint)));
        Assert.Equal(xv, again.ToArray<Complex>());
    }

    [Fact]
    public void Complex64_hand_solved_2x2_lower_and_its_adjoint()
    {
        // A = [[2i, 0], [1, 1]] (lower), b = [2, 1+i].
        // A·x = b: x₀ = 2/(2i) = −i, x₁ = (1+i) − (−i) = 1+2i.
        // Aᴴ = [[−2i, 1], [0, 1]]: x₁ = 1+i, x₀ = (2 − (1+i))/(−2i) = (1−i)·i/2 = ½+½i.
        var a = new Complex[] { new(0, 2), new(7, 7), 1, 1 }; // the 7+7i above the diagonal is never read
        var b = new Complex[] { 2, new(1, 1) };
        var plain = ReadComplex64(Compute1("MatrixTriangularSolve", [Complex64(a, 2, 2), Complex64(b, 2, 1)]));
        Assert.Equal(new Complex[] { new(0, -1), new(1, 2) }, plain);
        var adj = ReadComplex64(Compute1("MatrixTriangularSolve", [Complex64(a, 2, 2), Complex64(b, 2, 1)], Attrs(("adjoint", true))));
        Assert.Equal(new Complex[] { new(0.5, 0.5), new(1, 1) }, adj);
        // Upper: A = [[2i, 1], [·, 1]], A·x = b: x₁ = 1+i, x₀ = (2 − (1+i))/(2i) = (1−i)/(2i) = −½−½i.
        var upper = new Complex[] { new(0, 2), 1, new(5, 5), 1 };
        var up = ReadComplex64(Compute1("MatrixTriangularSolve", [Complex64(upper, 2, 2), Complex64(b, 2, 1)], Attrs(("lower", false))));
        Assert.Equal(new Complex[] { new(-0.5, -0.5), new(1, 1) }, up);
    }

    [Fact]
    public void Complex64_batch_agrees_with_complex128_to_single_precision()
    {
        const int n = 5, k = 2;
        var a = Random(3 * n * n, 31);
        for (int b = 0; b < 3; b++) for (int i = 0; i < n; i++) a[b * n * n + i * n + i] += 3;
        var rhs = Random(3 * n * k, 32);
        var a64 = Complex64(a, 3, n, n);
        var r64 = Complex64(rhs, 3, n, k);
        // The reference is the complex128 solve of the same (float-rounded) inputs.
        var wide = Compute1("MatrixTriangularSolve", [Tensor.Create(ReadComplex64(a64), 3, n, n), Tensor.Create(ReadComplex64(r64), 3, n, k)], Attrs(("lower", false), ("adjoint", true))).ToArray<Complex>();
        var narrow = Compute1("MatrixTriangularSolve", [a64, r64], Attrs(("lower", false), ("adjoint", true)));
        Assert.Equal(DataType.DtComplex64, narrow.DType);
        var nv = ReadComplex64(narrow);
        for (int i = 0; i < wide.Length; i++) Assert.True(Complex.Abs(nv[i] - wide[i]) <= 1e-6 * Math.Max(1, Complex.Abs(wide[i])), $"[{i}] {nv[i]} vs {wide[i]}");
    }

    [Fact]
    public void Complex_zero_diagonal_bad_shapes_and_empty_output()
    {
        var singular = new Complex[] { 1, 0, 5, 0 };
        var one = new Complex[] { 1, 1 };
        Assert.Contains("Input matrix is not invertible.", Assert.Throws<GraphExecutionException>(() => Compute1("MatrixTriangularSolve", [Tensor.Create(singular, 2, 2), Tensor.Create(one, 2, 1)])).Message);
        // The zero sits in the lower triangle's diagonal, so the upper solve fails the same way (the diagonal is shared).
        Assert.Contains("Input matrix is not invertible.", Assert.Throws<GraphExecutionException>(() => Compute1("MatrixTriangularSolve", [Tensor.Create(singular, 2, 2), Tensor.Create(one, 2, 1)], Attrs(("lower", false)))).Message);
        var eye = new Complex[] { 1, 0, 0, 1 };
        Assert.Contains("In[0] mismatch In[1] shape: 2 vs. 3", Assert.Throws<GraphExecutionException>(() => Compute1("MatrixTriangularSolve", [Tensor.Create(eye, 2, 2), Tensor.Create(new Complex[3], 3, 1)])).Message);
        Assert.Contains("must be square", Assert.Throws<GraphExecutionException>(() => Compute1("MatrixTriangularSolve", [Tensor.Create(new Complex[6], 2, 3), Tensor.Create(new Complex[2], 2, 1)])).Message);
        Assert.Contains("compatible batch dimensions", Assert.Throws<GraphExecutionException>(() => Compute1("MatrixTriangularSolve", [Tensor.Create(new Complex[8], 2, 2, 2), Tensor.Create(new Complex[6], 3, 2, 1)])).Message);
        Assert.Contains("In[1] ndims must be >= 2", Assert.Throws<GraphExecutionException>(() => Compute1("MatrixTriangularSolve", [Tensor.Create(eye, 2, 2), Tensor.Create(one, 2)])).Message);
        // No elements to write: the shape is [batch…, M, 0] and nothing is checked (a singular matrix is fine).
        var empty = Compute1("MatrixTriangularSolve", [Tensor.Create(singular, 1, 2, 2), Tensor.Create(Array.Empty<Complex>(), 3, 2, 0)]);
        Assert.Equal(new TensorShape(3, 2, 0), empty.Shape);
        Assert.Equal(DataType.DtComplex128, empty.DType);
    }

    [Fact]
    public void Zero_coefficient_times_an_infinite_component_gives_NaN_as_Eigen_forms_every_product()
    {
        // Identity (lower), rhs [Inf, 1]: x₀ = Inf, x₁ = 1 − 0·Inf = NaN (Eigen's triangular_solve_matrix skips no zero).
        var x = Compute1("MatrixTriangularSolve", [Tensor.Create(new double[] { 1, 0, 0, 1 }, 2, 2), Tensor.Create(new[] { double.PositiveInfinity, 1 }, 2, 1)]).ToArray<double>();
        Assert.Equal(double.PositiveInfinity, x[0]);
        Assert.True(double.IsNaN(x[1]));
        var c = Compute1("MatrixTriangularSolve", [Tensor.Create(new Complex[] { 1, 0, 0, 1 }, 2, 2), Tensor.Create(new Complex[] { new(double.PositiveInfinity, 0), 1 }, 2, 1)]).ToArray<Complex>();
        Assert.True(double.IsNaN(c[1].Real) || double.IsNaN(c[1].Imaginary));
    }
}
