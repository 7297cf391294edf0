using TypedGraph.Building;
using TypedGraph.Kernels;
using TypedGraph.Protos;

namespace TypedGraph.Tests.Training;

public class ApplyKernelTests
{
    /// <summary>Runs Apply op <paramref name="op"/> on variables holding <paramref name="vars"/> and scalar/grad inputs.</summary>
    private static float[][] Apply(string op, float[][] vars, float[] scalars, float[] grad, params (string, AttrValue)[] attrs)
    {
        var b = new GraphBuilder();
        var refs = vars.Select((v, i) => b.Variable([v.Length], new ZerosInitializer(), "v" + i)).ToList();
        var ins = new List<Output>(refs.Select(r => r.Ref));
        ins.AddRange(scalars.Select((_, i) => b.Placeholder(DataType.DtFloat, [], "s" + i)));
        // TF's input order: the gradient is last, except ApplyMomentum (var, accum, lr, grad, momentum).
        int gi = op == "ApplyMomentum" ? vars.Length + 1 : ins.Count;
        ins.Insert(gi, b.Placeholder(DataType.DtFloat, [grad.Length], "g"));
        var node = b.AddOperation(op, ins, attrs.ToDictionary(a => a.Item1, a => a.Item2));
        var state = new SessionState();
        var slots = refs.Select((r, i) => { var s = state.Variable(r.Name); s.Value = Tensor.Create(vars[i], vars[i].Length); return s; }).ToArray();
        var inputs = new Tensor?[ins.Count];
        var scalarSlots = Enumerable.Range(vars.Length, ins.Count - vars.Length).Where(i => i != gi).ToArray();
        for (int i = 0; i < scalars.Length; i++) inputs[scalarSlots[i]] = Tensor.FromScalar(scalars[i]);
        inputs[gi] = Tensor.Create(grad, grad.Length);
        var refInputs = new VariableSlot?[ins.Count];
        for (int i = 0; i < slots.Length; i++) refInputs[i] = slots[i];
        var ctx = new OpKernelContext(node, inputs, 1, state, refInputs);
        KernelRegistry.Default.Find(op)!(node).Compute(ctx);
        return slots.Select(s => s.Value!.ToArray<float>()).ToArray();
    }

    [Fact]
    public void ApplyGradientDescent()
    {
        var r = Apply("ApplyGradientDescent", [[1f, 2f]], [0.1f], [0.5f, -1f]);
        Assert.Equal([0.95f, 2.1f], r[0]);
    }

    [Fact]
    public void ApplyMomentum_plain_and_Nesterov()
    {
        // accum = 0.5·0.9 + 0.5 = 0.95; var = 1 − 0.1·0.95 = 0.905
        var r = Apply("ApplyMomentum", [[1f], [0.5f]], [0.1f, 0.9f], [0.5f], ("use_nesterov", Attrs.Bool(false)));
        Assert.Equal(0.95f, r[1][0], 6);
        Assert.Equal(0.905f, r[0][0], 6);
        // Nesterov: var = 1 − (0.5·0.1 + 0.95·0.9·0.1) = 0.8645
        r = Apply("ApplyMomentum", [[1f], [0.5f]], [0.1f, 0.9f], [0.5f], ("use_nesterov", Attrs.Bool(true)));
        Assert.Equal(0.8645f, r[0][0], 6);
    }

    [Fact]
    public void ApplyAdam_follows_TFs_formula()
    {
        // beta1_power = 0.81, beta2_power = 0.998001 (step 2), lr 0.01, β1 0.9, β2 0.999, ε 1e-8, g = 0.5.
        // lr_t = 0.01·√(1 − 0.998001)/(1 − 0.81) = 0.01·0.0447102/0.19 = 0.00235317
        // m = 0.1 + (0.5 − 0.1)·0.1 = 0.14; v = 0.01 + (0.25 − 0.01)·0.001 = 0.01024
        // var = 1 − 0.00235317·0.14/(0.1011929 + 1e-8) = 0.99674446
        var r = Apply("ApplyAdam", [[1f], [0.1f], [0.01f]], [0.81f, 0.998001f, 0.01f, 0.9f, 0.999f, 1e-8f], [0.5f]);
        Assert.Equal(0.14f, r[1][0], 6);
        Assert.Equal(0.01024f, r[2][0], 6);
        Assert.Equal(0.99674446f, r[0][0], 5);
    }

