using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using TypedGraph.Summaries;

namespace TypedGraph.Cli.Commands;

/// <summary>
/// <c>typedgraph events &lt;logdir|event file&gt; [--tag T] [--json]</c>: the summaries in TensorBoard event files — per tag its
/// kind, count, step range and last value; with <c>--json</c> every point (step, wall time, value or text).
/// </summary>
public sealed class EventsCommand : ICliCommand
{
    private readonly Argument<string> _path = new("logdir")
    {
        HelpName = "logdir|events.out.tfevents.*",
        Description = "A TensorBoard log folder or one event file.",
    };
    private readonly Option<string> _tag = new("--tag") { HelpName = "TAG", Description = "Only this summary tag." };
    private readonly Option<bool> _json = CliOptions.Json();

    /// <summary>Defines the command's syntax.</summary>
    public EventsCommand() => Definition = new Command("events",
        "The summaries in TensorBoard event files: per tag its kind, count, step range and last value; "
        + "with --json every point.") { _path, _tag, _json };

    /// <inheritdoc/>
    public Command Definition { get; }

    /// <inheritdoc/>
    public int Execute(ParseResult parse, TextWriter stdout)
    {
        var path = parse.GetValue(_path)!;
        var files = SummaryReader.EventFiles(path);
        if (files.Count == 0) throw new FileNotFoundException($"{path}: no event files (events.out.tfevents.*) in this folder.");
        var tagFilter = parse.GetValue(_tag);
        var points = SummaryReader.ReadPoints(path).Where(p => tagFilter == null || p.Tag == tagFilter).ToList();
        int graphs = files.Sum(f => SummaryReader.ReadEvents(f).Count(e => e.WhatCase is Protos.Event.WhatOneofCase.GraphDef or Protos.Event.WhatOneofCase.MetaGraphDef));
        var byTag = points.GroupBy(p => p.Tag).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        if (parse.GetValue(_json))
        {
            var report = new
            {
                files,
                graphs,
                tags = byTag.Select(g => new
                {
                    tag = g.Key,
                    kind = g.First().Kind.ToString().ToLowerInvariant(),
                    points = g.Select(p => new { step = p.Step, wall_time = p.WallTime, value = p.Number, text = p.Text }),
                }),
            };
            stdout.WriteLine(JsonSerializer.Serialize(report, CliJson.Options));
            return 0;
        }
        stdout.WriteLine($"{files.Count} event file(s), {graphs} graph(s), {byTag.Count} tag(s)");
        foreach (var g in byTag)
        {
            var last = g.Last();
            var value = last.Number is { } n ? n.ToString("G6", CultureInfo.InvariantCulture) : last.Text ?? "";
            if (value.Length > 60) value = value[..57] + "...";
            stdout.WriteLine($"  {g.Key}  {last.Kind.ToString().ToLowerInvariant()}  {g.Count()} point(s), steps {g.Min(p => p.Step)}..{g.Max(p => p.Step)}, last {value}");
        }
        return 0;
    }
}
