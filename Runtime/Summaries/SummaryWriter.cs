using System.Globalization;
using Google.Protobuf;
using TypedGraph.Formats;
using TypedGraph.Protos;

namespace TypedGraph.Summaries;

/// <summary>
/// Writes TensorBoard event files the way TF1's <c>tf.summary.FileWriter</c> does (python/summary/writer/writer.py and
/// event_file_writer.py over core/util/events_writer.cc): the file <c>&lt;logdir&gt;/events.out.tfevents.&lt;10-digit
/// seconds&gt;.&lt;hostname&gt;[suffix]</c>, TFRecord framing (masked CRC32C), a first event <c>file_version:
/// "brain.Event:2"</c> written and flushed at once, then one Event per add. Events are flushed every
/// <c>flushInterval</c> (FileWriter's <c>flush_secs</c>, 120 s), on <see cref="Flush"/> and on <see cref="Dispose"/>.
/// As FileWriter, a summary value's plugin metadata is kept only the first time its tag is written.
/// </summary>
public sealed class SummaryWriter : IDisposable
{
    /// <summary>The version string of the first event (events_writer.cc kVersionPrefix + kCurrentVersion).</summary>
    public const string FileVersion = "brain.Event:2";

    private readonly Lock _lock = new();
    private readonly FileStream _file;
    private readonly BufferedStream _stream;
    private readonly Timer? _timer;
    private readonly HashSet<string> _seenTags = new(StringComparer.Ordinal);
    private bool _disposed;

