using static TypedGraph.Tests.Kernels.Audio.AudioReference;
using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.TestTensors;

namespace TypedGraph.Tests.Kernels.Audio;

/// <summary>
/// AudioSpectrogram against a naive DFT of Hann-windowed frames (<see cref="AudioReference.PowerSpectrogram"/>) and
/// a closed form (a cosine on a bin), with spectrogram_op.cc's shapes: [channels, 1 + (samples − window)/stride,
/// next_pow2(window)/2 + 1], the trailing partial window dropped.
/// </summary>
public class AudioSpectrogramKernelTests
{
    private static Tensor Spectrogram(float[] audio, int samples, int channels, int window, int stride, bool squared = true) =>
        Compute1("AudioSpectrogram", [F(audio, samples, channels)], Attrs(("window_size", window), ("stride", stride), ("magnitude_squared", squared)));

    private static float[] Channel(float[] interleaved, int channels, int c) => interleaved.Where((_, i) => i % channels == c).ToArray();

    [Fact]
    public void NonPowerOfTwoWindow_MatchesNaiveDftOfHannFrames_PartialLastWindowDropped()
    {
        var x = RandomFloats(new Random(1), 20);
        var s = Spectrogram(x, 20, 1, window: 6, stride: 3);
        // 1 + (20 − 6)/3 = 5 frames (the one at 15 would need samples up to 21); fft 8 → 5 bins.
        Assert.Equal(new TensorShape(1, 5, 5), s.Shape);
        var expected = PowerSpectrogram(x, 6, 3).SelectMany(r => r).Select(v => (float)v).ToArray();
        Close(expected, s.ToArray<float>(), 1e-6f);
    }

    [Fact]
    public void Stereo_ChannelsAreOuterDimension_EachTheDftOfItsOwnSamples_MagnitudeIsSqrt()
    {
        var x = RandomFloats(new Random(2), 2 * 300);
        var s = Spectrogram(x, 300, 2, window: 64, stride: 50);
        Assert.Equal(new TensorShape(2, 5, 33), s.Shape);
        var magnitude = Spectrogram(x, 300, 2, window: 64, stride: 50, squared: false);
        var expected = new List<float>();
        for (int c = 0; c < 2; c++) expected.AddRange(PowerSpectrogram(Channel(x, 2, c), 64, 50).SelectMany(r => r).Select(v => (float)v));
        Close(expected.ToArray(), s.ToArray<float>(), 1e-6f);
        Close(expected.Select(MathF.Sqrt).ToArray(), magnitude.ToArray<float>(), 1e-6f);
    }

    [Fact]
    public void CosineOnBinK_GivesQuarterWindowAtK_AndEighthAtTheNeighbours_ZeroElsewhere()
    {
        // Periodic Hann = ½ − ¼e^{iθ} − ¼e^{−iθ}: a unit cosine on bin 5 of a 32-point window gives |X[5]| = 32/4 and
        // |X[4]| = |X[6]| = 32/8, nothing elsewhere.
        int n = 32, k0 = 5;
        var x = Enumerable.Range(0, n).Select(j => (float)Math.Cos(2 * Math.PI * k0 * j / n)).ToArray();
        var s = Spectrogram(x, n, 1, window: n, stride: 7, squared: false).ToArray<float>();
        Assert.Equal(n / 2 + 1, s.Length);
        for (int k = 0; k <= n / 2; k++)
        {
            double expected = k == k0 ? n / 4.0 : Math.Abs(k - k0) == 1 ? n / 8.0 : 0;
            Assert.True(Math.Abs(s[k] - expected) < 2e-5, $"bin {k}: {s[k]} vs {expected}");
        }
    }

    [Fact]
    public void SpeechCommandsFrontEnd_OneSecondAt16kHz_Gives98FramesOf257Bins()
    {
        var x = RandomFloats(new Random(4), 16000, 0.3f);
        var s = Spectrogram(x, 16000, 1, window: 480, stride: 160);
        Assert.Equal(new TensorShape(1, 98, 257), s.Shape);
        // Spot-check three frames (first, middle, last) against the naive DFT.
        var all = s.ToArray<float>();
        foreach (int f in new[] { 0, 50, 97 })
        {
            var frame = PowerSpectrogram(x.Skip(f * 160).Take(480).ToArray(), 480, 480)[0].Select(v => (float)v).ToArray();
            Close(frame, all.AsSpan(f * 257, 257), 1e-6f, $"frame {f}");
        }
    }

    [Fact]
    public void ShortOrEmptyAudio_GivesZeroFrames()
    {
        Assert.Equal(new TensorShape(1, 0, 5), Spectrogram(new float[5], 5, 1, window: 6, stride: 1).Shape);
        Assert.Equal(new TensorShape(2, 0, 5), Spectrogram([], 0, 2, window: 6, stride: 1).Shape);
        Assert.Equal(new TensorShape(0, 3, 5), Spectrogram([], 8, 0, window: 6, stride: 1).Shape);
        // Exactly one window.
        Assert.Equal(new TensorShape(1, 1, 5), Spectrogram(new float[6], 6, 1, window: 6, stride: 100).Shape);
    }

    [Fact]
    public void BadAttrsAndRank_FailWithTfsMessages()
    {
        string Error(Func<Tensor> f) => Assert.Throws<GraphExecutionException>(() => f()).Message;
        Assert.Contains("window_size must be > 1, got 1", Error(() => Spectrogram(new float[4], 4, 1, window: 1, stride: 1)));
        Assert.Contains("stride must be > 0, got 0", Error(() => Spectrogram(new float[4], 4, 1, window: 2, stride: 0)));
        Assert.Contains("input must be 2-dimensional[5]", Error(() =>
            Compute1("AudioSpectrogram", [F(new float[5])], Attrs(("window_size", 2), ("stride", 1)))));
    }
}
