using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Audio;

/// <summary>
/// <c>Mfcc(spectrogram float [channels, frames, bins], sample_rate int32; upper_frequency_limit = 4000,
/// lower_frequency_limit = 20, filterbank_channel_count = 40, dct_coefficient_count = 13) → float
/// [channels, frames, dct_coefficient_count]</c>, after TF's <c>mfcc_op.cc</c>, <c>mfcc.cc</c>,
/// <c>mfcc_mel_filterbank.cc</c> and <c>mfcc_dct.cc</c>, all in double as TF: each frame (a squared-magnitude
/// spectrum) goes through the triangular mel filterbank on √power (<see cref="MelFilterbank"/>), each band is floored at
/// 1e-12 and logged, then the first dct_coefficient_count terms of mfcc_dct.cc's DCT-II
/// (√(2/N)·Σ x[j]·cos(π·i·(j + ½)/N), no special scaling of term 0) are rounded to float.
/// Parameters TF's Initialize rejects (sample rate ≤ 0, fewer than 2 bins, lower limit &lt; 0, upper ≤ lower, band or
/// coefficient counts &lt; 1, more coefficients than bands) fail with TF's "Mfcc initialization failed" message.
/// As TF, when the upper limit reaches past the last bin (mfcc_mel_filterbank.cc: "Input too short to compute
/// filterbank", only logged) every coefficient is 0.
/// </summary>
internal sealed class MfccKernel : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("Mfcc", n =>
    {
        // mfcc_op.cc holds the limits as float attrs and widens them to double for Mfcc.
        double upper = n.GetFloat("upper_frequency_limit", 4000f);
        double lower = n.GetFloat("lower_frequency_limit", 20f);
        int bandCount = (int)n.GetInt("filterbank_channel_count", 40);
        int coefficientCount = (int)n.GetInt("dct_coefficient_count", 13);
        var cache = new FilterbankCache(lower, upper, bandCount, coefficientCount);
        return new DelegateKernel(n, ctx => Compute(ctx, cache, coefficientCount));
    });

    private static void Compute(OpKernelContext ctx, FilterbankCache cache, int coefficientCount)
    {
        var spectrogram = ctx.Input(0);
        if (spectrogram.Shape.Rank != 3) throw ctx.Error($"spectrogram must be 3-dimensional{WavKernels.ShapeText(spectrogram.Shape)}");
        var rate = ctx.Input(1);
        if (rate.Shape.Rank != 0) throw ctx.Error($"Input sample_rate should be a scalar tensor, got {WavKernels.ShapeText(rate.Shape)} instead.");
        int sampleRate = rate.Scalar<int>();
        int audioChannels = spectrogram.Shape[0], frames = spectrogram.Shape[1], bins = spectrogram.Shape[2];
        var design = cache.Get(bins, sampleRate)
            ?? throw ctx.Error($"Mfcc initialization failed for channel count {bins} and sample rate {sampleRate}");
        var output = ctx.AllocateOutput(0, DataType.DtFloat, new TensorShape(audioChannels, frames, coefficientCount)).AsSpan<float>();
        var input = spectrogram.AsSpan<float>();
        var bands = new double[design.Filterbank.BandCount];
        var coefficients = new double[coefficientCount];
        for (long frame = 0; frame < (long)audioChannels * frames; frame++)
        {
            var spectrum = input.Slice((int)(frame * bins), bins);
            if (design.Filterbank.Compute(spectrum, bands))
            {
                for (int i = 0; i < bands.Length; i++)
                {
                    double v = bands[i];
                    if (v < 1e-12) v = 1e-12; // mfcc.cc's kFilterbankFloor (a NaN fails the test and stays NaN)
                    bands[i] = Math.Log(v);
                }
                design.Dct.Compute(bands, coefficients);
            }
            else Array.Clear(coefficients); // TF's filterbank leaves its output empty and the DCT of nothing is 0
            var row = output.Slice((int)(frame * coefficientCount), coefficientCount);
            for (int i = 0; i < coefficientCount; i++) row[i] = (float)coefficients[i];
        }
    }

    /// <summary>The filterbank and DCT for the last (bins, sample rate) seen; a new pair is built when they change.</summary>
    private sealed class FilterbankCache(double lower, double upper, int bandCount, int coefficientCount)
    {
        private Design? _last;

        public Design? Get(int bins, int sampleRate)
        {
            var last = Volatile.Read(ref _last);
            if (last != null && last.Bins == bins && last.SampleRate == sampleRate) return last;
            // mfcc.cc's Initialize runs both (initialized &= ...) and fails when either does.
            var filterbank = MelFilterbank.Create(bins, sampleRate, bandCount, lower, upper);
            var dct = MfccDct.Create(bandCount, coefficientCount);
            if (filterbank == null || dct == null) return null;
            var design = new Design(bins, sampleRate, filterbank, dct);
            Volatile.Write(ref _last, design);
            return design;
        }
    }

    private sealed record Design(int Bins, int SampleRate, MelFilterbank Filterbank, MfccDct Dct);
}

