namespace TypedGraph.Building;

// Signatures after tensorflow/core/ops/nn_ops.cc for the 3-D (video) convolution and pooling ops with kernels in
// Kernels/NN/Conv3DKernels.cs and Pooling3DKernels.cs, and MaxPoolWithArgmax (MaxPoolWithArgmaxKernels.cs).
public sealed partial class OpDefCatalog
{
    private const string Conv3DAttrs = "strides: list(int) >= 5; padding: {'SAME', 'VALID'}; data_format: {'NDHWC', 'NCDHW'} = 'NDHWC'; dilations: list(int) = [1, 1, 1, 1, 1]";
    private const string Pool3DAttrs = "ksize: list(int) >= 5; strides: list(int) >= 5; padding: {'SAME', 'VALID'}; data_format: {'NDHWC', 'NCDHW'} = 'NDHWC'";

    private static readonly string[] Nn3DSignatures =
    [
        "Conv3D(input: T, filter: T) -> (output: T); T: {half, bfloat16, float, double}; " + Conv3DAttrs,
        "Conv3DBackpropInputV2(input_sizes: Tshape, filter: T, out_backprop: T) -> (output: T); T: {half, bfloat16, float, double}; " + Conv3DAttrs + "; Tshape: {int32, int64} = int32",
        "Conv3DBackpropFilterV2(input: T, filter_sizes: int32, out_backprop: T) -> (output: T); T: {half, bfloat16, float, double}; " + Conv3DAttrs,
        "Conv3DBackpropInput(input: T, filter: T, out_backprop: T) -> (output: T); T: {half, float, double}; strides: list(int) >= 5; padding: {'SAME', 'VALID'}; dilations: list(int) = [1, 1, 1, 1, 1]",
        "Conv3DBackpropFilter(input: T, filter: T, out_backprop: T) -> (output: T); T: {half, float, double}; strides: list(int) >= 5; padding: {'SAME', 'VALID'}; dilations: list(int) = [1, 1, 1, 1, 1]",
        "MaxPool3D(input: T) -> (output: T); " + Pool3DAttrs + "; T: {half, bfloat16, float}",
        "AvgPool3D(input: T) -> (output: T); " + Pool3DAttrs + "; T: {half, bfloat16, float, double}",
        "MaxPool3DGrad(orig_input: TInput, orig_output: TInput, grad: T) -> (output: T); " + Pool3DAttrs + "; T: {half, bfloat16, float} = float; TInput: {half, bfloat16, float} = float",
        "MaxPool3DGradGrad(orig_input: T, orig_output: T, grad: T) -> (output: T); " + Pool3DAttrs + "; T: realnumbertype",
        "AvgPool3DGrad(orig_input_shape: int32, grad: T) -> (output: T); " + Pool3DAttrs + "; T: {half, bfloat16, float, double}",
        "MaxPoolWithArgmax(input: T) -> (output: T, argmax: Targmax); ksize: list(int) >= 4; strides: list(int) >= 4; Targmax: {int32, int64} = int64; padding: {'SAME', 'VALID'}; include_batch_in_index: bool = false; T: realnumbertype",
        "MaxPoolGradWithArgmax(input: T, grad: T, argmax: Targmax) -> (output: T); ksize: list(int) >= 4; strides: list(int) >= 4; padding: {'SAME', 'VALID'}; include_batch_in_index: bool = false; Targmax: {int32, int64}; T: realnumbertype",
    ];
}
