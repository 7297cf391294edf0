using AttributeProto = TypedGraph.Onnx.Protos.AttributeProto;
using TypedGraph.Protos;

namespace TypedGraph.Onnx.Conversion;

/// <summary>
/// Elementwise ops. They are layout-agnostic, so a tensor already in NCHW (after a converted conv or pool) stays
/// NCHW through them: that is how the layout transposes end up at the edges of each conv region.
/// </summary>
internal sealed partial class GraphConversion
{
    private void RegisterElementwise()
    {
        // Same math in both: TF's cwise ops (tensorflow/core/kernels/cwise_ops.h) and ONNX's operators.
        (string Tf, string Onnx)[] unary =
        [
            ("Abs", "Abs"), ("Neg", "Neg"), ("Exp", "Exp"), ("Log", "Log"), ("Sqrt", "Sqrt"), ("Reciprocal", "Reciprocal"),
            ("Inv", "Reciprocal"), ("Floor", "Floor"), ("Ceil", "Ceil"), ("Sign", "Sign"), ("Sigmoid", "Sigmoid"),
            ("Tanh", "Tanh"), ("Relu", "Relu"), ("Elu", "Elu"), ("Selu", "Selu"), ("Softplus", "Softplus"),
            ("Softsign", "Softsign"), ("Erf", "Erf"), ("Sin", "Sin"), ("Cos", "Cos"), ("Tan", "Tan"), ("Asin", "Asin"),
            ("Acos", "Acos"), ("Atan", "Atan"), ("Sinh", "Sinh"), ("Cosh", "Cosh"), ("Asinh", "Asinh"), ("Acosh", "Acosh"),
            ("Atanh", "Atanh"), ("IsNan", "IsNaN"), ("LogicalNot", "Not"),
            // TF Round is round-half-to-even (std::nearbyint); so is ONNX Round.
            ("Round", "Round"), ("Rint", "Round"),
        ];
        foreach (var (tf, onnx) in unary) _converters[tf] = n => Unary(n, onnx);
        foreach (var op in new[] { "Identity", "StopGradient", "Snapshot", "PreventGradient", "PlaceholderWithDefault", "EnsureShape" })
            _converters[op] = n => Alias(n, 0, InputRef(n, 0));
        _converters["IdentityN"] = n => { for (int i = 0; i < n.Inputs.Count; i++) Alias(n, i, n.Inputs[i]); };
        _converters["Rsqrt"] = n => UnaryChain(n, x => Emit("Sqrt", [x], Temp(n, "sqrt")), "Reciprocal");
        _converters["Square"] = n => UnaryWith(n, x => ("Mul", [x, x], []));
        _converters["Relu6"] = n =>
        {
            var dt = DType(InputRef(n, 0));
            string lo = ScalarConst(n, "zero", dt, 0), hi = ScalarConst(n, "six", dt, 6);
            UnaryWith(n, x => ("Clip", [x, lo, hi], []));
        };
        _converters["LeakyRelu"] = n => UnaryWith(n, x => ("LeakyRelu", [x], [Float("alpha", n.GetFloat("alpha", 0.2f))]));
        _converters["Cast"] = n =>
        {
            var to = (long)OnnxTypeOf(n, n.GetType("DstT"));
            UnaryWith(n, x => ("Cast", [x], [Int("to", to)]));
        };

        (string Tf, string Onnx)[] binary =
        [
            ("Add", "Add"), ("AddV2", "Add"), ("Sub", "Sub"), ("Mul", "Mul"), ("RealDiv", "Div"), ("Maximum", "Max"),
            ("Minimum", "Min"), ("Pow", "Pow"), ("Equal", "Equal"), ("Greater", "Greater"), ("GreaterEqual", "GreaterOrEqual"),
            ("Less", "Less"), ("LessEqual", "LessOrEqual"), ("LogicalAnd", "And"), ("LogicalOr", "Or"),
            // Integer Div truncates in TF (functor::safe_div, C++ '/') as in ONNX Div.
            ("Div", "Div"),
        ];
        foreach (var (tf, onnx) in binary) _converters[tf] = n => Binary(n, onnx);
        _converters["NotEqual"] = n => BinaryThen(n, "Equal", "Not");
        _converters["SquaredDifference"] = n => BinaryWith(n, (a, b, name) =>
        {
            var d = Emit("Sub", [a, b], Temp(n, "diff"));
            return Emit("Mul", [d, d], name);
        });
        _converters["FloorDiv"] = n => BinaryWith(n, (a, b, name) =>
        {
            if (IsFloat(DType(InputRef(n, 0)))) return Emit("Floor", [Emit("Div", [a, b], Temp(n, "div"))], name);
            // Integers: TF rounds toward -inf (functor::safe_floor_div); (a - floormod(a, b)) / b is exact in integers.
            var mod = Emit("Mod", [a, b], Temp(n, "mod"), Int("fmod", 0));
            return Emit("Div", [Emit("Sub", [a, mod], Temp(n, "sub")), b], name);
        });
        _converters["FloorMod"] = n => BinaryWith(n, (a, b, name) =>
        {
            // ONNX Mod with fmod=0 takes the divisor's sign (Python %) — TF FloorMod — but only for integers.
            if (!IsFloat(DType(InputRef(n, 0)))) return Emit("Mod", [a, b], name, Int("fmod", 0));
            var q = Emit("Floor", [Emit("Div", [a, b], Temp(n, "div"))], Temp(n, "floor"));
            return Emit("Sub", [a, Emit("Mul", [q, b], Temp(n, "mul"))], name);
        });
        _converters["BiasAdd"] = BiasAdd;
        _converters["BiasAddV1"] = BiasAdd;
        _converters["AddN"] = AddN;
    }

