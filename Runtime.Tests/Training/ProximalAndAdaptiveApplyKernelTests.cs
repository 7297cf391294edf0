using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Tests.Training;

/// <summary>
/// The Apply*/ResourceApply* optimizers added after TF's <c>training_ops.cc</c> CPU functors: three steps of each, run
/// through a Session on resource variables (and the ref form where TF has one), against the functor's update written
/// here in double from the training_ops.cc expressions (ApplyAdadelta, ApplyProximalGradientDescent,
/// ApplyProximalAdagrad, ApplyFtrl/ApplyFtrlV2 (+MultiplyLinearByLr), ApplyCenteredRMSProp, ApplyAdaMax,
/// ApplyAdamWithAmsgrad, ApplyKerasMomentum, ApplyPowerSign, ApplyAddSign).
/// </summary>
public sealed class ProximalAndAdaptiveApplyKernelTests
{
    private static readonly double[][] Grads = [[0.5, -1.5, 0.0, 2.0], [-0.25, 0.75, 1.0, 0.5], [0.125, -0.5, -2.0, 1.0]];

    /// <summary>Runs <paramref name="op"/> three times (gradients <see cref="Grads"/>) on variables starting at
    /// <paramref name="init"/>, ref or resource form, and returns the final var and slots.</summary>
    private static float[][] Run(string op, bool resource, double[][] init, double[] scalars, int gradIndex, params (string, AttrValue)[] attrs)
    {
        var b = new GraphBuilder();
        var handles = new List<Output>();
        var assigns = new List<string>();
        var reads = new List<string>();
        for (int i = 0; i < init.Length; i++)
        {
            var v = resource ? b.ResourceVariable([4], new ZerosInitializer(), "v" + i) : b.Variable([4], new ZerosInitializer(), "v" + i);
            var value = b.Constant(Tensor.Create(init[i].Select(x => (float)x).ToArray(), 4), "init" + i);
            assigns.Add(resource
                ? b.AddOperation("AssignVariableOp", [v.Ref, value], new Dictionary<string, AttrValue> { ["dtype"] = Attrs.Type(DataType.DtFloat) }, "set" + i).Name
                : b.AddOperation("Assign", [v.Ref, value], null, "set" + i).Name);
            handles.Add(v.Ref);
            reads.Add(v.Snapshot.Name);
        }
        var g = b.Placeholder(DataType.DtFloat, [4], "g");
        var ins = new List<Output>(handles);
        ins.AddRange(scalars.Select((s, i) => b.Constant(Tensor.FromScalar((float)s), "s" + i)));
        ins.Insert(gradIndex < 0 ? ins.Count : gradIndex, g);
        var apply = b.AddOperation((resource ? "Resource" : "") + op, ins, attrs.ToDictionary(a => a.Item1, a => a.Item2), "apply");
        using var s = new Session(b.Graph);
        s.RunTargets(assigns.ToArray());
        foreach (var grad in Grads)
            s.Run([], new Dictionary<string, Tensor> { ["g:0"] = Tensor.Create(grad.Select(x => (float)x).ToArray(), 4) }, [apply.Name]);
        return s.Run(reads).Select(t => t.ToArray<float>()).ToArray();
    }

    private delegate void Step(double[] v, double[][] slots, double g, int i);

    private static double[][] Reference(double[][] init, Step step)
    {
        var w = init.Select(x => (double[])x.Clone()).ToArray();
        foreach (var grad in Grads)
            for (int i = 0; i < 4; i++) step(w[0], w, grad[i], i);
        return w;
    }

    private static void AssertMatches(double[][] expected, float[][] actual)
    {
        for (int k = 0; k < expected.Length; k++)
            for (int i = 0; i < 4; i++)
                Assert.True(Math.Abs(expected[k][i] - actual[k][i]) <= 1e-5 * Math.Max(1, Math.Abs(expected[k][i])), $"slot {k}[{i}]: expected {expected[k][i]}, got {actual[k][i]}");
    }

    private static double Sign(double x) => x > 0 ? 1 : x < 0 ? -1 : 0;

    private static void Check(string op, double[][] init, double[] scalars, int gradIndex, bool refForm, Step step, params (string, AttrValue)[] attrs)
    {
        var expected = Reference(init, step);
        AssertMatches(expected, Run(op, resource: true, init, scalars, gradIndex, attrs));
        if (refForm) AssertMatches(expected, Run(op, resource: false, init, scalars, gradIndex, attrs));
    }

