using TypedGraph.Kernels;

namespace TypedGraph.Tests.Kernels;

public class KernelRegistryCoverageTests
{
    [Fact]
    public void EveryMathAndNNOpOfIssue4IsRegistered()
    {
        string[] ops =
        [
            "Add", "AddV2", "AddN", "_FusedConv2D", "_FusedMatMul", "Sub", "Mul", "RealDiv", "Div", "FloorDiv", "FloorMod", "TruncateDiv", "Maximum", "Minimum",
            "Pow", "SquaredDifference", "BiasAdd", "BiasAddV1", "Neg", "Abs", "Square", "Sqrt", "Rsqrt", "Exp", "Log", "Log1p",
            "Reciprocal", "Inv", "Tanh", "Sigmoid", "Relu", "Relu6", "Elu", "Selu", "Softplus", "LeakyRelu", "Floor", "Ceil",
            "Round", "Sign", "Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual", "LogicalAnd", "LogicalOr",
            "LogicalNot", "Select", "SelectV2", "MatMul", "BatchMatMul", "BatchMatMulV2", "Conv2D", "DepthwiseConv2dNative",
            "MaxPool", "MaxPoolV2", "AvgPool", "Softmax", "LogSoftmax", "FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3",
            "LRN", "Sum", "Mean", "Max", "Min", "Prod", "All", "Any", "ArgMax", "ArgMin", "OneHot",
            "SparseSoftmaxCrossEntropyWithLogits", "SoftmaxCrossEntropyWithLogits", "L2Loss",
        ];
        var missing = ops.Where(op => !KernelRegistry.Default.IsSupported(op)).ToList();
        Assert.Empty(missing);
    }
}
