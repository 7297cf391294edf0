using TypedGraph.Protos;
using static TypedGraph.Tests.Kernels.Audio.AudioReference;
using static TypedGraph.Tests.Support.OpHarness;

namespace TypedGraph.Tests.Kernels.Audio;

/// <summary>
/// DecodeWav / EncodeWav against WAV bytes written chunk by chunk in the test (<see cref="AudioReference"/>) and TF's
/// rules: decode_wav_op.cc (desired_channels / desired_samples), wav_io.cc (int16·2^-15, the chunk walk, its error
/// texts, EncodeAudioAsS16LEWav's 44-byte header and roundf/clamp).
/// </summary>
public class WavKernelTests
{
    private static Tensor[] Decode(byte[] wav, int channels = -1, int samples = -1) =>
        Compute("DecodeWav", [new Tensor(TensorShape.Scalar, [wav])], 2, Attrs(("desired_channels", channels), ("desired_samples", samples)));

    private static string DecodeError(byte[] wav, int channels = -1, int samples = -1) =>
        Assert.Throws<GraphExecutionException>(() => Decode(wav, channels, samples)).Message;

    private static float[] Scaled(params short[] v) => v.Select(s => s / 32768f).ToArray();

    [Fact]
    public void Mono16Bit_SamplesAreInt16Over32768_ShapeSamplesByOne_AndTheHeaderRate()
    {
        short[] pcm = [0, 1, -1, 32767, -32768, 12345, -20000];
        var r = Decode(Wav16(1, 22050, pcm));
        Assert.Equal(new TensorShape(7, 1), r[0].Shape);
        Assert.Equal(Scaled(pcm), r[0].ToArray<float>());
        Assert.Equal(-1f, r[0].ToArray<float>()[4]); // -32768 → exactly -1; 32767 → 1 - 2^-15
        Assert.Equal(TensorShape.Scalar, r[1].Shape);
        Assert.Equal(22050, r[1].Scalar<int>());
    }

    [Fact]
    public void Stereo_InterleavedFramesBecomeRows()
    {
        var r = Decode(Wav16(2, 8000, 100, -100, 200, -200, 300, -300));
        Assert.Equal(new TensorShape(3, 2), r[0].Shape);
        Assert.Equal(Scaled(100, -100, 200, -200, 300, -300), r[0].ToArray<float>());
    }

    [Fact]
    public void DesiredChannels_DropsExtraChannels_AndRepeatsTheLastChannelForMissingOnes()
    {
        var stereo = Wav16(2, 8000, 1, 2, 3, 4);
        Assert.Equal(Scaled(1, 3), Decode(stereo, channels: 1)[0].ToArray<float>());
        var three = Decode(stereo, channels: 3)[0];
        Assert.Equal(new TensorShape(2, 3), three.Shape);
        Assert.Equal(Scaled(1, 2, 2, 3, 4, 4), three.ToArray<float>());
        Assert.Equal(Scaled(5, 5, 6, 6), Decode(Wav16(1, 8000, 5, 6), channels: 2)[0].ToArray<float>());
        Assert.Equal(new TensorShape(2, 0), Decode(stereo, channels: 0)[0].Shape);
    }

    [Fact]
    public void DesiredSamples_PadsWithZerosAtTheEnd_OrTruncates()
    {
        var wav = Wav16(1, 16000, 1000, 2000, 3000);
        Assert.Equal(Scaled(1000, 2000, 3000, 0, 0), Decode(wav, samples: 5)[0].ToArray<float>());
        Assert.Equal(Scaled(1000, 2000), Decode(wav, samples: 2)[0].ToArray<float>());
        Assert.Equal(new TensorShape(0, 1), Decode(wav, samples: 0)[0].Shape);
        // An empty data chunk is valid: zero frames, or all zeros when samples are asked for.
        var empty = Wav16(1, 16000);
        Assert.Equal(new TensorShape(0, 1), Decode(empty)[0].Shape);
        Assert.Equal(new float[4], Decode(empty, samples: 4)[0].ToArray<float>());
    }

    [Fact]
    public void MetadataChunks_JunkBeforeFmtAndAnyChunkAfterIt_AreSkipped_FmtOf18BytesIsRead()
    {
        var wav = Riff(Chunk("JUNK", new byte[28]), Chunk("bext", new byte[6]), Chunk("fmt ", Format(1, 1, 44100, 16, extra: [0, 0])),
            Chunk("LIST", "INFOISFT"u8.ToArray()), Chunk("data", Pcm16(7, -7)), Chunk("id3 ", new byte[10]));
        var r = Decode(wav);
        Assert.Equal(Scaled(7, -7), r[0].ToArray<float>());
        Assert.Equal(44100, r[1].Scalar<int>());
    }

    [Fact]
    public void ChunkBeforeFmtOutsideTfsList_IsUnexpectedField()
    {
        var wav = Riff(Chunk("LIST", new byte[4]), Chunk("fmt ", Format(1, 1, 8000, 16)), Chunk("data", Pcm16(1)));
        Assert.Contains("Unexpected field LIST", DecodeError(wav));
        Assert.Contains("Unexpected field data", DecodeError(Riff(Chunk("data", Pcm16(1)), Chunk("fmt ", Format(1, 1, 8000, 16)))));
    }