    private static readonly double[] V0 = [1.0, -0.5, 0.25, 2.0];

    [Fact]
    public void Adadelta_matches_the_training_ops_functor()
    {
        double lr = 0.5, rho = 0.9, eps = 1e-3;
        Check("ApplyAdadelta", [V0, [0.1, 0.2, 0.3, 0.4], [0.01, 0.02, 0.0, 0.5]], [lr, rho, eps], -1, true, (v, s, g, i) =>
        {
            s[1][i] = s[1][i] * rho + g * g * (1 - rho);
            double update = Math.Sqrt(s[2][i] + eps) / Math.Sqrt(s[1][i] + eps) * g;
            v[i] -= update * lr;
            s[2][i] = s[2][i] * rho + update * update * (1 - rho);
        });
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.3)]
    public void ProximalGradientDescent_and_ProximalAdagrad_apply_the_l1_l2_shrinkage(double l1)
    {
        double alpha = 0.2, l2 = 0.1;
        Check("ApplyProximalGradientDescent", [V0], [alpha, l1, l2], -1, true, (v, s, g, i) =>
        {
            double prox = v[i] - g * alpha;
            v[i] = l1 > 0 ? Sign(prox) * Math.Max(Math.Abs(prox) - alpha * l1, 0) / (1 + alpha * l2) : prox / (1 + alpha * l2);
        });
        Check("ApplyProximalAdagrad", [V0, [0.1, 0.1, 0.1, 0.1]], [alpha, l1, l2], -1, true, (v, s, g, i) =>
        {
            s[1][i] += g * g;
            double eta = alpha / Math.Sqrt(s[1][i]);
            double prox = v[i] - g * eta;
            v[i] = l1 > 0 ? Sign(prox) * Math.Max(Math.Abs(prox) - eta * l1, 0) / (1 + l2 * eta) : prox / (1 + l2 * eta);
        });
    }

    [Theory]
    [InlineData(-0.5, false, false)]
    [InlineData(-0.7, false, false)]
    [InlineData(-0.5, true, false)]
    [InlineData(-0.5, false, true)]
    [InlineData(-0.3, true, true)]
    public void Ftrl_and_FtrlV2_match_the_training_ops_functor(double lrPower, bool v2, bool multiplyByLr)
    {
        double lr = 0.3, l1 = 0.05, l2 = 0.2, shrink = 0.1;
        double[] scalars = v2 ? [lr, l1, l2, shrink, lrPower] : [lr, l1, l2, lrPower];
        Check(v2 ? "ApplyFtrlV2" : "ApplyFtrl", [V0, [0.1, 0.2, 0.3, 0.4], [0.0, 0.5, -0.5, 1.0]], scalars, 3, true, (v, s, g, i) =>
        {
            double gs = v2 ? g + 2 * shrink * v[i] : g;
            double acc = s[1][i], newAcc = acc + g * g;
            double sigma = Math.Pow(newAcc, -lrPower) - Math.Pow(acc, -lrPower);
            double l1Eff = multiplyByLr ? l1 * lr : l1;
            s[2][i] += multiplyByLr ? gs * lr - sigma * v[i] : gs - sigma / lr * v[i];
            double lin = s[2][i];
            double y = multiplyByLr ? Math.Pow(newAcc, -lrPower) + 2 * l2 * lr : Math.Pow(newAcc, -lrPower) / lr + 2 * l2;
            v[i] = Math.Abs(lin) > l1Eff ? (l1Eff * Sign(lin) - lin) / y : 0;
            s[1][i] = newAcc;
        }, ("multiply_linear_by_lr", Attrs.Bool(multiplyByLr)));
    }

    [Fact]
    public void CenteredRMSProp_matches_the_training_ops_functor()
    {
        double lr = 0.01, rho = 0.9, momentum = 0.5, eps = 1e-2;
        Check("ApplyCenteredRMSProp", [V0, [0.0, 0.1, -0.1, 0.0], [1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.1, 0.0]], [lr, rho, momentum, eps], -1, true, (v, s, g, i) =>
        {
            s[2][i] += (g * g - s[2][i]) * (1 - rho);
            s[1][i] += (g - s[1][i]) * (1 - rho);
            double denom = s[2][i] - s[1][i] * s[1][i] + eps;
            s[3][i] = s[3][i] * momentum + g * lr / Math.Sqrt(denom);
            v[i] -= s[3][i];
        });
    }

    [Fact]
    public void AdaMax_and_AdamWithAmsgrad_match_the_training_ops_functors()
    {
        double b1p = 0.9, b2p = 0.999, lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-7;
        Check("ApplyAdaMax", [V0, [0.0, 0.1, 0.0, -0.1], [0.0, 0.5, 0.1, 0.0]], [b1p, lr, b1, b2, eps], -1, true, (v, s, g, i) =>
        {
            s[1][i] += (g - s[1][i]) * (1 - b1);
            s[2][i] = Math.Max(b2 * s[2][i], Math.Abs(g));
            v[i] -= lr / (1 - b1p) * (s[1][i] / (s[2][i] + eps));
        });
        double alpha = lr * Math.Sqrt(1 - b2p) / (1 - b1p);
        // TF has no ref ApplyAdamWithAmsgrad; vhat starts above v in one element so the max matters.
        Check("ApplyAdamWithAmsgrad", [V0, [0.0, 0.0, 0.1, 0.0], [0.0, 0.0, 0.0, 0.1], [0.0, 3.0, 0.0, 0.0]], [b1p, b2p, lr, b1, b2, eps], -1, false, (v, s, g, i) =>
        {
            s[1][i] += (g - s[1][i]) * (1 - b1);
            s[2][i] += (g * g - s[2][i]) * (1 - b2);
            s[3][i] = Math.Max(s[3][i], s[2][i]);
            v[i] -= alpha * s[1][i] / (Math.Sqrt(s[3][i]) + eps);
        });
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void KerasMomentum_matches_the_training_ops_functor(bool nesterov)
    {
        double lr = 0.1, momentum = 0.9;
        Check("ApplyKerasMomentum", [V0, [0.0, 0.2, 0.0, -0.2]], [lr, momentum], 3, false, (v, s, g, i) =>
        {
            s[1][i] = s[1][i] * momentum - g * lr;
            v[i] += nesterov ? s[1][i] * momentum - g * lr : s[1][i];
        }, ("use_nesterov", Attrs.Bool(nesterov)));
    }

    [Fact]
    public void PowerSign_and_AddSign_match_the_training_ops_functors()
    {
        double lr = 0.1, logbase = Math.Log(2), alpha = 1.0, decay = 0.9, beta = 0.8;
        Check("ApplyPowerSign", [V0, [0.0, 1.0, -1.0, 0.0]], [lr, logbase, decay, beta], -1, true, (v, s, g, i) =>
        {
            s[1][i] = s[1][i] * beta + g * (1 - beta);
            v[i] -= lr * Math.Exp(logbase * decay * Sign(g) * Sign(s[1][i])) * g;
        });
        Check("ApplyAddSign", [V0, [0.0, 1.0, -1.0, 0.0]], [lr, alpha, decay, beta], -1, true, (v, s, g, i) =>
        {
            s[1][i] = s[1][i] * beta + g * (1 - beta);
            v[i] -= lr * (alpha + decay * Sign(g) * Sign(s[1][i])) * g;
        });
    }

    [Fact]
    public void A_scalar_input_of_the_wrong_shape_names_the_input()
    {
        var e = Assert.Throws<GraphExecutionException>(RunWithVectorLr);
        Assert.Contains("input 3 ('lr", e.Message);
        Assert.Contains("scalar, got", e.Message);
    }

    private static void RunWithVectorLr()
    {
        var b = new GraphBuilder();
        var v = b.ResourceVariable([2], new ZerosInitializer(), "v");
        var a = b.ResourceVariable([2], new ZerosInitializer(), "a");
        var u = b.ResourceVariable([2], new ZerosInitializer(), "u");
        var lr = b.Constant(Tensor.Create(new[] { 0.1f, 0.2f }, 2), "lr");
        var sc = b.Constant(Tensor.FromScalar(0.9f), "rho");
        var grad = b.Constant(Tensor.Create(new[] { 1f, 1f }, 2), "grad");
        var apply = b.AddOperation("ResourceApplyAdadelta", [v.Ref, a.Ref, u.Ref, lr, sc, sc, grad], null, "apply");
        using var s = new Session(b.Graph);
        s.RunTargets(v.InitializerName, a.InitializerName, u.InitializerName);
        s.RunTargets(apply.Name);
    }
}
