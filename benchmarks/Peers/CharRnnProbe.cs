using TypedGraph.Formats;

namespace TypedGraph.Benchmarks.Peers;

/// <summary>
/// The real TF 1.4 char-RNN fixture (dynamic_rnn over a BasicLSTMCell, kernel 600×1200, 158 steps) run forward to its
/// logits at a given batch: median time per run and where it goes by op type (`char-rnn [batch] [runs]`). No peer: ORT
/// cannot read TF graphs. A probe, not a measurement.
/// </summary>
internal static class CharRnnProbe
{
    public static void Run(int batch, int runs)
    {
        string dir = Path.Combine(Training.TrainingBenchmarks.FindFixtures(), "char_rnn_tensorarray");
        var meta = MetaGraph.Load(Path.Combine(dir, "model.ckpt.meta"));
        using var session = new Session(meta.Graph);
        session.Restore(dir, meta.SaverDef);
        var rng = new Random(5);
        var feeds = new[]
        {
            Tensor.Create(Enumerable.Range(0, batch * 158).Select(_ => rng.Next(92)).ToArray(), batch, 158),
            Tensor.Create(Enumerable.Repeat(158, batch).ToArray()),
            Tensor.FromScalar(batch),
        };
        var run = session.Prepare(["logits:0"], ["x_raw_input:0", "length_of_each_sequence:0", "batch_size:0"]);
        var outputs = new Tensor[1];
        var warm = System.Diagnostics.Stopwatch.StartNew();
        while (warm.Elapsed.TotalSeconds < 2) run.Run(feeds, outputs);
        Console.WriteLine($"char-RNN forward, batch {batch}: median {Ceiling.Median(() => run.Run(feeds, outputs), runs) * 1e3:F3} ms of {runs}");
        LoopProfile.Print($"char-RNN forward, batch {batch}", () => run.Run(feeds, outputs), runs, top: 8);
    }
}
