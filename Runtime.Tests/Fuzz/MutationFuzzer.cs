using System.Diagnostics;
using TypedGraph.Formats;
using TypedGraph.Tests.Support;

namespace TypedGraph.Tests.Fuzz;

/// <summary>
/// In-process mutation fuzzer for every file parser and for Session construction/run on mutated graphs, seeded from
/// the real TF files in <c>../shared/fixtures</c>. An input passes when it parses or fails with a
/// <see cref="TypedGraphException"/>; anything else (an untyped exception, a run over the time budget, one allocation
/// over <see cref="AllocationLimits.MaxTensorBytes"/>) is a finding, saved under the findings folder with its input.
/// The smoke run is <see cref="FuzzSmokeTests"/>; the long campaign is <c>tools/fuzz.sh</c> (docs/reliability.md).
/// </summary>
public sealed class MutationFuzzer
{
    /// <summary>One parser under fuzz: its name, its seed inputs and how one input is consumed.</summary>
    public sealed record Target(string Name, List<(string Name, byte[] Bytes)> Seeds, Action<byte[], string> Consume)
    {
        /// <summary>The work one input of each seed costs, in bytes the target reads (default: none given, seeds
        /// are picked uniformly). With costs, a seed is picked with probability ∝ 1 / max(cost, <see cref="CostFloor"/>),
        /// so every seed above the floor gets about the same CPU time and the large ones do not starve the rest.</summary>
        public long[]? Costs { get; init; }

        /// <summary>Seeds cheaper than this are picked as if they cost this much.</summary>
        public long CostFloor { get; init; } = 16 << 10;

        /// <summary>A structure-aware mutation used for half the inputs, or null: it returns the mutated bytes,
        /// or null when it cannot apply to that seed (then the plain mutation is used).</summary>
        public Func<MutationFuzzer, byte[], string, byte[]?>? DeepMutate { get; init; }
    }

