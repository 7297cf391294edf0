using System.Numerics;
using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using TypedGraph.Training;

namespace TypedGraph.Tests.Training;

/// <summary>
/// Gradients of ops that had a kernel and a TF gradient but none here: trig/hyperbolic, Atan2, the zero-safe binary ops,
/// Softsign, the backprop ops themselves (second order), segment/scatter/stitch ops, SplitV, PadV2, ReverseSequence,
/// the V1 Concat and FusedBatchNormV2 — each against central differences in double (CheckGraphGradient), or, for the
/// float-only linear conv/pool backprops, against the forward op run on unit vectors (exact for a linear map).
/// </summary>
public class GradientBreadthTests
{
    private static double[] Values(int n, int seed, double lo, double hi)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => lo + (hi - lo) * r.NextDouble()).ToArray();
    }

    private static Output Const(GraphBuilder b, double[] v, params int[] shape) => b.Constant(Tensor.Create(v, shape), "c");

    private static Output Op(GraphBuilder b, string op, Output[] inputs, Dictionary<string, AttrValue>? attrs = null)
        => b.OutputOf(b.AddOperation(op, inputs, attrs, op));

    [Theory]
    [InlineData("Sin", -3.0, 3.0)]
    [InlineData("Cos", -3.0, 3.0)]
    [InlineData("Tan", -1.2, 1.2)]
    [InlineData("Asin", -0.9, 0.9)]
    [InlineData("Acos", -0.9, 0.9)]
    [InlineData("Atan", -3.0, 3.0)]
    [InlineData("Sinh", -2.0, 2.0)]
    [InlineData("Cosh", -2.0, 2.0)]
    [InlineData("Asinh", -3.0, 3.0)]
    [InlineData("Acosh", 1.2, 4.0)]
    [InlineData("Atanh", -0.9, 0.9)]
    [InlineData("Softsign", -3.0, 3.0)]
    public void Unary_gradient_matches_central_differences(string op, double lo, double hi)
        => CentralDifferences.CheckGraphGradient((b, x) => b.Unary(op, x), Values(6, op.Length, lo, hi), [2, 3]);

    [Theory]
    [InlineData("Sin")]
    [InlineData("Cos")]
    [InlineData("Tan")]
    [InlineData("Sinh")]
    [InlineData("Cosh")]
    public void Complex_trig_gradient_conjugates_as_TF(string op)
        => ComplexGradientTests.Check((b, x) => b.Unary(op, x), ComplexGradientTests.Random(6, 120, scale: 1.2), [2, 3]);

    [Theory]
    [InlineData("Atan2", 0.3, 2.0)]
    [InlineData("Xlogy", 0.3, 2.0)]
    [InlineData("Xdivy", 0.3, 2.0)]
    [InlineData("DivNoNan", 0.3, 2.0)]
    [InlineData("MulNoNan", -2.0, 2.0)]
    [InlineData("FloorMod", 0.3, 2.0)]
    public void Binary_gradient_with_broadcasting_matches_central_differences(string op, double lo, double hi)
    {
        // [2, 3] against [3], each side as the variable (its gradient summed over the broadcast rows).
        var other = Values(3, 1, lo, hi);
        CentralDifferences.CheckGraphGradient((b, x) => b.Binary(op, x, Const(b, other, 3)), Values(6, 2, lo, hi), [2, 3]);
        var fixedX = Values(6, 3, lo, hi);
        CentralDifferences.CheckGraphGradient((b, y) => b.Binary(op, Const(b, fixedX, 2, 3), y), other, [3]);
    }

    [Fact]
    public void FloorMod_gradient_is_one_and_minus_floor_of_the_quotient_as_TF()
    {
        // math_grad.py _FloorModGrad: dx = grad, dy = −grad·floor(x / y), with negative operands (floor, not truncation).
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtDouble, [4], "x");
        var y = b.Placeholder(DataType.DtDouble, [4], "y");
        var w = b.Constant(Tensor.Create(new[] { 1.0, 2.0, -1.0, 0.5 }, 4), "w");
        var loss = b.ReduceSum(b.Multiply(b.Binary("FloorMod", x, y), w), [0]);
        var g = Gradients.Compute(b, [loss], [x, y]);
        using var s = new Session(b.Graph);
        var xs = new[] { 7.5, -3.5, 3.5, -7.25 };
        var ys = new[] { 2.0, 2.0, -2.0, -3.0 };
        var got = s.Run([g[0]!.Value.Name, g[1]!.Value.Name], new Dictionary<string, Tensor> { ["x:0"] = Tensor.Create(xs, 4), ["y:0"] = Tensor.Create(ys, 4) });
        Assert.Equal([1.0, 2.0, -1.0, 0.5], got[0].ToArray<double>());
        // floor(7.5/2) = 3, floor(−1.75) = −2, floor(−1.75) = −2, floor(2.4166…) = 2.
        Assert.Equal([-3.0, 2 * 2.0, -1 * 2.0, 0.5 * -2.0], got[1].ToArray<double>());
    }

    [Fact]
    public void Xlogy_x_gradient_is_zero_where_x_is_zero_as_TF()
    {
        // TF's partial_x = xlogy(x ≠ 0, y): 0 at x = 0 (the one-sided limit would be log y).
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtDouble, [2], "x");
        var z = b.Binary("Xlogy", x, b.Constant(Tensor.Create(new[] { 3.0, 3.0 }, 2), "y"));
        var g = Gradients.Compute(b, [b.ReduceSum(b.Reshape(z, [-1]), [0])], [x])[0]!.Value;
        using var s = new Session(b.Graph);
        Assert.Equal([0.0, Math.Log(3)], s.Run(g.Name, ("x:0", Tensor.Create(new[] { 0.0, 2.0 }, 2))).ToArray<double>());
    }

    /// <summary>f(x) = ∂(Σ w·op(x))/∂x built by Gradients.Compute: its own gradient runs the backprop op's gradient.</summary>
    private static Output FirstOrder(GraphBuilder b, Output x, string op)
    {
        var w = b.Constant(Tensor.Create(Values(6, 9, -1, 1), 2, 3), "w1");
        var y = b.Unary(op, x);
        return Gradients.Compute(b, [b.ReduceSum(b.Reshape(b.Multiply(y, w), [-1]), [0])], [x])[0]!.Value;
    }

    [Theory]
    [InlineData("Relu", -2.0, 2.0)]
    [InlineData("Relu6", -2.0, 8.0)]
    [InlineData("Elu", -2.0, 2.0)]
    [InlineData("Selu", -2.0, 2.0)]
    [InlineData("Softplus", -2.0, 2.0)]
    [InlineData("Tanh", -2.0, 2.0)]
    [InlineData("Sigmoid", -2.0, 2.0)]
    [InlineData("Sqrt", 0.5, 3.0)]
    [InlineData("Rsqrt", 0.5, 3.0)]
    [InlineData("Reciprocal", 0.5, 3.0)]
    [InlineData("Inv", 0.5, 3.0)]
    public void Second_order_gradient_through_the_backprop_op_matches_central_differences(string op, double lo, double hi)
    {
        // Values kept off the kinks (Relu/Relu6/Elu/Selu at 0 and 6), where the first derivative jumps.
        var x0 = Values(6, op.Length + 40, lo, hi).Select(v => Math.Abs(v) < 0.1 || Math.Abs(v - 6) < 0.1 ? v + 0.3 : v).ToArray();
        CentralDifferences.CheckGraphGradient((b, x) => FirstOrder(b, x, op), x0, [2, 3], tol: 1e-6);
    }

    [Theory]
    [InlineData("ReluGrad", 0)]
    [InlineData("ReluGrad", 1)]
    [InlineData("EluGrad", 1)]
    [InlineData("SeluGrad", 1)]
    [InlineData("SoftplusGrad", 0)]
    [InlineData("SoftplusGrad", 1)]
    [InlineData("TanhGrad", 0)]
    [InlineData("TanhGrad", 1)]
    [InlineData("SigmoidGrad", 0)]
    [InlineData("SigmoidGrad", 1)]
    [InlineData("SqrtGrad", 0)]
    [InlineData("SqrtGrad", 1)]
    [InlineData("RsqrtGrad", 0)]
    [InlineData("RsqrtGrad", 1)]
    [InlineData("ReciprocalGrad", 0)]
    [InlineData("ReciprocalGrad", 1)]
    public void Backprop_op_gradient_wrt_each_input_matches_central_differences(string op, int which)
    {
        // Both inputs positive and away from 0 (the activation masks switch there).
        var other = Values(6, 11, 0.4, 2.0);
        CentralDifferences.CheckGraphGradient((b, v) =>
        {
            var c = Const(b, other, 2, 3);
            return which == 0 ? b.Binary(op, v, c) : b.Binary(op, c, v);
        }, Values(6, 12 + which, 0.4, 2.0), [2, 3]);
    }

    [Theory]
    [InlineData("NHWC")]
    [InlineData("NCHW")]
    public void BiasAddGrad_gradient_broadcasts_back_over_the_input(string format)
        => CentralDifferences.CheckGraphGradient((b, x) => Op(b, "BiasAddGrad", [x], new() { ["data_format"] = Attrs.String(format) }),
            Values(24, 13, -1, 1), [2, 3, 2, 2]);

    /// <summary>
    /// A float op f linear in its placeholder v (others fixed): ∂(Σ w·f(v))/∂vᵢ from Gradients.Compute equals
    /// Σ w·f(eᵢ), run through the forward graph on each unit vector.
    /// </summary>
    internal static void CheckLinear(Func<GraphBuilder, Output, Output> f, int[] shape, int seed = 3, Func<int, float>? start = null)
    {
        var b = new GraphBuilder();
        var v = b.Placeholder(DataType.DtFloat, shape.Select(d => (long)d).ToArray(), "v");
        var y = f(b, v);
        var w = b.Placeholder(DataType.DtFloat, null, "w");
        var loss = b.ReduceSum(b.Reshape(b.Multiply(y, w), [-1]), [0]);
        var grad = Gradients.Compute(b, [loss], [v])[0]!.Value;
        using var s = new Session(b.Graph);
        int n = shape.Aggregate(1, (p, d) => p * d);
        var yShape = s.Run(y.Name, ("v:0", Tensor.Create(new float[n], shape))).Shape.ToArray();
        var r = new Random(seed);
        var wv = Tensor.Create(Enumerable.Range(0, yShape.Aggregate(1, (p, d) => p * d)).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray(), yShape);
        var v0 = Enumerable.Range(0, n).Select(start ?? (i => (float)Math.Cos(i))).ToArray();
        var analytic = s.Run(grad.Name, ("v:0", Tensor.Create(v0, shape)), ("w:0", wv)).ToArray<float>();
        for (int i = 0; i < n; i++)
        {
            var unit = new float[n];
            unit[i] = 1;
            float expected = s.Run(loss.Name, ("v:0", Tensor.Create(unit, shape)), ("w:0", wv)).ToArray<float>()[0];
            Assert.True(Math.Abs(expected - analytic[i]) <= 1e-5f * Math.Max(1, Math.Abs(expected)), $"[{i}]: expected {expected}, got {analytic[i]}");
        }
    }

    private static Dictionary<string, AttrValue> Conv(string padding) => new() { ["strides"] = Attrs.Ints(1, 2, 1, 1), ["padding"] = Attrs.String(padding) };

    [Theory]
    [InlineData("SAME")]
    [InlineData("VALID")]
    public void Conv2D_transpose_gradients_are_the_exact_linear_adjoints(string padding)
    {
        // Conv2DBackpropInput(input_sizes, filter, dy) — conv2d_transpose — in dy and in the filter; Conv2DBackpropFilter
        // in dy and in the input.
        int[] x = [1, 5, 4, 2], f = [3, 2, 2, 3];
        var conv = new GraphBuilder();
        var probe = Op(conv, "Conv2D", [conv.Placeholder(DataType.DtFloat, [1, 5, 4, 2], "x"), conv.Placeholder(DataType.DtFloat, [3, 2, 2, 3], "f")], Conv(padding));
        using var ps = new Session(conv.Graph);
        var dyShape = ps.Run(probe.Name, ("x:0", Tensor.Create(new float[40], x)), ("f:0", Tensor.Create(new float[36], f))).Shape.ToArray();
        int ndy = dyShape.Aggregate(1, (p, d) => p * d);
        var fv = Enumerable.Range(0, 36).Select(i => (float)Math.Sin(i + 1)).ToArray();
        var xv = Enumerable.Range(0, 40).Select(i => (float)Math.Cos(2 * i)).ToArray();
        var dyv = Enumerable.Range(0, ndy).Select(i => (float)Math.Sin(3 * i)).ToArray();
        CheckLinear((b, dy) => Op(b, "Conv2DBackpropInput", [b.Constant(x, "sizes"), b.Constant(Tensor.Create(fv, f), "f"), dy], Conv(padding)), dyShape);
        CheckLinear((b, filt) => Op(b, "Conv2DBackpropInput", [b.Constant(x, "sizes"), filt, b.Constant(Tensor.Create(dyv, dyShape), "dy")], Conv(padding)), f);
        CheckLinear((b, dy) => Op(b, "Conv2DBackpropFilter", [b.Constant(Tensor.Create(xv, x), "x"), b.Constant(f, "sizes"), dy], Conv(padding)), dyShape);
        CheckLinear((b, input) => Op(b, "Conv2DBackpropFilter", [input, b.Constant(f, "sizes"), b.Constant(Tensor.Create(dyv, dyShape), "dy")], Conv(padding)), x);
    }

    [Fact]
    public void AvgPoolGrad_gradient_is_the_exact_linear_adjoint()
        => CheckLinear((b, g) => Op(b, "AvgPoolGrad", [b.Constant(new[] { 1, 5, 4, 2 }, "shape"), g],
            new() { ["ksize"] = Attrs.Ints(1, 3, 2, 1), ["strides"] = Attrs.Ints(1, 2, 1, 1), ["padding"] = Attrs.String("SAME") }), [1, 3, 4, 2]);

    [Fact]
    public void Segment_and_scatter_gradients_match_central_differences()
    {
        var data = Values(10, 20, -1, 1);
        Func<GraphBuilder, Output> ids = b => b.Constant(Tensor.Create(new[] { 0, 0, 1, 3, 3 }, 5), "ids");
        CentralDifferences.CheckGraphGradient((b, x) => Op(b, "SegmentSum", [x, ids(b)]), data, [5, 2]);
        CentralDifferences.CheckGraphGradient((b, x) => Op(b, "SegmentMean", [x, ids(b)]), data, [5, 2]);
        // A negative id drops its row (zero gradient there).
        CentralDifferences.CheckGraphGradient((b, x) => Op(b, "UnsortedSegmentSum",
            [x, b.Constant(Tensor.Create(new[] { 2, -1, 0, 2, 1 }, 5), "ids"), b.Constant(3, "n")]), data, [5, 2]);
        Func<GraphBuilder, Output> indices = b => b.Constant(Tensor.Create(new[] { 2, 0, 3 }, 3, 1), "indices");
        CentralDifferences.CheckGraphGradient((b, u) => Op(b, "ScatterNd", [indices(b), u, b.Constant(new[] { 5, 2 }, "shape")]), Values(6, 21, -1, 1), [3, 2]);
        foreach (var kind in new[] { "TensorScatterUpdate", "TensorScatterAdd", "TensorScatterSub" })
        {
            var updates = Values(6, 22, -1, 1);
            CentralDifferences.CheckGraphGradient((b, t) => Op(b, kind, [t, indices(b), Const(b, updates, 3, 2)]), data, [5, 2]);
            CentralDifferences.CheckGraphGradient((b, u) => Op(b, kind, [Const(b, data, 5, 2), indices(b), u]), updates, [3, 2]);
        }
    }

    [Fact]
    public void DynamicStitch_SplitV_PadV2_ReverseSequence_and_Concat_gradients_match_central_differences()
    {
        var d = Values(6, 30, -1, 1);
        CentralDifferences.CheckGraphGradient((b, x) => Op(b, "DynamicStitch",
            [b.Constant(Tensor.Create(new[] { 0, 4, 2 }, 3), "i0"), b.Constant(Tensor.Create(new[] { 1, 3 }, 2), "i1"), x, Const(b, [5, 6, 7, 8], 2, 2)], new() { ["N"] = Attrs.Int(2) }), d, [3, 2]);
        // SplitV into [1, 3, 2] columns with the middle part unused (its gradient is zeros).
        CentralDifferences.CheckGraphGradient((b, x) =>
        {
            var split = b.AddOperation("SplitV", [x, b.Constant(new[] { 1, 3, 2 }, "sizes"), b.Constant(1, "axis")], new Dictionary<string, AttrValue> { ["num_split"] = Attrs.Int(3) }, "SplitV");
            return b.Concat([b.OutputOf(split, 0), b.Multiply(b.OutputOf(split, 2), 2.0)], 1);
        }, Values(12, 31, -1, 1), [2, 6]);
        CentralDifferences.CheckGraphGradient((b, x) => Op(b, "PadV2", [x, b.Constant(Tensor.Create(new[] { 1, 0, 0, 2 }, 2, 2), "pads"), b.Constant(Tensor.FromScalar(-1.5), "value")]), d, [2, 3]);
        CentralDifferences.CheckGraphGradient((b, x) => Op(b, "ReverseSequence", [x, b.Constant(Tensor.Create(new long[] { 2, 4, 1 }, 3), "lengths")],
            new() { ["seq_dim"] = Attrs.Int(1), ["batch_dim"] = Attrs.Int(0) }), Values(12, 32, -1, 1), [3, 4]);
        CentralDifferences.CheckGraphGradient((b, x) => Op(b, "Concat", [b.Constant(1, "axis"), x, Const(b, [1, 2], 2, 1), b.Multiply(x, 3.0)], new() { ["N"] = Attrs.Int(3) }), d, [2, 3]);
    }

    [Fact]
    public void FusedBatchNormV2_gradient_equals_V1s_on_the_same_inputs()
    {
        var xv = Tensor.Create(Enumerable.Range(0, 24).Select(i => (float)Math.Sin(i * 0.7)).ToArray(), 2, 3, 2, 2);
        float[] Grad(string op)
        {
            var b = new GraphBuilder();
            var x = b.Placeholder(DataType.DtFloat, [2, 3, 2, 2], "x");
            var node = b.AddOperation(op, [x, b.Constant(new float[] { 1.5f, -0.5f }, [2], "scale"), b.Constant(new float[] { 0.1f, 0.2f }, [2], "offset"),
                b.Constant(new float[0], [0], "mean"), b.Constant(new float[0], [0], "variance")], new Dictionary<string, AttrValue> { ["epsilon"] = Attrs.Float(1e-3f), ["is_training"] = Attrs.Bool(true) }, op);
            var y = b.OutputOf(node, 0);
            var loss = b.ReduceSum(b.Reshape(b.Multiply(y, y), [-1]), [0]);
            var g = Gradients.Compute(b, [loss], [x])[0]!.Value;
            using var s = new Session(b.Graph);
            return s.Run(g.Name, ("x:0", xv)).ToArray<float>();
        }
        var v1 = Grad("FusedBatchNorm");
        Assert.Contains(v1, v => Math.Abs(v) > 1e-3f);
        Assert.Equal(v1, Grad("FusedBatchNormV2"));
    }
}
