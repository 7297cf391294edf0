using System.Buffers;
using System.IO.MemoryMappedFiles;

namespace TypedGraph.Formats;

/// <summary>
/// One <c>.data-NNNNN-of-MMMMM</c> file mapped copy-on-write: tensors read from it are views into the
/// mapping (zero-copy) yet writable — a write lands in a private page and never reaches the file.
/// The mapping is reference-counted: the reader holds one reference and every zero-copy tensor one
/// more, so disposing the reader keeps the pages valid for tensors still in use; an undisposed tensor
/// leaves the mapping to the GC (the view's SafeHandle finalizer unmaps it).
/// </summary>
/// <remarks>
/// Our writer and TF both replace checkpoint files by rename, never by rewriting in place, so a
/// mapping keeps seeing the bytes it was opened on even when the same prefix is saved again.
/// </remarks>
internal sealed unsafe class MappedShard
{
    private readonly MemoryMappedFile? _file;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly byte* _pointer;
    private int _references = 1;

    private MappedShard(string path, MemoryMappedFile? file, MemoryMappedViewAccessor? view, long length)
    {
        Path = path;
        _file = file;
        _view = view;
        Length = length;
        if (view != null)
        {
            byte* p = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            _pointer = p + view.PointerOffset;
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
            return new MappedShard(path, null, null, 0);
        }
        var file = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.CopyOnWrite, HandleInheritability.None, leaveOpen: false);
        var view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.CopyOnWrite);
        return new MappedShard(path, file, view, length);
    }

    /// <summary>The bytes at [offset, offset+size); the caller has checked the bounds.</summary>
    public ReadOnlySpan<byte> Span(long offset, int size) => size == 0 ? default : new ReadOnlySpan<byte>(_pointer + offset, size);

    /// <summary>Writable zero-copy memory over [offset, offset+size) holding a reference to the mapping.</summary>
    public MemoryManager<byte> Lease(long offset, int size)
    {
        if (Interlocked.Increment(ref _references) <= 1)
            throw new ObjectDisposedException(Path, "The checkpoint reader was disposed.");
        return new ShardMemory(this, _pointer + offset, size);
    }

    /// <summary>Drops one reference; the last one unmaps.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _references) != 0) return;
        if (_view != null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }
        _file?.Dispose();
    }

    private sealed class ShardMemory(MappedShard shard, byte* pointer, int length) : MemoryManager<byte>
    {
        private int _released;

        public override Span<byte> GetSpan() => new(pointer, length);

        public override MemoryHandle Pin(int elementIndex = 0) => new(pointer + elementIndex);

        public override void Unpin() { }

        protected override void Dispose(bool disposing)
        {
            if (disposing && Interlocked.Exchange(ref _released, 1) == 0) shard.Release();
        }
    }
}