    /// <summary>Per-target results.</summary>
    public sealed class Stats
    {
        public long Inputs;
        public long Accepted;
        public long TypedErrors;
        public long MaxAllocatedBytes;
        public long DeepMutations;
        public double Seconds;
        public List<string> Findings { get; } = [];
        public Dictionary<string, long> InputsPerSeed { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>Thrown by a target's own oracle (e.g. a mutated data file read back with changed values and no
    /// error): always a finding.</summary>
    public sealed class OracleViolation(string message) : Exception(message);

    private readonly Random _rng;
    private readonly string _work;
    private readonly string? _findingsDir;

    /// <summary>A fuzzer with a fixed seed (reproducible), scratch files in <paramref name="workDir"/>.</summary>
    public MutationFuzzer(int seed, string workDir, string? findingsDir = null)
    {
        _rng = new Random(seed);
        _work = workDir;
        _findingsDir = findingsDir;
        Directory.CreateDirectory(_work);
    }

    /// <summary>The fixture files of one kind.</summary>
    private static List<(string, byte[])> Seeds(Func<string, bool> pick)
        => Directory.EnumerateFiles(Fixtures.Root, "*", SearchOption.AllDirectories).Where(pick).Order(StringComparer.Ordinal)
            .Select(f => (Path.GetRelativePath(Fixtures.Root, f), File.ReadAllBytes(f))).ToList();

    /// <summary>Every target: graphs (.meta/.pb/saved_model.pb), .index, .data, checkpoint state, .npy, Session on mutated graphs,
    /// serialized tf.Examples through ParseExampleV2, TFRecord files (plain, GZIP, ZLIB).</summary>
    public List<Target> Targets()
    {
        var graphs = Seeds(f => f.EndsWith(".meta", StringComparison.Ordinal) || f.EndsWith(".pb", StringComparison.Ordinal));
        var indexes = Seeds(f => f.EndsWith(".index", StringComparison.Ordinal));
        var datas = Seeds(f => f.Contains(".data-", StringComparison.Ordinal) && new FileInfo(f).Length < 4 << 20);
        var states = Seeds(f => Path.GetFileName(f) == "checkpoint");
        var sessionGraphs = graphs.Where(g => g.Item2.Length < 200_000).ToList();
        var npys = new List<(string, byte[])>();
        foreach (var t in new[] { Tensor.Create(new[] { 1f, -2f, 3.5f, 0f }, 2, 2), Tensor.Create(new[] { 1L, 2L, 3L }, 3), Tensor.FromScalar(2.5), Tensor.Create(new[] { true, false }, 2) })
        {
            using var ms = new MemoryStream();
            Npy.Write(ms, t);
            npys.Add(($"{DataTypes.Name(t.DType)}.npy", ms.ToArray()));
        }
        return
        [
            new("graph", graphs, (bytes, name) => MetaGraph.Parse(bytes, Path.GetFileName(name))) { Costs = SizeCosts(graphs) },
            new("index", indexes, ConsumeIndex) { Costs = indexes.Select(i => i.Item2.Length + CheckpointOf(i.Item1, ".index").Shards.Sum(d => (long)d.Length)).ToArray(), CostFloor = 64 << 10, DeepMutate = (f, seed, name) => f.MutateTableBlock(seed) },
            new("data", datas, ConsumeData) { Costs = SizeCosts(datas), CostFloor = 64 << 10 },
            new("checkpoint-state", states, (bytes, name) => CheckpointState.Parse(System.Text.Encoding.UTF8.GetString(bytes), name)),
            new("npy", npys, (bytes, name) => Npy.Parse(bytes, name)),
            new("session", sessionGraphs, ConsumeSession) { Costs = SizeCosts(sessionGraphs) },
            new("example", ExampleSeeds(), ConsumeExample),
            new("tfrecord", TfRecordSeeds(), ConsumeTfRecord),
        ];
    }

    private static long[] SizeCosts(List<(string, byte[])> seeds) => seeds.Select(x => (long)x.Item2.Length).ToArray();

    // Serialized tf.Examples covering every feature kind the parse below asks for, plus empty/odd ones.
    private static List<(string, byte[])> ExampleSeeds()
    {
        static Protos.Feature F(float[] v) => new() { FloatList = new Protos.FloatList { Value = { v } } };
        static Protos.Feature I(long[] v) => new() { Int64List = new Protos.Int64List { Value = { v } } };
        static Protos.Feature B(string[] v) => new() { BytesList = new Protos.BytesList { Value = { v.Select(Google.Protobuf.ByteString.CopyFromUtf8) } } };
        static byte[] Ex(params (string Key, Protos.Feature Value)[] features)
        {
            var e = new Protos.Example { Features = new Protos.Features() };
            foreach (var (k, v) in features) e.Features.Feature[k] = v;
            return Google.Protobuf.MessageExtensions.ToByteArray(e);
        }
        return
        [
            ("full.example", Ex(("price", F([1.5f, -2f])), ("ids", I([7, 1L << 40, -3])), ("tags", B(["a", "bb"])), ("r", F([0.25f])))),
            ("sparse-only.example", Ex(("tags", B(["x"])), ("ids", I([])))),
            ("empty.example", Ex()),
            ("packed.example", Ex(("price", F([3f, 4f])), ("ids", I(Enumerable.Range(0, 40).Select(i => (long)i * 1000003).ToArray())), ("r", F([1, 2, 3, 4, 5])))),
        ];
    }

    // ParseExampleV2 on a batch of [mutated, first seed]: dense "price" float [2] (default), dense var-len "ids" int64 [-1]
    // (pad 0), sparse "tags" string, ragged "r" float with int64 splits.
    private static void ConsumeExample(byte[] bytes, string name)
    {
        var good = ExampleSeeds()[0].Item2;
        Support.OpHarness.Compute("ParseExampleV2",
            [new Tensor(new TensorShape(2), [bytes, good]), new Tensor(new TensorShape(0), []), Tensor.FromStrings(["tags"], 1),
             Tensor.FromStrings(["price", "ids"], 2), Tensor.FromStrings(["r"], 1), Tensor.Create(new[] { 0f, 0f }, 2), Tensor.Create(new[] { 0L }, 1)],
            outputs: 7, def =>
            {
                static Protos.AttrValue Types(params Protos.DataType[] t) { var a = new Protos.AttrValue { List = new Protos.AttrValue.Types.ListValue() }; a.List.Type.AddRange(t); return a; }
                var shapes = new Protos.AttrValue { List = new Protos.AttrValue.Types.ListValue() };
                foreach (var dims in new[] { new long[] { 2 }, [-1] })
                {
                    var sp = new Protos.TensorShapeProto();
                    foreach (var d in dims) sp.Dim.Add(new Protos.TensorShapeProto.Types.Dim { Size = d });
                    shapes.List.Shape.Add(sp);
                }
                def.Attr["num_sparse"] = new Protos.AttrValue { I = 1 };
                def.Attr["sparse_types"] = Types(Protos.DataType.DtString);
                def.Attr["Tdense"] = Types(Protos.DataType.DtFloat, Protos.DataType.DtInt64);
                def.Attr["dense_shapes"] = shapes;
                def.Attr["ragged_value_types"] = Types(Protos.DataType.DtFloat);
                def.Attr["ragged_split_types"] = Types(Protos.DataType.DtInt64);
            });
    }

    // TFRecord files of those Examples: plain, GZIP and ZLIB (the name says which), read record by record.
    private static List<(string, byte[])> TfRecordSeeds()
    {
        var records = ExampleSeeds().Select(e => e.Item2).ToList();
        var seeds = new List<(string, byte[])>();
        foreach (var c in new[] { TfRecordCompression.None, TfRecordCompression.Gzip, TfRecordCompression.Zlib })
        {
            using var ms = new MemoryStream();
            using (var w = new TfRecordWriter(ms, c, leaveOpen: true))
                foreach (var r in records) w.Write(r);
            seeds.Add(($"examples.{c}.tfrecord", ms.ToArray()));
        }
        return seeds;
    }

    private static void ConsumeTfRecord(byte[] bytes, string name)
    {
        var compression = Enum.Parse<TfRecordCompression>(name.Split('.')[1]);
        using var reader = new TfRecordReader(new MemoryStream(bytes), name, compression);
        while (reader.TryRead(out _)) { }
    }

    // The real checkpoint a seed belongs to, read once: its prefix (for messages), index bytes and data files' bytes.
    private static readonly Dictionary<string, (string Prefix, byte[] Index, byte[][] Shards)> s_checkpoints = new(StringComparer.Ordinal);

    private static (string Prefix, byte[] Index, byte[][] Shards) CheckpointOf(string fixtureFile, string suffix)
    {
        var prefix = Path.Combine(Fixtures.Root, fixtureFile)[..^suffix.Length];
        lock (s_checkpoints)
        {
            if (!s_checkpoints.TryGetValue(prefix, out var c))
            {
                var shards = Directory.EnumerateFiles(Path.GetDirectoryName(prefix)!, Path.GetFileName(prefix) + ".data-*").Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToArray();
                s_checkpoints[prefix] = c = (prefix, File.ReadAllBytes(prefix + ".index"), shards);
            }
            return c;
        }
    }

    // A mutated index over the original data files, parsed from memory: open, then read (CRC-checked) every tensor.
    private static void ConsumeIndex(byte[] bytes, string name)
    {
        var c = CheckpointOf(name, ".index");
        using var r = CheckpointReader.FromMemory(c.Prefix, bytes, c.Shards);
        foreach (var e in r.Entries) r.Read(e.Name).Dispose();
    }

    // The tensors of each original checkpoint (numeric bytes or string elements), for the data target's oracle.
    private static readonly Dictionary<string, Dictionary<string, byte[][]>> s_originalTensors = new(StringComparer.Ordinal);

    private static byte[][] Contents(Tensor t) => t.DType == Protos.DataType.DtString ? t.Strings : [t.Bytes.ToArray()];

    // A mutated data file under the original index, parsed from memory. Reading every tensor must fail with a typed
    // error or give exactly the original values: a data file that reads back changed without an error is a finding.
    private static void ConsumeData(byte[] bytes, string name)
    {
        var suffix = name[name.IndexOf(".data-", StringComparison.Ordinal)..];
        var c = CheckpointOf(name, suffix);
        int shard = int.Parse(suffix.AsSpan(6, 5), System.Globalization.CultureInfo.InvariantCulture);
        Dictionary<string, byte[][]>? original;
        lock (s_originalTensors)
        {
            if (!s_originalTensors.TryGetValue(c.Prefix, out original))
            {
                using var clean = CheckpointReader.FromMemory(c.Prefix, c.Index, c.Shards);
                original = clean.Entries.ToDictionary(e => e.Name, e => { using var t = clean.Read(e.Name); return Contents(t); }, StringComparer.Ordinal);
                s_originalTensors[c.Prefix] = original;
            }
        }
        var shards = (byte[][])c.Shards.Clone();
        shards[shard] = bytes;
        using var r = CheckpointReader.FromMemory(c.Prefix, c.Index, shards);
        foreach (var e in r.Entries)
        {
            using var t = r.Read(e.Name);
            var got = Contents(t);
            var want = original[e.Name];
            if (got.Length != want.Length || got.Where((g, i) => !g.AsSpan().SequenceEqual(want[i])).Any())
                throw new OracleViolation($"tensor '{e.Name}' read back changed from a mutated data file without an error");
        }
    }

    /// <summary>A mutation inside one block of a LevelDB table (a bundle's <c>.index</c>) with that block's masked
    /// CRC32C recomputed, so the input gets past the CRC check into the block and BundleEntryProto parsers. Null when
    /// the seed's footer or index block cannot be decoded.</summary>
    public byte[]? MutateTableBlock(byte[] seed)
    {
        if (seed.Length < TableFooter.Length) return null;
        var blocks = new List<BlockHandle>();
        var footer = new SpanReader(seed.AsSpan(seed.Length - TableFooter.Length));
        if (!BlockHandle.TryDecode(ref footer, out var meta) || !BlockHandle.TryDecode(ref footer, out var index)) return null;
        blocks.Add(meta);
        blocks.Add(index);
        if (index.Offset + index.Size + 5 > (ulong)seed.Length || index.Size < 4) return null;
        // The index block's values are the data blocks' handles (LevelDB block format: shared, non-shared and value
        // lengths as varints, then the key delta and the value; restart array at the end).
        var ib = seed.AsSpan((int)index.Offset, (int)index.Size);
        int restarts = BitConverter.ToInt32(ib[^4..]);
        if (restarts <= 0 || 4L * restarts + 4 > ib.Length) return null;
        var entries = new SpanReader(ib[..^(4 * restarts + 4)]);
        while (entries.Remaining > 0)
        {
            if (!entries.TryReadVarint32(out _) || !entries.TryReadVarint32(out var nonShared) || !entries.TryReadVarint32(out var valueLength)
                || !entries.TryReadBytes(nonShared, out _) || !entries.TryReadBytes(valueLength, out var value)) return null;
            var hr = new SpanReader(value);
            if (!BlockHandle.TryDecode(ref hr, out var data) || data.Offset + data.Size + 5 > (ulong)seed.Length) return null;
            blocks.Add(data);
        }
        var block = blocks[_rng.Next(blocks.Count)];
        if (block.Size == 0 || block.Offset + block.Size + 5 > (ulong)seed.Length) return null;
        var b = (byte[])seed.Clone();
        var contents = b.AsSpan((int)block.Offset, (int)block.Size);
        int rounds = 1 + _rng.Next(3);
        for (int r = 0; r < rounds; r++) MutateInPlace(contents, _rng.Next(contents.Length));
        uint crc = Crc32C.Mask(Crc32C.Extend(Crc32C.Compute(contents), b.AsSpan((int)(block.Offset + block.Size), 1)));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan((int)(block.Offset + block.Size + 1)), crc);
        return b;
    }

