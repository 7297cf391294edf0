namespace TypedGraph.Building;

// Signatures after tensorflow/core/ops/math_ops.cc (Erf, Erfc, Cumsum, Cumprod, ClipByValue, Bincount, DenseBincount,
// HistogramFixedWidth), array_ops.cc (CheckNumerics, FakeQuant*, ListDiff) and set_ops.cc (DenseToDenseSetOperation).
public sealed partial class OpDefCatalog
{
    private const string FakeQuantArgsAttrs = "min: float = -6; max: float = 6; num_bits: int = 8; narrow_range: bool = false";
    private const string FakeQuantVarsAttrs = "num_bits: int = 8; narrow_range: bool = false";

    private static readonly string[] MathExtraSignatures =
    [
        "Erf(x: T) -> (y: T); T: floating",
        "Erfc(x: T) -> (y: T); T: floating",
        "Cumsum(x: T, axis: Tidx) -> (out: T); exclusive: bool = false; reverse: bool = false; T: numbertype; Tidx: {int32, int64} = int32",
        "Cumprod(x: T, axis: Tidx) -> (out: T); exclusive: bool = false; reverse: bool = false; T: numbertype; Tidx: {int32, int64} = int32",
        "ClipByValue(t: T, clip_value_min: T, clip_value_max: T) -> (output: T); T: numbertype",
        "CheckNumerics(tensor: T) -> (output: T); T: {bfloat16, half, float, double}; message: string",
        "CheckNumericsV2(tensor: T) -> (output: T); T: {bfloat16, half, float, double}; message: string",
        "ListDiff(x: T, y: T) -> (out: T, idx: out_idx); T: type; out_idx: {int32, int64} = int32",
        "DenseToDenseSetOperation(set1: T, set2: T) -> (result_indices: int64, result_values: T, result_shape: int64); set_operation: string; validate_indices: bool = true; T: {int8, int16, int32, int64, uint8, uint16, string}",
        "FakeQuantWithMinMaxArgs(inputs: float) -> (outputs: float); " + FakeQuantArgsAttrs,
        "FakeQuantWithMinMaxArgsGradient(gradients: float, inputs: float) -> (backprops: float); " + FakeQuantArgsAttrs,
        "FakeQuantWithMinMaxVars(inputs: float, min: float, max: float) -> (outputs: float); " + FakeQuantVarsAttrs,
        "FakeQuantWithMinMaxVarsGradient(gradients: float, inputs: float, min: float, max: float) -> (backprops_wrt_input: float, backprop_wrt_min: float, backprop_wrt_max: float); " + FakeQuantVarsAttrs,
        "FakeQuantWithMinMaxVarsPerChannel(inputs: float, min: float, max: float) -> (outputs: float); " + FakeQuantVarsAttrs,
        "FakeQuantWithMinMaxVarsPerChannelGradient(gradients: float, inputs: float, min: float, max: float) -> (backprops_wrt_input: float, backprop_wrt_min: float, backprop_wrt_max: float); " + FakeQuantVarsAttrs,
    ];
}
