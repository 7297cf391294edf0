using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Training;
using static TypedGraph.Tests.Training.FiniteDifferences;

namespace TypedGraph.Tests.Training;

public class GradientsTests
{
    /// <summary>Builds L = Σ w ⊙ f(x) for a float placeholder x, and checks tf.gradients(L, x) against central differences.</summary>
    private static void Check(Func<GraphBuilder, Output, Output> f, int[] shape, int seed = 1, double lo = -1, double hi = 1, double tol = 2e-2)
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, shape.Select(d => (long)d).ToArray(), "x");
        var y = f(b, x);
        var w = b.Placeholder(DataType.DtFloat, null, "w");
        var loss = b.ReduceSum(b.Reshape(b.Multiply(y, w), [-1]), [0]);
        var g = Gradients.Compute(b, [loss], [x])[0]!.Value;
        using var s = new Session(b.Graph);
        var xv = Tensor.Create(Random(shape.Aggregate(1, (a, d) => a * d), seed, lo, hi).Select(v => (float)v).ToArray(), shape);
        var yShape = s.Run(y.Name, ("x:0", xv)).Shape;
        var wv = Tensor.Create(Random((int)yShape.NumElements, seed + 100).Select(v => (float)v).ToArray(), yShape.ToArray());
        var analytic = Doubles(s.Run(g.Name, ("x:0", xv), ("w:0", wv)));
        var numeric = NumericGradient(t => s.Run(loss.Name, ("x:0", t), ("w:0", wv)), xv, [1.0], 1e-2);
        for (int i = 0; i < analytic.Length; i++)
            Assert.True(Math.Abs(numeric[i] - analytic[i]) <= tol * Math.Max(1, Math.Abs(numeric[i])), $"element {i}: numeric {numeric[i]}, analytic {analytic[i]}");
    }

    [Fact] public void Add_with_broadcasting() => Check((b, x) => b.Add(x, b.Constant(new[] { 1f, 2f, 3f }, [3])), [2, 3]);
    [Fact] public void Sub_broadcast_second_operand_is_x() => Check((b, x) => b.Subtract(b.Constant(new float[6], [2, 3]), x), [3]);
    [Fact] public void Mul_with_broadcasting_both_sides() => Check((b, x) => b.Multiply(x, b.Multiply(x, b.Constant(new[] { 1f, -2f }, [2, 1]))), [1, 3]);
    [Fact] public void RealDiv() => Check((b, x) => b.Divide(b.Constant(new[] { 1f, 2f, 3f }, [3]), x), [3], lo: 1, hi: 2);
    [Fact] public void Maximum_and_SquaredDifference() => Check((b, x) => b.SquaredDifference(b.Maximum(x, b.Constant(new[] { 0.1f, -0.2f, 0.3f, 0f }, [4])), b.Constant(0.5f)), [4], seed: 3);
    [Fact] public void Unary_math() => Check((b, x) => b.Add(b.Add(b.Square(x), b.Exp(x)), b.Add(b.Log(x), b.Sqrt(x))), [5], lo: 0.5, hi: 2);
    [Fact] public void Sigmoid_and_Tanh() => Check((b, x) => b.Multiply(b.Sigmoid(x), b.Tanh(x)), [2, 3]);
    [Fact] public void Relu_Elu_Softplus() => Check((b, x) => b.Add(b.Relu(x), b.Add(b.Elu(x), b.Softplus(x))), [7], seed: 9);

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void MatMul_all_transpose_combinations(bool ta, bool tb)
        => Check((b, x) => b.MatMul(x, b.Constant(Random(12, 4).Select(v => (float)v).ToArray(), tb ? [4, 3] : [3, 4]), ta, tb), ta ? [3, 2] : [2, 3]);

    [Fact]
    public void MatMul_gradient_wrt_second_operand()
        => Check((b, x) => b.MatMul(b.Constant(Random(6, 4).Select(v => (float)v).ToArray(), [2, 3]), x), [3, 4]);

    [Fact] public void BiasAdd_wrt_bias() => Check((b, x) => b.BiasAdd(b.Constant(Random(6, 2).Select(v => (float)v).ToArray(), [2, 3]), x), [3]);
    [Fact] public void Softmax_and_LogSoftmax() => Check((b, x) => b.Add(b.Softmax(x), b.LogSoftmax(x)), [2, 4]);

    [Fact]
    public void Softmax_cross_entropy_wrt_logits()
        => Check((b, x) => b.SoftmaxCrossEntropyWithLogits(x, b.Constant(new[] { 0f, 1f, 0f, 0.5f, 0.25f, 0.25f }, [2, 3])).Loss, [2, 3]);

    [Fact] public void Mean_over_some_axes_and_Sum_keep_dims() => Check((b, x) => b.Add(b.ReduceMean(x, [1]), b.ReduceSum(b.ReduceSum(x, [0, 2], keepDims: true), [1, 2])), [2, 3, 4]);
    [Fact] public void Mean_over_all_axes() => Check((b, x) => b.ReduceMean(x, [0, 1]), [3, 2]);
    [Fact] public void Reshape_Transpose_ExpandDims() => Check((b, x) => b.ExpandDims(b.Transpose(b.Reshape(x, [3, 2]), [1, 0]), 0), [6]);
    [Fact] public void Concat_and_Split() => Check((b, x) => b.Concat([b.Split(x, 2, 1)[1], x], 1), [2, 4]);
    [Fact] public void Stack_and_Unstack() => Check((b, x) => b.Stack([b.Unstack(x, 3, 1)[2], b.Unstack(x, 3, 1)[0]], 0), [2, 3]);
    [Fact] public void L2Loss_and_AddN() => Check((b, x) => b.AddN([b.L2Loss(x), b.L2Loss(x)]), [4]);

    [Fact]
    public void Conv2D_wrt_input_and_filter()
    {
        var filter = Random(3 * 3 * 2 * 3, 8).Select(v => (float)v).ToArray();
        Check((b, x) => b.Conv2D(x, b.Constant(filter, [3, 3, 2, 3]), [1, 2, 2, 1], "SAME"), [1, 5, 5, 2]);
        var input = Random(1 * 5 * 5 * 2, 8).Select(v => (float)v).ToArray();
        Check((b, f) => b.Conv2D(b.Constant(input, [1, 5, 5, 2]), f, [1, 1, 1, 1], "VALID"), [3, 3, 2, 3]);
    }

    [Fact]
    public void Pooling()
    {
        Check((b, x) => b.MaxPool(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID"), [1, 4, 4, 2], seed: 12);
        Check((b, x) => b.AvgPool(x, [1, 3, 3, 1], [1, 2, 2, 1], "SAME"), [1, 5, 5, 1]);
    }

    [Fact] public void Pow_wrt_base_and_exponent() => Check((b, x) => b.Add(b.Pow(x, b.Constant(new[] { 2f, 3f, 0.5f }, [3])), b.Pow(b.Constant(new[] { 1.5f, 2f, 0.7f }, [3]), x)), [3], lo: 0.5, hi: 2);

    [Fact]
    public void Slice_and_Pad()
    {
        Check((b, x) => b.Slice(x, b.Constant(new[] { 1, 0 }), b.Constant(new[] { 2, 2 })), [3, 3]);
        int[] pads = [1, 0, 2, 1]; // [[1, 0], [2, 1]]
        Check((b, x) => b.OutputOf(b.AddOperation("Pad", [x, b.Constant(Tensor.Create(pads, 2, 2))])), [2, 3]);
    }

    [Fact] public void Tile() => Check((b, x) => b.Tile(x, b.Constant(new[] { 2, 3 })), [2, 2]);

    [Fact]
    public void GatherV2_axis0_with_repeated_indices()
        => Check((b, x) => b.Gather(x, b.Constant(new[] { 2, 0, 2 })), [3, 2]);

    private static Output BatchNorm(GraphBuilder b, Output x, Output scale, Output offset, bool training, string op = "FusedBatchNormV3")
    {
        var attrs = new Dictionary<string, AttrValue> { ["is_training"] = Attrs.Bool(training), ["epsilon"] = Attrs.Float(0.001f) };
        if (op == "FusedBatchNormV3") attrs["U"] = Attrs.Type(DataType.DtFloat);
        Output mean = training ? b.Constant(Array.Empty<float>(), [0]) : b.Constant(new[] { 0.1f, -0.2f }, [2]);
        Output variance = training ? b.Constant(Array.Empty<float>(), [0]) : b.Constant(new[] { 0.5f, 2f }, [2]);
        return b.OutputOf(b.AddOperation(op, [x, scale, offset, mean, variance], attrs));
    }

    [Theory]
    [InlineData("FusedBatchNormV3", true)]
    [InlineData("FusedBatchNorm", true)]
    [InlineData("FusedBatchNormV3", false)]
    public void FusedBatchNorm_wrt_x_scale_and_offset(string op, bool training)
    {
        var scale = new[] { 1.5f, -0.5f };
        var offset = new[] { 0.2f, 0.1f };
        var input = Random(2 * 3 * 2 * 2, 21).Select(v => (float)v).ToArray();
        Check((b, x) => BatchNorm(b, x, b.Constant(scale, [2]), b.Constant(offset, [2]), training, op), [2, 3, 2, 2], tol: 3e-2);
        Check((b, s) => BatchNorm(b, b.Constant(input, [2, 3, 2, 2]), s, b.Constant(offset, [2]), training, op), [2]);
        Check((b, o) => BatchNorm(b, b.Constant(input, [2, 3, 2, 2]), b.Constant(scale, [2]), o, training, op), [2]);
    }

    [Fact]
    public void LRN() => Check((b, x) => b.OutputOf(b.AddOperation("LRN", [x], new Dictionary<string, AttrValue>
        { ["depth_radius"] = Attrs.Int(2), ["bias"] = Attrs.Float(1.5f), ["alpha"] = Attrs.Float(0.3f), ["beta"] = Attrs.Float(0.75f) })), [1, 2, 2, 6]);

    [Fact] public void Max_and_Min_reductions() => Check((b, x) => b.Add(b.ReduceMax(x, [1]), b.Reduce("Min", x, [0, 1], keepDims: false)), [3, 4], seed: 31);
    [Fact] public void Log1p_and_LeakyRelu() => Check((b, x) => b.Add(b.Unary("Log1p", x), b.Unary("LeakyRelu", x)), [6], lo: -0.9, hi: 1);
    [Fact] public void SelectV2_with_broadcast() => Check((b, x) => b.OutputOf(b.AddOperation("SelectV2", [b.Constant(Tensor.Create(new[] { true, false, true }, 3)), x, b.Constant(new float[6], [2, 3])])), [3]);
    [Fact] public void BatchMatMul() => Check((b, x) => b.OutputOf(b.AddOperation("BatchMatMul", [x, b.Constant(Random(24, 6).Select(v => (float)v).ToArray(), [2, 3, 4])], new Dictionary<string, AttrValue> { ["adj_x"] = Attrs.Bool(true) })), [2, 3, 2]);
    [Fact] public void ReverseV2_and_BroadcastTo() => Check((b, x) => b.OutputOf(b.AddOperation("BroadcastTo", [b.OutputOf(b.AddOperation("ReverseV2", [x, b.Constant(new[] { 1 })])), b.Constant(new[] { 2, 2, 3 })])), [2, 3]);

    [Fact]
    public void Paths_are_summed_with_AddN()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [], "x");
        var y = b.Add(b.Multiply(x, x), x); // dy/dx = 2x + 1
        var g = Gradients.Compute(b, [y], [x])[0]!.Value;
        Assert.Contains(b.Graph.Nodes, n => n.Op == "AddN" && n.Name.StartsWith("gradients/", StringComparison.Ordinal));
        using var s = new Session(b.Graph);
        Assert.Equal(7f, s.Run(g.Name, ("x:0", Tensor.FromScalar(3f))).Scalar<float>());
    }

    [Fact]
    public void StopGradient_blocks_and_unconnected_inputs_get_null()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [], "x");
        var z = b.Placeholder(DataType.DtFloat, [], "z");
        var y = b.Add(b.Multiply(b.StopGradient(x), x), b.Constant(1f)); // d/dx = stop(x) = x
        var g = Gradients.Compute(b, [y], [x, z]);
        Assert.Null(g[1]);
        using var s = new Session(b.Graph);
        Assert.Equal(3f, s.Run(g[0]!.Value.Name, ("x:0", Tensor.FromScalar(3f))).Scalar<float>());
        Assert.Null(Gradients.Compute(b, [b.StopGradient(x)], [x])[0]);
        Assert.All(b.Graph.Nodes.Where(n => n.Op == "Mul" && n.Name != "Mul"), n => Assert.StartsWith("gradients/Mul_grad/", n.Name));
    }

    [Fact]
    public void Grad_ys_weights_the_initial_gradient()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [2], "x");
        var y = b.Multiply(x, 3.0);
        var g = Gradients.Compute(b, [y], [x], [b.Constant(new[] { 1f, 10f }, [2])])[0]!.Value;
        using var s = new Session(b.Graph);
        Assert.Equal([3f, 30f], s.Run(g.Name, ("x:0", Tensor.Create(new[] { 1f, 1f }, 2))).ToArray<float>());
    }

    [Fact]
    public void Missing_gradient_names_the_op()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [2], "x");
        var y = b.Unary("Round", b.Unary("Sin", x));
        // MatrixExponential has a kernel but no gradient here (Sin, used before, now has one).
        var e = Assert.Throws<NotSupportedException>(() => Gradients.Compute(b, [b.Unary("MatrixExponential", x, "s2")], [x]));
        Assert.Contains("'MatrixExponential'", e.Message);
        Assert.Contains("'s2'", e.Message);
        Assert.Null(Gradients.Compute(b, [y], [x])[0]); // Round is not differentiable: no path
    }
}
