using System.Text;
using Google.Protobuf;
using TypedGraph.Protos;

namespace TypedGraph.Formats;

/// <summary>
/// Reads a TF V2 checkpoint (<c>&lt;prefix&gt;.index</c> + <c>&lt;prefix&gt;.data-NNNNN-of-MMMMM</c>), as TF's
/// <c>BundleReader</c>: the index table is parsed and CRC-checked at open, data files are memory-mapped,
/// and every tensor's CRC32C is verified when it is read (unless opted out). Large numeric tensors come
/// back as private copy-on-write views of the mapping (zero-copy), small ones as copies. Partitioned
/// tensors are assembled from their slices.
/// </summary>
/// <remarks>Reads may run concurrently from several threads; <see cref="Dispose"/> must not race with them.</remarks>
public sealed partial class CheckpointReader : IDisposable
{
    private readonly Dictionary<string, CheckpointEntry> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, BundleEntryProto> _protos = new(StringComparer.Ordinal);
    // Slice entries keyed by their binary key, held as a Latin-1 string (one char per byte).
    private readonly Dictionary<string, BundleEntryProto> _sliceEntries = new(StringComparer.Ordinal);
    private readonly MappedShard?[] _shards;
    private readonly object _gate = new();
    private readonly IReadOnlyList<byte[]>? _memoryShards;
    private bool _disposed;

    private CheckpointReader(string prefix, bool verifyCrc) : this(prefix, verifyCrc, ReadIndex(prefix + ".index"), null)
    {
    }

    // memoryShards: the data files' bytes (FromMemory), or null to map the files beside the index.
    private CheckpointReader(string prefix, bool verifyCrc, byte[] file, IReadOnlyList<byte[]>? memoryShards)
    {
        Prefix = prefix;
        VerifyCrc = verifyCrc;
        IndexPath = prefix + ".index";
        _memoryShards = memoryShards;
        var table = TableReader.ReadAll(file, IndexPath);
        if (table.Count == 0 || table[0].Key.Length != 0)
            throw new CheckpointFormatException(IndexPath, "the index has no bundle header (the empty key must come first)");
        Header = ParseProto(BundleHeaderProto.Parser, table[0].Value, "the bundle header");
        CheckHeader();
        var entries = new List<CheckpointEntry>();
        foreach (var (key, value) in table.Skip(1))
        {
            var proto = ParseProto(BundleEntryProto.Parser, value, $"the entry of '{TableReader.KeyText(key)}'");
            RawEntries.Add((key, proto));
            if (key[0] == 0)
            {
                _sliceEntries.Add(Encoding.Latin1.GetString(key), proto);
                continue;
            }
            var entry = ToEntry(Encoding.UTF8.GetString(key), proto);
            // Keys are bytes; two invalid-UTF-8 keys could decode to the same name.
            if (!_byName.TryAdd(entry.Name, entry))
                throw new CheckpointFormatException(IndexPath, $"two keys decode to the tensor name '{entry.Name}' (not valid UTF-8)");
            entries.Add(entry);
            _protos.Add(entry.Name, proto);
        }
        Entries = entries;
        // A missing data file is reported now rather than on the first read of one of its tensors. The files are
        // looked for before the shard table is sized: num_shards comes from the file (INT_MAX must not allocate).
        if (memoryShards != null && memoryShards.Count != Header.NumShards)
            throw new CheckpointFormatException(IndexPath, $"the index lists {Header.NumShards} shard(s), but {memoryShards.Count} data file(s) were given");
        for (int i = 0; memoryShards == null && i < Header.NumShards; i++)
        {
            var path = DataPath(prefix, i, Header.NumShards);
            if (!File.Exists(path)) throw new CheckpointFormatException(path, $"the checkpoint data shard file is missing (the index '{IndexPath}' lists {Header.NumShards} shard(s))");
        }
        _shards = new MappedShard?[Header.NumShards];
    }

    /// <summary>Opens a checkpoint by prefix (e.g. <c>dir/model-1000</c>), by its <c>.index</c> path, or by
    /// a directory with a <c>checkpoint</c> state file (its latest checkpoint).</summary>
    /// <param name="prefix">Prefix, index path or directory.</param>
    /// <param name="verifyCrc">Check every tensor's CRC32C when it is read (TF always does; turn off only for speed).</param>
    /// <exception cref="CheckpointFormatException">Files missing or malformed.</exception>
    public static CheckpointReader Open(string prefix, bool verifyCrc = true) => new(Checkpoint.ResolvePrefix(prefix), verifyCrc);

    /// <summary>A reader over checkpoint bytes held in memory (the fuzzer's in-process path): the same parsing and
    /// checks as <see cref="Open"/>, with <paramref name="prefix"/> used only in messages and every tensor copied out
    /// of <paramref name="shards"/> (no mapping).</summary>
    /// <exception cref="CheckpointFormatException">Malformed bytes, or a shard count other than the header's.</exception>
    internal static CheckpointReader FromMemory(string prefix, byte[] index, IReadOnlyList<byte[]> shards, bool verifyCrc = true)
        => new(prefix, verifyCrc, index, shards);

