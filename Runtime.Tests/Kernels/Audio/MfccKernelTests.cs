using static TypedGraph.Tests.Kernels.Audio.AudioReference;
using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.TestTensors;

namespace TypedGraph.Tests.Kernels.Audio;

/// <summary>
/// Mfcc against <see cref="AudioReference.Mfcc"/> (triangular mel bands written per band from the formulas in
/// mfcc_mel_filterbank.cc, log with mfcc.cc's 1e-12 floor, mfcc_dct.cc's √(2/N) DCT-II), a closed form for silence,
/// and TF's initialization failures.
/// </summary>
public class MfccKernelTests
{
    private static Tensor Mfcc(float[] spectrogram, int[] shape, int rate, params (string, object)[] attrs) =>
        Compute1("Mfcc", [F(spectrogram, shape), Tensor.FromScalar(rate)], Attrs(attrs));

    private static float[] Expected(float[] spectrogram, int bins, double rate, double lower, double upper, int bands, int coefficients) =>
        spectrogram.Chunk(bins).SelectMany(frame => AudioReference.Mfcc(frame, rate, lower, upper, bands, coefficients)).Select(v => (float)v).ToArray();

    [Fact]
    public void DefaultAttrs_On257BinFramesAt16kHz_MatchHandMelFilterbankLogAndDct()
    {
        var r = new Random(7);
        var power = Enumerable.Range(0, 2 * 3 * 257).Select(_ => (float)(r.NextDouble() * r.NextDouble() * 50)).ToArray();
        var m = Mfcc(power, [2, 3, 257], 16000);
        Assert.Equal(new TensorShape(2, 3, 13), m.Shape);
        Close(Expected(power, 257, 16000, 20, 4000, 40, 13), m.ToArray<float>(), 2e-5f);
    }

    [Fact]
    public void SpeechCommandsSettings_40Coefficients_AndOtherLimitsAndBandCounts()
    {
        var r = new Random(8);
        var power = Enumerable.Range(0, 4 * 257).Select(_ => (float)(r.NextDouble() * 10)).ToArray();
        Close(Expected(power, 257, 16000, 20, 4000, 40, 40), Mfcc(power, [1, 4, 257], 16000, ("dct_coefficient_count", 40)).ToArray<float>(), 2e-5f);
        var custom = Mfcc(power, [1, 4, 257], 16000, ("upper_frequency_limit", 7600f), ("lower_frequency_limit", 125f),
            ("filterbank_channel_count", 26), ("dct_coefficient_count", 12));
        Close(Expected(power, 257, 16000, 125, 7600, 26, 12), custom.ToArray<float>(), 2e-5f);
        // 8 kHz audio, 129 bins (a 256-point FFT), limits up to the Nyquist frequency.
        var narrow = power.Take(3 * 129).ToArray();
        Close(Expected(narrow, 129, 8000, 0, 4000, 20, 10),
            Mfcc(narrow, [1, 3, 129], 8000, ("lower_frequency_limit", 0f), ("filterbank_channel_count", 20), ("dct_coefficient_count", 10)).ToArray<float>(), 2e-5f);
    }

    [Fact]
    public void Silence_EveryBandFlooredAt1e12_GivesOnlyTheDcCoefficient()
    {
        var m = Mfcc(new float[257], [1, 1, 257], 16000).ToArray<float>();
        // All 40 log-bands equal ln(1e-12): term 0 is √(2/40)·40·ln(1e-12), the others sum a cosine over whole periods.
        Assert.Equal((float)(Math.Sqrt(2.0 / 40) * 40 * Math.Log(1e-12)), m[0], 3);
        for (int i = 1; i < 13; i++) Assert.True(Math.Abs(m[i]) < 1e-4, $"coefficient {i}: {m[i]}");
    }

    [Fact]
    public void UpperLimitPastTheLastBin_GivesZeros_AsTfsFilterbankBailsOut()
    {
        // 129 bins at 8 kHz: 31.25 Hz per bin; an upper limit of 4100 Hz puts end = 131 past bin 128. TF logs "Input too
        // short to compute filterbank" and its DCT of the empty band vector is 0.
        var power = Enumerable.Range(0, 129).Select(i => 1f + i).ToArray();
        var m = Mfcc(power, [1, 1, 129], 8000, ("upper_frequency_limit", 4100f));
        Assert.Equal(new float[13], m.ToArray<float>());
    }

    [Fact]
    public void ParametersTfRejects_FailWithMfccInitializationFailed()
    {
        string Error(int rate, int bins, params (string, object)[] attrs) =>
            Assert.Throws<GraphExecutionException>(() => Mfcc(new float[bins], [1, 1, bins], rate, attrs)).Message;
        Assert.Contains("Mfcc initialization failed for channel count 257 and sample rate 0", Error(0, 257));
        Assert.Contains("Mfcc initialization failed for channel count 1 and sample rate 16000", Error(16000, 1));
        Assert.Contains("Mfcc initialization failed", Error(16000, 257, ("dct_coefficient_count", 41)));
        Assert.Contains("Mfcc initialization failed", Error(16000, 257, ("filterbank_channel_count", 0)));
        Assert.Contains("Mfcc initialization failed", Error(16000, 257, ("lower_frequency_limit", -1f)));
        Assert.Contains("Mfcc initialization failed", Error(16000, 257, ("upper_frequency_limit", 20f)));
        Assert.Contains("spectrogram must be 3-dimensional[3,4]", Assert.Throws<GraphExecutionException>(() =>
            Compute1("Mfcc", [F(new float[12], 3, 4), Tensor.FromScalar(16000)])).Message);
        Assert.Contains("Input sample_rate should be a scalar tensor, got [1] instead.", Assert.Throws<GraphExecutionException>(() =>
            Compute1("Mfcc", [F(new float[257], 1, 1, 257), Tensor.Create([16000], 1)])).Message);
    }

    [Fact]
    public void ZeroFramesOrChannels_GiveEmptyOutputs()
    {
        Assert.Equal(new TensorShape(1, 0, 13), Mfcc([], [1, 0, 257], 16000).Shape);
        Assert.Equal(new TensorShape(0, 5, 13), Mfcc([], [0, 5, 257], 16000).Shape);
    }
}
