namespace TypedGraph.Building;

// Signatures after tensorflow/core/ops/lookup_ops.cc (TF 2.x): the V2 ops take and return DT_RESOURCE table handles,
// the V1 ops a Ref(string) handle. Function bodies need them to map "op:out_arg:index" outputs.
public sealed partial class OpDefCatalog
{
    private const string TableAttrs = "container: string = ''; shared_name: string = ''; use_node_name_sharing: bool = false; key_dtype: type; value_dtype: type";

    private static readonly string[] LookupSignatures =
    [
        "HashTableV2() -> (table_handle: resource); " + TableAttrs + "; !stateful",
        "HashTable() -> (table_handle: Ref(string)); " + TableAttrs + "; !stateful",
        "MutableHashTableV2() -> (table_handle: resource); " + TableAttrs + "; !stateful",
        "MutableHashTable() -> (table_handle: Ref(string)); " + TableAttrs + "; !stateful",
        "MutableDenseHashTableV2(empty_key: key_dtype, deleted_key: key_dtype) -> (table_handle: resource); " + TableAttrs + "; value_shape: shape = []; initial_num_buckets: int = 131072; max_load_factor: float = 0.8; !stateful",
        "LookupTableFindV2(table_handle: resource, keys: Tin, default_value: Tout) -> (values: Tout); Tin: type; Tout: type; !stateful",
        "LookupTableFind(table_handle: Ref(string), keys: Tin, default_value: Tout) -> (values: Tout); Tin: type; Tout: type; !stateful",
        "LookupTableInsertV2(table_handle: resource, keys: Tin, values: Tout); Tin: type; Tout: type; !stateful",
        "LookupTableRemoveV2(table_handle: resource, keys: Tin); Tin: type; !stateful",
        "LookupTableImportV2(table_handle: resource, keys: Tin, values: Tout); Tin: type; Tout: type; !stateful",
        "LookupTableExportV2(table_handle: resource) -> (keys: Tkeys, values: Tvalues); Tkeys: type; Tvalues: type; !stateful",
        "LookupTableSizeV2(table_handle: resource) -> (size: int64); !stateful",
        "InitializeTableV2(table_handle: resource, keys: Tkey, values: Tval); Tkey: type; Tval: type; !stateful",
        "InitializeTableFromTextFileV2(table_handle: resource, filename: string); key_index: int; value_index: int; vocab_size: int = -1; delimiter: string = '\t'; offset: int = 0; !stateful",
    ];
}
