using System.Numerics;

namespace TypedGraph.Kernels.Spectral;

/// <summary>
/// One-dimensional discrete Fourier transforms in double: iterative radix-2 for power-of-two lengths, Bluestein's chirp-z
/// (through a power-of-two convolution) for the others — the two algorithms of Eigen's TensorFFT, which TF's FFT kernels
/// (fft_ops.cc) call on CPU. Forward is X[k] = Σ x[j]·e^(−2πi·jk/n); inverse uses +2πi and divides by n, as Eigen's
/// inverse transform does.
/// </summary>
internal static class Fft
{
    /// <summary>Transforms <paramref name="data"/> in place (any length ≥ 0).</summary>
    public static void Transform(Span<Complex> data, bool inverse)
    {
        int n = data.Length;
        if (n <= 1) return;
        if ((n & (n - 1)) == 0) Radix2(data, inverse);
        else Bluestein(data, inverse);
        if (inverse)
            for (int i = 0; i < n; i++) data[i] /= n;
    }

    // Unscaled radix-2 Cooley–Tukey (bit reversal, then butterflies); twiddles from cos/sin of exact angles per level.
    private static void Radix2(Span<Complex> a, bool inverse)
    {
        int n = a.Length;
        for (int i = 1, j = 0; i < n; i++)
        {
            int bit = n >> 1;
            for (; (j & bit) != 0; bit >>= 1) j ^= bit;
            j |= bit;
            if (i < j) (a[i], a[j]) = (a[j], a[i]);
        }
        double sign = inverse ? 1 : -1;
        for (int len = 2; len <= n; len <<= 1)
        {
            int half = len >> 1;
            for (int k = 0; k < half; k++)
            {
                double angle = sign * 2 * Math.PI * k / len;
                var w = new Complex(Math.Cos(angle), Math.Sin(angle));
                for (int start = 0; start < n; start += len)
                {
                    var u = a[start + k];
                    var v = a[start + k + half] * w;
                    a[start + k] = u + v;
                    a[start + k + half] = u - v;
                }
            }
        }
    }

    // Unscaled transform of any length as a convolution with the chirp e^(∓πi·k²/n), done by power-of-two FFTs.
    private static void Bluestein(Span<Complex> x, bool inverse)
    {
        int n = x.Length;
        int m = 1;
        while (m < 2 * n - 1) m <<= 1;
        double sign = inverse ? 1 : -1;
        var chirp = new Complex[n];
        for (int k = 0; k < n; k++)
        {
            // k² mod 2n keeps the angle exact for large k.
            long k2 = (long)k * k % (2L * n);
            double angle = sign * Math.PI * k2 / n;
            chirp[k] = new Complex(Math.Cos(angle), Math.Sin(angle));
        }
        var a = new Complex[m];
        var b = new Complex[m];
        for (int k = 0; k < n; k++) a[k] = x[k] * chirp[k];
        b[0] = Complex.Conjugate(chirp[0]);
        for (int k = 1; k < n; k++) b[k] = b[m - k] = Complex.Conjugate(chirp[k]);
        Radix2(a, false);
        Radix2(b, false);
        for (int i = 0; i < m; i++) a[i] *= b[i];
        Radix2(a, true);
        for (int k = 0; k < n; k++) x[k] = a[k] / m * chirp[k];
    }

    /// <summary>Transforms every line along axis <paramref name="axis"/> of a row-major array of <paramref name="dims"/>.</summary>
    public static void AlongAxis(Complex[] data, int[] dims, int axis, bool inverse)
    {
        int n = dims[axis];
        if (n <= 1 || data.Length == 0) return;
        long inner = 1;
        for (int d = axis + 1; d < dims.Length; d++) inner *= dims[d];
        long outer = data.Length / (inner * n);
        var line = new Complex[n];
        for (long o = 0; o < outer; o++)
            for (long i = 0; i < inner; i++)
            {
                long start = o * n * inner + i;
                for (int k = 0; k < n; k++) line[k] = data[start + k * inner];
                Transform(line, inverse);
                for (int k = 0; k < n; k++) data[start + k * inner] = line[k];
            }
    }
}
