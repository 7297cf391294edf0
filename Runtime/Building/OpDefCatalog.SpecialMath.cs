namespace TypedGraph.Building;

// Signatures after tensorflow/core/ops/math_ops.cc for the special functions with kernels in
// Kernels/Elementwise/SpecialMathKernels.cs (IgammaGradA is listed so Igamma's gradient builds; it has no kernel).
public sealed partial class OpDefCatalog
{
    private static readonly string[] SpecialMathSignatures =
    [
        "Lgamma(x: T) -> (y: T); T: {bfloat16, half, float, double}",
        "Digamma(x: T) -> (y: T); T: {bfloat16, half, float, double}",
        "Igamma(a: T, x: T) -> (z: T); T: {bfloat16, half, float, double}",
        "Igammac(a: T, x: T) -> (z: T); T: {bfloat16, half, float, double}",
        "IgammaGradA(a: T, x: T) -> (z: T); T: {float, double}",
        "Zeta(x: T, q: T) -> (z: T); T: {float, double}",
        "Polygamma(a: T, x: T) -> (z: T); T: {float, double}",
        "Betainc(a: T, b: T, x: T) -> (z: T); T: {float, double}",
    ];
}