    /// <summary>
    /// A variable large enough to be updated in parallel parts (100,003 elements: parts and vector tails at odd offsets)
    /// gets exactly the values of the formula applied element by element in the same operation order.
    /// </summary>
    [Theory]
    [InlineData("ApplyGradientDescent")]
    [InlineData("ApplyMomentum")]
    [InlineData("ApplyAdam")]
    [InlineData("ApplyRMSProp")]
    [InlineData("ApplyAdagrad")]
    public void Large_variables_are_updated_in_parts_exactly_as_element_by_element(string op)
    {
        const int N = 100_003;
        var rng = new Random(op.Length);
        float[] R(float lo, float hi) => Enumerable.Range(0, N).Select(_ => lo + (float)rng.NextDouble() * (hi - lo)).ToArray();
        var v = R(-1, 1);
        var s0 = R(0.01f, 1);
        var s1 = R(0.01f, 1);
        var g = R(-1, 1);
        float[][] vars;
        float[] scalars;
        var expected = (float[])v.Clone();
        var e0 = (float[])s0.Clone();
        var e1 = (float[])s1.Clone();
        switch (op)
        {
            case "ApplyGradientDescent":
                vars = [v];
                scalars = [0.1f];
                for (int i = 0; i < N; i++) expected[i] -= 0.1f * g[i];
                break;
            case "ApplyMomentum":
                vars = [v, s0];
                scalars = [0.1f, 0.9f];
                for (int i = 0; i < N; i++)
                {
                    e0[i] = e0[i] * 0.9f + g[i];
                    expected[i] -= 0.1f * e0[i];
                }
                break;
            case "ApplyAdam":
            {
                vars = [v, s0, s1];
                scalars = [0.81f, 0.998001f, 0.01f, 0.9f, 0.999f, 1e-8f];
                float lrT = 0.01f * MathF.Sqrt(1f - 0.998001f) / (1f - 0.81f);
                for (int i = 0; i < N; i++)
                {
                    e0[i] += (g[i] - e0[i]) * (1f - 0.9f);
                    e1[i] += (g[i] * g[i] - e1[i]) * (1f - 0.999f);
                    expected[i] -= lrT * e0[i] / (MathF.Sqrt(e1[i]) + 1e-8f);
                }
                break;
            }
            case "ApplyRMSProp":
                vars = [v, s0, s1];
                scalars = [0.1f, 0.9f, 0.5f, 1e-10f];
                for (int i = 0; i < N; i++)
                {
                    e0[i] += (g[i] * g[i] - e0[i]) * (1f - 0.9f);
                    e1[i] = e1[i] * 0.5f + 0.1f * g[i] / MathF.Sqrt(e0[i] + 1e-10f);
                    expected[i] -= e1[i];
                }
                break;
            default:
                vars = [v, s0];
                scalars = [0.1f];
                for (int i = 0; i < N; i++)
                {
                    e0[i] += g[i] * g[i];
                    expected[i] -= 0.1f * g[i] / MathF.Sqrt(e0[i]);
                }
                break;
        }
        var r = Apply(op, vars, scalars, g);
        Assert.Equal(expected, r[0]);
        if (vars.Length > 1) Assert.Equal(e0, r[1]);
        if (vars.Length > 2) Assert.Equal(e1, r[2]);
    }

    [Fact]
    public void ApplyRMSProp_and_ApplyAdagrad()
    {
        // ms = 1 + (0.25 − 1)·0.1 = 0.925; mom = 0 + 0.1·0.5/√0.925 = 0.0519875; var = 1 − 0.0519875
        var r = Apply("ApplyRMSProp", [[1f], [1f], [0f]], [0.1f, 0.9f, 0f, 1e-10f], [0.5f]);
        Assert.Equal(0.925f, r[1][0], 6);
        Assert.Equal(1f - 0.0519875f, r[0][0], 5);
        // accum = 0.1 + 0.25 = 0.35; var = 1 − 0.1·0.5/√0.35 = 0.91548
        r = Apply("ApplyAdagrad", [[1f], [0.1f]], [0.1f], [0.5f]);
        Assert.Equal(0.35f, r[1][0], 6);
        Assert.Equal(0.9154845f, r[0][0], 5);
    }

    [Fact]
    public void Scalar_variables_stay_scalars_and_double_is_computed_in_double()
    {
        var b = new GraphBuilder();
        var v = b.Variable(Tensor.FromScalar(1.0), "v");
        var node = b.AddOperation("ApplyGradientDescent", [v.Ref, b.Placeholder(DataType.DtDouble, [], "a"), b.Placeholder(DataType.DtDouble, [], "g")]);
        var state = new SessionState();
        var slot = state.Variable("v");
        slot.Value = Tensor.FromScalar(1.0);
        var ctx = new OpKernelContext(node, [null, Tensor.FromScalar(0.1), Tensor.FromScalar(1e-9)], 1, state, [slot, null, null]);
        KernelRegistry.Default.Find("ApplyGradientDescent")!(node).Compute(ctx);
        Assert.Equal(0, slot.Value!.Shape.Rank);
        Assert.Equal(1.0 - 1e-10, slot.Value.Scalar<double>(), 15); // would round away in float
    }

    [Fact]
    public void Shape_mismatch_names_the_variable()
    {
        var e = Assert.Throws<GraphExecutionException>(() => Apply("ApplyGradientDescent", [[1f, 2f]], [0.1f], [0.5f]));
        Assert.Contains("grad has shape [1]", e.Message);
        Assert.Contains("'v0'", e.Message);
    }

