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
    public sealed record Target(string Name, List<(string Name, byte[] Bytes)> Seeds, Action<byte[], string> Consume);

    /// <summary>Per-target results.</summary>
    public sealed class Stats
    {
        public long Inputs;
        public long Accepted;
        public long TypedErrors;
        public long MaxAllocatedBytes;
        public List<string> Findings { get; } = [];
    }

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
        var npys = new List<(string, byte[])>();
        foreach (var t in new[] { Tensor.Create(new[] { 1f, -2f, 3.5f, 0f }, 2, 2), Tensor.Create(new[] { 1L, 2L, 3L }, 3), Tensor.FromScalar(2.5), Tensor.Create(new[] { true, false }, 2) })
        {
            using var ms = new MemoryStream();
            Npy.Write(ms, t);
            npys.Add(($"{DataTypes.Name(t.DType)}.npy", ms.ToArray()));
        }
        return
        [
            new("graph", graphs, (bytes, name) => MetaGraph.Parse(bytes, Path.GetFileName(name))),
            new("index", indexes, ConsumeIndex),
            new("data", datas, ConsumeData),
            new("checkpoint-state", states, (bytes, name) => CheckpointState.Parse(System.Text.Encoding.UTF8.GetString(bytes), name)),
            new("npy", npys, (bytes, name) => Npy.Parse(bytes, name)),
            new("session", graphs.Where(g => g.Item2.Length < 200_000).ToList(), ConsumeSession),
            new("example", ExampleSeeds(), ConsumeExample),
            new("tfrecord", TfRecordSeeds(), ConsumeTfRecord),
        ];
    }

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

    // A mutated index beside the original data files (linked, not copied): open, read and verify every tensor.
    private void ConsumeIndex(byte[] bytes, string name)
    {
        var prefix = PrepareCheckpoint(name, ".index", bytes);
        using var r = CheckpointReader.Open(prefix);
        foreach (var e in r.Entries) r.Read(e.Name).Dispose();
    }

    // A mutated data file under the original index.
    private void ConsumeData(byte[] bytes, string name)
    {
        var prefix = PrepareCheckpoint(name, name[name.IndexOf(".data-", StringComparison.Ordinal)..], bytes);
        using var r = CheckpointReader.Open(prefix);
        foreach (var e in r.Entries) r.Read(e.Name).Dispose();
    }

    private string PrepareCheckpoint(string fixtureFile, string mutatedSuffix, byte[] bytes)
    {
        var original = Path.Combine(Fixtures.Root, fixtureFile);
        var originalPrefix = original[..^mutatedSuffix.Length];
        var dir = Path.Combine(_work, "ckpt");
        if (Directory.Exists(dir)) Directory.Delete(dir, true);
        Directory.CreateDirectory(dir);
        var prefix = Path.Combine(dir, "c");
        foreach (var f in Directory.EnumerateFiles(Path.GetDirectoryName(original)!, Path.GetFileName(originalPrefix) + ".*"))
        {
            var suffix = Path.GetFileName(f)[Path.GetFileName(originalPrefix).Length..];
            if (suffix == mutatedSuffix || suffix == ".meta") continue;
            File.CreateSymbolicLink(prefix + suffix, f);
        }
        File.WriteAllBytes(prefix + mutatedSuffix, bytes);
        return prefix;
    }

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
        var b = new List<byte>(seed);
        int rounds = 1 + _rng.Next(4);
        for (int r = 0; r < rounds; r++)
        {
            if (b.Count == 0) { b.Add((byte)_rng.Next(256)); continue; }
            int at = _rng.Next(b.Count);
            switch (_rng.Next(8))
            {
                case 0: b[at] ^= (byte)(1 << _rng.Next(8)); break;
                case 1: b[at] = new byte[] { 0, 0xFF, 0x7F, 0x80, 0x01, 0xFE }[_rng.Next(6)]; break;
                case 2:
                {
                    var v = new long[] { int.MaxValue, int.MinValue, long.MaxValue, long.MaxValue - 8, -1, 0, 1L << 31, 1L << 40, 65536 }[_rng.Next(9)];
                    var bytes = BitConverter.GetBytes(v);
                    for (int i = 0; i < 8 && at + i < b.Count; i++) b[at + i] = bytes[i];
                    break;
                }
                case 3: b.RemoveRange(at, Math.Min(b.Count - at, 1 + _rng.Next(16))); break;
                case 4: b.InsertRange(at, Enumerable.Range(0, 1 + _rng.Next(16)).Select(_ => (byte)_rng.Next(256))); break;
                case 5: b.RemoveRange(at, b.Count - at); break;
                case 6:
                {
                    int len = Math.Min(b.Count - at, 1 + _rng.Next(64));
                    b.InsertRange(_rng.Next(b.Count), b.GetRange(at, len));
                    break;
                }
                default:
                    // A varint-like byte run: protobuf lengths and table sizes are varints.
                    b[at] = (byte)(0x80 | _rng.Next(128));
                    break;
            }
        }
        return b.ToArray();
    }

    /// <summary>Runs <paramref name="target"/> for <paramref name="budget"/> (or <paramref name="maxInputs"/>).</summary>
    public Stats Run(Target target, TimeSpan budget, long maxInputs = long.MaxValue, TimeSpan? hangLimit = null)
    {
        var stats = new Stats();
        var hang = hangLimit ?? TimeSpan.FromSeconds(10);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < budget && stats.Inputs < maxInputs)
        {
            var (name, seed) = target.Seeds[_rng.Next(target.Seeds.Count)];
            var input = Mutate(seed);
            stats.Inputs++;
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
