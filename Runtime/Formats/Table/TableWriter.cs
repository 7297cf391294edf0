using System.Buffers.Binary;

namespace TypedGraph.Formats;

/// <summary>
/// Writes a LevelDB-format table the way TF's <c>tensorflow/core/lib/io/table_builder.cc</c> does with
/// the options the tensor bundle uses (256 KiB blocks, restart interval 16, no compression), so the
/// bytes equal TF's for the same keys and values: data blocks, an empty metaindex block, the index
/// block (restart interval 1, shortest separators / short successor as keys), then the footer.
/// </summary>
internal sealed class TableWriter
{
    /// <summary>TF's <c>table_options.h</c> default; the bundle writer keeps it.</summary>
    public const int BlockSize = 262144;

    private readonly Stream _output;
    private readonly BlockBuilder _data = new(16);
    private readonly BlockBuilder _index = new(1);
    private byte[] _lastKey = [];
    private long _entries;
    private ulong _offset;
    private BlockHandle _pendingHandle;
    private bool _pendingIndexEntry;

    public TableWriter(Stream output) => _output = output;

    /// <summary>Appends an entry; keys must be strictly increasing (bytewise).</summary>
    /// <exception cref="ArgumentException">The key is not greater than the previous one.</exception>
    public void Add(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        if (_entries > 0 && key.SequenceCompareTo(_lastKey) <= 0)
            throw new ArgumentException("Table keys must be added in strictly increasing order.", nameof(key));
        if (_pendingIndexEntry)
        {
            _index.Add(KeyOrder.ShortestSeparator(_lastKey, key), _pendingHandle.Encode());
            _pendingIndexEntry = false;
        }
        _lastKey = key.ToArray();
        _entries++;
        _data.Add(key, value);
        if (_data.CurrentSizeEstimate >= BlockSize) Flush();
    }

    /// <summary>Flushes the last block and writes metaindex, index and footer.</summary>
    public void Finish()
    {
        Flush();
        var metaIndex = WriteBlock(new BlockBuilder(16));
        if (_pendingIndexEntry)
        {
            _index.Add(KeyOrder.ShortSuccessor(_lastKey), _pendingHandle.Encode());
            _pendingIndexEntry = false;
        }
        var index = WriteBlock(_index);
        _output.Write(TableFooter.Encode(metaIndex, index));
    }

    private void Flush()
    {
        if (_data.IsEmpty) return;
        _pendingHandle = WriteBlock(_data);
        _pendingIndexEntry = true;
    }

    private BlockHandle WriteBlock(BlockBuilder block)
    {
        var contents = block.Finish();
        var handle = new BlockHandle(_offset, (ulong)contents.Length);
        _output.Write(contents);
        // Trailer: compression type (0 = none) and the masked CRC of contents ‖ type.
        Span<byte> trailer = stackalloc byte[5];
        trailer[0] = 0;
        uint crc = Crc32C.Extend(Crc32C.Compute(contents), trailer[..1]);
        BinaryPrimitives.WriteUInt32LittleEndian(trailer[1..], Crc32C.Mask(crc));
        _output.Write(trailer);
        _offset += (ulong)contents.Length + 5;
        return handle;
    }
}

/// <summary>TF's bytewise comparator helpers (<c>tensorflow/core/lib/io/table_builder.cc</c> copies of LevelDB's).</summary>
internal static class KeyOrder
{
    /// <summary>A short key k with start ≤ k &lt; limit (LevelDB's FindShortestSeparator).</summary>
    public static byte[] ShortestSeparator(ReadOnlySpan<byte> start, ReadOnlySpan<byte> limit)
    {
        int min = Math.Min(start.Length, limit.Length);
        int d = 0;
        while (d < min && start[d] == limit[d]) d++;
        if (d < min)
        {
            byte b = start[d];
            if (b < 0xFF && b + 1 < limit[d])
            {
                var sep = start[..(d + 1)].ToArray();
                sep[d]++;
                return sep;
            }
        }
        return start.ToArray();
    }

    /// <summary>A short key ≥ key (LevelDB's FindShortSuccessor).</summary>
    public static byte[] ShortSuccessor(ReadOnlySpan<byte> key)
    {
        for (int i = 0; i < key.Length; i++)
        {
            if (key[i] != 0xFF)
            {
                var succ = key[..(i + 1)].ToArray();
                succ[i]++;
                return succ;
            }
        }
        return key.ToArray();
    }
}
