namespace TypedGraph.Building;

// Ops whose kernels predate their OpDefs here and that the gradients of session 8 build or differentiate (signatures
// after tensorflow/core/ops/math_ops.cc, array_ops.cc, data_flow_ops.cc and nn_ops.cc).
public sealed partial class OpDefCatalog
{
    private static readonly string[] GradientOpSignatures =
    [
        "Tan" + Unary + "; T: floatcomplex",
        "Asin" + Unary + "; T: floatcomplex",
        "Acos" + Unary + "; T: floatcomplex",
        "Atan" + Unary + "; T: floatcomplex",
        "Sinh" + Unary + "; T: floatcomplex",
        "Cosh" + Unary + "; T: floatcomplex",
        "Asinh" + Unary + "; T: floatcomplex",
        "Acosh" + Unary + "; T: floatcomplex",
        "Atanh" + Unary + "; T: floatcomplex",
        "Atan2(y: T, x: T) -> (z: T); T: floating",
        "Xdivy" + Binary + "; T: {half, float, double, complex64, complex128}",
        "MulNoNan" + Binary + "; T: {half, float, double, complex64, complex128}",
        "FusedBatchNormV2(x: T, scale: U, offset: U, mean: U, variance: U) -> (y: T, batch_mean: U, batch_variance: U, reserve_space_1: U, reserve_space_2: U); T: {half, bfloat16, float}; U: {float}; epsilon: float = 0.0001; " + DataFormat + "; is_training: bool = true",
        "DynamicStitch(indices: N * int32, data: N * T) -> (merged: T); N: int >= 1; T: type",
        "ParallelDynamicStitch(indices: N * int32, data: N * T) -> (merged: T); N: int >= 1; T: type",
        "PadV2(input: T, paddings: Tpaddings, constant_values: T) -> (output: T); T: type; Tpaddings: {int32, int64} = int32",
        "ReverseSequence(input: T, seq_lengths: Tlen) -> (output: T); seq_dim: int; batch_dim: int = 0; T: type; Tlen: {int32, int64} = int64",
        "Concat(concat_dim: int32, values: N * T) -> (output: T); N: int >= 2; T: type",
        // nn_ops.cc before TF 2.13 added index_type/Tk: the kernel here emits int32 indices and reads an int32 or int64 k.
        "TopK(input: T) -> (values: T, indices: int32); k: int >= 0; sorted: bool = true; T: realnumbertype",
        "TopKV2(input: T, k: int32) -> (values: T, indices: int32); sorted: bool = true; T: realnumbertype",
        // nn_ops.cc
        "MaxPoolV2(input: T, ksize: int32, strides: int32) -> (output: T); T: {half, bfloat16, float, double, int32, int64, uint8, int16, int8, uint16, qint8} = float; padding: {'SAME', 'VALID'}; " + DataFormat,
        // array_ops.cc
        "MirrorPad(input: T, paddings: Tpaddings) -> (output: T); T: type; Tpaddings: {int32, int64} = int32; mode: {'REFLECT', 'SYMMETRIC'}",
        "MirrorPadGrad(input: T, paddings: Tpaddings) -> (output: T); T: type; Tpaddings: {int32, int64} = int32; mode: {'REFLECT', 'SYMMETRIC'}",
    ];
}
