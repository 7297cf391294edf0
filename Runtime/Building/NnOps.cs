using TypedGraph.Protos;

namespace TypedGraph.Building;

/// <summary>Neural-network ops (<c>tf.nn.*</c>, <c>tf.layers.dense</c>) as extension methods of <see
/// cref="GraphBuilder"/>; their OpDefs are in <c>OpDefCatalog.Nn.cs</c>.</summary>
public static class NnOps
{
    /// <summary>max(x, 0).</summary>
    public static Output Relu(this GraphBuilder builder, Output x, string name = "Relu") => builder.Unary("Relu", x, name);

    /// <summary>min(max(x, 0), 6).</summary>
    public static Output Relu6(this GraphBuilder builder, Output x, string name = "Relu6") => builder.Unary("Relu6", x, name);

    /// <summary>ELU.</summary>
    public static Output Elu(this GraphBuilder builder, Output x, string name = "Elu") => builder.Unary("Elu", x, name);

    /// <summary>SELU.</summary>
    public static Output Selu(this GraphBuilder builder, Output x, string name = "Selu") => builder.Unary("Selu", x, name);

    /// <summary>log(1 + eˣ).</summary>
    public static Output Softplus(this GraphBuilder builder, Output x, string name = "Softplus") => builder.Unary("Softplus", x, name);

    /// <summary>Softmax over the last dim.</summary>
    public static Output Softmax(this GraphBuilder builder, Output logits, string name = "Softmax") => builder.Unary("Softmax", logits, name);

    /// <summary>Log-softmax over the last dim.</summary>
    public static Output LogSoftmax(this GraphBuilder builder, Output logits, string name = "LogSoftmax") => builder.Unary("LogSoftmax", logits, name);

    /// <summary>value + bias over the channel dim.</summary>
    public static Output BiasAdd(this GraphBuilder builder, Output value, Output bias, string dataFormat = "NHWC", string name = "BiasAdd")
        => builder.Op1("BiasAdd", [value, bias], name, new Dictionary<string, AttrValue> { ["data_format"] = Attrs.String(dataFormat) });

    /// <summary>2-D convolution (filter <c>[kh, kw, in, out]</c>).</summary>
    public static Output Conv2D(this GraphBuilder builder, Output input, Output filter, int[] strides, string padding, string dataFormat = "NHWC", int[]? dilations = null, string name = "Conv2D")
        => builder.Op1("Conv2D", [input, filter], name, new Dictionary<string, AttrValue>
        {
            ["strides"] = Attrs.Ints(strides.Select(s => (long)s).ToArray()),
            ["padding"] = Attrs.String(padding),
            ["data_format"] = Attrs.String(dataFormat),
            ["dilations"] = Attrs.Ints((dilations ?? [1, 1, 1, 1]).Select(s => (long)s).ToArray()),
        });

    /// <summary>Max pooling.</summary>
    public static Output MaxPool(this GraphBuilder builder, Output input, int[] ksize, int[] strides, string padding, string dataFormat = "NHWC", string name = "MaxPool")
        => builder.Op1("MaxPool", [input], name, PoolAttrs(ksize, strides, padding, dataFormat));

    /// <summary>Average pooling.</summary>
    public static Output AvgPool(this GraphBuilder builder, Output input, int[] ksize, int[] strides, string padding, string dataFormat = "NHWC", string name = "AvgPool")
        => builder.Op1("AvgPool", [input], name, PoolAttrs(ksize, strides, padding, dataFormat));

    private static Dictionary<string, AttrValue> PoolAttrs(int[] ksize, int[] strides, string padding, string dataFormat) => new()
    {
        ["ksize"] = Attrs.Ints(ksize.Select(s => (long)s).ToArray()),
        ["strides"] = Attrs.Ints(strides.Select(s => (long)s).ToArray()),
        ["padding"] = Attrs.String(padding),
        ["data_format"] = Attrs.String(dataFormat),
    };

    /// <summary>sum(x²)/2.</summary>
    public static Output L2Loss(this GraphBuilder builder, Output t, string name = "L2Loss") => builder.Unary("L2Loss", t, name);

    /// <summary>Per-example softmax cross-entropy with probability labels; returns (loss [batch], backprop).</summary>
    public static (Output Loss, Output Backprop) SoftmaxCrossEntropyWithLogits(this GraphBuilder builder, Output logits, Output labels, string name = "SoftmaxCrossEntropyWithLogits")
    {
        var node = builder.AddOperation("SoftmaxCrossEntropyWithLogits", [logits, labels], null, name);
        return (builder.OutputOf(node, 0), builder.OutputOf(node, 1));
    }

    /// <summary>Per-example softmax cross-entropy with integer labels; returns (loss, backprop).</summary>
    public static (Output Loss, Output Backprop) SparseSoftmaxCrossEntropyWithLogits(this GraphBuilder builder, Output logits, Output labels, string name = "SparseSoftmaxCrossEntropyWithLogits")
    {
        var node = builder.AddOperation("SparseSoftmaxCrossEntropyWithLogits", [logits, labels], null, name);
        return (builder.OutputOf(node, 0), builder.OutputOf(node, 1));
    }

    /// <summary>A dense layer like <c>tf.layers.dense</c>: scope <paramref name="name"/> holding
    /// <c>kernel</c> (glorot-uniform, get_variable style) and <c>bias</c> (zeros) variables, then
    /// <c>MatMul</c> + <c>BiasAdd</c> and an optional activation op (<c>"Relu"</c>, <c>"Softmax"</c>…).</summary>
    public static Output Dense(this GraphBuilder builder, Output input, long inputSize, long units, string? activation = null, string name = "dense", int? seed = null)
    {
        using var _ = builder.NameScope(name);
        var kernel = builder.Variable([inputSize, units], new GlorotUniform(seed), "kernel", style: VariableStyle.GetVariable);
        var bias = builder.Variable([units], new ZerosInitializer(), "bias", style: VariableStyle.GetVariable);
        var y = builder.BiasAdd(builder.MatMul(input, kernel.Snapshot), bias.Snapshot);
        return activation == null ? y : builder.Unary(activation, y, activation);
    }
}
