namespace TypedGraph.Building;

// Signatures after tensorflow/core/ops/nn_ops.cc (TF 1.13).
public sealed partial class OpDefCatalog
{
    private const string DataFormat = "data_format: {'NHWC', 'NCHW'} = 'NHWC'";
    private const string ConvAttrs = "T: {half, bfloat16, float, double}; strides: list(int); use_cudnn_on_gpu: bool = true; padding: {'SAME', 'VALID', 'EXPLICIT'}; explicit_paddings: list(int) = []; " + DataFormat + "; dilations: list(int) = [1, 1, 1, 1]";
    private const string DepthwiseAttrs = "T: {half, bfloat16, float, double}; strides: list(int); padding: {'SAME', 'VALID', 'EXPLICIT'}; explicit_paddings: list(int) = []; " + DataFormat + "; dilations: list(int) = [1, 1, 1, 1]";
    private const string PoolAttrs = "ksize: list(int) >= 4; strides: list(int) >= 4; padding: {'SAME', 'VALID'}; " + DataFormat;
    private const string ActGrad = "(gradients: T, features: T) -> (backprops: T); T: realnumbertype";
    private const string ActOutGrad = "(gradients: T, outputs: T) -> (backprops: T); T: floating";

    private static readonly string[] NnSignatures =
    [
        "Relu(features: T) -> (activations: T); T: realnumbertype",
        "Relu6(features: T) -> (activations: T); T: realnumbertype",
        "Elu(features: T) -> (activations: T); T: floating",
        "Selu(features: T) -> (activations: T); T: floating",
        "Softplus(features: T) -> (activations: T); T: floating",
        "Softsign(features: T) -> (activations: T); T: floating",
        "LeakyRelu(features: T) -> (activations: T); alpha: float = 0.2; T: floating",
        "ReluGrad" + ActGrad,
        "Relu6Grad" + ActGrad,
        "SoftplusGrad" + ActGrad,
        "EluGrad" + ActOutGrad,
        "SeluGrad" + ActOutGrad,
        "BiasAdd(value: T, bias: T) -> (output: T); T: numbertype; " + DataFormat,
        "BiasAddV1(value: T, bias: T) -> (output: T); T: numbertype",
        "BiasAddGrad(out_backprop: T) -> (output: T); T: numbertype; " + DataFormat,
        "Conv2D(input: T, filter: T) -> (output: T); " + ConvAttrs,
        "Conv2DBackpropInput(input_sizes: int32, filter: T, out_backprop: T) -> (output: T); " + ConvAttrs,
        "Conv2DBackpropFilter(input: T, filter_sizes: int32, out_backprop: T) -> (output: T); " + ConvAttrs,
        // Depthwise ops as in TF 2.x (padding EXPLICIT + explicit_paddings, which the kernels honour).
        "DepthwiseConv2dNative(input: T, filter: T) -> (output: T); " + DepthwiseAttrs,
        "DepthwiseConv2dNativeBackpropInput(input_sizes: int32, filter: T, out_backprop: T) -> (output: T); " + DepthwiseAttrs,
        "DepthwiseConv2dNativeBackpropFilter(input: T, filter_sizes: int32, out_backprop: T) -> (output: T); " + DepthwiseAttrs,
        "MaxPool(input: T) -> (output: T); T: {half, bfloat16, float, double, int32, int64, uint8, int16, int8, uint16, qint8} = float; " + PoolAttrs,
        "AvgPool(value: T) -> (output: T); " + PoolAttrs + "; T: {half, bfloat16, float, double}",
        "MaxPoolGrad(orig_input: T, orig_output: T, grad: T) -> (output: T); " + PoolAttrs + "; T: realnumbertype = float",
        "MaxPoolGradGrad(orig_input: T, orig_output: T, grad: T) -> (output: T); " + PoolAttrs + "; T: realnumbertype",
        "AvgPoolGrad(orig_input_shape: int32, grad: T) -> (output: T); " + PoolAttrs + "; T: {half, bfloat16, float, double}",
        "LRN(input: T) -> (output: T); depth_radius: int = 5; bias: float = 1; alpha: float = 1; beta: float = 0.5; T: {half, bfloat16, float} = float",
        "LRNGrad(input_grads: T, input_image: T, output_image: T) -> (output: T); depth_radius: int = 5; bias: float = 1; alpha: float = 1; beta: float = 0.5; T: {half, bfloat16, float} = float",
        "Softmax(logits: T) -> (softmax: T); T: floating",
        "LogSoftmax(logits: T) -> (logsoftmax: T); T: floating",
        "SoftmaxCrossEntropyWithLogits(features: T, labels: T) -> (loss: T, backprop: T); T: floating",
        "SparseSoftmaxCrossEntropyWithLogits(features: T, labels: Tlabels) -> (loss: T, backprop: T); T: floating; Tlabels: {int32, int64} = int64",
        "L2Loss(t: T) -> (output: T); T: floating",
        "FusedBatchNorm(x: T, scale: T, offset: T, mean: T, variance: T) -> (y: T, batch_mean: T, batch_variance: T, reserve_space_1: T, reserve_space_2: T); T: {float}; epsilon: float = 0.0001; " + DataFormat + "; is_training: bool = true",
        "FusedBatchNormV3(x: T, scale: U, offset: U, mean: U, variance: U) -> (y: T, batch_mean: U, batch_variance: U, reserve_space_1: U, reserve_space_2: U, reserve_space_3: U); T: {half, bfloat16, float}; U: {float}; epsilon: float = 0.0001; " + DataFormat + "; is_training: bool = true",
        "FusedBatchNormGrad(y_backprop: T, x: T, scale: T, reserve_space_1: T, reserve_space_2: T) -> (x_backprop: T, scale_backprop: T, offset_backprop: T, reserve_space_3: T, reserve_space_4: T); T: {float}; epsilon: float = 0.0001; " + DataFormat + "; is_training: bool = true",
        "FusedBatchNormGradV3(y_backprop: T, x: T, scale: float, reserve_space_1: U, reserve_space_2: U, reserve_space_3: U) -> (x_backprop: T, scale_backprop: U, offset_backprop: U, reserve_space_4: U, reserve_space_5: U); T: {half, bfloat16, float}; U: {float}; epsilon: float = 0.0001; " + DataFormat + "; is_training: bool = true",
    ];
}
