namespace TypedGraph.Building;

// Signatures after tensorflow/core/ops/parsing_ops.cc (DecodeCSV) and string_ops.cc (Substr, ReduceJoin,
// StringStrip, StringLower, StringUpper, StringLength, UnicodeDecode(WithOffsets), UnicodeEncode, UnicodeTranscode, UnicodeScript).
public sealed partial class OpDefCatalog
{
    private static readonly string[] StringSignatures =
    [
        "DecodeCSV(records: string, record_defaults: OUT_TYPE) -> (output: OUT_TYPE); OUT_TYPE: list(type) >= 1; field_delim: string = ','; use_quote_delim: bool = true; na_value: string = ''; select_cols: list(int) = []",
        "Substr(input: string, pos: T, len: T) -> (output: string); T: {int32, int64}; unit: {'BYTE', 'UTF8_CHAR'} = 'BYTE'",
        "ReduceJoin(inputs: string, reduction_indices: int32) -> (output: string); keep_dims: bool = false; separator: string = ''",
        "StringStrip(input: string) -> (output: string)",
        "StringLower(input: string) -> (output: string); encoding: string = ''",
        "StringUpper(input: string) -> (output: string); encoding: string = ''",
        "StringLength(input: string) -> (output: int32); unit: {'BYTE', 'UTF8_CHAR'} = 'BYTE'",
        "UnicodeScript(input: int32) -> (output: int32)",
        "StringFormat(inputs: T) -> (output: string); T: list(type) >= 0; template: string = '%s'; placeholder: string = '%s'; summarize: int = 3",
        "UnicodeDecode(input: string) -> (row_splits: Tsplits, char_values: int32); input_encoding: string; errors: {'strict', 'replace', 'ignore'} = 'replace'; replacement_char: int = 65533; replace_control_characters: bool = false; Tsplits: {int32, int64} = int64",
        "UnicodeDecodeWithOffsets(input: string) -> (row_splits: Tsplits, char_values: int32, char_to_byte_starts: int64); input_encoding: string; errors: {'strict', 'replace', 'ignore'} = 'replace'; replacement_char: int = 65533; replace_control_characters: bool = false; Tsplits: {int32, int64} = int64",
        "UnicodeEncode(input_values: int32, input_splits: Tsplits) -> (output: string); errors: {'ignore', 'replace', 'strict'} = 'replace'; output_encoding: {'UTF-8', 'UTF-16-BE', 'UTF-32-BE'}; replacement_char: int = 65533; Tsplits: {int32, int64} = int64",
        "UnicodeTranscode(input: string) -> (output: string); input_encoding: string; output_encoding: {'UTF-8', 'UTF-16-BE', 'UTF-32-BE'}; errors: {'strict', 'replace', 'ignore'} = 'replace'; replacement_char: int = 65533; replace_control_characters: bool = false",
    ];
}
