using System.Buffers;
using System.IO.MemoryMappedFiles;

namespace TypedGraph.Formats;

/// <summary>
/// One <c>.data-NNNNN-of-MMMMM</c> file, memory-mapped. The reader checks CRCs and decodes strings
/// through one shared read-only view. A large numeric tensor gets its own copy-on-write view
/// (zero-copy, yet writable: a write lands in a page private to that tensor and never reaches the
/// file or other reads); small ones are copied, which is cheaper than a mapping.
/// </summary>
/// <remarks>
/// A tensor's view outlives the reader: disposing the tensor unmaps it, an undisposed one is unmapped
/// by the view's SafeHandle finalizer. Our writer and TF both replace checkpoint files by rename,
/// never by rewriting in place, so a view keeps the bytes it was opened on even when the same prefix
/// is saved again.
/// </remarks>
internal sealed unsafe class MappedShard : IDisposable
{
    /// <summary>Numeric tensors at least this large are returned as private views rather than copies.</summary>
    public const int ZeroCopyThreshold = 256 * 1024;

    private readonly MemoryMappedFile? _file;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly byte* _pointer;

    private MappedShard(string path, MemoryMappedFile? file, long length)
    {
        Path = path;
        _file = file;
        Length = length;
        if (file != null)
        {
            _view = file.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            _pointer = (byte*)_view.SafeMemoryMappedViewHandle.DangerousGetHandle() + _view.PointerOffset;
        }
    }

    /// <summary>The data file.</summary>
    public string Path { get; }

    /// <summary>File length in bytes.</summary>
    public long Length { get; }

    /// <summary>Maps <paramref name="path"/>.</summary>
    /// <exception cref="CheckpointFormatException">The file is missing or unreadable.</exception>
    public static MappedShard Open(string path)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CheckpointFormatException(path, "the checkpoint data shard file is missing", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointFormatException(path, "the checkpoint data shard file cannot be opened: " + e.Message, e);
        }
        long length = stream.Length;
        if (length == 0)
        {
            // An empty shard (a bundle of empty tensors) cannot be mapped; nothing needs to be.
            stream.Dispose();
            return new MappedShard(path, null, 0);
        }
        var file = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.CopyOnWrite, HandleInheritability.None, leaveOpen: false);
        return new MappedShard(path, file, length);
    }

    /// <summary>The bytes at [offset, offset+size) through the shared read-only view; the caller has checked the bounds.</summary>
    public ReadOnlySpan<byte> Span(long offset, int size) => size == 0 ? default : new ReadOnlySpan<byte>(_pointer + offset, size);

    /// <summary>A private copy-on-write view of [offset, offset+size), owned by the returned manager.</summary>
    public MemoryManager<byte> MapPrivate(long offset, int size)
    {
        ObjectDisposedException.ThrowIf(_file == null, this);
        var view = _file.CreateViewAccessor(offset, size, MemoryMappedFileAccess.CopyOnWrite);
        return new ViewMemory(view, (byte*)view.SafeMemoryMappedViewHandle.DangerousGetHandle() + view.PointerOffset, size);
    }

    /// <summary>Unmaps the shared view; private views handed out stay valid.</summary>
    public void Dispose()
    {
        _view?.Dispose();
        _file?.Dispose();
    }

    private sealed class ViewMemory(MemoryMappedViewAccessor view, byte* pointer, int length) : MemoryManager<byte>
    {
        public override Span<byte> GetSpan() => new(pointer, length);

        public override MemoryHandle Pin(int elementIndex = 0) => new(pointer + elementIndex);

        public override void Unpin() { }

        protected override void Dispose(bool disposing)
        {
            if (disposing) view.Dispose();
        }
    }
}
