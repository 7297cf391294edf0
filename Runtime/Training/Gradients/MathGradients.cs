using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>Gradients of math ops, after TF's <c>math_grad.py</c> (same op types and node names).</summary>
internal static class MathGradients
{
    public static void Register()
    {
        GradientRegistry.NotDifferentiable("Shape", "ShapeN", "Size", "Rank", "ArgMax", "ArgMin", "Equal", "NotEqual", "Greater", "GreaterEqual",
            "Less", "LessEqual", "LogicalAnd", "LogicalOr", "LogicalNot", "FloorDiv", "TruncateDiv", "ZerosLike", "OnesLike", "Const",
            "Placeholder", "RandomUniform", "RandomStandardNormal", "TruncatedNormal", "BroadcastGradientArgs", "Range", "OneHot", "StopGradient",
            "VariableV2", "VarHandleOp", "Floor", "Ceil", "Round", "Rint", "Sign", "ConcatOffset", "InvertPermutation");

        GradientRegistry.Register("Add", AddGrad);
        GradientRegistry.Register("AddV2", AddGrad);
        GradientRegistry.Register("Sub", (c, op, g) => c.BroadcastReduce(c.In(op, 0), c.In(op, 1), () => g[0], () => g[0], s => c.Builder.Negate(s)));
        GradientRegistry.Register("Mul", (c, op, g) =>
        {
            // _MulGrad: grad·conj(y), conj(x)·grad (conj is no node for real dtypes).
            var x = c.In(op, 0);
            var y = c.In(op, 1);
            return c.BroadcastReduce(x, y, () => c.Builder.Multiply(g[0]!.Value, ComplexGradients.Conj(c, y), "mul"), () => c.Builder.Multiply(ComplexGradients.Conj(c, x), g[0]!.Value, "mul"));
        });
        GradientRegistry.Register("RealDiv", DivGrad);
        GradientRegistry.Register("Div", DivGrad);
        // _FloorModGrad (math_grad.py): grad · (1, −floor_div(x, y)), each side summed over its broadcast dims.
        GradientRegistry.Register("FloorMod", (c, op, g) =>
        {
            var b = c.Builder;
            var x = ComplexGradients.Conj(c, c.In(op, 0));
            var y = ComplexGradients.Conj(c, c.In(op, 1));
            return c.BroadcastReduce(c.In(op, 0), c.In(op, 1), () => g[0],
                () => b.Multiply(g[0]!.Value, b.Negate(b.Binary("FloorDiv", x, y, "floordiv")), "mul"));
        });
        GradientRegistry.Register("Maximum", (c, op, g) => MinMaxGrad(c, op, g[0]!.Value, "GreaterEqual"));
        GradientRegistry.Register("Minimum", (c, op, g) => MinMaxGrad(c, op, g[0]!.Value, "LessEqual"));
        GradientRegistry.Register("SquaredDifference", (c, op, g) =>
        {
            var b = c.Builder;
            var x = c.In(op, 0);
            var y = c.In(op, 1);
            Output? xg = null;
            return c.BroadcastReduce(x, y, () =>
            {
                Output scale;
                using (b.ControlDependencies([g[0]!.Value.NodeName])) scale = c.Scalar(2, x, "scalar");
                xg = b.Multiply(scale, b.Subtract(x, y, "sub"), "mul");
                xg = b.Multiply(g[0]!.Value, xg.Value, "mul");
                return xg;
            }, () => xg, s => b.Negate(s));
        });
        GradientRegistry.Register("Pow", (c, op, g) =>
        {
            // dx = grad · y · x^(y−1); dy = grad · z · log(x), with log(x) taken as 0 where x ≤ 0 (TF's _PowGrad).
            var b = c.Builder;
            // Complex: TF conjugates x, y, z first and masks x ≠ 0 instead of x > 0.
            var x = ComplexGradients.Conj(c, c.In(op, 0));
            var y = ComplexGradients.Conj(c, c.In(op, 1));
            var z = ComplexGradients.Conj(c, c.Out(op));
            var grad = g[0]!.Value;
            return c.BroadcastReduce(c.In(op, 0), c.In(op, 1),
                () => b.Multiply(b.Multiply(grad, y, "mul"), b.Pow(x, b.Subtract(y, b.ScalarConstant(1, y.BaseType, "sub/y"), "sub")), "mul"),
                () =>
                {
                    var positive = ComplexGradients.IsComplex(x.BaseType) ? b.Binary("NotEqual", x, b.ZerosLike(x, "zeros_like"), "NotEqual") : b.Greater(x, b.ZerosLike(x, "zeros_like"));
                    var safe = b.Select(positive, x, b.OnesLike(x, "ones_like"));
                    var log = b.Select(positive, b.Log(safe), b.ZerosLike(x, "zeros_like"));
                    return b.Multiply(b.Multiply(grad, z, "mul"), log, "mul");
                });
        });
        GradientRegistry.Register("Neg", (c, op, g) => [c.Builder.Negate(g[0]!.Value)]);
        GradientRegistry.Register("Square", (c, op, g) =>
        {
            var b = c.Builder;
            var x = ComplexGradients.Conj(c, c.In(op, 0));
            Output two;
            using (b.ControlDependencies([g[0]!.Value.NodeName])) two = c.Scalar(2, x);
            return [b.Multiply(g[0]!.Value, b.Multiply(x, two))];
        });
        GradientRegistry.Register("Sqrt", (c, op, g) => [CwiseGrad(c, "SqrtGrad", c.Out(op), g[0]!.Value)]);
        GradientRegistry.Register("Rsqrt", (c, op, g) => [CwiseGrad(c, "RsqrtGrad", c.Out(op), g[0]!.Value)]);
        GradientRegistry.Register("Reciprocal", (c, op, g) => [CwiseGrad(c, "ReciprocalGrad", c.Out(op), g[0]!.Value)]);
        GradientRegistry.Register("Inv", (c, op, g) => [CwiseGrad(c, "InvGrad", c.Out(op), g[0]!.Value)]);
        // _SigmoidGrad/_TanhGrad conjugate y before the backprop kernel; _ExpGrad multiplies by conj(y).
        GradientRegistry.Register("Sigmoid", (c, op, g) => [CwiseGrad(c, "SigmoidGrad", ComplexGradients.Conj(c, c.Out(op)), g[0]!.Value)]);
        GradientRegistry.Register("Tanh", (c, op, g) => [CwiseGrad(c, "TanhGrad", ComplexGradients.Conj(c, c.Out(op)), g[0]!.Value)]);
        GradientRegistry.Register("Exp", (c, op, g) => [c.Builder.Multiply(g[0]!.Value, ComplexGradients.Conj(c, c.Out(op)), "mul")]);
        GradientRegistry.Register("Log", (c, op, g) =>
        {
            Output r;
            using (c.Builder.ControlDependencies([g[0]!.Value.NodeName])) r = c.Builder.Reciprocal(ComplexGradients.Conj(c, c.In(op, 0)));
            return [c.Builder.Multiply(g[0]!.Value, r, "mul")];
        });
        GradientRegistry.Register("Abs", (c, op, g) => [c.Builder.Multiply(g[0]!.Value, c.Builder.Unary("Sign", c.In(op, 0)), "mul")]);
        GradientRegistry.Register("AddN", (c, op, g) => Enumerable.Repeat<Output?>(g[0], op.Inputs.Count).ToArray());
        GradientRegistry.Register("MatMul", MatMulGrad);
        GradientRegistry.Register("Sum", (c, op, g) => [SumGrad(c, op, g[0]!.Value), null]);
        GradientRegistry.Register("Mean", (c, op, g) => [MeanGrad(c, op, g[0]!.Value), null]);
        GradientRegistry.Register("Cast", (c, op, g) =>
        {
            var src = op.GetType("SrcT");
            // _CastGrad: only between the float and complex types (a complex gradient cast to real keeps its real part).
            return src is DataType.DtFloat or DataType.DtDouble or DataType.DtHalf or DataType.DtBfloat16 or DataType.DtComplex64 or DataType.DtComplex128
                ? [c.Builder.Cast(g[0]!.Value, src)] : [null];
        });
    }

