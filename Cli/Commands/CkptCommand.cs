using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using TypedGraph.Formats;
using TypedGraph.Protos;

namespace TypedGraph.Cli.Commands;

/// <summary>
/// <c>typedgraph ckpt &lt;prefix|dir&gt; [--verify] [--json] [--tensor NAME [--out x.npy]] [--resave NEWPREFIX]</c>:
/// lists a checkpoint's tensors (name, dtype, shape, shard, offset, size), verifies every CRC, dumps one
/// tensor (to stdout or an .npy file) or re-saves the whole checkpoint with our writer.
/// </summary>
public sealed class CkptCommand : ICliCommand
{
    /// <summary>Text dumps stop after this many values (JSON and .npy get them all).</summary>
    public const int TextValueLimit = 1000;

    private readonly Argument<string> _checkpoint = new("checkpoint")
    {
        HelpName = "prefix|dir",
        Description = "A V2 checkpoint prefix (model.ckpt for model.ckpt.index) or a folder with a 'checkpoint' file.",
    };
    private readonly Option<bool> _verify = new("--verify") { Description = "Check every tensor's CRC32C." };
    private readonly Option<bool> _json = CliOptions.Json();
    private readonly Option<string> _tensor = new("--tensor") { HelpName = "NAME", Description = "Print one tensor's values (text shows the first 1000)." };
    private readonly Option<string> _out = new("--out") { HelpName = "x.npy", Description = "With --tensor: write the tensor to this .npy file instead." };
    private readonly Option<string> _resave = new("--resave") { HelpName = "NEWPREFIX", Description = "Re-write the whole checkpoint with TypedGraph's writer." };

    /// <summary>Defines the command's syntax.</summary>
    public CkptCommand()
    {
        Definition = new Command("ckpt",
            "Lists a checkpoint's tensors (name, dtype, shape, shard, offset, size), verifies every CRC, dumps one tensor "
            + "(to stdout or an .npy file) or re-saves the whole checkpoint.") { _checkpoint, _verify, _json, _tensor, _out, _resave };
    }

    /// <inheritdoc/>
    public Command Definition { get; }

    /// <inheritdoc/>
    public int Execute(ParseResult parse, TextWriter stdout)
    {
        if (parse.GetValue(_out) != null && parse.GetValue(_tensor) == null) throw new UsageException("--out needs --tensor NAME");
        if (parse.GetValue(_tensor) != null && parse.GetValue(_resave) != null) throw new UsageException("--tensor and --resave cannot be combined");
        bool json = parse.GetValue(_json);
        using var reader = CheckpointReader.Open(parse.GetValue(_checkpoint)!);
        bool verified = false;
        if (parse.GetValue(_verify))
        {
            ProgressDisplay.Run("verifying CRC32C", reader.Entries.Sum(e => e.Size), progress =>
            {
                long done = 0;
                foreach (var e in reader.Entries)
                {
                    reader.Verify(e.Name);
                    progress?.Report(done += e.Size);
                }
            });
            verified = true;
        }
        if (parse.GetValue(_tensor) is { } name) return DumpTensor(reader, name, parse.GetValue(_out), json, stdout);
        if (parse.GetValue(_resave) is { } target) return Resave(reader, target, json, stdout);
        var list = CkptReport.Create(reader, verified);
        if (json) stdout.WriteLine(JsonSerializer.Serialize(list, CliJson.Options));
        else
        {
            stdout.WriteLine($"prefix: {list.Prefix}");
            stdout.WriteLine($"header num_shards={list.NumShards}");
            foreach (var t in list.Tensors)
                stdout.WriteLine($"{t.Name} {t.Dtype} [{string.Join(", ", t.Shape)}] shard={t.ShardId} offset={t.Offset} size={t.Size}" + (t.Sliced ? " sliced" : ""));
            if (verified) stdout.WriteLine($"verified: all {list.Tensors.Count} tensors match their CRC32C");
        }
        return 0;
    }

    private static int DumpTensor(CheckpointReader reader, string name, string? outPath, bool json, TextWriter stdout)
    {
        using var t = reader.Read(name);
        if (outPath != null)
        {
            Npy.Write(outPath, t);
            if (json) stdout.WriteLine(JsonSerializer.Serialize(new { name, dtype = GraphSummary.TypeName(t.DType), shape = t.Shape.ToArray(), written = outPath }, CliJson.Options));
            else stdout.WriteLine($"wrote {outPath}: {name} {GraphSummary.TypeName(t.DType)} {t.Shape}");
            return 0;
        }
        var values = TensorValues.Format(t, json ? long.MaxValue : TextValueLimit);
        if (json)
        {
            stdout.WriteLine(JsonSerializer.Serialize(new TensorDump(name, GraphSummary.TypeName(t.DType), t.Shape.ToArray(), values), CliJson.Options));
            return 0;
        }
        stdout.WriteLine($"{name} {GraphSummary.TypeName(t.DType)} {t.Shape}");
        stdout.WriteLine(string.Join(" ", values) + (t.NumElements > values.Count ? $" … ({t.NumElements} values; use --json or --out for all)" : ""));
        return 0;
    }

