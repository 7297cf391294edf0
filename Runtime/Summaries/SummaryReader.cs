using Google.Protobuf;
using TypedGraph.Formats;
using TypedGraph.Protos;

namespace TypedGraph.Summaries;

/// <summary>What a summary value holds.</summary>
public enum SummaryKind
{
    /// <summary><c>simple_value</c>.</summary>
    Scalar,
    /// <summary><c>histo</c>.</summary>
    Histogram,
    /// <summary><c>image</c>.</summary>
    Image,
    /// <summary><c>audio</c>.</summary>
    Audio,
    /// <summary>A tensor with the <c>text</c> plugin's metadata.</summary>
    Text,
    /// <summary>Another <c>tensor</c> value (a TF2 scalar is a float tensor with the <c>scalars</c> plugin).</summary>
    Tensor,
    /// <summary>Nothing the reader knows.</summary>
    Other,
}

/// <summary>One summary value read back: its event's step and wall time, its tag, kind and a number or text to show.</summary>
/// <param name="Step">The event's step.</param>
/// <param name="WallTime">The event's wall time (seconds since the epoch).</param>
/// <param name="Tag">The value's tag.</param>
/// <param name="Kind">What it holds.</param>
/// <param name="Number">The scalar (Scalar, or a one-element numeric tensor), the histogram's sample count, else null.</param>
/// <param name="Text">The text (Text), else null.</param>
public sealed record SummaryPoint(long Step, double WallTime, string Tag, SummaryKind Kind, double? Number, string? Text);

/// <summary>
/// Reads TensorBoard event files (TFRecord framing with both CRCs checked, one Event proto per record): the events
/// of a file, or every <c>events.out.tfevents.*</c> file of a run folder in name (= creation time) order, and the
/// summary values in them as <see cref="SummaryPoint"/>s. Plugin metadata that FileWriter writes only with a tag's first
/// value is remembered per tag, as TensorBoard does.
/// </summary>
public static class SummaryReader
{
    /// <summary>The event files of <paramref name="path"/>: the file itself, or a folder's <c>*tfevents*</c> files sorted by name.</summary>
    /// <exception cref="FileNotFoundException">Nothing at <paramref name="path"/>.</exception>
    public static IReadOnlyList<string> EventFiles(string path)
    {
        if (File.Exists(path)) return [path];
        if (!Directory.Exists(path)) throw new FileNotFoundException($"{path}: no such event file or folder.", path);
        return Directory.EnumerateFiles(path).Where(f => Path.GetFileName(f).Contains("tfevents", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>The events of one file, in order.</summary>
    /// <remarks>A truncated last record (a writer still appending) ends the file without an error.</remarks>
    /// <exception cref="TfRecordFormatException">A record fails its CRC (names the file and record).</exception>
    /// <exception cref="GraphFormatException">A record is not an Event proto (names the file and record).</exception>
    public static IEnumerable<Event> ReadEvents(string file)
    {
        using var reader = TfRecordReader.Open(file);
        while (true)
        {
            long index = reader.RecordIndex;
            byte[] record;
            try
            {
                if (!reader.TryRead(out record)) yield break;
            }
            catch (TfRecordFormatException ex) when (ex.IsTruncated)
            {
                // A writer is still appending: the last record is incomplete. TensorBoard stops there and retries later.
                yield break;
            }
            Event e;
            try
            {
                e = Event.Parser.ParseFrom(record);
            }
            catch (InvalidProtocolBufferException ex)
            {
                throw new GraphFormatException($"{file}: record {index} is not an Event proto: {ex.Message}");
            }
            yield return e;
        }
    }

    /// <summary>Every summary value in the event files of <paramref name="path"/> (a file or run folder), in file order.</summary>
    public static IEnumerable<SummaryPoint> ReadPoints(string path)
    {
        var plugins = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in EventFiles(path))
            foreach (var e in ReadEvents(file))
            {
                if (e.WhatCase != Event.WhatOneofCase.Summary) continue;
                foreach (var v in e.Summary.Value)
                {
                    if (v.Metadata?.PluginData is { PluginName.Length: > 0 } pd) plugins[v.Tag] = pd.PluginName;
                    yield return Point(e, v, plugins.GetValueOrDefault(v.Tag));
                }
            }
    }

    private static SummaryPoint Point(Event e, Summary.Types.Value v, string? plugin)
    {
        switch (v.ValueCase)
        {
            case Summary.Types.Value.ValueOneofCase.SimpleValue:
                return new SummaryPoint(e.Step, e.WallTime, v.Tag, SummaryKind.Scalar, v.SimpleValue, null);
            case Summary.Types.Value.ValueOneofCase.Histo:
                return new SummaryPoint(e.Step, e.WallTime, v.Tag, SummaryKind.Histogram, v.Histo.Num, null);
            case Summary.Types.Value.ValueOneofCase.Image:
                return new SummaryPoint(e.Step, e.WallTime, v.Tag, SummaryKind.Image, null, $"{v.Image.Height}x{v.Image.Width}x{v.Image.Colorspace} image, {v.Image.EncodedImageString.Length} bytes");
            case Summary.Types.Value.ValueOneofCase.Audio:
                return new SummaryPoint(e.Step, e.WallTime, v.Tag, SummaryKind.Audio, null, $"{v.Audio.LengthFrames} frames at {v.Audio.SampleRate} Hz");
            case Summary.Types.Value.ValueOneofCase.Tensor:
                var t = TensorProtos.ToTensor(v.Tensor, $"summary '{v.Tag}'");
                if (t.DType == DataType.DtString)
                {
                    var text = string.Join("\n", t.Strings.Select(s => System.Text.Encoding.UTF8.GetString(s)));
                    return new SummaryPoint(e.Step, e.WallTime, v.Tag, plugin == "text" ? SummaryKind.Text : SummaryKind.Tensor, null, text);
                }
                double? number = t.NumElements == 1 && DataTypes.IsNumeric(t.DType) ? ScalarOf(t) : null;
                return new SummaryPoint(e.Step, e.WallTime, v.Tag, plugin == "scalars" ? SummaryKind.Scalar : SummaryKind.Tensor, number, null);
            default:
                return new SummaryPoint(e.Step, e.WallTime, v.Tag, SummaryKind.Other, null, null);
        }
    }

    private static double? ScalarOf(Tensor t) => t.DType switch
    {
        DataType.DtFloat => t.AsSpan<float>()[0],
        DataType.DtDouble => t.AsSpan<double>()[0],
        DataType.DtInt32 => t.AsSpan<int>()[0],
        DataType.DtInt64 => t.AsSpan<long>()[0],
        DataType.DtHalf => (double)t.AsSpan<Half>()[0],
        _ => null,
    };
}