    private static Output?[] AddGrad(GradientContext c, Node op, Output?[] g)
        => c.BroadcastReduce(c.In(op, 0), c.In(op, 1), () => g[0], () => g[0]);

    private static Output CwiseGrad(GradientContext c, string opType, Output y, Output grad)
    {
        using (c.Builder.ControlDependencies([grad.NodeName])) return c.Builder.Binary(opType, y, grad, opType);
    }

    private static Output?[] DivGrad(GradientContext c, Node op, Output?[] g)
    {
        var b = c.Builder;
        // _DivGrad/_RealDivGrad divide by conj(y) and use conj(x) (no nodes for real dtypes).
        var x = ComplexGradients.Conj(c, c.In(op, 0));
        var y = ComplexGradients.Conj(c, c.In(op, 1));
        var grad = g[0]!.Value;
        return c.BroadcastReduce(c.In(op, 0), c.In(op, 1), () => b.Binary(op.Op, grad, y, "truediv"), () =>
        {
            var q = b.Binary(op.Op, b.Binary(op.Op, b.Negate(x), y, "truediv"), y, "truediv");
            return b.Multiply(grad, q, "mul");
        });
    }

    private static Output?[] MinMaxGrad(GradientContext c, Node op, Output grad, string compare)
    {
        var b = c.Builder;
        var x = c.In(op, 0);
        var y = c.In(op, 1);
        var zeros = b.ZerosLike(grad, "zeros_like");
        var mask = b.Binary(compare, x, y, compare);
        return c.BroadcastReduce(x, y, () => b.Select(mask, grad, zeros), () => b.Select(mask, zeros, grad, "Select_1"));
    }

