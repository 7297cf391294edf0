using System.Numerics.Tensors;

namespace TypedGraph.Kernels.Common;

/// <summary>Activations a fused kernel can apply after its bias add.</summary>
internal enum FusedActivation { None, Relu, Relu6, Elu, LeakyRelu, Tanh, Sigmoid }

/// <summary>
/// The "BiasAdd then activation" tail of TF's grappler-fused ops (<c>_FusedConv2D</c>, <c>_FusedMatMul</c>,
/// attr <c>fused_ops</c> = ["BiasAdd"] or ["BiasAdd", act]). Applied to each block of output rows right
/// after the GEMM writes it, while it is still in cache, instead of two more passes over memory.
/// </summary>
internal sealed class Epilogue
{
    private Epilogue(FusedActivation activation, float alpha)
    {
        Activation = activation;
        Alpha = alpha;
    }

    public FusedActivation Activation { get; }

    public float Alpha { get; }

    /// <summary>Parses <c>fused_ops</c>/<c>num_args</c>; the bias is the op's third input.</summary>
    public static Epilogue FromNode(Node node) => Parse(node.GetStrings("fused_ops", []), node.GetInt("num_args", 1), node.GetFloat("leakyrelu_alpha", 0.2f), node);

    /// <summary>The epilogue <paramref name="ops"/> (<c>fused_ops</c>) describe; errors name <paramref name="node"/>.</summary>
    public static Epilogue Parse(string[] ops, long numArgs, float leakyReluAlpha, Node node)
    {
        if (ops.Length == 0 || ops[0] != "BiasAdd" || ops.Length > 2 || numArgs != 1)
            throw KernelAttrs.Err(node, $"unsupported fused_ops [{string.Join(", ", ops)}] with num_args {numArgs} (supported: BiasAdd optionally followed by Relu, Relu6, Elu, LeakyRelu, Tanh or Sigmoid).");
        var act = ops.Length == 1 ? FusedActivation.None : ops[1] switch
        {
            "Relu" => FusedActivation.Relu,
            "Relu6" => FusedActivation.Relu6,
            "Elu" => FusedActivation.Elu,
            "LeakyRelu" => FusedActivation.LeakyRelu,
            "Tanh" => FusedActivation.Tanh,
            "Sigmoid" => FusedActivation.Sigmoid,
            _ => throw KernelAttrs.Err(node, $"unsupported fused activation '{ops[1]}'."),
        };
        return new Epilogue(act, leakyReluAlpha);
    }

    /// <summary>rows[r, :] = act(rows[r, :] + bias) for every row of <paramref name="bias"/>.Length columns.</summary>
    public void Apply(Span<float> rows, ReadOnlySpan<float> bias)
    {
        int c = bias.Length;
        for (int o = 0; o + c <= rows.Length; o += c) TensorPrimitives.Add(rows.Slice(o, c), bias, rows.Slice(o, c));
        ApplyActivation(rows);
    }

    /// <summary>rows = act(rows): the activation alone, for kernels that added the bias themselves.</summary>
    public void ApplyActivation(Span<float> rows)
    {
        switch (Activation)
        {
            case FusedActivation.Relu: TensorPrimitives.Max(rows, 0f, rows); break;
            case FusedActivation.Relu6: TensorPrimitives.Clamp(rows, 0f, 6f, rows); break;
            case FusedActivation.Tanh: TensorPrimitives.Tanh(rows, rows); break;
            case FusedActivation.Sigmoid: TensorPrimitives.Sigmoid(rows, rows); break;
            // exp(x) - 1 as TF's fused Elu output kernel (core/kernels/fused_eigen_output_kernels.h) and the unfused Elu.
            case FusedActivation.Elu: for (int i = 0; i < rows.Length; i++) if (rows[i] < 0) rows[i] = MathF.Exp(rows[i]) - 1f; break;
            case FusedActivation.LeakyRelu: for (int i = 0; i < rows.Length; i++) if (rows[i] < 0) rows[i] *= Alpha; break;
        }
    }
}
