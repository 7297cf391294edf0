using TypedGraph.Building;
using TypedGraph.Kernels.Linalg;
using TypedGraph.Kernels.Simd;
using TypedGraph.Protos;

namespace TypedGraph.Tests.Kernels;

/// <summary>
/// <c>_FusedMatMul</c> on a packed weight applies its BiasAdd/activation inside each GEMM row part (no separate pass):
/// every output is compared with a naive double-precision act(x·W + b) — before the weight is packed, from the packed
/// weight, and after an assign to the weight variable (a stale packing or a part whose rows miss the epilogue fails).
/// In the "Gemm" collection because GemmTests switches the process-wide micro-kernel width.
/// </summary>
[Collection("Gemm")]
public sealed class PrepackedEpilogueTests
{
    private static float[] Random(int seed, int length)
    {
        var r = new Random(seed);
        var x = new float[length];
        for (int i = 0; i < length; i++) x[i] = (float)(r.NextDouble() * 2 - 1);
        return x;
    }

    /// <summary>y = act(op(x)·op(w) + bias) within (k+3)·u·(Σ|x·w| + |bias|), against a double sum; act applied in double.</summary>
    private static void AssertFused(float[] x, float[] w, float[] bias, int m, int n, int k, bool ta, bool tb, string act, ReadOnlySpan<float> y, string what)
    {
        Assert.Equal(m * n, y.Length);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = bias[j], abs = Math.Abs(bias[j]);
                for (int p = 0; p < k; p++)
                {
                    double t = (double)(ta ? x[p * m + i] : x[i * k + p]) * (tb ? w[j * k + p] : w[p * n + j]);
                    s += t;
                    abs += Math.Abs(t);
                }
                double expected = act switch { "Relu" => Math.Max(0, s), "Relu6" => Math.Clamp(s, 0, 6), _ => s };
                double bound = (k + 3) * 6e-8 * abs + 1e-30;
                double err = Math.Abs(y[i * n + j] - expected);
                if (err > bound) Assert.Fail($"{what}: y[{i},{j}] = {y[i * n + j]}, expected {expected} (error {err:E2} > bound {bound:E2}).");
            }
    }

    public static TheoryData<int, int, int, bool, bool, string> Shapes => new()
    {
        { 64, 784, 128, false, false, "Relu" },   // the MLP's first layer at batch 64: two row parts
        { 37, 100, 48, false, false, "Relu6" },   // a part boundary inside an 8-row panel's range, partial last panel
        { 9, 65, 33, true, false, "" },           // BiasAdd only, transposed A, one part
        { 200, 300, 70, false, true, "Relu" },    // transposed B, several row panels per part
        { 6, 40, 20, false, false, "Relu" },      // just above the short-A rows that stream B
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Fused_matmul_epilogue_on_a_packed_variable_weight_matches_the_naive_result_through_an_assign(int m, int k, int n, bool ta, bool tb, string act)
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, null, "x");
        var w0 = Random(1, k * n);
        var bias = Random(2, n);
        var w = b.Variable(tb ? Tensor.Create(w0, n, k) : Tensor.Create(w0, k, n), "w");
        var newW = b.Placeholder(DataType.DtFloat, null, "new_w");
        var assign = b.Assign(w, newW, "assign_w");
        var y = b.BiasAdd(b.MatMul(x, w.Snapshot, ta, tb, "mm"), b.Constant(Tensor.Create(bias, n), "bias"), name: "bias_add");
        string outName = "bias_add";
        if (act == "Relu") { b.Relu(y, "act"); outName = "act"; }
        if (act == "Relu6") { b.Relu6(y, "act"); outName = "act"; }
        b.GlobalVariablesInitializer();
        using var s = new Session(b.Graph);
        s.Initialize();
        var xv = Random(3, m * k);
        var feed = ("x:0", ta ? Tensor.Create(xv, k, m) : Tensor.Create(xv, m, k));
        for (int run = 0; run < 3; run++)
            AssertFused(xv, w0, bias, m, n, k, ta, tb, act, s.Run($"{outName}:0", feed).AsSpan<float>(), $"w0 run {run}");
        var w1 = Random(4, k * n);
        s.Run([assign.Name], new Dictionary<string, Tensor> { ["new_w:0"] = tb ? Tensor.Create(w1, n, k) : Tensor.Create(w1, k, n) });
        for (int run = 0; run < 3; run++)
            AssertFused(xv, w1, bias, m, n, k, ta, tb, act, s.Run($"{outName}:0", feed).AsSpan<float>(), $"w1 run {run}");
        // The plan fused the chain into one _FusedMatMul (named after its last node) whose weight was packed once per value.
        var plan = s.Prepare([$"{outName}:0"], ["x:0"]);
        var fused = (MatMulKernel)plan.Plan.Steps.Single(st => st.Node.Name == outName).Kernel;
        Assert.Equal("_FusedMatMul", plan.Plan.Steps.Single(st => st.Node.Name == outName).Node.Op);
        Assert.Equal(Gemm.UsesPackedB(m, n, k) ? 2 : 0, fused.PackedB.Packings);
    }
}
