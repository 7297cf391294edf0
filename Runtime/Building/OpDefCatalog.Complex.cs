namespace TypedGraph.Building;

// Signatures after tensorflow/core/ops/math_ops.cc (Complex, Real, Imag, Angle, ComplexAbs, Conj) and array_ops.cc
// (ConjugateTranspose); the complex forms of the arithmetic ops are in the Math catalog's type lists.
public sealed partial class OpDefCatalog
{
    private static readonly string[] ComplexSignatures =
    [
        "Complex(real: T, imag: T) -> (out: Tout); T: {float, double} = float; Tout: {complex64, complex128} = complex64",
        "Real(input: T) -> (output: Tout); T: {complex64, complex128} = complex64; Tout: {float, double} = float",
        "Imag(input: T) -> (output: Tout); T: {complex64, complex128} = complex64; Tout: {float, double} = float",
        "Angle(input: T) -> (output: Tout); T: {complex64, complex128} = complex64; Tout: {float, double} = float",
        "ComplexAbs(x: T) -> (y: Tout); T: {complex64, complex128} = complex64; Tout: {float, double} = float",
        "Conj(input: T) -> (output: T); T: {complex64, complex128, variant} = complex64",
        "ConjugateTranspose(x: T, perm: Tperm) -> (y: T); T: type; Tperm: {int32, int64} = int32",
        // Used by the complex gradients (math_grad.py's _ComplexAbsGrad, _BatchMatMulV2); after math_ops.cc.
        "DivNoNan(x: T, y: T) -> (z: T); T: {half, float, bfloat16, double, complex64, complex128}",
        "BatchMatMulV2(x: T, y: T) -> (output: T); T: {bfloat16, half, float, double, int16, int32, int64, complex64, complex128}; adj_x: bool = false; adj_y: bool = false",
    ];
}
