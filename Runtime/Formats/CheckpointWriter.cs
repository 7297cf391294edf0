using System.Text;
using Google.Protobuf;
using TypedGraph.Protos;

namespace TypedGraph.Formats;

/// <summary>
/// Writes a TF V2 checkpoint byte-identical to what TF's Saver writes for the same tensors: one data
/// file <c>&lt;prefix&gt;.data-00000-of-00001</c> with the tensors back to back — by default in sorted-key
/// order (TF1's Python Saver adds them sorted, and <c>BundleWriter::Add</c> appends in call order), or with
/// <see cref="CheckpointDataOrder.AddOrder"/> in the order they were added (what TF's <c>SaveV2</c> kernel does
/// with its inputs; TF2's object-based saver passes them in object order), and <c>&lt;prefix&gt;.index</c>
/// (TF's table layout, header <c>08 01 1A 02 08 01</c>). Files are written under temporary names and
/// renamed at <see cref="Finish()"/>, so a failure never leaves a half-written checkpoint.
/// </summary>
/// <remarks>Tensors are referenced, not copied, until <see cref="Finish()"/>: keep them alive and unchanged until then.</remarks>
public sealed class CheckpointWriter : IDisposable
{
    private readonly SortedDictionary<byte[], Pending> _entries = new(BytewiseComparer.Instance);
    private readonly List<byte[]> _dataOrder = [];
    private bool _finished;

    /// <summary>Starts a checkpoint at <paramref name="prefix"/> (e.g. <c>dir/model-1000</c>); its directory is created at Finish.</summary>
    /// <exception cref="ArgumentException">The prefix is empty.</exception>
    public CheckpointWriter(string prefix) : this(prefix, CheckpointDataOrder.SortedKeys)
    {
    }

