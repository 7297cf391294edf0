using System.Buffers.Binary;
using System.Text;
using TypedGraph.Summaries;

namespace TypedGraph.Kernels.Audio;

/// <summary>
/// TF's WAV reader and writer, after <c>tensorflow/core/lib/wav/wav_io.cc</c> (<c>DecodeLin16WaveAsFloatVector</c>,
/// <c>EncodeAudioAsS16LEWav</c>). Only 16-bit PCM (format code 1) is read — 8-bit, 24-bit, float and
/// WAVE_FORMAT_EXTENSIBLE files fail with TF's own messages — and written. The parse is TF's, quirks included:
/// before "fmt " only TF's list of padding/metadata chunks (JUNK, bext, iXML, qlty, mext, levl, link, axml) may
/// appear; after it every non-"data" chunk is skipped by its stated size with no RIFF odd-size pad byte (TF does not
/// skip one); a data chunk whose size is not a whole number of frames is read for its whole frames and the parse
/// resumes right after them; the RIFF size field is read but not checked; a second data chunk is an error.
/// </summary>
internal static class WavCodec
{
    /// <summary>A malformed or unsupported WAV file; the message is TF's.</summary>
    internal sealed class WavFormatException(string message) : Exception(message);

    /// <summary>Decoded audio: interleaved samples (frame-major), frames, channels and the header's rate.</summary>
    internal readonly record struct DecodedWav(float[] Samples, uint FrameCount, ushort ChannelCount, uint SampleRate);

    private static readonly string[] s_chunksBeforeFormat = ["JUNK", "bext", "iXML", "qlty", "mext", "levl", "link", "axml"];

    /// <summary>The 44-byte header of a canonical PCM file TF writes: RIFF(12) + fmt(24) + data(8).</summary>
    internal const int HeaderSize = 44;

    /// <summary>Decodes a 16-bit PCM WAV file as TF's DecodeLin16WaveAsFloatVector: samples are int16 · 2^-15.</summary>
    /// <exception cref="WavFormatException">The bytes are not a WAV file TF reads (TF's message).</exception>
    public static DecodedWav Decode(ReadOnlySpan<byte> wav)
    {
        long offset = 0;
        ExpectText(wav, "RIFF", ref offset);
        ReadUInt32(wav, ref offset); // total file size: read and ignored, as wav_io.cc
        ExpectText(wav, "WAVE", ref offset);
        string found = ReadString(wav, 4, ref offset);
        while (found != "fmt ")
        {
            if (Array.IndexOf(s_chunksBeforeFormat, found) < 0) throw new WavFormatException("Unexpected field " + found);
            uint skip = ReadUInt32(wav, ref offset);
            offset = IncrementOffset(offset, skip, wav.Length);
            found = ReadString(wav, 4, ref offset);
        }
        uint formatChunkSize = ReadUInt32(wav, ref offset);
        // TF concatenates these two numbers without a space ("... but got40"); kept so messages match TF's.
        if (formatChunkSize is not (16 or 18))
            throw new WavFormatException($"Bad format chunk size for WAV: Expected 16 or 18, but got{formatChunkSize}");
        ushort audioFormat = ReadUInt16(wav, ref offset);
        if (audioFormat != 1) throw new WavFormatException($"Bad audio format for WAV: Expected 1 (PCM), but got{audioFormat}");
        ushort channels = ReadUInt16(wav, ref offset);
        if (channels < 1) throw new WavFormatException($"Bad number of channels for WAV: Expected at least 1, but got {channels}");
        uint sampleRate = ReadUInt32(wav, ref offset);
        uint bytesPerSecond = ReadUInt32(wav, ref offset);
        ushort bytesPerFrame = ReadUInt16(wav, ref offset); // TF calls it bytes_per_sample: all channels of one instant
        ushort bitsPerSample = ReadUInt16(wav, ref offset);
        if (bitsPerSample != 16) throw new WavFormatException($"Can only read 16-bit WAV files, but received {bitsPerSample}");
        uint expectedBytesPerFrame = (uint)(bitsPerSample * channels + 7) / 8;
        if (bytesPerFrame != expectedBytesPerFrame)
            throw new WavFormatException($"Bad bytes per sample in WAV header: Expected {expectedBytesPerFrame} but got {bytesPerFrame}");
        uint expectedBytesPerSecond = unchecked(bytesPerFrame * sampleRate); // uint32 arithmetic, as TF
        if (bytesPerSecond != expectedBytesPerSecond)
            throw new WavFormatException($"Bad bytes per second in WAV header: Expected {expectedBytesPerSecond} but got {bytesPerSecond} (sample_rate={sampleRate}, bytes_per_sample={bytesPerFrame})");
        if (formatChunkSize == 18) offset += 2; // cbSize of WAVEFORMATEX, unused (TF skips it unchecked)

        float[]? samples = null;
        uint frameCount = 0;
        while (offset < wav.Length)
        {
            string chunkId = ReadString(wav, 4, ref offset);
            uint chunkSize = ReadUInt32(wav, ref offset);
            if (chunkSize > int.MaxValue)
                throw new WavFormatException($"WAV data chunk '{chunkId}' is too large: {chunkSize} bytes, but the limit is {int.MaxValue}");
            if (chunkId == "data")
            {
                if (samples != null) throw new WavFormatException("More than one data chunk found in WAV");
                frameCount = chunkSize / bytesPerFrame;
                long count = (long)frameCount * channels;
                IncrementOffset(offset, 2 * count, wav.Length); // the data must be there before it is allocated
                samples = new float[count];
                var data = wav.Slice((int)offset, (int)(2 * count));
                for (int i = 0; i < samples.Length; i++)
                    samples[i] = BinaryPrimitives.ReadInt16LittleEndian(data.Slice(2 * i)) * (1f / 32768f);
                offset += 2 * count; // only the whole frames: a partial frame's bytes are parsed as the next chunk, as TF
            }
            else
            {
                offset += chunkSize; // no odd-size pad byte, as wav_io.cc
            }
        }
        if (samples == null) throw new WavFormatException("No data chunk found in WAV");
        return new DecodedWav(samples, frameCount, channels, sampleRate);
    }

