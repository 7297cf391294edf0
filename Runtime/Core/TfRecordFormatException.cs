namespace TypedGraph;

/// <summary>
/// A TFRecord file (<c>.tfrecord</c>, TensorBoard event file) holds a record whose length or data fails its
/// CRC32C, or ends in the middle of a record.
/// </summary>
public sealed class TfRecordFormatException : TypedGraphException
{
    /// <summary>Creates the exception for record <paramref name="recordIndex"/> (0-based) of <paramref name="path"/>.</summary>
    public TfRecordFormatException(string path, long recordIndex, long offset, string message, bool truncated = false, Exception? inner = null)
        : base($"{path}: record {recordIndex} (at byte {offset}): {message}", inner)
    {
        Path = path;
        RecordIndex = recordIndex;
        Offset = offset;
        IsTruncated = truncated;
    }

    /// <summary>The file the error is about.</summary>
    public string Path { get; }

    /// <summary>0-based index of the bad record.</summary>
    public long RecordIndex { get; }

    /// <summary>Byte offset (in the uncompressed record stream) where the bad record starts.</summary>
    public long Offset { get; }

    /// <summary>
    /// True when the file ends inside the record (a writer may still be appending to it, as with a live
    /// TensorBoard event file) rather than holding bytes that fail their checksum.
    /// </summary>
    public bool IsTruncated { get; }
}
