using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.TestTensors;

namespace TypedGraph.Tests.Kernels.Linalg;

/// <summary>
/// MatrixInverse and MatrixSolve on matrices holding Inf, NaN and exact zeros: the LU must form every product, as
/// Eigen's <c>PartialPivLU</c> (which TF's matrix_inverse_op.cc / matrix_solve_op.cc call) does, so a zero multiplier
/// times an infinite pivot-row entry gives NaN instead of being skipped. Checked by hand on 2×2 cases and against a
/// naive reference factorization written here (Doolittle with Eigen's pivot rule, no shortcuts) on random matrices.
/// </summary>
public sealed class LuNonFiniteTests
{
    private const double Inf = double.PositiveInfinity;

    [Fact]
    public void ZeroMultiplierTimesInfinitePivotRow_GivesNaN_InTheInverse()
    {
        // L = [[1,0],[0,1]], U = [[2, Inf], [0, 1 − 0·Inf = NaN]]: min |diag| (scalar order from U00) is 2, so TF inverts,
        // and every element depends on U11 = NaN. Skipping the zero multiplier gave [[NaN, −Inf], [0, 1]].
        var inv = Compute1("MatrixInverse", [Tensor.Create(new double[] { 2, Inf, 0, 1 }, 2, 2)]).ToArray<double>();
        Assert.All(inv, v => Assert.True(double.IsNaN(v), string.Join(", ", inv)));
        var invF = Compute1("MatrixInverse", [F([2, float.PositiveInfinity, 0, 1], 2, 2)]).ToArray<float>();
        Assert.All(invF, v => Assert.True(float.IsNaN(v), string.Join(", ", invF)));
        var x = Compute1("MatrixSolve", [Tensor.Create(new double[] { 2, Inf, 0, 1 }, 2, 2), Tensor.Create(new double[] { 1, 1 }, 2, 1)]).ToArray<double>();
        Assert.All(x, v => Assert.True(double.IsNaN(v), string.Join(", ", x)));
    }

    [Fact]
    public void Determinants_UseTheSameLu_SoAZeroMultiplierTimesInfIsNaN()
    {
        // [[1, Inf, 0], [0, 1, 0], [0, 0, 1]]: the first column's multipliers are 0, and 0·Inf makes U₂₂ NaN (Eigen forms
        // every product). A LU that skipped zero multipliers kept U = the input's upper triangle: sign 1, det 1.
        double[] a = [1, Inf, 0, 0, 1, 0, 0, 0, 1];
        var outs = Compute("LogMatrixDeterminant", [Tensor.Create(a, 3, 3)], 2);
        Assert.Equal(0.0, outs[0].ToArray<double>()[0]);
        Assert.Equal(double.NegativeInfinity, outs[1].ToArray<double>()[0]);
        Assert.Equal(0.0, Compute1("MatrixDeterminant", [Tensor.Create(a, 3, 3)]).ToArray<double>()[0]);
        // Finite input is unchanged by the shared LU: det [[0, 2, 1], [1, 0, 0], [3, 1, 2]] = 0·0 − 2·2 + 1·1 = −3, with row swaps.
        Assert.Equal(-3.0, Compute1("MatrixDeterminant", [Tensor.Create(new double[] { 0, 2, 1, 1, 0, 0, 3, 1, 2 }, 3, 3)]).ToArray<double>()[0], 12);
    }

    [Fact]
    public void NaNBelowTheFirstPivot_FlowsIntoTheResult_WhileANaNFirstPivotIsNotInvertible()
    {
        // [[1,1],[NaN,1]]: pivot 1 (NaN > 1 is false), l = NaN, U11 = 1 − NaN = NaN; min(|1|, |NaN|) keeps 1, so TF
        // computes (all NaN) instead of refusing.
        var inv = Compute1("MatrixInverse", [Tensor.Create(new double[] { 1, 1, double.NaN, 1 }, 2, 2)]).ToArray<double>();
        Assert.All(inv, v => Assert.True(double.IsNaN(v), string.Join(", ", inv)));
        // [[NaN,1],[1,1]]: the NaN comes first in column 0, so it is the pivot; min |diag| starts from NaN and stays NaN.
        var e = Assert.Throws<GraphExecutionException>(() => Compute1("MatrixInverse", [Tensor.Create(new double[] { double.NaN, 1, 1, 1 }, 2, 2)]));
        Assert.Contains("Input is not invertible.", e.Message);
        var s = Assert.Throws<GraphExecutionException>(() => Compute1("MatrixSolve", [Tensor.Create(new double[] { double.NaN, 1, 1, 1 }, 2, 2), Tensor.Create(new double[] { 1, 1 }, 2, 1)]));
        Assert.Contains("Input matrix is not invertible.", s.Message);
    }

