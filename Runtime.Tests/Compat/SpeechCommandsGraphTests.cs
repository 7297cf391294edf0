using Google.Protobuf;
using TypedGraph.Building;
using TypedGraph.Formats;
using TypedGraph.Protos;
using TypedGraph.Tests.Kernels.Audio;

namespace TypedGraph.Tests.Compat;

/// <summary>
/// The frozen keyword-spotting graph TF's speech_commands example exports (tensorflow/examples/speech_commands/
/// freeze.py create_inference_graph with preprocess='mfcc', and models.py create_tiny_conv_model — the model TF Lite
/// Micro's micro_speech trains), built node by node in that layout: wav_data (string placeholder) → DecodeWav
/// "decoded_sample_data" (desired_channels 1, desired_samples 16000) → AudioSpectrogram (480, 160, magnitude_squared)
/// → Mfcc (the sample_rate Const 16000, dct_coefficient_count 40) → Reshape [-1, 3920] → Reshape [-1, 98, 40, 1] →
/// Conv2D 10×8×1×8 stride 2 SAME + first_bias → Relu → Reshape [-1, 7840] → MatMul + final_fc_bias →
/// labels_softmax, variables frozen to Consts read through "/read" Identities as convert_variables_to_constants leaves
/// them. The graph is written as a .pb, loaded back and fed WAV bytes written by the test; the expected values are
/// computed here from the test's own int16 samples with a naive DFT, hand mel filterbank/DCT and a naive convolution.
/// </summary>
public class SpeechCommandsGraphTests
{
    private const int Rate = 16000, Samples = 16000, Window = 480, Stride = 160, Frames = 98, Coefficients = 40, Labels = 12;
    private const int ConvH = 49, ConvW = 20, Filters = 8, FilterH = 10, FilterW = 8;

