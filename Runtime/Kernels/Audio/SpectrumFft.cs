namespace TypedGraph.Kernels.Audio;

/// <summary>
/// A radix-2 forward DFT in double, X[k] = Σ x[j]·e^(-2πi·jk/n), for the spectrogram's power-of-two frames. TF's
/// spectrogram.cc runs Ooura's <c>rdft</c> (fft2d) in double; both are O(log n·ε) accurate in double, so after the
/// spectrogram's conversion to float the results agree to float rounding. (rdft's imaginary part has the opposite
/// sign; only |X|² is used.) Twiddles are computed directly per index, not by recurrence, to keep them exact to an ulp.
/// </summary>
internal sealed class SpectrumFft
{
    private readonly int _n;
    private readonly double[] _cos, _sin;
    private readonly int[] _bitReversed;

    /// <summary>A transform of length <paramref name="n"/>, a power of two ≥ 2.</summary>
    public SpectrumFft(int n)
    {
        if (n < 2 || (n & (n - 1)) != 0) throw new ArgumentOutOfRangeException(nameof(n), n, "FFT length must be a power of two >= 2.");
        _n = n;
        _cos = new double[n / 2];
        _sin = new double[n / 2];
        for (int k = 0; k < n / 2; k++)
        {
            double angle = 2 * Math.PI * k / n;
            _cos[k] = Math.Cos(angle);
            _sin[k] = Math.Sin(angle);
        }
        _bitReversed = new int[n];
        int bits = System.Numerics.BitOperations.Log2((uint)n);
        for (int i = 0; i < n; i++)
        {
            int r = 0;
            for (int b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
            _bitReversed[i] = r;
        }
    }

    /// <summary>The transform length.</summary>
    public int Length => _n;

    /// <summary>Transforms (<paramref name="re"/>, <paramref name="im"/>) in place (each of <see cref="Length"/>).</summary>
    public void Forward(Span<double> re, Span<double> im)
    {
        int n = _n;
        for (int i = 0; i < n; i++)
        {
            int j = _bitReversed[i];
            if (j > i)
            {
                (re[i], re[j]) = (re[j], re[i]);
                (im[i], im[j]) = (im[j], im[i]);
            }
        }
        for (int size = 2; size <= n; size <<= 1)
        {
            int half = size >> 1, step = n / size;
            for (int start = 0; start < n; start += size)
                for (int j = 0; j < half; j++)
                {
                    double wr = _cos[j * step], wi = -_sin[j * step];
                    int a = start + j, b = a + half;
                    double tr = wr * re[b] - wi * im[b];
                    double ti = wr * im[b] + wi * re[b];
                    re[b] = re[a] - tr;
                    im[b] = im[a] - ti;
                    re[a] += tr;
                    im[a] += ti;
                }
        }
    }
}
