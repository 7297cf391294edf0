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

/// <summary>The build-time kernel list (tools/KernelSetGenerator) against the assembly itself.</summary>
public class KernelSetListTests
{
    [Fact]
    public void GeneratedList_HoldsEveryConcreteKernelSetOfTheRuntime_ExactlyOnce()
    {
        // Reflection here, in the test only: the runtime itself never scans its assembly.
        var expected = typeof(KernelSet).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(KernelSet)) && !t.IsAbstract && t.GetConstructor(Type.EmptyTypes) != null)
            .Select(t => t.FullName!).Order(StringComparer.Ordinal).ToList();
        var listed = KernelRegistry.CreateKernelSets().Select(s => s.GetType().FullName!).ToList();
        Assert.Equal(expected, listed);
        Assert.True(listed.Count >= 40, $"only {listed.Count} kernel families listed");
    }

    [Fact]
    public void DuplicateOpType_FailsWhenTheRegistryIsBuilt()
    {
        var registry = new KernelRegistry();
        foreach (var set in KernelRegistry.CreateKernelSets()) set.Register(registry); // the shipped sets agree
        var first = KernelRegistry.CreateKernelSets()[0];
        var e = Assert.Throws<InvalidOperationException>(() => first.Register(registry));
        Assert.Contains("already registered", e.Message);
    }
}
