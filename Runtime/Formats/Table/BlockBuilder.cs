using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace TypedGraph.Formats;

/// <summary>
/// Builds one table block exactly as TF's <c>tensorflow/core/lib/io/block_builder.cc</c> (LevelDB's):
/// prefix-compressed keys, a restart point every <c>restartInterval</c> entries, then the restart
/// offsets and their count as fixed32s.
/// </summary>
internal sealed class BlockBuilder
{
    private readonly int _restartInterval;
    private readonly List<byte> _buffer = [];
    private readonly List<uint> _restarts = [0];
    private byte[] _lastKey = [];
    private int _counter;

    public BlockBuilder(int restartInterval) => _restartInterval = restartInterval;

    /// <summary>True when no entry has been added since the last reset.</summary>
    public bool IsEmpty => _buffer.Count == 0;

    /// <summary>TF's flush estimate: entries + restart array + its count.</summary>
    public int CurrentSizeEstimate => _buffer.Count + _restarts.Count * 4 + 4;

    /// <summary>Appends an entry; keys must arrive in strictly increasing bytewise order.</summary>
    public void Add(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        int shared = 0;
        if (_counter < _restartInterval)
        {
            int max = Math.Min(_lastKey.Length, key.Length);
            while (shared < max && _lastKey[shared] == key[shared]) shared++;
        }
        else
        {
            _restarts.Add((uint)_buffer.Count);
            _counter = 0;
        }
        Varint.Write(_buffer, (ulong)shared);
        Varint.Write(_buffer, (ulong)(key.Length - shared));
        Varint.Write(_buffer, (ulong)value.Length);
        _buffer.AddRange(key[shared..]);
        _buffer.AddRange(value);
        _lastKey = key.ToArray();
        _counter++;
    }

    /// <summary>The finished block contents (entries, restarts, count); the builder is reset.</summary>
    public byte[] Finish()
    {
        foreach (var r in _restarts) Varint.WriteFixed32(_buffer, r);
        Varint.WriteFixed32(_buffer, (uint)_restarts.Count);
        var result = CollectionsMarshal.AsSpan(_buffer).ToArray();
        _buffer.Clear();
        _restarts.Clear();
        _restarts.Add(0);
        _lastKey = [];
        _counter = 0;
        return result;
    }
}

/// <summary>A block's position in the table file; the size excludes the 5-byte trailer.</summary>
internal readonly record struct BlockHandle(ulong Offset, ulong Size)
{
    /// <summary>Encoded as two varints (at most 20 bytes).</summary>
    public byte[] Encode()
    {
        Span<byte> b = stackalloc byte[20];
        int n = Varint.Write(b, Offset);
        n += Varint.Write(b[n..], Size);
        return b[..n].ToArray();
    }

    /// <summary>Decodes a handle; false when the bytes are not two varints.</summary>
    public static bool TryDecode(ref SpanReader reader, out BlockHandle handle)
    {
        handle = default;
        if (!reader.TryReadVarint(out var offset) || !reader.TryReadVarint(out var size)) return false;
        handle = new BlockHandle(offset, size);
        return true;
    }
}

/// <summary>The 48-byte table footer (LevelDB's <c>format.cc</c>): two handles, zero padding, magic.</summary>
internal static class TableFooter
{
    public const int Length = 48;
    public const ulong Magic = 0xdb4775248b80fb57UL;

    /// <summary>Encodes the footer for the given metaindex and index handles.</summary>
    public static byte[] Encode(BlockHandle metaIndex, BlockHandle index)
    {
        var footer = new byte[Length];
        var a = metaIndex.Encode();
        var b = index.Encode();
        a.CopyTo(footer, 0);
        b.CopyTo(footer, a.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(footer.AsSpan(40), Magic);
        return footer;
    }
}
