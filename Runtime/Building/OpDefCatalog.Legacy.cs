namespace TypedGraph.Building;

// Ops of graphs written before TF 1.0 (tensorflow/core/ops/state_ops.cc, io_ops.cc): the v1 ref `Variable` and
// the V1 checkpoint ops of the old Saver.
public sealed partial class OpDefCatalog
{
    private static readonly string[] LegacySignatures =
    [
        "Variable() -> (ref: Ref(dtype)); shape: shape; dtype: type; container: string = ''; shared_name: string = ''; !stateful",
        "Save(filename: string, tensor_names: string, data: T); T: list(type) >= 1; !stateful",
        "SaveSlices(filename: string, tensor_names: string, shapes_and_slices: string, data: T); T: list(type) >= 1; !stateful",
        "Restore(file_pattern: string, tensor_name: string) -> (tensor: dt); dt: type; preferred_shard: int = -1; !stateful",
        "RestoreSlice(file_pattern: string, tensor_name: string, shape_and_slice: string) -> (tensor: dt); dt: type; preferred_shard: int = -1; !stateful",
    ];
}
