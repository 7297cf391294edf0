using TypedGraph.Building;
using TypedGraph.Kernels.Linalg;
using TypedGraph.Kernels.Simd;
using TypedGraph.Protos;
using TypedGraph.Training;

namespace TypedGraph.Tests.Kernels;

/// <summary>
/// MatMul's weight operand packed once per weight value (<see cref="PackedWeights"/>): every result is compared with a
/// naive double-precision product of the values the run should have used — after assigns, optimizer steps, a restore,
/// a fed override and under concurrent runs — and the packing count shows when the cache was (re)built. In the "Gemm"
/// collection because GemmTests switches the process-wide micro-kernel width, which re-packs.
/// </summary>
[Collection("Gemm")]
public sealed class PackedWeightsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-packed-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static float[] Random(int seed, int length)
    {
        var r = new Random(seed);
        var x = new float[length];
        for (int i = 0; i < length; i++) x[i] = (float)(r.NextDouble() * 2 - 1);
        return x;
    }

    /// <summary>Checks <paramref name="c"/> = op(A)·op(B) within the worst-case float summation bound (k+2)·u·Σ|a||b|
    /// (any order, with or without FMA), against a double-precision sum.</summary>
    private static void AssertProduct(float[] a, float[] b, int m, int n, int k, ReadOnlySpan<float> c, bool ta = false, bool tb = false, string what = "")
    {
        Assert.Equal(m * n, c.Length);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0, abs = 0;
                for (int p = 0; p < k; p++)
                {
                    double term = (double)(ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
                    s += term;
                    abs += Math.Abs(term);
                }
                double bound = (k + 2) * 6e-8 * abs + 1e-30;
                double err = Math.Abs(c[i * n + j] - s);
                if (err > bound) Assert.Fail($"{what} C[{i},{j}] = {c[i * n + j]}, expected {s} (error {err:E2} > bound {bound:E2}).");
            }
    }

    private static MatMulKernel KernelOf(Session s, string node) => (MatMulKernel)s.KernelFor(s.Graph.GetNode(node));

    public static TheoryData<int, int, int, bool, bool> Shapes => new()
    {
        { 64, 784, 128, false, false },
        { 5, 33, 40, false, false },
        { 13, 300, 70, true, false },
        { 9, 257, 65, false, true },
        { 100, 17, 96, true, true },
        { 37, 520, 10, false, false },  // narrow C: the packing is not used (B streamed), the results still checked
        { 200, 1030, 300, false, false },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Const_weight_is_packed_once_and_every_run_matches_the_naive_product(int m, int k, int n, bool ta, bool tb)
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, null, "x");
        var wv = Random(2, k * n);
        var w = b.Constant(tb ? Tensor.Create(wv, n, k) : Tensor.Create(wv, k, n), "w");
        b.MatMul(x, w, ta, tb, "mm");
        using var s = new Session(b.Graph, new SessionOptions { FuseKernels = false });
        for (int run = 0; run < 4; run++)
        {
            var xv = Random(10 + run, m * k);
            var y = s.Run("mm:0", ("x:0", ta ? Tensor.Create(xv, k, m) : Tensor.Create(xv, m, k)));
            AssertProduct(xv, wv, m, n, k, y.AsSpan<float>(), ta, tb, $"run {run}");
        }
        // Packed on the second run, reused after it (none at all where the shape streams B).
        Assert.Equal(Gemm.UsesPackedB(m, n, k) ? 1 : 0, KernelOf(s, "mm").PackedB.Packings);
    }

    [Fact]
    public void Prepacked_gemm_matches_the_naive_product_on_random_shapes()
    {
        var r = new Random(7);
        for (int t = 0; t < 40; t++)
        {
            int m = r.Next(1, 150), k = r.Next(1, 600), n = r.Next(1, 200);
            bool ta = r.Next(2) == 1, tb = r.Next(2) == 1;
            var a = Random(100 + t, m * k);
            var bv = Random(200 + t, k * n);
            var packed = Gemm.PackBRetained(tb, k, n, bv);
            var c = new float[m * n];
            Array.Fill(c, float.NaN); // overwritten, never accumulated
            Gemm.SgemmPrepacked(ta, tb, m, n, k, a, bv, packed, c);
            AssertProduct(a, bv, m, n, k, c, ta, tb, $"{m}x{k}x{n} ta={ta} tb={tb}");
        }
    }

    [Fact]
    public void Ref_variable_assign_repacks_and_results_follow_the_new_value()
    {
        const int m = 64, k = 200, n = 48;
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, null, "x");
        var w0 = Random(3, k * n);
        var w = b.Variable(Tensor.Create(w0, k, n), "w");
        var newW = b.Placeholder(DataType.DtFloat, null, "new_w");
        var assign = b.Assign(w, newW, "assign_w");
        b.MatMul(x, w.Snapshot, name: "mm");
        b.GlobalVariablesInitializer();
        using var s = new Session(b.Graph, new SessionOptions { FuseKernels = false });
        s.Initialize();
        var xv = Random(4, m * k);
        var feed = ("x:0", Tensor.Create(xv, m, k));
        for (int run = 0; run < 3; run++) AssertProduct(xv, w0, m, n, k, s.Run("mm:0", feed).AsSpan<float>(), what: $"w0 run {run}");
        Assert.Equal(1, KernelOf(s, "mm").PackedB.Packings);
        var w1 = Random(5, k * n);
        s.Run([assign.Name], new Dictionary<string, Tensor> { ["new_w:0"] = Tensor.Create(w1, k, n) });
        for (int run = 0; run < 3; run++) AssertProduct(xv, w1, m, n, k, s.Run("mm:0", feed).AsSpan<float>(), what: $"w1 run {run}");
        Assert.Equal(2, KernelOf(s, "mm").PackedB.Packings);
        // AssignAdd publishes a new tensor too.
        var add = b.AssignAdd(w, b.Constant(Tensor.Create(Enumerable.Repeat(0.5f, k * n).ToArray(), k, n)), "add_w");
        using var s2 = new Session(b.Graph, new SessionOptions { FuseKernels = false });
        s2.Initialize();
        s2.Run("mm:0", feed);
        s2.Run("mm:0", feed);
        s2.RunTargets(add.Name);
        var w0Plus = w0.Select(v => v + 0.5f).ToArray();
        for (int run = 0; run < 3; run++) AssertProduct(xv, w0Plus, m, n, k, s2.Run("mm:0", feed).AsSpan<float>(), what: $"w0+0.5 run {run}");
    }

    [Fact]
    public void Resource_variable_assign_and_optimizer_steps_are_seen_by_the_next_run()
    {
        const int m = 32, k = 64, n = 32;
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [m, k], "x");
        var y = b.Placeholder(DataType.DtFloat, [m, n], "y");
        var w = b.ResourceVariable([k, n], new RandomUniform(-0.5, 0.5, seed: 1), "w");
        var pred = b.MatMul(x, w.Snapshot, name: "mm");
        var loss = b.ReduceMean(b.Square(b.Subtract(pred, y)), [0, 1]);
        var train = new AdamOptimizer(0.05).Minimize(b, loss, b.GetOrCreateGlobalStep());
        b.GlobalVariablesInitializer();
        using var s = new Session(b.Graph, new SessionOptions { FuseKernels = false });
        s.Initialize();
        var xv = Random(6, m * k);
        var feeds = new Dictionary<string, Tensor> { ["x:0"] = Tensor.Create(xv, m, k), ["y:0"] = Tensor.Create(Random(7, m * n), m, n) };
        for (int step = 0; step < 5; step++)
        {
            // Two inference runs (the second packs), then an Adam step (ResourceApplyAdam publishes a new value).
            for (int run = 0; run < 2; run++)
            {
                var outs = s.Run(["mm:0", w.Snapshot.Name], feeds);
                AssertProduct(xv, outs[1].ToArray<float>(), m, n, k, outs[0].AsSpan<float>(), what: $"step {step} run {run}");
            }
            var before = s.Run(w.Snapshot.Name).ToArray<float>();
            s.Run([], feeds, [train.Name]);
            Assert.NotEqual(before, s.Run(w.Snapshot.Name).ToArray<float>());
        }
        Assert.Equal(5, KernelOf(s, "mm").PackedB.Packings);
    }

    [Fact]
    public void Training_with_ApplyAdam_every_run_never_packs_and_stays_exact()
    {
        const int m = 16, k = 96, n = 32;
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [m, k], "x");
        var y = b.Placeholder(DataType.DtFloat, [m, n], "y");
        var w = b.Variable([k, n], new RandomUniform(-0.5, 0.5, seed: 2), "w");
        var pred = b.MatMul(x, w.Snapshot, name: "mm");
        var loss = b.ReduceMean(b.Square(b.Subtract(pred, y)), [0, 1]);
        var train = new AdamOptimizer(0.05).Minimize(b, loss, b.GetOrCreateGlobalStep());
        b.GlobalVariablesInitializer();
        using var s = new Session(b.Graph, new SessionOptions { FuseKernels = false });
        s.Initialize();
        var xv = Random(8, m * k);
        var feeds = new Dictionary<string, Tensor> { ["x:0"] = Tensor.Create(xv, m, k), ["y:0"] = Tensor.Create(Random(9, m * n), m, n) };
        for (int step = 0; step < 6; step++)
        {
            // The forward pass of a step reads the value ApplyAdam published in the previous step (ref ApplyAdam).
            var before = s.Run(w.Snapshot.Name).ToArray<float>();
            var outs = s.Run(["mm:0"], feeds, [train.Name]);
            AssertProduct(xv, before, m, n, k, outs[0].AsSpan<float>(), what: $"step {step}");
        }
        // A new weight every run: each is seen once, so none was worth packing.
        Assert.Equal(0, KernelOf(s, "mm").PackedB.Packings);
    }

    [Fact]
    public void Saver_restore_replaces_a_packed_weight()
    {
        const int m = 24, k = 130, n = 64;
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, null, "x");
        var saved = Random(11, k * n);
        var w = b.Variable(Tensor.Create(saved, k, n), "w");
        var newW = b.Placeholder(DataType.DtFloat, null, "new_w");
        var assign = b.Assign(w, newW, "assign_w");
        b.MatMul(x, w.Snapshot, name: "mm");
        b.GlobalVariablesInitializer();
        var saver = new Saver(b);
        using var s = new Session(b.Graph, new SessionOptions { FuseKernels = false });
        s.Initialize();
        var prefix = saver.Save(s, Path.Combine(_dir, "model"), writeMetaGraph: false);
        var other = Random(12, k * n);
        s.Run([assign.Name], new Dictionary<string, Tensor> { ["new_w:0"] = Tensor.Create(other, k, n) });
        var xv = Random(13, m * k);
        var feed = ("x:0", Tensor.Create(xv, m, k));
        for (int run = 0; run < 3; run++) AssertProduct(xv, other, m, n, k, s.Run("mm:0", feed).AsSpan<float>(), what: $"assigned run {run}");
        saver.Restore(s, prefix);
        for (int run = 0; run < 3; run++) AssertProduct(xv, saved, m, n, k, s.Run("mm:0", feed).AsSpan<float>(), what: $"restored run {run}");
        Assert.Equal(2, KernelOf(s, "mm").PackedB.Packings);
    }

    [Fact]
    public void A_fed_weight_overrides_the_packed_one_and_in_place_changes_to_it_are_seen()
    {
        const int m = 40, k = 150, n = 64;
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, null, "x");
        var wv = Random(14, k * n);
        var w = b.Constant(Tensor.Create(wv, k, n), "w");
        b.MatMul(x, w, name: "mm");
        using var s = new Session(b.Graph, new SessionOptions { FuseKernels = false });
        var xv = Random(15, m * k);
        var xt = Tensor.Create(xv, m, k);
        for (int run = 0; run < 3; run++) AssertProduct(xv, wv, m, n, k, s.Run("mm:0", ("x:0", xt)).AsSpan<float>(), what: $"const run {run}");
        // Feeding the Const's output: the fed tensor is the caller's and may change between runs, so it is never cached.
        var fedValues = Random(16, k * n);
        var fed = Tensor.Create(fedValues, k, n);
        for (int run = 0; run < 4; run++)
        {
            var y = s.Run("mm:0", ("x:0", xt), ("w:0", fed));
            AssertProduct(xv, fed.ToArray<float>(), m, n, k, y.AsSpan<float>(), what: $"fed run {run}");
            var span = fed.AsSpan<float>();
            for (int i = 0; i < span.Length; i++) span[i] = -span[i] * 0.5f + 0.01f * run; // the same tensor, new contents
        }
        // Back to the Const: still its own value (the packing made before the feeds).
        AssertProduct(xv, wv, m, n, k, s.Run("mm:0", ("x:0", xt)).AsSpan<float>(), what: "const again");
        Assert.Equal(1, KernelOf(s, "mm").PackedB.Packings);
    }

    [Fact]
    public async Task Concurrent_runs_with_concurrent_assigns_each_see_one_whole_weight_value()
    {
        const int m = 48, k = 160, n = 64;
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, null, "x");
        var values = Enumerable.Range(0, 3).Select(i => Random(20 + i, k * n)).ToArray();
        var w = b.Variable(Tensor.Create(values[0], k, n), "w");
        var newW = b.Placeholder(DataType.DtFloat, null, "new_w");
        var assign = b.Assign(w, newW, "assign_w");
        b.MatMul(x, w.Snapshot, name: "mm");
        b.GlobalVariablesInitializer();
        using var s = new Session(b.Graph, new SessionOptions { FuseKernels = false });
        s.Initialize();
        var run = s.Prepare(["mm:0"], ["x:0"]);
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var assigner = Task.Run(() =>
        {
            for (int i = 1; !stop.IsCancellationRequested; i++)
                s.Run([assign.Name], new Dictionary<string, Tensor> { ["new_w:0"] = Tensor.Create(values[i % 3], k, n) });
        });
        var readers = Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            var xv = Random(30 + t, m * k);
            var feeds = new[] { Tensor.Create(xv, m, k) };
            var results = new Tensor[1];
            var expected = values.Select(v => Naive(xv, v, m, n, k)).ToArray();
            for (int r = 0; r < 60; r++)
            {
                run.Run(feeds, results);
                var c = results[0].ToArray<float>();
                // The run read one published value: the result is the product with exactly one of them.
                if (!expected.Any(e => Close(e, c))) errors.Enqueue($"thread {t} run {r}: matches none of the assigned weights");
            }
        })).ToArray();
        await Task.WhenAll(readers);
        stop.Cancel();
        await assigner;
        Assert.Empty(errors);
    }

    /// <summary>NHWC conv, [KH,KW,C,OC] filter, stride 1, SAME padding (TF: pad_top = (KH-1)/2 for stride 1), bias and ReLU,
    /// summed in double; returns the value and Σ|x·w| per output (for the error bound).</summary>
    private static (double[] Y, double[] Abs) NaiveConv(float[] x, float[] f, float[] bias, int n, int h, int w, int c, int kh, int kw, int oc)
    {
        var y = new double[n * h * w * oc];
        var abs = new double[y.Length];
        int pt = (kh - 1) / 2, pl = (kw - 1) / 2;
        for (int b = 0; b < n; b++)
            for (int oy = 0; oy < h; oy++)
                for (int ox = 0; ox < w; ox++)
                    for (int o = 0; o < oc; o++)
                    {
                        double sum = 0, sa = 0;
                        for (int ky = 0; ky < kh; ky++)
                            for (int kx = 0; kx < kw; kx++)
                            {
                                int iy = oy + ky - pt, ix = ox + kx - pl;
                                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                                for (int ci = 0; ci < c; ci++)
                                {
                                    double t = (double)x[((b * h + iy) * w + ix) * c + ci] * f[((ky * kw + kx) * c + ci) * oc + o];
                                    sum += t;
                                    sa += Math.Abs(t);
                                }
                            }
                        int at = ((b * h + oy) * w + ox) * oc + o;
                        y[at] = Math.Max(0, sum + bias[o]);
                        abs[at] = sa + Math.Abs(bias[o]);
                    }
        return (y, abs);
    }

    private static void AssertConv(float[] x, float[] f, float[] bias, int n, int h, int w, int c, int kh, int kw, int oc, ReadOnlySpan<float> y, string what)
    {
        var (expected, abs) = NaiveConv(x, f, bias, n, h, w, c, kh, kw, oc);
        Assert.Equal(expected.Length, y.Length);
        int depth = kh * kw * c;
        for (int i = 0; i < expected.Length; i++)
        {
            double bound = (depth + 3) * 6e-8 * abs[i] + 1e-30;
            if (Math.Abs(y[i] - expected[i]) > bound) Assert.Fail($"{what}: y[{i}] = {y[i]}, expected {expected[i]} (bound {bound:E2}).");
        }
    }

    [Theory]
    [InlineData(2, 9, 11, 8, 5, 5, 64)]
    [InlineData(3, 14, 14, 32, 5, 5, 64)]   // kept filter: Winograd F(2×2, 5×5) (its transformed form follows the assigns)
    [InlineData(3, 14, 14, 24, 5, 5, 64)]   // C = 24: not Winograd's, the implicit GEMM's panels
    [InlineData(1, 7, 6, 5, 3, 5, 32)]
    [InlineData(2, 9, 11, 24, 1, 1, 40)]   // 1×1: one GEMM with the filter packed as B
    [InlineData(2, 9, 11, 8, 3, 3, 24)]    // C = 8, OC = 24: im2col + GEMM with the filter packed as B
    public void Conv_filter_panels_follow_a_variable_filter_through_assigns(int n, int h, int w, int c, int kh, int kw, int oc)
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, null, "x");
        var f0 = Random(40, kh * kw * c * oc);
        var bias = Random(41, oc);
        var filter = b.Variable(Tensor.Create(f0, kh, kw, c, oc), "f");
        var newF = b.Placeholder(DataType.DtFloat, null, "new_f");
        var assign = b.Assign(filter, newF, "assign_f");
        // Conv2D → BiasAdd → Relu: the plan fuses it into _FusedConv2D named after the Relu.
        b.Relu(b.BiasAdd(b.Conv2D(x, filter.Snapshot, [1, 1, 1, 1], "SAME", name: "conv"), b.Constant(Tensor.Create(bias, oc), "bias")), "relu");
        b.GlobalVariablesInitializer();
        using var s = new Session(b.Graph);
        s.Initialize();
        var xv = Random(42, n * h * w * c);
        var feed = ("x:0", Tensor.Create(xv, n, h, w, c));
        for (int run = 0; run < 3; run++) AssertConv(xv, f0, bias, n, h, w, c, kh, kw, oc, s.Run("relu:0", feed).AsSpan<float>(), $"f0 run {run}");
        var f1 = Random(43, kh * kw * c * oc);
        s.Run([assign.Name], new Dictionary<string, Tensor> { ["new_f:0"] = Tensor.Create(f1, kh, kw, c, oc) });
        for (int run = 0; run < 3; run++) AssertConv(xv, f1, bias, n, h, w, c, kh, kw, oc, s.Run("relu:0", feed).AsSpan<float>(), $"f1 run {run}");
        // A fed filter (the caller's tensor) is used as it is.
        var f2 = Random(44, kh * kw * c * oc);
        AssertConv(xv, f2, bias, n, h, w, c, kh, kw, oc, s.Run("relu:0", feed, ("f/read:0", Tensor.Create(f2, kh, kw, c, oc))).AsSpan<float>(), "fed");
        var plan = s.Prepare(["relu:0"], ["x:0"]);
        var g = global::TypedGraph.Kernels.NN.Window2D.Create(n, h, w, c, kh, kw, 1, 1, 1, 1, global::TypedGraph.Kernels.Common.PaddingKind.Same, default);
        var fused = (global::TypedGraph.Kernels.NN.Conv2DKernel)plan.Plan.Steps.Single(st => st.Node.Name == "relu").Kernel;
        // Winograd's rule is asked first (a kept filter's transform is made once per value, like the panels).
        bool winograd = global::TypedGraph.Kernels.NN.WinogradConv2D.IsPreferred(g, oc, filterCached: true);
        Assert.Equal(winograd ? 2 : 0, fused.FilterCache.Winograd.Builds);
        Assert.Equal(!winograd && global::TypedGraph.Kernels.NN.ImplicitGemmConv2D.IsPreferred(g, oc) ? 2 : 0, fused.FilterPanels.Builds);
        // The 1×1 and im2col paths keep the filter packed as the GEMM's B instead (once per filter value, as above).
        bool packsB = !global::TypedGraph.Kernels.NN.ImplicitGemmConv2D.IsPreferred(g, oc) && !global::TypedGraph.Kernels.NN.DirectConv2D.IsPreferred(g, oc)
            && !global::TypedGraph.Kernels.NN.WinogradConv2D.IsPreferred(g, oc, filterCached: true);
        Assert.Equal(packsB ? 2 : 0, fused.FilterCache.Packed.Packings);
    }

    private static double[] Naive(float[] a, float[] b, int m, int n, int k)
    {
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int p = 0; p < k; p++)
                for (int j = 0; j < n; j++) c[i * n + j] += (double)a[i * k + p] * b[p * n + j];
        return c;
    }

    private static bool Close(double[] expected, float[] c)
    {
        // |a|,|b| ≤ 1 and k = 160: (k+2)·u·Σ|ab| ≤ 162·6e-8·160 < 2e-3.
        for (int i = 0; i < expected.Length; i++)
            if (Math.Abs(c[i] - expected[i]) > 2e-3) return false;
        return true;
    }
}
