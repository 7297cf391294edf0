using System.Buffers.Binary;

namespace TypedGraph.Formats;

/// <summary>
/// Reads every entry of a LevelDB-format table held in memory (a bundle's <c>.index</c> is small),
/// verifying the footer magic, every handle's bounds and every block's masked CRC32C, as TF's
/// <c>table.cc</c> / <c>format.cc</c> do. Any defect is a <see cref="CheckpointFormatException"/> naming the file.
/// </summary>
internal static class TableReader
{
    /// <summary>All entries in file order (which is key order for a well-formed table).</summary>
    /// <exception cref="CheckpointFormatException">The bytes are not a valid table.</exception>
    public static List<KeyValuePair<byte[], byte[]>> ReadAll(byte[] file, string path)
    {
        if (file.Length == 0) throw Bad(path, "the file is empty (expected a tensor bundle index table)");
        if (file.Length < TableFooter.Length)
            throw Bad(path, $"the file is {file.Length} bytes, shorter than the {TableFooter.Length}-byte table footer (truncated?)");
        var footer = file.AsSpan(file.Length - TableFooter.Length);
        ulong magic = BinaryPrimitives.ReadUInt64LittleEndian(footer[40..]);
        if (magic != TableFooter.Magic)
            throw Bad(path, $"bad table magic 0x{magic:x16} (expected 0x{TableFooter.Magic:x16}); not a TF checkpoint index or truncated");
        var reader = new SpanReader(footer);
        if (!BlockHandle.TryDecode(ref reader, out var metaHandle) || !BlockHandle.TryDecode(ref reader, out var indexHandle))
            throw Bad(path, "the footer's block handles are malformed");
        // TF never reads the (always empty) metaindex block; checking its CRC too costs nothing and
        // catches corruption there.
        ReadBlock(file, metaHandle, path, "metaindex block");

        var index = ReadBlock(file, indexHandle, path, "index block");
        var entries = new List<KeyValuePair<byte[], byte[]>>();
        foreach (var (indexKey, handleBytes) in ParseBlock(index, path, "index block"))
        {
            var hr = new SpanReader(handleBytes);
            if (!BlockHandle.TryDecode(ref hr, out var handle))
                throw Bad(path, "an index entry holds a malformed block handle");
            var block = ReadBlock(file, handle, path, $"data block at offset {handle.Offset}");
            foreach (var kv in ParseBlock(block, path, $"data block at offset {handle.Offset}"))
            {
                if (entries.Count > 0 && kv.Key.AsSpan().SequenceCompareTo(entries[^1].Key) <= 0)
                    throw Bad(path, $"keys are out of order at '{KeyText(kv.Key)}'");
                if (kv.Key.AsSpan().SequenceCompareTo(indexKey) > 0)
                    throw Bad(path, $"key '{KeyText(kv.Key)}' lies beyond its block's index key");
                entries.Add(kv);
            }
        }
        return entries;
    }

    private static byte[] ReadBlock(byte[] file, BlockHandle handle, string path, string what)
    {
        // Compared without adding, so a handle near 2^64 cannot wrap past the check.
        ulong limit = (ulong)(file.Length - TableFooter.Length);
        if (handle.Size > limit || handle.Size + 5 > limit || handle.Offset > limit - handle.Size - 5)
            throw Bad(path, $"the {what} (offset {handle.Offset}, size {handle.Size}) runs past the end of the file (truncated?)");
        var contents = file.AsSpan((int)handle.Offset, (int)handle.Size);
        byte type = file[(int)(handle.Offset + handle.Size)];
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan((int)(handle.Offset + handle.Size + 1)));
        uint actual = Crc32C.Mask(Crc32C.Extend(Crc32C.Compute(contents), [type]));
        if (stored != actual)
            throw Bad(path, $"CRC mismatch in the {what}: stored 0x{stored:x8}, computed 0x{actual:x8} (corrupted file){GuessEntries(contents)}");
        if (type != 0)
            throw Bad(path, $"the {what} uses compression type {type}; TF bundles are never compressed");
        return contents.ToArray();
    }

    private static List<KeyValuePair<byte[], byte[]>> ParseBlock(byte[] block, string path, string what)
    {
        if (block.Length < 4) throw Bad(path, $"the {what} is only {block.Length} bytes");
        uint numRestarts = BinaryPrimitives.ReadUInt32LittleEndian(block.AsSpan(block.Length - 4));
        long restartsStart = block.Length - 4 - 4L * numRestarts;
        if (numRestarts == 0 || restartsStart < 0)
            throw Bad(path, $"the {what} declares {numRestarts} restart points, impossible for its {block.Length} bytes");
        var result = new List<KeyValuePair<byte[], byte[]>>();
        var reader = new SpanReader(block.AsSpan(0, (int)restartsStart));
        byte[] prev = [];
        while (reader.Remaining > 0)
        {
            if (!reader.TryReadVarint32(out uint shared) || !reader.TryReadVarint32(out uint nonShared)
                || !reader.TryReadVarint32(out uint valueLength) || shared > prev.Length
                || !reader.TryReadBytes(nonShared, out var delta) || !reader.TryReadBytes(valueLength, out var value))
                throw Bad(path, $"a corrupt entry in the {what} after key '{KeyText(prev)}'");
            var key = new byte[shared + nonShared];
            prev.AsSpan(0, (int)shared).CopyTo(key);
            delta.CopyTo(key.AsSpan((int)shared));
            result.Add(new(key, value.ToArray()));
            prev = key;
        }
        return result;
    }

    // Best effort for the error message: the tensors a corrupt block seems to describe, if it still parses.
    private static string GuessEntries(ReadOnlySpan<byte> contents)
    {
        try
        {
            var names = ParseBlock(contents.ToArray(), "", "")
                .Where(kv => kv.Key.Length > 0).Select(kv => KeyText(kv.Key)).Take(6).ToList();
            return names.Count == 0 ? "" : "; the block lists tensor(s) " + string.Join(", ", names.Take(5).Select(n => $"'{n}'")) + (names.Count > 5 ? ", …" : "");
        }
        catch (CheckpointFormatException)
        {
            return "";
        }
    }

    /// <summary>A printable form of a key (slice keys are binary).</summary>
    public static string KeyText(byte[] key)
        => key.Length > 0 && key[0] == 0 ? "0x" + Convert.ToHexString(key) : System.Text.Encoding.UTF8.GetString(key);

    private static CheckpointFormatException Bad(string path, string message) => new(path, message);
}
