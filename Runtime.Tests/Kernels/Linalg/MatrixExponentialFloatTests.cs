using System.Numerics;
using TypedGraph.Protos;
using static TypedGraph.Tests.Support.OpHarness;

namespace TypedGraph.Tests.Kernels.Linalg;

/// <summary>
/// MatrixExponential on float and complex64 runs Eigen's single-precision path, as TF's matrix_exponential_op.cc does
/// (Eigen's <c>matrix_exp_computeUV&lt;MatrixType, float&gt;</c>: Padé 3 below ‖A‖₁ = 0.4258730016922831, 5 below
/// 1.880152677804762, else 7 after s = frexp(‖A‖₁ / 3.925724783138660) halvings). 1×1 cases are checked bit for bit
/// against that rational written out here in float arithmetic (Eigen's grouping; the solve multiplies by the reciprocal
/// of the pivot); larger matrices against a double Taylor series with squaring, to single-precision accuracy.
/// </summary>
public class MatrixExponentialFloatTests
{
    private static readonly float[] P3 = [120, 60, 12, 1];
    private static readonly float[] P5 = [30240, 15120, 3360, 420, 30, 1];
    private static readonly float[] P7 = [17297280, 8648640, 1995840, 277200, 25200, 1512, 56, 1];

    /// <summary>Eigen's float Padé approximant of e^x for a 1×1 matrix, in float, then squared <paramref name="squarings"/> times.</summary>
    private static float PadeFloat(float x, float[] b, int squarings)
    {
        x = MathF.ScaleB(x, -squarings);
        float a2 = x * x;
        var powers = new List<float> { 1f, a2 };
        while (powers.Count * 2 < b.Length) powers.Add(powers[^1] * a2);
        float odd = 0, even = 0;
        for (int k = powers.Count - 1; k >= 0; k--)
        {
            odd = k == powers.Count - 1 ? b[2 * k + 1] * powers[k] : odd + b[2 * k + 1] * powers[k];
            even = k == powers.Count - 1 ? b[2 * k] * powers[k] : even + b[2 * k] * powers[k];
        }
        float u = x * odd;
        float r = (u + even) * (1f / (even - u));
        for (int s = 0; s < squarings; s++) r *= r;
        return r;
    }

    [Theory]
    [InlineData(0.1f, 3, 0)]
    [InlineData(-0.3f, 3, 0)]
    [InlineData(0.42f, 3, 0)]   // double would take Padé 7 here
    [InlineData(0.43f, 5, 0)]
    [InlineData(1.3f, 5, 0)]
    [InlineData(1.87f, 5, 0)]
    [InlineData(1.9f, 7, 0)]    // frexp(1.9 / 3.93) = 0.48·2⁰
    [InlineData(5f, 7, 1)]      // frexp(5 / 3.93) = 0.64·2¹
    [InlineData(-20f, 7, 3)]    // frexp(20 / 3.93) = 0.64·2³
    public void Float_1x1_is_Eigens_single_precision_pade_rational_bit_for_bit(float x, int degree, int squarings)
    {
        var b = degree switch { 3 => P3, 5 => P5, _ => P7 };
        float expected = PadeFloat(x, b, squarings);
        float got = Compute1("MatrixExponential", [Tensor.Create(new[] { x }, 1, 1)]).ToArray<float>()[0];
        Assert.Equal(expected, got);
        Assert.True(Math.Abs(got - Math.Exp(x)) <= 2e-6 * Math.Exp(x), $"e^{x}: {got} vs {Math.Exp(x)}");
    }

    [Fact]
    public void Float_path_is_not_the_double_result_rounded_where_single_precision_rounding_differs()
    {
        // e^0.1: Eigen's float Padé 3 gives 1.10517085 (0x3F8D7591), one ulp below the correctly rounded 1.10517097.
        float got = Compute1("MatrixExponential", [Tensor.Create(new[] { 0.1f }, 1, 1)]).ToArray<float>()[0];
        Assert.Equal(PadeFloat(0.1f, P3, 0), got);
        Assert.NotEqual((float)Math.Exp(0.1f), got);
        double wide = Compute1("MatrixExponential", [Tensor.Create(new[] { (double)0.1f }, 1, 1)]).ToArray<double>()[0];
        Assert.Equal(Math.Exp(0.1f), wide, 15);
    }

    private static Complex[] TaylorExp(Complex[] a, int n)
    {
        // e^A = (e^(A/2^k))^(2^k) with a 30-term series, in complex double.
        int k = 0;
        double norm = a.Max(Complex.Abs) * n;
        while (norm > 0.5) { norm /= 2; k++; }
        var scaled = a.Select(v => v / Math.Pow(2, k)).ToArray();
        var sum = new Complex[n * n];
        var term = new Complex[n * n];
        for (int i = 0; i < n; i++) { sum[i * n + i] = 1; term[i * n + i] = 1; }
        for (int t = 1; t < 30; t++)
        {
            term = Mul(term, scaled, n).Select(v => v / t).ToArray();
            for (int i = 0; i < n * n; i++) sum[i] += term[i];
        }
        for (int s = 0; s < k; s++) sum = Mul(sum, sum, n);
        return sum;
    }

    private static Complex[] Mul(Complex[] a, Complex[] b, int n)
    {
        var c = new Complex[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                for (int p = 0; p < n; p++) c[i * n + j] += a[i * n + p] * b[p * n + j];
        return c;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Float_and_complex64_batches_in_every_single_precision_band_match_a_double_taylor_series(bool complex)
    {
        const int n = 4;
        double[] norms = [0.2, 1.0, 3.0, 12.0]; // Padé 3, 5, 7 without and with squarings
        var r = new Random(7);
        var all = new List<Complex>();
        foreach (double target in norms)
        {
            var m = Enumerable.Range(0, n * n).Select(_ => new Complex(r.NextDouble() * 2 - 1, complex ? r.NextDouble() * 2 - 1 : 0)).ToArray();
            // Round to float first so the reference sees the same input; scale to the wanted 1-norm.
            double colMax = Enumerable.Range(0, n).Max(j => Enumerable.Range(0, n).Sum(i => Complex.Abs(m[i * n + j])));
            all.AddRange(m.Select(v => new Complex((float)(v.Real * target / colMax), (float)(v.Imaginary * target / colMax))));
        }
        Tensor input;
        if (complex)
        {
            input = Tensor.Zeros(DataType.DtComplex64, new TensorShape(norms.Length, n, n));
            var f = input.AsSpan<float>();
            for (int i = 0; i < all.Count; i++) { f[2 * i] = (float)all[i].Real; f[2 * i + 1] = (float)all[i].Imaginary; }
        }
        else input = Tensor.Create(all.Select(v => (float)v.Real).ToArray(), norms.Length, n, n);
        var output = Compute1("MatrixExponential", [input]);
        Assert.Equal(input.DType, output.DType);
        var raw = output.ToArray<float>();
        var got = complex ? Enumerable.Range(0, all.Count).Select(i => new Complex(raw[2 * i], raw[2 * i + 1])).ToArray() : raw.Select(v => new Complex(v, 0)).ToArray();
        for (int b = 0; b < norms.Length; b++)
        {
            var expected = TaylorExp(all.Skip(b * n * n).Take(n * n).ToArray(), n);
            double scale = expected.Max(Complex.Abs);
            for (int i = 0; i < n * n; i++)
                Assert.True(Complex.Abs(expected[i] - got[b * n * n + i]) <= 2e-6 * scale * Math.Max(1, norms[b]), $"norm {norms[b]} [{i}]: {got[b * n * n + i]} vs {expected[i]}");
        }
    }
}