    private static int Resave(CheckpointReader reader, string target, bool json, TextWriter stdout)
    {
        var tensors = new List<Tensor>();
        try
        {
            using var writer = new CheckpointWriter(target, CheckpointDataOrder.AddOrder);
            foreach (var e in reader.EntriesInDataOrder)
            {
                var t = reader.Read(e.Name);
                tensors.Add(t);
                writer.Add(e.Name, t);
            }
            ProgressDisplay.Run("writing", reader.Entries.Sum(e => e.Size), writer.Finish);
        }
        finally
        {
            foreach (var t in tensors) t.Dispose();
        }
        var files = new[] { target + ".index", CheckpointReader.DataPath(target, 0, 1) };
        if (json) stdout.WriteLine(JsonSerializer.Serialize(new { prefix = target, tensors = reader.Entries.Count, files }, CliJson.Options));
        else stdout.WriteLine($"wrote {files[0]} and {files[1]} ({reader.Entries.Count} tensors)");
        return 0;
    }
}

/// <summary>The <c>ckpt</c> listing; its property names are the JSON interface.</summary>
public sealed record CkptReport(string Prefix, int NumShards, bool Verified, IReadOnlyList<CkptTensorReport> Tensors)
{
    internal static CkptReport Create(CheckpointReader r, bool verified) => new(r.Prefix, r.NumShards, verified,
        r.Entries.Select(e => new CkptTensorReport(e.Name, GraphSummary.TypeName(e.DType), e.Shape, e.ShardId, e.Offset, e.Size,
            "0x" + e.MaskedCrc32C.ToString("x8", CultureInfo.InvariantCulture), e.IsSliced)).ToList());
}

/// <summary>One checkpoint entry; <c>maskedCrc32c</c> is the stored (masked) CRC as hex.</summary>
public sealed record CkptTensorReport(string Name, string Dtype, long[] Shape, int ShardId, long Offset, long Size, string MaskedCrc32c, bool Sliced);

/// <summary>A dumped tensor; values are JSON numbers, booleans or strings.</summary>
public sealed record TensorDump(string Name, string Dtype, int[] Shape, IReadOnlyList<object> Values);

/// <summary>Tensor elements as JSON-friendly values.</summary>
internal static class TensorValues
{
    public static IReadOnlyList<object> Format(Tensor t, long limit)
    {
        int n = (int)Math.Min(t.NumElements, limit);
        var result = new List<object>(n);
        for (int i = 0; i < n; i++) result.Add(Element(t, i));
        return result;
    }

    private static object Element(Tensor t, int i) => t.DType switch
    {
        DataType.DtFloat => t.AsSpan<float>()[i],
        DataType.DtDouble => t.AsSpan<double>()[i],
        DataType.DtHalf => (float)t.AsSpan<Half>()[i],
        DataType.DtBfloat16 => BitConverter.Int32BitsToSingle(t.AsSpan<ushort>()[i] << 16),
        DataType.DtInt8 => t.AsSpan<sbyte>()[i],
        DataType.DtUint8 => t.AsSpan<byte>()[i],
        DataType.DtInt16 => t.AsSpan<short>()[i],
        DataType.DtUint16 => t.AsSpan<ushort>()[i],
        DataType.DtInt32 => t.AsSpan<int>()[i],
        DataType.DtUint32 => t.AsSpan<uint>()[i],
        DataType.DtInt64 => t.AsSpan<long>()[i],
        DataType.DtUint64 => t.AsSpan<ulong>()[i],
        DataType.DtBool => t.AsSpan<bool>()[i],
        DataType.DtComplex64 => new[] { t.AsSpan<float>()[2 * i], t.AsSpan<float>()[2 * i + 1] },
        DataType.DtComplex128 => new[] { t.AsSpan<System.Numerics.Complex>()[i].Real, t.AsSpan<System.Numerics.Complex>()[i].Imaginary },
        DataType.DtString => Encoding.UTF8.GetString(t.Strings[i]),
        _ => "0x" + Convert.ToHexString(t.Bytes.Slice(i * DataTypes.ElementSize(t.DType), DataTypes.ElementSize(t.DType))),
    };
}