    private static byte[] ReadIndex(string indexPath)
    {
        try
        {
            return File.ReadAllBytes(indexPath);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CheckpointFormatException(indexPath, "no such checkpoint index file", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointFormatException(indexPath, "the checkpoint index cannot be read: " + e.Message, e);
        }
    }

    /// <summary>The checkpoint prefix.</summary>
    public string Prefix { get; }

    /// <summary>The <c>.index</c> file.</summary>
    public string IndexPath { get; }

    /// <summary>Whether reads verify CRCs.</summary>
    public bool VerifyCrc { get; }

    /// <summary>The bundle header (<c>num_shards</c>, endianness, version).</summary>
    internal BundleHeaderProto Header { get; }

    /// <summary>Number of data files.</summary>
    public int NumShards => Header.NumShards;

    /// <summary>Every tensor in key order (slices of partitioned tensors are folded into their full entry).</summary>
    public IReadOnlyList<CheckpointEntry> Entries { get; }

    /// <summary>Every tensor in the order its bytes sit in the data files (shard, then offset): the order the
    /// original writer added them. Adding them to a <see cref="CheckpointWriter"/> in this order reproduces
    /// the data file byte for byte, whichever order the writer used (TF1 sorted names, TF2 object order).</summary>
    public IEnumerable<CheckpointEntry> EntriesInDataOrder => Entries.OrderBy(e => e.ShardId).ThenBy(e => e.Offset);

    /// <summary>Every index entry after the header (slice keys included) in key order, for merging.</summary>
    internal List<(byte[] Key, BundleEntryProto Proto)> RawEntries { get; } = [];

    /// <summary>True when a tensor with that key exists.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>The entry of <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such tensor; the message names the checkpoint.</exception>
    public CheckpointEntry GetEntry(string name) => _byName.TryGetValue(name, out var e) ? e : throw NotFound(name);

    /// <summary>The raw BundleEntryProto of a tensor (with its slices, if any).</summary>
    /// <exception cref="KeyNotFoundException">No such tensor.</exception>
    internal BundleEntryProto GetEntryProto(string name) => _protos.TryGetValue(name, out var e) ? e : throw NotFound(name);

    /// <summary>The slices a partitioned tensor is saved as (empty for a normal tensor).</summary>
    /// <exception cref="KeyNotFoundException">No such tensor.</exception>
    /// <exception cref="CheckpointFormatException">A slice in the index is invalid.</exception>
    public IReadOnlyList<TensorSlice> GetSlices(string name) => GetEntryProto(name).Slices.Select(s => SliceOf(name, s)).ToList();

    /// <summary>The data file of shard <paramref name="shard"/> of <paramref name="numShards"/>: <c>prefix.data-00000-of-00001</c>.</summary>
    public static string DataPath(string prefix, int shard, int numShards) => $"{prefix}.data-{shard:D5}-of-{numShards:D5}";

    /// <summary>Releases the reader's hold on the mapped data files. Tensors already read stay valid until disposed.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var s in _shards) s?.Dispose();
        }
    }

    private MappedShard Shard(int id, string tensor)
    {
        if (id < 0 || id >= _shards.Length)
            throw new CheckpointFormatException(IndexPath, $"tensor '{tensor}' names shard {id}, but the bundle has {_shards.Length}");
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _shards[id] ??= _memoryShards == null
                ? MappedShard.Open(DataPath(Prefix, id, _shards.Length))
                : MappedShard.FromMemory(DataPath(Prefix, id, _shards.Length), _memoryShards[id]);
        }
    }

    private void CheckHeader()
    {
        if (Header.NumShards <= 0)
            throw new CheckpointFormatException(IndexPath, $"the bundle header declares {Header.NumShards} shards");
        if (Header.Endianness != BundleHeaderProto.Types.Endianness.Little)
            throw new CheckpointFormatException(IndexPath, "the bundle was written big-endian; only little-endian bundles are supported");
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Reading checkpoints needs a little-endian machine.");
        // As TF's CheckVersions against kTensorBundleVersion = 1.
        var v = Header.Version;
        if (v != null && (v.MinConsumer > 1 || v.BadConsumers.Contains(1)))
            throw new CheckpointFormatException(IndexPath, $"the bundle needs reader version ≥ {v.MinConsumer}; this reader is version 1");
    }

    private CheckpointEntry ToEntry(string name, BundleEntryProto p)
    {
        var dtype = p.Dtype;
        if (dtype == DataType.DtInvalid || DataTypes.IsRef(dtype))
            throw new CheckpointFormatException(IndexPath, $"tensor '{name}' has invalid dtype {(int)dtype}");
        var shape = p.Shape == null ? [] : p.Shape.Dim.Select(d => d.Size).ToArray();
        if (p.Shape is { UnknownRank: true } || shape.Any(d => d < 0))
            throw new CheckpointFormatException(IndexPath, $"tensor '{name}' has a non-concrete shape");
        if (shape.Any(d => d > int.MaxValue) || !FitsInLong(shape))
            throw new CheckpointFormatException(IndexPath, $"tensor '{name}' has an impossible shape [{string.Join(", ", shape)}]");
        return new CheckpointEntry(name, dtype, shape, p.ShardId, p.Offset, p.Size, p.Crc32C, p.Slices.Count > 0);
    }

    private static bool FitsInLong(long[] shape)
    {
        long n = 1;
        foreach (var d in shape)
        {
            if (d != 0 && n > long.MaxValue / 16 / d) return false; // leaves room for the element size
            n *= d;
        }
        return true;
    }

    private T ParseProto<T>(MessageParser<T> parser, byte[] bytes, string what) where T : IMessage<T>
    {
        try
        {
            return parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new CheckpointFormatException(IndexPath, $"{what} is not a valid protobuf: {e.Message}", e);
        }
    }

    private KeyNotFoundException NotFound(string name)
    {
        var close = _byName.Keys.Where(k => k.Contains(name, StringComparison.OrdinalIgnoreCase) || name.Contains(k, StringComparison.OrdinalIgnoreCase)).Take(5).ToList();
        return new KeyNotFoundException($"Checkpoint '{Prefix}' has no tensor named '{name}'." +
            (close.Count > 0 ? " Did you mean: " + string.Join(", ", close.Select(c => $"'{c}'")) + "?" : ""));
    }
}