    private static float[] Weights(int n, int seed, float scale) { var r = new Random(seed); return Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 2 - 1) * scale).ToArray(); }

    private static readonly float[] s_firstWeights = Weights(FilterH * FilterW * Filters, 11, 0.01f);
    private static readonly float[] s_firstBias = Weights(Filters, 12, 0.1f);
    private static readonly float[] s_fcWeights = Weights(ConvH * ConvW * Filters * Labels, 13, 0.002f);
    private static readonly float[] s_fcBias = Weights(Labels, 14, 0.1f);

    internal static Graph BuildFrozenTinyConv()
    {
        var b = new GraphBuilder();
        var wav = b.Placeholder(DataType.DtString, [], "wav_data");
        var decoded = b.AddOperation("DecodeWav", [wav], new Dictionary<string, AttrValue>
        {
            ["desired_channels"] = new AttrValue { I = 1 }, ["desired_samples"] = new AttrValue { I = Samples },
        }, "decoded_sample_data");
        var spectrogram = b.AddOperation("AudioSpectrogram", [new Output(decoded.Name, 0, DataType.DtFloat)], new Dictionary<string, AttrValue>
        {
            ["window_size"] = new AttrValue { I = Window }, ["stride"] = new AttrValue { I = Stride }, ["magnitude_squared"] = new AttrValue { B = true },
        }, "AudioSpectrogram");
        var mfcc = b.AddOperation("Mfcc", [new Output(spectrogram.Name, 0, DataType.DtFloat), b.Constant(Rate, "Mfcc/sample_rate")],
            new Dictionary<string, AttrValue> { ["dct_coefficient_count"] = new AttrValue { I = Coefficients } }, "Mfcc");
        var fingerprint = b.Reshape(new Output(mfcc.Name, 0, DataType.DtFloat), [-1, Frames * Coefficients], "Reshape");
        var input4d = b.Reshape(fingerprint, [-1, Frames, Coefficients, 1], "Reshape_1");
        var firstWeights = b.Identity(b.Constant(s_firstWeights, [FilterH, FilterW, 1, Filters], "first_weights"), "first_weights/read");
        var firstBias = b.Identity(b.Constant(s_firstBias, [Filters], "first_bias"), "first_bias/read");
        var conv = b.Conv2D(input4d, firstWeights, [1, 2, 2, 1], "SAME", name: "Conv2D");
        var relu = b.Relu(b.Add(conv, firstBias, "add"), "Relu");
        var flat = b.Reshape(relu, [-1, ConvH * ConvW * Filters], "Reshape_2");
        var fcWeights = b.Identity(b.Constant(s_fcWeights, [ConvH * ConvW * Filters, Labels], "final_fc_weights"), "final_fc_weights/read");
        var fcBias = b.Identity(b.Constant(s_fcBias, [Labels], "final_fc_bias"), "final_fc_bias/read");
        b.Softmax(b.Add(b.MatMul(flat, fcWeights, name: "MatMul"), fcBias, "add_1"), "labels_softmax");
        return b.Graph;
    }

    /// <summary>A one-second-ish clip: two tones and noise, <paramref name="length"/> samples (padded by DecodeWav).</summary>
    internal static short[] Clip(int length)
    {
        var r = new Random(21);
        return Enumerable.Range(0, length).Select(i => (short)Math.Clamp(
            6000 * Math.Sin(2 * Math.PI * 440 * i / Rate) + 3000 * Math.Sin(2 * Math.PI * 1250 * i / Rate) + r.Next(-800, 800), -32768, 32767)).ToArray();
    }

    /// <summary>The MFCC fingerprint [98, 40] and the softmax of the tiny conv model, in double, from the int16 samples.</summary>
    internal static (double[] Mfcc, double[] Probabilities) Expected(short[] clip)
    {
        var audio = new float[Samples];
        for (int i = 0; i < Math.Min(clip.Length, Samples); i++) audio[i] = clip[i] / 32768f;
        var power = AudioReference.PowerSpectrogram(audio, Window, Stride);
        var mfcc = power.SelectMany(frame => AudioReference.Mfcc(frame.Select(v => (float)v).ToArray(), Rate, 20, 4000, 40, Coefficients)).ToArray();
        // SAME, stride 2: out = ceil(in/2); padding before = (total padding)/2 = 4 rows, 3 columns.
        int padTop = ((ConvH - 1) * 2 + FilterH - Frames) / 2, padLeft = ((ConvW - 1) * 2 + FilterW - Coefficients) / 2;
        var hidden = new double[ConvH * ConvW * Filters];
        for (int oy = 0; oy < ConvH; oy++)
            for (int ox = 0; ox < ConvW; ox++)
                for (int f = 0; f < Filters; f++)
                {
                    double sum = s_firstBias[f];
                    for (int ky = 0; ky < FilterH; ky++)
                        for (int kx = 0; kx < FilterW; kx++)
                        {
                            int y = oy * 2 + ky - padTop, x = ox * 2 + kx - padLeft;
                            if (y < 0 || y >= Frames || x < 0 || x >= Coefficients) continue;
                            sum += (float)mfcc[y * Coefficients + x] * s_firstWeights[(ky * FilterW + kx) * Filters + f];
                        }
                    hidden[(oy * ConvW + ox) * Filters + f] = Math.Max(sum, 0);
                }
        var logits = new double[Labels];
        for (int k = 0; k < Labels; k++)
        {
            logits[k] = s_fcBias[k];
            for (int i = 0; i < hidden.Length; i++) logits[k] += hidden[i] * s_fcWeights[i * Labels + k];
        }
        double max = logits.Max(), total = logits.Sum(l => Math.Exp(l - max));
        return (mfcc, logits.Select(l => Math.Exp(l - max) / total).ToArray());
    }

    [Fact]
    public void FrozenTinyConvGraph_FromWavBytes_MfccAndSoftmaxEqualHandComputation()
    {
        var dir = Directory.CreateTempSubdirectory("speech");
        try
        {
            var pb = Path.Combine(dir.FullName, "tiny_conv_frozen.pb");
            File.WriteAllBytes(pb, BuildFrozenTinyConv().Def.ToByteArray());
            using var session = new Session(MetaGraph.Load(pb).Graph);
            var clip = Clip(15000); // shorter than a second: DecodeWav pads 1000 zeros
            var wav = AudioReference.Wav16(1, Rate, clip);
            var outputs = session.Run(["Mfcc:0", "labels_softmax:0", "decoded_sample_data:1"], new Dictionary<string, Tensor> { ["wav_data:0"] = new Tensor(TensorShape.Scalar, [wav]) });
            var (mfcc, probabilities) = Expected(clip);
            Assert.Equal(new TensorShape(1, Frames, Coefficients), outputs[0].Shape);
            Support.TestTensors.Close(mfcc.Select(v => (float)v).ToArray(), outputs[0].ToArray<float>(), 2e-5f, "Mfcc");
            Assert.Equal(new TensorShape(1, Labels), outputs[1].Shape);
            Support.TestTensors.Close(probabilities.Select(v => (float)v).ToArray(), outputs[1].ToArray<float>(), 1e-5f, "labels_softmax");
            Assert.Equal(Rate, outputs[2].Scalar<int>());
            // The probabilities are not uniform: the clip drives the model.
            Assert.True(probabilities.Max() - probabilities.Min() > 0.01);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void StereoWavIntoTheMonoGraph_UsesTheFirstChannel_AndABadFileNamesTheDecodeNode()
    {
        using var session = new Session(BuildFrozenTinyConv());
        var clip = Clip(Samples);
        var interleaved = clip.SelectMany(s => new[] { s, (short)(-s / 2) }).ToArray();
        var stereo = session.Run(["Mfcc:0", "labels_softmax:0"],
            new Dictionary<string, Tensor> { ["wav_data:0"] = new Tensor(TensorShape.Scalar, [AudioReference.Wav16(2, Rate, interleaved)]) });
        var (mfcc, probabilities) = Expected(clip);
        Support.TestTensors.Close(mfcc.Select(v => (float)v).ToArray(), stereo[0].ToArray<float>(), 2e-5f, "Mfcc");
        Support.TestTensors.Close(probabilities.Select(v => (float)v).ToArray(), stereo[1].ToArray<float>(), 1e-5f, "labels_softmax");
        var e = Assert.ThrowsAny<GraphExecutionException>(() => session.Run("labels_softmax:0",
            ("wav_data:0", new Tensor(TensorShape.Scalar, [AudioReference.Riff(AudioReference.Chunk("fmt ", AudioReference.Format(1, 1, Rate, 8)))]))));
        Assert.Contains("decoded_sample_data", e.Message);
        Assert.Contains("Can only read 16-bit WAV files, but received 8", e.Message);
    }
}