/// <summary>
/// TF's mel filterbank (mfcc_mel_filterbank.cc, MfccMelFilterbank): mel(f) = 1127·ln(1 + f/700); band centres at
/// mel_low + (i+1)·(mel_high − mel_low)/(bands + 1) for i ≤ bands (the extra one closes the last triangle); bin i sits at
/// i·hz_per_bin with hz_per_bin = (rate/2)/(bins − 1); only bins start..end are used, start = (int)(1.5 + lower/hz)
/// (DC always excluded, after HTK) and end = (int)(upper/hz). Each used bin maps to the band whose right slope it is on
/// (−1 left of the first centre) and gives weight·√power to that band and (1 − weight)·√power to the next.
/// </summary>
internal sealed class MelFilterbank
{
    private readonly int _bands, _start, _end;
    private readonly int[] _bandOfBin;
    private readonly double[] _weights;

    private MelFilterbank(int bands, int start, int end, int[] bandOfBin, double[] weights)
    {
        _bands = bands;
        _start = start;
        _end = end;
        _bandOfBin = bandOfBin;
        _weights = weights;
    }

    /// <summary>The number of mel bands.</summary>
    public int BandCount => _bands;

    /// <summary>MfccMelFilterbank::Initialize, or null where it returns false.</summary>
    public static MelFilterbank? Create(int bins, double sampleRate, int bands, double lower, double upper)
    {
        if (bands < 1 || sampleRate <= 0 || bins < 2 || lower < 0 || upper <= lower) return null;
        var centers = new double[bands + 1];
        double melLow = FreqToMel(lower), melHigh = FreqToMel(upper);
        double spacing = (melHigh - melLow) / (bands + 1);
        for (int i = 0; i < bands + 1; i++) centers[i] = melLow + spacing * (i + 1);
        double hzPerBin = 0.5 * sampleRate / (bins - 1);
        int start = (int)(1.5 + lower / hzPerBin);
        int end = (int)(upper / hzPerBin);
        var bandOfBin = new int[bins];
        int band = 0;
        for (int i = 0; i < bins; i++)
        {
            double mel = FreqToMel(i * hzPerBin);
            if (i < start || i > end) { bandOfBin[i] = -2; continue; } // unused bin
            while (band < bands && centers[band] < mel) band++;
            bandOfBin[i] = band - 1;
        }
        var weights = new double[bins];
        for (int i = 0; i < bins; i++)
        {
            if (i < start || i > end) continue;
            int b = bandOfBin[i];
            weights[i] = b >= 0
                ? (centers[b + 1] - FreqToMel(i * hzPerBin)) / (centers[b + 1] - centers[b])
                : (centers[0] - FreqToMel(i * hzPerBin)) / (centers[0] - melLow);
        }
        // TF only logs bands whose weights sum below 0.5 ("Missing N bands ..."); they stay in the output.
        return new MelFilterbank(bands, start, end, bandOfBin, weights);
    }

    /// <summary>MfccMelFilterbank::Compute into <paramref name="bands"/>; false (output untouched) where TF bails out
    /// because the spectrum has no bin <c>end</c>.</summary>
    public bool Compute(ReadOnlySpan<float> power, Span<double> bands)
    {
        if (power.Length <= _end) return false;
        bands.Clear();
        for (int i = _start; i <= _end; i++)
        {
            double magnitude = Math.Sqrt(power[i]);
            double weighted = magnitude * _weights[i];
            int band = _bandOfBin[i];
            if (band >= 0) bands[band] += weighted; // right side of band's triangle
            band++;
            if (band < _bands) bands[band] += magnitude - weighted; // left side of the next one
        }
        return true;
    }

    /// <summary>1127·log1p(f/700), as MfccMelFilterbank::FreqToMel.</summary>
    internal static double FreqToMel(double freq) => 1127.0 * Log1P(freq / 700.0);

    /// <summary>log(1 + x) accurate for small x (C's log1p): Goldberg's correction log(u)·x/(u − 1) with u = 1 + x.</summary>
    internal static double Log1P(double x)
    {
        double u = 1.0 + x;
        return u == 1.0 ? x : Math.Log(u) * x / (u - 1.0);
    }
}

/// <summary>mfcc_dct.cc's MfccDct: out[i] = Σ_j √(2/N)·cos(i·(π/N)·(j + ½))·in[j], the cosines tabulated in double.</summary>
internal sealed class MfccDct
{
    private readonly double[][] _cosines;
    private readonly int _inputLength;

    private MfccDct(double[][] cosines, int inputLength)
    {
        _cosines = cosines;
        _inputLength = inputLength;
    }

    /// <summary>MfccDct::Initialize, or null where it returns false.</summary>
    public static MfccDct? Create(int inputLength, int coefficientCount)
    {
        if (coefficientCount < 1 || inputLength < 1 || coefficientCount > inputLength) return null;
        double fnorm = Math.Sqrt(2.0 / inputLength);
        double arg = Math.Atan(1) * 4 / inputLength;
        var cosines = new double[coefficientCount][];
        for (int i = 0; i < coefficientCount; i++)
        {
            cosines[i] = new double[inputLength];
            for (int j = 0; j < inputLength; j++) cosines[i][j] = fnorm * Math.Cos(i * arg * (j + 0.5));
        }
        return new MfccDct(cosines, inputLength);
    }

    /// <summary>MfccDct::Compute.</summary>
    public void Compute(ReadOnlySpan<double> input, Span<double> output)
    {
        int length = Math.Min(input.Length, _inputLength);
        for (int i = 0; i < _cosines.Length; i++)
        {
            double sum = 0.0;
            for (int j = 0; j < length; j++) sum += _cosines[i][j] * input[j];
            output[i] = sum;
        }
    }
}