    // The length-preserving mutations: a bit flip, an interesting byte, an interesting 8-byte value, a varint-like byte.
    private void MutateInPlace(Span<byte> b, int at)
    {
        switch (_rng.Next(4))
        {
            case 0: b[at] ^= (byte)(1 << _rng.Next(8)); break;
            case 1: b[at] = s_interestingBytes[_rng.Next(s_interestingBytes.Length)]; break;
            case 2:
            {
                Span<byte> v = stackalloc byte[8];
                System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(v, s_interestingLongs[_rng.Next(s_interestingLongs.Length)]);
                v[..Math.Min(8, b.Length - at)].CopyTo(b[at..]);
                break;
            }
            default:
                // A varint-like byte: protobuf lengths and table sizes are varints.
                b[at] = (byte)(0x80 | _rng.Next(128));
                break;
        }
    }

    private static readonly byte[] s_interestingBytes = [0, 0xFF, 0x7F, 0x80, 0x01, 0xFE];
    private static readonly long[] s_interestingLongs = [int.MaxValue, int.MinValue, long.MaxValue, long.MaxValue - 8, -1, 0, 1L << 31, 1L << 40, 65536];

    // A mutated graph: build a session and fetch a few of its nodes with no feeds (most fail on a missing feed,
    // variable or kernel — typed errors; the others compute).
    private void ConsumeSession(byte[] bytes, string name)
    {
        var meta = MetaGraph.Parse(bytes, Path.GetFileName(name));
        using var session = new Session(meta.Graph);
        var nodes = meta.Graph.Nodes.Where(n => n.Op is not ("SaveV2" or "RestoreV2" or "MergeV2Checkpoints" or "Save" or "Restore" or "RestoreSlice" or "WriteFile" or "ShardedFilename")).ToList();
        if (nodes.Count == 0) return;
        for (int k = 0; k < 3; k++)
        {
            var n = nodes[_rng.Next(nodes.Count)];
            try
            {
                session.Run([n.Name + ":0"], new Dictionary<string, Tensor>(), []);
            }
            catch (TypedGraphException) { }
        }
    }

