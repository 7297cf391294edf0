using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.TestTensors;

namespace TypedGraph.Tests.Kernels.MathExtra;

public class ErfKernelTests
{
    /// <summary>2/√π ∫₀ˣ e^(−t²) dt by composite Simpson with 20000 panels — an independent erf.</summary>
    private static double SimpsonErf(double x) => 2 / Math.Sqrt(Math.PI) * Simpson(0, x);

    private static double Simpson(double a, double b, int panels = 20000)
    {
        double h = (b - a) / panels, s = Math.Exp(-a * a) + Math.Exp(-b * b);
        for (int i = 1; i < panels; i++) s += (i % 2 == 1 ? 4 : 2) * Math.Exp(-Math.Pow(a + i * h, 2));
        return s * h / 3;
    }

    [Fact]
    public void Erf_MatchesNumericalIntegration_AndKnownValues()
    {
        double[] xs = [-3.5, -2, -1.1, -0.3, 0, 1e-8, 0.25, 0.5, 1, 1.9999, 2, 2.5, 4, 6];
        var y = Compute1("Erf", [Tensor.Create(xs)]).ToArray<double>();
        for (int i = 0; i < xs.Length; i++) Assert.True(Math.Abs(SimpsonErf(xs[i]) - y[i]) < 1e-13, $"erf({xs[i]}) = {y[i]}, integral {SimpsonErf(xs[i])}");
        Assert.Equal(0.8427007929497149, y[Array.IndexOf(xs, 1.0)], 15); // erf(1), Abramowitz & Stegun table 7.1
        var f = Compute1("Erf", [F([0.5f, -0.5f, float.NaN, float.PositiveInfinity])]).ToArray<float>();
        Assert.Equal(0.5204999f, f[0], 6);
        Assert.Equal(-0.5204999f, f[1], 6);
        Assert.True(float.IsNaN(f[2]));
        Assert.Equal(1f, f[3]);
    }

    [Fact]
    public void Erfc_KeepsRelativePrecisionInTheTail()
    {
        double[] xs = [-1, 0, 0.7, 2, 3, 5, 9];
        var y = Compute1("Erfc", [Tensor.Create(xs)]).ToArray<double>();
        for (int i = 0; i < xs.Length; i++)
        {
            // erfc(x) = 2/√π ∫ₓ^∞ e^(−t²) dt; for x ≥ 0 integrate the tail directly (e^(−t²) is negligible past x + 8).
            double expected = xs[i] < 0 ? 1 + SimpsonErf(-xs[i]) : 2 / Math.Sqrt(Math.PI) * Simpson(xs[i], xs[i] + 8, 200000);
            Assert.True(Math.Abs(expected - y[i]) <= 1e-11 * expected, $"erfc({xs[i]}) = {y[i]}, integral {expected}");
        }
        Assert.Equal(0.0, Compute1("Erfc", [Tensor.Create(new[] { 30.0 })]).ToArray<double>()[0]);
        Assert.Equal([(Half)1], Compute1("Erfc", [Tensor.Create(new[] { (Half)0 })]).ToArray<Half>());
    }
}

public class ScanKernelTests
{
    /// <summary>Naive cumulative sum/product along one axis of a [d0, d1, d2] tensor.</summary>
    private static double[] Reference(double[] x, int[] dims, int axis, bool exclusive, bool reverse, bool product)
    {
        var y = new double[x.Length];
        int[] strides = [dims[1] * dims[2], dims[2], 1];
        for (int i = 0; i < x.Length; i++)
        {
            int[] idx = [i / strides[0], i / strides[1] % dims[1], i % dims[2]];
            double acc = product ? 1 : 0;
            for (int t = 0; t < dims[axis]; t++)
            {
                bool include = reverse ? (exclusive ? t > idx[axis] : t >= idx[axis]) : (exclusive ? t < idx[axis] : t <= idx[axis]);
                if (!include) continue;
                int j = i + (t - idx[axis]) * strides[axis];
                acc = product ? acc * x[j] : acc + x[j];
            }
            y[i] = acc;
        }
        return y;
    }

    [Theory]
    [InlineData("Cumsum", 1, false, false)]
    [InlineData("Cumsum", 1, true, false)]
    [InlineData("Cumsum", -1, false, true)]
    [InlineData("Cumsum", 0, true, true)]
    [InlineData("Cumprod", 2, false, false)]
    [InlineData("Cumprod", -2, true, true)]
    public void Scan_MatchesNaiveLoop_ForEveryAxisAndFlag(string op, int axis, bool exclusive, bool reverse)
    {
        int[] dims = [2, 3, 4];
        var r = new Random(4);
        var x = Enumerable.Range(0, 24).Select(_ => Math.Round(r.NextDouble() * 4 - 2, 2)).ToArray();
        var y = Compute(op, [Tensor.Create(x, dims), Tensor.FromScalar(axis)], 1, Attrs(("exclusive", exclusive), ("reverse", reverse)))[0].ToArray<double>();
        var expected = Reference(x, dims, axis < 0 ? axis + 3 : axis, exclusive, reverse, op == "Cumprod");
        for (int i = 0; i < y.Length; i++) Assert.Equal(expected[i], y[i], 12);
    }

