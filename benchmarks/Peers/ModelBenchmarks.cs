using BenchmarkDotNet.Attributes;
using TypedGraph.Benchmarks.Kernels;

namespace TypedGraph.Benchmarks.Peers;

/// <summary>MLP 784-128-10 with ReLU and softmax: MatMul, BiasAdd, Relu, MatMul, BiasAdd, Softmax.</summary>
[MemoryDiagnoser]
public class MlpBench
{
    private SessionGraph _session = null!;
    private KernelChain _ours = null!;
    private KernelChain _fused = null!;
    private int _fusedOut;
    private OrtRunner _ort = null!;
    private float[] _ortOut = null!;
    private int _out;

    [Params(1, 64)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        int b = Batch;
        var x = BenchData.Random(6, b * 784);
        var w1 = BenchData.Random(7, 784 * 128, 0.05f);
        var b1 = BenchData.Random(8, 128, 0.1f);
        var w2 = BenchData.Random(9, 128 * 10, 0.1f);
        var b2 = BenchData.Random(10, 10, 0.1f);
        var o = new KernelChain();
        int h = o.Add("MatMul", [o.Feed("x", Tensor.Create(x, b, 784)), o.Feed("w1", Tensor.Create(w1, 784, 128))]);
        h = o.Add("Relu", [o.Add("BiasAdd", [h, o.Feed("b1", Tensor.Create(b1, 128))])]);
        h = o.Add("BiasAdd", [o.Add("MatMul", [h, o.Feed("w2", Tensor.Create(w2, 128, 10))]), o.Feed("b2", Tensor.Create(b2, 10))]);
        _out = o.Add("Softmax", [h]);
        _ours = o;
        var f = new KernelChain();
        int fh = f.Add("_FusedMatMul", [f.Feed("x", Tensor.Create(x, b, 784)), f.Feed("w1", Tensor.Create(w1, 784, 128)), f.Feed("b1", Tensor.Create(b1, 128))], BenchData.Fused("BiasAdd", "Relu"));
        fh = f.Add("_FusedMatMul", [fh, f.Feed("w2", Tensor.Create(w2, 128, 10)), f.Feed("b2", Tensor.Create(b2, 10))], BenchData.Fused("BiasAdd"));
        _fusedOut = f.Add("Softmax", [fh]);
        _fused = f;
        var sg = new SessionGraph();
        string sx = sg.Placeholder("x", Protos.DataType.DtFloat);
        string sh = sg.Op("Relu", [sg.Op("BiasAdd", [sg.Op("MatMul", [sx, sg.Const(Tensor.Create(w1, 784, 128))]), sg.Const(Tensor.Create(b1, 128))])]);
        sh = sg.Op("Softmax", [sg.Op("BiasAdd", [sg.Op("MatMul", [sh, sg.Const(Tensor.Create(w2, 128, 10))]), sg.Const(Tensor.Create(b2, 10))])]);
        sg.Prepare(sx, sh, Tensor.Create(x, b, 784));
        _session = sg;
        var model = new OnnxModel().Input("x", b, 784).Output("y", b, 10)
            .Initializer("w1", w1, 784, 128).Initializer("b1", b1, 128).Initializer("w2", w2, 128, 10).Initializer("b2", b2, 10)
            .Node("MatMul", ["x", "w1"], ["h1"]).Node("Add", ["h1", "b1"], ["h2"]).Node("Relu", ["h2"], ["h3"])
            .Node("MatMul", ["h3", "w2"], ["h4"]).Node("Add", ["h4", "b2"], ["h5"]).Node("Softmax", ["h5"], ["y"], ("axis", -1))
            .ToBytes();
        _ortOut = new float[b * 10];
        _ort = new OrtRunner(model, [("x", x, [b, 784])], [("y", _ortOut, [b, 10])]);
        Ours();
        Ort();
        BenchData.CheckClose($"MLP batch {b}", _ours.Value(_out).AsSpan<float>(), _ortOut);
        OursFused();
        BenchData.CheckClose($"MLP fused batch {b}", _fused.Value(_fusedOut).AsSpan<float>(), _ortOut);
        BenchData.CheckClose($"MLP session batch {b}", _session.Run().AsSpan<float>(), _ortOut);
        BenchData.CheckClose($"MLP session unfused batch {b}", _session.RunUnfused().AsSpan<float>(), _ortOut);
    }

