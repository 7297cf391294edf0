using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using TypedGraph.Benchmarks;

// `ceiling` prints this machine's FMA and copy ceilings; anything else goes to BenchmarkDotNet.
// BENCH_ITERATIONS (default 25) sets the measured iterations: keep it small while developing.
if (args.Length > 0 && args[0] == "ceiling")
{
    Ceiling.Print();
    return;
}
if (args.Length > 0 && args[0] == "conv-parts")
{
    // im2col vs GEMM for the 32×28×28×1 → 32, 5×5 SAME conv, single thread (median of 50).
    var g = TypedGraph.Kernels.NN.Window2D.Create(32, 28, 28, 1, 5, 5, 1, 1, 1, 1, TypedGraph.Kernels.Common.PaddingKind.Same, default);
    int rows = 32 * 28 * 28, depth = 25;
    var x = TypedGraph.Benchmarks.Peers.BenchData.Random(1, rows);
    var f = TypedGraph.Benchmarks.Peers.BenchData.Random(2, depth * 32);
    var cols = new float[rows * depth];
    var y = new float[rows * 32];
    double im2col = Ceiling.Median(() => TypedGraph.Kernels.NN.Conv2DKernel.Im2Col(g, x, 0, rows, cols), 50);
    double gemm = Ceiling.Median(() => TypedGraph.Kernels.Simd.Gemm.SgemmSerial(false, false, rows, 32, depth, cols, f, y), 50);
    Console.WriteLine($"im2col {im2col * 1e3:F3} ms, gemm {gemm * 1e3:F3} ms ({2.0 * rows * depth * 32 / gemm / 1e9:F1} GFLOP/s)");
    // The CNN's second conv as one 256-row im2col block: A packed vs read in place.
    int m2 = 256, k2 = 800, n2 = 64;
    var a2 = TypedGraph.Benchmarks.Peers.BenchData.Random(3, m2 * k2);
    var b2 = TypedGraph.Benchmarks.Peers.BenchData.Random(4, k2 * n2);
    var c2 = new float[m2 * n2];
    using var pb2 = TypedGraph.Kernels.Simd.Gemm.PackB(false, k2, n2, b2);
    double packedA = Ceiling.Median(() => TypedGraph.Kernels.Simd.Gemm.SgemmPackedSerial(false, m2, n2, k2, a2, b2, pb2, c2), 200);
    double directA = Ceiling.Median(() => TypedGraph.Kernels.Simd.Gemm.SgemmPackedSerial(false, m2, n2, k2, a2, b2, pb2, c2, directA: true), 200);
    Console.WriteLine($"256x800x64: A packed {2.0 * m2 * k2 * n2 / packedA / 1e9:F1} GFLOP/s, A in place {2.0 * m2 * k2 * n2 / directA / 1e9:F1} GFLOP/s");
    return;
}
if (args.Length > 0 && args[0] == "conv-paths")
{
    // Direct (C <= 4) or implicit GEMM (C > 4) vs im2col + GEMM on the same shapes, interleaved (median of 50 each): the data behind DirectConv2D.IsPreferred.
    foreach (var (n, h, w, c, k, oc) in new[] { (32, 28, 28, 1, 5, 32), (1, 224, 224, 3, 3, 64), (32, 28, 28, 1, 3, 32), (8, 56, 56, 3, 7, 64), (32, 14, 14, 4, 3, 16), (64, 14, 14, 32, 5, 64), (8, 28, 28, 64, 3, 128) })
    {
        var g = TypedGraph.Kernels.NN.Window2D.Create(n, h, w, c, k, k, 1, 1, 1, 1, TypedGraph.Kernels.Common.PaddingKind.Same, default);
        var x = TypedGraph.Benchmarks.Peers.BenchData.Random(1, n * h * w * c);
        var f = TypedGraph.Benchmarks.Peers.BenchData.Random(2, k * k * c * oc);
        var y = new float[n * g.OH * g.OW * oc];
        double direct = 0, im2col = 0;
        for (int rep = 0; rep < 5; rep++)
        {
            direct += Ceiling.Median(() => { if (c <= 4) TypedGraph.Kernels.NN.DirectConv2D.Run(g, oc, x, f, y, null, null); else TypedGraph.Kernels.NN.ImplicitGemmConv2D.Run(g, oc, x, f, y, null, null); }, 10);
            im2col += Ceiling.Median(() => TypedGraph.Kernels.NN.Conv2DKernel.RunIm2Col(g, oc, x, f, y), 10);
        }
        double flops = 2.0 * n * g.OH * g.OW * oc * k * k * c;
        Console.WriteLine($"{n}x{h}x{w}x{c} -> {oc} {k}x{k}: direct {direct / 5 * 1e6:F0} us ({flops / (direct / 5) / 1e9:F1} GFLOP/s), im2col {im2col / 5 * 1e6:F0} us ({flops / (im2col / 5) / 1e9:F1} GFLOP/s)");
    }
    return;
}
if (args.Length > 0 && args[0] == "conv1")
{
    // The direct (few-input-channel) conv before and after session 9's 14-pixel tiles, interleaved: per shape 7 rounds of
    // (median of 20 wall times, then process CPU time over 20 calls) for each side; reports the median of the rounds'
    // wall medians and of their CPU times per call (both cores summed; steadier than wall time on a loaded machine), and
    // the largest difference between the two outputs. "+bias+relu": the _FusedConv2D epilogue (the TF MNIST CNN's first conv).
    // `conv1 1`: serial, through Workers' inline path for one chunk (start the process with DOTNET_PROCESSOR_COUNT=1).
    var self = System.Diagnostics.Process.GetCurrentProcess();
    static double Cpu(System.Diagnostics.Process p, Action a) { p.Refresh(); var t0 = p.TotalProcessorTime; for (int i = 0; i < 20; i++) a(); p.Refresh(); return (p.TotalProcessorTime - t0).TotalSeconds / 20; }
    static double Mid(List<double> v) { v.Sort(); return v[v.Count / 2]; }
    foreach (var (n, h, w, c, k, oc, s, fused) in new[] { (32, 28, 28, 1, 5, 32, 1, false), (64, 28, 28, 1, 5, 32, 1, true), (32, 28, 28, 1, 3, 32, 1, false),
                 (1, 224, 224, 3, 3, 64, 1, false), (8, 56, 56, 3, 7, 64, 2, false), (32, 14, 14, 4, 3, 16, 1, false), (16, 33, 33, 1, 5, 48, 2, true) })
    {
        var g = TypedGraph.Kernels.NN.Window2D.Create(n, h, w, c, k, k, s, s, 1, 1, TypedGraph.Kernels.Common.PaddingKind.Same, default);
        var x = TypedGraph.Benchmarks.Peers.BenchData.Random(1, n * h * w * c);
        var f = TypedGraph.Benchmarks.Peers.BenchData.Random(2, k * k * c * oc, 0.2f);
        var bias = TypedGraph.Tensor.Create(TypedGraph.Benchmarks.Peers.BenchData.Random(3, oc), oc);
        var epi = fused ? TypedGraph.Kernels.Common.Epilogue.Parse(["BiasAdd", "Relu"], 1, 0.2f, null!) : null;
        var yOld = new float[n * g.OH * g.OW * oc];
        var yNew = new float[yOld.Length];
        Action runOld = () => TypedGraph.Benchmarks.Kernels.DirectConv2DBefore.Run(g, oc, x, f, yOld, epi, fused ? bias : null);
        Action runNew = () => TypedGraph.Kernels.NN.DirectConv2D.Run(g, oc, x, f, yNew, epi, fused ? bias : null);
        var wallOld = new List<double>(); var wallNew = new List<double>(); var cpuOld = new List<double>(); var cpuNew = new List<double>();
        for (int rep = 0; rep < 7; rep++)
        {
            wallOld.Add(Ceiling.Median(runOld, 20));
            wallNew.Add(Ceiling.Median(runNew, 20));
            cpuOld.Add(Cpu(self, runOld));
            cpuNew.Add(Cpu(self, runNew));
        }
        float diff = 0;
        for (int i = 0; i < yOld.Length; i++) diff = Math.Max(diff, Math.Abs(yOld[i] - yNew[i]));
        // The zero-bordered input copy both kernels start with (serial unless it is large).
        double pad = Ceiling.Median(() => { var gp = g; var a = TypedGraph.Kernels.NN.PaddedInput.Rent(ref gp, x); if (a != null) System.Buffers.ArrayPool<float>.Shared.Return(a); }, 50);
        double flops = 2.0 * n * g.OH * g.OW * oc * k * k * c;
        double wo = Mid(wallOld), wn = Mid(wallNew), co = Mid(cpuOld), cn = Mid(cpuNew);
        Console.WriteLine($"{n}x{h}x{w}x{c} -> {oc} {k}x{k} s{s}{(fused ? " +bias+relu" : "")}: wall before {wo * 1e6:F0} us ({flops / wo / 1e9:F0} GFLOP/s), after {wn * 1e6:F0} us ({flops / wn / 1e9:F0} GFLOP/s), " +
            $"after/before {wn / wo:F2}; cpu before {co * 1e6:F0} us, after {cn * 1e6:F0} us, after/before {cn / co:F2}; pad copy {pad * 1e6:F1} us; max |diff| {diff:G3}");
    }
    return;
}
if (args.Length > 0 && args[0] == "winograd")
{
    // Winograd F(4x4,3x3) vs the implicit-GEMM (or im2col) path on 3x3 stride-1 SAME shapes, interleaved (median of 10,
    // 5 rounds each), with the cost rule's estimate: the data behind WinogradConv2D.IsPreferred.
    foreach (var (n, h, w, c, oc) in new[] { (1, 56, 56, 64, 64), (1, 28, 28, 128, 128), (1, 14, 14, 256, 256), (1, 7, 7, 512, 512),
                 (8, 14, 14, 32, 32), (64, 14, 14, 32, 64), (8, 28, 28, 16, 32), (1, 112, 112, 32, 32), (4, 9, 11, 16, 64), (2, 14, 14, 64, 64) })
    {
        var g = TypedGraph.Kernels.NN.Window2D.Create(n, h, w, c, 3, 3, 1, 1, 1, 1, TypedGraph.Kernels.Common.PaddingKind.Same, default);
        var x = TypedGraph.Benchmarks.Peers.BenchData.Random(1, n * h * w * c);
        var f = TypedGraph.Benchmarks.Peers.BenchData.Random(2, 9 * c * oc);
        var y = new float[n * g.OH * g.OW * oc];
        double wino = 0, other = 0, winoCpu = 0, otherCpu = 0;
        var self = System.Diagnostics.Process.GetCurrentProcess();
        Action runW = () => TypedGraph.Kernels.NN.WinogradConv2D.Run(g, oc, x, f, y, null, null);
        Action runO = () => { if (oc % 32 == 0) TypedGraph.Kernels.NN.ImplicitGemmConv2D.Run(g, oc, x, f, y, null, null); else TypedGraph.Kernels.NN.Conv2DKernel.RunIm2Col(g, oc, x, f, y); };
        // Also the process CPU time per call (both cores summed): less sensitive than wall time to a loaded machine.
        static double Cpu(System.Diagnostics.Process p, Action a) { p.Refresh(); var t0 = p.TotalProcessorTime; for (int i = 0; i < 10; i++) a(); p.Refresh(); return (p.TotalProcessorTime - t0).TotalSeconds / 10; }
        for (int rep = 0; rep < 5; rep++)
        {
            wino += Ceiling.Median(runW, 10);
            other += Ceiling.Median(runO, 10);
            winoCpu += Cpu(self, runW);
            otherCpu += Cpu(self, runO);
        }
        Console.WriteLine($"  cpu time per call: winograd {winoCpu / 5 * 1e6:F0} us, other {otherCpu / 5 * 1e6:F0} us, ratio {winoCpu / otherCpu:F2}");
        double flops = 2.0 * n * g.OH * g.OW * oc * 9 * c;
        Console.WriteLine($"{n}x{h}x{w}x{c} -> {oc}: winograd {wino / 5 * 1e6:F0} us ({flops / (wino / 5) / 1e9:F0} eff. GFLOP/s), {(oc % 32 == 0 ? "implicit" : "im2col")} {other / 5 * 1e6:F0} us ({flops / (other / 5) / 1e9:F0} GFLOP/s); " +
            $"measured ratio {wino / other:F2}, rule's estimate {TypedGraph.Kernels.NN.WinogradConv2D.Cost(g, oc) / TypedGraph.Kernels.NN.WinogradConv2D.DirectCost(g, oc):F2}, chosen: {TypedGraph.Kernels.NN.WinogradConv2D.IsPreferred(g, oc)}");
    }
    return;
}
if (args.Length > 0 && args[0] == "winograd-kept")
{
    // Winograd with the filter transformed per call vs kept (a Const/variable filter, WinogradConv2D.TransformFilter) vs
    // the implicit GEMM, interleaved rounds (median of 10, 5 rounds): the data behind the rule's filterCached variant.
    foreach (var (n, h, w, c, oc) in new[] { (1, 56, 56, 64, 64), (1, 24, 24, 64, 64), (1, 28, 28, 128, 128), (1, 112, 112, 32, 32), (64, 14, 14, 32, 64), (1, 14, 14, 256, 256) })
    {
        var g = TypedGraph.Kernels.NN.Window2D.Create(n, h, w, c, 3, 3, 1, 1, 1, 1, TypedGraph.Kernels.Common.PaddingKind.Same, default);
        var x = TypedGraph.Benchmarks.Peers.BenchData.Random(1, n * h * w * c);
        var f = TypedGraph.Benchmarks.Peers.BenchData.Random(2, 9 * c * oc);
        var y = new float[n * g.OH * g.OW * oc];
        var kept = TypedGraph.Kernels.NN.WinogradConv2D.TransformFilter(f, 3, c, oc);
        double perCall = 0, keptT = 0, implicitT = 0;
        for (int rep = 0; rep < 5; rep++)
        {
            perCall += Ceiling.Median(() => TypedGraph.Kernels.NN.WinogradConv2D.Run(g, oc, x, f, y, null, null), 10);
            keptT += Ceiling.Median(() => TypedGraph.Kernels.NN.WinogradConv2D.Run(g, oc, x, f, y, null, null, kept), 10);
            implicitT += Ceiling.Median(() => TypedGraph.Kernels.NN.ImplicitGemmConv2D.Run(g, oc, x, f, y, null, null), 10);
        }
        var W = TypedGraph.Kernels.NN.WinogradConv2D.Cost(g, oc, filterCached: true) / TypedGraph.Kernels.NN.WinogradConv2D.DirectCost(g, oc);
        Console.WriteLine($"{n}x{h}x{w}x{c} -> {oc}: winograd per call {perCall / 5 * 1e6:F0} us, kept {keptT / 5 * 1e6:F0} us, implicit {implicitT / 5 * 1e6:F0} us; " +
            $"kept/implicit {keptT / implicitT:F2} (rule's estimate {W:F2}, chosen kept: {TypedGraph.Kernels.NN.WinogradConv2D.IsPreferred(g, oc, true)}), per call/implicit {perCall / implicitT:F2} (chosen: {TypedGraph.Kernels.NN.WinogradConv2D.IsPreferred(g, oc)})");
    }
    return;
}
if (args.Length > 0 && args[0] == "winograd5")
{
    // Winograd F(2x2,5x5) (filter transformed per call, and kept as for a Const/variable filter) vs the implicit-GEMM (or
    // im2col) path on 5x5 stride-1 SAME shapes, interleaved rounds (median of 10 wall times, 5 rounds) plus the process
    // CPU time per call (both cores summed; steadier than wall time on a loaded machine), with the cost rule's estimates:
    // the data behind WinogradConv2D.Threshold(5). The second shape is the TF MNIST net's second conv, the third its
    // input gradient (a 5x5 conv of dOut with the rotated filter, 64 -> 32 channels).
    var self = System.Diagnostics.Process.GetCurrentProcess();
    static double Cpu(System.Diagnostics.Process p, Action a) { p.Refresh(); var t0 = p.TotalProcessorTime; for (int i = 0; i < 10; i++) a(); p.Refresh(); return (p.TotalProcessorTime - t0).TotalSeconds / 10; }
    foreach (var (n, h, w, c, oc) in new[] { (1, 56, 56, 64, 64), (64, 14, 14, 32, 64), (64, 14, 14, 64, 32), (8, 28, 28, 32, 64), (1, 28, 28, 128, 128),
                 (16, 14, 14, 64, 64), (1, 14, 14, 256, 256), (4, 9, 11, 16, 64), (8, 14, 14, 16, 32), (1, 112, 112, 32, 32) })
    {
        var g = TypedGraph.Kernels.NN.Window2D.Create(n, h, w, c, 5, 5, 1, 1, 1, 1, TypedGraph.Kernels.Common.PaddingKind.Same, default);
        var x = TypedGraph.Benchmarks.Peers.BenchData.Random(1, n * h * w * c);
        var f = TypedGraph.Benchmarks.Peers.BenchData.Random(2, 25 * c * oc);
        var y = new float[n * g.OH * g.OW * oc];
        var kept = TypedGraph.Kernels.NN.WinogradConv2D.TransformFilter(f, 5, c, oc);
        Action[] runs =
        [
            () => TypedGraph.Kernels.NN.WinogradConv2D.Run(g, oc, x, f, y, null, null),
            () => TypedGraph.Kernels.NN.WinogradConv2D.Run(g, oc, x, f, y, null, null, kept),
            () => { if (oc % 32 == 0) TypedGraph.Kernels.NN.ImplicitGemmConv2D.Run(g, oc, x, f, y, null, null); else TypedGraph.Kernels.NN.Conv2DKernel.RunIm2Col(g, oc, x, f, y); },
        ];
        var wall = new double[3];
        var cpu = new double[3];
        for (int rep = 0; rep < 5; rep++)
            for (int i = 0; i < 3; i++)
            {
                wall[i] += Ceiling.Median(runs[i], 10) / 5;
                cpu[i] += Cpu(self, runs[i]) / 5;
            }
        double direct = TypedGraph.Kernels.NN.WinogradConv2D.DirectCost(g, oc);
        Console.WriteLine($"{n}x{h}x{w}x{c} -> {oc}: wall per call / kept / {(oc % 32 == 0 ? "implicit" : "im2col")} {wall[0] * 1e6:F0} / {wall[1] * 1e6:F0} / {wall[2] * 1e6:F0} us, " +
            $"cpu {cpu[0] * 1e6:F0} / {cpu[1] * 1e6:F0} / {cpu[2] * 1e6:F0} us; cpu ratio per call {cpu[0] / cpu[2]:F2} (estimate {TypedGraph.Kernels.NN.WinogradConv2D.Cost(g, oc) / direct:F2}, " +
            $"chosen {TypedGraph.Kernels.NN.WinogradConv2D.IsPreferred(g, oc)}), kept {cpu[1] / cpu[2]:F2} (estimate {TypedGraph.Kernels.NN.WinogradConv2D.Cost(g, oc, true) / direct:F2}, chosen {TypedGraph.Kernels.NN.WinogradConv2D.IsPreferred(g, oc, true)})");
    }
    return;
}
if (args.Length > 0 && args[0] == "backprop-ab")
{
    // Conv2DBackpropFilter (TrainingBenchmarks' layer) with its im2col on every core vs on the calling thread, interleaved
    // rounds: median of each.
    var training = new TypedGraph.Benchmarks.Training.TrainingBenchmarks();
    training.Setup();
    var on = new List<double>();
    var off = new List<double>();
    for (int round = 0; round < 20; round++)
    {
        TypedGraph.Kernels.Training.ConvBackpropKernels.ParallelIm2Col = true;
        on.Add(Ceiling.Median(() => training.Conv2DBackpropFilter(), 5));
        TypedGraph.Kernels.Training.ConvBackpropKernels.ParallelIm2Col = false;
        off.Add(Ceiling.Median(() => training.Conv2DBackpropFilter(), 5));
    }
    TypedGraph.Kernels.Training.ConvBackpropKernels.ParallelIm2Col = true;
    on.Sort();
    off.Sort();
    Console.WriteLine($"Conv2DBackpropFilter: im2col on every core {on[10] * 1e3:F2} ms, on the calling thread {off[10] * 1e3:F2} ms, ratio {on[10] / off[10]:F2}");
    training.Cleanup();
    return;
}
if (args.Length > 0 && args[0] == "profile")
{
    // Where our CNN's time goes, step by step (median of 30 runs).
    var cnn = new TypedGraph.Benchmarks.Peers.CnnBench();
    cnn.Setup();
    foreach (var (step, ms) in cnn.Profile(30)) Console.WriteLine($"{step,-24} {ms,8:F3} ms");
    Console.WriteLine("fused:");
    foreach (var (step, ms) in cnn.ProfileFused(30)) Console.WriteLine($"{step,-24} {ms,8:F3} ms");
    cnn.Cleanup();
    return;
}
if (args.Length > 0 && args[0] == "mlp-chain-ab")
{
    foreach (int batch in new[] { 64, 1 })
        TypedGraph.Benchmarks.Peers.MlpStepsProbe.ChainAB(batch, args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 30);
    return;
}
if (args.Length > 0 && args[0] == "mlp-steps")
{
    int batch = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 64;
    int rounds = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 20;
    TypedGraph.Benchmarks.Peers.MlpStepsProbe.Run(batch, rounds);
    return;
}
if (args.Length > 0 && args[0] == "mlp-parts")
{
    // The MLP at batch 1 and 64: Session vs ORT interleaved (median of 2000 each, 5 rounds), then our chain per step.
    foreach (int batch in new[] { 1, 64 })
    {
        var mlp = new TypedGraph.Benchmarks.Peers.MlpBench { Batch = batch };
        mlp.Setup();
        double ours = 0, ort = 0;
        for (int rep = 0; rep < 5; rep++)
        {
            ours += Ceiling.Median(() => mlp.OursSession(), 2000);
            ort += Ceiling.Median(() => mlp.Ort(), 2000);
        }
        Console.WriteLine($"MLP batch {batch}: session {ours / 5 * 1e6:F2} us, ORT {ort / 5 * 1e6:F2} us, ratio {ours / ort:F2}");
        foreach (var (step, ms) in mlp.Profile(2000)) Console.WriteLine($"  {step,-24} {ms * 1e3,8:F2} us");
        mlp.Cleanup();
    }
    return;
}
if (args.Length > 0 && args[0] is "gemm-small" or "gemm-mid")
{
    // One thread, median of 5000 per shape. gemm-small: short A (a dense layer at batch 1–4), with the rate B is read at.
    // gemm-mid: batch-sized products (16–64 rows) — the per-core half of a row split and the whole product, to separate
    // kernel efficiency from the fork/join of the parallel call.
    bool small = args[0] == "gemm-small";
    var shapes = small
        ? new[] { (1, 784, 128), (1, 128, 10), (4, 784, 128), (1, 1024, 1024), (1, 256, 64) }
        : new[] { (32, 784, 128), (64, 784, 128), (64, 128, 10), (16, 784, 128) };
    foreach (var (m, k, n) in shapes)
    {
        var a = TypedGraph.Benchmarks.Peers.BenchData.Random(1, m * k);
        var b = TypedGraph.Benchmarks.Peers.BenchData.Random(2, k * n);
        var c = new float[m * n];
        double t = Ceiling.Median(() => TypedGraph.Kernels.Simd.Gemm.SgemmSerial(false, false, m, n, k, a, b, c), 5000);
        string bandwidth = small ? $", B read {4.0 * k * n / t / 1e9:F1} GB/s" : "";
        Console.WriteLine($"{m}x{k}x{n}: {t * 1e6:F2} us ({2.0 * m * k * n / t / 1e9:F1} GFLOP/s{bandwidth})");
    }
    return;
}
if (args.Length > 0 && args[0] == "gemm-prepacked")
{
    // Batch-sized products against a weight packed once (a Const/variable MatMul operand) vs the per-call path that
    // reads B in place, both on every core, interleaved rounds: median of each.
    foreach (var (m, k, n) in new[] { (64, 784, 128), (64, 3136, 128), (32, 784, 128), (16, 784, 128), (256, 1024, 1024) })
    {
        var a = TypedGraph.Benchmarks.Peers.BenchData.Random(1, m * k);
        var b = TypedGraph.Benchmarks.Peers.BenchData.Random(2, k * n);
        var c = new float[m * n];
        var packed = TypedGraph.Kernels.Simd.Gemm.PackBRetained(false, k, n, b);
        var plain = new List<double>();
        var pre = new List<double>();
        for (int round = 0; round < 20; round++)
        {
            plain.Add(Ceiling.Median(() => TypedGraph.Kernels.Simd.Gemm.Sgemm(false, false, m, n, k, a, b, c), 100));
            pre.Add(Ceiling.Median(() => TypedGraph.Kernels.Simd.Gemm.SgemmPrepacked(false, false, m, n, k, a, b, packed, c), 100));
        }
        plain.Sort();
        pre.Sort();
        double flops = 2.0 * m * k * n;
        Console.WriteLine($"{m}x{k}x{n}: in place {plain[10] * 1e6:F1} us ({flops / plain[10] / 1e9:F0} GFLOP/s), prepacked {pre[10] * 1e6:F1} us ({flops / pre[10] / 1e9:F0} GFLOP/s), ratio {pre[10] / plain[10]:F2}");
    }
    {
        // The CNN's second conv (64×14×14×32 → 64, 5×5 SAME) on the implicit GEMM: filter read in place vs its panels.
        var g = TypedGraph.Kernels.NN.Window2D.Create(64, 14, 14, 32, 5, 5, 1, 1, 1, 1, TypedGraph.Kernels.Common.PaddingKind.Same, default);
        var x = TypedGraph.Benchmarks.Peers.BenchData.Random(1, 64 * 14 * 14 * 32);
        var f = TypedGraph.Benchmarks.Peers.BenchData.Random(2, 800 * 64);
        var y = new float[64 * 14 * 14 * 64];
        var panels = TypedGraph.Kernels.NN.ImplicitGemmConv2D.PackFilter(f, 800, 64);
        var plain = new List<double>();
        var pre = new List<double>();
        for (int round = 0; round < 10; round++)
        {
            plain.Add(Ceiling.Median(() => TypedGraph.Kernels.NN.ImplicitGemmConv2D.Run(g, 64, x, f, y, null, null), 5));
            pre.Add(Ceiling.Median(() => TypedGraph.Kernels.NN.ImplicitGemmConv2D.Run(g, 64, x, f, y, null, null, panels), 5));
        }
        plain.Sort();
        pre.Sort();
        double flops = 2.0 * 64 * 196 * 64 * 800;
        Console.WriteLine($"conv 64x14x14x32->64 5x5: in place {plain[5] * 1e3:F2} ms ({flops / plain[5] / 1e9:F0} GFLOP/s), panels {pre[5] * 1e3:F2} ms ({flops / pre[5] / 1e9:F0} GFLOP/s), ratio {pre[5] / plain[5]:F2}");
    }
    return;
}
if (args.Length > 0 && args[0] == "gemm-nc")
{
    // A/B of the B-slab width on a parallel square product: interleaved rounds, best and median time per width.
    int size = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1024;
    var widths = args.Length > 2 ? args[2].Split(',').Select(w => int.Parse(w, System.Globalization.CultureInfo.InvariantCulture)).ToArray() : [2048, 1024, 512];
    var partsPerCore = args.Length > 3 ? args[3].Split(',').Select(w => int.Parse(w, System.Globalization.CultureInfo.InvariantCulture)).ToArray() : [4];
    var configs = widths.SelectMany(w => partsPerCore.Select(p => (w, p))).ToArray();
    var a = TypedGraph.Benchmarks.Peers.BenchData.Random(1, size * size);
    var b = TypedGraph.Benchmarks.Peers.BenchData.Random(2, size * size);
    var c = new float[size * size];
    double flops = 2.0 * size * size * size;
    double both = Ceiling.Best(() => Ceiling.FmaAllCores(), 3);
    Console.WriteLine($"ceiling all cores (best of 3) {2 * Ceiling.FmaFlops / both / 1e9:F1} GFLOP/s");
    var times = configs.ToDictionary(w => w, _ => new List<double>());
    for (int round = 0; round < 6; round++)
        foreach (var cfg in configs)
        {
            TypedGraph.Kernels.Simd.Gemm.NC = cfg.w;
            TypedGraph.Kernels.Simd.Gemm.RowPartsPerCore = cfg.p;
            for (int r = 0; r < 10; r++)
            {
                long s0 = System.Diagnostics.Stopwatch.GetTimestamp();
                TypedGraph.Kernels.Simd.Gemm.Sgemm(false, false, size, size, size, a, b, c);
                times[cfg].Add(System.Diagnostics.Stopwatch.GetElapsedTime(s0).TotalSeconds);
            }
        }
    foreach (var (nc, t) in times)
    {
        t.Sort();
        Console.WriteLine($"NC {nc.w}, row parts/core {nc.p}: best {flops / t[0] / 1e9:F1}, median {flops / t[t.Count / 2] / 1e9:F1} GFLOP/s");
    }
    return;
}
if (args.Length > 0 && args[0] == "gemm-par")
{
    // A batch-sized product on one thread, in parallel through the spinning helpers, and in parallel through the .NET
    // thread pool, interleaved rounds: best / median / p90 of each — how much of the two-core time is fork/join.
    int m = 64, k = 784, n = 128;
    if (args.Length > 1) { var d = args[1].Split('x'); m = int.Parse(d[0]); k = int.Parse(d[1]); n = int.Parse(d[2]); }
    // `gemm-par MxKxN [tb] [short]`: tb multiplies by Bᵀ (B stored N×K); short splits ≤ 4-row products at any size
    // (Gemm.ShortAParallelB = 0, to find where the split starts to pay).
    bool tb = args.Contains("tb");
    if (args.Contains("short")) TypedGraph.Kernels.Simd.Gemm.ShortAParallelB = 0;
    var a = TypedGraph.Benchmarks.Peers.BenchData.Random(1, m * k);
    var b = TypedGraph.Benchmarks.Peers.BenchData.Random(2, k * n);
    var c = new float[m * n];
    var runs = new (string Name, bool Parallel, bool Pool, List<double> T)[] { ("serial", false, false, []), ("helpers", true, false, []), ("thread pool", true, true, []) };
    for (int round = 0; round < 20; round++)
        foreach (var run in runs)
        {
            TypedGraph.Kernels.Common.Workers.UseThreadPool = run.Pool;
            for (int r = 0; r < 200; r++)
            {
                long s0 = System.Diagnostics.Stopwatch.GetTimestamp();
                if (run.Parallel) TypedGraph.Kernels.Simd.Gemm.Sgemm(false, tb, m, n, k, a, b, c);
                else TypedGraph.Kernels.Simd.Gemm.SgemmSerial(false, tb, m, n, k, a, b, c);
                run.T.Add(System.Diagnostics.Stopwatch.GetElapsedTime(s0).TotalMicroseconds);
            }
        }
    foreach (var run in runs)
    {
        run.T.Sort();
        Console.WriteLine($"{m}x{k}x{n} {run.Name}: best {run.T[0]:F1}, median {run.T[run.T.Count / 2]:F1}, p90 {run.T[run.T.Count * 9 / 10]:F1} us");
    }
    TypedGraph.Kernels.Common.Workers.UseThreadPool = false;
    return;
}
if (args.Length > 0 && args[0] == "gemm-big")
{
    // Large square GEMM: the FMA ceiling, the 8×32 micro-kernel alone on L1-resident panels, and 1024³ on one and on
    // every core (median of 20 each): where the gap to the ceiling is.
    double fma1 = Ceiling.Median(() => Ceiling.FmaLoop(), 3);
    Console.WriteLine($"ceiling one core {Ceiling.FmaFlops / fma1 / 1e9:F1} GFLOP/s");
    TypedGraph.Benchmarks.Kernels.GemmProbe.Print(Ceiling.Median);
    foreach (int size in new[] { 512, 1024 })
    {
        var a = TypedGraph.Benchmarks.Peers.BenchData.Random(1, size * size);
        var b = TypedGraph.Benchmarks.Peers.BenchData.Random(2, size * size);
        var c = new float[size * size];
        double flops = 2.0 * size * size * size;
        double serial = Ceiling.Median(() => TypedGraph.Kernels.Simd.Gemm.SgemmSerial(false, false, size, size, size, a, b, c), 20);
        // GEMM_SERIAL_ONLY: for a run pinned to one core (a parallel call would wait on a worker that cannot run).
        double par = Environment.GetEnvironmentVariable("GEMM_SERIAL_ONLY") == "1" ? double.NaN
            : Ceiling.Median(() => TypedGraph.Kernels.Simd.Gemm.Sgemm(false, false, size, size, size, a, b, c), 20);
        Console.WriteLine($"{size}^3: one core {flops / serial / 1e9:F1} GFLOP/s, all cores {flops / par / 1e9:F1} GFLOP/s");
    }
    return;
}
if (args.Length > 0 && args[0] == "fork")
{
    // Fork/join cost of one Workers.For with one chunk per core and an empty body, right after a call (workers hot)
    // and after 30 µs of single-thread work (the gap between two parallel ops of a run).
    static void Spin(double us) { long end = System.Diagnostics.Stopwatch.GetTimestamp() + (long)(us * System.Diagnostics.Stopwatch.Frequency / 1e6); while (System.Diagnostics.Stopwatch.GetTimestamp() < end) { } }
    var noop = static (int _, long s, long e) => { };
    foreach (double gap in new[] { 0.0, 5, 30, 200 })
    {
        var t = new double[3000];
        for (int i = 0; i < t.Length; i++)
        {
            Spin(gap);
            long s0 = System.Diagnostics.Stopwatch.GetTimestamp();
            TypedGraph.Kernels.Common.Workers.For(TypedGraph.Kernels.Common.Workers.Count, 1, 0, noop);
            t[i] = System.Diagnostics.Stopwatch.GetElapsedTime(s0).TotalMicroseconds;
        }
        Array.Sort(t);
        Console.WriteLine($"gap {gap,5} us: fork/join median {t[t.Length / 2]:F2} us, p90 {t[t.Length * 9 / 10]:F2} us");
    }
    return;
}
if (args.Length > 0 && args[0] == "serving")
{
    // HTTP :predict throughput and latency percentiles, with and without request batching (see Serving/HttpServingProbe).
    TypedGraph.Benchmarks.Serving.HttpServingProbe.Print(
        args.Length > 1 ? double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5,
        args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 16);
    return;
}
if (args.Length > 0 && args[0] == "train-profile")
{
    // One Adam step of mnist_fc2 (batch 64), time per op type: where the training step goes.
    var training = new TypedGraph.Benchmarks.Training.TrainingBenchmarks();
    training.Setup();
    // `train-profile [steps] [cnn]`: the TF-written LeNet's step instead of mnist_fc2's.
    training.PrintStepProfile(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 200, args.Length > 2 && args[2] == "cnn");
    training.Cleanup();
    return;
}
if (args.Length > 0 && args[0] == "train-ab")
{
    // mnist_fc2 Adam steps with in-place Apply vs copy-on-write, interleaved (ABBA blocks): wall, process CPU, bytes.
    var training = new TypedGraph.Benchmarks.Training.TrainingBenchmarks();
    training.Setup();
    training.PrintInPlaceAb(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 20, 50);
    training.Cleanup();
    return;
}
// BENCH_SHORT_A_B=<values of B>: where ≤ 4-row products start to split their columns across the cores (Gemm.ShortAParallelB).
if (long.TryParse(Environment.GetEnvironmentVariable("BENCH_SHORT_A_B"), out long shortAB)) TypedGraph.Kernels.Simd.Gemm.ShortAParallelB = shortAB;
if (args.Length > 0 && args[0] == "lstm-check")
{
    // LSTM(128) x 100 steps, batch 32: setup (ours vs ORT outputs compared) and a few runs of each (not a measurement).
    TypedGraph.Benchmarks.Peers.LstmBench.DryRun(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 3);
    return;
}
if (args.Length > 0 && args[0] == "gru-ab")
{
    // Keras-style GRU(128) x 100 steps, batch 32: with vs without plan-time fusion, interleaved.
    TypedGraph.Benchmarks.Peers.GruProbe.Print(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 15);
    return;
}
if (args.Length > 0 && args[0] == "keras-lstm")
{
    // The real TF 2.15 Keras LSTM SavedModel through its signature (functional While): median per batch.
    foreach (var batchArg in args.Length > 1 ? args[1].Split(',') : ["1", "32"])
        TypedGraph.Benchmarks.Peers.KerasLstmProbe.Run(int.Parse(batchArg, System.Globalization.CultureInfo.InvariantCulture), args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 2000);
    return;
}
if (args.Length > 0 && args[0] == "char-rnn")
{
    // The real TF 1.4 char-RNN fixture forward at a batch (default 1): median and time by op type.
    foreach (var batchArg in args.Length > 1 ? args[1].Split(',') : ["1", "32"])
        TypedGraph.Benchmarks.Peers.CharRnnProbe.Run(int.Parse(batchArg, System.Globalization.CultureInfo.InvariantCulture), args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 30);
    return;
}
if (args.Length > 0 && args[0] == "lstm-loop")
{
    // LSTM(128) x 100 steps forward (output bound) for a while, nothing else: a target for `perf record`
    // (`lstm-loop [seconds] train`: forward + backward instead).
    TypedGraph.Benchmarks.Peers.LstmBench.Loop(args.Length > 1 ? double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10, args.Contains("train"));
    return;
}
if (args.Length > 0 && args[0] == "throughput")
{
    // Concurrent PreparedRun.Run calls on one session: runs/s with 1 thread vs one per core (MLP batch 1);
    // `throughput [seconds per round] [rounds]`.
    TypedGraph.Benchmarks.Execution.ThroughputProbe.Print(args.Length > 1 ? double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 3,
        args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 5);
    return;
}
if (args.Length > 0 && args[0] == "fusion")
{
    // Session with vs without plan-time fusion, interleaved run by run (same load for both).
    TypedGraph.Benchmarks.Peers.PairedFusion.Print(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 400);
    return;
}
Console.WriteLine("TorchSharp: unavailable on this machine (TorchSharp-cpu 0.107 needs GLIBCXX_3.4.32; this libstdc++ stops at 3.4.30), so ONNX Runtime is the peer.");
Ceiling.Print();
// BENCH_WORKERS=threadpool: parallel kernels hand chunks to the .NET thread pool (the pre-session-5 way), for A/B runs.
TypedGraph.Kernels.Common.Workers.UseThreadPool = Environment.GetEnvironmentVariable("BENCH_WORKERS") == "threadpool";
// BENCH_GEMM_SHORT_ROW_PART=N: GEMM row parts of at most N rows split the columns instead of sharing one packed B (A/B runs).
if (int.TryParse(Environment.GetEnvironmentVariable("BENCH_GEMM_SHORT_ROW_PART"), out var shortRowPart)) TypedGraph.Kernels.Simd.Gemm.ShortRowPart = shortRowPart;
int iterations = int.TryParse(Environment.GetEnvironmentVariable("BENCH_ITERATIONS"), out var it) ? it : 25;
var job = Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(iterations);
var config = DefaultConfig.Instance.AddJob(job).AddColumn(StatisticColumn.Median, StatisticColumn.Min, StatisticColumn.Max)
    .WithOptions(ConfigOptions.DisableOptimizationsValidator);
BenchmarkSwitcher.FromAssembly(typeof(Ceiling).Assembly).Run(args, config);
