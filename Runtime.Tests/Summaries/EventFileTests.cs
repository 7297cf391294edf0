using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Google.Protobuf;
using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Summaries;
using TypedGraph.Training;

namespace TypedGraph.Tests.Summaries;

/// <summary>
/// Event files written by <see cref="SummaryWriter"/>, read back by a reader written here from the formats alone:
/// TFRecord framing with a bit-by-bit CRC32C and TF's mask, and Event/Summary protos decoded field by field from the
/// wire format (event.proto: wall_time 1, step 2, file_version 3, graph_def 4, summary 5; Summary.value 1;
/// Value: tag 1, simple_value 2, image 4, histo 5, audio 6, tensor 8, metadata 9).
/// </summary>
public sealed partial class EventFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-events-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    // ---- the independent reader ----

    private static uint Crc32C(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (var b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
        }
        return ~crc;
    }

    private static uint Masked(ReadOnlySpan<byte> data)
    {
        uint c = Crc32C(data);
        return ((c >> 15) | (c << 17)) + 0xa282ead8u;
    }

    private static List<byte[]> Records(string file)
    {
        var bytes = File.ReadAllBytes(file);
        var records = new List<byte[]>();
        int at = 0;
        while (at < bytes.Length)
        {
            ulong len = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(at));
            Assert.Equal(Masked(bytes.AsSpan(at, 8)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 8)));
            var data = bytes.AsSpan(at + 12, (int)len);
            Assert.Equal(Masked(data), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 12 + (int)len)));
            records.Add(data.ToArray());
            at += 12 + (int)len + 4;
        }
        Assert.Equal(bytes.Length, at);
        return records;
    }

    private sealed record RawValue(string Tag, float? Simple, byte[]? Histo, byte[]? Image, byte[]? Tensor, byte[]? Metadata, byte[]? Audio = null);

    private sealed record RawEvent(double WallTime, long Step, string? FileVersion, byte[]? GraphDef, List<RawValue> Values);

    private static RawEvent DecodeEvent(byte[] record)
    {
        var input = new CodedInputStream(record);
        double wall = 0;
        long step = 0;
        string? version = null;
        byte[]? graph = null;
        var values = new List<RawValue>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: wall = input.ReadDouble(); break;
                case 2: step = input.ReadInt64(); break;
                case 3: version = input.ReadString(); break;
                case 4: graph = input.ReadBytes().ToByteArray(); break;
                case 5: values.AddRange(DecodeSummary(input.ReadBytes().ToByteArray())); break;
                default: input.SkipLastField(); break;
            }
        }
        return new RawEvent(wall, step, version, graph, values);
    }

    private static IEnumerable<RawValue> DecodeSummary(byte[] bytes)
    {
        var input = new CodedInputStream(bytes);
        uint tag;
        var result = new List<RawValue>();
        while ((tag = input.ReadTag()) != 0)
        {
            Assert.Equal(1, WireFormat.GetTagFieldNumber(tag));
            var v = new CodedInputStream(input.ReadBytes().ToByteArray());
            string name = "";
            float? simple = null;
            byte[]? histo = null, image = null, tensor = null, metadata = null, audio = null;
            uint t;
            while ((t = v.ReadTag()) != 0)
            {
                switch (WireFormat.GetTagFieldNumber(t))
                {
                    case 1: name = v.ReadString(); break;
                    case 2: simple = v.ReadFloat(); break;
                    case 4: image = v.ReadBytes().ToByteArray(); break;
                    case 5: histo = v.ReadBytes().ToByteArray(); break;
                    case 6: audio = v.ReadBytes().ToByteArray(); break;
                    case 8: tensor = v.ReadBytes().ToByteArray(); break;
                    case 9: metadata = v.ReadBytes().ToByteArray(); break;
                    default: v.SkipLastField(); break;
                }
            }
            result.Add(new RawValue(name, simple, histo, image, tensor, metadata, audio));
        }
        return result;
    }

    private static List<RawEvent> ReadFile(string file) => Records(file).Select(DecodeEvent).ToList();

    // ---- tests ----

    [Fact]
    public void The_file_is_named_and_starts_as_TF_writes_it_and_scalars_read_back_with_steps_and_values()
    {
        string file;
        using (var w = new SummaryWriter(_dir, flushInterval: TimeSpan.Zero))
        {
            file = w.FilePath;
            for (int step = 1; step <= 5; step++) w.AddScalar("loss", 1.0 / step, step);
            w.AddScalar("accuracy", 0.75, 5);
        }
        var name = Path.GetFileName(file);
        Assert.Matches(@"^events\.out\.tfevents\.\d{10}\." + System.Text.RegularExpressions.Regex.Escape(System.Net.Dns.GetHostName()) + "$", name);
        long stamp = long.Parse(name.Split('.')[3]);
        Assert.InRange(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - stamp, 0, 120);
        var events = ReadFile(file);
        Assert.Equal("brain.Event:2", events[0].FileVersion);
        Assert.Equal(stamp, (long)events[0].WallTime);
        var loss = events.SelectMany(e => e.Values.Where(v => v.Tag == "loss").Select(v => (e.Step, v.Simple))).ToList();
        Assert.Equal([1L, 2, 3, 4, 5], loss.Select(p => p.Step));
        Assert.Equal(Enumerable.Range(1, 5).Select(s => (float)(1.0 / s)), loss.Select(p => p.Simple!.Value));
        var acc = events.Single(e => e.Values.Any(v => v.Tag == "accuracy"));
        Assert.Equal(5, acc.Step);
        Assert.Equal(0.75f, acc.Values[0].Simple);
        Assert.All(events.Skip(1), e => Assert.InRange(e.WallTime, stamp, stamp + 120));
    }

    [Fact]
    public void Graph_summary_ops_through_MergeSummary_are_written_with_their_tags_and_the_graph_event()
    {
        var g = new GraphBuilder();
        var x = g.Placeholder(DataType.DtFloat, [4], "x");
        var mean = g.ReduceMean(x, [0], name: "mean");
        var s1 = g.AddOperation("ScalarSummary", [g.Constant("x_mean", "tag"), mean], name: "scalar").Name;
        var s2 = g.AddOperation("HistogramSummary", [g.Constant("x_hist", "htag"), x], name: "hist").Name;
        var merged = g.AddOperation("MergeSummary", [g.GetTensor(s1 + ":0"), g.GetTensor(s2 + ":0")], new Dictionary<string, AttrValue> { ["N"] = new AttrValue { I = 2 } }, name: "merged");
        using var session = new Session(g.Graph);
        string file;
        using (var w = new SummaryWriter(_dir, flushInterval: TimeSpan.Zero))
        {
            file = w.FilePath;
            w.AddGraph(g.Graph.Def);
            w.AddSummary(session.Run(merged.Name + ":0", ("x:0", Tensor.Create(new float[] { 1, 2, 3, 6 }, 4))), 10);
            w.AddSummary(session.Run(merged.Name + ":0", ("x:0", Tensor.Create(new float[] { -1, -1, -1, -1 }, 4))), 20);
        }
        var events = ReadFile(file);
        var graph = GraphDef.Parser.ParseFrom(events.Single(e => e.GraphDef != null).GraphDef);
        Assert.Contains(graph.Node, n => n.Name == "merged" && n.Op == "MergeSummary");
        var means = events.SelectMany(e => e.Values.Where(v => v.Tag == "x_mean").Select(v => (e.Step, v.Simple))).ToList();
        Assert.Equal([(10L, (float?)3f), (20L, (float?)-1f)], means);
        var hist = HistogramProto.Parser.ParseFrom(events.Single(e => e.Step == 10).Values.Single(v => v.Tag == "x_hist").Histo);
        Assert.Equal(4, hist.Num);
        Assert.Equal(12, hist.Sum);
        Assert.Equal(1 + 4 + 9 + 36, hist.SumSquares);
        Assert.Equal(1, hist.Min);
        Assert.Equal(6, hist.Max);
        Assert.Equal(4, hist.Bucket.Sum());
    }

    [Fact]
    public void Images_are_PNGs_whose_pixels_decode_back_and_text_keeps_plugin_metadata_only_on_its_first_value()
    {
        var pixels = new byte[2 * 3 * 3];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)(i * 13);
        string file;
        using (var w = new SummaryWriter(_dir, flushInterval: TimeSpan.Zero, filenameSuffix: ".v1"))
        {
            file = w.FilePath;
            w.AddImage("digits", pixels, 2, 3, 3, 1);
            w.AddText("notes", "first", 1);
            w.AddText("notes", "second", 2);
        }
        Assert.EndsWith(".v1", file);
        var events = ReadFile(file);
        var image = Summary.Types.Image.Parser.ParseFrom(events.Single(e => e.Values.Any(v => v.Tag == "digits")).Values[0].Image);
        Assert.Equal((2, 3, 3), (image.Height, image.Width, image.Colorspace));
        Assert.Equal(pixels, DecodePng(image.EncodedImageString.ToByteArray(), 2, 3, 3));
        var notes = events.SelectMany(e => e.Values.Where(v => v.Tag == "notes")).ToList();
        Assert.Equal(2, notes.Count);
        Assert.Equal("text", SummaryMetadata.Parser.ParseFrom(notes[0].Metadata).PluginData.PluginName);
        Assert.Null(notes[1].Metadata);
        Assert.Equal(["first", "second"], notes.Select(n => Encoding.UTF8.GetString(TensorProto.Parser.ParseFrom(n.Tensor).StringVal[0].ToByteArray())));
        // Our reader agrees, and remembers the plugin for the second value.
        var points = SummaryReader.ReadPoints(_dir).Where(p => p.Tag == "notes").ToList();
        Assert.All(points, p => Assert.Equal(SummaryKind.Text, p.Kind));
        Assert.Equal(["first", "second"], points.Select(p => p.Text));
    }

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (var b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        return ~crc;
    }

    // PNG by the spec: signature, chunks with CRC-32, IHDR, zlib IDAT of filter-0 rows.
    private static byte[] DecodePng(byte[] png, int h, int w, int c)
    {
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        int at = 8;
        var idat = new MemoryStream();
        while (at < png.Length)
        {
            int len = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at));
            var type = Encoding.ASCII.GetString(png, at + 4, 4);
            var body = png.AsSpan(at + 8, len);
            Assert.Equal(Crc32(png.AsSpan(at + 4, 4 + len)), BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at + 8 + len)));
            if (type == "IHDR")
            {
                Assert.Equal(w, BinaryPrimitives.ReadInt32BigEndian(body));
                Assert.Equal(h, BinaryPrimitives.ReadInt32BigEndian(body[4..]));
                Assert.Equal(8, body[8]);
                Assert.Equal(c switch { 1 => 0, 2 => 4, 3 => 2, _ => 6 }, body[9]); // gray, gray+alpha, RGB, RGBA
            }
            if (type == "IDAT") idat.Write(body);
            at += 12 + len;
        }
        idat.Position = 0;
        using var z = new ZLibStream(idat, CompressionMode.Decompress);
        var raw = new MemoryStream();
        z.CopyTo(raw);
        var rows = raw.ToArray();
        var pixels = new List<byte>();
        for (int y = 0; y < h; y++)
        {
            Assert.Equal(0, rows[y * (w * c + 1)]);
            pixels.AddRange(rows.AsSpan(y * (w * c + 1) + 1, w * c).ToArray());
        }
        return [.. pixels];
    }

    [Fact]
    public void TrainingLoop_writes_a_loss_per_step_and_the_extra_scalars_fetched_with_it()
    {
        var g = new GraphBuilder();
        var w = g.Variable(Tensor.FromScalar(4f), "w");
        var loss = g.Square(w.Snapshot, "loss");
        var twice = g.Multiply(w.Snapshot, 2.0, "twice");
        var train = new GradientDescentOptimizer(0.25).Minimize(g, loss);
        using var session = new Session(g.Graph);
        session.RunTargets(g.GlobalVariablesInitializer().Name);
        string file;
        using (var writer = new SummaryWriter(_dir, flushInterval: TimeSpan.Zero))
        {
            file = writer.FilePath;
            var summaries = new TrainingSummaries(writer) { Scalars = new Dictionary<string, string> { ["w_twice"] = twice.Name } };
            TrainingLoop.Run(session, train.Name, loss.Name, [new Dictionary<string, Tensor>()], 3, summaries: summaries);
            Assert.Equal(3, summaries.Step);
        }
        // w ← w − 0.25·2w = w/2 each step, with loss and w·2 fetched before the update: w = 4, 2, 1.
        var events = ReadFile(file);
        var losses = events.SelectMany(e => e.Values.Where(v => v.Tag == "loss").Select(v => (e.Step, v.Simple!.Value))).ToList();
        Assert.Equal([(1L, 16f), (2L, 4f), (3L, 1f)], losses);
        var twos = events.SelectMany(e => e.Values.Where(v => v.Tag == "w_twice").Select(v => v.Simple!.Value)).ToList();
        Assert.Equal([8f, 4f, 2f], twos);
        var means = events.SelectMany(e => e.Values.Where(v => v.Tag == "loss/epoch_mean").Select(v => (e.Step, v.Simple!.Value))).ToList();
        Assert.Equal([(1L, 16f), (2L, 4f), (3L, 1f)], means);
    }

    [Fact]
    public void A_truncated_last_record_ends_the_read_and_a_bad_crc_is_an_error_naming_the_file()
    {
        string file;
        using (var w = new SummaryWriter(_dir, flushInterval: TimeSpan.Zero))
        {
            file = w.FilePath;
            w.AddScalar("a", 1, 1);
            w.AddScalar("a", 2, 2);
        }
        var bytes = File.ReadAllBytes(file);
        File.WriteAllBytes(file, bytes[..^3]);
        Assert.Equal([1.0], SummaryReader.ReadPoints(file).Select(p => p.Number!.Value));
        bytes[^1] ^= 0xFF;
        File.WriteAllBytes(file, bytes);
        var e = Assert.Throws<TfRecordFormatException>(() => SummaryReader.ReadPoints(file).ToList());
        Assert.Contains(file, e.Message);
    }

    [Fact]
    public void Two_writers_started_in_the_same_second_get_two_files()
    {
        using var a = new SummaryWriter(_dir, flushInterval: TimeSpan.Zero);
        using var b = new SummaryWriter(_dir, flushInterval: TimeSpan.Zero);
        Assert.NotEqual(a.FilePath, b.FilePath);
        a.AddScalar("a", 1, 1);
        b.AddScalar("b", 2, 1);
        a.Dispose();
        b.Dispose();
        Assert.Equal(["brain.Event:2", "brain.Event:2"], new[] { a.FilePath, b.FilePath }.Select(f => ReadFile(f)[0].FileVersion));
        Assert.Equal([1f, 2f], SummaryReader.ReadPoints(_dir).Select(p => (float)p.Number!.Value).Order());
    }
}
