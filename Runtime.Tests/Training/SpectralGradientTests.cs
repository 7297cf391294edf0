using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using TypedGraph.Training;

namespace TypedGraph.Tests.Training;

/// <summary>
/// Gradients of SelfAdjointEigV2 and Svd (TF's _SelfAdjointEigV2Grad / _SvdGrad) against central differences in double
/// precision, L = Σ w ⊙ f(x) with random w. Eigen- and singular vectors have no defined sign, so the losses use
/// sign-free functions of them (v ⊙ v, u ⊙ u, products like U·diag(s)·Vᵀ) next to the values themselves. The
/// eigen-gradient lands on the lower triangle — the part the kernel reads — so finite differences over every input
/// element, upper ones included (whose true derivative is 0), match it.
/// </summary>
public class SpectralGradientTests
{
    private static double[] Random(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => r.NextDouble() * 2 - 1).ToArray();
    }

    private static void Check(Func<GraphBuilder, Output, Output> f, double[] x0, int[] shape, double tol = 1e-6)
        => CentralDifferences.CheckGraphGradient(f, x0, shape, tol);

    private static Node Eig(GraphBuilder b, Output x, bool computeV)
        => b.AddOperation("SelfAdjointEigV2", [x], new Dictionary<string, AttrValue> { ["compute_v"] = Attrs.Bool(computeV) }, "SelfAdjointEigV2");

    private static Node Svd(GraphBuilder b, Output x, bool computeUv, bool full)
        => b.AddOperation("Svd", [x], new Dictionary<string, AttrValue> { ["compute_uv"] = Attrs.Bool(computeUv), ["full_matrices"] = Attrs.Bool(full) }, "Svd");

    private static Output Flat(GraphBuilder b, Output x, int batch) => b.Reshape(x, [batch, -1]);

    // which: 0 = eigenvalues, 1 = v ⊙ v, 2 = both (through the compute_v path), 3 = eigenvalues with compute_v = false.
    [Theory]
    [InlineData(2, 0)]
    [InlineData(3, 1)]
    [InlineData(4, 2)]
    [InlineData(3, 3)]
    public void SelfAdjointEigV2_wrt_input(int n, int which) =>
        Check((b, x) =>
        {
            var eig = Eig(b, x, computeV: which != 3);
            var e = b.OutputOf(eig, 0);
            if (which is 0 or 3) return e;
            var v = b.OutputOf(eig, 1);
            var vv = b.Multiply(v, v);
            return which == 1 ? vv : b.Concat([Flat(b, e, 2), Flat(b, b.Multiply(vv, 0.5), 2)], 1);
        }, Random(2 * n * n, 30 + n + which), [2, n, n]);

    // which: 0 = s only (compute_uv), 1 = u ⊙ u, 2 = v ⊙ v, 3 = s, u ⊙ u and v ⊙ v together, 4 = s with compute_uv = false.
    [Theory]
    [InlineData(3, 3, false, 3)]
    [InlineData(4, 2, false, 0)]
    [InlineData(4, 2, false, 1)]
    [InlineData(4, 2, false, 3)]
    [InlineData(2, 4, false, 2)]
    [InlineData(2, 4, false, 3)]
    [InlineData(3, 2, true, 3)]
    [InlineData(2, 3, true, 3)]
    [InlineData(3, 3, true, 3)]
    [InlineData(3, 2, false, 4)]
    [InlineData(2, 3, false, 4)]
    public void Svd_wrt_input(int m, int n, bool full, int which) =>
        Check((b, x) =>
        {
            var svd = Svd(b, x, computeUv: which != 4, full);
            var s = b.OutputOf(svd, 0);
            if (which is 0 or 4) return s;
            var u = b.OutputOf(svd, 1);
            var v = b.OutputOf(svd, 2);
            var uu = b.Multiply(u, u);
            var vv = b.Multiply(v, v);
            return which switch
            {
                1 => uu,
                2 => vv,
                _ => b.Concat([Flat(b, s, 2), Flat(b, uu, 2), Flat(b, b.Multiply(vv, 0.5), 2)], 1),
            };
        }, Random(2 * m * n, 50 + 7 * m + n + which), [2, m, n]);

    [Fact]
    public void Svd_reconstruction_has_the_identity_gradient()
    {
        // U·diag(s)·Vᵀ = A, so dL/dA = w exactly: this runs dS, dU and dV through the formula together.
        Check((b, x) =>
        {
            var svd = Svd(b, x, computeUv: true, full: false);
            var us = b.Multiply(b.OutputOf(svd, 1), b.ExpandDims(b.OutputOf(svd, 0), -2));
            return b.BatchMatMul(us, b.OutputOf(svd, 2), false, true);
        }, Random(2 * 4 * 3, 77), [2, 4, 3]);
    }

    [Fact]
    public void Svd_gradient_refuses_full_matrices_with_a_dim_gap_above_one_as_tf()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtDouble, [4, 2], "x");
        var u = b.OutputOf(Svd(b, x, computeUv: true, full: true), 1);
        var e = Assert.Throws<NotSupportedException>(() => Gradients.Compute(b, [b.ReduceSum(b.Reshape(u, [-1]), [0])], [x]));
        Assert.Contains("abs(m - n) > 1", e.Message);
    }
}
