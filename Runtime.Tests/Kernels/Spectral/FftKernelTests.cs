using System.Numerics;
using TypedGraph.Protos;
using static TypedGraph.Tests.Kernels.ComplexArithmetic.ComplexArithmeticKernelTests;
using static TypedGraph.Tests.Support.OpHarness;

namespace TypedGraph.Tests.Kernels.Spectral;

/// <summary>
/// FFT/IFFT (1–3D) and RFFT/IRFFT (1–3D) against naive DFT sums written here (X[k] = Σ x[j]·e^(∓2πi·jk/n), inverse
/// divided by n), with fft_ops.cc's cropping, output sizes (fft_length/2 + 1), Hermitian IRFFT and its errors.
/// </summary>
public class FftKernelTests
{
    // Naive DFT over the innermost `rank` dims of a row-major array: each output element sums over every input element
    // of its batch with the product of the per-axis phases.
    private static Complex[] NaiveDft(Complex[] x, int[] dims, int rank, bool inverse)
    {
        int r = dims.Length;
        int block = 1;
        for (int i = r - rank; i < r; i++) block *= dims[i];
        int batches = x.Length / Math.Max(1, block);
        var inner = dims[(r - rank)..];
        var y = new Complex[x.Length];
        double sign = inverse ? 1 : -1;
        for (int b = 0; b < batches; b++)
            for (int k = 0; k < block; k++)
            {
                Complex sum = 0;
                for (int j = 0; j < block; j++)
                {
                    double phase = 0;
                    int kk = k, jj = j;
                    for (int a = rank - 1; a >= 0; a--)
                    {
                        phase += (double)(kk % inner[a]) * (jj % inner[a]) / inner[a];
                        kk /= inner[a];
                        jj /= inner[a];
                    }
                    sum += x[b * block + j] * Complex.FromPolarCoordinates(1, sign * 2 * Math.PI * phase);
                }
                y[b * block + k] = inverse ? sum / block : sum;
            }
        return y;
    }

    [Theory]
    [InlineData(1, new[] { 2, 5 })]
    [InlineData(1, new[] { 3, 8 })]
    [InlineData(1, new[] { 12 })]
    [InlineData(1, new[] { 1 })]
    [InlineData(2, new[] { 2, 3, 4 })]
    [InlineData(2, new[] { 6, 5 })]
    [InlineData(3, new[] { 2, 3, 2, 5 })]
    public void Complex_FFT_and_IFFT_match_a_naive_DFT(int rank, int[] dims)
    {
        string suffix = rank == 1 ? "" : $"{rank}D";
        int count = dims.Aggregate(1, (a, b) => a * b);
        var x = Random(count, 50 + count);
        var f = Compute1("FFT" + suffix, [Tensor.Create(x, dims)]);
        Assert.Equal(dims, f.Shape.ToArray());
        Close(NaiveDft(x, dims, rank, inverse: false), Values(f), 1e-12, "FFT" + suffix);
        Close(NaiveDft(x, dims, rank, inverse: true), Values(Compute1("IFFT" + suffix, [Tensor.Create(x, dims)])), 1e-12, "IFFT" + suffix);
        Close(x, Values(Compute1("IFFT" + suffix, [f])), 1e-13, "IFFT(FFT(x))");
        var x32 = x.Select(Round32).ToArray();
        var f32 = Compute1("FFT" + suffix, [C64(x, dims)]);
        Assert.Equal(DataType.DtComplex64, f32.DType);
        Close(NaiveDft(x32, dims, rank, inverse: false), Values(f32), 1e-6, "FFT complex64");
    }

    [Fact]
    public void RFFT_crops_to_fft_length_and_keeps_the_first_half_plus_one_bins()
    {
        // [3, 10] input, fft_length 8: the DFT of the first 8 samples of each row, bins 0..4.
        var r = new Random(61);
        var x = Enumerable.Range(0, 30).Select(_ => r.NextDouble() - 0.5).ToArray();
        var y = Compute1("RFFT", [Tensor.Create(x.Select(v => (float)v).ToArray(), 3, 10), Tensor.Create(new[] { 8 }, 1)]);
        Assert.Equal(DataType.DtComplex64, y.DType);
        Assert.Equal([3, 5], y.Shape.ToArray());
        var got = Values(y);
        for (int row = 0; row < 3; row++)
        {
            var full = NaiveDft(Enumerable.Range(0, 8).Select(j => new Complex((float)x[row * 10 + j], 0)).ToArray(), [8], 1, false);
            Close(full.Take(5).ToArray(), got.Skip(row * 5).Take(5).ToArray(), 1e-6, $"RFFT row {row}");
        }
        // RFFT2D on double: [4, 6] cropped to [3, 5] → [3, 3] complex128.
        var x2 = Enumerable.Range(0, 24).Select(_ => r.NextDouble()).ToArray();
        var y2 = Compute1("RFFT2D", [Tensor.Create(x2, 4, 6), Tensor.Create(new[] { 3, 5 }, 2)]);
        Assert.Equal(DataType.DtComplex128, y2.DType);
        Assert.Equal([3, 3], y2.Shape.ToArray());
        var cropped = new Complex[15];
        for (int i = 0; i < 3; i++) for (int j = 0; j < 5; j++) cropped[i * 5 + j] = x2[i * 6 + j];
        var full2 = NaiveDft(cropped, [3, 5], 2, false);
        var expected2 = Enumerable.Range(0, 9).Select(i => full2[(i / 3) * 5 + i % 3]).ToArray();
        Close(expected2, Values(y2), 1e-13, "RFFT2D");
        // fft_length 0 gives an empty innermost dim.
        Assert.Equal([3, 0], Compute1("RFFT", [Tensor.Create(new float[30], 3, 10), Tensor.Create(new[] { 0 }, 1)]).Shape.ToArray());
    }

