namespace TypedGraph.Building;

// Signatures after tensorflow/core/ops/audio_ops.cc: the speech-commands front end (wav bytes → DecodeWav →
// AudioSpectrogram → Mfcc), with kernels in Kernels/Audio.
public sealed partial class OpDefCatalog
{
    private static readonly string[] AudioSignatures =
    [
        "DecodeWav(contents: string) -> (audio: float, sample_rate: int32); desired_channels: int = -1; desired_samples: int = -1",
        "EncodeWav(audio: float, sample_rate: int32) -> (contents: string)",
        "AudioSpectrogram(input: float) -> (spectrogram: float); window_size: int; stride: int; magnitude_squared: bool = false",
        "Mfcc(spectrogram: float, sample_rate: int32) -> (output: float); upper_frequency_limit: float = 4000; lower_frequency_limit: float = 20; filterbank_channel_count: int = 40; dct_coefficient_count: int = 13",
    ];
}
