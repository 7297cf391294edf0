using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Training;
using static TypedGraph.Tests.Support.CentralDifferences;

namespace TypedGraph.Tests.Training;

/// <summary>
/// Gradients of a TF1 <c>tf.while_loop</c> inside a <c>tf.cond</c> branch, built node by node in TF 1.x's layout by our
/// <see cref="GraphBuilder"/>: as TF's GradLoopState does, the forward counter and the gradient loop are built in the
/// loop's outer (cond) context, so both only run when that branch is taken. Checked against central differences of
/// a double-precision reference for both branches.
/// </summary>
public class LoopInCondGradientTests
{
    private const int K = 3, Steps = 4;

    /// <summary>y = cond(p, loop, x·w): the true branch runs h ← tanh(h·w + x) for <see cref="Steps"/> steps from h = x
    /// (x and w loop invariants captured from outside the cond); loss = Σ c ⊙ y.</summary>
    private static (GraphBuilder B, Output Loss, Output X, Output W) Build()
    {
        var b = new GraphBuilder();
        var p = b.Placeholder(DataType.DtBool, [], "p");
        var x = b.Placeholder(DataType.DtFloat, [K], "x");
        var w = b.Placeholder(DataType.DtFloat, [K], "w");
        var c = b.Constant(new[] { 0.7f, -1.3f, 0.4f }, [K], "c");
        var y = b.Cond(p,
            () =>
            {
                var exits = b.WhileLoop(
                    v => b.Less(v[0], b.Constant(Steps, "steps")),
                    v => [b.Add(v[0], 1), b.Tanh(b.Add(b.Multiply(v[1], w), x))],
                    [b.Constant(0, "i"), x]);
                return [exits[1]];
            },
            () => [b.Multiply(x, w)])[0];
        var loss = b.ReduceSum(b.Multiply(y, c), [0]);
        return (b, loss, x, w);
    }

    private static double Reference(bool takeTrue, double[] x, double[] w)
    {
        double[] c = [0.7, -1.3, 0.4];
        double loss = 0;
        for (int k = 0; k < K; k++)
        {
            double h = x[k];
            if (takeTrue) for (int t = 0; t < Steps; t++) h = Math.Tanh(h * w[k] + x[k]);
            else h = x[k] * w[k];
            loss += c[k] * h;
        }
        return loss;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void WhileLoopInsideCond_GradientsOfCapturedValues_MatchFiniteDifferencesOnEachBranch(bool takeTrue)
    {
        var (b, loss, x, w) = Build();
        var grads = Gradients.Compute(b, [loss], [x, w]);
        double[] xv = [0.3, -0.7, 1.1], wv = [0.5, -1.2, 0.8];
        using var s = new Session(b.Graph);
        var r = s.Run([loss.Name, grads[0]!.Value.Name, grads[1]!.Value.Name], new Dictionary<string, Tensor>
        {
            ["p:0"] = Tensor.FromScalar(takeTrue),
            ["x:0"] = Tensor.Create(xv.Select(v => (float)v).ToArray(), K),
            ["w:0"] = Tensor.Create(wv.Select(v => (float)v).ToArray(), K),
        });
        Assert.Equal(Reference(takeTrue, xv, wv), r[0].ToArray<float>()[0], 5);
        AssertClose(Numeric(a => Reference(takeTrue, a, wv), xv), r[1].ToArray<float>(), "dL/dx");
        AssertClose(Numeric(a => Reference(takeTrue, xv, a), wv), r[2].ToArray<float>(), "dL/dw");
    }

    [Fact]
    public void CounterAndGradientLoop_AreBuiltInTheCondBranch()
    {
        var (b, loss, x, w) = Build();
        Gradients.Compute(b, [loss], [x, w]);
        // The forward counter's Const is an input-less op of the true branch: it waits on the branch pivot
        // (CondContext._AddOpInternal's control input), so it — and the count it starts — exists only when taken.
        var fCount = b.Graph.Nodes.Single(n => n.Op == "Const" && n.Name.Contains("f_count", StringComparison.Ordinal));
        var branch = Assert.IsType<CondContext>(b.ContextOf(fCount.Name));
        Assert.Equal(1, branch.Branch);
        Assert.NotEmpty(fCount.ControlInputs);
        // The gradient loop's context sits in the same branch.
        var bCountEnter = b.Graph.Nodes.Single(n => n.Op == "Enter" && n.Name.Contains("b_count", StringComparison.Ordinal));
        var gradLoop = Assert.IsType<WhileContext>(b.ContextOf(bCountEnter.Name));
        Assert.Same(branch, gradLoop.Outer);
    }

    /// <summary>The graph written by <see cref="MetaGraphExporter"/> (the cond_context collection with the loop nested
    /// in its true branch, as TF writes it) and re-imported: gradients built on the import match central differences.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ExportedAndReimported_LoopInsideCond_GradientsMatchFiniteDifferences(bool takeTrue)
    {
        var (original, loss, _, _) = Build();
        var imported = GraphBuilder.FromMetaGraph(MetaGraphExporter.Export(original));
        var grads = Gradients.Compute(imported, [imported.GetTensor(loss.Name)], [imported.GetTensor("x:0"), imported.GetTensor("w:0")]);
        double[] xv = [-0.4, 0.9, 0.2], wv = [1.1, 0.3, -0.6];
        using var s = new Session(imported.Graph);
        var r = s.Run([grads[0]!.Value.Name, grads[1]!.Value.Name], new Dictionary<string, Tensor>
        {
            ["p:0"] = Tensor.FromScalar(takeTrue),
            ["x:0"] = Tensor.Create(xv.Select(v => (float)v).ToArray(), K),
            ["w:0"] = Tensor.Create(wv.Select(v => (float)v).ToArray(), K),
        });
        AssertClose(Numeric(a => Reference(takeTrue, a, wv), xv), r[0].ToArray<float>(), "dL/dx");
        AssertClose(Numeric(a => Reference(takeTrue, xv, a), wv), r[1].ToArray<float>(), "dL/dw");
    }
}
