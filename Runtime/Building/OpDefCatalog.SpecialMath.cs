namespace TypedGraph.Building;

// Signatures after tensorflow/core/ops/math_ops.cc for the special functions with kernels in
// Kernels/Elementwise/SpecialMathKernels.cs (RandomGammaGrad after random_ops.cc).
public sealed partial class OpDefCatalog
{
    private static readonly string[] SpecialMathSignatures =
    [
        "Lgamma(x: T) -> (y: T); T: {bfloat16, half, float, double}",
        "Digamma(x: T) -> (y: T); T: {bfloat16, half, float, double}",
        "Igamma(a: T, x: T) -> (z: T); T: {bfloat16, half, float, double}",
        "Igammac(a: T, x: T) -> (z: T); T: {bfloat16, half, float, double}",
        "IgammaGradA(a: T, x: T) -> (z: T); T: {float, double}",
        "RandomGammaGrad(alpha: T, sample: T) -> (output: T); T: {float, double}",
        "Zeta(x: T, q: T) -> (z: T); T: {float, double}",
        "Polygamma(a: T, x: T) -> (z: T); T: {float, double}",
        "Betainc(a: T, b: T, x: T) -> (z: T); T: {float, double}",
        // Xlogy's kernel predates this file; its OpDef is here because Betainc's gradient builds it.
        "Xlogy(x: T, y: T) -> (z: T); T: {half, bfloat16, float, double, complex64, complex128}",
    ];
}
