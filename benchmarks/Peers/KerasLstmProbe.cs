using TypedGraph.Formats;
using TypedGraph.Protos;

namespace TypedGraph.Benchmarks.Peers;

/// <summary>
/// The real TF 2.15 Keras LSTM SavedModel fixture (LSTM(64) over 13 steps inside a functional While, then dense layers)
/// run through its serving signature at a given batch, variables set to seeded values (the fixture has no checkpoint):
/// median time per run (`keras-lstm [batch,…] [runs]`). A probe, not a measurement; no peer.
/// </summary>
internal static class KerasLstmProbe
{
    public static void Run(int batch, int runs)
    {
        var meta = MetaGraph.Load(Path.Combine(Training.TrainingBenchmarks.FindFixtures(), "keras_lstm_savedmodel_tf2"));
        using var session = new Session(meta.Graph);
        int seed = 41;
        foreach (var node in meta.Graph.Nodes.Where(n => n.Op == "VarHandleOp" && n.GetType("dtype") == DataType.DtFloat))
        {
            var shape = node.GetShape("shape")!.Dim.Select(d => (int)d.Size).ToArray();
            session.State.Variable(node.GetString("shared_name")).Value = Tensor.Create(BenchData.Random(seed++, shape.Aggregate(1, (a, b) => a * b), 0.5f), shape);
        }
        var sig = meta.Proto.SignatureDef["serving_default"];
        var feeds = new[] { Tensor.Create(BenchData.Random(1, batch * 13), batch, 13), Tensor.Create(BenchData.Random(2, batch * 13), batch, 13, 1) };
        var run = session.Prepare([sig.Outputs["dense_3"].Name], [sig.Inputs["input_1"].Name, sig.Inputs["input_2"].Name]);
        var outputs = new Tensor[1];
        var warm = System.Diagnostics.Stopwatch.StartNew();
        while (warm.Elapsed.TotalSeconds < 2) run.Run(feeds, outputs);
        double median = Ceiling.Median(() => run.Run(feeds, outputs), runs);
        Console.WriteLine($"Keras LSTM(64)×13 SavedModel, batch {batch}: median {median * 1e6:F1} µs of {runs} ({median * 1e6 / 13:F2} µs a step)");
    }
}