    [Fact]
    public void OddSizedChunks_AreWalkedWithoutThePadByte_AsWavIoDoes()
    {
        // TF skips an unknown chunk by its stated size only: without a pad byte the next chunk is found …
        var unpadded = Riff(Chunk("fmt ", Format(1, 1, 8000, 16)), Chunk("note", [1, 2, 3]), Chunk("data", Pcm16(300, 400)));
        Assert.Equal(Scaled(300, 400), Decode(unpadded)[0].ToArray<float>());
        // … and with RIFF's pad byte the walk is one byte off: "\0dat" + a size from "a" and the data size, past the end.
        var padded = Riff(Chunk("fmt ", Format(1, 1, 8000, 16)), Chunk("note", [1, 2, 3], padOdd: true), Chunk("data", Pcm16(300, 400)));
        Assert.Contains("No data chunk found in WAV", DecodeError(padded));
        // A data chunk with half a frame: the whole frames are read, then the walk needs 4 bytes where 1 is left.
        var oddData = Riff(Chunk("fmt ", Format(1, 1, 8000, 16)), Chunk("data", [.. Pcm16(5, 6), 9]));
        Assert.Contains("Data too short when trying to read string", DecodeError(oddData));
    }

    [Fact]
    public void NonPcm16Files_FailWithTfsMessages()
    {
        Assert.Contains("Can only read 16-bit WAV files, but received 8",
            DecodeError(Riff(Chunk("fmt ", Format(1, 1, 8000, 8)), Chunk("data", [128, 129]))));
        Assert.Contains("Can only read 16-bit WAV files, but received 24",
            DecodeError(Riff(Chunk("fmt ", Format(1, 1, 8000, 24)), Chunk("data", new byte[6]))));
        // IEEE float (format 3) and WAVE_FORMAT_EXTENSIBLE (a 40-byte fmt): TF's messages have no space before the number.
        Assert.Contains("Bad audio format for WAV: Expected 1 (PCM), but got3",
            DecodeError(Riff(Chunk("fmt ", Format(3, 1, 8000, 32)), Chunk("data", new byte[8]))));
        Assert.Contains("Bad format chunk size for WAV: Expected 16 or 18, but got40",
            DecodeError(Riff(Chunk("fmt ", Format(0xFFFE, 1, 8000, 16, extra: new byte[24])), Chunk("data", new byte[4]))));
    }

    [Fact]
    public void BrokenHeaders_FailWithTfsMessages_NamingTheNode()
    {
        var e = DecodeError([.. "RIFX"u8.ToArray(), .. new byte[40]]);
        Assert.Contains("Header mismatch: Expected RIFF but found RIFX", e);
        Assert.Contains($"DecodeWav node '{KernelNodeName}'", e);
        Assert.Contains("Header mismatch: Expected WAVE but found AVI ", DecodeError([.. "RIFF"u8.ToArray(), 0, 0, 0, 0, .. "AVI "u8.ToArray()]));
        Assert.Contains("Data too short when trying to read string", DecodeError([]));
        Assert.Contains("Data too short when trying to read string", DecodeError("RIFF\0\0"u8.ToArray()));
        Assert.Contains("Bad number of channels for WAV: Expected at least 1, but got 0",
            DecodeError(Riff(Chunk("fmt ", Format(1, 0, 8000, 16, blockAlign: 2)), Chunk("data", new byte[2]))));
        Assert.Contains("Bad bytes per sample in WAV header: Expected 4 but got 2",
            DecodeError(Riff(Chunk("fmt ", Format(1, 2, 8000, 16, blockAlign: 2)), Chunk("data", new byte[4]))));
        Assert.Contains("Bad bytes per second in WAV header: Expected 16000 but got 1234 (sample_rate=8000, bytes_per_sample=2)",
            DecodeError(Riff(Chunk("fmt ", Format(1, 1, 8000, 16, byteRate: 1234)), Chunk("data", new byte[2]))));
        Assert.Contains("More than one data chunk found in WAV",
            DecodeError(Riff(Chunk("fmt ", Format(1, 1, 8000, 16)), Chunk("data", Pcm16(1)), Chunk("data", Pcm16(2)))));
        Assert.Contains("No data chunk found in WAV", DecodeError(Riff(Chunk("fmt ", Format(1, 1, 8000, 16)))));
        // A data chunk claiming more bytes than the file holds fails before anything is allocated.
        Assert.Contains("Data too short when trying to read string",
            DecodeError(Riff(Chunk("fmt ", Format(1, 1, 8000, 16)), Chunk("data", Pcm16(1, 2), statedSize: 1_000_000))));
        Assert.Contains("WAV data chunk 'big ' is too large: 4294967295 bytes, but the limit is 2147483647",
            DecodeError(Riff(Chunk("fmt ", Format(1, 1, 8000, 16)), Chunk("big ", [], statedSize: uint.MaxValue))));
    }

