using System.Text.Json;
using Google.Protobuf;
using TypedGraph.Tests.Compat;
using TypedGraph.Tests.Kernels.Audio;
using static TypedGraph.Tests.Support.CliRunner;

namespace TypedGraph.Tests.Cli;

/// <summary><c>typedgraph run frozen.pb --feed wav_data=@clip.wav</c>: a non-.npy file fed to a string placeholder is its
/// raw bytes (speech_commands' label_wav.py feeds <c>f.read()</c> to wav_data:0).</summary>
public class RunRawFileFeedTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-run-wav").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void WavFileFeed_IntoFrozenSpeechCommandsGraph_GivesTheHandComputedSoftmax()
    {
        var pb = Path.Combine(_dir, "conv_actions_frozen.pb");
        File.WriteAllBytes(pb, SpeechCommandsGraphTests.BuildFrozenTinyConv().Def.ToByteArray());
        var clip = SpeechCommandsGraphTests.Clip(16000);
        var wav = Path.Combine(_dir, "clip.wav");
        File.WriteAllBytes(wav, AudioReference.Wav16(1, 16000, clip));
        var (code, output, err) = Run("run", pb, "--feed", "wav_data=@" + wav, "--fetch", "labels_softmax:0", "--json");
        Assert.True(code == 0, err);
        var values = JsonDocument.Parse(output).RootElement.GetProperty("outputs")[0].GetProperty("values")
            .EnumerateArray().SelectMany(r => r.EnumerateArray()).Select(v => v.GetSingle()).ToArray();
        var expected = SpeechCommandsGraphTests.Expected(clip).Probabilities.Select(p => (float)p).ToArray();
        Support.TestTensors.Close(expected, values, 1e-5f);
    }

    [Fact]
    public void NonWavFileFeed_IsAJsonErrorNamingTheDecodeNode()
    {
        var pb = Path.Combine(_dir, "frozen.pb");
        File.WriteAllBytes(pb, SpeechCommandsGraphTests.BuildFrozenTinyConv().Def.ToByteArray());
        var notWav = Path.Combine(_dir, "notes.txt");
        File.WriteAllText(notWav, "not a wav file");
        var (code, output, _) = Run("run", pb, "--feed", "wav_data=@" + notWav, "--fetch", "labels_softmax:0", "--json");
        Assert.NotEqual(0, code);
        var error = JsonDocument.Parse(output).RootElement.GetProperty("error").GetString()!;
        Assert.Contains("decoded_sample_data", error);
        Assert.True(error.Contains("Header mismatch: Expected RIFF but found not", StringComparison.Ordinal), error); // the CLI trims the trailing space
    }
}
