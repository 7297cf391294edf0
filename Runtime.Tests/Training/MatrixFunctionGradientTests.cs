using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using TypedGraph.Training;

namespace TypedGraph.Tests.Training;

/// <summary>
/// Gradients of MatrixSolveLs (TF's _MatrixSolveLsGrad, both the over- and underdetermined formulas, with and without
/// l2_regularizer) and MatrixSquareRoot (TF's _MatrixSquareRootGrad, the Kronecker-sum solve) against central
/// differences of Σ w ⊙ f(x) in double, plus the cases TF refuses.
/// </summary>
public class MatrixFunctionGradientTests
{
    private static double[] Random(int n, int seed, double shift = 0, int order = 0)
    {
        var r = new Random(seed);
        var v = Enumerable.Range(0, n).Select(_ => r.NextDouble() * 2 - 1).ToArray();
        if (order > 0)
            for (int b = 0; b < n / (order * order); b++)
                for (int i = 0; i < order; i++) v[b * order * order + i * order + i] += shift;
        return v;
    }

    private static Output SolveLs(GraphBuilder b, Output a, Output rhs, double l2, bool fast = true)
        => b.OutputOf(b.AddOperation("MatrixSolveLs", [a, rhs, b.Constant(Tensor.FromScalar(l2), "l2")], new Dictionary<string, AttrValue> { ["fast"] = Attrs.Bool(fast) }, "MatrixSolveLs"));

    [Theory]
    [InlineData(5, 3, 0.0)]
    [InlineData(5, 3, 0.4)]
    [InlineData(3, 3, 0.0)]
    [InlineData(2, 4, 0.0)]
    [InlineData(2, 4, 0.25)]
    public void MatrixSolveLs_wrt_matrix_and_rhs(int m, int n, double l2)
    {
        const int batch = 2, k = 2;
        var a0 = Random(batch * m * n, 7 * m + n);
        var b0 = Random(batch * m * k, 9 * m + n);
        var bConst = Tensor.Create(b0, batch, m, k);
        var aConst = Tensor.Create(a0, batch, m, n);
        CentralDifferences.CheckGraphGradient((g, x) => SolveLs(g, x, g.Constant(bConst, "rhs"), l2), a0, [batch, m, n]);
        CentralDifferences.CheckGraphGradient((g, x) => SolveLs(g, g.Constant(aConst, "matrix"), x, l2), b0, [batch, m, k]);
    }

    [Fact]
    public void MatrixSolveLs_gradient_is_refused_for_fast_false_and_unknown_matrix_dims()
    {
        var b = new GraphBuilder();
        var a = b.Placeholder(DataType.DtDouble, [3, 2], "a");
        var rhs = b.Placeholder(DataType.DtDouble, [3, 1], "b");
        var loss = b.ReduceSum(b.Reshape(SolveLs(b, a, rhs, 0, fast: false), [-1]), [0]);
        Assert.Contains("Gradient not defined for fast=False", Assert.Throws<NotSupportedException>(() => Gradients.Compute(b, [loss], [a])).Message);
        var b2 = new GraphBuilder();
        var a2 = b2.Placeholder(DataType.DtDouble, null, "a");
        var rhs2 = b2.Placeholder(DataType.DtDouble, null, "b");
        var loss2 = b2.ReduceSum(b2.Reshape(SolveLs(b2, a2, rhs2, 0), [-1]), [0]);
        Assert.Contains("statically known matrix dims", Assert.Throws<NotSupportedException>(() => Gradients.Compute(b2, [loss2], [a2])).Message);
    }

    [Theory]
    [InlineData(1, 2)]
    [InlineData(2, 3)]
    [InlineData(1, 4)]
    public void MatrixSquareRoot_wrt_input(int batch, int n) =>
        // Diagonally shifted random matrices: eigenvalues in the right half-plane, where √ is smooth.
        CentralDifferences.CheckGraphGradient((b, x) => b.OutputOf(b.AddOperation("MatrixSquareRoot", [x], null, "MatrixSquareRoot")),
            Random(batch * n * n, 50 + n, shift: n + 1, order: n), [batch, n, n]);
}
