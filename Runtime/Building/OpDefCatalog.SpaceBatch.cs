namespace TypedGraph.Building;

// Signatures after tensorflow/core/ops/array_ops.cc for the block rearrangement ops (Kernels/Exec/SpaceToBatchKernels.cs,
// DepthToSpaceKernels.cs): what tf.nn.convolution's dilation lowering, YOLOv2's reorg and sub-pixel upsampling emit.
public sealed partial class OpDefCatalog
{
    private static readonly string[] SpaceBatchSignatures =
    [
        "SpaceToBatchND(input: T, block_shape: Tblock_shape, paddings: Tpaddings) -> (output: T); T: type; Tblock_shape: {int32, int64} = int32; Tpaddings: {int32, int64} = int32",
        "BatchToSpaceND(input: T, block_shape: Tblock_shape, crops: Tcrops) -> (output: T); T: type; Tblock_shape: {int32, int64} = int32; Tcrops: {int32, int64} = int32",
        "SpaceToBatch(input: T, paddings: Tpaddings) -> (output: T); T: type; Tpaddings: {int32, int64} = int32; block_size: int >= 2",
        "BatchToSpace(input: T, crops: Tidx) -> (output: T); T: type; block_size: int >= 2; Tidx: {int32, int64} = int32",
        "SpaceToDepth(input: T) -> (output: T); T: type; block_size: int >= 2; data_format: {'NHWC', 'NCHW', 'NCHW_VECT_C'} = 'NHWC'",
        "DepthToSpace(input: T) -> (output: T); T: type; block_size: int >= 2; data_format: {'NHWC', 'NCHW', 'NCHW_VECT_C'} = 'NHWC'",
    ];
}
