namespace TypedGraph.Building;

// Signatures after tensorflow/core/ops/math_ops.cc (TF 1.13).
public sealed partial class OpDefCatalog
{
    private const string Binary = "(x: T, y: T) -> (z: T)";
    private const string Unary = "(x: T) -> (y: T)";
    private const string CwiseGrad = "(y: T, dy: T) -> (z: T); T: floatcomplex";
    private const string Compare = "(x: T, y: T) -> (z: bool); T: realnumbertype";
    private const string Reduce = "(input: T, reduction_indices: Tidx) -> (output: T); keep_dims: bool = false; T: numbertype; Tidx: {int32, int64} = int32";

    private static readonly string[] MathSignatures =
    [
        "Add" + Binary + "; T: {bfloat16, half, float, double, uint8, int8, int16, int32, int64, complex64, complex128, string}",
        "AddV2" + Binary + "; T: {bfloat16, half, float, double, uint8, int8, int16, int32, int64, complex64, complex128}; !aggregate; !commutative",
        "Sub" + Binary + "; T: {bfloat16, half, float, double, uint8, int8, uint16, int16, int32, int64, complex64, complex128}",
        "Mul" + Binary + "; T: {bfloat16, half, float, double, uint8, int8, uint16, int16, int32, int64, complex64, complex128}; !commutative",
        "Div" + Binary + "; T: {bfloat16, half, float, double, uint8, int8, uint16, int16, int32, int64, complex64, complex128}",
        "RealDiv" + Binary + "; T: {bfloat16, half, float, double, uint8, int8, uint16, int16, int32, int64, complex64, complex128}",
        "FloorDiv" + Binary + "; T: {bfloat16, half, float, double, uint8, int8, uint16, int16, int32, int64, complex64, complex128}",
        "FloorMod" + Binary + "; T: {int32, int64, bfloat16, half, float, double}",
        "TruncateDiv" + Binary + "; T: {bfloat16, half, float, double, uint8, int8, uint16, int16, int32, int64, complex64, complex128}",
        "Maximum" + Binary + "; T: {bfloat16, half, float, double, int32, int64}; !commutative",
        "Minimum" + Binary + "; T: {bfloat16, half, float, double, int32, int64}; !commutative",
        "Pow" + Binary + "; T: {bfloat16, float, half, double, int32, int64, complex64, complex128}",
        "SquaredDifference" + Binary + "; T: {bfloat16, half, float, double, int32, int64, complex64, complex128}; !commutative",
        "Neg" + Unary + "; T: {bfloat16, half, float, double, int32, int64, complex64, complex128}",
        "Square" + Unary + "; T: {bfloat16, half, float, double, int32, int64, complex64, complex128}",
        "Sqrt" + Unary + "; T: floatcomplex",
        "Rsqrt" + Unary + "; T: floatcomplex",
        "Exp" + Unary + "; T: floatcomplex",
        "Expm1" + Unary + "; T: floatcomplex",
        "Log" + Unary + "; T: floatcomplex",
        "Log1p" + Unary + "; T: floatcomplex",
        "Abs" + Unary + "; T: {bfloat16, half, float, double, int32, int64}",
        "Sign" + Unary + "; T: {bfloat16, half, float, double, int32, int64, complex64, complex128}",
        "Reciprocal" + Unary + "; T: {bfloat16, half, float, double, int32, int64, complex64, complex128}",
        "Inv" + Unary + "; T: {bfloat16, half, float, double, int32, int64, complex64, complex128}",
        "Floor" + Unary + "; T: floating",
        "Ceil" + Unary + "; T: floating",
        "Round" + Unary + "; T: {bfloat16, half, float, double, int32, int64, complex64, complex128}",
        "Sigmoid" + Unary + "; T: floatcomplex",
        "Tanh" + Unary + "; T: floatcomplex",
        "Sin" + Unary + "; T: floatcomplex",
        "Cos" + Unary + "; T: floatcomplex",
        "SigmoidGrad" + CwiseGrad,
        "TanhGrad" + CwiseGrad,
        "SqrtGrad" + CwiseGrad,
        "RsqrtGrad" + CwiseGrad,
        "ReciprocalGrad" + CwiseGrad,
        "InvGrad" + CwiseGrad,
        "AddN(inputs: N * T) -> (sum: T); N: int >= 1; T: {float, double, int64, int32, uint8, uint16, int16, int8, complex64, complex128, qint8, quint8, qint32, half, variant}; !aggregate; !commutative",
        "MatMul(a: T, b: T) -> (product: T); transpose_a: bool = false; transpose_b: bool = false; T: {bfloat16, half, float, double, int32, int64, complex64, complex128}",
        "BatchMatMul(x: T, y: T) -> (output: T); T: {bfloat16, half, float, double, int32, int64, complex64, complex128}; adj_x: bool = false; adj_y: bool = false",
        "Sum" + Reduce,
        "Mean" + Reduce,
        "Prod" + Reduce,
        "Max" + Reduce,
        "Min" + Reduce,
        "ArgMax(input: T, dimension: Tidx) -> (output: output_type); T: numbertype; Tidx: {int32, int64} = int32; output_type: {int32, int64} = int64",
        "ArgMin(input: T, dimension: Tidx) -> (output: output_type); T: numbertype; Tidx: {int32, int64} = int32; output_type: {int32, int64} = int64",
        "Equal(x: T, y: T) -> (z: bool); T: {bfloat16, half, float, double, uint8, int8, int16, int32, int64, complex64, quint8, qint8, qint32, string, bool, complex128}; !commutative",
        "NotEqual(x: T, y: T) -> (z: bool); T: {bfloat16, half, float, double, uint8, int8, int16, int32, int64, complex64, quint8, qint8, qint32, string, bool, complex128}; !commutative",
        "Greater" + Compare,
        "GreaterEqual" + Compare,
        "Less" + Compare,
        "LessEqual" + Compare,
        "LogicalAnd(x: bool, y: bool) -> (z: bool); !commutative",
        "LogicalOr(x: bool, y: bool) -> (z: bool); !commutative",
        "LogicalNot(x: bool) -> (y: bool)",
        "Select(condition: bool, t: T, e: T) -> (output: T); T: type",
        "SelectV2(condition: bool, t: T, e: T) -> (output: T); T: type",
        "Cast(x: SrcT) -> (y: DstT); SrcT: type; DstT: type; Truncate: bool = false",
        "Range(start: Tidx, limit: Tidx, delta: Tidx) -> (output: Tidx); Tidx: {bfloat16, float, double, int32, int64} = int32",
        "BroadcastGradientArgs(s0: T, s1: T) -> (r0: T, r1: T); T: {int32, int64} = int32",
    ];
}
