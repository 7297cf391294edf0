using BenchmarkDotNet.Attributes;
using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Training;

namespace TypedGraph.Benchmarks.Peers;

/// <summary>
/// LSTM(128) over 100 steps at batch 32 (issue 8). Ours: the graph TF 1.x's <c>dynamic_rnn</c> builds around a
/// <c>BasicLSTMCell</c> (a while loop reading the inputs from a TensorArray, one MatMul of [x, h] with the kernel,
/// BiasAdd, Split into i, j, f, o, forget bias 1, outputs written to a TensorArray and stacked), run by the loop
/// executor; forward, and forward + backward (our TF1 gradient loop: stacks, gradient TensorArrays) for the gradients
/// of Σ c ⊙ outputs w.r.t. kernel and bias. Peer: ONNX Runtime's <c>LSTM</c> operator on the same weights (gates
/// reordered to ONNX's i, o, f, c; the forget bias folded into Wb), forward only — ORT does not train. Setup checks
/// that both engines' outputs agree.
/// </summary>
public class LstmBench
{
    private const int T = 100, I = 128, H = 128;
    // The batch: 32 in the suite; `BENCH_LSTM_BATCH` changes it for the probes (batch 1 is the per-step overhead case).
    private static readonly int B = int.TryParse(Environment.GetEnvironmentVariable("BENCH_LSTM_BATCH"), out int b) ? b : 32;
    private Session _session = null!;
    private PreparedRun _forward = null!, _train = null!;
    private readonly Tensor[] _feeds = new Tensor[1];
    private readonly Tensor[] _outputs = new Tensor[1];
    private readonly Tensor[] _grads = new Tensor[2];
    private readonly Tensor[] _bound = [Tensor.Create(new float[T * B * H], T, B, H)];
    private OrtRunner _ort = null!;
    private float[] _ortY = null!;

    /// <summary>The BasicLSTMCell loop in TF 1.x dynamic_rnn's layout; returns the stacked outputs [T, B, H].</summary>
    internal static Output DynamicLstm(GraphBuilder b, Output inputs, Output kernel, Output bias)
    {
        using var _ = b.NameScope("rnn");
        var steps = b.Constant(T, "time_steps");
        var inputTa = b.TensorArrayUnstack(b.TensorArray(steps, DataType.DtFloat, [B, I], tensorArrayName: "rnn/dynamic_rnn/input_0"), inputs);
        var outputTa = b.TensorArray(steps, DataType.DtFloat, [B, H], tensorArrayName: "rnn/dynamic_rnn/output_0");
        var zeros = b.Splat(0, DataType.DtFloat, [B, H], "zeros");
        var exits = b.WhileLoop(
            v => b.Less(v[0], steps),
            v =>
            {
                var x = b.TensorArrayRead(inputTa, v[0]);
                Output c, h;
                using (b.NameScope("basic_lstm_cell"))
                {
                    var gates = b.BiasAdd(b.MatMul(b.Concat([x, v[3]], 1), kernel), bias);
                    var s = b.Split(gates, 4, 1); // i, j, f, o
                    c = b.Add(b.Multiply(v[2], b.Sigmoid(b.Add(s[2], 1.0))), b.Multiply(b.Sigmoid(s[0]), b.Tanh(s[1])));
                    h = b.Multiply(b.Tanh(c), b.Sigmoid(s[3]));
                }
                return [b.Add(v[0], 1), b.TensorArrayWrite(outputTa.WithFlow(v[1]), v[0], h).Flow, c, h];
            },
            [b.Constant(0, "time"), outputTa.Flow, zeros, zeros]);
        return b.TensorArrayStack(outputTa.WithFlow(exits[1]));
    }

