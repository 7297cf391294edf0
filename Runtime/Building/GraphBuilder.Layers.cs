using TypedGraph.Protos;

namespace TypedGraph.Building;

// More typed ops the runtime executes: padding, batched matmul, depthwise conv, batch norm, leaky relu, dropout.
public sealed partial class GraphBuilder
{
    /// <summary>Zero padding by a constant <c>[rank, 2]</c> table (<c>tf.pad</c>).</summary>
    public Output Pad(Output x, int[,] paddings, string name = "Pad")
    {
        var flat = new int[paddings.Length];
        Buffer.BlockCopy(paddings, 0, flat, 0, flat.Length * sizeof(int));
        using var _ = NameScope(name);
        var scope = CurrentScope.TrimEnd('/');
        return OutputOf(AddOperationExact(scope, "Pad", [x, Constant(Tensor.Create(flat, paddings.GetLength(0), 2), "paddings")]));
    }

    /// <summary>Batched matrix product (<c>tf.matmul</c> on rank ≥ 3).</summary>
    public Output BatchMatMul(Output x, Output y, bool adjX = false, bool adjY = false, string name = "MatMul")
        => Op1("BatchMatMul", [x, y], name, new Dictionary<string, AttrValue> { ["adj_x"] = Attrs.Bool(adjX), ["adj_y"] = Attrs.Bool(adjY) });

    /// <summary>Depthwise 2-D convolution (filter <c>[kh, kw, in, multiplier]</c>).</summary>
    public Output DepthwiseConv2D(Output input, Output filter, int[] strides, string padding, string name = "depthwise")
        => Op1("DepthwiseConv2dNative", [input, filter], name, new Dictionary<string, AttrValue>
        {
            ["strides"] = Attrs.Ints(strides.Select(s => (long)s).ToArray()),
            ["padding"] = Attrs.String(padding),
        });

    /// <summary>max(x, αx) (<c>tf.nn.leaky_relu</c>).</summary>
    public Output LeakyRelu(Output x, float alpha = 0.2f, string name = "LeakyRelu")
        => Op1("LeakyRelu", [x], name, new Dictionary<string, AttrValue> { ["alpha"] = Attrs.Float(alpha) });

    /// <summary><c>tf.nn.fused_batch_norm</c> (FusedBatchNormV3): returns (y, batch_mean, batch_variance). In
    /// training, pass null mean/variance (empty, as TF does).</summary>
    public (Output Y, Output Mean, Output Variance) FusedBatchNorm(Output x, Output scale, Output offset, Output? mean = null, Output? variance = null,
        float epsilon = 0.001f, bool isTraining = true, string dataFormat = "NHWC", string name = "FusedBatchNormV3")
    {
        var m = mean ?? Constant(Array.Empty<float>(), [0]);
        var v = variance ?? Constant(Array.Empty<float>(), [0]);
        var node = AddOperation("FusedBatchNormV3", [x, scale, offset, m, v], new Dictionary<string, AttrValue>
        {
            ["epsilon"] = Attrs.Float(epsilon),
            ["is_training"] = Attrs.Bool(isTraining),
            ["data_format"] = Attrs.String(dataFormat),
        }, name);
        return (OutputOf(node, 0), OutputOf(node, 1), OutputOf(node, 2));
    }

    /// <summary>
    /// <c>tf.nn.dropout(x, keep_prob)</c> as TF 1.x builds it: <c>dropout/Shape</c>, <c>dropout/random_uniform/…</c>,
    /// <c>dropout/add</c> (keep_prob + U[0, 1)), <c>dropout/Floor</c> (the 0/1 mask), <c>dropout/truediv</c> (x / keep_prob)
    /// and <c>dropout/mul</c>. Feed keep_prob = 1 at inference.
    /// </summary>
    public Output Dropout(Output x, Output keepProb, int? seed = null, string name = "dropout")
    {
        using var _ = NameScope(name);
        var shape = Shape(x);
        Output random;
        using (NameScope("random_uniform"))
        {
            var scope = CurrentScope.TrimEnd('/');
            var lo = ScalarConstant(0, x.BaseType, "min");
            var hi = ScalarConstant(1, x.BaseType, "max");
            var r = RandomOp("RandomUniform", shape, x.BaseType, seed);
            var range = Subtract(hi, lo, "sub");
            random = OutputOf(AddOperationExact(scope, "Add", [Multiply(r, range, "mul"), lo]));
        }
        var mask = Unary("Floor", Add(keepProb, random, "add"), "Floor");
        return Multiply(Divide(x, keepProb), mask, "mul");
    }
}
