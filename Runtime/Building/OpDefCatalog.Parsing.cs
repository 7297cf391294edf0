namespace TypedGraph.Building;

// Signatures after tensorflow/core/ops/parsing_ops.cc and string_ops.cc (TF 1.15 / 2.x), for the ops a
// tf.Example serving graph (Estimator export: parse → hash/lookup → embed) is built from, plus Where
// (array_ops.cc), which sparse_retain and tf.where(cond) produce.
public sealed partial class OpDefCatalog
{
    private static readonly string[] ParsingSignatures =
    [
        "ParseExample(serialized: string, names: string, sparse_keys: Nsparse * string, dense_keys: Ndense * string, dense_defaults: Tdense) -> (sparse_indices: Nsparse * int64, sparse_values: sparse_types, sparse_shapes: Nsparse * int64, dense_values: Tdense); Nsparse: int >= 0; Ndense: int >= 0; sparse_types: list(type) >= 0; Tdense: list(type) >= 0; dense_shapes: list(shape) >= 0",
        "ParseExampleV2(serialized: string, names: string, sparse_keys: string, dense_keys: string, ragged_keys: string, dense_defaults: Tdense) -> (sparse_indices: num_sparse * int64, sparse_values: sparse_types, sparse_shapes: num_sparse * int64, dense_values: Tdense, ragged_values: ragged_value_types, ragged_row_splits: ragged_split_types); Tdense: list(type) >= 0; num_sparse: int >= 0; sparse_types: list(type) >= 0; ragged_value_types: list(type) >= 0; ragged_split_types: list(type) >= 0; dense_shapes: list(shape) >= 0",
        "StringToHashBucketFast(input: string) -> (output: int64); num_buckets: int >= 1",
        "StringToHashBucketStrong(input: string) -> (output: int64); num_buckets: int >= 1; key: list(int)",
        "StringToNumber(string_tensor: string) -> (output: out_type); out_type: {float, double, int32, int64} = float",
        "AsString(input: T) -> (output: string); T: {realnumbertype, complex64, complex128, bool, variant}; precision: int = -1; scientific: bool = false; shortest: bool = false; width: int = -1; fill: string = ''",
        "Where(input: T) -> (index: int64); T: {numbertype, bool} = bool",
    ];
}
