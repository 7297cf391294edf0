using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Training;
using static TypedGraph.Tests.Support.CentralDifferences;

namespace TypedGraph.Tests.Training;

/// <summary>
/// Gradients through TF1 control flow built by our <see cref="GraphBuilder"/>: a dynamic_rnn-style
/// <c>tf.while_loop</c> (input TensorArray unstacked, read per step, BasicRNNCell, output TensorArray written per step
/// and stacked) and <c>tf.cond</c>. Gradients are checked against central differences of a double-precision
/// reference written in the test; training steps against the hand-computed update.
/// </summary>
public class ControlFlowGradientTests
{
    private const int T = 5, B = 2, D = 3, H = 4;

    /// <summary>The RNN in TF 1.x's dynamic_rnn layout; returns (outputs [T,B,H], final state [B,H]).</summary>
    private static (Output Outputs, Output State) DynamicRnn(GraphBuilder b, Output x, Output w, Output bias)
    {
        using var _ = b.NameScope("rnn");
        var timeSteps = b.Constant(T, "time_steps");
        var outputTa = b.TensorArray(timeSteps, DataType.DtFloat, [B, H], tensorArrayName: "rnn/dynamic_rnn/output_0");
        var inputTa = b.TensorArray(timeSteps, DataType.DtFloat, [B, D], tensorArrayName: "rnn/dynamic_rnn/input_0");
        inputTa = b.TensorArrayUnstack(inputTa, x);
        var time = b.Constant(0, "time");
        var h0 = b.Constant(new float[B * H], [B, H], "zeros");
        var exits = b.WhileLoop(
            v => b.Less(v[0], timeSteps),
            v =>
            {
                var xt = b.TensorArrayRead(inputTa, v[0]);
                Output h;
                using (b.NameScope("basic_rnn_cell"))
                    h = b.Tanh(b.BiasAdd(b.MatMul(b.Concat([xt, v[2]], 1), w), bias));
                var written = b.TensorArrayWrite(outputTa.WithFlow(v[1]), v[0], h);
                return [b.Add(v[0], 1), written.Flow, h];
            },
            [time, outputTa.Flow, h0]);
        return (b.TensorArrayStack(outputTa.WithFlow(exits[1])), exits[2]);
    }