    [Theory]
    [InlineData(8)]
    [InlineData(7)]
    public void IRFFT_is_the_Hermitian_inverse_and_ignores_the_DC_and_Nyquist_imaginary_parts(int n)
    {
        int h = n / 2 + 1;
        var spec = Random(2 * (h + 1), 70 + n);                   // one extra bin per row: cropped away
        var got = Compute1("IRFFT", [Tensor.Create(spec, 2, h + 1), Tensor.Create(new[] { n }, 1)], Attrs(("Treal", DataType.DtDouble)));
        Assert.Equal(DataType.DtDouble, got.DType);
        Assert.Equal([2, n], got.Shape.ToArray());
        var values = got.ToArray<double>();
        for (int row = 0; row < 2; row++)
        {
            // Full spectrum: bins 0..h−1 from the input, bin k ≥ h = conj(bin n − k); DC and (even n) Nyquist real.
            var full = new Complex[n];
            for (int k = 0; k < n; k++) full[k] = k < h ? spec[row * (h + 1) + k] : Complex.Conjugate(spec[row * (h + 1) + n - k]);
            full[0] = full[0].Real;
            if (n % 2 == 0) full[n / 2] = full[n / 2].Real;
            var expected = NaiveDft(full, [n], 1, inverse: true);
            for (int j = 0; j < n; j++) Assert.Equal(expected[j].Real, values[row * n + j], 1e-13);
        }
        // Round trip: IRFFT(RFFT(x)) = x.
        var r = new Random(n);
        var x = Enumerable.Range(0, 3 * n).Select(_ => (float)(r.NextDouble() - 0.5)).ToArray();
        var back = Compute1("IRFFT", [Compute1("RFFT", [Tensor.Create(x, 3, n), Tensor.Create(new[] { n }, 1)]), Tensor.Create(new[] { n }, 1)]).ToArray<float>();
        for (int i = 0; i < x.Length; i++) Assert.Equal((double)x[i], back[i], 1e-6);
    }

    [Fact]
    public void IRFFT2D_and_3D_round_trip_RFFT()
    {
        var r = new Random(80);
        var x = Enumerable.Range(0, 2 * 4 * 6).Select(_ => r.NextDouble()).ToArray();
        var f = Compute1("RFFT2D", [Tensor.Create(x, 2, 4, 6), Tensor.Create(new[] { 4, 6 }, 2)]);
        Assert.Equal([2, 4, 4], f.Shape.ToArray());
        var back = Compute1("IRFFT2D", [f, Tensor.Create(new[] { 4, 6 }, 2)], Attrs(("Treal", DataType.DtDouble))).ToArray<double>();
        for (int i = 0; i < x.Length; i++) Assert.Equal(x[i], back[i], 1e-13);
        var f3 = Compute1("RFFT3D", [Tensor.Create(x, 2, 4, 6), Tensor.Create(new[] { 2, 4, 5 }, 3)]);
        Assert.Equal([2, 4, 3], f3.Shape.ToArray());
        var back3 = Compute1("IRFFT3D", [f3, Tensor.Create(new[] { 2, 4, 5 }, 3)], Attrs(("Treal", DataType.DtDouble))).ToArray<double>();
        for (int a = 0; a < 2; a++) for (int b = 0; b < 4; b++) for (int c = 0; c < 5; c++)
            Assert.Equal(x[(a * 4 + b) * 6 + c], back3[(a * 4 + b) * 5 + c], 1e-13);
    }

    [Fact]
    public void Bad_inputs_get_fft_ops_errors()
    {
        var z = Tensor.Create(Random(6, 1), 2, 3);
        Assert.Contains("rank of at least 2", Assert.Throws<GraphExecutionException>(() => Compute1("FFT2D", [Tensor.Create(Random(3, 1), 3)])).Message);
        Assert.Contains("fft_length must have shape [1]", Assert.Throws<GraphExecutionException>(() => Compute1("RFFT", [Tensor.Create(new float[4], 4), Tensor.Create(new[] { 4, 4 }, 2)])).Message);
        Assert.Contains("must >= 0", Assert.Throws<GraphExecutionException>(() => Compute1("RFFT", [Tensor.Create(new float[4], 4), Tensor.Create(new[] { -1 }, 1)])).Message);
        Assert.Contains("must have length of at least 8", Assert.Throws<GraphExecutionException>(() => Compute1("RFFT", [Tensor.Create(new float[4], 4), Tensor.Create(new[] { 8 }, 1)])).Message);
        Assert.Contains("must have length of at least 5", Assert.Throws<GraphExecutionException>(() => Compute1("IRFFT", [z, Tensor.Create(new[] { 8 }, 1)])).Message);
        Assert.Throws<GraphExecutionException>(() => Compute1("FFT", [Tensor.Create(new float[4], 4)]));
        Assert.Contains("Wrong types", Assert.Throws<GraphExecutionException>(() => Compute1("IRFFT", [z, Tensor.Create(new[] { 4 }, 1)], Attrs(("Treal", DataType.DtFloat)))).Message);
    }
}
