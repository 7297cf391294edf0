using TypedGraph.Building;

namespace TypedGraph.Training;

/// <summary>
/// Gradients of the backprop ops themselves, so a gradient can be differentiated again (gradient penalties, Hessian-vector
/// products, and conv2d_transpose layers, whose forward op is Conv2DBackpropInput). As TF's nn_grad.py / math_grad.py:
/// <list type="bullet">
/// <item><c>_ReluGradGrad</c>, <c>_Relu6GradGrad</c>: (ReluGrad(g, x), zeros) — the mask is piecewise constant in x;</item>
/// <item><c>_EluGradGrad</c>, <c>_SeluGradGrad</c>: (EluGrad/SeluGrad(g, y), where(y &lt; 0, g·dy, 0));</item>
/// <item><c>_SoftplusGradGrad</c>: (SoftplusGrad(g, x), g·dy/(e⁻ˣ + 2 + eˣ));</item>
/// <item><c>_TanhGradGrad</c>: (−2·g·dy·y, TanhGrad(y, g)); <c>_SigmoidGradGrad</c>: (g·dy − 2·g·dy·y, SigmoidGrad(y, g));</item>
/// <item><c>_SqrtGradGrad</c>: (−conj(g/y)·out, ½·g/y); <c>_RsqrtGradGrad</c>: (−1.5·conj g·dy·conj(y)², RsqrtGrad(conj y, g));
/// <c>_ReciprocalGradGrad</c> (and InvGrad): (−2·conj g·dy·conj y, ReciprocalGrad(conj y, g));</item>
/// <item><c>_BiasAddGradGrad</c>: the bias gradient broadcast back over the input's shape (NHWC: the last dim; NCHW: dim 1);</item>
/// <item><c>_AvgPoolGradGrad</c>: (none, AvgPool(g));</item>
/// <item><c>_Conv2DBackpropInputGrad</c>: (none, Conv2DBackpropFilter(g, shape(filter), dy), Conv2D(g, filter));
/// <c>_Conv2DBackpropFilterGrad</c>: (Conv2DBackpropInput(shape(x), g, dy), none, Conv2D(x, g)) — dilations, strides,
/// padding, explicit_paddings and data_format copied.</item>
/// </list>
/// </summary>
internal static class SecondOrderGradients
{
    private static readonly string[] ConvAttrs = ["dilations", "strides", "padding", "explicit_paddings", "data_format", "use_cudnn_on_gpu"];

