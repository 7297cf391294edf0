namespace TypedGraph.Building;

// Signatures after tensorflow/core/ops/linalg_ops.cc: MatrixSolveLs, MatrixSquareRoot, MatrixExponential (deprecated in
// TF, kept for old graphs), MatrixLogarithm (complex only) and Eig.
public sealed partial class OpDefCatalog
{
    private static readonly string[] MatrixFunctionSignatures =
    [
        "MatrixSolveLs(matrix: T, rhs: T, l2_regularizer: double) -> (output: T); T: {double, float, half, complex64, complex128}; fast: bool = true",
        "MatrixSquareRoot(input: T) -> (output: T); T: {double, float, half, complex64, complex128}",
        "MatrixExponential(input: T) -> (output: T); T: {double, float, half, complex64, complex128}",
        "MatrixLogarithm(input: T) -> (output: T); T: {complex64, complex128}",
        "Eig(input: T) -> (e: Tout, v: Tout); compute_v: bool = true; T: {float, double, complex64, complex128}; Tout: {complex64, complex128}",
    ];
}
