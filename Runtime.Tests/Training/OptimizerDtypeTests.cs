using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Training;

namespace TypedGraph.Tests.Training;

/// <summary>
/// float64 variables train with every optimizer (issue 9 items 8, 9): the float32 hyper-parameters are cast to the
/// variable's dtype as TF's <c>_apply_dense</c> does, and each step equals a reference update computed here in double
/// from the optimizer's formula; a resource-variable <c>global_step</c> is advanced by <c>AssignAddVariableOp</c>.
/// </summary>
public sealed class OptimizerDtypeTests
{
    private static readonly double[] Start = [0.5, -1.25, 2.0];
    private static readonly double[] Target = [1.0, 0.25, -0.5];

    // loss = Σ (w − target)²  ⇒  g = 2 (w − target), in float64 throughout.
    private static (GraphBuilder B, Output Loss, Variable W) Quadratic(bool resource)
    {
        var b = new GraphBuilder();
        var w = resource
            ? b.ResourceVariable([3], new ConstantInitializer(0), "w", DataType.DtDouble)
            : b.Variable(Tensor.Create(Start, 3), "w");
        // (a resource read has no static shape; the Reshape gives the loss a known rank for the Sum gradient)
        var d = b.Reshape(b.Subtract(w.Snapshot, b.Constant(Tensor.Create(Target, 3), "target")), [3], "d");
        return (b, b.ReduceSum(b.Multiply(d, d), [0]), w);
    }

    // Hyper-parameters are float32 constants in the graph (as in TF), so the reference uses their float32 values.
    private static double F(double v) => (float)v;

    private static double[] Reference(string name, int steps)
    {
        var w = (double[])Start.Clone();
        var s1 = new double[3];
        var s2 = new double[3];
        if (name == "Adagrad") Array.Fill(s1, 0.1);
        if (name == "RMSProp") Array.Fill(s1, 1.0);
        float b1p = 0.9f, b2p = 0.999f; // Adam's beta powers stay float32 variables (TF's non-slot variables)
        for (int t = 0; t < steps; t++)
        {
            for (int i = 0; i < 3; i++)
            {
                double g = 2 * (w[i] - Target[i]);
                switch (name)
                {
                    case "Momentum":
                        s1[i] = s1[i] * F(0.9) + g;
                        w[i] -= F(0.05) * s1[i];
                        break;
                    case "Adagrad":
                        s1[i] += g * g;
                        w[i] -= F(0.3) * g / Math.Sqrt(s1[i]);
                        break;
                    case "RMSProp":
                        s1[i] = F(0.9) * s1[i] + (1 - F(0.9)) * g * g;
                        s2[i] = F(0.5) * s2[i] + F(0.05) * g / Math.Sqrt(s1[i] + F(1e-10));
                        w[i] -= s2[i];
                        break;
                    case "Adam":
                        double lrT = F(0.1) * Math.Sqrt(1 - (double)b2p) / (1 - (double)b1p);
                        s1[i] = F(0.9) * s1[i] + (1 - F(0.9)) * g;
                        s2[i] = F(0.999) * s2[i] + (1 - F(0.999)) * g * g;
                        w[i] -= lrT * s1[i] / (Math.Sqrt(s2[i]) + F(1e-8));
                        break;
                    default:
                        w[i] -= F(0.1) * g;
                        break;
                }
            }
            b1p *= 0.9f;
            b2p *= 0.999f;
        }
        return w;
    }

    private static Optimizer Make(string name) => name switch
    {
        "Momentum" => new MomentumOptimizer(0.05, 0.9),
        "Adagrad" => new AdagradOptimizer(0.3),
        "RMSProp" => new RMSPropOptimizer(0.05, decay: 0.9, momentum: 0.5),
        "Adam" => new AdamOptimizer(0.1),
        _ => new GradientDescentOptimizer(0.1),
    };

    [Theory]
    [InlineData("GradientDescent", false)]
    [InlineData("Momentum", false)]
    [InlineData("Adagrad", false)]
    [InlineData("RMSProp", false)]
    [InlineData("Adam", false)]
    [InlineData("Momentum", true)]
    [InlineData("Adagrad", true)]
    [InlineData("RMSProp", true)]
    [InlineData("Adam", true)]
    public void Float64_variables_follow_the_reference_update(string name, bool resource)
    {
        var (b, loss, w) = Quadratic(resource);
        var train = Make(name).Minimize(b, loss);
        if (resource)
            b.AddOperation("AssignVariableOp", [w.Ref, b.Constant(Tensor.Create(Start, 3), "start")],
                new Dictionary<string, AttrValue> { ["dtype"] = Attrs.Type(DataType.DtDouble) }, "set_start");
        b.GlobalVariablesInitializer();
        using var s = new Session(b.Graph);
        s.Initialize();
        if (resource) s.Run([], new Dictionary<string, Tensor>(), ["set_start"]);
        for (int step = 0; step < 5; step++) s.Run([], new Dictionary<string, Tensor>(), [train.Name]);
        var got = s.Run(w.Snapshot.Name).ToArray<double>();
        var want = Reference(name, 5);
        for (int i = 0; i < 3; i++) Assert.Equal(want[i], got[i], 1e-12);
        Assert.NotEqual(Start[0], got[0]);
    }

    [Fact]
    public void Adam_casts_its_float32_hyperparameters_and_beta_powers_for_a_float64_variable()
    {
        var (b, loss, _) = Quadratic(false);
        new AdamOptimizer(0.1).Minimize(b, loss);
        Assert.Equal(DataType.DtFloat, b.GetOperation("beta1_power").GetType("dtype"));
        var apply = b.GetOperation("Adam/update_w/ApplyAdam");
        Assert.Equal(DataType.DtDouble, apply.GetType("T"));
        foreach (var input in apply.Def.Input.Skip(3).Take(6))
        {
            var node = b.GetOperation(input);
            Assert.True(node.Op == "Cast", $"{input} is {node.Op}");
            Assert.Equal(DataType.DtDouble, node.GetType("DstT"));
        }
    }

    [Fact]
    public void A_float32_variable_gets_no_cast_nodes()
    {
        var b = new GraphBuilder();
        var w = b.Variable(Tensor.Create(new float[] { 1, 2 }, 2), "w");
        new MomentumOptimizer(0.1, 0.9).Minimize(b, b.ReduceSum(b.Multiply(w.Snapshot, w.Snapshot), [0]));
        Assert.DoesNotContain(b.Graph.Nodes, n => n.Op == "Cast");
        Assert.Equal(["w", "w/Momentum", "Momentum/learning_rate"], b.GetOperation("Momentum/update_w/ApplyMomentum").Def.Input.Take(3));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_resource_global_step_counts_the_steps(bool resourceWeights)
    {
        var (b, loss, _) = Quadratic(resourceWeights);
        var step = b.ResourceVariable([], new ZerosInitializer(), "global_step", DataType.DtInt64, trainable: false);
        var train = new GradientDescentOptimizer(0.1).Minimize(b, loss, step);
        Assert.Equal("AssignAddVariableOp", train.Op);
        Assert.Equal("GradientDescent", train.Name);
        Assert.Equal(["global_step", "GradientDescent/Const"], train.Def.Input);
        Assert.Equal(["^GradientDescent/update"], b.GetOperation("GradientDescent/Const").Def.Input);
        b.GlobalVariablesInitializer();
        using var s = new Session(b.Graph);
        s.Initialize();
        for (int i = 0; i < 7; i++) s.Run([], new Dictionary<string, Tensor>(), [train.Name]);
        Assert.Equal(7L, s.Run(step.Snapshot.Name).Scalar<long>());
    }
}