    /// <summary>The unfused TF graph through <see cref="Session"/> (Const weights, prepared run; the plan fuses MatMul+BiasAdd+Relu).</summary>
    [Benchmark] public Tensor OursSession() => _session.Run();

    /// <summary>The session graph behind <see cref="OursSession"/> (probes: sessions with other options).</summary>
    internal SessionGraph Graph => _session;

    /// <summary>The prepared request behind <see cref="OursSession"/> (probes: bound-output runs).</summary>
    internal PreparedRun Prepared => _session.Prepared;

    /// <summary>As <see cref="OursSession"/> with plan-time fusion off.</summary>
    [Benchmark] public Tensor OursSessionUnfused() => _session.RunUnfused();

    [Benchmark(Baseline = true)] public void Ort() => _ort.Run();

    [Benchmark] public void Ours() => _ours.Run();

    /// <summary>The same graph with MatMul+BiasAdd(+Relu) as TF's grappler-fused <c>_FusedMatMul</c>.</summary>
    [Benchmark] public void OursFused() => _fused.Run();

    [GlobalCleanup]
    public void Cleanup()
    {
        _ort.Dispose();
        _session.Dispose();
    }

    /// <summary>Per-step medians of our chain (for the performance notes).</summary>
    public IReadOnlyList<(string Step, double Ms)> Profile(int runs) => _ours.Profile(runs);
}

/// <summary>
/// The TF MNIST tutorial CNN at batch 64: conv5×5 1→32 SAME + bias + ReLU, maxpool 2, conv5×5 32→64
/// SAME + bias + ReLU, maxpool 2, dense 3136→128 + ReLU, dense 128→10, softmax. ORT runs NCHW, so its
/// first dense weight rows are permuted to its flatten order; both engines compute the same function.
/// </summary>
[MemoryDiagnoser]
public class CnnBench
{
    private const int B = 64;
    private SessionGraph _session = null!;
    private KernelChain _ours = null!;
    private KernelChain _fused = null!;
    private int _fusedOut;
    private OrtRunner _ort = null!;
    private float[] _ortOut = null!;
    private int _out;