    [Fact]
    public void BadInputsAndAttrs_FailAfterTfsChecks()
    {
        var twoFiles = new Tensor(new TensorShape(2), [Wav16(1, 8000, 1), Wav16(1, 8000, 1)]);
        Assert.Contains("contents must be scalar, got shape [2]",
            Assert.Throws<GraphExecutionException>(() => Compute("DecodeWav", [twoFiles], 2)).Message);
        Assert.Contains("desired_channels must be >= -1, got -2", DecodeError(Wav16(1, 8000, 1), channels: -2));
        Assert.Contains("desired_samples must be >= -1, got -5", DecodeError(Wav16(1, 8000, 1), samples: -5));
        // The attrs are checked after the decode, as decode_wav_op.cc: a bad file reports the file.
        Assert.Contains("No data chunk found", DecodeError(Riff(Chunk("fmt ", Format(1, 1, 8000, 16))), channels: -2));
    }

    private static byte[] Encode(float[] audio, int frames, int channels, int rate) =>
        Compute1("EncodeWav", [Tensor.Create(audio, frames, channels), Tensor.FromScalar(rate)]).Strings[0];

    [Fact]
    public void EncodeWav_WritesTfsCanonicalHeader_AndRoundsHalfAwayFromZeroThenClamps()
    {
        float[] audio =
        [
            0f, 0.5f, -0.5f, 1f, -1f, 1.5f, -1.5f,
            1f / 65536, -1f / 65536, 3f / 65536, // x·32768 = ±0.5, 1.5: roundf goes away from zero
            32767.5f / 32768, float.NaN, float.PositiveInfinity, float.NegativeInfinity, -32768.6f / 32768,
        ];
        short[] expected = [0, 16384, -16384, 32767, -32768, 32767, -32768, 1, -1, 2, 32767, 0, 32767, -32768, -32768];
        var wav = Encode(audio, 5, 3, 44100);
        byte[] header =
        [
            .. "RIFF"u8.ToArray(), .. BitConverter.GetBytes(36u + 30), .. "WAVE"u8.ToArray(),
            .. "fmt "u8.ToArray(), .. BitConverter.GetBytes(16u), .. BitConverter.GetBytes((ushort)1), .. BitConverter.GetBytes((ushort)3),
            .. BitConverter.GetBytes(44100u), .. BitConverter.GetBytes(44100u * 6), .. BitConverter.GetBytes((ushort)6), .. BitConverter.GetBytes((ushort)16),
            .. "data"u8.ToArray(), .. BitConverter.GetBytes(30u),
        ];
        Assert.Equal([.. header, .. Pcm16(expected)], wav);
    }

    [Fact]
    public void EncodeThenDecode_GivesTheInt16Quantization()
    {
        var rnd = new Random(3);
        var audio = Enumerable.Range(0, 200).Select(_ => (float)(rnd.NextDouble() * 2.2 - 1.1)).ToArray();
        var back = Decode(Encode(audio, 100, 2, 16000));
        Assert.Equal(16000, back[1].Scalar<int>());
        Assert.Equal(new TensorShape(100, 2), back[0].Shape);
        var expected = audio.Select(x => (float)Math.Clamp(Math.Round(x * 32768.0, MidpointRounding.AwayFromZero), -32768, 32767) / 32768f).ToArray();
        Assert.Equal(expected, back[0].ToArray<float>());
        // Zero frames: a 44-byte header-only file that decodes to [0, channels].
        var empty = Encode([], 0, 2, 8000);
        Assert.Equal(44, empty.Length);
        Assert.Equal(new TensorShape(0, 2), Decode(empty)[0].Shape);
    }

    [Fact]
    public void EncodeWav_BadInputs_FailWithTfsMessages()
    {
        string Error(Tensor audio, Tensor rate) => Assert.Throws<GraphExecutionException>(() => Compute1("EncodeWav", [audio, rate])).Message;
        Assert.Contains("audio must be 2-dimensional[3]", Error(Tensor.Create(new float[3], 3), Tensor.FromScalar(8000)));
        Assert.Contains("Input sample_rate should be a scalar tensor, got [1] instead.", Error(Tensor.Create(new float[2], 2, 1), Tensor.Create([8000], 1)));
        Assert.Contains("sample_rate must be in (0, 2^32), got: 0", Error(Tensor.Create(new float[2], 2, 1), Tensor.FromScalar(0)));
        // A negative int32 rate reaches wav_io.cc as a size_t.
        Assert.Contains("sample_rate must be in (0, 2^32), got: 18446744073709551615", Error(Tensor.Create(new float[2], 2, 1), Tensor.FromScalar(-1)));
        Assert.Contains("num_channels must be in (0, 2^16), got: 0", Error(Tensor.Create(new float[0], 2, 0), Tensor.FromScalar(8000)));
        Assert.Contains("num_channels must be in (0, 2^16), got: 65536", Error(Tensor.Create(new float[65536], 1, 65536), Tensor.FromScalar(8000)));
    }
}
