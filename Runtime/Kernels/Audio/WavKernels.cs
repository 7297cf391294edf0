using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Audio;

/// <summary>
/// <c>DecodeWav(contents; desired_channels, desired_samples) → (audio float [samples, channels], sample_rate int32)</c>
/// and <c>EncodeWav(audio float [samples, channels], sample_rate int32) → contents</c>, after TF's
/// <c>decode_wav_op.cc</c> / <c>encode_wav_op.cc</c> on <see cref="WavCodec"/> (wav_io.cc). DecodeWav as TF: with
/// desired_samples the audio is cut or padded with zeros at the end; with desired_channels extra channels are dropped
/// and missing ones repeat the file's last channel; -1 keeps the file's count; the attrs are checked after the decode.
/// </summary>
internal sealed class WavKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("DecodeWav", n =>
        {
            // decode_wav_op.cc reads both attrs as int32.
            int desiredChannels = (int)n.GetInt("desired_channels", -1);
            int desiredSamples = (int)n.GetInt("desired_samples", -1);
            return new DelegateKernel(n, ctx => Decode(ctx, desiredChannels, desiredSamples));
        });
        registry.Add("EncodeWav", n => new DelegateKernel(n, Encode));
    }

    /// <summary>TF's TensorShape::DebugString: "[16000,1]", "[]" for a scalar.</summary>
    internal static string ShapeText(TensorShape shape) => "[" + string.Join(",", shape.ToArray()) + "]";

    private static void Decode(OpKernelContext ctx, int desiredChannels, int desiredSamples)
    {
        var contents = ctx.Input(0);
        if (contents.Shape.Rank != 0) throw ctx.Error($"contents must be scalar, got shape {ShapeText(contents.Shape)}");
        WavCodec.DecodedWav wav;
        try { wav = WavCodec.Decode(contents.Strings[0]); }
        catch (WavCodec.WavFormatException e) { throw ctx.Error(e.Message); }

        if (desiredChannels < -1) throw ctx.Error($"desired_channels must be >= -1, got {desiredChannels}");
        if (desiredSamples < -1) throw ctx.Error($"desired_samples must be >= -1, got {desiredSamples}");
        // TF stores the uint32/uint16 header counts in int32 outputs.
        int samples = desiredSamples == -1 ? unchecked((int)wav.FrameCount) : desiredSamples;
        int channels = desiredChannels == -1 ? wav.ChannelCount : desiredChannels;
        if (samples < 0) throw ctx.Error($"Output sample count must be >= 0, got {samples}");

        var audio = ctx.AllocateOutput(0, DataType.DtFloat, new TensorShape(samples, channels)).AsSpan<float>();
        int decodedChannels = wav.ChannelCount;
        long decodedFrames = wav.FrameCount;
        for (int s = 0; s < samples; s++)
            for (int c = 0; c < channels; c++)
                audio[s * channels + c] = s >= decodedFrames ? 0f : wav.Samples[(long)s * decodedChannels + Math.Min(c, decodedChannels - 1)];
        ctx.AllocateOutput(1, DataType.DtInt32, TensorShape.Scalar).AsSpan<int>()[0] = unchecked((int)wav.SampleRate);
    }

    private static void Encode(OpKernelContext ctx)
    {
        var audio = ctx.Input(0);
        if (audio.Shape.Rank != 2) throw ctx.Error($"audio must be 2-dimensional{ShapeText(audio.Shape)}");
        var rate = ctx.Input(1);
        if (rate.Shape.Rank != 0) throw ctx.Error($"Input sample_rate should be a scalar tensor, got {ShapeText(rate.Shape)} instead.");
        int sampleRate = rate.Scalar<int>();
        if (audio.Shape.NumElements >= int.MaxValue) throw ctx.Error("Cannot encode audio with >= max int32 elements");
        int frames = audio.Shape[0], channels = audio.Shape[1];
        byte[] wav;
        // The int32 rate reaches wav_io.cc as size_t: a negative rate becomes 2^64 + rate there, and is reported so.
        try { wav = WavCodec.Encode(audio.AsSpan<float>(), unchecked((ulong)(long)sampleRate), (ulong)channels, (ulong)frames); }
        catch (WavCodec.WavFormatException e) { throw ctx.Error(e.Message); }
        ctx.SetOutput(0, new Tensor(TensorShape.Scalar, [wav]));
    }
}
