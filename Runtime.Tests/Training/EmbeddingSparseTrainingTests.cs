using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Training;
using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.TestTensors;

namespace TypedGraph.Tests.Training;

/// <summary>
/// An embedding lookup trained through TF's IndexedSlices path: the Gather / ResourceGather gradient is recorded as
/// slices and the optimizers emit their sparse update ops (TF's optimizer.py <c>_apply_sparse</c>). Loss =
/// Σ Gather(emb, ids) ⊙ c, so the gradient of row r is Σ_{i: ids[i] = r} c[i]; the expected variables come from each
/// optimizer's sparse rule written out row by row, over two steps with different ids (so rows touched only in step
/// 1 show the difference between the sparse and the dense update).
/// </summary>
public class EmbeddingSparseTrainingTests
{
    private const int Rows = 6, Dim = 3;
    private static readonly int[][] Ids = [[1, 3, 1, 5], [0, 2, 2, 4]];
    private static readonly float[][] Cs = [Enumerable.Range(0, 12).Select(i => 0.1f * (i - 5)).ToArray(), Enumerable.Range(0, 12).Select(i => 0.05f * (7 - i)).ToArray()];

    private static float[] Initial => Enumerable.Range(0, Rows * Dim).Select(i => 0.01f * i - 0.05f).ToArray();

    private static double[] RowGrad(int step)
    {
        var g = new double[Rows * Dim];
        for (int i = 0; i < 4; i++)
            for (int k = 0; k < Dim; k++) g[Ids[step][i] * Dim + k] += Cs[step][i * Dim + k];
        return g;
    }

    private static (Session S, Node Train, Variable Emb, GraphBuilder B) Build(bool resource, Optimizer opt)
    {
        var b = new GraphBuilder();
        var ids = b.Placeholder(DataType.DtInt32, [4], "ids");
        var c = b.Placeholder(DataType.DtFloat, [4, Dim], "c");
        var emb = resource
            ? b.ResourceVariable([Rows, Dim], new ConstantInitializer(0), "emb")
            : b.Variable([Rows, Dim], new ConstantInitializer(0), "emb");
        Output looked = resource
            ? b.OutputOf(b.AddOperation("ResourceGather", [emb.Ref, ids], new Dictionary<string, AttrValue> { ["dtype"] = TypedGraph.Building.Attrs.Type(DataType.DtFloat) }, "embedding_lookup"))
            : b.Gather(emb.Snapshot, ids, 0, "embedding_lookup");
        // A Reshape gives the Sum gradient the static rank it needs.
        var loss = b.ReduceSum(b.Multiply(b.Reshape(looked, [4, Dim], "rows"), c), [0, 1]);
        var train = opt.Minimize(b, loss);
        b.GlobalVariablesInitializer();
        // Start from a non-constant table.
        var assign = b.AddOperation(resource ? "AssignVariableOp" : "Assign", [emb.Ref, b.Constant(Tensor.Create(Initial, Rows, Dim), "start")],
            resource ? new Dictionary<string, AttrValue> { ["dtype"] = TypedGraph.Building.Attrs.Type(DataType.DtFloat) } : null, "set_start");
        var s = new Session(b.Graph);
        s.Initialize();
        s.Run([], null, [assign.Name]);
        return (s, train, emb, b);
    }

    private static void Step(Session s, Node train, int step)
        => s.Run([], new Dictionary<string, Tensor> { ["ids:0"] = Tensor.Create(Ids[step]), ["c:0"] = Tensor.Create(Cs[step], 4, Dim) }, [train.Name]);

