using System.Buffers.Binary;

namespace TypedGraph.Summaries;

/// <summary>
/// 16-bit PCM WAV encoding for audio summaries, following TF's <c>wav::EncodeAudioAsS16LEWav</c>
/// (tensorflow/core/lib/wav/wav_io.cc): a 44-byte header (RIFF, a 16-byte <c>fmt </c> chunk with PCM code 1, <c>data</c>)
/// and each float sample s stored as the little-endian int16 <c>clamp(roundf(s · 32768), −32768, 32767)</c>.
/// </summary>
internal static class WavEncoder
{
    /// <summary>The header size: RIFF chunk (12) + format chunk (24) + data chunk header (8).</summary>
    public const int HeaderSize = 44;

    /// <summary>Encodes <paramref name="frames"/> × <paramref name="channels"/> interleaved samples (frame-major) as WAV.</summary>
    /// <exception cref="ArgumentException">A sample rate or channel count out of WAV's range, a sample count that does not
    /// match, or a file larger than WAV's 4 GiB size field.</exception>
    public static byte[] Encode(ReadOnlySpan<float> samples, long sampleRate, int channels, long frames)
    {
        if (sampleRate <= 0 || sampleRate > uint.MaxValue) throw new ArgumentException($"sample_rate must be in (0, 2^32), got: {sampleRate}", nameof(sampleRate));
        if (channels <= 0 || channels > ushort.MaxValue) throw new ArgumentException($"num_channels must be in (0, 2^16), got: {channels}", nameof(channels));
        if (frames < 0) throw new ArgumentException($"The frame count must not be negative, got {frames}.", nameof(frames));
        long count = frames * channels;
        if (samples.Length != count) throw new ArgumentException($"{frames} frames of {channels} channels are {count} samples, got {samples.Length}.", nameof(samples));
        long fileSize = HeaderSize + count * 2;
        if (fileSize > uint.MaxValue || fileSize > Array.MaxLength) throw new ArgumentException("Provided channels and frames cannot be encoded as a WAV.");
        var wav = new byte[fileSize];
        var s = wav.AsSpan();
        "RIFF"u8.CopyTo(s);
        BinaryPrimitives.WriteUInt32LittleEndian(s[4..], (uint)(fileSize - 8));
        "WAVE"u8.CopyTo(s[8..]);
        "fmt "u8.CopyTo(s[12..]);
        BinaryPrimitives.WriteUInt32LittleEndian(s[16..], 16);
        BinaryPrimitives.WriteUInt16LittleEndian(s[20..], 1); // PCM
        BinaryPrimitives.WriteUInt16LittleEndian(s[22..], (ushort)channels);
        BinaryPrimitives.WriteUInt32LittleEndian(s[24..], (uint)sampleRate);
        BinaryPrimitives.WriteUInt32LittleEndian(s[28..], (uint)(sampleRate * 2 * channels)); // bytes per second
        BinaryPrimitives.WriteUInt16LittleEndian(s[32..], (ushort)(2 * channels)); // bytes per frame
        BinaryPrimitives.WriteUInt16LittleEndian(s[34..], 16); // bits per sample
        "data"u8.CopyTo(s[36..]);
        BinaryPrimitives.WriteUInt32LittleEndian(s[40..], (uint)(count * 2));
        var data = s[HeaderSize..];
        for (int i = 0; i < samples.Length; i++)
            BinaryPrimitives.WriteInt16LittleEndian(data[(2 * i)..], ToInt16(samples[i]));
        return wav;
    }

    /// <summary>TF's <c>FloatToInt16Sample</c>: scale by 2^15, round half away from zero (C's <c>roundf</c>), clamp.</summary>
    /// <remarks>NaN passes TF's <c>std::max</c>/<c>std::min</c> clamp unchanged and then hits an undefined float → int16
    /// conversion in C++; we write silence (0) for it instead of an arbitrary value.</remarks>
    public static short ToInt16(float sample)
    {
        float scaled = MathF.Round(sample * 32768f, MidpointRounding.AwayFromZero);
        if (float.IsNaN(scaled)) return 0;
        return (short)Math.Clamp(scaled, short.MinValue, short.MaxValue);
    }
}