    [Fact]
    public void InverseAndSolve_MatchANaiveReference_OnMatricesWithInfNaNAndZeros()
    {
        var rng = new Random(20261203);
        int compared = 0, refused = 0, nonFinite = 0;
        for (int trial = 0; trial < 300; trial++)
        {
            int n = 2 + rng.Next(5), k = 1 + rng.Next(3);
            var a = new double[n * n];
            for (int i = 0; i < a.Length; i++)
                a[i] = rng.Next(10) switch
                {
                    0 or 1 or 2 => 0,
                    3 => rng.Next(4) switch { 0 => Inf, 1 => -Inf, 2 => double.NaN, _ => 0 },
                    _ => Math.Round(rng.NextDouble() * 8 - 4, 2),
                };
            var b = Enumerable.Range(0, n * k).Select(_ => rng.Next(6) == 0 ? 0 : Math.Round(rng.NextDouble() * 4 - 2, 2)).ToArray();
            var reference = Reference.Factor(a, n);
            if (reference == null)
            {
                Assert.Contains("Input is not invertible.", Assert.Throws<GraphExecutionException>(() => Compute1("MatrixInverse", [Tensor.Create(a, n, n)])).Message);
                Assert.Contains("Input matrix is not invertible.", Assert.Throws<GraphExecutionException>(() => Compute1("MatrixSolve", [Tensor.Create(a, n, n), Tensor.Create(b, n, k)])).Message);
                refused++;
                continue;
            }
            var identity = new double[n * n];
            for (int i = 0; i < n; i++) identity[i * n + i] = 1;
            var wantInverse = reference.Solve(identity, n);
            var wantSolve = reference.Solve(b, k);
            AssertSame(wantInverse, Compute1("MatrixInverse", [Tensor.Create(a, n, n)]).ToArray<double>(), $"trial {trial} inverse");
            AssertSame(wantSolve, Compute1("MatrixSolve", [Tensor.Create(a, n, n), Tensor.Create(b, n, k)]).ToArray<double>(), $"trial {trial} solve");
            compared++;
            if (wantInverse.Any(v => !double.IsFinite(v))) nonFinite++;
        }
        // The sample must exercise all three outcomes, or the comparison says little.
        Assert.True(compared > 50 && refused > 10 && nonFinite > 20, $"compared {compared}, refused {refused}, non-finite {nonFinite}");
    }

    private static void AssertSame(double[] want, double[] got, string what)
    {
        Assert.Equal(want.Length, got.Length);
        for (int i = 0; i < want.Length; i++)
        {
            if (double.IsNaN(want[i]) || double.IsInfinity(want[i]))
                Assert.True(want[i].Equals(got[i]), $"{what}[{i}]: want {want[i]}, got {got[i]}");
            else
                Assert.True(Math.Abs(want[i] - got[i]) <= 1e-12 * Math.Max(1, Math.Abs(want[i])), $"{what}[{i}]: want {want[i]}, got {got[i]}");
        }
    }

    /// <summary>The naive reference: P·A = L·U by Doolittle elimination on a 2-D array with Eigen's pivot rule (first
    /// largest |value|; a zero pivot is kept and elimination goes on), every product formed; then TF's check
    /// (min |Uᵢᵢ| &gt; 0, reduced from U00 with std::min) and forward/back substitution multiplying by 1/Uᵢᵢ.</summary>
    private sealed class Reference
    {
        private readonly double[,] _lu;
        private readonly int[] _rowOf;

        private Reference(double[,] lu, int[] rowOf) => (_lu, _rowOf) = (lu, rowOf);

        public static Reference? Factor(double[] a, int n)
        {
            var m = new double[n, n];
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) m[i, j] = a[i * n + j];
            var rowOf = Enumerable.Range(0, n).ToArray();
            for (int col = 0; col < n; col++)
            {
                int pivotRow = col;
                for (int r = col + 1; r < n; r++)
                    if (Math.Abs(m[r, col]) > Math.Abs(m[pivotRow, col])) pivotRow = r;
                if (Math.Abs(m[pivotRow, col]) != 0)
                {
                    for (int j = 0; j < n; j++) (m[col, j], m[pivotRow, j]) = (m[pivotRow, j], m[col, j]);
                    (rowOf[col], rowOf[pivotRow]) = (rowOf[pivotRow], rowOf[col]);
                    for (int r = col + 1; r < n; r++) m[r, col] = m[r, col] / m[col, col];
                }
                for (int r = col + 1; r < n; r++)
                    for (int j = col + 1; j < n; j++)
                        m[r, j] = m[r, j] - m[r, col] * m[col, j];
            }
            double smallest = Math.Abs(m[0, 0]);
            for (int i = 1; i < n; i++) smallest = Math.Abs(m[i, i]) < smallest ? Math.Abs(m[i, i]) : smallest;
            return smallest > 0 ? new Reference(m, rowOf) : null;
        }

        public double[] Solve(double[] rhs, int k)
        {
            int n = _rowOf.Length;
            var x = new double[n, k];
            for (int i = 0; i < n; i++) for (int c = 0; c < k; c++) x[i, c] = rhs[_rowOf[i] * k + c];
            for (int c = 0; c < k; c++)
            {
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < i; j++) x[i, c] = x[i, c] - _lu[i, j] * x[j, c];
                for (int i = n - 1; i >= 0; i--)
                {
                    for (int j = i + 1; j < n; j++) x[i, c] = x[i, c] - _lu[i, j] * x[j, c];
                    x[i, c] = x[i, c] * (1 / _lu[i, i]);
                }
            }
            var flat = new double[n * k];
            for (int i = 0; i < n; i++) for (int c = 0; c < k; c++) flat[i * k + c] = x[i, c];
            return flat;
        }
    }
}