    private static float[] Read(Session s, Variable v) => s.Run([v.Snapshot.Name])[0].ToArray<float>();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void GradientDescent_UsesScatterAndMovesOnlyLookedUpRows(bool resource)
    {
        var (s, train, emb, b) = Build(resource, new GradientDescentOptimizer(0.5));
        using var _ = s;
        Assert.Contains(b.Graph.Nodes, n => n.Op == (resource ? "ResourceScatterAdd" : "ScatterSub"));
        Assert.DoesNotContain(b.Graph.Nodes, n => n.Op.Contains("ApplyGradientDescent"));
        var expect = Initial.Select(v => (double)v).ToArray();
        for (int step = 0; step < 2; step++)
        {
            Step(s, train, step);
            var g = RowGrad(step);
            for (int j = 0; j < expect.Length; j++) expect[j] -= 0.5 * g[j];
        }
        Close(expect.Select(v => (float)v).ToArray(), Read(s, emb), 1e-5f);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Momentum_SparseApplyLeavesUntouchedRowsStill(bool resource)
    {
        var (s, train, emb, b) = Build(resource, new MomentumOptimizer(0.1, 0.9));
        using var _ = s;
        Assert.Contains(b.Graph.Nodes, n => n.Op == (resource ? "ResourceSparseApplyMomentum" : "SparseApplyMomentum"));
        var v = Initial.Select(x => (double)x).ToArray();
        var acc = new double[v.Length];
        for (int step = 0; step < 2; step++)
        {
            Step(s, train, step);
            var g = RowGrad(step);
            foreach (int r in Ids[step].Distinct())
                for (int k = 0; k < Dim; k++)
                {
                    int j = r * Dim + k;
                    acc[j] = acc[j] * 0.9 + g[j];
                    v[j] -= 0.1 * acc[j];
                }
        }
        Close(v.Select(x => (float)x).ToArray(), Read(s, emb), 1e-5f);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Adagrad_SparseApplyOnDeduplicatedRows(bool resource)
    {
        var (s, train, emb, b) = Build(resource, new AdagradOptimizer(0.3));
        using var _ = s;
        Assert.Contains(b.Graph.Nodes, n => n.Op == (resource ? "ResourceSparseApplyAdagrad" : "SparseApplyAdagrad"));
        Assert.Contains(b.Graph.Nodes, n => n.Op == "Unique");
        var v = Initial.Select(x => (double)x).ToArray();
        var acc = Enumerable.Repeat(0.1, v.Length).ToArray();
        for (int step = 0; step < 2; step++)
        {
            Step(s, train, step);
            var g = RowGrad(step);
            foreach (int r in Ids[step].Distinct())
                for (int k = 0; k < Dim; k++)
                {
                    int j = r * Dim + k;
                    acc[j] += g[j] * g[j];
                    v[j] -= 0.3 * g[j] / Math.Sqrt(acc[j]);
                }
        }
        Close(v.Select(x => (float)x).ToArray(), Read(s, emb), 1e-5f);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Adam_SparsePathDecaysAllMomentsAndScattersTheGradient(bool resource)
    {
        double lr = 0.05, b1 = 0.9, b2 = 0.999, eps = 1e-8;
        var (s, train, emb, b) = Build(resource, new AdamOptimizer(lr, b1, b2, eps));
        using var _ = s;
        Assert.Contains(b.Graph.Nodes, n => n.Op == (resource ? "ResourceScatterAdd" : "ScatterAdd"));
        Assert.DoesNotContain(b.Graph.Nodes, n => n.Op.EndsWith("ApplyAdam", StringComparison.Ordinal));
        var v = Initial.Select(x => (double)x).ToArray();
        var m = new double[v.Length];
        var sq = new double[v.Length];
        for (int step = 0; step < 2; step++)
        {
            Step(s, train, step);
            var g = RowGrad(step);
            double lrT = lr * Math.Sqrt(1 - Math.Pow(b2, step + 1)) / (1 - Math.Pow(b1, step + 1));
            for (int j = 0; j < v.Length; j++)
            {
                m[j] = m[j] * b1 + (1 - b1) * g[j];
                sq[j] = sq[j] * b2 + (1 - b2) * g[j] * g[j];
                v[j] -= lrT * m[j] / (Math.Sqrt(sq[j]) + eps);
            }
        }
        Close(v.Select(x => (float)x).ToArray(), Read(s, emb), 1e-4f);
    }
}