    public static void Register()
    {
        foreach (var op in new[] { "ReluGrad", "Relu6Grad" })
        {
            string kind = op;
            GradientRegistry.Register(kind, (c, n, g) => [c.Builder.Binary(kind, g[0]!.Value, c.In(n, 1), kind), c.Builder.ZerosLike(c.In(n, 1))]);
        }
        foreach (var op in new[] { "EluGrad", "SeluGrad" })
        {
            string kind = op;
            GradientRegistry.Register(kind, (c, n, g) =>
            {
                var b = c.Builder;
                var y = c.In(n, 1);
                var grad = g[0]!.Value;
                var negative = b.Less(y, b.ZerosLike(y, "zeros_like"), "Less");
                return [b.Binary(kind, grad, y, kind), b.Select(negative, b.Multiply(grad, c.In(n, 0), "mul"), b.ZerosLike(y, "zeros_like_1"))];
            });
        }
        GradientRegistry.Register("SoftplusGrad", (c, n, g) =>
        {
            var b = c.Builder;
            Output dy = c.In(n, 0), x = c.In(n, 1), grad = g[0]!.Value;
            using (b.ControlDependencies([grad.NodeName]))
            {
                var ddy = b.Binary("SoftplusGrad", grad, x, "SoftplusGrad");
                var den = b.Add(b.Add(b.Exp(b.Negate(x)), c.Scalar(2, x)), b.Exp(x));
                return [ddy, b.Divide(b.Multiply(grad, dy, "mul"), den)];
            }
        });
        // d/dy TanhGrad(y, dy) = −2·dy·y; d/dy SigmoidGrad(y, dy) = dy − 2·dy·y; d/d(dy) is the op itself on (y, g).
        YDyGrad("TanhGrad", (b, grad, y, dy) => b.Multiply(b.Multiply(b.Multiply(grad, -2.0), dy), y));
        YDyGrad("SigmoidGrad", (b, grad, y, dy) =>
        {
            var gb = b.Multiply(grad, dy, "mul");
            return b.Subtract(gb, b.Multiply(b.Multiply(gb, 2.0), y));
        });
        GradientRegistry.Register("SqrtGrad", (c, n, g) =>
        {
            var b = c.Builder;
            var grad = g[0]!.Value;
            using (b.ControlDependencies([grad.NodeName]))
            {
                var ga = b.Divide(grad, c.In(n, 0));
                return [b.Multiply(b.Negate(ComplexGradients.Conj(c, ga)), c.Out(n), "mul"), b.Multiply(ga, 0.5)];
            }
        });
        GradientRegistry.Register("RsqrtGrad", (c, n, g) =>
        {
            var b = c.Builder;
            var grad = g[0]!.Value;
            using (b.ControlDependencies([grad.NodeName]))
            {
                var ca = ComplexGradients.Conj(c, c.In(n, 0));
                var cg = ComplexGradients.Conj(c, grad, "Conj_1");
                var gradA = b.Multiply(b.Multiply(b.Multiply(cg, -1.5), c.In(n, 1)), b.Square(ca));
                return [gradA, b.Binary("RsqrtGrad", ca, grad, "RsqrtGrad")];
            }
        });
        foreach (var op in new[] { "ReciprocalGrad", "InvGrad" })
        {
            string kind = op;
            GradientRegistry.Register(kind, (c, n, g) =>
            {
                var b = c.Builder;
                var grad = g[0]!.Value;
                using (b.ControlDependencies([grad.NodeName]))
                {
                    var ca = ComplexGradients.Conj(c, c.In(n, 0));
                    var cg = ComplexGradients.Conj(c, grad, "Conj_1");
                    return [b.Multiply(b.Multiply(b.Multiply(cg, -2.0), c.In(n, 1)), ca), b.Binary(kind, ca, grad, kind)];
                }
            });
        }
        GradientRegistry.Register("BiasAddGrad", (c, n, g) =>
        {
            // The bias gradient (one value per channel) broadcast over the input: reshape to [1, …, C] (NHWC) or
            // [1, C, 1, …] (NCHW), then broadcast to shape(input) — TF's _BiasAddGradGrad tiles the same reshape.
            var b = c.Builder;
            var input = c.In(n, 0);
            var grad = g[0]!.Value;
            int rank = StaticShapes.Of(b, input)?.Length ?? throw new NotSupportedException($"Gradient of '{n.Name}' (BiasAddGrad) needs the input's rank to be known.");
            int channel = n.GetString("data_format", "NHWC") == "NCHW" ? 1 : rank - 1;
            var expanded = Enumerable.Repeat(1, rank).ToArray();
            expanded[channel] = -1;
            return [b.OutputOf(b.AddOperation("BroadcastTo", [b.Reshape(grad, expanded, "Reshape"), b.Shape(input, "Shape")], null, "BroadcastTo"))];
        });
        GradientRegistry.Register("AvgPoolGrad", (c, n, g) =>
            [null, c.Builder.OutputOf(c.Builder.AddOperation("AvgPool", [g[0]!.Value], GradientContext.CopyAttrs(n, "ksize", "strides", "padding", "data_format"), "AvgPool"))]);
        GradientRegistry.Register("Conv2DBackpropInput", (c, n, g) =>
        {
            var b = c.Builder;
            var filter = c.In(n, 1);
            var dFilter = b.OutputOf(b.AddOperation("Conv2DBackpropFilter", [g[0]!.Value, b.Shape(filter, "Shape"), c.In(n, 2)], GradientContext.CopyAttrs(n, ConvAttrs), "Conv2DBackpropFilter"));
            var dOut = b.OutputOf(b.AddOperation("Conv2D", [g[0]!.Value, filter], GradientContext.CopyAttrs(n, ConvAttrs), "Conv2D"));
            return [null, dFilter, dOut];
        });
        GradientRegistry.Register("Conv2DBackpropFilter", (c, n, g) =>
        {
            var b = c.Builder;
            var input = c.In(n, 0);
            var dInput = b.OutputOf(b.AddOperation("Conv2DBackpropInput", [b.Shape(input, "Shape"), g[0]!.Value, c.In(n, 2)], GradientContext.CopyAttrs(n, ConvAttrs), "Conv2DBackpropInput"));
            var dOut = b.OutputOf(b.AddOperation("Conv2D", [input, g[0]!.Value], GradientContext.CopyAttrs(n, ConvAttrs), "Conv2D"));
            return [dInput, null, dOut];
        });
    }

    // TF's _TanhGradGrad / _SigmoidGradGrad: (yPartial(g, conj y, conj dy), kind(conj y, g)), after g.
    private static void YDyGrad(string kind, Func<GraphBuilder, Output, Output, Output, Output> yPartial)
        => GradientRegistry.Register(kind, (c, n, g) =>
        {
            var b = c.Builder;
            var grad = g[0]!.Value;
            using (b.ControlDependencies([grad.NodeName]))
            {
                var y = ComplexGradients.Conj(c, c.In(n, 0));
                var dy = ComplexGradients.Conj(c, c.In(n, 1), "Conj_1");
                return [yPartial(b, grad, y, dy), b.Binary(kind, y, grad, kind)];
            }
        });
}
