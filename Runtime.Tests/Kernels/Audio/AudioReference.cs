namespace TypedGraph.Tests.Kernels.Audio;

/// <summary>
/// Plain references for the audio kernels, written from the formulas in TF's sources rather than from our kernels:
/// a RIFF/WAVE writer chunk by chunk, a naive O(n²) DFT spectrogram (spectrogram.cc: periodic Hann window, frames at
/// multiples of the stride, zero-padded to the next power of two), and MFCCs (mfcc_mel_filterbank.cc's triangles
/// written per band as rising and falling slopes between mel centres, mfcc.cc's 1e-12 floor and log, mfcc_dct.cc's
/// √(2/N) DCT-II).
/// </summary>
internal static class AudioReference
{
    /// <summary>One RIFF chunk: a four-character id and its payload, written as id, little-endian size, payload, with
    /// an optional pad byte after an odd payload (RIFF's rule, which TF does not apply when reading).</summary>
    public static byte[] Chunk(string id, byte[] payload, bool padOdd = false, uint? statedSize = null)
    {
        var m = new MemoryStream();
        m.Write(System.Text.Encoding.ASCII.GetBytes(id));
        m.Write(BitConverter.GetBytes(statedSize ?? (uint)payload.Length));
        m.Write(payload);
        if (padOdd && payload.Length % 2 == 1) m.WriteByte(0);
        return m.ToArray();
    }

    /// <summary>A "fmt " payload: format code, channels, rate, byte rate, block align, bits, then <paramref name="extra"/>.</summary>
    public static byte[] Format(ushort code, ushort channels, uint rate, ushort bits, uint? byteRate = null, ushort? blockAlign = null, byte[]? extra = null)
    {
        ushort align = blockAlign ?? (ushort)(channels * ((bits + 7) / 8));
        var m = new MemoryStream();
        m.Write(BitConverter.GetBytes(code));
        m.Write(BitConverter.GetBytes(channels));
        m.Write(BitConverter.GetBytes(rate));
        m.Write(BitConverter.GetBytes(byteRate ?? rate * align));
        m.Write(BitConverter.GetBytes(align));
        m.Write(BitConverter.GetBytes(bits));
        if (extra != null) m.Write(extra);
        return m.ToArray();
    }

    /// <summary>Interleaved int16 samples as little-endian bytes.</summary>
    public static byte[] Pcm16(params short[] samples) => samples.SelectMany(s => new[] { (byte)(s & 0xFF), (byte)((s >> 8) & 0xFF) }).ToArray();

    /// <summary>"RIFF", the size of what follows, "WAVE", then the chunks.</summary>
    public static byte[] Riff(params byte[][] chunks)
    {
        var body = chunks.SelectMany(c => c).ToArray();
        return [.. "RIFF"u8.ToArray(), .. BitConverter.GetBytes((uint)(4 + body.Length)), .. "WAVE"u8.ToArray(), .. body];
    }

    /// <summary>A canonical 16-bit PCM file.</summary>
    public static byte[] Wav16(ushort channels, uint rate, params short[] interleaved)
        => Riff(Chunk("fmt ", Format(1, channels, rate, 16)), Chunk("data", Pcm16(interleaved)));

    /// <summary>|DFT|² of each frame of one channel: frame f is x[f·stride .. f·stride + window) times the periodic Hann
    /// window, zero-padded to the next power of two; [frames][fft/2 + 1], in double.</summary>
    public static double[][] PowerSpectrogram(IReadOnlyList<float> x, int window, int stride)
    {
        int fft = 1;
        while (fft < window) fft <<= 1;
        int frames = x.Count < window ? 0 : 1 + (x.Count - window) / stride;
        var hann = Enumerable.Range(0, window).Select(j => 0.5 - 0.5 * Math.Cos(2 * Math.PI * j / window)).ToArray();
        var cos = Enumerable.Range(0, fft).Select(m => Math.Cos(2 * Math.PI * m / fft)).ToArray();
        var sin = Enumerable.Range(0, fft).Select(m => -Math.Sin(2 * Math.PI * m / fft)).ToArray();
        var result = new double[frames][];
        for (int f = 0; f < frames; f++)
        {
            result[f] = new double[fft / 2 + 1];
            for (int k = 0; k <= fft / 2; k++)
            {
                double re = 0, im = 0;
                for (int j = 0; j < window; j++)
                {
                    double v = x[f * stride + j] * hann[j];
                    int m = (int)((long)j * k % fft); // e^{-2πi·jk/fft}
                    re += v * cos[m];
                    im += v * sin[m];
                }
                result[f][k] = re * re + im * im;
            }
        }
        return result;
    }

    private static double Mel(double hz) => 1127.0 * Math.Log(1 + hz / 700.0);

    /// <summary>
    /// The MFCCs of one squared-magnitude frame. Bands are triangles on the mel scale: band b rises from its left edge
    /// (the previous centre; mel(lower) for band 0) to its centre and falls to the next centre, the bands + 1 centres
    /// evenly spaced strictly inside (mel(lower), mel(upper)]. Bins are at i·(rate/2)/(bins − 1) Hz; TF uses bins
    /// (int)(1.5 + lower/hz) … (int)(upper/hz) (mfcc_mel_filterbank.cc). Each band sums weight·√power, is floored at
    /// 1e-12 and logged; the output is √(2/B)·Σ_j log_band[j]·cos(π·i·(j + ½)/B) for i &lt; coefficients.
    /// </summary>
    public static double[] Mfcc(IReadOnlyList<float> power, double rate, double lower, double upper, int bands, int coefficients)
    {
        int bins = power.Count;
        double hz = rate / 2 / (bins - 1);
        int start = (int)(1.5 + lower / hz), end = (int)(upper / hz);
        double melLow = Mel(lower), melHigh = Mel(upper);
        var centre = Enumerable.Range(0, bands + 1).Select(i => melLow + (melHigh - melLow) * (i + 1) / (bands + 1)).ToArray();
        var energy = new double[bands];
        for (int b = 0; b < bands; b++)
        {
            double left = b == 0 ? melLow : centre[b - 1], mid = centre[b], right = centre[b + 1];
            for (int i = start; i <= end; i++)
            {
                double m = Mel(i * hz);
                double weight = m > left && m <= mid ? (m - left) / (mid - left)
                    : m > mid && m <= right ? (right - m) / (right - mid) : 0;
                energy[b] += weight * Math.Sqrt(power[i]);
            }
        }
        var logs = energy.Select(e => Math.Log(Math.Max(e, 1e-12))).ToArray();
        var output = new double[coefficients];
        for (int i = 0; i < coefficients; i++)
            for (int j = 0; j < bands; j++)
                output[i] += Math.Sqrt(2.0 / bands) * Math.Cos(Math.PI * i * (j + 0.5) / bands) * logs[j];
        return output;
    }
}