    /// <summary>Reference forward in doubles: L = Σ c1 ⊙ outputs + Σ c2 ⊙ final state.</summary>
    private static double Loss(double[] x, double[] w, double[] bias, double[] c1, double[]? c2)
    {
        var h = new double[B * H];
        double loss = 0;
        for (int t = 0; t < T; t++)
        {
            var next = new double[B * H];
            for (int bi = 0; bi < B; bi++)
                for (int k = 0; k < H; k++)
                {
                    double s = bias[k];
                    for (int d = 0; d < D; d++) s += x[(t * B + bi) * D + d] * w[d * H + k];
                    for (int j = 0; j < H; j++) s += h[bi * H + j] * w[(D + j) * H + k];
                    next[bi * H + k] = Math.Tanh(s);
                }
            h = next;
            for (int i = 0; i < B * H; i++) loss += c1[t * B * H + i] * h[i];
        }
        if (c2 != null) for (int i = 0; i < B * H; i++) loss += c2[i] * h[i];
        return loss;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void DynamicRnnWhileLoop_GradientsOfWeightsBiasAndInputs_MatchFiniteDifferences(bool lossUsesFinalState)
    {
        var rng = new Random(lossUsesFinalState ? 5 : 6);
        var xv = Rand(rng, T * B * D, 1.0);
        var wv = Rand(rng, (D + H) * H, 0.7);
        var bv = Rand(rng, H, 0.3);
        var c1 = Rand(rng, T * B * H, 1.0);
        var c2 = lossUsesFinalState ? Rand(rng, B * H, 1.0) : null;

        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [T, B, D], "inputs");
        var w = b.Placeholder(DataType.DtFloat, [D + H, H], "kernel");
        var bias = b.Placeholder(DataType.DtFloat, [H], "bias");
        var (outputs, state) = DynamicRnn(b, x, w, bias);
        var loss = b.ReduceSum(b.Multiply(outputs, b.Constant(c1, [T, B, H], "c1")), [0, 1, 2]);
        if (c2 != null) loss = b.Add(loss, b.ReduceSum(b.Multiply(state, b.Constant(c2, [B, H], "c2")), [0, 1]));
        var grads = Gradients.Compute(b, [loss], [w, bias, x]);
        Assert.All(grads, g => Assert.NotNull(g));

        using var s = new Session(b.Graph);
        var feeds = new Dictionary<string, Tensor> { ["inputs:0"] = Tensor.Create(xv, T, B, D), ["kernel:0"] = Tensor.Create(wv, D + H, H), ["bias:0"] = Tensor.Create(bv, H) };
        var r = s.Run([loss.Name, grads[0]!.Value.Name, grads[1]!.Value.Name, grads[2]!.Value.Name], feeds);
        double[] xd = D64(xv), wd = D64(wv), bd = D64(bv), c1d = D64(c1);
        var c2d = c2 == null ? null : D64(c2);
        Assert.Equal(Loss(xd, wd, bd, c1d, c2d), r[0].ToArray<float>()[0], 4);
        AssertClose(Numeric(p => Loss(xd, p, bd, c1d, c2d), wd), r[1].ToArray<float>(), "dL/dkernel");
        AssertClose(Numeric(p => Loss(xd, wd, p, c1d, c2d), bd), r[2].ToArray<float>(), "dL/dbias");
        AssertClose(Numeric(p => Loss(p, wd, bd, c1d, c2d), xd), r[3].ToArray<float>(), "dL/dinputs");

        // A second run of the same session: stacks and gradient TensorArrays are per run, so nothing leaks over.
        var again = s.Run([grads[0]!.Value.Name], feeds)[0].ToArray<float>();
        Assert.Equal(r[1].ToArray<float>(), again);
    }