    [GlobalSetup]
    public void Setup()
    {
        var x = BenchData.Random(1, T * B * I);
        var kernel = BenchData.Random(2, (I + H) * 4 * H, 0.08f);
        var bias = BenchData.Random(3, 4 * H, 0.1f);
        var weights = BenchData.Random(4, T * B * H);

        var b = new GraphBuilder();
        var input = b.Placeholder(DataType.DtFloat, [T, B, I], "inputs");
        var k = b.Constant(kernel, [I + H, 4 * H], "kernel");
        var bi = b.Constant(bias, [4 * H], "bias");
        var outputs = DynamicLstm(b, input, k, bi);
        var loss = b.ReduceSum(b.Multiply(outputs, b.Constant(weights, [T, B, H], "c")), [0, 1, 2]);
        var grads = Gradients.Compute(b, [loss], [k, bi]);
        _session = new Session(b.Graph);
        _forward = _session.Prepare([outputs.Name], [input.Name]);
        _train = _session.Prepare([grads[0]!.Value.Name, grads[1]!.Value.Name], [input.Name]);
        _feeds[0] = Tensor.Create(x, T, B, I);

        // ONNX LSTM: W [1, 4H, I], R [1, 4H, H], B [1, 8H] with gate blocks i, o, f, c; ours are i, j(=c), f, o.
        int[] tfBlock = [0, 3, 2, 1];
        var w = new float[4 * H * I];
        var r = new float[4 * H * H];
        var bb = new float[8 * H];
        for (int g = 0; g < 4; g++)
            for (int u = 0; u < H; u++)
            {
                int col = tfBlock[g] * H + u;
                for (int d = 0; d < I; d++) w[(g * H + u) * I + d] = kernel[d * 4 * H + col];
                for (int m = 0; m < H; m++) r[(g * H + u) * H + m] = kernel[(I + m) * 4 * H + col];
                bb[g * H + u] = bias[col] + (g == 2 ? 1f : 0f); // BasicLSTMCell's forget_bias = 1.0
            }
        var model = new OnnxModel().Input("X", T, B, I).Output("Y", T, 1, B, H)
            .Initializer("W", w, 1, 4 * H, I).Initializer("R", r, 1, 4 * H, H).Initializer("B", bb, 1, 8 * H)
            .Node("LSTM", ["X", "W", "R", "B"], ["Y"], ("hidden_size", H))
            .ToBytes();
        _ortY = new float[T * B * H];
        _ort = new OrtRunner(model, [("X", x, [T, B, I])], [("Y", _ortY, [T, 1, B, H])]);
        Ort();
        Ours();
        OursForwardBackward();
        OursBound();
        BenchData.CheckClose("LSTM(128) x100 outputs", _outputs[0].AsSpan<float>(), _ortY);
        BenchData.CheckClose("LSTM(128) x100 outputs (bound)", _bound[0].AsSpan<float>(), _ortY);
    }

    [Benchmark(Baseline = true)] public void Ort() => _ort.Run();

    [Benchmark] public void Ours() => _forward.Run(_feeds, _outputs);

    /// <summary>Forward with the output bound by the caller (<see cref="PreparedRun.RunInto"/>), as ORT's side runs with IoBinding.</summary>
    [Benchmark] public void OursBound() => _forward.RunInto(_feeds, _bound);

    [Benchmark] public void OursForwardBackward() => _train.Run(_feeds, _grads);

    /// <summary>A short check outside BenchmarkDotNet: setup (outputs compared) and a few timed runs of each.</summary>
    public static void DryRun(int runs)
    {
        var bench = new LstmBench();
        bench.Setup();
        foreach (var (name, run) in new (string, Action)[] { ("ORT LSTM forward", bench.Ort), ("ours forward", bench.Ours), ("ours forward, bound output", bench.OursBound), ("ours forward+backward", bench.OursForwardBackward) })
        {
            // Two seconds of warm-up first: right after setup the code is still tier-0 JIT (the first runs are 2-3x slower).
            var warm = System.Diagnostics.Stopwatch.StartNew();
            while (warm.Elapsed.TotalSeconds < 2) run();
            Console.WriteLine($"{name}: median {Ceiling.Median(run, runs) * 1e3:F3} ms of {runs}");
        }
        // Where forward and forward+backward spend their time.
        foreach (var (name, run) in new (string, Action)[] { ("forward", bench.Ours), ("forward, bound output", bench.OursBound), ("forward+backward", bench.OursForwardBackward) })
            LoopProfile.Print(name, run, runs);
        bench.Cleanup();
    }

    /// <summary>The bound forward (or, with <paramref name="train"/>, forward + backward) alone for <paramref name="seconds"/>
    /// (a profiler's target), with the time per run.</summary>
    public static void Loop(double seconds, bool train = false)
    {
        var bench = new LstmBench();
        bench.Setup();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int runs = 0;
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            if (train) bench.OursForwardBackward();
            else bench.OursBound();
            runs++;
        }
        Console.WriteLine($"ours {(train ? "forward + backward" : "forward, bound output")}: {clock.Elapsed.TotalMilliseconds / runs:F2} ms per run over {runs} runs");
        bench.Cleanup();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _ort.Dispose();
        _session.Dispose();
    }
}