    /// <summary>
    /// Encodes interleaved <paramref name="audio"/> as TF's EncodeAudioAsS16LEWav: the 44-byte canonical header, then
    /// each sample as roundf(x·32768) clamped to [-32768, 32767], little-endian.
    /// </summary>
    /// <exception cref="WavFormatException">The rate, channel count or size cannot be written (TF's message).</exception>
    public static byte[] Encode(ReadOnlySpan<float> audio, ulong sampleRate, ulong channels, ulong frames)
    {
        if (sampleRate == 0 || sampleRate > uint.MaxValue) throw new WavFormatException($"sample_rate must be in (0, 2^32), got: {sampleRate}");
        if (channels == 0 || channels > ushort.MaxValue) throw new WavFormatException($"num_channels must be in (0, 2^16), got: {channels}");
        ulong samples = frames * channels;
        ulong fileSize = HeaderSize + samples * 2;
        if (fileSize > uint.MaxValue || fileSize > (ulong)Array.MaxLength)
            throw new WavFormatException("Provided channels and frames cannot be encoded as a WAV.");
        // The bytes themselves are the summaries' encoder's (the same wav_io.cc function backs AudioSummary and EncodeWav).
        return WavEncoder.Encode(audio[..(int)samples], (long)sampleRate, (int)channels, (long)frames);
    }

    // wav_io.cc's IncrementOffset, in 64-bit arithmetic. TF adds into an int, so a chunk size near 2^32 can wrap the
    // offset backwards (and a JUNK chunk of size 2^32-8 makes TF re-read itself forever); here it is "too short".
    private static long IncrementOffset(long offset, long increment, int size)
    {
        if (offset > size) throw new WavFormatException($"Initial offset is outside data range: {offset}");
        long next = offset + increment;
        if (next > size) throw new WavFormatException("Data too short when trying to read string");
        return next;
    }

    private static void ExpectText(ReadOnlySpan<byte> wav, string expected, ref long offset)
    {
        string found = ReadString(wav, expected.Length, ref offset);
        if (found != expected) throw new WavFormatException($"Header mismatch: Expected {expected} but found {found}");
    }

    private static string ReadString(ReadOnlySpan<byte> wav, int length, ref long offset)
    {
        long next = IncrementOffset(offset, length, wav.Length);
        string s = Encoding.Latin1.GetString(wav.Slice((int)offset, length));
        offset = next;
        return s;
    }

    private static uint ReadUInt32(ReadOnlySpan<byte> wav, ref long offset)
    {
        long next = IncrementOffset(offset, 4, wav.Length);
        uint v = BinaryPrimitives.ReadUInt32LittleEndian(wav[(int)offset..]);
        offset = next;
        return v;
    }

    private static ushort ReadUInt16(ReadOnlySpan<byte> wav, ref long offset)
    {
        long next = IncrementOffset(offset, 2, wav.Length);
        ushort v = BinaryPrimitives.ReadUInt16LittleEndian(wav[(int)offset..]);
        offset = next;
        return v;
    }
}
