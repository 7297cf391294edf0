using System.Numerics;
using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using static TypedGraph.Tests.Training.ComplexGradientTests;

namespace TypedGraph.Tests.Training;

/// <summary>
/// Complex (complex128) gradients of MatrixTriangularSolve, MatrixDeterminant, LogMatrixDeterminant, SelfAdjointEigV2,
/// Svd and Eig against central differences in the real and the imaginary direction of every input element (the
/// Σ Re(y·w) loss of <see cref="ComplexGradientTests.Check"/>), plus the batch-broadcast MatrixTriangularSolve gradient
/// and Eig of a real input. Eigen- and singular vectors have an arbitrary phase, so their losses use phase-free
/// functions (v ⊙ conj v, U·diag(s)·Vᴴ).
/// </summary>
public class ComplexLinalgGradientTests
{
    private static Dictionary<string, AttrValue> Flags(bool lower, bool adjoint)
        => new() { ["lower"] = Attrs.Bool(lower), ["adjoint"] = Attrs.Bool(adjoint) };

    // A triangular-friendly matrix: the random entries plus 3 on the diagonal (the solve reads one triangle only, so the
    // other triangle's entries must get a zero gradient — central differences check that too).
    [Theory]
    [InlineData(true, false)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    [InlineData(false, true)]
    public void MatrixTriangularSolve_complex_gradient_wrt_matrix_and_rhs(bool lower, bool adjoint)
    {
        var rhs = Random(6, 60);
        Check((b, x) => Op(b, "MatrixTriangularSolve", [x, Const(b, rhs, 3, 2)], Flags(lower, adjoint)), WellConditioned(3, 61), [3, 3]);
        var a = WellConditioned(3, 62);
        Check((b, y) => Op(b, "MatrixTriangularSolve", [Const(b, a, 3, 3), y], Flags(lower, adjoint)), rhs, [3, 2]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void MatrixTriangularSolve_gradient_sums_over_broadcast_batch_dims(bool matrixBroadcast)
    {
        // matrix [3, 3] against rhs [2, 3, 2] (the matrix broadcast over the batch), and matrix [2, 1, 3, 3] against rhs
        // [3, 3, 2] (both broadcast): each gradient summed back to its operand's shape.
        int[] aShape = matrixBroadcast ? [3, 3] : [2, 1, 3, 3];
        int[] bShape = matrixBroadcast ? [2, 3, 2] : [3, 3, 2];
        var a = Enumerable.Range(0, aShape.Aggregate(1, (p, d) => p * d) / 9).SelectMany(i => WellConditioned(3, 63 + i)).ToArray();
        var rhs = Random(bShape.Aggregate(1, (p, d) => p * d), 64);
        Check((b, x) => Op(b, "MatrixTriangularSolve", [x, Const(b, rhs, bShape)], Flags(true, false)), a, aShape);
        Check((b, y) => Op(b, "MatrixTriangularSolve", [Const(b, a, aShape), y], Flags(false, true)), rhs, bShape);
    }

    [Fact]
    public void MatrixDeterminant_complex_gradient_is_g_conj_det_inverse_adjoint()
        // TF's g·det·A⁻ᴴ fails this (it is the conjugate-free form); see DeterminantGradients.
        => Check((b, x) => Op(b, "MatrixDeterminant", [x]), [.. WellConditioned(3, 65), .. WellConditioned(3, 66)], [2, 3, 3]);

    // which: 0 = log|det|, 1 = sign, 2 = both.
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void LogMatrixDeterminant_complex_gradient_through_log_abs_det_and_sign(int which)
        => Check((b, x) =>
        {
            var node = b.AddOperation("LogMatrixDeterminant", [x], null, "LogMatrixDeterminant");
            var sign = b.OutputOf(node, 0);
            var logAbs = b.OutputOf(node, 1);
            return which switch { 0 => logAbs, 1 => sign, _ => b.Concat([sign, logAbs], 0) };
        }, [.. WellConditioned(3, 67), .. WellConditioned(3, 68)], [2, 3, 3]);

    // |z|² as complex: phase-free.
    private static Output AbsSquared(GraphBuilder b, Output z) => b.Multiply(z, Op(b, "Conj", [z]));

    private static Output Flat(GraphBuilder b, Output x) => b.Reshape(x, [-1]);

    // which: 0 = eigenvalues, 1 = |v|², 2 = both. The input is read by its lower triangle (the diagonal's real part), as
    // the kernel and TF's gradient do.
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void SelfAdjointEigV2_complex_gradient(int which)
        => Check((b, x) =>
        {
            var eig = b.AddOperation("SelfAdjointEigV2", [x], new Dictionary<string, AttrValue> { ["compute_v"] = Attrs.Bool(true) }, "SelfAdjointEigV2");
            var e = b.OutputOf(eig, 0);
            var vv = AbsSquared(b, b.OutputOf(eig, 1));
            return which switch { 0 => e, 1 => vv, _ => b.Concat([Flat(b, e), Flat(b, vv)], 0) };
        }, Random(2 * 9, 69 + which), [2, 3, 3]);

    [Theory]
    [InlineData(3, 3, false)]
    [InlineData(4, 2, false)]
    [InlineData(2, 4, false)]
    [InlineData(3, 2, true)]
    [InlineData(2, 3, true)]
    public void Svd_complex_gradient(int m, int n, bool full)
        => Check((b, x) =>
        {
            var svd = b.AddOperation("Svd", [x], new Dictionary<string, AttrValue> { ["compute_uv"] = Attrs.Bool(true), ["full_matrices"] = Attrs.Bool(full) }, "Svd");
            var s = b.OutputOf(svd, 0);
            var uu = AbsSquared(b, b.OutputOf(svd, 1));
            var vv = AbsSquared(b, b.OutputOf(svd, 2));
            return b.Concat([Flat(b, s), Flat(b, uu), Flat(b, b.Multiply(vv, 0.5))], 0);
        }, Random(2 * m * n, 72 + 5 * m + n), [2, m, n], tol: 1e-5);

    [Fact]
    public void Svd_complex_reconstruction_has_the_identity_gradient()
        // U·diag(s)·Vᴴ = A: all three output gradients through the formula (incl. TF's complex term3) sum to w.
        => Check((b, x) =>
        {
            var svd = b.AddOperation("Svd", [x], new Dictionary<string, AttrValue> { ["compute_uv"] = Attrs.Bool(true), ["full_matrices"] = Attrs.Bool(false) }, "Svd");
            var us = b.Multiply(b.OutputOf(svd, 1), b.ExpandDims(b.OutputOf(svd, 0), -2));
            return b.BatchMatMul(us, b.OutputOf(svd, 2), false, true);
        }, Random(2 * 4 * 3, 78), [2, 4, 3]);

    // which: 0 = eigenvalues, 1 = |v|², 2 = both, 3 = eigenvalues with compute_v = false.
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Eig_complex_gradient(int which)
        => Check((b, x) =>
        {
            var eig = b.AddOperation("Eig", [x], new Dictionary<string, AttrValue> { ["compute_v"] = Attrs.Bool(which != 3), ["Tout"] = Attrs.Type(DataType.DtComplex128) }, "Eig");
            var e = b.OutputOf(eig, 0);
            if (which is 0 or 3) return e;
            var vv = AbsSquared(b, b.OutputOf(eig, 1));
            return which == 1 ? vv : b.Concat([Flat(b, e), Flat(b, vv)], 0);
        }, Random(2 * 9, 80 + which, scale: 3), [2, 3, 3], tol: 1e-5);

    [Fact]
    public void Eig_of_a_real_input_has_the_real_part_of_the_complex_gradient()
    {
        // A real 3×3 has a real eigenvalue and a conjugate pair (or three real ones) whose order may swap under a
        // perturbation, so the loss is symmetric in a pair: Re e, (Im e)², |v|².
        var r = new Random(90);
        var x0 = Enumerable.Range(0, 18).Select(_ => r.NextDouble() * 2 - 1).ToArray();
        CentralDifferences.CheckGraphGradient((b, x) =>
        {
            var eig = b.AddOperation("Eig", [x], new Dictionary<string, AttrValue> { ["compute_v"] = Attrs.Bool(true), ["Tout"] = Attrs.Type(DataType.DtComplex128) }, "Eig");
            var e = b.OutputOf(eig, 0);
            var vv = Real(b, AbsSquared(b, b.OutputOf(eig, 1)));
            return b.Concat([Flat(b, Real(b, e)), Flat(b, b.Square(Real(b, e, "Imag"))), Flat(b, vv)], 0);
        }, x0, [2, 3, 3], tol: 1e-5);
    }
}
