namespace TypedGraph.Building;

// Signatures after tensorflow/core/ops/linalg_ops.cc (MatrixInverse, MatrixSolve, Cholesky, Qr, MatrixTriangularSolve,
// MatrixDeterminant, LogMatrixDeterminant, SelfAdjointEigV2, Svd, Lu,
// Einsum) and array_ops.cc (MatrixDiag*, MatrixDiagPart*, MatrixSetDiag*, MatrixBandPart, Diag, DiagPart).
public sealed partial class OpDefCatalog
{
    private const string DiagAlign = "align: {'LEFT_RIGHT', 'RIGHT_LEFT', 'LEFT_LEFT', 'RIGHT_RIGHT'} = 'RIGHT_LEFT'";
    private const string LinalgT = "T: {double, float, half, complex64, complex128}";

    private static readonly string[] LinalgSignatures =
    [
        "MatrixDiag(diagonal: T) -> (output: T); T: type",
        "MatrixDiagV2(diagonal: T, k: int32, num_rows: int32, num_cols: int32, padding_value: T) -> (output: T); T: type",
        "MatrixDiagV3(diagonal: T, k: int32, num_rows: int32, num_cols: int32, padding_value: T) -> (output: T); T: type; " + DiagAlign,
        "MatrixDiagPart(input: T) -> (diagonal: T); T: type",
        "MatrixDiagPartV2(input: T, k: int32, padding_value: T) -> (diagonal: T); T: type",
        "MatrixDiagPartV3(input: T, k: int32, padding_value: T) -> (diagonal: T); T: type; " + DiagAlign,
        "MatrixSetDiag(input: T, diagonal: T) -> (output: T); T: type",
        "MatrixSetDiagV2(input: T, diagonal: T, k: int32) -> (output: T); T: type",
        "MatrixSetDiagV3(input: T, diagonal: T, k: int32) -> (output: T); T: type; " + DiagAlign,
        "MatrixBandPart(input: T, num_lower: Tindex, num_upper: Tindex) -> (band: T); T: type; Tindex: {int32, int64} = int64",
        "Diag(diagonal: T) -> (output: T); T: {bfloat16, half, float, double, int32, int64, complex64, complex128}",
        "DiagPart(input: T) -> (diagonal: T); T: {bfloat16, half, float, double, int32, int64, complex64, complex128}",
        "MatrixInverse(input: T) -> (output: T); adjoint: bool = false; " + LinalgT,
        "MatrixSolve(matrix: T, rhs: T) -> (output: T); adjoint: bool = false; " + LinalgT,
        "Cholesky(input: T) -> (output: T); " + LinalgT,
        "Qr(input: T) -> (q: T, r: T); full_matrices: bool = false; " + LinalgT,
        "Einsum(inputs: N * T) -> (output: T); equation: string; N: int >= 1; T: type",
        "MatrixDeterminant(input: T) -> (output: T); T: {half, float, double, complex64, complex128}",
        "LogMatrixDeterminant(input: T) -> (sign: T, log_abs_determinant: T); T: {half, float, double, complex64, complex128}",
        "MatrixTriangularSolve(matrix: T, rhs: T) -> (output: T); lower: bool = true; adjoint: bool = false; T: {bfloat16, double, float, half, complex64, complex128}",
        "SelfAdjointEigV2(input: T) -> (e: T, v: T); compute_v: bool = true; " + LinalgT,
        "Svd(input: T) -> (s: T, u: T, v: T); compute_uv: bool = true; full_matrices: bool = false; " + LinalgT,
        "Lu(input: T) -> (lu: T, p: output_idx_type); " + LinalgT + "; output_idx_type: {int32, int64} = int32",
    ];
}