    [GlobalSetup]
    public void Setup()
    {
        var x = BenchData.Random(11, B * 28 * 28);
        var f1 = BenchData.Random(12, 5 * 5 * 1 * 32, 0.3f);
        var c1 = BenchData.Random(13, 32, 0.1f);
        var f2 = BenchData.Random(14, 5 * 5 * 32 * 64, 0.05f);
        var c2 = BenchData.Random(15, 64, 0.1f);
        var w3 = BenchData.Random(16, 3136 * 128, 0.02f);
        var b3 = BenchData.Random(17, 128, 0.1f);
        var w4 = BenchData.Random(18, 128 * 10, 0.1f);
        var b4 = BenchData.Random(19, 10, 0.1f);
        var o = new KernelChain();
        int h = o.Add("Conv2D", [o.Feed("x", Tensor.Create(x, B, 28, 28, 1)), o.Feed("f1", Tensor.Create(f1, 5, 5, 1, 32))], BenchData.Conv(1, "SAME"));
        h = o.Add("Relu", [o.Add("BiasAdd", [h, o.Feed("c1", Tensor.Create(c1, 32))])]);
        h = o.Add("MaxPool", [h], BenchData.Pool(2, 2, "SAME"));
        h = o.Add("Conv2D", [h, o.Feed("f2", Tensor.Create(f2, 5, 5, 32, 64))], BenchData.Conv(1, "SAME"));
        h = o.Add("Relu", [o.Add("BiasAdd", [h, o.Feed("c2", Tensor.Create(c2, 64))])]);
        h = o.Add("MaxPool", [h], BenchData.Pool(2, 2, "SAME"));
        h = o.Reshape(h, B, 3136);
        h = o.Add("Relu", [o.Add("BiasAdd", [o.Add("MatMul", [h, o.Feed("w3", Tensor.Create(w3, 3136, 128))]), o.Feed("b3", Tensor.Create(b3, 128))])]);
        h = o.Add("BiasAdd", [o.Add("MatMul", [h, o.Feed("w4", Tensor.Create(w4, 128, 10))]), o.Feed("b4", Tensor.Create(b4, 10))]);
        _out = o.Add("Softmax", [h]);
        _ours = o;

        var q = new KernelChain();
        int g = q.Add("_FusedConv2D", [q.Feed("x", Tensor.Create(x, B, 28, 28, 1)), q.Feed("f1", Tensor.Create(f1, 5, 5, 1, 32)), q.Feed("c1", Tensor.Create(c1, 32))], BenchData.FusedConv("Relu"));
        g = q.Add("MaxPool", [g], BenchData.Pool(2, 2, "SAME"));
        g = q.Add("_FusedConv2D", [g, q.Feed("f2", Tensor.Create(f2, 5, 5, 32, 64)), q.Feed("c2", Tensor.Create(c2, 64))], BenchData.FusedConv("Relu"));
        g = q.Add("MaxPool", [g], BenchData.Pool(2, 2, "SAME"));
        g = q.Reshape(g, B, 3136);
        g = q.Add("_FusedMatMul", [g, q.Feed("w3", Tensor.Create(w3, 3136, 128)), q.Feed("b3", Tensor.Create(b3, 128))], BenchData.Fused("BiasAdd", "Relu"));
        g = q.Add("_FusedMatMul", [g, q.Feed("w4", Tensor.Create(w4, 128, 10)), q.Feed("b4", Tensor.Create(b4, 10))], BenchData.Fused("BiasAdd"));
        _fusedOut = q.Add("Softmax", [g]);
        _fused = q;

        var sg = new SessionGraph();
        string sx = sg.Placeholder("x", Protos.DataType.DtFloat);
        string s1 = sg.Op("Relu", [sg.Op("BiasAdd", [sg.Op("Conv2D", [sx, sg.Const(Tensor.Create(f1, 5, 5, 1, 32))], BenchData.Conv(1, "SAME")), sg.Const(Tensor.Create(c1, 32))])]);
        s1 = sg.Op("MaxPool", [s1], BenchData.Pool(2, 2, "SAME"));
        s1 = sg.Op("Relu", [sg.Op("BiasAdd", [sg.Op("Conv2D", [s1, sg.Const(Tensor.Create(f2, 5, 5, 32, 64))], BenchData.Conv(1, "SAME")), sg.Const(Tensor.Create(c2, 64))])]);
        s1 = sg.Op("MaxPool", [s1], BenchData.Pool(2, 2, "SAME"));
        s1 = sg.Op("Reshape", [s1, sg.Const(Tensor.Create(new[] { B, 3136 }, 2))], d => d.Attr["Tshape"] = new Protos.AttrValue { Type = Protos.DataType.DtInt32 });
        s1 = sg.Op("Relu", [sg.Op("BiasAdd", [sg.Op("MatMul", [s1, sg.Const(Tensor.Create(w3, 3136, 128))]), sg.Const(Tensor.Create(b3, 128))])]);
        s1 = sg.Op("Softmax", [sg.Op("BiasAdd", [sg.Op("MatMul", [s1, sg.Const(Tensor.Create(w4, 128, 10))]), sg.Const(Tensor.Create(b4, 10))])]);
        sg.Prepare(sx, s1, Tensor.Create(x, B, 28, 28, 1));
        _session = sg;

        // Our flatten index is (h·7 + w)·64 + c; ORT's NCHW flatten is c·49 + h·7 + w.
        var w3Ort = new float[w3.Length];
        for (int c = 0; c < 64; c++)
            for (int p = 0; p < 49; p++)
                Array.Copy(w3, (p * 64 + c) * 128, w3Ort, (c * 49 + p) * 128, 128);
        var model = new OnnxModel().Input("x", B, 1, 28, 28).Output("y", B, 10)
            .Initializer("f1", BenchData.FilterToOihw(f1, 5, 5, 1, 32), 32, 1, 5, 5).Initializer("c1", c1, 32)
            .Initializer("f2", BenchData.FilterToOihw(f2, 5, 5, 32, 64), 64, 32, 5, 5).Initializer("c2", c2, 64)
            .Initializer("w3", w3Ort, 3136, 128).Initializer("b3", b3, 128).Initializer("w4", w4, 128, 10).Initializer("b4", b4, 10)
            .Int64Initializer("flat", [B, 3136])
            .Node("Conv", ["x", "f1", "c1"], ["h1"], ("kernel_shape", new long[] { 5, 5 }), ("auto_pad", "SAME_UPPER"))
            .Node("Relu", ["h1"], ["h2"])
            .Node("MaxPool", ["h2"], ["h3"], ("kernel_shape", new long[] { 2, 2 }), ("strides", new long[] { 2, 2 }))
            .Node("Conv", ["h3", "f2", "c2"], ["h4"], ("kernel_shape", new long[] { 5, 5 }), ("auto_pad", "SAME_UPPER"))
            .Node("Relu", ["h4"], ["h5"])
            .Node("MaxPool", ["h5"], ["h6"], ("kernel_shape", new long[] { 2, 2 }), ("strides", new long[] { 2, 2 }))
            .Node("Reshape", ["h6", "flat"], ["h7"])
            .Node("MatMul", ["h7", "w3"], ["h8"]).Node("Add", ["h8", "b3"], ["h9"]).Node("Relu", ["h9"], ["h10"])
            .Node("MatMul", ["h10", "w4"], ["h11"]).Node("Add", ["h11", "b4"], ["h12"]).Node("Softmax", ["h12"], ["y"], ("axis", -1))
            .ToBytes();
        _ortOut = new float[B * 10];
        _ort = new OrtRunner(model, [("x", x, [B, 1, 28, 28])], [("y", _ortOut, [B, 10])]);
        Ours();
        Ort();
        BenchData.CheckClose("CNN", _ours.Value(_out).AsSpan<float>(), _ortOut);
        OursFused();
        BenchData.CheckClose("CNN fused", _fused.Value(_fusedOut).AsSpan<float>(), _ortOut);
        BenchData.CheckClose("CNN session", _session.Run().AsSpan<float>(), _ortOut);
        BenchData.CheckClose("CNN session unfused", _session.RunUnfused().AsSpan<float>(), _ortOut);
    }

    /// <summary>The unfused TF graph through <see cref="Session"/> (Const weights, prepared run; the plan fuses MatMul+BiasAdd+Relu).</summary>
    [Benchmark] public Tensor OursSession() => _session.Run();

    /// <summary>As <see cref="OursSession"/> with plan-time fusion off.</summary>
    [Benchmark] public Tensor OursSessionUnfused() => _session.RunUnfused();

    [Benchmark(Baseline = true)] public void Ort() => _ort.Run();

    [Benchmark] public void Ours() => _ours.Run();

    /// <summary>The same graph with Conv2D/MatMul+BiasAdd+Relu as TF's grappler-fused ops.</summary>
    [Benchmark] public void OursFused() => _fused.Run();

    /// <summary>Per-step medians of the fused chain.</summary>
    public IReadOnlyList<(string Step, double Ms)> ProfileFused(int runs) => _fused.Profile(runs);

    [GlobalCleanup]
    public void Cleanup()
    {
        _ort.Dispose();
        _session.Dispose();
    }

    /// <summary>Per-step medians of our chain (for the performance notes).</summary>
    public IReadOnlyList<(string Step, double Ms)> Profile(int runs) => _ours.Profile(runs);
}
