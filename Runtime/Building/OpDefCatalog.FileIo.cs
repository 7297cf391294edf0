namespace TypedGraph.Building;

// Signatures after tensorflow/core/ops/io_ops.cc for the file ops with kernels in Kernels/Exec/FileIoKernels.cs.
public sealed partial class OpDefCatalog
{
    private static readonly string[] FileIoSignatures =
    [
        "ReadFile(filename: string) -> (contents: string)",
        "WriteFile(filename: string, contents: string); !stateful",
        "MatchingFiles(pattern: string) -> (filenames: string)",
        // math_ops.cc; kernel in Kernels/Linalg/SparseMatMulKernel.cs.
        "SparseMatMul(a: Ta, b: Tb) -> (product: float); transpose_a: bool = false; transpose_b: bool = false; a_is_sparse: bool = false; b_is_sparse: bool = false; Ta: {float, bfloat16} = float; Tb: {float, bfloat16} = float",
    ];
}
