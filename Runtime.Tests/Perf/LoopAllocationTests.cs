using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Training;
using TypedGraph.Tests.Support;
using Xunit;

namespace TypedGraph.Tests.Perf;

/// <summary>
/// The TF1 loop executor allocates nothing per iteration beyond the arrays the loop stores: a run of 2N iterations
/// allocates (on the calling thread) at most N × (bytes stored per iteration + a small constant) more than a run of
/// N iterations. Per-run costs (the request, the fetched result's header, the TensorArray object) cancel out in the
/// difference. Values are checked against a loop written in the test, so a fast wrong answer cannot pass.
/// </summary>
[Collection(nameof(SteadyStateAllocationTests))]
public class LoopAllocationTests(Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>
    /// Per stored element, beyond its data bytes: the byte[] header (24 B on 64-bit), the <see cref="Tensor"/> object
    /// that wraps the copy (72 B), the TensorArray's entry for it (24 B) and its slot in the Tensor[] that Gather /
    /// Scatter pass elements in (8 B) = 128 B. Everything else — frames, iteration states, kernel contexts,
    /// per-iteration values — must be reused.
    /// </summary>
    private const int PerElementOverhead = 128;

    /// <summary>Slack per iteration for allocations that are not per iteration but do not divide evenly (a queue or
    /// list doubling once between N and 2N, tiered-JIT noise spread over N iterations).</summary>
    private const int Slack = 32;

    private static long AllocatedBy(Action run) => TypedGraph.Tests.Support.Allocations.LeastOfThree(run);

    [Fact]
    public void CounterLoop_AllocatesNothingPerIteration()
    {
        var b = new GraphBuilder();
        var n = b.Placeholder(DataType.DtInt32, [], "n");
        var acc = b.Placeholder(DataType.DtFloat, [], "start");
        var exits = b.WhileLoop(v => b.Less(v[0], n), v => [b.Add(v[0], 1), b.Add(v[1], b.Cast(v[0], DataType.DtFloat))], [b.Constant(0, "i"), acc]);
        using var s = new Session(b.Graph);
        float Run(int count) => s.Run([exits[1].Name], new Dictionary<string, Tensor> { ["n:0"] = Tensor.FromScalar(count), ["start:0"] = Tensor.FromScalar(0.5f) })[0].Scalar<float>();
        const int N = 400;
        Assert.Equal(0.5f + N * (N - 1) / 2f, Run(N));
        Assert.Equal(0.5f + 2 * N * (2 * N - 1) / 2f, Run(2 * N));
        long perIteration = (AllocatedBy(() => Run(2 * N)) - AllocatedBy(() => Run(N))) / N;
        output.WriteLine($"counter loop: {perIteration} bytes per iteration");
        Assert.True(perIteration <= Slack, $"{perIteration} bytes per iteration (nothing is stored)");
    }

    [Fact]
    public void TensorArrayAccumulatorLoop_AllocatesOnlyTheStoredElements()
    {
        const int Width = 64;
        var b = new GraphBuilder();
        var n = b.Placeholder(DataType.DtInt32, [], "n");
        var ta = b.TensorArray(n, DataType.DtFloat, [Width]);
        var exits = b.WhileLoop(
            v => b.Less(v[0], n),
            v =>
            {
                var value = b.Fill(b.Constant(new[] { Width }, "dims"), b.Cast(v[0], DataType.DtFloat));
                return [b.Add(v[0], 1), b.TensorArrayWrite(ta.WithFlow(v[1]), v[0], b.Multiply(value, 2.0)).Flow];
            },
            [b.Constant(0, "i"), ta.Flow]);
        var stacked = b.TensorArrayStack(ta.WithFlow(exits[1]));
        using var s = new Session(b.Graph);
        float[] Run(int count) => s.Run([stacked.Name], new Dictionary<string, Tensor> { ["n:0"] = Tensor.FromScalar(count) })[0].ToArray<float>();
        const int N = 300;
        var values = Run(N);
        Assert.Equal(N * Width, values.Length);
        for (int t = 0; t < N; t++)
            for (int k = 0; k < Width; k++) Assert.Equal(2f * t, values[t * Width + k]);
        Run(2 * N);
        long perIteration = (AllocatedBy(() => Run(2 * N)) - AllocatedBy(() => Run(N))) / N;
        // Stored per iteration: the written element's copy, its row of the stacked result the caller receives, and
        // that row again in the test's ToArray copy.
        long stored = Width * sizeof(float) + PerElementOverhead + 2 * Width * sizeof(float);
        output.WriteLine($"TensorArray loop: {perIteration} bytes per iteration, stored {stored}");
        Assert.True(perIteration <= stored + Slack, $"{perIteration} bytes per iteration, stored {stored}");
    }

    [Fact]
    public void LstmCellLoop_AllocatesOnlyTheStoredOutputs_AndMatchesAHandLstm()
    {
        const int B = 8, D = 16, H = 32;
        var rng = new Random(11);
        float[] R(int count, double scale) => Enumerable.Range(0, count).Select(_ => (float)((rng.NextDouble() * 2 - 1) * scale)).ToArray();
        var kernel = R((D + H) * 4 * H, 0.2);
        var bias = R(4 * H, 0.1);

        var b = new GraphBuilder();
        var n = b.Placeholder(DataType.DtInt32, [], "n");
        var x = b.Placeholder(DataType.DtFloat, [-1, B, D], "inputs");
        var w = b.Constant(kernel, [D + H, 4 * H], "kernel");
        var bi = b.Constant(bias, [4 * H], "bias");
        var (outputs, exits) = BasicLstmLoop.Build(b, n, x, w, bi, B, D, H);
        using var s = new Session(b.Graph);
        const int N = 60;
        var xs = R(2 * N * B * D, 1.0);
        float[] Run(int count) => s.Run([outputs.Name], new Dictionary<string, Tensor>
        {
            ["n:0"] = Tensor.FromScalar(count),
            ["inputs:0"] = Tensor.Create<float>(xs.AsSpan(0, count * B * D), count, B, D),
        })[0].ToArray<float>();

        var got = Run(2 * N);
        var expected = HandLstm(xs, kernel, bias, 2 * N, B, D, H);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - got[i]) <= 1e-5 + 1e-5 * Math.Abs(expected[i]), $"h[{i}] = {got[i]}, hand LSTM {expected[i]}");
        Run(N);
        // The feed copy of the inputs grows with N too: it is the caller's, made before the run.
        long perIteration = (AllocatedBy(() => Run(2 * N)) - AllocatedBy(() => Run(N))) / N;
        long fedRow = B * D * sizeof(float); // the test's Tensor.Create copy of one more step of inputs
        long inputElement = B * D * sizeof(float) + PerElementOverhead; // TensorArrayUnstack's copy of a step
        long outputElement = B * H * sizeof(float) + PerElementOverhead; // the written h
        long stackedRow = B * H * sizeof(float) + B * H * sizeof(float); // its row of the stacked result, and ToArray's copy
        long stored = fedRow + inputElement + outputElement + stackedRow;
        output.WriteLine($"LSTM loop: {perIteration} bytes per iteration, stored {stored}");
        Assert.True(perIteration <= stored + Slack, $"{perIteration} bytes per iteration, stored {stored}");
    }

    [Fact]
    public void GradientLoopStacks_KeepValuesWithoutCopies_AndMatchHandBackprop()
    {
        // h ← tanh(h ⊙ w + x) for n steps, loss = Σ h_n; the TF1 gradient loop pops the forward values it needs from
        // stacks (StackPushV2 in the forward loop, StackPopV2 in the gradient loop). The pushed values are the run's
        // pooled buffers, held rather than copied: per iteration only the stacks' list slots may grow.
        const int W = 256;
        var rng = new Random(5);
        var wv = Enumerable.Range(0, W).Select(_ => (float)(rng.NextDouble() * 1.6 - 0.8)).ToArray();
        var xv = Enumerable.Range(0, W).Select(_ => (float)(rng.NextDouble() * 0.4 - 0.2)).ToArray();
        var b = new GraphBuilder();
        var n = b.Placeholder(DataType.DtInt32, [], "n");
        var w = b.Constant(wv, [W], "w");
        var x = b.Constant(xv, [W], "x");
        var exits = b.WhileLoop(v => b.Less(v[0], n), v => [b.Add(v[0], 1), b.Tanh(b.Add(b.Multiply(v[1], w), x))],
            [b.Constant(0, "i"), b.Constant(new float[W], [W], "h0")]);
        var grad = Gradients.Compute(b, [b.ReduceSum(exits[1], [0])], [w])[0]!.Value;
        int pushes = b.Graph.Def.Node.Count(node => node.Op == "StackPushV2");
        Assert.True(pushes > 0, "the gradient loop reads forward values from stacks");
        using var s = new Session(b.Graph);
        float[] Run(int count) => s.Run([grad.Name], new Dictionary<string, Tensor> { ["n:0"] = Tensor.FromScalar(count) })[0].ToArray<float>();

        // Hand backprop in double: forward states, then dh ← 1 and for t = n−1…0: dz = dh·(1 − h_{t+1}²), dw += dz·h_t, dh = dz·w.
        static double[] HandGradient(float[] w, float[] x, int steps)
        {
            var hs = new double[steps + 1][];
            hs[0] = new double[w.Length];
            for (int t = 0; t < steps; t++) hs[t + 1] = hs[t].Select((h, k) => Math.Tanh(h * w[k] + x[k])).ToArray();
            var dw = new double[w.Length];
            var dh = Enumerable.Repeat(1.0, w.Length).ToArray();
            for (int t = steps - 1; t >= 0; t--)
                for (int k = 0; k < w.Length; k++)
                {
                    double dz = dh[k] * (1 - hs[t + 1][k] * hs[t + 1][k]);
                    dw[k] += dz * hs[t][k];
                    dh[k] = dz * w[k];
                }
            return dw;
        }
        const int N = 200;
        foreach (int steps in new[] { N, 2 * N })
        {
            var got = Run(steps);
            var expected = HandGradient(wv, xv, steps);
            for (int k = 0; k < W; k++)
                Assert.True(Math.Abs(expected[k] - got[k]) <= 1e-4 * (1 + Math.Abs(expected[k])), $"steps {steps}: dw[{k}] = {got[k]}, hand {expected[k]}");
        }
        // What the stack kernels themselves allocate per iteration (the loop's other gradient kernels — Sum, Reshape,
        // BroadcastGradientArgs of the elementwise ops — allocate their own small shape arrays, not the machinery's).
        long StackBytes(int steps)
        {
            long stackBytes = 0, before = 0;
            TypedGraph.Execution.LoopExecutor.KernelObserver = (node, _) =>
            {
                long now = GC.GetAllocatedBytesForCurrentThread();
                if (node.Op is "StackPushV2" or "StackPopV2") stackBytes += now - before;
                before = GC.GetAllocatedBytesForCurrentThread();
            };
            try
            {
                // The observer runs after each kernel: start counting from the previous kernel's end.
                before = GC.GetAllocatedBytesForCurrentThread();
                Run(steps);
                return stackBytes;
            }
            finally
            {
                TypedGraph.Execution.LoopExecutor.KernelObserver = null;
            }
        }
        StackBytes(2 * N);
        long perIteration = (StackBytes(2 * N) - StackBytes(N)) / N;
        // Each push adds one reference to its stack's list (8 B, ×2 amortized for the list's doubling); a copied push
        // adds W·4 + 96 B each (the copy's array and Tensor).
        long allowed = pushes * 16 + Slack;
        output.WriteLine($"gradient loop with {pushes} stacks: stack kernels allocate {perIteration} bytes per iteration (allowed {allowed}); " +
            $"the whole run {(AllocatedBy(() => Run(2 * N)) - AllocatedBy(() => Run(N))) / N} bytes per iteration");
        Assert.True(perIteration <= allowed, $"the stack kernels allocate {perIteration} bytes per iteration, allowed {allowed} ({pushes} stacks)");
    }

    private static double[] HandLstm(float[] xs, float[] kernel, float[] bias, int steps, int batch, int d, int hidden)
    {
        static double Sig(double v) => 1 / (1 + Math.Exp(-v));
        var h = new double[batch * hidden];
        var c = new double[batch * hidden];
        var outputs = new double[steps * batch * hidden];
        for (int t = 0; t < steps; t++)
        {
            var hNext = new double[batch * hidden];
            for (int r = 0; r < batch; r++)
            {
                var g = new double[4 * hidden];
                for (int k = 0; k < 4 * hidden; k++)
                {
                    double sum = bias[k];
                    for (int j = 0; j < d; j++) sum += xs[(t * batch + r) * d + j] * (double)kernel[j * 4 * hidden + k];
                    for (int j = 0; j < hidden; j++) sum += h[r * hidden + j] * kernel[(d + j) * 4 * hidden + k];
                    g[k] = sum;
                }
                for (int k = 0; k < hidden; k++)
                {
                    double ci = c[r * hidden + k] * Sig(g[2 * hidden + k] + 1) + Sig(g[k]) * Math.Tanh(g[hidden + k]);
                    c[r * hidden + k] = ci;
                    hNext[r * hidden + k] = Math.Tanh(ci) * Sig(g[3 * hidden + k]);
                }
            }
            h = hNext;
            Array.Copy(h, 0, outputs, t * batch * hidden, batch * hidden);
        }
        return outputs;
    }
}
