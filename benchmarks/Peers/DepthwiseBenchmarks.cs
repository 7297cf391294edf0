using BenchmarkDotNet.Attributes;
using TypedGraph.Benchmarks.Kernels;

namespace TypedGraph.Benchmarks.Peers;

/// <summary>
/// DepthwiseConv2dNative 3×3 SAME, multiplier 1 (MobileNet's layers): NHWC for us; for ORT a grouped Conv
/// (group = channels) on NCHW input transposed outside the timing.
/// </summary>
public class DepthwiseBench
{
    private KernelChain _ours = null!;
    private OrtRunner _ort = null!;
    private float[] _ortOut = null!;
    private int _out;

    /// <summary>n×h×w×c, stride.</summary>
    [Params("1x112x112x32-1", "1x56x56x128-2", "8x14x14x512-1")]
    public string Case { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var p = Case.Split('-');
        var d = p[0].Split('x').Select(int.Parse).ToArray();
        int n = d[0], h = d[1], w = d[2], c = d[3], s = int.Parse(p[1]), k = 3;
        int oh = (h + s - 1) / s, ow = (w + s - 1) / s;
        var x = BenchData.Random(5, (long)n * h * w * c);
        var f = BenchData.Random(6, k * k * c, 0.3f);
        _ours = new KernelChain();
        _out = _ours.Add("DepthwiseConv2dNative", [_ours.Feed("x", Tensor.Create(x, n, h, w, c)), _ours.Feed("f", Tensor.Create(f, k, k, c, 1))], BenchData.Conv(s, "SAME"));
        // A [k,k,C,1] depthwise filter read as [k,k,1,C] is exactly ONNX's grouped [C,1,k,k] weight after the OIHW transpose.
        var model = new OnnxModel().Input("x", n, c, h, w).Output("y", n, c, oh, ow)
            .Initializer("w", BenchData.FilterToOihw(f, k, k, 1, c), c, 1, k, k)
            .Node("Conv", ["x", "w"], ["y"], ("kernel_shape", new long[] { k, k }), ("strides", new long[] { s, s }), ("group", (long)c), ("auto_pad", "SAME_UPPER"))
            .ToBytes();
        _ortOut = new float[n * c * oh * ow];
        _ort = new OrtRunner(model, [("x", BenchData.ToNchw(x, n, h, w, c), [n, c, h, w])], [("y", _ortOut, [n, c, oh, ow])]);
        Ours();
        Ort();
        BenchData.CheckClose("Depthwise " + Case, BenchData.ToNchw(_ours.Value(_out).ToArray<float>(), n, oh, ow, c), _ortOut);
    }

    [Benchmark(Baseline = true)] public void Ort() => _ort.Run();

    [Benchmark] public void Ours() => _ours.Run();

    [GlobalCleanup] public void Cleanup() => _ort.Dispose();
}
