using System.Buffers.Binary;
using System.Text;
using Google.Protobuf;
using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Summaries;

namespace TypedGraph.Tests.Summaries;

/// <summary>
/// The graph summary ops that carry media or tensors (ImageSummary, AudioSummary/AudioSummaryV2, TensorSummaryV2),
/// run by our Session, written by <see cref="SummaryWriter"/> and read back with this class's independent reader; the
/// expected pixels and samples are computed here from TF's documented rules (summary_image_op.cc NormalizeFloatImage,
/// wav_io.cc FloatToInt16Sample), the PNG and WAV decoded from their specs.
/// </summary>
public sealed partial class EventFileTests
{
    private static AttrValue IntAttr(long v) => new() { I = v };

    private List<RawEvent> RunAndWrite(GraphBuilder g, string fetch, long step = 7)
    {
        using var session = new Session(g.Graph);
        string file;
        using (var w = new SummaryWriter(_dir, flushInterval: TimeSpan.Zero))
        {
            file = w.FilePath;
            w.AddSummary(session.Run(fetch), step);
        }
        return ReadFile(file);
    }

    // TF's rule, written out per image: range over pixels whose channels are all finite; any negative → 127/max|v|
    // around 128, else 255/max; values below 1e-6 give scale 0; non-finite pixels take bad_color; truncation to uint8.
    private static byte[] ExpectedPixels(float[] image, int depth, byte[] badColor)
    {
        bool Finite(int p) => Enumerable.Range(0, depth).All(c => float.IsFinite(image[p * depth + c]));
        int pixels = image.Length / depth;
        var finite = Enumerable.Range(0, pixels).Where(Finite).SelectMany(p => image.Skip(p * depth).Take(depth)).ToList();
        float min = finite.Min(), max = finite.Max();
        float scale, offset;
        if (min < 0)
        {
            float m = Math.Max(-min, Math.Abs(max));
            (scale, offset) = (m < 1e-6f ? 0 : 127f / m, 128f);
        }
        else (scale, offset) = (max < 1e-6f ? 0 : 255f / max, 0f);
        var result = new byte[image.Length];
        for (int p = 0; p < pixels; p++)
            for (int c = 0; c < depth; c++)
                result[p * depth + c] = Finite(p) ? (byte)(int)(image[p * depth + c] * scale + offset) : badColor[c];
        return result;
    }

    [Fact]
    public void ImageSummary_writes_max_images_PNGs_with_TFs_float_normalization_bad_color_and_numbered_tags()
    {
        const int h = 2, w = 3, c = 3, batch = 3;
        var data = new float[batch * h * w * c];
        for (int i = 0; i < h * w * c; i++)
        {
            data[i] = (i % 7) * 0.5f + 0.25f; // image 0: all positive
            data[h * w * c + i] = (i - 9) * 0.3f; // image 1: mixed signs
            data[2 * h * w * c + i] = 100; // image 2: beyond max_images
        }
        data[h * w * c + 4 * c + 1] = float.NaN; // pixel 4 of image 1 → bad_color
        data[h * w * c + 2 * c + 0] = float.PositiveInfinity; // pixel 2 → bad_color and left out of the range
        byte[] badColor = [0, 255, 7];
        var bad = new TensorProto { Dtype = DataType.DtUint8, TensorShape = TensorProtos.ShapeProto(new TensorShape(3)) };
        bad.IntVal.Add(badColor.Select(b => (int)b));

        var g = new GraphBuilder();
        var images = g.Constant(Tensor.Create(data, batch, h, w, c), "images");
        var op = g.AddOperation("ImageSummary", [g.Constant("inputs", "tag"), images],
            new Dictionary<string, AttrValue> { ["max_images"] = IntAttr(2), ["bad_color"] = new AttrValue { Tensor = bad } }, name: "img");
        var values = RunAndWrite(g, op.Name + ":0").Single(e => e.Values.Count > 0).Values;

        Assert.Equal(["inputs/image/0", "inputs/image/1"], values.Select(v => v.Tag));
        for (int i = 0; i < 2; i++)
        {
            var image = Summary.Types.Image.Parser.ParseFrom(values[i].Image);
            Assert.Equal((h, w, c), (image.Height, image.Width, image.Colorspace));
            var expected = ExpectedPixels(data.AsSpan(i * h * w * c, h * w * c).ToArray(), c, badColor);
            Assert.Equal(expected, DecodePng(image.EncodedImageString.ToByteArray(), h, w, c));
        }
        // Spot values by hand: image 0's max is 3.25 → 255/3.25; image 1's pixel 4 is bad_color; its min −2.7 maps to 1.
        var first = DecodePng(Summary.Types.Image.Parser.ParseFrom(values[0].Image).EncodedImageString.ToByteArray(), h, w, c);
        Assert.Equal(19, first[0]); // 0.25·255/3.25 = 19.6
        Assert.Equal(255, first[6]); // 3.25
        var second = DecodePng(Summary.Types.Image.Parser.ParseFrom(values[1].Image).EncodedImageString.ToByteArray(), h, w, c);
        Assert.Equal(badColor, second[(4 * c)..(5 * c)]);
        Assert.Equal(badColor, second[(2 * c)..(3 * c)]);
        Assert.Equal(1, second[0]);
    }

