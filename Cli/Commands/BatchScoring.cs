using System.Text;
using System.Text.Json;
using TypedGraph.Formats;

namespace TypedGraph.Cli.Commands;

/// <summary>
/// <c>typedgraph run … --feed x=@big.npy --batch-size N --out y.npy</c>: streams every <c>@file.npy</c> feed over its
/// first dimension N rows at a time (all such files must have the same number of rows; other feeds are the same for
/// every batch), runs the fetch per batch and appends its rows to <c>y.npy</c>. Memory holds one batch of inputs and
/// outputs; the output file appears only when complete; a progress bar shows on a terminal.
/// </summary>
internal static class BatchScoring
{
    public static int Run(MetaGraph meta, Session session, List<(string Name, string Value)> feedArgs, string fetch, string outPath, int batchSize, bool json, TextWriter stdout)
    {
        var streamed = new List<(string Name, NpyRowReader Reader)>();
        var fixedFeeds = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var (name, value) in feedArgs)
            {
                if (fixedFeeds.ContainsKey(name) || streamed.Any(s => s.Name == name)) throw new UsageException($"'{name}' is fed twice");
                if (value.StartsWith('@')) streamed.Add((name, Npy.OpenRows(value[1..])));
                else fixedFeeds[name] = FeedValues.Parse(meta.Graph, name, value);
            }
            int rows = streamed[0].Reader.Rows;
            foreach (var (name, r) in streamed)
                if (r.Rows != rows)
                    throw new UsageException($"streamed feeds must have the same number of rows: '{streamed[0].Name}' ({streamed[0].Reader.Path}) has {rows}, '{name}' ({r.Path}) has {r.Rows}");
            if (rows == 0) throw new UsageException($"'{streamed[0].Reader.Path}' has no rows to score");
            using var writer = Npy.CreateRows(outPath, rows);
            int batches = 0;
            Tensor? last = null;
            ProgressDisplay.Run($"scoring {rows} rows", rows, minimum: 2L * batchSize, progress =>
            {
                int done = 0;
                while (done < rows)
                {
                    var feeds = new Dictionary<string, Tensor>(fixedFeeds, StringComparer.Ordinal);
                    int n = 0;
                    foreach (var (name, r) in streamed)
                    {
                        var block = r.ReadRows(batchSize);
                        feeds[name] = block;
                        n = block.Shape[0];
                    }
                    var result = session.Run([fetch], feeds)[0];
                    if (result.Shape.Rank == 0 || result.Shape[0] != n)
                        throw new InvalidOperationException($"{fetch} returned {DataTypes.Name(result.DType)}{result.Shape} for a batch of {n} rows; --batch-size needs a fetch whose first dimension is the batch.");
                    writer.WriteRows(result);
                    last = result;
                    done += n;
                    batches++;
                    progress?.Report(done);
                }
            });
            writer.Complete();
            var shape = last!.Shape.ToArray();
            shape[0] = rows;
            if (json)
            {
                using var ms = new MemoryStream();
                using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
                {
                    w.WriteStartObject();
                    w.WriteString("fetch", fetch);
                    w.WriteString("dtype", DataTypes.Name(last.DType));
                    w.WriteStartArray("shape");
                    foreach (var d in shape) w.WriteNumberValue(d);
                    w.WriteEndArray();
                    w.WriteNumber("batches", batches);
                    w.WriteString("out", outPath);
                    w.WriteEndObject();
                }
                stdout.WriteLine(Encoding.UTF8.GetString(ms.ToArray()));
            }
            else stdout.WriteLine($"{fetch}: {DataTypes.Name(last.DType)}[{string.Join(", ", shape)}] -> {outPath} ({batches} batches of up to {batchSize} rows)");
            return 0;
        }
        finally
        {
            foreach (var (_, r) in streamed) r.Dispose();
        }
    }
}