    /// <summary>A mutation of <paramref name="seed"/>: bit flips, interesting values, chunk insert/delete/duplicate, truncation.</summary>
    public byte[] Mutate(byte[] seed)
    {
        // Each round grows the input by at most 64 bytes; one buffer with room for all rounds, copied once at the end.
        int rounds = 1 + _rng.Next(4);
        var b = new byte[seed.Length + 64 * rounds + 1];
        seed.CopyTo(b, 0);
        int n = seed.Length;
        for (int r = 0; r < rounds; r++)
        {
            if (n == 0) { b[n++] = (byte)_rng.Next(256); continue; }
            int at = _rng.Next(n);
            switch (_rng.Next(8))
            {
                case 0: b[at] ^= (byte)(1 << _rng.Next(8)); break;
                case 1: b[at] = s_interestingBytes[_rng.Next(s_interestingBytes.Length)]; break;
                case 2:
                {
                    var bytes = BitConverter.GetBytes(s_interestingLongs[_rng.Next(s_interestingLongs.Length)]);
                    for (int i = 0; i < 8 && at + i < n; i++) b[at + i] = bytes[i];
                    break;
                }
                case 3:
                {
                    int len = Math.Min(n - at, 1 + _rng.Next(16));
                    Buffer.BlockCopy(b, at + len, b, at, n - at - len);
                    n -= len;
                    break;
                }
                case 4:
                {
                    int len = 1 + _rng.Next(16);
                    Buffer.BlockCopy(b, at, b, at + len, n - at);
                    for (int i = 0; i < len; i++) b[at + i] = (byte)_rng.Next(256);
                    n += len;
                    break;
                }
                case 5: n = at; break;
                case 6:
                {
                    int len = Math.Min(n - at, 1 + _rng.Next(64));
                    var chunk = b.AsSpan(at, len).ToArray();
                    int to = _rng.Next(n);
                    Buffer.BlockCopy(b, to, b, to + len, n - to);
                    chunk.CopyTo(b, to);
                    n += len;
                    break;
                }
                default:
                    // A varint-like byte run: protobuf lengths and table sizes are varints.
                    b[at] = (byte)(0x80 | _rng.Next(128));
                    break;
            }
        }
        return b.AsSpan(0, n).ToArray();
    }

