using TypedGraph.Protos;

namespace TypedGraph.Building;

// Neural-network ops (tf.nn.*).
public sealed partial class GraphBuilder
{
    /// <summary>max(x, 0).</summary>
    public Output Relu(Output x, string name = "Relu") => Unary("Relu", x, name);

    /// <summary>min(max(x, 0), 6).</summary>
    public Output Relu6(Output x, string name = "Relu6") => Unary("Relu6", x, name);

    /// <summary>ELU.</summary>
    public Output Elu(Output x, string name = "Elu") => Unary("Elu", x, name);

    /// <summary>SELU.</summary>
    public Output Selu(Output x, string name = "Selu") => Unary("Selu", x, name);

    /// <summary>log(1 + eˣ).</summary>
    public Output Softplus(Output x, string name = "Softplus") => Unary("Softplus", x, name);

    /// <summary>Softmax over the last dim.</summary>
    public Output Softmax(Output logits, string name = "Softmax") => Unary("Softmax", logits, name);

    /// <summary>Log-softmax over the last dim.</summary>
    public Output LogSoftmax(Output logits, string name = "LogSoftmax") => Unary("LogSoftmax", logits, name);

    /// <summary>value + bias over the channel dim.</summary>
    public Output BiasAdd(Output value, Output bias, string dataFormat = "NHWC", string name = "BiasAdd")
        => Op1("BiasAdd", [value, bias], name, new Dictionary<string, AttrValue> { ["data_format"] = Attrs.String(dataFormat) });

    /// <summary>2-D convolution (filter <c>[kh, kw, in, out]</c>).</summary>
    public Output Conv2D(Output input, Output filter, int[] strides, string padding, string dataFormat = "NHWC", int[]? dilations = null, string name = "Conv2D")
        => Op1("Conv2D", [input, filter], name, new Dictionary<string, AttrValue>
        {
            ["strides"] = Attrs.Ints(strides.Select(s => (long)s).ToArray()),
            ["padding"] = Attrs.String(padding),
            ["data_format"] = Attrs.String(dataFormat),
            ["dilations"] = Attrs.Ints((dilations ?? [1, 1, 1, 1]).Select(s => (long)s).ToArray()),
        });

    /// <summary>Max pooling.</summary>
    public Output MaxPool(Output input, int[] ksize, int[] strides, string padding, string dataFormat = "NHWC", string name = "MaxPool")
        => Op1("MaxPool", [input], name, PoolAttrs(ksize, strides, padding, dataFormat));

    /// <summary>Average pooling.</summary>
    public Output AvgPool(Output input, int[] ksize, int[] strides, string padding, string dataFormat = "NHWC", string name = "AvgPool")
        => Op1("AvgPool", [input], name, PoolAttrs(ksize, strides, padding, dataFormat));

    private static Dictionary<string, AttrValue> PoolAttrs(int[] ksize, int[] strides, string padding, string dataFormat) => new()
    {
        ["ksize"] = Attrs.Ints(ksize.Select(s => (long)s).ToArray()),
        ["strides"] = Attrs.Ints(strides.Select(s => (long)s).ToArray()),
        ["padding"] = Attrs.String(padding),
        ["data_format"] = Attrs.String(dataFormat),
    };

    /// <summary>sum(x²)/2.</summary>
    public Output L2Loss(Output t, string name = "L2Loss") => Unary("L2Loss", t, name);

    /// <summary>Per-example softmax cross-entropy with probability labels; returns (loss [batch], backprop).</summary>
    public (Output Loss, Output Backprop) SoftmaxCrossEntropyWithLogits(Output logits, Output labels, string name = "SoftmaxCrossEntropyWithLogits")
    {
        var node = AddOperation("SoftmaxCrossEntropyWithLogits", [logits, labels], null, name);
        return (OutputOf(node, 0), OutputOf(node, 1));
    }

    /// <summary>Per-example softmax cross-entropy with integer labels; returns (loss, backprop).</summary>
    public (Output Loss, Output Backprop) SparseSoftmaxCrossEntropyWithLogits(Output logits, Output labels, string name = "SparseSoftmaxCrossEntropyWithLogits")
    {
        var node = AddOperation("SparseSoftmaxCrossEntropyWithLogits", [logits, labels], null, name);
        return (OutputOf(node, 0), OutputOf(node, 1));
    }

    /// <summary>A dense layer like <c>tf.layers.dense</c>: scope <paramref name="name"/> holding
    /// <c>kernel</c> (glorot-uniform, get_variable style) and <c>bias</c> (zeros) variables, then
    /// <c>MatMul</c> + <c>BiasAdd</c> and an optional activation op (<c>"Relu"</c>, <c>"Softmax"</c>…).</summary>
    public Output Dense(Output input, long inputSize, long units, string? activation = null, string name = "dense", int? seed = null)
    {
        using var _ = NameScope(name);
        var kernel = Variable([inputSize, units], new GlorotUniform(seed), "kernel", style: VariableStyle.GetVariable);
        var bias = Variable([units], new ZerosInitializer(), "bias", style: VariableStyle.GetVariable);
        var y = BiasAdd(MatMul(input, kernel.Snapshot), bias.Snapshot);
        return activation == null ? y : Unary(activation, y, activation);
    }
}
