using System.Text;
using TypedGraph.Protos;

namespace TypedGraph.Formats;

public sealed partial class CheckpointReader
{
    // Assembles a partitioned tensor from its slices (as TF's BundleReader::GetSliceValue for the full slice).
    private Tensor ReadSliced(CheckpointEntry entry, BundleEntryProto proto)
    {
        var full = entry.Shape;
        var shape = TensorShape.FromLongs(full);
        long total = shape.NumElements;
        long covered = 0;
        bool isString = entry.DType == DataType.DtString;
        int elem = isString ? 1 : DataTypes.ElementSize(entry.DType);
        if (elem == 0)
            throw new CheckpointFormatException(IndexPath, $"tensor '{entry.Name}' has dtype {DataTypes.Name(entry.DType)}, which a checkpoint cannot hold");
        // Every slice is checked (bounds, index entry, bytes inside its data file) before the full tensor is
        // allocated: sizes come from the index, and a 400-byte index must not make us allocate gigabytes.
        var parts = new List<(TensorSlice Slice, long[] Shape, BundleEntryProto Proto)>();
        foreach (var sp in proto.Slices)
        {
            var slice = SliceOf(entry.Name, sp);
            if (slice.Rank != full.Length)
                throw new CheckpointFormatException(IndexPath, $"tensor '{entry.Name}' has a rank-{slice.Rank} slice of a rank-{full.Length} tensor");
            var sliceShape = slice.ShapeIn(full);
            var starts = slice.Starts;
            for (int d = 0; d < full.Length; d++)
                if (starts[d] > full[d] - sliceShape[d])
                    throw new CheckpointFormatException(IndexPath, $"tensor '{entry.Name}': slice {slice} lies outside its shape [{string.Join(", ", full)}]");
            var sliceProto = SliceEntry(entry, slice);
            Locate(entry.Name, sliceProto, sliceShape);
            covered += sliceShape.Aggregate(1L, (a, b) => a * b);
            parts.Add((slice, sliceShape, sliceProto));
        }
        if (covered != total)
            throw new CheckpointFormatException(IndexPath, $"tensor '{entry.Name}': its slices hold {covered} of {total} elements");
        long needed = AllocationLimits.Product(total, isString ? IntPtr.Size : elem);
        if (AllocationLimits.Exceeds(needed))
            throw new CheckpointFormatException(IndexPath, $"tensor '{entry.Name}' (shape [{string.Join(", ", full)}]) {AllocationLimits.Describe(needed)}");
        var bytes = isString ? null : new byte[needed];
        var strings = isString ? new byte[total][] : null;
        foreach (var (slice, sliceShape, sliceProto) in parts)
        {
            using var part = ReadStored(entry.Name, sliceProto, sliceShape);
            if (isString) CopyBox<byte[]>(part.Strings, sliceShape, strings!, full, slice.Starts, 1);
            else CopyBox<byte>(part.Bytes, sliceShape, bytes!, full, slice.Starts, elem);
        }
        return isString ? new Tensor(shape, strings!) : new Tensor(entry.DType, shape, bytes!);
    }

    private TensorSlice SliceOf(string name, TensorSliceProto proto)
    {
        try
        {
            return TensorSlice.FromProto(proto);
        }
        catch (ArgumentException e)
        {
            throw new CheckpointFormatException(IndexPath, $"tensor '{name}' lists an invalid slice: {e.Message}", e);
        }
    }

    private BundleEntryProto SliceEntry(CheckpointEntry entry, TensorSlice slice)
    {
        if (slice.Rank != entry.Shape.Length)
            throw new CheckpointFormatException(IndexPath, $"tensor '{entry.Name}' has a rank-{slice.Rank} slice of a rank-{entry.Shape.Length} tensor");
        var key = Encoding.Latin1.GetString(SliceKeys.Encode(entry.Name, slice));
        if (!_sliceEntries.TryGetValue(key, out var p))
            throw new CheckpointFormatException(IndexPath, $"tensor '{entry.Name}' lists slice {slice}, but the index has no entry for it");
        if (p.Dtype != entry.DType)
            throw new CheckpointFormatException(IndexPath, $"tensor '{entry.Name}': slice {slice} is {DataTypes.Name(p.Dtype)}, the tensor {DataTypes.Name(entry.DType)}");
        var want = slice.ShapeIn(entry.Shape);
        if (p.Shape == null || !p.Shape.Dim.Select(d => d.Size).SequenceEqual(want))
            throw new CheckpointFormatException(IndexPath, $"tensor '{entry.Name}': slice {slice} is stored with a shape other than [{string.Join(", ", want)}]");
        return p;
    }

    /// <summary>Copies a row-major box of <paramref name="boxShape"/> into <paramref name="dst"/> (row-major
    /// <paramref name="fullShape"/>) at <paramref name="starts"/>; <paramref name="unit"/> spans per element.</summary>
    internal static void CopyBox<T>(ReadOnlySpan<T> src, long[] boxShape, Span<T> dst, long[] fullShape, long[] starts, int unit)
    {
        int rank = boxShape.Length;
        if (rank == 0)
        {
            src[..unit].CopyTo(dst);
            return;
        }
        if (boxShape.Any(d => d == 0)) return;
        // Strides of the full tensor, in elements.
        var strides = new long[rank];
        strides[rank - 1] = 1;
        for (int d = rank - 2; d >= 0; d--) strides[d] = strides[d + 1] * fullShape[d + 1];
        long run = boxShape[rank - 1];
        long rows = boxShape.Aggregate(1L, (a, b) => a * b) / run;
        var index = new long[rank];
        for (long r = 0; r < rows; r++)
        {
            long dstOffset = 0;
            for (int d = 0; d < rank; d++) dstOffset += (starts[d] + index[d]) * strides[d];
            src.Slice((int)(r * run * unit), (int)(run * unit)).CopyTo(dst.Slice((int)(dstOffset * unit)));
            // Advance the row counter over all dims but the last.
            for (int d = rank - 2; d >= 0; d--)
            {
                if (++index[d] < boxShape[d]) break;
                index[d] = 0;
            }
        }
    }
}