    /// <summary>
    /// The rules run Vector&lt;T&gt;-wide with a scalar tail: on 37 elements (vector body + tail) every element must equal
    /// TF's per-element formula (training_ops.cc functors) evaluated here one element at a time in float, bit for bit.
    /// </summary>
    [Theory]
    [InlineData("ApplyGradientDescent", false)]
    [InlineData("ApplyMomentum", false)]
    [InlineData("ApplyMomentum", true)]
    [InlineData("ApplyAdam", false)]
    [InlineData("ApplyAdam", true)]
    [InlineData("ApplyRMSProp", false)]
    [InlineData("ApplyAdagrad", false)]
    public void Vectorized_update_equals_the_elementwise_formula_on_every_element(string op, bool nesterov)
    {
        const int n = 37;
        var r = new Random(op.Length * 7 + (nesterov ? 1 : 0));
        float[] Rand(float lo, float hi) => Enumerable.Range(0, n).Select(_ => lo + (float)r.NextDouble() * (hi - lo)).ToArray();
        float[] v = Rand(-1, 1), s0 = Rand(0.01f, 1), s1 = Rand(0.01f, 1), g = Rand(-1, 1);
        (float[][] vars, float[] scalars) = op switch
        {
            "ApplyGradientDescent" => (new[] { v }, new[] { 0.1f }),
            "ApplyMomentum" => (new[] { v, s0 }, new[] { 0.1f, 0.9f }),
            "ApplyAdam" => (new[] { v, s0, s1 }, new[] { 0.81f, 0.998001f, 0.01f, 0.9f, 0.999f, 1e-8f }),
            "ApplyRMSProp" => (new[] { v, s0, s1 }, new[] { 0.1f, 0.9f, 0.5f, 1e-10f }),
            _ => (new[] { v, s0 }, new[] { 0.1f }),
        };
        var attrs = op is "ApplyMomentum" or "ApplyAdam" ? new[] { ("use_nesterov", Attrs.Bool(nesterov)) } : [];
        var got = Apply(op, vars.Select(a => (float[])a.Clone()).ToArray(), scalars, g, attrs);
        for (int i = 0; i < n; i++)
        {
            float vi = v[i], a0 = s0[i], a1 = s1[i], gi = g[i];
            switch (op)
            {
                case "ApplyGradientDescent": vi -= 0.1f * gi; break;
                case "ApplyMomentum":
                    a0 = a0 * 0.9f + gi;
                    vi -= nesterov ? gi * 0.1f + a0 * 0.9f * 0.1f : 0.1f * a0;
                    break;
                case "ApplyAdam":
                    float lrT = 0.01f * MathF.Sqrt(1f - 0.998001f) / (1f - 0.81f);
                    a0 += (gi - a0) * (1f - 0.9f);
                    a1 += (gi * gi - a1) * (1f - 0.999f);
                    vi -= lrT * (nesterov ? a0 * 0.9f + (1f - 0.9f) * gi : a0) / (MathF.Sqrt(a1) + 1e-8f);
                    break;
                case "ApplyRMSProp":
                    a0 += (gi * gi - a0) * (1f - 0.9f);
                    a1 = a1 * 0.5f + 0.1f * gi / MathF.Sqrt(a0 + 1e-10f);
                    vi -= a1;
                    break;
                default:
                    a0 += gi * gi;
                    vi -= 0.1f * gi / MathF.Sqrt(a0);
                    break;
            }
            Assert.Equal(vi, got[0][i]);
            if (got.Length > 1) Assert.Equal(a0, got[1][i]);
            if (got.Length > 2 && op != "ApplyAdagrad") Assert.Equal(a1, got[2][i]);
        }
    }

    [Fact]
    public void Update_is_copy_on_write_a_tensor_read_before_keeps_its_values()
    {
        var b = new GraphBuilder();
        var v = b.Variable([20], new ZerosInitializer(), "v");
        var node = b.AddOperation("ApplyGradientDescent", [v.Ref, b.Placeholder(DataType.DtFloat, [], "a"), b.Placeholder(DataType.DtFloat, [20], "g")]);
        var state = new SessionState();
        var slot = state.Variable("v");
        var before = Tensor.Create(Enumerable.Range(0, 20).Select(i => (float)i).ToArray(), 20);
        slot.Value = before;
        var ctx = new OpKernelContext(node, [null, Tensor.FromScalar(1f), Tensor.Create(Enumerable.Repeat(1f, 20).ToArray(), 20)], 1, state, [slot, null, null]);
        KernelRegistry.Default.Find("ApplyGradientDescent")!(node).Compute(ctx);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => (float)i), before.ToArray<float>());
        Assert.Equal(Enumerable.Range(0, 20).Select(i => i - 1f), slot.Value!.ToArray<float>());
    }
}
