using TypedGraph.Building;

namespace TypedGraph.Training;

/// <summary>Computes the gradients of an op's inputs from the gradients of its outputs (TF's
/// <c>@ops.RegisterGradient</c> functions). Runs inside the <c>&lt;op&gt;_grad</c> name scope.</summary>
public delegate Output?[] GradientFunction(GradientContext ctx, Node op, Output?[] outputGrads);

/// <summary>Op type → gradient function; families register in <c>Gradients/*.cs</c>.</summary>
public static class GradientRegistry
{
    private static readonly Dictionary<string, GradientFunction> s_functions = new(StringComparer.Ordinal);
    private static readonly HashSet<string> s_notDifferentiable = new(StringComparer.Ordinal);

    static GradientRegistry()
    {
        MathGradients.Register();
        NnGradients.Register();
        BatchNormGradients.Register();
        ExtraGradients.Register();
        ArrayGradients.Register();
        SliceGatherGradients.Register();
        SparseOpGradients.Register();
        ControlFlowGradients.Register();
        TensorArrayGradients.Register();
        LinalgGradients.Register();
        MathExtraGradients.Register();
        QrGradient.Register();
        EinsumGradient.Register();
        DeterminantGradients.Register();
        SpectralGradients.Register();
        FftGradients.Register();
        MatrixFunctionGradients.Register();
        ImageGradients.Register();
        ListGradients.Register();
        SpaceBatchGradients.Register();
        Nn3DGradients.Register();
        ArrayExtraGradients.Register();
        MaxPoolWithArgmaxGradient.Register();
        SparseMatMulGradient.Register();
        SparseTensorGradients.Register();
        MaxPoolGradGradients.Register();
        TrigGradients.Register();
        SecondOrderGradients.Register();
        SafeMathGradients.Register();
        SegmentScatterGradients.Register();
        SpecialMathGradients.Register();
        RnnGradients.Register();
        ComplexGradients.Register();
        BatchMatMulV2Gradient.Register();
        ProdGradient.Register();
        SegmentExtremumGradients.Register();
        TopKGradient.Register();
        MirrorPadPatchesGradients.Register();
        ListGatherScatterGradients.Register();
        ArrayBreadthGradients.Register();
        MaxPoolV2Gradient.Register();
        DepthwiseSecondOrderGradients.Register();
    }

    /// <summary>Registers (or replaces) the gradient of <paramref name="opType"/>.</summary>
    public static void Register(string opType, GradientFunction fn) => s_functions[opType] = fn;

    /// <summary>Marks ops that never carry gradients (<c>ops.NotDifferentiable</c>): Shape, ArgMax, Equal….</summary>
    public static void NotDifferentiable(params string[] opTypes)
    {
        foreach (var op in opTypes) s_notDifferentiable.Add(op);
    }

    /// <summary>The gradient function of <paramref name="opType"/>, or null.</summary>
    public static GradientFunction? Find(string opType) => s_functions.GetValueOrDefault(opType);

    /// <summary>True for ops registered as not differentiable.</summary>
    public static bool IsNotDifferentiable(string opType) => s_notDifferentiable.Contains(opType);

    /// <summary>Every op type with a gradient.</summary>
    public static IReadOnlyList<string> OpTypes => s_functions.Keys.Order(StringComparer.Ordinal).ToList();
}
