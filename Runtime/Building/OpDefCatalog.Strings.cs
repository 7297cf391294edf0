namespace TypedGraph.Building;

// Signatures after tensorflow/core/ops/parsing_ops.cc (DecodeCSV) and string_ops.cc (Substr, ReduceJoin,
// StringStrip, StringLower, StringUpper, StringLength).
public sealed partial class OpDefCatalog
{
    private static readonly string[] StringOps =
    [
        "DecodeCSV(records: string, record_defaults: OUT_TYPE) -> (output: OUT_TYPE); OUT_TYPE: list(type) >= 1; field_delim: string = ','; use_quote_delim: bool = true; na_value: string = ''; select_cols: list(int) = []",
        "Substr(input: string, pos: T, len: T) -> (output: string); T: {int32, int64}; unit: {'BYTE', 'UTF8_CHAR'} = 'BYTE'",
        "ReduceJoin(inputs: string, reduction_indices: int32) -> (output: string); keep_dims: bool = false; separator: string = ''",
        "StringStrip(input: string) -> (output: string)",
        "StringLower(input: string) -> (output: string); encoding: string = ''",
        "StringUpper(input: string) -> (output: string); encoding: string = ''",
        "StringLength(input: string) -> (output: int32); unit: {'BYTE', 'UTF8_CHAR'} = 'BYTE'",
    ];
}
