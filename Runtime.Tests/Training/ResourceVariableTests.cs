using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Training;

namespace TypedGraph.Tests.Training;

public sealed class ResourceVariableTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-resvar-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (GraphBuilder B, Output Loss, Variable W) Regression()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [-1, 1], "x");
        var y = b.Placeholder(DataType.DtFloat, [-1, 1], "y");
        var w = b.ResourceVariable([1, 1], new ZerosInitializer(), "w");
        var pred = b.MatMul(x, w.Snapshot);
        return (b, b.ReduceMean(b.Square(b.Subtract(pred, y)), [0, 1]), w);
    }

    [Fact]
    public void Resource_variables_have_TF_nodes_and_variable_defs()
    {
        var (b, _, w) = Regression();
        Assert.Equal(["w/Initializer/zeros", "w", "w/IsInitialized/VarIsInitializedOp", "w/Assign", "w/Read/ReadVariableOp"],
            b.Graph.Nodes.Select(n => n.Name).Where(n => n.StartsWith("w", StringComparison.Ordinal)));
        Assert.Equal("w", b.GetOperation("w").GetString("shared_name"));
        Assert.Equal(new VariableDef { VariableName = "w:0", InitializerName = "w/Assign", SnapshotName = "w/Read/ReadVariableOp:0", InitialValueName = "w/Initializer/zeros:0", IsResource = true, Trainable = true },
            w.ToVariableDef());
    }

    [Theory]
    [InlineData("GradientDescent")]
    [InlineData("Adam")]
    [InlineData("Momentum")]
    [InlineData("RMSProp")]
    [InlineData("Adagrad")]
    public void ResourceApply_ops_train_resource_variables(string name)
    {
        var (b, loss, w) = Regression();
        Optimizer opt = name switch
        {
            "GradientDescent" => new GradientDescentOptimizer(0.2),
            "Adam" => new AdamOptimizer(0.1),
            "Momentum" => new MomentumOptimizer(0.05, 0.9),
            "RMSProp" => new RMSPropOptimizer(0.05),
            _ => new AdagradOptimizer(0.5),
        };
        var train = opt.Minimize(b, loss);
        Assert.Contains(b.Graph.Nodes, n => n.Op == "ResourceApply" + name);
        b.GlobalVariablesInitializer();
        using var s = new Session(b.Graph);
        s.Initialize();
        var xs = new[] { -1f, 0f, 1f, 2f };
        var feeds = new Dictionary<string, Tensor> { ["x:0"] = Tensor.Create(xs, 4, 1), ["y:0"] = Tensor.Create(xs.Select(v => 2 * v).ToArray(), 4, 1) };
        float first = s.Run([loss.Name], feeds)[0].Scalar<float>();
        for (int i = 0; i < 50; i++) s.Run([], feeds, [train.Name]);
        float last = s.Run([loss.Name], feeds)[0].Scalar<float>();
        Assert.True(last < first * 0.1f, $"{name}: {first} → {last}");

        // Save and restore through the resource branch of the save graph (save/Identity + save/AssignVariableOp).
        var saver = new Saver(b);
        Assert.Contains(b.Graph.Nodes, n => n.Op == "AssignVariableOp" && n.Name.StartsWith("save/AssignVariableOp", StringComparison.Ordinal));
        var prefix = saver.Save(s, Path.Combine(_dir, name), 50);
        using var s2 = new Session(b.Graph);
        saver.Restore(s2, prefix);
        Assert.Equal(s.Run("w/Read/ReadVariableOp:0").ToArray<float>(), s2.Run("w/Read/ReadVariableOp:0").ToArray<float>());
    }
}