    [Fact]
    public void Cumsum_MatchesTfDocExamples_ForInt32AndInt64Axis()
    {
        // tf.math.cumsum doc: [a, b, c] -> [a, a+b, a+b+c]; exclusive -> [0, a, a+b]; reverse -> [a+b+c, b+c, c]; both -> [b+c, c, 0].
        var x = I([2, 4, 6]);
        Assert.Equal([2, 6, 12], Compute1("Cumsum", [x, Tensor.FromScalar(0)]).ToArray<int>());
        Assert.Equal([0, 2, 6], Compute("Cumsum", [x, Tensor.FromScalar(0L)], 1, Attrs(("exclusive", true)))[0].ToArray<int>());
        Assert.Equal([12, 10, 6], Compute("Cumsum", [x, Tensor.FromScalar(0)], 1, Attrs(("reverse", true)))[0].ToArray<int>());
        Assert.Equal([10, 6, 0], Compute("Cumsum", [x, Tensor.FromScalar(0)], 1, Attrs(("exclusive", true), ("reverse", true)))[0].ToArray<int>());
        Assert.Equal([1L, 2, 6, 24], Compute1("Cumprod", [L([1, 2, 3, 4]), Tensor.FromScalar(0)]).ToArray<long>());
        var e = Assert.Throws<GraphExecutionException>(() => Compute1("Cumsum", [x, Tensor.FromScalar(1)]));
        Assert.Contains("Expected scan axis in the range [-1, 1), but got 1", e.Message);
        Assert.Equal(new TensorShape(0, 3), Compute1("Cumsum", [F([], 0, 3), Tensor.FromScalar(1)]).Shape);
    }
}

public class ClipByValueKernelTests
{
    [Fact]
    public void ClipByValue_ScalarAndElementwiseBounds_CrossedBoundsGiveTheLowerBound()
    {
        Assert.Equal([-1f, -0.5f, 0, 2, 2], Compute1("ClipByValue", [F([-3, -0.5f, 0, 2, 9]), Tensor.FromScalar(-1f), Tensor.FromScalar(2f)]).ToArray<float>());
        Assert.Equal([0, 5, 3], Compute1("ClipByValue", [I([-4, 7, 3]), I([0, 1, 2]), I([1, 5, 9])]).ToArray<int>());
        // TF evaluates min(x, hi) then max(·, lo): with lo > hi every element becomes lo.
        Assert.Equal([3.0, 3.0], Compute1("ClipByValue", [Tensor.Create(new[] { 0.0, 10.0 }), Tensor.FromScalar(3.0), Tensor.FromScalar(1.0)]).ToArray<double>());
        var e = Assert.Throws<GraphExecutionException>(() => Compute1("ClipByValue", [F([1, 2, 3]), F([0, 0]), Tensor.FromScalar(1f)]));
        Assert.Contains("clip_value_min and clip_value_max must be either scalars or have the same shape as the input", e.Message);
    }
}

public class CheckNumericsKernelTests
{
    [Fact]
    public void CheckNumerics_PassesFiniteTensorsThrough_AndNamesTheTensorOnNanOrInf()
    {
        var ok = F([1, -2, 3]);
        Assert.Same(ok, Compute("CheckNumerics", [ok], 1, Attrs(("message", "logits")))[0]);
        var nan = Assert.Throws<GraphExecutionException>(() => Compute("CheckNumerics", [F([1, float.NaN])], 1, Attrs(("message", "logits"))));
        Assert.Contains("logits : Tensor had NaN values", nan.Message);
        var both = Assert.Throws<GraphExecutionException>(() => Compute("CheckNumerics", [Tensor.Create(new[] { double.NaN, double.NegativeInfinity })], 1, Attrs(("message", "h"))));
        Assert.Contains("h : Tensor had Inf and NaN values", both.Message);
        var inf = Assert.Throws<GraphExecutionException>(() => Compute("CheckNumerics", [Tensor.Create(new[] { (Half)1, Half.PositiveInfinity })], 1, Attrs(("message", "x"))));
        Assert.Contains("x : Tensor had Inf values", inf.Message);
        var v2 = Assert.Throws<GraphExecutionException>(() => Compute("CheckNumericsV2", [F([float.NegativeInfinity, float.PositiveInfinity])], 1, Attrs(("message", "y"))));
        Assert.Contains("y : Tensor had -Inf and +Inf values", v2.Message);
    }
}
