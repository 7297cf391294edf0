namespace TypedGraph.Building;

// Signatures after tensorflow/core/ops/array_ops.cc, manip_ops.cc, math_ops.cc (LinSpace) and bitwise_ops.cc for the
// small ops real graphs carry (Kernels/Exec/RollKernel.cs, LinSpaceKernel.cs, EmptyKernel.cs, EnsureShapeKernel.cs,
// UnravelIndexKernel.cs, BitcastKernel.cs, TimestampKernel.cs; Kernels/Elementwise/BitwiseKernels.cs, CrossKernel.cs,
// ApproximateEqualKernel.cs; Kernels/Reduction/CumulativeLogsumexpKernel.cs).
public sealed partial class OpDefCatalog
{
    private const string BitwiseT = "T: {int8, int16, int32, int64, uint8, uint16, uint32, uint64}";
    private const string BitcastTypes = "{bfloat16, half, float, double, int64, int32, uint8, uint16, uint32, uint64, int8, int16, complex64, complex128, qint8, quint8, qint16, quint16, qint32}";

    private static readonly string[] ArrayExtraSignatures =
    [
        "Roll(input: T, shift: Tshift, axis: Taxis) -> (output: T); T: type; Tshift: {int32, int64}; Taxis: {int32, int64}",
        "LinSpace(start: T, stop: T, num: Tidx) -> (output: T); T: {bfloat16, half, float, double}; Tidx: {int32, int64} = int32",
        "Empty(shape: int32) -> (output: dtype); dtype: type; init: bool = false; !stateful",
        "EnsureShape(input: T) -> (output: T); shape: shape; T: type",
        "UnravelIndex(indices: Tidx, dims: Tidx) -> (output: Tidx); Tidx: {int32, int64} = int32",
        "Bitcast(input: T) -> (output: type); T: " + BitcastTypes + "; type: " + BitcastTypes,
        "Timestamp() -> (ts: double); !stateful",
        "Cross(a: T, b: T) -> (product: T); T: realnumbertype",
        "ApproximateEqual(x: T, y: T) -> (z: bool); T: numbertype; tolerance: float = 1e-05",
        "BitwiseAnd(x: T, y: T) -> (z: T); " + BitwiseT,
        "BitwiseOr(x: T, y: T) -> (z: T); " + BitwiseT,
        "BitwiseXor(x: T, y: T) -> (z: T); " + BitwiseT,
        "LeftShift(x: T, y: T) -> (z: T); " + BitwiseT,
        "RightShift(x: T, y: T) -> (z: T); " + BitwiseT,
        "Invert(x: T) -> (y: T); " + BitwiseT,
        "PopulationCount(x: T) -> (y: uint8); " + BitwiseT,
        "CumulativeLogsumexp(x: T, axis: Tidx) -> (out: T); exclusive: bool = false; reverse: bool = false; T: {half, float, double}; Tidx: {int32, int64} = int32",
        "LeakyReluGrad(gradients: T, features: T) -> (backprops: T); alpha: float = 0.2; T: {half, bfloat16, float, double} = float",
    ];
}
