using System.Text.Json;
using TypedGraph.Summaries;
using static TypedGraph.Tests.Support.CliRunner;

namespace TypedGraph.Tests.Cli;

/// <summary><c>typedgraph events</c> lists the tags, steps and values of event files we wrote.</summary>
public sealed class EventsCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-events-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void Json_lists_every_point_by_tag_and_text_mode_summarizes_each_tag()
    {
        using (var w = new SummaryWriter(_dir, flushInterval: TimeSpan.Zero))
        {
            w.AddGraph(new Protos.GraphDef());
            for (int s = 1; s <= 3; s++) w.AddScalar("loss", 10.0 / s, s);
            w.AddText("note", "hello", 3);
        }
        var (code, stdout, stderr) = Run("events", _dir, "--json");
        Assert.True(code == 0, stderr);
        var doc = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(1, doc.GetProperty("graphs").GetInt32());
        var tags = doc.GetProperty("tags").EnumerateArray().ToDictionary(t => t.GetProperty("tag").GetString()!);
        Assert.Equal("scalar", tags["loss"].GetProperty("kind").GetString());
        var points = tags["loss"].GetProperty("points").EnumerateArray().ToList();
        Assert.Equal([1L, 2, 3], points.Select(p => p.GetProperty("step").GetInt64()));
        Assert.Equal([10f, 5f, 10f / 3], points.Select(p => (float)p.GetProperty("value").GetDouble()));
        Assert.Equal("hello", tags["note"].GetProperty("points")[0].GetProperty("text").GetString());

        var (code2, text, _) = Run("events", _dir);
        Assert.Equal(0, code2);
        Assert.Contains("loss  scalar  3 point(s), steps 1..3, last 3.33333", text);
        Assert.Contains("note  text  1 point(s), steps 3..3, last hello", text);
    }

    [Fact]
    public void A_folder_without_event_files_is_an_error_naming_it()
    {
        var (code, _, stderr) = Run("events", _dir);
        Assert.Equal(1, code);
        Assert.Contains(_dir, stderr);
    }
}