    /// <summary>Runs <paramref name="target"/> for <paramref name="budget"/> (or <paramref name="maxInputs"/>).</summary>
    public Stats Run(Target target, TimeSpan budget, long maxInputs = long.MaxValue, TimeSpan? hangLimit = null)
    {
        var stats = new Stats();
        var hang = hangLimit ?? TimeSpan.FromSeconds(10);
        // Cumulative pick weights: uniform, or ∝ 1 / max(cost, floor) (Target.Costs).
        var cumulative = new double[target.Seeds.Count];
        for (int i = 0; i < cumulative.Length; i++)
            cumulative[i] = (i > 0 ? cumulative[i - 1] : 0) + (target.Costs == null ? 1 : 1.0 / Math.Max(target.Costs[i], Math.Max(1, target.CostFloor)));
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < budget && stats.Inputs < maxInputs)
        {
            int pick = Array.BinarySearch(cumulative, _rng.NextDouble() * cumulative[^1]);
            var (name, seed) = target.Seeds[Math.Min(pick < 0 ? ~pick : pick, cumulative.Length - 1)];
            var input = target.DeepMutate != null && _rng.Next(2) == 0 ? target.DeepMutate(this, seed, name) : null;
            if (input != null) stats.DeepMutations++;
            input ??= Mutate(seed);
            stats.Inputs++;
            stats.InputsPerSeed[name] = stats.InputsPerSeed.GetValueOrDefault(name) + 1;
            long before = GC.GetAllocatedBytesForCurrentThread();
            var one = Stopwatch.StartNew();
            try
            {
                target.Consume(input, name);
                stats.Accepted++;
            }
            catch (TypedGraphException)
            {
                stats.TypedErrors++;
            }
            catch (OracleViolation e)
            {
                Record(stats, target, name, input, "wrong value: " + e.Message);
            }
            catch (Exception e)
            {
                Record(stats, target, name, input, $"untyped {e.GetType().Name}: {e.Message} at {e.StackTrace?.Split('\n').FirstOrDefault()?.Trim()}");
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            stats.MaxAllocatedBytes = Math.Max(stats.MaxAllocatedBytes, allocated);
            if (one.Elapsed > hang) Record(stats, target, name, input, $"slow: {one.Elapsed.TotalSeconds:F1} s");
            if (allocated > AllocationLimits.MaxTensorBytes * 2)
                Record(stats, target, name, input, $"allocated {allocated} bytes (limit {AllocationLimits.MaxTensorBytes})");
        }
        stats.Seconds = clock.Elapsed.TotalSeconds;
        return stats;
    }

    private void Record(Stats stats, Target target, string seedName, byte[] input, string what)
    {
        stats.Findings.Add($"{target.Name} ({seedName}): {what}");
        if (_findingsDir == null) return;
        Directory.CreateDirectory(_findingsDir);
        File.WriteAllBytes(Path.Combine(_findingsDir, $"{target.Name}-{stats.Findings.Count}-{Path.GetFileName(seedName)}"), input);
    }
}
