using TypedGraph.Protos;

namespace TypedGraph.Formats;

/// <summary>
/// One tensor listed in a checkpoint's <c>.index</c>. For a partitioned (sliced) tensor, <see cref="IsSliced"/>
/// is true, <see cref="Shape"/> is the full shape and shard/offset/size/CRC are 0 (its data lives in the slices).
/// </summary>
/// <param name="Name">Checkpoint key, e.g. <c>h1/w/Adam</c>.</param>
/// <param name="DType">Element type.</param>
/// <param name="Shape">Dims (empty for a scalar).</param>
/// <param name="ShardId">Which <c>.data-NNNNN</c> file holds the bytes.</param>
/// <param name="Offset">Byte offset in that file.</param>
/// <param name="Size">Byte count in that file.</param>
/// <param name="MaskedCrc32C">The stored masked CRC32C of those bytes.</param>
/// <param name="IsSliced">True when the tensor is saved as slices.</param>
public sealed record CheckpointEntry(string Name, DataType DType, long[] Shape, int ShardId, long Offset, long Size,
    uint MaskedCrc32C, bool IsSliced)
{
    /// <summary>Number of elements of the full tensor.</summary>
    public long NumElements => Shape.Aggregate(1L, (a, b) => a * b);
}