    [Fact]
    public void GradientGraph_HasTf1LoopLayout_CounterLoopsStacksAndGradientArrays()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [T, B, D], "inputs");
        var w = b.Placeholder(DataType.DtFloat, [D + H, H], "kernel");
        var bias = b.Placeholder(DataType.DtFloat, [H], "bias");
        var (outputs, _) = DynamicRnn(b, x, w, bias);
        Gradients.Compute(b, [b.ReduceSum(outputs, [0, 1, 2])], [w]);
        var g = b.Graph;
        Node N(string name) => g.GetNode(name);
        Assert.Equal("Enter", N("rnn/while/Enter").Op);
        Assert.Equal("rnn/while/while_context", N("rnn/while/Enter").GetString("frame_name"));
        Assert.False(N("rnn/while/Enter").GetBool("is_constant"));
        Assert.Equal(["rnn/while/Enter", "rnn/while/NextIteration"], N("rnn/while/Merge").Inputs.Select(i => i.NodeName));
        Assert.Equal("LoopCond", N("rnn/while/LoopCond").Op);
        Assert.True(N("rnn/while/Less/Enter").GetBool("is_constant"));
        Assert.True(N("rnn/while/TensorArrayReadV3/Enter").GetBool("is_constant"));
        // The forward counter added by the gradient, and the backward loop counting down from it.
        Assert.Equal("Exit", N("gradients/f_count_2").Op);
        Assert.Equal("rnn/while/while_context", N("gradients/f_count_1").GetString("frame_name"));
        Assert.Equal("LoopCond", N("gradients/b_count_2").Op);
        Assert.Equal("gradients/rnn/while/while_context", N("gradients/b_count_1").GetString("frame_name"));
        Assert.Equal("Exit", N("gradients/b_count_3").Op);
        var ops = g.Nodes.GroupBy(n => n.Op).ToDictionary(e => e.Key, e => e.ToList());
        Assert.True(ops["StackV2"].Count >= 1);
        Assert.Equal(ops["StackV2"].Count, ops["StackPushV2"].Count);
        Assert.Equal(ops["StackV2"].Count, ops["StackPopV2"].Count);
        // Every push runs after the forward counter's Add and before its NextIteration (the layout of TF 1.4's
        // char_rnn_tensorarray fixture: StackPushV2 has ^gradients/Add, gradients/NextIteration has ^each push);
        // every pop waits for the backward counter.
        var counterAdd = g.Nodes.Single(n => n.Op == "Add" && n.Inputs.Any(i => i.NodeName == "gradients/Switch"));
        var counterNext = g.Nodes.Single(n => n.Op == "NextIteration" && n.Inputs[0].NodeName == counterAdd.Name);
        Assert.All(ops["StackPushV2"], p => Assert.Contains(counterAdd.Name, p.ControlInputs));
        Assert.All(ops["StackPushV2"], p => Assert.Contains(p.Name, counterNext.ControlInputs));
        Assert.All(ops["StackPopV2"], p => Assert.Contains("gradients/Sub", p.ControlInputs));
        Assert.All(ops["TensorArrayGradV3"], n => Assert.Equal("gradients", n.GetString("source")));
        Assert.Contains(g.Nodes, n => n.Name.EndsWith("_grad/b_exit") && n.Op == "Enter");
        Assert.Contains(g.Nodes, n => n.Name.EndsWith("_grad/b_switch") && n.Op == "Merge");
        Assert.Contains(g.Nodes, n => n.Name.Contains("Enter_grad/b_acc") && n.Op == "Enter" && n.GetString("frame_name") == "gradients/rnn/while/while_context");
    }

    [Fact]
    public void TrainingThroughTheLoop_FirstStepIsTheHandUpdate_AndLossFalls()
    {
        var rng = new Random(11);
        var xv = Rand(rng, T * B * D, 1.0);
        var w0 = Rand(rng, (D + H) * H, 0.5);
        var b0 = Rand(rng, H, 0.3);
        var target = Rand(rng, T * B * H, 0.8);
        const double lr = 0.05;

        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [T, B, D], "inputs");
        var w = b.Variable(Tensor.Create(w0, D + H, H), "rnn/basic_rnn_cell/kernel");
        var bias = b.Variable(Tensor.Create(b0, H), "rnn/basic_rnn_cell/bias");
        var (outputs, _) = DynamicRnn(b, x, w.Snapshot, bias.Snapshot);
        var diff = b.Subtract(outputs, b.Constant(target, [T, B, H], "target"));
        var loss = b.ReduceSum(b.Square(diff), [0, 1, 2]);
        var train = new GradientDescentOptimizer(lr).Minimize(b, loss);
        var init = b.GlobalVariablesInitializer();

        // Hand reference: L = Σ (h - target)² = Σ h² - 2 Σ target·h + const, so its gradient is that of
        // Loss(c1 = -2·target) plus the h² part; computed here directly by central differences.
        double[] xd = D64(xv), td = D64(target);
        double Reference(double[] wv, double[] bv)
        {
            var h = new double[B * H];
            double l = 0;
            for (int t = 0; t < T; t++)
            {
                var next = new double[B * H];
                for (int bi = 0; bi < B; bi++)
                    for (int k = 0; k < H; k++)
                    {
                        double s = bv[k];
                        for (int d = 0; d < D; d++) s += xd[(t * B + bi) * D + d] * wv[d * H + k];
                        for (int j = 0; j < H; j++) s += h[bi * H + j] * wv[(D + j) * H + k];
                        next[bi * H + k] = Math.Tanh(s);
                    }
                h = next;
                for (int i = 0; i < B * H; i++) l += (h[i] - td[t * B * H + i]) * (h[i] - td[t * B * H + i]);
            }
            return l;
        }

        using var s = new Session(b.Graph);
        s.RunTargets(init.Name);
        var feeds = new Dictionary<string, Tensor> { ["inputs:0"] = Tensor.Create(xv, T, B, D) };
        double[] wd = D64(w0), bd = D64(b0);
        var gw = Numeric(p => Reference(p, bd), wd);
        var gb = Numeric(p => Reference(wd, p), bd);
        var losses = new List<float>();
        for (int step = 0; step < 5; step++)
        {
            losses.Add(s.Run([loss.Name], feeds, [train.Name])[0].ToArray<float>()[0]);
            if (step == 0)
            {
                Assert.Equal(Reference(wd, bd), losses[0], 3);
                var w1 = s.Run([w.Snapshot.Name])[0].ToArray<float>();
                var b1 = s.Run([bias.Snapshot.Name])[0].ToArray<float>();
                AssertClose(wd.Select((v, i) => v - lr * gw[i]).ToArray(), w1, "kernel after one step", 1e-5);
                AssertClose(bd.Select((v, i) => v - lr * gb[i]).ToArray(), b1, "bias after one step", 1e-5);
            }
        }
        for (int i = 1; i < losses.Count; i++) Assert.True(losses[i] < losses[i - 1], $"loss rose at step {i}: {string.Join(", ", losses)}");
    }

    /// <summary>y = cond(p, x·x·w, tanh(x)·w + x): gradients of Σy for both branches vs central differences; the
    /// untaken branch contributes zeros (its Switch outputs are dead, cond_grad merges the live one).</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Cond_GradientsOfBothOperands_MatchFiniteDifferencesOnEachBranch(bool takeTrue)
    {
        var b = new GraphBuilder();
        var p = b.Placeholder(DataType.DtBool, [], "p");
        var x = b.Placeholder(DataType.DtFloat, [3], "x");
        var w = b.Placeholder(DataType.DtFloat, [3], "w");
        var y = b.Cond(p,
            () => [b.Multiply(b.Multiply(x, x), w)],
            () => [b.Add(b.Multiply(b.Tanh(x), w), x)])[0];
        var loss = b.ReduceSum(y, [0]);
        var grads = Gradients.Compute(b, [loss], [x, w]);
        Assert.Equal("Merge", b.Graph.GetNode(y.NodeName).Op);
        Assert.Contains(b.Graph.Nodes, n => n.Name == "gradients/cond/Merge_grad/cond_grad" && n.Op == "Switch");

        double[] xv = [0.3, -0.7, 1.1], wv = [0.5, -1.2, 0.8];
        double F(double[] xs, double[] ws) => Enumerable.Range(0, 3).Sum(i => takeTrue ? xs[i] * xs[i] * ws[i] : Math.Tanh(xs[i]) * ws[i] + xs[i]);
        using var s = new Session(b.Graph);
        var r = s.Run([loss.Name, grads[0]!.Value.Name, grads[1]!.Value.Name], new Dictionary<string, Tensor>
        {
            ["p:0"] = Tensor.FromScalar(takeTrue),
            ["x:0"] = Tensor.Create(xv.Select(v => (float)v).ToArray(), 3),
            ["w:0"] = Tensor.Create(wv.Select(v => (float)v).ToArray(), 3),
        });
        Assert.Equal(F(xv, wv), r[0].ToArray<float>()[0], 5);
        AssertClose(Numeric(a => F(a, wv), xv), r[1].ToArray<float>(), "dL/dx");
        AssertClose(Numeric(a => F(xv, a), wv), r[2].ToArray<float>(), "dL/dw");
    }

    [Fact]
    public void WhileLoop_BodyReturningTheWrongDType_IsRejectedNamingTheVariable()
    {
        var b = new GraphBuilder();
        var ex = Assert.Throws<ArgumentException>(() => b.WhileLoop(v => b.Less(v[0], b.Constant(3)), v => [b.Constant(1f)], [b.Constant(0)]));
        Assert.Contains("Loop variable 0", ex.Message);
    }

    [Fact]
    public void GradientsThroughAnImportedLoop_ReportThatTheLoopNeedsItsBuilderContext()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [], "x");
        var exits = b.WhileLoop(v => b.Less(v[0], b.Constant(3)), v => [b.Add(v[0], 1), b.Multiply(v[1], v[1])], [b.Constant(0), x]);
        var imported = new GraphBuilder(new Graph(b.Graph.Def.Clone()));
        var ex = Assert.Throws<NotSupportedException>(() => Gradients.Compute(imported, [imported.GetTensor(exits[1].Name)], [imported.GetTensor("x:0")]));
        Assert.Contains("GraphBuilder.WhileLoop", ex.Message);
    }
}
