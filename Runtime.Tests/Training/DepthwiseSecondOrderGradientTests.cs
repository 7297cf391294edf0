using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Training;

namespace TypedGraph.Tests.Training;

/// <summary>
/// Second order through the depthwise backprop ops (nn_grad.py <c>_DepthwiseConv2dNativeBackpropInputGrad</c> /
/// <c>_DepthwiseConv2dNativeBackpropFilterGrad</c>). Each op is linear in each differentiable input, so the gradient
/// of Σ w·op(v) at any v must equal, element by element, the loss at the unit vector eᵢ — computed by running the
/// forward op (float-only kernels, so no double central differences).
/// </summary>
public class DepthwiseSecondOrderGradientTests
{
    private static Dictionary<string, AttrValue> Conv(string padding) => new()
    {
        ["strides"] = Attrs.Ints(1, 2, 1, 1),
        ["padding"] = Attrs.String(padding),
    };

    private static Output Op(GraphBuilder b, string op, Output[] inputs, string padding) => b.OutputOf(b.AddOperation(op, inputs, Conv(padding), op));

    // The shared unit-vector adjoint check, with this file's own seed and starting point.
    private static void CheckLinear(Func<GraphBuilder, Output, Output> f, int[] shape)
        => GradientBreadthTests.CheckLinear(f, shape, seed: 5, start: i => (float)Math.Sin(i + 0.5));

    [Theory]
    [InlineData("SAME")]
    [InlineData("VALID")]
    public void Backprop_op_gradients_are_the_exact_linear_adjoints(string padding)
    {
        // Input [1, 5, 4, 2], filter [3, 2, 2, 2] (channel multiplier 2), strides [1, 2, 1, 1].
        int[] x = [1, 5, 4, 2], f = [3, 2, 2, 2];
        var probe = new GraphBuilder();
        var fwd = Op(probe, "DepthwiseConv2dNative", [probe.Placeholder(DataType.DtFloat, [1, 5, 4, 2], "x"), probe.Placeholder(DataType.DtFloat, [3, 2, 2, 2], "f")], padding);
        using var ps = new Session(probe.Graph);
        var dyShape = ps.Run(fwd.Name, ("x:0", Tensor.Create(new float[40], x)), ("f:0", Tensor.Create(new float[24], f))).Shape.ToArray();
        int ndy = dyShape.Aggregate(1, (p, d) => p * d);
        var fv = Enumerable.Range(0, 24).Select(i => (float)Math.Cos(i + 1)).ToArray();
        var xv = Enumerable.Range(0, 40).Select(i => (float)Math.Sin(2 * i)).ToArray();
        var dyv = Enumerable.Range(0, ndy).Select(i => (float)Math.Cos(3 * i)).ToArray();
        CheckLinear((b, dy) => Op(b, "DepthwiseConv2dNativeBackpropInput", [b.Constant(x, "sizes"), b.Constant(Tensor.Create(fv, f), "f"), dy], padding), dyShape);
        CheckLinear((b, filt) => Op(b, "DepthwiseConv2dNativeBackpropInput", [b.Constant(x, "sizes"), filt, b.Constant(Tensor.Create(dyv, dyShape), "dy")], padding), f);
        CheckLinear((b, dy) => Op(b, "DepthwiseConv2dNativeBackpropFilter", [b.Constant(Tensor.Create(xv, x), "x"), b.Constant(f, "sizes"), dy], padding), dyShape);
        CheckLinear((b, input) => Op(b, "DepthwiseConv2dNativeBackpropFilter", [input, b.Constant(f, "sizes"), b.Constant(Tensor.Create(dyv, dyShape), "dy")], padding), x);
    }
}