    /// <summary>Creates <paramref name="logDir"/> if needed and starts a new event file there.</summary>
    /// <param name="logDir">The run folder TensorBoard reads.</param>
    /// <param name="flushInterval">Flush period (default 120 s, FileWriter's <c>flush_secs</c>); zero or less: only on Flush/Dispose.</param>
    /// <param name="filenameSuffix">Appended to the file name (FileWriter's <c>filename_suffix</c>).</param>
    /// <exception cref="IOException">The folder or file cannot be created.</exception>
    public SummaryWriter(string logDir, TimeSpan? flushInterval = null, string? filenameSuffix = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(logDir);
        Directory.CreateDirectory(logDir);
        LogDir = logDir;
        double now = NowSeconds();
        var name = $"events.out.tfevents.{((long)now).ToString("D10", CultureInfo.InvariantCulture)}.{Hostname()}{filenameSuffix}";
        // TF's EventsWriter would truncate a file of the same name (two writers in one second); keep both instead.
        FilePath = Path.Combine(logDir, name);
        for (int n = 1; ; n++)
        {
            try
            {
                _file = new FileStream(FilePath, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
                break;
            }
            catch (IOException) when (File.Exists(FilePath) && n < 1000)
            {
                FilePath = Path.Combine(logDir, $"{name}.{n.ToString(CultureInfo.InvariantCulture)}");
            }
        }
        _stream = new BufferedStream(_file, 64 * 1024);
        Write(new Event { WallTime = now, FileVersion = FileVersion });
        Flush();
        var interval = flushInterval ?? TimeSpan.FromSeconds(120);
        if (interval > TimeSpan.Zero) _timer = new Timer(_ => FlushQuietly(), null, interval, interval);
    }

    /// <summary>The run folder.</summary>
    public string LogDir { get; }

    /// <summary>The event file being written.</summary>
    public string FilePath { get; }

    /// <summary>Appends an event as is (its wall time and step are the caller's).</summary>
    public void AddEvent(Event e)
    {
        ArgumentNullException.ThrowIfNull(e);
        Write(e);
    }

    /// <summary>Adds a Summary (FileWriter.add_summary), e.g. the value of a <c>MergeSummary</c> op.</summary>
    public void AddSummary(Summary summary, long? step = null)
    {
        ArgumentNullException.ThrowIfNull(summary);
        summary = summary.Clone();
        lock (_lock)
        {
            foreach (var v in summary.Value)
            {
                if (v.Metadata == null) continue;
                if (!_seenTags.Add(v.Tag)) v.Metadata = null;
            }
        }
        Write(Stamp(new Event { Summary = summary }, step));
    }

    /// <summary>Adds a serialized Summary: the scalar string a summary op (ScalarSummary, MergeSummary, …) returns.</summary>
    /// <exception cref="ArgumentException">The bytes are not a Summary proto.</exception>
    public void AddSummary(byte[] serializedSummary, long? step = null)
    {
        Summary s;
        try
        {
            s = Summary.Parser.ParseFrom(serializedSummary);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new ArgumentException($"Not a serialized Summary proto: {e.Message}", nameof(serializedSummary));
        }
        AddSummary(s, step);
    }

    /// <summary>Adds the summary string tensor a summary op returned (a scalar, or each element of a vector).</summary>
    /// <exception cref="ArgumentException">Not a DT_STRING tensor of Summary protos.</exception>
    public void AddSummary(Tensor summaryTensor, long? step = null)
    {
        ArgumentNullException.ThrowIfNull(summaryTensor);
        if (summaryTensor.DType != DataType.DtString) throw new ArgumentException($"A summary is a string tensor, got {DataTypes.Name(summaryTensor.DType)}.", nameof(summaryTensor));
        foreach (var bytes in summaryTensor.Strings) AddSummary(bytes, step);
    }

    /// <summary>Adds the graph (FileWriter.add_graph), so TensorBoard's graph tab shows it.</summary>
    public void AddGraph(GraphDef graph, long? step = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        Write(Stamp(new Event { GraphDef = graph.ToByteString() }, step));
    }

    /// <summary>Adds a meta graph (FileWriter.add_meta_graph).</summary>
    public void AddMetaGraph(MetaGraphDef metaGraph, long? step = null)
    {
        ArgumentNullException.ThrowIfNull(metaGraph);
        Write(Stamp(new Event { MetaGraphDef = metaGraph.ToByteString() }, step));
    }

    /// <summary>A scalar (what <c>tf.summary.scalar</c> writes: <c>simple_value</c>).</summary>
    public void AddScalar(string tag, double value, long step)
        => AddSummary(One(new Summary.Types.Value { Tag = tag, SimpleValue = (float)value }), step);

    /// <summary>A histogram of <paramref name="values"/> with TF's default buckets (<c>tf.summary.histogram</c>).</summary>
    /// <exception cref="ArgumentException">A value is NaN or infinite.</exception>
    public void AddHistogram(string tag, ReadOnlySpan<double> values, long step)
        => AddSummary(One(new Summary.Types.Value { Tag = tag, Histo = Histograms.Build(values, tag) }), step);

    /// <summary>An image (<c>tf.summary.image</c>'s layout: PNG in <c>Summary.Image</c>) from height × width × channels bytes.</summary>
    /// <exception cref="ArgumentException">The pixel buffer does not match the size, or channels is not 1–4.</exception>
    public void AddImage(string tag, ReadOnlySpan<byte> pixels, int height, int width, int channels, long step)
    {
        var png = PngEncoder.Encode(pixels, height, width, channels);
        var image = new Summary.Types.Image { Height = height, Width = width, Colorspace = channels, EncodedImageString = ByteString.CopyFrom(png) };
        AddSummary(One(new Summary.Types.Value { Tag = tag, Image = image }), step);
    }

    /// <summary>Text (<c>tf.summary.text</c>: a DT_STRING tensor with the <c>text</c> plugin's metadata).</summary>
    public void AddText(string tag, string text, long step)
    {
        var value = new Summary.Types.Value
        {
            Tag = tag,
            Metadata = new SummaryMetadata { PluginData = new SummaryMetadata.Types.PluginData { PluginName = "text" } },
            Tensor = TensorProtos.FromTensor(Tensor.FromString(text)),
        };
        AddSummary(One(value), step);
    }

    /// <summary>Writes buffered events to disk.</summary>
    public void Flush()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _stream.Flush();
            _file.Flush(flushToDisk: false);
        }
    }

    /// <summary>Flushes and closes the file.</summary>
    public void Dispose()
    {
        _timer?.Dispose();
        lock (_lock)
        {
            if (_disposed) return;
            _stream.Flush();
            _stream.Dispose();
            _disposed = true;
        }
    }

    private void FlushQuietly()
    {
        try
        {
            lock (_lock)
            {
                if (_disposed) return;
                _stream.Flush();
            }
        }
        catch (IOException)
        {
            // The next explicit Flush/Dispose reports it.
        }
    }

    private static Summary One(Summary.Types.Value v)
    {
        var s = new Summary();
        s.Value.Add(v);
        return s;
    }

    private static Event Stamp(Event e, long? step)
    {
        e.WallTime = NowSeconds();
        if (step is { } s) e.Step = s;
        return e;
    }

    private void Write(Event e)
    {
        var bytes = e.ToByteArray();
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            TfRecord.WriteRecord(_stream, bytes);
        }
    }

    private static double NowSeconds() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

    private static string Hostname()
    {
        try
        {
            return System.Net.Dns.GetHostName();
        }
        catch (System.Net.Sockets.SocketException)
        {
            return Environment.MachineName;
        }
    }
}
