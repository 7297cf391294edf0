using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Training;

namespace TypedGraph.Tests.Training;

public class OptimizerTests
{
    // y = 3x + 1 on 8 points; model w·x + b with a mean squared error.
    private static (GraphBuilder B, Output Loss, Variable W, Variable Bias) Regression()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [-1, 1], "x");
        var y = b.Placeholder(DataType.DtFloat, [-1, 1], "y");
        var w = b.Variable([1, 1], new ZerosInitializer(), "w");
        var bias = b.Variable([1], new ZerosInitializer(), "b");
        var pred = b.Add(b.MatMul(x, w.Snapshot), bias.Snapshot);
        var loss = b.ReduceMean(b.Square(b.Subtract(pred, y)), [0, 1]);
        return (b, loss, w, bias);
    }

    private static (string, Tensor)[] Data()
    {
        var xs = Enumerable.Range(0, 8).Select(i => i / 4f - 1f).ToArray();
        return [("x:0", Tensor.Create(xs, 8, 1)), ("y:0", Tensor.Create(xs.Select(v => 3 * v + 1).ToArray(), 8, 1))];
    }

    public static TheoryData<string> Names => new() { "GradientDescent", "Momentum", "Nesterov", "Adam", "RMSProp", "Adagrad" };

    private static Optimizer Make(string name) => name switch
    {
        "GradientDescent" => new GradientDescentOptimizer(0.1),
        "Momentum" => new MomentumOptimizer(0.05, 0.9),
        "Nesterov" => new MomentumOptimizer(0.05, 0.9, useNesterov: true),
        "Adam" => new AdamOptimizer(0.1),
        "RMSProp" => new RMSPropOptimizer(0.05),
        _ => new AdagradOptimizer(0.5),
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void Every_optimizer_reduces_the_loss_and_counts_global_step(string name)
    {
        var (b, loss, _, _) = Regression();
        var step = b.GetOrCreateGlobalStep();
        var train = Make(name).Minimize(b, loss, step);
        Assert.Equal([train.Name], b.Collections.GetNames(GraphCollections.TrainOp));
        b.GlobalVariablesInitializer();
        using var s = new Session(b.Graph);
        s.Initialize();
        var feeds = Data().ToDictionary(p => p.Item1, p => p.Item2);
        float first = s.Run([loss.Name], feeds)[0].Scalar<float>();
        for (int i = 0; i < 60; i++) s.Run([], feeds, [train.Name]);
        float last = s.Run([loss.Name], feeds)[0].Scalar<float>();
        Assert.True(last < first * 0.2f, $"{name}: loss {first} → {last}");
        Assert.Equal(60L, s.Run("global_step:0").Scalar<long>());
    }

    [Fact]
    public void Adam_creates_TF_named_slots_and_beta_powers()
    {
        var (b, loss, w, bias) = Regression();
        var step = b.GetOrCreateGlobalStep();
        var adam = new AdamOptimizer(0.01);
        var train = adam.Minimize(b, loss, step);
        Assert.Equal("Adam", train.Name);
        Assert.Equal("AssignAdd", train.Op);
        Assert.Equal(["global_step", "Adam/value"], train.Def.Input);
        Assert.Equal(["b/Adam", "b/Adam_1", "beta1_power", "beta2_power", "w/Adam", "w/Adam_1"],
            b.GlobalVariables.Select(v => v.Name).Where(n => n.Contains("Adam") || n.Contains("power")).Order(StringComparer.Ordinal));
        Assert.Equal(["b/Adam/Initializer/zeros", "b/Adam", "b/Adam/Assign", "b/Adam/read"], b.Graph.Nodes.Select(n => n.Name).Where(n => n.StartsWith("b/Adam", StringComparison.Ordinal) && !n.StartsWith("b/Adam_1", StringComparison.Ordinal)));
        Assert.Equal(["loc:@b"], b.GetOperation("beta1_power").GetStrings("_class")); // colocated with the first var by name
        var apply = b.GetOperation("Adam/update_w/ApplyAdam");
        Assert.Equal(["w", "w/Adam", "w/Adam_1", "beta1_power/read", "beta2_power/read", "Adam/learning_rate", "Adam/beta1", "Adam/beta2", "Adam/epsilon", "gradients/MatMul_grad/tuple/control_dependency_1"], apply.Def.Input);
        Assert.Equal(["beta1_power/read", "Adam/beta1", "^Adam/update_w/ApplyAdam", "^Adam/update_b/ApplyAdam"], b.GetOperation("Adam/mul").Def.Input);
        Assert.Equal(["beta1_power", "Adam/mul"], b.GetOperation("Adam/Assign").Def.Input);
        Assert.Equal("NoOp", b.GetOperation("Adam/update").Op);
        Assert.Same(adam.GetSlot(w, "m"), b.GlobalVariables.Single(v => v.Name == "w/Adam"));
        Assert.DoesNotContain(b.TrainableVariables, v => v.Name.Contains("Adam"));
    }

    [Fact]
    public void One_Adam_step_matches_the_hand_computed_update()
    {
        var (b, loss, w, bias) = Regression();
        var train = new AdamOptimizer(0.1).Minimize(b, loss);
        b.GlobalVariablesInitializer();
        using var s = new Session(b.Graph);
        s.Initialize();
        var feeds = Data().ToDictionary(p => p.Item1, p => p.Item2);
        // At w = 0, b = 0: grad_w = mean(2(wx + b − y)x) = −2·mean(y·x), grad_b = −2·mean(y).
        var xs = Enumerable.Range(0, 8).Select(i => i / 4.0 - 1).ToArray();
        double gw = -2 * xs.Average(v => (3 * v + 1) * v), gb = -2 * xs.Average(v => 3 * v + 1);
        s.Run([], feeds, [train.Name]);
        // Step 1: beta powers 0.9 / 0.999 → lr_t = 0.1·√0.001/0.1; m = 0.1g; v = 0.001g²; Δ = −lr_t·m/(√v + ε).
        double Update(double g) => -(0.1 * Math.Sqrt(1 - 0.999) / (1 - 0.9)) * (0.1 * g) / (Math.Sqrt(0.001 * g * g) + 1e-8);
        Assert.Equal(Update(gw), s.Run("w/read:0").ToArray<float>()[0], 5);
        Assert.Equal(Update(gb), s.Run("b/read:0").ToArray<float>()[0], 5);
        Assert.Equal(0.81f, s.Run("beta1_power/read:0").Scalar<float>(), 6);
        Assert.Equal(0.998001f, s.Run("beta2_power/read:0").Scalar<float>(), 6);
    }

    [Fact]
    public void Slot_names_follow_TF()
    {
        foreach (var (opt, slots) in new (Optimizer, string[])[]
        {
            (new MomentumOptimizer(0.1, 0.9), ["w/Momentum"]),
            (new RMSPropOptimizer(0.1), ["w/RMSProp", "w/RMSProp_1"]),
            (new AdagradOptimizer(0.1), ["w/Adagrad"]),
        })
        {
            var (b, loss, w, _) = Regression();
            opt.Minimize(b, loss, varList: [w]);
            Assert.Equal(slots, b.GlobalVariables.Select(v => v.Name).Where(n => n.StartsWith("w/", StringComparison.Ordinal)));
            Assert.Contains(b.Graph.Nodes, n => n.Name == $"{opt.Name}/update_w/Apply{opt.Name}");
        }
    }

    [Fact]
    public void Minimize_with_no_path_to_the_variables_fails_clearly()
    {
        var b = new GraphBuilder();
        var w = b.Variable([1], new ZerosInitializer(), "w");
        var x = b.Placeholder(DataType.DtFloat, [1], "x");
        var e = Assert.Throws<ArgumentException>(() => new GradientDescentOptimizer(0.1).Minimize(b, b.ReduceSum(x, [0]), varList: [w]));
        Assert.Contains("No gradients provided", e.Message);
        Assert.Contains("w", e.Message);
    }
}
