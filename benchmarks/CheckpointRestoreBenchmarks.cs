using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using TypedGraph;
using TypedGraph.Formats;

namespace TypedGraph.Benchmarks;

/// <summary>
/// Restore speed of a ~200 MB checkpoint (issue 2: reading + verifying must reach ≥ 1 GB/s). The
/// checkpoint is written once; each iteration opens it, reads every tensor with its CRC32C checked and
/// releases them — what a restore does. Throughput = <see cref="TotalBytes"/> / mean time.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
public class CheckpointRestoreBenchmarks
{
    /// <summary>48 tensors of 1 M floats (4 MiB each) plus a few small ones, like a mid-size model with Adam slots.</summary>
    public const long TotalBytes = 48L * 4 * 1024 * 1024 + 3 * 4096 + 8;

    private string _dir = "";
    private string _prefix = "";

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("tg-restore-bench").FullName;
        _prefix = Path.Combine(_dir, "model-1000");
        var rng = new Random(42);
        var tensors = new List<Tensor>();
        using var writer = new CheckpointWriter(_prefix);
        for (int i = 0; i < 48; i++)
        {
            var values = new float[1024 * 1024];
            for (int j = 0; j < values.Length; j++) values[j] = (float)rng.NextDouble();
            var t = Tensor.Create(values, 1024, 1024);
            tensors.Add(t);
            writer.Add($"layer{i / 3}/{(i % 3 == 0 ? "kernel" : i % 3 == 1 ? "kernel/Adam" : "kernel/Adam_1")}", t);
        }
        for (int i = 0; i < 3; i++) writer.Add($"bias{i}", Tensor.Create(new float[1024]));
        writer.Add("global_step", Tensor.FromScalar(1000L));
        writer.Finish();
        long size = new FileInfo(CheckpointReader.DataPath(_prefix, 0, 1)).Length;
        if (size != TotalBytes) throw new InvalidOperationException($"expected {TotalBytes} data bytes, wrote {size}");
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_dir, true);

    /// <summary>Open + read every tensor (CRC verified) + release: the restore path.</summary>
    [Benchmark(Baseline = true)]
    public long ReadAllVerified() => ReadAll(verifyCrc: true);

    /// <summary>The same without CRC checks (the opt-out), touching every page, to show what verification costs.</summary>
    [Benchmark]
    public long ReadAllUnverified() => ReadAll(verifyCrc: false);

    /// <summary><c>typedgraph ckpt --verify</c>: every CRC checked, no tensors built.</summary>
    [Benchmark]
    public int VerifyAll()
    {
        using var reader = CheckpointReader.Open(_prefix);
        reader.VerifyAll();
        return reader.Entries.Count;
    }

    private long ReadAll(bool verifyCrc)
    {
        long checksum = 0;
        using var reader = CheckpointReader.Open(_prefix, verifyCrc);
        foreach (var e in reader.Entries)
        {
            using var t = reader.Read(e.Name);
            // Touch one byte per page so the unverified read pays for mapping what it returns, as a
            // consumer would; the difference to ReadAllVerified is then the CRC work alone.
            var bytes = t.Bytes;
            for (int i = 0; i < bytes.Length; i += 4096) checksum += bytes[i];
        }
        return checksum;
    }
}

/// <summary>Adds a GB/s column (checkpoint bytes / mean time) to the restore benchmarks.</summary>
public sealed class ThroughputConfig : ManualConfig
{
    /// <summary>Creates the config.</summary>
    public ThroughputConfig() => AddColumn(new ThroughputColumn());

    private sealed class ThroughputColumn : IColumn
    {
        public string Id => "Throughput";
        public string ColumnName => "GB/s";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => "Checkpoint bytes read per second (10^9 bytes / s)";
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        public bool IsAvailable(Summary summary) => true;
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var mean = summary[benchmarkCase]?.ResultStatistics?.Mean; // nanoseconds
            return mean is double ns and > 0
                ? (CheckpointRestoreBenchmarks.TotalBytes / ns).ToString("F2", CultureInfo.InvariantCulture)
                : "?";
        }
    }
}
