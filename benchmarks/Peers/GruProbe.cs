using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Benchmarks.Peers;

/// <summary>
/// A Keras-style GRU(128) over 100 steps at batch 32 (standard_gru's step in a while loop: x·K and h·R per step, two
/// 3-way Splits, the gate ops), run with and without plan-time fusion, interleaved run by run (same load for both):
/// what <c>_FusedGruCell</c> saves per forward. Not a peer benchmark: ORT's GRU operator is another graph.
/// </summary>
public static class GruProbe
{
    private const int T = 100, B = 32, I = 128, H = 128;

    public static void Print(int rounds)
    {
        var b = new GraphBuilder();
        var inputs = b.Placeholder(DataType.DtFloat, [T, B, I], "inputs");
        var kernel = b.Constant(BenchData.Random(1, I * 3 * H, 0.08f), [I, 3 * H], "kernel");
        var recurrent = b.Constant(BenchData.Random(2, H * 3 * H, 0.08f), [H, 3 * H], "recurrent_kernel");
        var steps = b.Constant(T, "steps");
        var inputTa = b.TensorArrayUnstack(b.TensorArray(steps, DataType.DtFloat, [B, I], tensorArrayName: "input_0"), inputs);
        var exits = b.WhileLoop(
            v => b.Less(v[0], steps),
            v =>
            {
                var mx = b.Split(b.MatMul(b.TensorArrayRead(inputTa, v[0]), kernel), 3, 1);
                var mu = b.Split(b.MatMul(v[1], recurrent), 3, 1);
                var z = b.Sigmoid(b.AddV2(mx[0], mu[0]));
                var r = b.Sigmoid(b.AddV2(mx[1], mu[1]));
                var hh = b.Tanh(b.AddV2(mx[2], b.Multiply(r, mu[2])));
                return [b.Add(v[0], 1), b.AddV2(b.Multiply(z, v[1]), b.Multiply(b.Subtract(1.0, z), hh))];
            },
            [b.Constant(0, "time"), b.Constant(new float[B * H], [B, H], "h0")]);
        using var fused = new Session(b.Graph);
        using var plain = new Session(b.Graph, new SessionOptions { FuseKernels = false });
        var runFused = fused.Prepare([exits[1].Name], ["inputs:0"]);
        var runPlain = plain.Prepare([exits[1].Name], ["inputs:0"]);
        Tensor[] feeds = [Tensor.Create(BenchData.Random(3, T * B * I), T, B, I)];
        Tensor[] outA = [Tensor.Create(new float[B * H], B, H)], outB = [Tensor.Create(new float[B * H], B, H)];
        runFused.RunInto(feeds, outA);
        runPlain.RunInto(feeds, outB);
        BenchData.CheckClose("GRU(128) x100 fused vs unfused", outA[0].AsSpan<float>(), outB[0].AsSpan<float>());
        var warm = System.Diagnostics.Stopwatch.StartNew();
        while (warm.Elapsed.TotalSeconds < 2) { runFused.RunInto(feeds, outA); runPlain.RunInto(feeds, outB); }
        var a = new List<double>();
        var p = new List<double>();
        for (int i = 0; i < rounds; i++)
        {
            a.Add(Ceiling.Median(() => runFused.RunInto(feeds, outA), 5));
            p.Add(Ceiling.Median(() => runPlain.RunInto(feeds, outB), 5));
        }
        double fa = a.Order().ElementAt(a.Count / 2) * 1e3, pa = p.Order().ElementAt(p.Count / 2) * 1e3;
        Console.WriteLine($"GRU(128) x100 steps, batch 32, forward (RunInto): fused {fa:F2} ms, unfused {pa:F2} ms, ratio {fa / pa:F2} (medians of {rounds} interleaved rounds of 5)");
    }
}