    /// <summary>Starts a checkpoint at <paramref name="prefix"/> whose data file follows <paramref name="dataOrder"/>.</summary>
    /// <exception cref="ArgumentException">The prefix is empty.</exception>
    public CheckpointWriter(string prefix, CheckpointDataOrder dataOrder)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        Prefix = prefix;
        DataOrder = dataOrder;
    }

    /// <summary>The order of the tensors in the data file (the index is always in key order).</summary>
    public CheckpointDataOrder DataOrder { get; }

    /// <summary>The checkpoint prefix.</summary>
    public string Prefix { get; }

    /// <summary>Adds a tensor under <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">Empty or duplicate name, or a dtype a checkpoint cannot hold.</exception>
    /// <exception cref="InvalidOperationException">Called after <see cref="Finish()"/>.</exception>
    public void Add(string name, Tensor value)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(value);
        if (name[0] == '\0') throw new ArgumentException("Tensor names may not start with a NUL byte (reserved for slice keys).", nameof(name));
        AddEntry(Encoding.UTF8.GetBytes(name), name, value);
    }

    /// <summary>Adds one slice of a partitioned tensor, as TF's <c>BundleWriter::AddSlice</c>: a slice that
    /// covers the whole tensor is a plain <see cref="Add"/>; otherwise the full tensor's entry lists the slice
    /// and the slice's values go under its binary slice key.</summary>
    /// <exception cref="ArgumentException">Shapes, ranks or dtypes disagree with earlier slices.</exception>
    public void AddSlice(string fullName, long[] fullShape, TensorSlice slice, Tensor value)
    {
        ArgumentException.ThrowIfNullOrEmpty(fullName);
        if (slice.Rank != fullShape.Length) throw new ArgumentException($"Slice {slice} has rank {slice.Rank}; '{fullName}' has rank {fullShape.Length}.", nameof(slice));
        var sliceShape = slice.ShapeIn(fullShape);
        if (!value.Shape.ToArray().Select(d => (long)d).SequenceEqual(sliceShape))
            throw new ArgumentException($"Slice {slice} of '{fullName}' needs shape [{string.Join(", ", sliceShape)}], got {value.Shape}.", nameof(value));
        if (slice.CoversAll(fullShape))
        {
            Add(fullName, value);
            return;
        }
        var key = Encoding.UTF8.GetBytes(fullName);
        if (_entries.TryGetValue(key, out var full))
        {
            if (full.Slices == null || full.DType != value.DType || !full.FullShape!.SequenceEqual(fullShape))
                throw new ArgumentException($"'{fullName}' was already added with another dtype, shape or as a whole tensor.", nameof(fullName));
        }
        else
        {
            full = new Pending(null, value.DType, fullShape, []);
            _entries.Add(key, full);
        }
        full.Slices!.Add(slice);
        AddEntry(SliceKeys.Encode(fullName, slice), $"{fullName} slice {slice}", value);
    }

    /// <summary>Writes the data file and the index and renames them into place.</summary>
    /// <exception cref="InvalidOperationException">Already finished.</exception>
    /// <exception cref="IOException">Writing failed (nothing is left behind).</exception>
    public void Finish() => Finish(null);

    /// <summary>As <see cref="Finish()"/>, reporting the data bytes written so far after each tensor.</summary>
    /// <param name="bytesWritten">Progress sink (e.g. for a progress bar), or null.</param>
    /// <exception cref="InvalidOperationException">Already finished.</exception>
    /// <exception cref="IOException">Writing failed (nothing is left behind).</exception>
    public void Finish(IProgress<long>? bytesWritten)
    {
        if (_finished) throw new InvalidOperationException($"Checkpoint '{Prefix}' is already finished.");
        _finished = true;
        var dir = Path.GetDirectoryName(Path.GetFullPath(Prefix));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        string dataPath = CheckpointReader.DataPath(Prefix, 0, 1), indexPath = Prefix + ".index";
        string dataTemp = TempName(dataPath), indexTemp = TempName(indexPath);
        try
        {
            var protos = WriteData(dataTemp, bytesWritten);
            WriteIndex(indexTemp, new BundleHeaderProto { NumShards = 1, Version = new VersionDef { Producer = 1 } }, protos);
            File.Move(dataTemp, dataPath, overwrite: true);
            File.Move(indexTemp, indexPath, overwrite: true);
        }
        finally
        {
            TryDelete(dataTemp);
            TryDelete(indexTemp);
        }
    }

    /// <summary>Drops an unfinished checkpoint (nothing was written yet).</summary>
    public void Dispose()
    {
        _entries.Clear();
        _dataOrder.Clear();
    }

    private void AddEntry(byte[] key, string display, Tensor value)
    {
        if (_finished) throw new InvalidOperationException($"Checkpoint '{Prefix}' is already finished.");
        var dtype = value.DType;
        if (dtype != DataType.DtString && !DataTypes.IsNumeric(dtype))
            throw new ArgumentException($"'{display}' is a {DataTypes.Name(dtype)} tensor; checkpoints hold numeric, bool and string tensors.", nameof(value));
        if (!_entries.TryAdd(key, new Pending(value, dtype, null, null)))
            throw new ArgumentException($"Checkpoint '{Prefix}' already has a tensor '{display}'.", nameof(value));
        _dataOrder.Add(key);
    }

    /// <summary>Writes the data in add order; returns the index entries in key order.</summary>
    private List<(byte[] Key, BundleEntryProto Proto)> WriteData(string path, IProgress<long>? progress)
    {
        var written = new Dictionary<byte[], BundleEntryProto>(_dataOrder.Count, ReferenceEqualityComparer.Instance);
        using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
        {
            long offset = 0;
            IEnumerable<byte[]> order = DataOrder == CheckpointDataOrder.AddOrder ? _dataOrder : _dataOrder.Order(BytewiseComparer.Instance);
            foreach (var key in order)
            {
                var e = _entries[key];
                var value = e.Value!;
                var p = new BundleEntryProto { Dtype = e.DType, Shape = new TensorShapeProto() };
                foreach (var d in value.Shape.Dims) p.Shape.Dim.Add(new TensorShapeProto.Types.Dim { Size = d });
                uint crc;
                long size;
                if (e.DType == DataType.DtString)
                {
                    var (bytes, c) = StringTensorCodec.Encode(value.Strings);
                    stream.Write(bytes);
                    (crc, size) = (c, bytes.Length);
                }
                else
                {
                    var bytes = value.Bytes;
                    stream.Write(bytes);
                    (crc, size) = (Crc32C.Compute(bytes), bytes.Length);
                }
                p.Offset = offset;
                p.Size = size;
                p.Crc32C = Crc32C.Mask(crc);
                offset += size;
                written.Add(key, p);
                progress?.Report(offset);
            }
            stream.Flush(flushToDisk: true);
        }
        var protos = new List<(byte[], BundleEntryProto)>(_entries.Count);
        foreach (var (key, e) in _entries)
        {
            if (e.Value != null)
            {
                protos.Add((key, written[key]));
                continue;
            }
            var p = new BundleEntryProto { Dtype = e.DType, Shape = new TensorShapeProto() };
            foreach (var d in e.FullShape!) p.Shape.Dim.Add(new TensorShapeProto.Types.Dim { Size = d });
            foreach (var s in e.Slices!) p.Slices.Add(s.ToProto());
            protos.Add((key, p));
        }
        return protos;
    }

    internal static void WriteIndex(string path, BundleHeaderProto header, IEnumerable<(byte[] Key, BundleEntryProto Proto)> entries)
    {
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        var table = new TableWriter(stream);
        table.Add([], header.ToByteArray());
        foreach (var (key, proto) in entries) table.Add(key, proto.ToByteArray());
        table.Finish();
        stream.Flush(flushToDisk: true);
    }

    /// <summary>TF's <c>&lt;final&gt;.tempstate&lt;random 64-bit decimal&gt;</c>.</summary>
    internal static string TempName(string final) => final + ".tempstate" + ((ulong)Random.Shared.NextInt64()).ToString(System.Globalization.CultureInfo.InvariantCulture);

    internal static void TryDelete(string path)
    {
        try
        {
            if (File.Exists(path)) File.Delete(path);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private sealed record Pending(Tensor? Value, DataType DType, long[]? FullShape, List<TensorSlice>? Slices);
}

/// <summary>The order of the tensors' bytes in a checkpoint's data file.</summary>
public enum CheckpointDataOrder
{
    /// <summary>Sorted by key, as TF1's Python Saver adds them.</summary>
    SortedKeys,

    /// <summary>In <see cref="CheckpointWriter.Add"/> order, as TF's <c>SaveV2</c> kernel writes its inputs
    /// (TF2's object-based saver: object order); re-saving in a reader's
    /// <see cref="CheckpointReader.EntriesInDataOrder"/> reproduces any TF-written data file.</summary>
    AddOrder,
}

/// <summary>Unsigned bytewise key order (TF's BytewiseComparator).</summary>
internal sealed class BytewiseComparer : IComparer<byte[]>
{
    public static readonly BytewiseComparer Instance = new();

    public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
}