    [Fact]
    public void ImageSummary_keeps_uint8_pixels_and_one_requested_image_is_tagged_without_an_index()
    {
        byte[] gray = [0, 17, 200, 255, 3, 90];
        var g = new GraphBuilder();
        var images = g.Constant(Tensor.Create(gray, 1, 2, 3, 1), "gray");
        var op = g.AddOperation("ImageSummary", [g.Constant("digits", "tag"), images], new Dictionary<string, AttrValue> { ["max_images"] = IntAttr(1) }, name: "img");
        var v = RunAndWrite(g, op.Name + ":0").Single(e => e.Values.Count > 0).Values.Single();
        Assert.Equal("digits/image", v.Tag);
        var image = Summary.Types.Image.Parser.ParseFrom(v.Image);
        Assert.Equal((2, 3, 1), (image.Height, image.Width, image.Colorspace));
        Assert.Equal(gray, DecodePng(image.EncodedImageString.ToByteArray(), 2, 3, 1));
        Assert.Equal(SummaryKind.Image, SummaryReader.ReadPoints(_dir).Single().Kind);
    }

    [Fact]
    public void ImageSummary_errors_name_the_node_for_a_wrong_rank_or_channel_count()
    {
        var g = new GraphBuilder();
        var rank3 = g.AddOperation("ImageSummary", [g.Constant("t", "tag"), g.Constant(new float[6], [1, 2, 3], "r3")], name: "rank3");
        var twoChannels = g.AddOperation("ImageSummary", [g.Constant("t", "tag2"), g.Constant(new float[8], [1, 2, 2, 2], "c2")], name: "two_channels");
        using var session = new Session(g.Graph);
        var e1 = Assert.Throws<GraphExecutionException>(() => session.Run(rank3.Name + ":0"));
        Assert.Contains("'rank3'", e1.Message);
        Assert.Contains("4-D with last dim 1, 3, or 4", e1.Message);
        var e2 = Assert.Throws<GraphExecutionException>(() => session.Run(twoChannels.Name + ":0"));
        Assert.Contains("'two_channels'", e2.Message);
    }

    // WAV by its spec: RIFF header, 16-byte PCM fmt chunk, data chunk of little-endian int16.
    private static (int Channels, int Rate, short[] Samples) DecodeWav(byte[] wav)
    {
        Assert.Equal("RIFF", Encoding.ASCII.GetString(wav, 0, 4));
        Assert.Equal(wav.Length - 8, BinaryPrimitives.ReadInt32LittleEndian(wav.AsSpan(4)));
        Assert.Equal("WAVEfmt ", Encoding.ASCII.GetString(wav, 8, 8));
        Assert.Equal(16, BinaryPrimitives.ReadInt32LittleEndian(wav.AsSpan(16)));
        Assert.Equal(1, BinaryPrimitives.ReadInt16LittleEndian(wav.AsSpan(20))); // PCM
        int channels = BinaryPrimitives.ReadInt16LittleEndian(wav.AsSpan(22));
        int rate = BinaryPrimitives.ReadInt32LittleEndian(wav.AsSpan(24));
        Assert.Equal(rate * 2 * channels, BinaryPrimitives.ReadInt32LittleEndian(wav.AsSpan(28)));
        Assert.Equal(2 * channels, BinaryPrimitives.ReadInt16LittleEndian(wav.AsSpan(32)));
        Assert.Equal(16, BinaryPrimitives.ReadInt16LittleEndian(wav.AsSpan(34)));
        Assert.Equal("data", Encoding.ASCII.GetString(wav, 36, 4));
        int size = BinaryPrimitives.ReadInt32LittleEndian(wav.AsSpan(40));
        Assert.Equal(wav.Length - 44, size);
        var samples = new short[size / 2];
        for (int i = 0; i < samples.Length; i++) samples[i] = BinaryPrimitives.ReadInt16LittleEndian(wav.AsSpan(44 + 2 * i));
        return (channels, rate, samples);
    }

