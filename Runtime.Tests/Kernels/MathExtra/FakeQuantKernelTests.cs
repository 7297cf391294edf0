using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.TestTensors;

namespace TypedGraph.Tests.Kernels.MathExtra;

public class FakeQuantKernelTests
{
    /// <summary>The documented fake-quant rule: nudge the zero point onto the integer grid, clamp, round to the
    /// nearest grid step. The scale and zero point are computed in float, as TF's <c>Nudge</c> does: for [-1, 1] at 8
    /// bits, −min/scale is 127.49999 in float (127.5 in exact arithmetic), so the zero point is 127, not 128.</summary>
    private static (double Lo, double Hi, double Scale) Nudged(float min, float max, int bits, bool narrow)
    {
        float qmin = narrow ? 1 : 0, qmax = (1 << bits) - 1;
        float scale = (max - min) / (qmax - qmin);
        float zero = Math.Clamp(MathF.Round(qmin - min / scale, MidpointRounding.AwayFromZero), qmin, qmax);
        return ((double)(qmin - zero) * scale, (double)(qmax - zero) * scale, scale);
    }

    private static double Quantize(double x, (double Lo, double Hi, double Scale) n)
        => Math.Round((Math.Clamp(x, n.Lo, n.Hi) - n.Lo) / n.Scale, MidpointRounding.AwayFromZero) * n.Scale + n.Lo;

    private static readonly float[] Inputs = [-7f, -1.23f, -0.3f, 0f, 0.3f, 0.61f, 0.999f, 1.7f];

    [Theory]
    [InlineData(-1f, 1f, 8, false)]
    [InlineData(-0.1f, 0.9f, 8, true)]
    [InlineData(0.2f, 1.5f, 4, false)]
    [InlineData(-6f, 6f, 8, false)]
    public void FakeQuantArgsAndVars_MatchTheNudgedRoundingRule_AndKeepZeroExact(float min, float max, int bits, bool narrow)
    {
        var n = Nudged(min, max, bits, narrow);
        var args = Compute("FakeQuantWithMinMaxArgs", [F(Inputs)], 1, Attrs(("min", min), ("max", max), ("num_bits", bits), ("narrow_range", narrow)))[0].ToArray<float>();
        var vars = Compute("FakeQuantWithMinMaxVars", [F(Inputs), Tensor.FromScalar(min), Tensor.FromScalar(max)], 1, Attrs(("num_bits", bits), ("narrow_range", narrow)))[0].ToArray<float>();
        for (int i = 0; i < Inputs.Length; i++)
        {
            double expected = Quantize(Inputs[i], n);
            Assert.True(Math.Abs(expected - args[i]) < 1e-5, $"args x={Inputs[i]}: {args[i]} vs {expected}");
            Assert.True(Math.Abs(expected - vars[i]) < 1e-5, $"vars x={Inputs[i]}: {vars[i]} vs {expected}");
        }
        if (min <= 0) Assert.Equal(0f, args[Array.IndexOf(Inputs, 0f)]);
    }

    [Fact]
    public void FakeQuantPerChannel_UsesEachChannelsRange_AndZeroRangeGivesZeros()
    {
        float[] mins = [-1f, 0f, -0.5f], maxs = [1f, 0f, 2f];
        var x = F([-2f, 0.4f, 0.37f, 0.3f, 0f, 3f], 2, 3);
        var y = Compute("FakeQuantWithMinMaxVarsPerChannel", [x, F(mins), F(maxs)], 1, Attrs(("num_bits", 8)))[0].ToArray<float>();
        var xs = x.ToArray<float>();
        for (int i = 0; i < xs.Length; i++)
        {
            int c = i % 3;
            double expected = mins[c] == 0 && maxs[c] == 0 ? 0 : Quantize(xs[i], Nudged(mins[c], maxs[c], 8, false));
            Assert.True(Math.Abs(expected - y[i]) < 1e-5, $"[{i}] {y[i]} vs {expected}");
        }
        Assert.Throws<GraphExecutionException>(() => Compute("FakeQuantWithMinMaxVarsPerChannel", [x, F([-1f, -1f]), F([1f, 1f])]));
    }

