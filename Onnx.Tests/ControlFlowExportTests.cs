using Google.Protobuf;
using TypedGraph.Building;
using TypedGraph.Onnx.Tests.Support;
using TypedGraph.Protos;
using Xunit.Abstractions;

namespace TypedGraph.Onnx.Tests;

/// <summary>
/// TF1 control flow whose predicate depends on the inputs, built with <see cref="GraphBuilder"/> in TF 1.x's exact
/// layout (Switch/Merge with pred_id and pivots; Enter/Merge/Switch/LoopCond/NextIteration/Exit), exported to ONNX
/// If / Loop and run by ONNX Runtime against our Session on inputs that take each branch and run 0, 1 and many
/// iterations. Every case also checks our values against a plain C# computation written here.
/// </summary>
public class ControlFlowExportTests(ITestOutputHelper log)
{
    private static Tensor Floats(float[] v, params int[] shape) => Tensor.Create(v, shape);

    private void CompareAll(Onnx.Protos.ModelProto model, Session session, IEnumerable<(string Name, Tensor Value)[]> feedSets, string[] outputs)
    {
        foreach (var feeds in feedSets)
        {
            var r = OrtCheck.Compare(model, session, feeds, outputs);
            foreach (var (name, err) in r.MaxError) log.WriteLine($"{name}: max error {err:E2}");
        }
    }

