using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Audio;

/// <summary>
/// <c>AudioSpectrogram(input float [samples, channels]; window_size, stride, magnitude_squared) → float
/// [channels, frames, fft_length/2 + 1]</c>, after TF's <c>spectrogram_op.cc</c> and <c>spectrogram.cc</c>:
/// fft_length = the next power of two ≥ window_size; frame f takes samples [f·stride, f·stride + window_size) times a
/// periodic Hann window 0.5 − 0.5·cos(2πi/window_size) (GetPeriodicHann), zero-padded to fft_length; frames =
/// 1 + (samples − window_size)/stride (0 when shorter than a window) — a trailing partial window is dropped, never
/// padded. As spectrogram.cc the window, the product and the FFT are double, |X|² = re² + im² is rounded to float, and
/// without magnitude_squared the op returns sqrtf of that float. Attr checks (window_size &gt; 1, stride &gt; 0) and
/// their messages are the op constructor's.
/// </summary>
internal sealed class AudioSpectrogramKernel : KernelSet
{
    /// <summary>Window sizes above 2^30 would need an FFT length beyond int (TF would fail to allocate it).</summary>
    private const int MaxWindowSize = 1 << 30;

    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("AudioSpectrogram", n =>
    {
        long windowSize = n.GetInt("window_size");
        long stride = n.GetInt("stride");
        bool magnitudeSquared = n.GetBool("magnitude_squared", false);
        // spectrogram_op.cc reads both as int32.
        int window = unchecked((int)windowSize), step = unchecked((int)stride);
        if (window <= 1) throw KernelAttrs.Err(n, $"window_size must be > 1, got {window}");
        if (step <= 0) throw KernelAttrs.Err(n, $"stride must be > 0, got {step}");
        if (window > MaxWindowSize) throw KernelAttrs.Err(n, $"window_size {window} is too large: its FFT length would exceed 2^30");
        var plan = new Plan(window, step);
        return new DelegateKernel(n, ctx => plan.Compute(ctx, magnitudeSquared));
    });

    /// <summary>The window and FFT of one node (its attrs are fixed); per-run buffers are local, so runs may overlap.</summary>
    private sealed class Plan
    {
        private readonly int _window, _stride;
        private readonly double[] _hann;
        private readonly SpectrumFft _fft;

        public Plan(int window, int stride)
        {
            _window = window;
            _stride = stride;
            _hann = PeriodicHann(window);
            _fft = new SpectrumFft((int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)window));
        }

        public void Compute(OpKernelContext ctx, bool magnitudeSquared)
        {
            var input = ctx.Input(0);
            if (input.Shape.Rank != 2) throw ctx.Error($"input must be 2-dimensional{WavKernels.ShapeText(input.Shape)}");
            int samples = input.Shape[0], channels = input.Shape[1];
            int fftLength = _fft.Length, bins = fftLength / 2 + 1;
            long lengthMinusWindow = (long)samples - _window;
            int frames = lengthMinusWindow < 0 ? 0 : (int)(1 + lengthMinusWindow / _stride);
            var output = ctx.AllocateOutput(0, DataType.DtFloat, new TensorShape(channels, frames, bins)).AsSpan<float>();
            if (frames == 0 || channels == 0) return;
            var audio = input.AsSpan<float>();
            var re = new double[fftLength];
            var im = new double[fftLength];
            for (int c = 0; c < channels; c++)
                for (int f = 0; f < frames; f++)
                {
                    long first = (long)f * _stride;
                    for (int j = 0; j < _window; j++) re[j] = audio[(int)((first + j) * channels + c)] * _hann[j];
                    Array.Clear(re, _window, fftLength - _window);
                    Array.Clear(im);
                    _fft.Forward(re, im);
                    var row = output.Slice((c * frames + f) * bins, bins);
                    for (int k = 0; k < bins; k++)
                    {
                        float power = (float)(re[k] * re[k] + im[k] * im[k]);
                        row[k] = magnitudeSquared ? power : MathF.Sqrt(power);
                    }
                }
        }
    }

    /// <summary>spectrogram.cc's GetPeriodicHann: 0.5 − 0.5·cos((2π·i)/n) in double, π = 4·atan(1).</summary>
    internal static double[] PeriodicHann(int n)
    {
        double pi = Math.Atan(1) * 4;
        var w = new double[n];
        for (int i = 0; i < n; i++) w[i] = 0.5 - 0.5 * Math.Cos((2 * pi * i) / n);
        return w;
    }
}
