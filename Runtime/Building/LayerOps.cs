using TypedGraph.Protos;

namespace TypedGraph.Building;

/// <summary>Padding, batched matmul, depthwise convolution, batch norm, leaky ReLU and dropout as extension methods of
/// <see cref="GraphBuilder"/>; their OpDefs are in <c>OpDefCatalog.Nn.cs</c> and <c>OpDefCatalog.Math.cs</c>.</summary>
public static class LayerOps
{
    /// <summary>Zero padding by a constant <c>[rank, 2]</c> table (<c>tf.pad</c>).</summary>
    public static Output Pad(this GraphBuilder builder, Output x, int[,] paddings, string name = "Pad")
    {
        var flat = new int[paddings.Length];
        Buffer.BlockCopy(paddings, 0, flat, 0, flat.Length * sizeof(int));
        using var _ = builder.NameScope(name);
        var scope = builder.CurrentScope.TrimEnd('/');
        return builder.OutputOf(builder.AddOperationExact(scope, "Pad", [x, builder.Constant(Tensor.Create(flat, paddings.GetLength(0), 2), "paddings")]));
    }

    /// <summary>Batched matrix product (<c>tf.matmul</c> on rank ≥ 3).</summary>
    public static Output BatchMatMul(this GraphBuilder builder, Output x, Output y, bool adjX = false, bool adjY = false, string name = "MatMul")
        => builder.Op1("BatchMatMul", [x, y], name, new Dictionary<string, AttrValue> { ["adj_x"] = Attrs.Bool(adjX), ["adj_y"] = Attrs.Bool(adjY) });

    /// <summary>Depthwise 2-D convolution (filter <c>[kh, kw, in, multiplier]</c>).</summary>
    public static Output DepthwiseConv2D(this GraphBuilder builder, Output input, Output filter, int[] strides, string padding, string name = "depthwise")
        => builder.Op1("DepthwiseConv2dNative", [input, filter], name, new Dictionary<string, AttrValue>
        {
            ["strides"] = Attrs.Ints(strides.Select(s => (long)s).ToArray()),
            ["padding"] = Attrs.String(padding),
        });

    /// <summary>max(x, αx) (<c>tf.nn.leaky_relu</c>).</summary>
    public static Output LeakyRelu(this GraphBuilder builder, Output x, float alpha = 0.2f, string name = "LeakyRelu")
        => builder.Op1("LeakyRelu", [x], name, new Dictionary<string, AttrValue> { ["alpha"] = Attrs.Float(alpha) });

    /// <summary><c>tf.nn.fused_batch_norm</c> (FusedBatchNormV3): returns (y, batch_mean, batch_variance). In
    /// training, pass null mean/variance (empty, as TF does).</summary>
    public static (Output Y, Output Mean, Output Variance) FusedBatchNorm(this GraphBuilder builder, Output x, Output scale, Output offset, Output? mean = null, Output? variance = null,
        float epsilon = 0.001f, bool isTraining = true, string dataFormat = "NHWC", string name = "FusedBatchNormV3")
    {
        var m = mean ?? builder.Constant(Array.Empty<float>(), [0]);
        var v = variance ?? builder.Constant(Array.Empty<float>(), [0]);
        var node = builder.AddOperation("FusedBatchNormV3", [x, scale, offset, m, v], new Dictionary<string, AttrValue>
        {
            ["epsilon"] = Attrs.Float(epsilon),
            ["is_training"] = Attrs.Bool(isTraining),
            ["data_format"] = Attrs.String(dataFormat),
        }, name);
        return (builder.OutputOf(node, 0), builder.OutputOf(node, 1), builder.OutputOf(node, 2));
    }

    /// <summary>
    /// <c>tf.nn.dropout(x, keep_prob)</c> as TF 1.x builds it: <c>dropout/Shape</c>, <c>dropout/random_uniform/…</c>,
    /// <c>dropout/add</c> (keep_prob + U[0, 1)), <c>dropout/Floor</c> (the 0/1 mask), <c>dropout/truediv</c> (x / keep_prob)
    /// and <c>dropout/mul</c>. Feed keep_prob = 1 at inference.
    /// </summary>
    public static Output Dropout(this GraphBuilder builder, Output x, Output keepProb, int? seed = null, string name = "dropout")
    {
        using var _ = builder.NameScope(name);
        var shape = builder.Shape(x);
        Output random;
        using (builder.NameScope("random_uniform"))
        {
            var scope = builder.CurrentScope.TrimEnd('/');
            var lo = builder.ScalarConstant(0, x.BaseType, "min");
            var hi = builder.ScalarConstant(1, x.BaseType, "max");
            var r = builder.RandomOp("RandomUniform", shape, x.BaseType, seed);
            var range = builder.Subtract(hi, lo, "sub");
            random = builder.OutputOf(builder.AddOperationExact(scope, "Add", [builder.Multiply(r, range, "mul"), lo]));
        }
        var mask = builder.Unary("Floor", builder.Add(keepProb, random, "add"), "Floor");
        return builder.Multiply(builder.Divide(x, keepProb), mask, "mul");
    }
}
