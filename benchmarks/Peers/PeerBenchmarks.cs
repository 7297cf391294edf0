using BenchmarkDotNet.Attributes;
using TypedGraph.Benchmarks.Kernels;

namespace TypedGraph.Benchmarks.Peers;

/// <summary>GEMM: MatMul of two fed matrices (both engines pack B on every call).</summary>
public class GemmBench
{
    private KernelChain _ours = null!;
    private OrtRunner _ort = null!;
    private float[] _ortOut = null!;
    private int _out;

    /// <summary>m×k·k×n.</summary>
    [Params("1024x1024x1024", "64x784x128")]
    public string Shape { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var d = Shape.Split('x').Select(int.Parse).ToArray();
        int m = d[0], k = d[1], n = d[2];
        var a = BenchData.Random(1, (long)m * k);
        var b = BenchData.Random(2, (long)k * n);
        _ours = new KernelChain();
        int sa = _ours.Feed("a", Tensor.Create(a, m, k));
        int sb = _ours.Feed("b", Tensor.Create(b, k, n));
        _out = _ours.Add("MatMul", [sa, sb]);
        var model = new OnnxModel().Input("a", m, k).Input("b", k, n).Output("c", m, n).Node("MatMul", ["a", "b"], ["c"]).ToBytes();
        _ortOut = new float[m * n];
        _ort = new OrtRunner(model, [("a", a, [m, k]), ("b", b, [k, n])], [("c", _ortOut, [m, n])]);
        Ours();
        Ort();
        BenchData.CheckClose("GEMM " + Shape, _ours.Value(_out).AsSpan<float>(), _ortOut);
    }

    [Benchmark(Baseline = true)] public void Ort() => _ort.Run();

    [Benchmark] public void Ours() => _ours.Run();

    [GlobalCleanup] public void Cleanup() => _ort.Dispose();
}

/// <summary>Conv2D SAME, no bias: NHWC for us, NCHW for ORT (input transposed outside the timing).</summary>
public class ConvBench
{
    private KernelChain _ours = null!;
    private OrtRunner _ort = null!;
    private float[] _ortOut = null!;
    private int _out;

    /// <summary>n×h×w×c → oc with a k×k filter.</summary>
    [Params("1x224x224x3-64-3", "32x28x28x1-32-5")]
    public string Case { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var p = Case.Split('-');
        var d = p[0].Split('x').Select(int.Parse).ToArray();
        int n = d[0], h = d[1], w = d[2], c = d[3], oc = int.Parse(p[1]), k = int.Parse(p[2]);
        var x = BenchData.Random(3, (long)n * h * w * c);
        var f = BenchData.Random(4, k * k * c * oc, 0.2f);
        _ours = new KernelChain();
        _out = _ours.Add("Conv2D", [_ours.Feed("x", Tensor.Create(x, n, h, w, c)), _ours.Feed("f", Tensor.Create(f, k, k, c, oc))], BenchData.Conv(1, "SAME"));
        var model = new OnnxModel().Input("x", n, c, h, w).Output("y", n, oc, h, w)
            .Initializer("w", BenchData.FilterToOihw(f, k, k, c, oc), oc, c, k, k)
            .Node("Conv", ["x", "w"], ["y"], ("kernel_shape", new long[] { k, k }), ("auto_pad", "SAME_UPPER"))
            .ToBytes();
        _ortOut = new float[n * oc * h * w];
        _ort = new OrtRunner(model, [("x", BenchData.ToNchw(x, n, h, w, c), [n, c, h, w])], [("y", _ortOut, [n, oc, h, w])]);
        Ours();
        Ort();
        BenchData.CheckClose("Conv " + Case, BenchData.ToNchw(_ours.Value(_out).ToArray<float>(), n, h, w, oc), _ortOut);
    }

    [Benchmark(Baseline = true)] public void Ort() => _ort.Run();

    [Benchmark] public void Ours() => _ours.Run();

    [GlobalCleanup] public void Cleanup() => _ort.Dispose();
}

/// <summary>MaxPool 2×2 stride 2 on 64×28×28×32.</summary>
public class MaxPoolBench
{
    private const int N = 64, H = 28, W = 28, C = 32;
    private KernelChain _ours = null!;
    private OrtRunner _ort = null!;
    private float[] _ortOut = null!;
    private int _out;

    [GlobalSetup]
    public void Setup()
    {
        var x = BenchData.Random(5, N * H * W * C);
        _ours = new KernelChain();
        _out = _ours.Add("MaxPool", [_ours.Feed("x", Tensor.Create(x, N, H, W, C))], BenchData.Pool(2, 2, "VALID"));
        var model = new OnnxModel().Input("x", N, C, H, W).Output("y", N, C, H / 2, W / 2)
            .Node("MaxPool", ["x"], ["y"], ("kernel_shape", new long[] { 2, 2 }), ("strides", new long[] { 2, 2 })).ToBytes();
        _ortOut = new float[N * C * (H / 2) * (W / 2)];
        _ort = new OrtRunner(model, [("x", BenchData.ToNchw(x, N, H, W, C), [N, C, H, W])], [("y", _ortOut, [N, C, H / 2, W / 2])]);
        Ours();
        Ort();
        BenchData.CheckClose("MaxPool", BenchData.ToNchw(_ours.Value(_out).ToArray<float>(), N, H / 2, W / 2, C), _ortOut);
    }

    [Benchmark(Baseline = true)] public void Ort() => _ort.Run();

    [Benchmark] public void Ours() => _ours.Run();

    [GlobalCleanup] public void Cleanup() => _ort.Dispose();
}