    private static Output?[] MatMulGrad(GradientContext c, Node op, Output?[] g)
    {
        var b = c.Builder;
        // _MatMulGrad conjugates both operands first.
        var a = ComplexGradients.Conj(c, c.In(op, 0));
        var w = ComplexGradients.Conj(c, c.In(op, 1));
        var grad = g[0]!.Value;
        bool ta = op.GetBool("transpose_a", false), tb = op.GetBool("transpose_b", false);
        return (ta, tb) switch
        {
            (false, false) => [b.MatMul(grad, w, transposeB: true), b.MatMul(a, grad, transposeA: true)],
            (false, true) => [b.MatMul(grad, w), b.MatMul(grad, a, transposeA: true)],
            (true, false) => [b.MatMul(w, grad, transposeB: true), b.MatMul(a, grad)],
            (true, true) => [b.MatMul(w, grad, true, true), b.MatMul(grad, a, true, true)],
        };
    }

    // TF's _SumGrad: reshape the gradient to the kept-dims shape, then tile it back to the input shape.
    internal static Output SumGrad(GradientContext c, Node op, Output grad)
    {
        var b = c.Builder;
        var x = c.In(op, 0);
        var shape = StaticShapes.Of(b, x)
            ?? throw new NotSupportedException($"Gradient of '{op.Name}' ({op.Op}) needs the static rank of its input '{x.Name}', which is unknown.");
        var axes = StaticShapes.ConstValues(b, op.Inputs[1])
            ?? throw new NotSupportedException($"Gradient of '{op.Name}' ({op.Op}) needs constant reduction indices.");
        int rank = shape.Length;
        var reduced = axes.Select(a => (int)(a < 0 ? a + rank : a)).ToHashSet();
        if (reduced.Count == rank)
        {
            var r = b.Reshape(grad, Enumerable.Repeat(1, rank).ToArray(), "Reshape");
            return b.Tile(r, c.ShapeOf(x, "Shape"));
        }
        // kept = shape with reduced dims set to 1; multiples = 1 on kept dims and the input size on reduced ones.
        var s = c.ShapeOf(x, "Shape");
        var keepMask = Enumerable.Range(0, rank).Select(i => reduced.Contains(i) ? 0 : 1).ToArray();
        var redMask = keepMask.Select(m => 1 - m).ToArray();
        var kept = b.Add(b.Multiply(s, c.Ints(keepMask, "keep_mask")), c.Ints(redMask, "reduced_mask"), "kept_dims");
        var multiples = b.Add(b.Multiply(s, c.Ints(redMask, "reduced_mask")), c.Ints(keepMask, "keep_mask"), "multiples");
        return b.Tile(b.Reshape(grad, kept, "Reshape"), multiples);
    }

    private static Output MeanGrad(GradientContext c, Node op, Output grad)
    {
        var b = c.Builder;
        var sum = SumGrad(c, op, grad);
        var inShape = c.ShapeOf(c.In(op, 0), "Shape_1");
        var outShape = c.ShapeOf(c.Out(op), "Shape_2");
        Output factor;
        using (b.ColocateWith(inShape.NodeName)) // as TF's _MeanGrad: the size arithmetic sits with the input shape
        {
            var inSize = b.OutputOf(b.AddOperation("Prod", [inShape, c.Ints([0])], null, "Prod"));
            var outSize = b.OutputOf(b.AddOperation("Prod", [outShape, c.Ints([0])], null, "Prod"));
            factor = b.Binary("FloorDiv", inSize, b.Maximum(outSize, b.Constant(1, "Maximum/y")), "floordiv");
        }
        return b.Divide(sum, b.Cast(factor, sum.BaseType), "truediv");
    }
}
