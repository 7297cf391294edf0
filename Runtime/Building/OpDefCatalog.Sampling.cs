namespace TypedGraph.Building;

// Signatures after tensorflow/core/ops/math_ops.cc (Bincount, DenseBincount, HistogramFixedWidth), random_ops.cc
// (Multinomial), stateless_random_ops.cc (StatelessMultinomial) and candidate_sampling_ops.cc.
public sealed partial class OpDefCatalog
{
    private const string SamplerAttrs = "num_true: int >= 1; num_sampled: int >= 1; unique: bool; range_max: int >= 1; seed: int = 0; seed2: int = 0; !stateful";

    private static readonly string[] SamplingSignatures =
    [
        "Bincount(arr: int32, size: int32, weights: T) -> (bins: T); T: {int32, int64, float, double}",
        "DenseBincount(input: Tidx, size: Tidx, weights: T) -> (output: T); Tidx: {int32, int64}; T: {int32, int64, float, double}; binary_output: bool = false",
        "HistogramFixedWidth(values: T, value_range: T, nbins: int32) -> (out: dtype); T: {int32, int64, float, double}; dtype: {int32, int64} = int32",
        "Multinomial(logits: T, num_samples: int32) -> (output: output_dtype); seed: int = 0; seed2: int = 0; T: {half, float, double}; output_dtype: {int32, int64} = int64; !stateful",
        "StatelessMultinomial(logits: T, num_samples: int32, seed: Tseed) -> (output: output_dtype); T: {half, float, double}; Tseed: {int32, int64} = int64; output_dtype: {int32, int64} = int64",
        "UniformCandidateSampler(true_classes: int64) -> (sampled_candidates: int64, true_expected_count: float, sampled_expected_count: float); " + SamplerAttrs,
        "LogUniformCandidateSampler(true_classes: int64) -> (sampled_candidates: int64, true_expected_count: float, sampled_expected_count: float); " + SamplerAttrs,
        "LearnedUnigramCandidateSampler(true_classes: int64) -> (sampled_candidates: int64, true_expected_count: float, sampled_expected_count: float); " + SamplerAttrs,
        "ThreadUnsafeUnigramCandidateSampler(true_classes: int64) -> (sampled_candidates: int64, true_expected_count: float, sampled_expected_count: float); " + SamplerAttrs,
        "FixedUnigramCandidateSampler(true_classes: int64) -> (sampled_candidates: int64, true_expected_count: float, sampled_expected_count: float); " + SamplerAttrs
            + "; vocab_file: string = ''; distortion: float = 1; num_reserved_ids: int = 0; num_shards: int >= 1 = 1; shard: int >= 0 = 0; unigrams: list(float) = []",
        "AllCandidateSampler(true_classes: int64) -> (sampled_candidates: int64, true_expected_count: float, sampled_expected_count: float); num_true: int >= 1; num_sampled: int >= 1; unique: bool; seed: int = 0; seed2: int = 0; !stateful",
        "ComputeAccidentalHits(true_classes: int64, sampled_candidates: int64) -> (indices: int32, ids: int64, weights: float); num_true: int; seed: int = 0; seed2: int = 0",
    ];
}