    [Fact]
    public void FakeQuantGradients_PassInsideTheNudgedRange_AndSumOutsideIntoMinAndMax()
    {
        var n = Nudged(-1, 1, 8, false); // float nudging: zero point 127, range [-0.99608, 1.00392]
        Assert.True(-1.002 < n.Lo && 1.002 < n.Hi && 1.005 > n.Hi);
        var x = F([-3f, -1.002f, 0.2f, 0.99f, 1.002f, 5f]);
        var g = F([1f, 2f, 3f, 4f, 5f, 6f]);
        var args = Compute("FakeQuantWithMinMaxArgsGradient", [g, x], 1, Attrs(("min", -1f), ("max", 1f)))[0].ToArray<float>();
        Assert.Equal([0f, 0, 3, 4, 5, 0], args);
        var vars = Compute("FakeQuantWithMinMaxVarsGradient", [g, x, Tensor.FromScalar(-1f), Tensor.FromScalar(1f)], 3);
        Assert.Equal([0f, 0, 3, 4, 5, 0], vars[0].ToArray<float>());
        Assert.Equal(1f + 2f, vars[1].Scalar<float>()); // below the nudged min: -3 and -1.002
        Assert.Equal(6f, vars[2].Scalar<float>());      // above the nudged max: 5
        var pc = Compute("FakeQuantWithMinMaxVarsPerChannelGradient", [F([1f, 1, 1, 1], 2, 2), F([-5f, 0.5f, 0.1f, 9f], 2, 2), F([-1f, -1f]), F([1f, 1f])], 3);
        Assert.Equal([0f, 1, 1, 0], pc[0].ToArray<float>());
        Assert.Equal([1f, 0], pc[1].ToArray<float>());
        Assert.Equal([0f, 1], pc[2].ToArray<float>());
    }

    [Fact]
    public void FakeQuant_RejectsBadAttrsAndRanges()
    {
        Assert.Contains("min has to be smaller than max", Assert.Throws<GraphExecutionException>(() => Compute("FakeQuantWithMinMaxArgs", [F([0f])], 1, Attrs(("min", 1f), ("max", 1f)))).Message);
        Assert.Contains("num_bits must be between 2 and 16", Assert.Throws<GraphExecutionException>(() => Compute("FakeQuantWithMinMaxVars", [F([0f]), Tensor.FromScalar(-1f), Tensor.FromScalar(1f)], 1, Attrs(("num_bits", 17)))).Message);
        Assert.Throws<GraphExecutionException>(() => Compute("FakeQuantWithMinMaxVars", [F([0f]), F([-1f, -2f]), Tensor.FromScalar(1f)]));
    }
}

public class StridedSliceGradKernelTests
{
    [Fact]
    public void StridedSliceGrad_ScattersDyToTheElementsStridedSliceReads()
    {
        // Independent check: slice an iota with the same spec, then scatter dy by the ids it returns.
        int[] shape = [4, 5, 3];
        var iota = F(Enumerable.Range(0, 60).Select(v => (float)v).ToArray(), shape);
        var begin = I([1, -1, 0]);
        var end = I([4, 0, 2]);
        var strides = I([2, -2, 1]);
        var masks = Attrs(("shrink_axis_mask", 4));
        var ids = Compute("StridedSlice", [iota, begin, end, strides], 1, masks)[0];
        var dy = F(Enumerable.Range(1, (int)ids.NumElements).Select(v => v * 1.5f).ToArray(), ids.Shape.ToArray());
        var dx = Compute("StridedSliceGrad", [I(shape), begin, end, strides, dy], 1, masks)[0];
        Assert.Equal(new TensorShape(shape), dx.Shape);
        var expected = new float[60];
        var idv = ids.ToArray<float>();
        var dyv = dy.ToArray<float>();
        for (int k = 0; k < idv.Length; k++) expected[(int)idv[k]] += dyv[k];
        Assert.Equal(expected, dx.ToArray<float>());
        Assert.Throws<GraphExecutionException>(() => Compute("StridedSliceGrad", [I(shape), begin, end, strides, F([1f])], 1, masks));
    }
}
