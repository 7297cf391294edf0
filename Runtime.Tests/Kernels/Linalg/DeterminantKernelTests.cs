using static TypedGraph.Tests.Support.OpHarness;

namespace TypedGraph.Tests.Kernels.Linalg;

/// <summary>
/// MatrixDeterminant / LogMatrixDeterminant (TF's determinant_op.cc SLogDet) against a Leibniz-formula reference (a sum
/// over all permutations, independent of LU), plus TF's edge cases: singular → sign 0 and log −∞, NaN input → 0,
/// empty matrix → 1.
/// </summary>
public class DeterminantKernelTests
{
    private static double[] Random(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => r.NextDouble() * 4 - 2).ToArray();
    }

    /// <summary>det(A) = Σ_σ sgn(σ) Π_i A[i, σ(i)] over all permutations.</summary>
    private static double Leibniz(double[] a, int at, int n)
    {
        double total = 0;
        void Recurse(int[] perm, int depth, bool[] used, int inversions)
        {
            if (depth == n)
            {
                double p = inversions % 2 == 0 ? 1 : -1;
                for (int i = 0; i < n; i++) p *= a[at + i * n + perm[i]];
                total += p;
                return;
            }
            for (int c = 0; c < n; c++)
            {
                if (used[c]) continue;
                int inv = 0;
                for (int d = 0; d < depth; d++) if (perm[d] > c) inv++;
                used[c] = true;
                perm[depth] = c;
                Recurse(perm, depth + 1, used, inversions + inv);
                used[c] = false;
            }
        }
        Recurse(new int[n], 0, new bool[n], 0);
        return n == 0 ? 1 : total;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Determinant_and_log_determinant_match_the_leibniz_formula(int n)
    {
        var a = Random(3 * n * n, n);
        var input = Tensor.Create(a, 3, n, n);
        var det = Compute1("MatrixDeterminant", [input]);
        Assert.Equal(new TensorShape(3), det.Shape);
        var slog = Compute("LogMatrixDeterminant", [input], 2);
        for (int b = 0; b < 3; b++)
        {
            double expect = Leibniz(a, b * n * n, n);
            Assert.Equal(expect, det.ToArray<double>()[b], 1e-12);
            Assert.Equal(Math.Sign(expect), slog[0].ToArray<double>()[b]);
            Assert.Equal(Math.Log(Math.Abs(expect)), slog[1].ToArray<double>()[b], 1e-12);
        }
        // float in, float out (computed in double, rounded once).
        var f = Compute1("MatrixDeterminant", [Tensor.Create(Array.ConvertAll(a, v => (float)v), 3, n, n)]).ToArray<float>();
        for (int b = 0; b < 3; b++) Assert.Equal(Leibniz(Array.ConvertAll(a, v => (double)(float)v), b * n * n, n), f[b], 1e-5);
    }

    [Fact]
    public void Row_swaps_flip_the_sign()
    {
        var swap = Tensor.Create(new double[] { 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1 }, 2, 3, 3);
        Assert.Equal([1.0, -1.0], Compute1("MatrixDeterminant", [swap]).ToArray<double>());
        Assert.Equal([1.0, -1.0], Compute("LogMatrixDeterminant", [swap], 2)[0].ToArray<double>());
        Assert.Equal([0.0, 0.0], Compute("LogMatrixDeterminant", [swap], 2)[1].ToArray<double>());
    }

    // SLogDet: a non-finite log|det| sets sign 0 and log|det| = −∞ (NaN included, since NaN > 0 is false), and the
    // determinant is sign·exp(log|det|) = 0. An empty matrix has determinant 1 (sign 1, log 0).
    [Fact]
    public void Singular_nan_and_empty_matrices_follow_tf()
    {
        var singular = Tensor.Create(new double[] { 1, 2, 2, 4 }, 2, 2);
        Assert.Equal(0.0, Compute1("MatrixDeterminant", [singular]).ToArray<double>()[0]);
        var s = Compute("LogMatrixDeterminant", [singular], 2);
        Assert.Equal(0.0, s[0].ToArray<double>()[0]);
        Assert.Equal(double.NegativeInfinity, s[1].ToArray<double>()[0]);
        var nan = Tensor.Create(new double[] { double.NaN, 1, 1, 1 }, 2, 2);
        Assert.Equal(0.0, Compute1("MatrixDeterminant", [nan]).ToArray<double>()[0]);
        Assert.Equal(double.NegativeInfinity, Compute("LogMatrixDeterminant", [nan], 2)[1].ToArray<double>()[0]);
        var empty = Tensor.Create(Array.Empty<float>(), 2, 0, 0);
        Assert.Equal([1f, 1f], Compute1("MatrixDeterminant", [empty]).ToArray<float>());
        var e = Compute("LogMatrixDeterminant", [empty], 2);
        Assert.Equal([1f, 1f], e[0].ToArray<float>());
        Assert.Equal([0f, 0f], e[1].ToArray<float>());
    }

    [Fact]
    public void Non_square_input_is_an_error_naming_the_shape()
    {
        var ex = Assert.ThrowsAny<Exception>(() => Compute1("MatrixDeterminant", [Tensor.Create(new double[6], 2, 3)]));
        Assert.Contains("square", ex.Message);
        Assert.Contains("[2,3]", ex.Message.Replace(" ", ""));
    }
}