    private static short ExpectedSample(float x) => (short)Math.Clamp(Math.Round(x * 32768.0, MidpointRounding.AwayFromZero), -32768, 32767);

    [Fact]
    public void AudioSummaryV2_writes_16_bit_WAVs_per_clip_with_rounded_clamped_samples_and_the_float_rate()
    {
        float[] clips =
        [
            0f, 0.5f, -0.5f, 1f, -1f, 1.5f, -2f, 0.1f, // clip 0: 4 frames × 2 channels
            1.5f / 32768, -1.5f / 32768, 0.25f, -0.75f, 0.999f, -0.999f, 2.5f / 32768, 3e-6f, // clip 1
        ];
        var g = new GraphBuilder();
        var op = g.AddOperation("AudioSummaryV2", [g.Constant("voice", "tag"), g.Constant(clips, [2, 4, 2], "clips"), g.Constant(22050.5f, "rate")], name: "audio");
        var audios = RunAndWrite(g, op.Name + ":0").Single(e => e.Values.Count > 0).Values;
        Assert.Equal(["voice/audio/0", "voice/audio/1"], audios.Select(v => v.Tag));
        for (int i = 0; i < 2; i++)
        {
            var a = Summary.Types.Audio.Parser.ParseFrom(audios[i].Audio);
            Assert.Equal((22050.5f, 2L, 4L, "audio/wav"), (a.SampleRate, a.NumChannels, a.LengthFrames, a.ContentType));
            var (channels, rate, samples) = DecodeWav(a.EncodedAudioString.ToByteArray());
            Assert.Equal(2, channels);
            Assert.Equal(22050, rate); // lrintf(22050.5) rounds half to even
            Assert.Equal(clips.Skip(8 * i).Take(8).Select(ExpectedSample), samples);
        }
        // By hand: 1.0 clamps to 32767, −1.0 is −32768, 1.5/32768 rounds away from zero to 2, 2.5/32768 to 3.
        var s0 = DecodeWav(Summary.Types.Audio.Parser.ParseFrom(audios[0].Audio).EncodedAudioString.ToByteArray()).Samples;
        Assert.Equal([0, 16384, -16384, 32767, -32768, 32767, -32768, 3277], s0);
        var s1 = DecodeWav(Summary.Types.Audio.Parser.ParseFrom(audios[1].Audio).EncodedAudioString.ToByteArray()).Samples;
        Assert.Equal(new short[] { 2, -2, 3 }, new[] { s1[0], s1[1], s1[6] });
    }

    [Fact]
    public void AudioSummary_v1_takes_the_rate_attr_and_a_2_D_tensor_is_mono_and_a_bad_rate_is_an_error()
    {
        var g = new GraphBuilder();
        var op = g.AddOperation("AudioSummary", [g.Constant("beep", "tag"), g.Constant(new[] { 0.25f, -0.25f, 0f }, [1, 3], "clip")],
            new Dictionary<string, AttrValue> { ["sample_rate"] = new AttrValue { F = 8000 }, ["max_outputs"] = IntAttr(1) }, name: "audio_v1");
        var bad = g.AddOperation("AudioSummaryV2", [g.Constant("x", "tag2"), g.Constant(new[] { 0f }, [1, 1], "one"), g.Constant(0f, "zero_rate")], name: "bad_rate");
        var v = RunAndWrite(g, op.Name + ":0").Single(e => e.Values.Count > 0).Values.Single();
        Assert.Equal("beep/audio", v.Tag);
        var (channels, rate, samples) = DecodeWav(Summary.Types.Audio.Parser.ParseFrom(v.Audio).EncodedAudioString.ToByteArray());
        Assert.Equal((1, 8000), (channels, rate));
        Assert.Equal([8192, -8192, 0], samples);
        using var session = new Session(g.Graph);
        var e = Assert.Throws<GraphExecutionException>(() => session.Run(bad.Name + ":0"));
        Assert.Contains("'bad_rate'", e.Message);
        Assert.Contains("sample_rate must be > 0", e.Message);
    }

