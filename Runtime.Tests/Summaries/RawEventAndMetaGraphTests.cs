using Google.Protobuf;
using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Summaries;

namespace TypedGraph.Tests.Summaries;

/// <summary>
/// <see cref="SummaryWriter.AddMetaGraph"/> (FileWriter.add_meta_graph: the serialized MetaGraphDef in
/// <c>Event.meta_graph_def</c>, stamped with wall time and step) and <see cref="SummaryWriter.AddEvent"/> (written as given),
/// read back through <see cref="SummaryReader"/>.
/// </summary>
public sealed class RawEventAndMetaGraphTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-events-raw-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Meta_graph_and_raw_events_read_back_unchanged_after_the_file_version_event()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [-1, 3], "x");
        b.Multiply(x, b.ScalarConstant(2.0, DataType.DtFloat, "two"), "y");
        var meta = new MetaGraphDef { GraphDef = b.Graph.Def, MetaInfoDef = new MetaGraphDef.Types.MetaInfoDef { TensorflowVersion = "1.15.0" } };
        var raw = new Event { WallTime = 1234.5, Step = 77, LogMessage = new LogMessage { Level = LogMessage.Types.Level.Warn, Message = "resumed" } };
        double before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        string file;
        using (var w = new SummaryWriter(_dir, TimeSpan.Zero))
        {
            w.AddMetaGraph(meta, step: 5);
            w.AddEvent(raw);
            file = w.FilePath;
        }
        double after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        var events = SummaryReader.ReadEvents(file).ToList();
        Assert.Equal(3, events.Count);
        Assert.Equal(SummaryWriter.FileVersion, events[0].FileVersion);

        Assert.Equal(Event.WhatOneofCase.MetaGraphDef, events[1].WhatCase);
        Assert.Equal(5, events[1].Step);
        Assert.InRange(events[1].WallTime, before - 1, after + 1);
        var back = MetaGraphDef.Parser.ParseFrom(events[1].MetaGraphDef);
        Assert.Equal(meta, back);
        Assert.Equal(["x", "two", "y"], back.GraphDef.Node.Select(n => n.Name));

        Assert.Equal(raw, events[2]); // not restamped: the caller's wall time and step are kept
    }
}