    private static bool IsFloat(DataType t) => t is DataType.DtFloat or DataType.DtDouble or DataType.DtHalf or DataType.DtBfloat16;

    private void Unary(Node node, string onnxOp) => UnaryWith(node, x => (onnxOp, [x], []));

    private void UnaryChain(Node node, Func<string, string> first, string then) => UnaryWith(node, x => (then, [first(x)], []));

    /// <summary>A one-input op that keeps its input's layout: NCHW in → NCHW out.</summary>
    private void UnaryWith(Node node, Func<string, (string Op, string[] Inputs, AttributeProto[] Attrs)> build)
    {
        var x = InputRef(node, 0);
        if (HasNchw(x))
        {
            var (op, ins, attrs) = build(InNchw(x));
            SetNchw(node, 0, Emit(op, ins, Fresh($"{node.Name}:0_nchw"), attrs));
        }
        else
        {
            var (op, ins, attrs) = build(In(x));
            SetNative(node, 0, Emit(op, ins, OutName(node), attrs));
        }
    }

    private void Binary(Node node, string onnxOp) => BinaryWith(node, (a, b, name) => Emit(onnxOp, [a, b], name));

    private void BinaryThen(Node node, string onnxOp, string then)
        => BinaryWith(node, (a, b, name) => Emit(then, [Emit(onnxOp, [a, b], Temp(node, onnxOp))], name));

    /// <summary>A broadcasting two-input op; computed in NCHW when an operand already is and the other can follow.</summary>
    private void BinaryWith(Node node, Func<string, string, string, string> build)
    {
        TensorRef a = InputRef(node, 0), b = InputRef(node, 1);
        if ((HasNchw(a) || HasNchw(b)) && NchwOperand(node, a) is { } na && NchwOperand(node, b) is { } nb)
            SetNchw(node, 0, build(na, nb, Fresh($"{node.Name}:0_nchw")));
        else
            SetNative(node, 0, build(In(a), In(b), OutName(node)));
    }

    /// <summary>
    /// The operand as it broadcasts against an NCHW tensor: rank 4 → its NCHW form; a scalar → itself; a rank-1
    /// [C] (which broadcast against NHWC's last axis) → [C, 1, 1]. Anything else cannot follow (null).
    /// </summary>
    private string? NchwOperand(Node node, TensorRef r)
    {
        switch (Rank(r))
        {
            case 4: return InNchw(r);
            case 0: return In(r);
            case 1:
                if (ConstOf(r) is { } c) return TensorConst(node, "c11", c.Reshape(new TensorShape(c.Shape[0], 1, 1)));
                return Emit("Unsqueeze", [In(r), Int64Const(node, "axes", [1, 2])], Temp(node, "c11"));
            default: return null;
        }
    }

    private void BiasAdd(Node node)
    {
        TensorRef x = InputRef(node, 0), bias = InputRef(node, 1);
        if (node.GetString("data_format", "NHWC") == "NCHW")
        {
            // NCHW BiasAdd adds along dim 1 (bias_op.cc): bias reshaped to [C, 1, …, 1].
            int rank = Rank(x);
            var axes = Enumerable.Range(1, rank - 2).Select(i => (long)i).ToArray();
            var b = Emit("Unsqueeze", [In(bias), Int64Const(node, "axes", axes)], Temp(node, "bias"));
            SetNative(node, 0, Emit("Add", [In(x), b], OutName(node)));
            return;
        }
        BinaryWith(node, (a, b, name) => Emit("Add", [a, b], name));
    }

    private void AddN(Node node)
    {
        bool nchw = node.Inputs.Any(HasNchw) && node.Inputs.All(r => Rank(r) == 4);
        if (nchw) SetNchw(node, 0, Emit("Sum", node.Inputs.Select(InNchw).ToList(), Fresh($"{node.Name}:0_nchw")));
        else SetNative(node, 0, Emit("Sum", node.Inputs.Select(In).ToList(), OutName(node)));
    }
}