    [Fact]
    public void TensorSummaryV2_text_and_scalars_keep_plugin_metadata_and_numbers_go_to_tensor_content()
    {
        var textMeta = new SummaryMetadata { PluginData = new SummaryMetadata.Types.PluginData { PluginName = "text", Content = ByteString.CopyFrom([0x08, 0x00]) } };
        var scalarMeta = new SummaryMetadata { PluginData = new SummaryMetadata.Types.PluginData { PluginName = "scalars" } };
        var g = new GraphBuilder();
        var text = g.AddOperation("TensorSummaryV2", [g.Constant("notes", "t1"), g.Constant("hello **world**", "txt"),
            g.Constant(Tensor.FromString(""), "m0")], name: "text_plain_meta"); // empty metadata: no plugin
        var text2 = g.AddOperation("TensorSummaryV2", [g.Constant("notes/text_summary", "t2"), g.Constant(Tensor.FromStrings(["a", "b"], 2), "txt2"),
            g.Constant(new Tensor(TensorShape.Scalar, [textMeta.ToByteArray()]), "m1")], name: "text");
        var scalar = g.AddOperation("TensorSummaryV2", [g.Constant("loss", "t3"), g.Constant(2.5f, "val"),
            g.Constant(new Tensor(TensorShape.Scalar, [scalarMeta.ToByteArray()]), "m2")], name: "scalar");
        var matrix = g.AddOperation("TensorSummaryV2", [g.Constant("m", "t4"), g.Constant(Tensor.Create(new[] { 1, -2, 3, 40000 }, 2, 2), "mat"),
            g.Constant(Tensor.FromString(""), "m3")], name: "matrix");
        var merged = g.AddOperation("MergeSummary", [g.GetTensor(text.Name + ":0"), g.GetTensor(text2.Name + ":0"), g.GetTensor(scalar.Name + ":0"), g.GetTensor(matrix.Name + ":0")],
            new Dictionary<string, AttrValue> { ["N"] = IntAttr(4) }, name: "merged");
        var values = RunAndWrite(g, merged.Name + ":0").Single(e => e.Values.Count > 0).Values;
        Assert.Equal(["notes", "notes/text_summary", "loss", "m"], values.Select(v => v.Tag));

        var plain = TensorProto.Parser.ParseFrom(values[0].Tensor);
        Assert.Equal(DataType.DtString, plain.Dtype);
        Assert.Equal("hello **world**", plain.StringVal.Single().ToStringUtf8());
        Assert.True(values[0].Metadata is null || SummaryMetadata.Parser.ParseFrom(values[0].Metadata).PluginData is null);

        var strings = TensorProto.Parser.ParseFrom(values[1].Tensor);
        Assert.Equal(["a", "b"], strings.StringVal.Select(s => s.ToStringUtf8()));
        Assert.Equal(2, strings.TensorShape.Dim.Single().Size);
        var meta = SummaryMetadata.Parser.ParseFrom(values[1].Metadata);
        Assert.Equal("text", meta.PluginData.PluginName);
        Assert.Equal(new byte[] { 0x08, 0x00 }, meta.PluginData.Content.ToByteArray());

        var loss = TensorProto.Parser.ParseFrom(values[2].Tensor);
        Assert.Equal(DataType.DtFloat, loss.Dtype);
        Assert.Empty(loss.FloatVal); // AsProtoTensorContent even for a scalar
        Assert.Equal(BitConverter.GetBytes(2.5f), loss.TensorContent.ToByteArray());
        Assert.Equal("scalars", SummaryMetadata.Parser.ParseFrom(values[2].Metadata).PluginData.PluginName);

        var m = TensorProto.Parser.ParseFrom(values[3].Tensor);
        Assert.Equal([2L, 2L], m.TensorShape.Dim.Select(d => d.Size));
        var ints = new int[4];
        for (int i = 0; i < 4; i++) ints[i] = BinaryPrimitives.ReadInt32LittleEndian(m.TensorContent.Span[(4 * i)..]);
        Assert.Equal([1, -2, 3, 40000], ints);

        // Our reader classifies them by plugin.
        var points = SummaryReader.ReadPoints(_dir).ToDictionary(p => p.Tag);
        Assert.Equal((SummaryKind.Text, "a\nb"), (points["notes/text_summary"].Kind, points["notes/text_summary"].Text));
        Assert.Equal((SummaryKind.Scalar, 2.5), (points["loss"].Kind, points["loss"].Number));
        Assert.Equal(SummaryKind.Tensor, points["m"].Kind);
    }

    [Fact]
    public void TensorSummaryV2_rejects_metadata_that_is_not_a_SummaryMetadata_proto_naming_the_node()
    {
        var g = new GraphBuilder();
        var op = g.AddOperation("TensorSummaryV2", [g.Constant("x", "t"), g.Constant(1f, "v"),
            g.Constant(new Tensor(TensorShape.Scalar, [[0xFF, 0xFF, 0xFF]]), "garbage")], name: "bad_meta");
        using var session = new Session(g.Graph);
        var e = Assert.Throws<GraphExecutionException>(() => session.Run(op.Name + ":0"));
        Assert.Contains("'bad_meta'", e.Message);
        Assert.Contains("SummaryMetadata", e.Message);
    }
}
