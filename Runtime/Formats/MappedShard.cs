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
/// by the view's SafeHandle finalizer. A span over a view is a raw pointer the GC does not track, so the
/// code holding the span must keep the owner (tensor, <see cref="Memory{T}"/> or this shard) reachable until
/// it is done (<see cref="GC.KeepAlive"/>, a <c>using</c>, or a pin): otherwise the finalizer can unmap the
/// pages mid-copy (issue 9: SIGSEGV in a restore loop). <see cref="MemoryManager{T}.Pin"/> takes a
/// reference on the mapping, so a pinned view stays mapped even across an explicit dispose. Our writer and TF both replace checkpoint files by rename,
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

    // A shard held in memory (FromMemory); Span hands out spans of it instead of the mapping's pointer.
    private readonly byte[]? _memory;
    private bool _memoryDisposed;

    private MappedShard(string path, byte[] memory)
    {
        Path = path;
        _memory = memory;
        Length = memory.Length;
    }

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

    /// <summary>False for a shard held in memory (<see cref="FromMemory"/>): it has no mapping to make private views of.</summary>
    public bool IsMapped => _memory == null;

    /// <summary>A shard over <paramref name="bytes"/> (<c>CheckpointReader.FromMemory</c>), which must not change
    /// while it is read; <paramref name="path"/> is used in messages only.</summary>
    public static MappedShard FromMemory(string path, byte[] bytes) => new(path, bytes);

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

    /// <summary>The bytes at [offset, offset+size) through the shared read-only view; the caller has checked the
    /// bounds and keeps this shard reachable (<see cref="GC.KeepAlive"/>) until it is done with the span.</summary>
    public ReadOnlySpan<byte> Span(long offset, int size)
    {
        if (size == 0) return default;
        if (_memory != null)
        {
            ObjectDisposedException.ThrowIf(_memoryDisposed, this);
            return _memory.AsSpan(checked((int)offset), size);
        }
        ObjectDisposedException.ThrowIf(_view == null || _view.SafeMemoryMappedViewHandle.IsClosed, this);
        return new ReadOnlySpan<byte>(_pointer + offset, size);
    }

    /// <summary>A copy of [offset, offset+size); the shard stays mapped until the copy is complete.</summary>
    public byte[] Copy(long offset, int size)
    {
        var copy = Span(offset, size).ToArray();
        GC.KeepAlive(this);
        return copy;
    }

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
        _memoryDisposed = true;
        _view?.Dispose();
        _file?.Dispose();
    }

    private sealed class ViewMemory(MemoryMappedViewAccessor view, byte* pointer, int length) : MemoryManager<byte>
    {
        public override Span<byte> GetSpan()
        {
            // A disposed view must not hand out a pointer to unmapped pages.
            ObjectDisposedException.ThrowIf(view.SafeMemoryMappedViewHandle.IsClosed, this);
            return new(pointer, length);
        }

        // The handle references the manager (so the GC keeps it) and holds a count on the SafeHandle, which
        // defers the unmap of an explicit Dispose until the last Unpin.
        public override MemoryHandle Pin(int elementIndex = 0)
        {
            if ((uint)elementIndex > (uint)length) throw new ArgumentOutOfRangeException(nameof(elementIndex));
            bool added = false;
            view.SafeMemoryMappedViewHandle.DangerousAddRef(ref added);
            return new MemoryHandle(pointer + elementIndex, default, this);
        }

        public override void Unpin() => view.SafeMemoryMappedViewHandle.DangerousRelease();

        protected override void Dispose(bool disposing)
        {
            if (disposing) view.Dispose();
        }
    }
}
