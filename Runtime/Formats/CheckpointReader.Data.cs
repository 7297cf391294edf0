using TypedGraph.Protos;

namespace TypedGraph.Formats;

public sealed partial class CheckpointReader
{
    /// <summary>Reads the full tensor <paramref name="name"/> (slices assembled), verifying CRCs unless opted out.</summary>
    /// <returns>A tensor the caller owns and may modify: large numeric tensors are private copy-on-write
    /// views of the mapped data file (zero-copy; writes never reach the file or later reads), others are
    /// copies. It stays valid after the reader is disposed; dispose it to unmap its view early.</returns>
    /// <exception cref="KeyNotFoundException">No such tensor.</exception>
    /// <exception cref="CheckpointFormatException">Bad bytes or CRC mismatch; the message names tensor and file.</exception>
    public Tensor Read(string name)
    {
        var entry = GetEntry(name);
        var proto = _protos[name];
        return entry.IsSliced ? ReadSliced(entry, proto) : ReadStored(name, proto, entry.Shape);
    }

    /// <summary>Checks the CRC32C of one tensor (every slice of a partitioned one) without building it.</summary>
    /// <exception cref="CheckpointFormatException">A mismatch or bad bytes.</exception>
    public void Verify(string name)
    {
        var entry = GetEntry(name);
        var proto = _protos[name];
        if (!entry.IsSliced)
        {
            VerifyStored(name, proto, entry.Shape);
            return;
        }
        foreach (var sp in proto.Slices)
        {
            var slice = SliceOf(name, sp);
            VerifyStored(name, SliceEntry(entry, slice), slice.ShapeIn(entry.Shape));
        }
    }

    /// <summary>Verifies every tensor's CRC32C (the <c>ckpt --verify</c> check).</summary>
    /// <param name="progress">Receives the number of tensors done after each one.</param>
    /// <exception cref="CheckpointFormatException">The first bad tensor.</exception>
    public void VerifyAll(IProgress<int>? progress = null)
    {
        for (int i = 0; i < Entries.Count; i++)
        {
            Verify(Entries[i].Name);
            progress?.Report(i + 1);
        }
    }

    private Tensor ReadStored(string name, BundleEntryProto p, long[] shape)
    {
        var (shard, offset, size) = Locate(name, p, shape);
        var tshape = TensorShape.FromLongs(shape);
        if (p.Dtype == DataType.DtString)
        {
            var (strings, crc) = StringTensorCodec.Decode(shard.Span(offset, size), tshape.NumElements, shard.Path, name);
            GC.KeepAlive(shard); // the span above is a raw pointer into the shard's mapping
            if (VerifyCrc) CheckCrc(name, shard, p, crc);
            return new Tensor(tshape, strings);
        }
        // Windows refuses to replace or truncate a file while a view of it is mapped, which would make
        // re-saving over a restored checkpoint fail; there, tensors are always copies.
        if (size < MappedShard.ZeroCopyThreshold || OperatingSystem.IsWindows() || !shard.IsMapped)
        {
            var copy = shard.Copy(offset, size);
            if (VerifyCrc) CheckCrc(name, shard, p, Crc32C.Compute(copy));
            return new Tensor(p.Dtype, tshape, copy);
        }
        var view = shard.MapPrivate(offset, size);
        try
        {
            // Checked through the tensor's own view so its pages are faulted in once.
            if (VerifyCrc) CheckCrc(name, shard, p, Crc32C.Compute(view.GetSpan()));
            GC.KeepAlive(view);
        }
        catch
        {
            ((IDisposable)view).Dispose();
            throw;
        }
        return new Tensor(p.Dtype, tshape, view.Memory, view);
    }

    private void VerifyStored(string name, BundleEntryProto p, long[] shape)
    {
        var (shard, offset, size) = Locate(name, p, shape);
        uint crc = p.Dtype == DataType.DtString
            ? StringTensorCodec.Decode(shard.Span(offset, size), shape.Aggregate(1L, (a, b) => a * b), shard.Path, name).Crc
            : Crc32C.Compute(shard.Span(offset, size));
        GC.KeepAlive(shard); // the spans above are raw pointers into the shard's mapping
        CheckCrc(name, shard, p, crc);
    }

    // Checks dtype, size and bounds of a stored entry; returns where its bytes are.
    private (MappedShard Shard, long Offset, int Size) Locate(string name, BundleEntryProto p, long[] shape)
    {
        var shard = Shard(p.ShardId, name);
        if (p.Dtype != DataType.DtString)
        {
            int elem = DataTypes.ElementSize(p.Dtype);
            if (elem == 0)
                throw new CheckpointFormatException(IndexPath, $"tensor '{name}' has dtype {DataTypes.Name(p.Dtype)}, which a checkpoint cannot hold");
            long expected = AllocationLimits.Product(shape.Aggregate(1L, (a, b) => AllocationLimits.Product(a, b)), elem);
            if (p.Size != expected)
                throw new CheckpointFormatException(IndexPath, $"tensor '{name}' ({DataTypes.Name(p.Dtype)}[{string.Join(", ", shape)}]) needs {expected} bytes but its entry says {p.Size}");
        }
        // Compared without adding: an offset near long.MaxValue must not wrap Offset + Size past the check.
        if (p.Offset < 0 || p.Size < 0 || p.Size > shard.Length || p.Offset > shard.Length - p.Size)
            throw new CheckpointFormatException(shard.Path, $"tensor '{name}' (offset {p.Offset}, size {p.Size}) runs past the end of the {shard.Length}-byte data file (truncated?)");
        if (p.Size > int.MaxValue)
            throw new CheckpointFormatException(shard.Path, $"tensor '{name}' is {p.Size} bytes; tensors over 2 GiB are not supported");
        if (AllocationLimits.Exceeds(p.Size))
            throw new CheckpointFormatException(shard.Path, $"tensor '{name}' {AllocationLimits.Describe(p.Size)}");
        return (shard, p.Offset, (int)p.Size);
    }

    private static void CheckCrc(string name, MappedShard shard, BundleEntryProto p, uint crc)
    {
        if (Crc32C.Mask(crc) != p.Crc32C)
            throw new CheckpointFormatException(shard.Path,
                $"CRC32C mismatch for tensor '{name}' (offset {p.Offset}, size {p.Size}): stored 0x{p.Crc32C:x8}, computed 0x{Crc32C.Mask(crc):x8}; the data file is corrupted");
    }
}