    [Fact]
    public void Tf1CondOnAnInputDependentPredicateBecomesOneIfAndBothBranchesMatchOrt()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [-1, 3], "x");
        var w = b.Constant(new float[] { 1, -2, 0.5f, 3, 0, -1, 2, 1, 1 }, [3, 3], "w");
        var pred = b.Greater(b.ReduceSum(x, [0, 1]), b.Constant(0f), "pred");
        // Two outputs from one cond: one If with two outputs. The true branch reads a constant created inside it
        // (control edge from the pivot) and an outside tensor through its Switch.
        var outs = b.Cond(pred,
            () => [b.MatMul(x, w), b.Multiply(x, 2.0)],
            () => [b.Exp(x), b.Subtract(x, b.Constant(new float[] { 1, 2, 3 }))]);
        var y0 = b.Add(outs[0], 1.0, "y0");
        using var session = new Session(b.Graph);
        var model = OnnxExporter.Export(session, ["x:0"], [y0.Name, outs[1].Name]);
        Assert.Equal(1, model.Graph.Node.Count(n => n.OpType == "If"));
        Assert.DoesNotContain(model.Graph.Node, n => n.OpType is "Switch" or "Merge");

        var positive = Floats([1, 2, 3, 0.5f, -1, 2], 2, 3);
        var negative = Floats([-1, 0.25f, -3, 0.5f, -1, 2, 0, 0, -4], 3, 3);
        CompareAll(model, session, [[("x:0", positive)], [("x:0", negative)]], [y0.Name, outs[1].Name]);

        // Independently: positive sum → x·w + 1 and 2x; negative → exp(x) + 1 and x − [1, 2, 3].
        var p = session.Run([y0.Name, outs[1].Name], new Dictionary<string, Tensor> { ["x:0"] = positive });
        var pv = positive.ToArray<float>();
        float[] wv = [1, -2, 0.5f, 3, 0, -1, 2, 1, 1];
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
            {
                float dot = 0;
                for (int k = 0; k < 3; k++) dot += pv[i * 3 + k] * wv[k * 3 + j];
                Assert.Equal(dot + 1, p[0].ToArray<float>()[i * 3 + j], 5);
            }
        Assert.Equal(pv.Select(v => v * 2), p[1].ToArray<float>());
        var n = session.Run([y0.Name, outs[1].Name], new Dictionary<string, Tensor> { ["x:0"] = negative });
        var nv = negative.ToArray<float>();
        Assert.Equal(nv.Select(v => MathF.Exp(v) + 1).ToArray(), n[0].ToArray<float>(), new Tolerance(1e-6f));
        Assert.Equal(nv.Select((v, i) => v - (i % 3 + 1)).ToArray(), n[1].ToArray<float>());
    }

    [Fact]
    public void NestedTf1CondsBecomeNestedIfsMatchingOrtOnAllThreePaths()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [-1], "x");
        var s = b.Placeholder(DataType.DtFloat, [], "s");
        var outer = b.Greater(s, b.Constant(0f), "outer_pred");
        var y = b.Cond(outer,
            () => b.Cond(b.Greater(s, b.Constant(10f), "inner_pred"),
                () => [b.Multiply(x, s)],
                () => [b.Add(x, s)], "inner"),
            () => [b.Negate(x)], "outer")[0];
        using var session = new Session(b.Graph);
        var model = OnnxExporter.Export(session, ["x:0", "s:0"], [y.Name]);
        Assert.Equal(1, model.Graph.Node.Count(n => n.OpType == "If"));
        var thenBranch = model.Graph.Node.Single(n => n.OpType == "If").Attribute.Single(a => a.Name == "then_branch").G;
        Assert.Equal(1, thenBranch.Node.Count(n => n.OpType == "If"));

        var xv = Floats([1.5f, -2, 4], 3);
        foreach (var (sv, expected) in new[]
        {
            (20f, new[] { 30f, -40, 80 }),  // s > 10: x·s
            (3f, new[] { 4.5f, 1, 7 }),     // 0 < s ≤ 10: x + s
            (-1f, new[] { -1.5f, 2, -4 }),  // s ≤ 0: −x
        })
        {
            (string, Tensor)[] feeds = [("x:0", xv), ("s:0", Tensor.FromScalar(sv))];
            Assert.Equal(expected, OrtCheck.Compare(model, session, feeds, [y.Name]).Ours[y.Name].ToArray<float>());
        }
    }

    [Fact]
    public void Tf1WhileLoopBecomesAnOnnxLoopMatchingOrtForZeroOneAndManyIterations()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [-1, 2], "x");
        var n = b.Placeholder(DataType.DtInt32, [], "n");
        var w = b.Constant(new float[] { 0.5f, -0.25f, 0.75f, 0.5f }, [2, 2], "w");
        // i = 0; h = x; while i < n: h = tanh(h·w + 0.1); i += 1 — w is loop-invariant (an Enter(is_constant)).
        var res = b.WhileLoop(
            v => b.Less(v[0], n),
            v => [b.Add(v[0], 1), b.Tanh(b.Add(b.MatMul(v[1], w), 0.1))],
            [b.Constant(0, "i0"), x]);
        var h = b.Identity(res[1], "h");
        var count = b.Identity(res[0], "count");
        using var session = new Session(b.Graph);
        var model = OnnxExporter.Export(session, ["x:0", "n:0"], [h.Name, count.Name]);
        Assert.Equal(1, model.Graph.Node.Count(nd => nd.OpType == "Loop"));
        Assert.DoesNotContain(model.Graph.Node, nd => nd.OpType is "Enter" or "Exit" or "NextIteration");

        var xv = OrtCheck.RandomFloats(7, -1, 1, 4, 2);
        foreach (int iterations in new[] { 0, 1, 9 })
        {
            (string, Tensor)[] feeds = [("x:0", xv), ("n:0", Tensor.FromScalar(iterations))];
            var r = OrtCheck.Compare(model, session, feeds, [h.Name, count.Name]);
            log.WriteLine($"n = {iterations}: max error {r.Worst:E2}");
            // Hand-unrolled reference.
            var hv = xv.ToArray<float>();
            for (int it = 0; it < iterations; it++)
            {
                var next = new float[hv.Length];
                for (int row = 0; row < 4; row++)
                    for (int j = 0; j < 2; j++)
                        next[row * 2 + j] = MathF.Tanh(hv[row * 2] * (j == 0 ? 0.5f : -0.25f) + hv[row * 2 + 1] * (j == 0 ? 0.75f : 0.5f) + 0.1f);
                hv = next;
            }
            Assert.Equal(hv, r.Ours[h.Name].ToArray<float>(), new Tolerance(1e-6f));
            Assert.Equal(iterations, r.Ours[count.Name].Scalar<int>());
        }
    }

    [Fact]
    public void CondInsideAWhileLoopBodyExportsAsAnIfInsideTheLoopBody()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [-1], "x");
        var limit = b.Placeholder(DataType.DtFloat, [], "limit");
        // while sum(v) < limit (at most 50 times): v = sum(v) > 0 ? v·1.5 : v + 1
        var res = b.WhileLoop(
            v => b.Less(b.ReduceSum(v[0], [0]), limit),
            v => b.Cond(b.Greater(b.ReduceSum(v[0], [0]), b.Constant(0f)), () => [b.Multiply(v[0], 1.5)], () => [b.Add(v[0], 1.0)]),
            [x], maximumIterations: b.Constant(50, "max_iter"));
        var y = b.Identity(res[0], "y");
        using var session = new Session(b.Graph);
        var model = OnnxExporter.Export(session, ["x:0", "limit:0"], [y.Name]);
        var loop = model.Graph.Node.Single(nd => nd.OpType == "Loop");
        Assert.Equal(1, loop.Attribute.Single(a => a.Name == "body").G.Node.Count(nd => nd.OpType == "If"));

        var xv = Floats([-2, -1.5f, 0.25f], 3);
        foreach (var lim in new[] { -10f, 5f, 40f, 1e9f })
        {
            (string, Tensor)[] feeds = [("x:0", xv), ("limit:0", Tensor.FromScalar(lim))];
            var r = OrtCheck.Compare(model, session, feeds, [y.Name]);
            var v = xv.ToArray<float>();
            for (int it = 0; it < 50 && v.Sum() < lim; it++)
                v = v.Sum() > 0 ? v.Select(e => e * 1.5f).ToArray() : v.Select(e => e + 1).ToArray();
            Assert.Equal(v, r.Ours[y.Name].ToArray<float>(), new Tolerance(1e-5f));
            log.WriteLine($"limit {lim}: {string.Join(", ", v)}; max error {r.Worst:E2}");
        }
    }

    [Fact]
    public void ATensorOfALoopBodyReadOutsideTheLoopIsRefusedNamingTheNode()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [-1], "x");
        var inside = default(Output);
        b.WhileLoop(v => b.Less(b.ReduceSum(v[0], [0]), b.Constant(10f)), v => [inside = b.Add(v[0], 1.0, "step")], [x]);
        // Not expressible (TF itself refuses to run it): the body's tensor read after the loop without an Exit.
        var bad = b.Multiply(inside, 2.0, "after");
        using var session = new Session(b.Graph);
        var e = Assert.Throws<OnnxExportException>(() => OnnxExporter.Export(session, ["x:0"], [bad.Name]));
        Assert.Contains("'after'", e.Message);
        Assert.Contains($"'{inside.Name}'", e.Message);
        Assert.Contains("loop frame", e.Message);
    }

    /// <summary>
    /// The elementwise graphs TF's BasicLSTMCell (rnn_cell_impl.py: one MatMul of concat([x, h]) with the kernel,
    /// BiasAdd, split into i, j, f, o; c' = c·σ(f + forget_bias) + σ(i)·tanh(j); h' = tanh(c')·σ(o)) and GRUCell
    /// (gates σ(concat([x, h])·W_g + b_g) split into r, u; candidate tanh(concat([x, r·h])·W_c + b_c);
    /// h' = u·h + (1 − u)·candidate) stepped by a TF1 while loop over time (t &lt; tf.shape(x)[0], reading x[t]), exported
    /// as one Loop and checked against ORT and a hand-unrolled cell for 0, 1 and 5 steps.
    /// </summary>
    [Fact]
    public void LstmAndGruCellsSteppedByAWhileLoopMatchOrtAndAHandUnrolledCell()
    {
        const int In = 3, Units = 4;
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [-1, -1, In], "x");           // time-major [T, batch, In]
        var h0 = b.Placeholder(DataType.DtFloat, [-1, Units], "h0");
        var c0 = b.Placeholder(DataType.DtFloat, [-1, Units], "c0");
        var lstmKernelValues = OrtCheck.RandomFloats(80, -0.5f, 0.5f, In + Units, 4 * Units);
        var lstmBiasValues = OrtCheck.RandomFloats(81, -0.1f, 0.1f, 4 * Units);
        var gateKernelValues = OrtCheck.RandomFloats(82, -0.5f, 0.5f, In + Units, 2 * Units);
        var gateBiasValues = OrtCheck.RandomFloats(83, 0.9f, 1.1f, 2 * Units);         // GRUCell's gate bias starts at 1
        var candKernelValues = OrtCheck.RandomFloats(84, -0.5f, 0.5f, In + Units, Units);
        var candBiasValues = OrtCheck.RandomFloats(85, -0.1f, 0.1f, Units);
        var lstmKernel = b.Constant(lstmKernelValues, "lstm/kernel");
        var lstmBias = b.Constant(lstmBiasValues, "lstm/bias");
        var gateKernel = b.Constant(gateKernelValues, "gru/gates/kernel");
        var gateBias = b.Constant(gateBiasValues, "gru/gates/bias");
        var candKernel = b.Constant(candKernelValues, "gru/candidate/kernel");
        var candBias = b.Constant(candBiasValues, "gru/candidate/bias");
        var steps = b.Gather(b.Shape(x), b.Constant(0, "time_axis"), name: "time_steps");
        var res = b.WhileLoop(
            v => b.Less(v[0], steps),
            v =>
            {
                var xt = b.Gather(x, v[0], name: "x_t");
                // BasicLSTMCell, forget_bias 1.0
                var gates = b.BiasAdd(b.MatMul(b.Concat([xt, v[1]], 1), lstmKernel), lstmBias);
                var ijfo = b.Split(gates, 4, 1);
                var c = b.Add(b.Multiply(v[2], b.Sigmoid(b.Add(ijfo[2], 1.0))), b.Multiply(b.Sigmoid(ijfo[0]), b.Tanh(ijfo[1])));
                var h = b.Multiply(b.Tanh(c), b.Sigmoid(ijfo[3]));
                // GRUCell
                var ru = b.Split(b.Sigmoid(b.BiasAdd(b.MatMul(b.Concat([xt, v[3]], 1), gateKernel), gateBias)), 2, 1);
                var cand = b.Tanh(b.BiasAdd(b.MatMul(b.Concat([xt, b.Multiply(ru[0], v[3])], 1), candKernel), candBias));
                var g = b.Add(b.Multiply(ru[1], v[3]), b.Multiply(b.Subtract(1.0, ru[1]), cand));
                return [b.Add(v[0], 1), h, c, g];
            },
            [b.Constant(0, "t0"), h0, c0, h0]);
        string[] outputs = [b.Identity(res[1], "lstm_h").Name, b.Identity(res[2], "lstm_c").Name, b.Identity(res[3], "gru_h").Name];
        using var session = new Session(b.Graph);
        var model = OnnxExporter.Export(session, ["x:0", "h0:0", "c0:0"], outputs);
        Assert.Equal(1, model.Graph.Node.Count(n => n.OpType == "Loop"));

        float Sig(float v) => 1 / (1 + MathF.Exp(-v));
        float[] Affine(float[] input, float[] kernel, float[] bias, int outW)
        {
            var o = new float[outW];
            for (int j = 0; j < outW; j++)
            {
                float sum = bias[j];
                for (int k = 0; k < input.Length; k++) sum += input[k] * kernel[k * outW + j];
                o[j] = sum;
            }
            return o;
        }
        foreach (int T in new[] { 0, 1, 5 })
        {
            const int Batch = 2;
            var xv = OrtCheck.RandomFloats(90 + T, -1, 1, Math.Max(T, 0), Batch, In);
            var h0v = OrtCheck.RandomFloats(91, -0.5f, 0.5f, Batch, Units);
            var c0v = OrtCheck.RandomFloats(92, -0.5f, 0.5f, Batch, Units);
            var r = OrtCheck.Compare(model, session, [("x:0", xv), ("h0:0", h0v), ("c0:0", c0v)], outputs);
            log.WriteLine($"T = {T}: max error {r.Worst:E2}");
            var (lk, lb, gk, gb, ck, cb) = (lstmKernelValues.ToArray<float>(), lstmBiasValues.ToArray<float>(), gateKernelValues.ToArray<float>(),
                gateBiasValues.ToArray<float>(), candKernelValues.ToArray<float>(), candBiasValues.ToArray<float>());
            var all = xv.ToArray<float>();
            for (int n = 0; n < Batch; n++)
            {
                var h = h0v.ToArray<float>()[(n * Units)..((n + 1) * Units)];
                var c = c0v.ToArray<float>()[(n * Units)..((n + 1) * Units)];
                var g = h.ToArray();
                for (int t = 0; t < T; t++)
                {
                    var xt = all[((t * Batch + n) * In)..((t * Batch + n + 1) * In)];
                    var z = Affine([.. xt, .. h], lk, lb, 4 * Units);
                    var nc = new float[Units];
                    var nh = new float[Units];
                    for (int u = 0; u < Units; u++)
                    {
                        nc[u] = c[u] * Sig(z[2 * Units + u] + 1) + Sig(z[u]) * MathF.Tanh(z[Units + u]);
                        nh[u] = MathF.Tanh(nc[u]) * Sig(z[3 * Units + u]);
                    }
                    var gates = Affine([.. xt, .. g], gk, gb, 2 * Units).Select(Sig).ToArray();
                    var rg = Enumerable.Range(0, Units).Select(u => gates[u] * g[u]).ToArray();
                    var cand = Affine([.. xt, .. rg], ck, cb, Units).Select(MathF.Tanh).ToArray();
                    var ng = Enumerable.Range(0, Units).Select(u => gates[Units + u] * g[u] + (1 - gates[Units + u]) * cand[u]).ToArray();
                    (h, c, g) = (nh, nc, ng);
                }
                Assert.Equal(h, r.Ours[outputs[0]].ToArray<float>()[(n * Units)..((n + 1) * Units)], new Tolerance(1e-5f));
                Assert.Equal(c, r.Ours[outputs[1]].ToArray<float>()[(n * Units)..((n + 1) * Units)], new Tolerance(1e-5f));
                Assert.Equal(g, r.Ours[outputs[2]].ToArray<float>()[(n * Units)..((n + 1) * Units)], new Tolerance(1e-5f));
            }
        }
    }

    private sealed class Tolerance(float eps) : IEqualityComparer<float>
    {
        public bool Equals(float a, float b) => MathF.Abs(a - b) <= eps * MathF.Max(1, MathF.Abs(a));
        public int GetHashCode(float v) => 0;
    }
}
