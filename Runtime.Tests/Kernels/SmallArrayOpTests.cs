using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using static TypedGraph.Tests.Support.TestTensors;

namespace TypedGraph.Tests.Kernels;

/// <summary>
/// Roll, LinSpace, Empty, EnsureShape, UnravelIndex, Bitcast, Cross, ApproximateEqual, CumulativeLogsumexp,
/// LeakyReluGrad, Timestamp: values against references written here from TF's op docs / kernel sources (named per
/// test), TF's error texts, and the gradients TF registers (Roll, Cross, CumulativeLogsumexp) against central
/// differences.
/// </summary>
public sealed class SmallArrayOpTests
{
    [Fact]
    public void Roll_matches_the_documented_examples_and_adds_shifts_on_one_axis()
    {
        // manip_ops.cc docs: roll([0..4], 2, 0) = [3, 4, 0, 1, 2]; 2-D with shift [1, -2] on axes [0, 1]; shift [2, -3] on axis [1, 1].
        Assert.Equal(new[] { 3, 4, 0, 1, 2 }, OpHarness.Run1("Roll", [I([0, 1, 2, 3, 4]), Tensor.FromScalar(2), Tensor.FromScalar(0)]).ToArray<int>());
        var t = I([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 2, 5);
        Assert.Equal(new[] { 7, 8, 9, 5, 6, 2, 3, 4, 0, 1 }, OpHarness.Run1("Roll", [t, I([1, -2]), I([0, 1])]).ToArray<int>());
        Assert.Equal(new[] { 1, 2, 3, 4, 0, 6, 7, 8, 9, 5 }, OpHarness.Run1("Roll", [t, I([2, -3]), I([1, 1])]).ToArray<int>());
        // Negative axis, int64 shift, strings.
        var s = OpHarness.Run1("Roll", [Tensor.FromStrings(["a", "b", "c"], 3), L([-1]), I([-1])]);
        Assert.Equal(new[] { "b", "c", "a" }, s.Strings.Select(v => System.Text.Encoding.UTF8.GetString(v)));
        Assert.Contains("axis 2 is out of range", Assert.Throws<GraphExecutionException>(() => OpHarness.Run1("Roll", [t, I([1]), I([2])])).Message);
        Assert.Contains("shift and axis must have the same size", Assert.Throws<GraphExecutionException>(() => OpHarness.Run1("Roll", [t, I([1, 1]), I([0])])).Message);
    }

    [Fact]
    public void Roll_gradient_matches_central_differences()
        => CentralDifferences.CheckGraphGradient((b, x) => b.OutputOf(b.AddOperation("Roll", [x, b.Constant(new[] { 2, -1 }, "shift"), b.Constant(new[] { 0, 1 }, "axis")])),
            Conv3DKernelTests.Rand(12, 1), [3, 4]);

    [Fact]
    public void LinSpace_steps_in_the_input_type_and_ends_exactly_at_stop()
    {
        // sequence_ops.cc LinSpaceOp: step = (stop − start)/(num − 1) in T; out[i] = start + step·i; out[num − 1] = stop.
        var y = OpHarness.Run1("LinSpace", [Tensor.FromScalar(0.1f), Tensor.FromScalar(1.3f), Tensor.FromScalar(7)]).ToArray<float>();
        float step = (1.3f - 0.1f) / 6;
        Assert.Equal(Enumerable.Range(0, 6).Select(i => 0.1f + step * i).Append(1.3f), y);
        Assert.Equal(new[] { 10.0, 12.5, 15.0 }, OpHarness.Run1("LinSpace", [Tensor.FromScalar(10.0), Tensor.FromScalar(15.0), Tensor.FromScalar(3L)]).ToArray<double>());
        Assert.Equal(new[] { 4.0 }, OpHarness.Run1("LinSpace", [Tensor.FromScalar(4.0), Tensor.FromScalar(15.0), Tensor.FromScalar(1)]).ToArray<double>());
        Assert.Contains("Requires num > 0: 0",
            Assert.Throws<GraphExecutionException>(() => OpHarness.Run1("LinSpace", [Tensor.FromScalar(0f), Tensor.FromScalar(1f), Tensor.FromScalar(0)])).Message);
    }

    [Fact]
    public void Empty_makes_the_requested_shape_and_dtype()
    {
        var y = OpHarness.Run1("Empty", [I([2, 3])], OpHarness.Attrs(("dtype", DataType.DtInt64), ("init", true)));
        Assert.Equal(DataType.DtInt64, y.DType);
        Assert.Equal(new[] { 2, 3 }, y.Shape.ToArray());
        Assert.All(y.ToArray<long>(), v => Assert.Equal(0L, v));
        Assert.Contains("shape must be a vector of int32",
            Assert.Throws<GraphExecutionException>(() => OpHarness.Run1("Empty", [Tensor.FromScalar(3)], OpHarness.Attrs(("dtype", DataType.DtFloat)))).Message);
    }

    [Fact]
    public void EnsureShape_passes_compatible_shapes_and_names_the_tensor_otherwise()
    {
        var x = F([1, 2, 3, 4, 5, 6], 2, 3);
        var shape = new AttrValue { Shape = new TensorShapeProto { Dim = { new TensorShapeProto.Types.Dim { Size = -1 }, new TensorShapeProto.Types.Dim { Size = 3 } } } };
        Assert.Equal(x.ToArray<float>(), OpHarness.Run1("EnsureShape", [x], ("shape", shape)).ToArray<float>());
        var bad = new AttrValue { Shape = new TensorShapeProto { Dim = { new TensorShapeProto.Types.Dim { Size = 3 }, new TensorShapeProto.Types.Dim { Size = -1 } } } };
        var e = Assert.Throws<GraphExecutionException>(() => OpHarness.Run1("EnsureShape", [x], ("shape", bad)));
        Assert.Contains("Shape of tensor in0", e.Message);
        Assert.Contains("[2,3] is not compatible with expected shape [3,?].", e.Message);
        var any = new AttrValue { Shape = new TensorShapeProto { UnknownRank = true } };
        Assert.Equal(new[] { 2, 3 }, OpHarness.Run1("EnsureShape", [x], ("shape", any)).Shape.ToArray());
    }

    [Fact]
    public void UnravelIndex_matches_the_documented_example()
    {
        // array_ops.cc docs: indices [2, 5, 7], dims [3, 3] → [[0, 1, 2], [2, 2, 1]].
        Assert.Equal(new[] { 0, 1, 2, 2, 2, 1 }, OpHarness.Run1("UnravelIndex", [I([2, 5, 7]), I([3, 3])]).ToArray<int>());
        var scalar = OpHarness.Run1("UnravelIndex", [Tensor.FromScalar(1621L), L([6, 7, 8, 9])]);
        Assert.Equal(new[] { 4 }, scalar.Shape.ToArray());
        Assert.Equal(new long[] { 3, 1, 4, 1 }, scalar.ToArray<long>()); // 1621 = ((3·7 + 1)·8 + 4)·9 + 1
        Assert.Contains("index is out of bound as with dims",
            Assert.Throws<GraphExecutionException>(() => OpHarness.Run1("UnravelIndex", [I([9]), I([3, 3])])).Message);
    }

    [Fact]
    public void Bitcast_reinterprets_bytes_and_reshapes_by_the_size_ratio()
    {
        var f = F([1f, -2.5f]);
        var asInt = OpHarness.Run1("Bitcast", [f], OpHarness.Attrs(("type", DataType.DtInt32)));
        Assert.Equal(new[] { BitConverter.SingleToInt32Bits(1f), BitConverter.SingleToInt32Bits(-2.5f) }, asInt.ToArray<int>());
        var asBytes = OpHarness.Run1("Bitcast", [f], OpHarness.Attrs(("type", DataType.DtUint8)));
        Assert.Equal(new[] { 2, 4 }, asBytes.Shape.ToArray());
        Assert.Equal(BitConverter.GetBytes(1f).Concat(BitConverter.GetBytes(-2.5f)), asBytes.ToArray<byte>());
        var back = OpHarness.Run1("Bitcast", [asBytes], OpHarness.Attrs(("type", DataType.DtFloat)));
        Assert.Equal(new[] { 2 }, back.Shape.ToArray());
        Assert.Equal(f.ToArray<float>(), back.ToArray<float>());
        Assert.Contains("Cannot bitcast", Assert.Throws<GraphExecutionException>(() =>
            OpHarness.Run1("Bitcast", [Tensor.Create(new byte[6], 2, 3)], OpHarness.Attrs(("type", DataType.DtInt32)))).Message);
    }

    [Fact]
    public void Cross_and_its_gradient()
    {
        var a = F([1, 0, 0, 1, 2, 3], 2, 3);
        var b = F([0, 1, 0, 4, 5, 6], 2, 3);
        Assert.Equal(new float[] { 0, 0, 1, 2 * 6 - 3 * 5, 3 * 4 - 1 * 6, 1 * 5 - 2 * 4 }, OpHarness.Run1("Cross", [a, b]).ToArray<float>());
        Assert.Contains("must have 3 elements", Assert.Throws<GraphExecutionException>(() => OpHarness.Run1("Cross", [F([1, 2]), F([3, 4])])).Message);
        var other = Conv3DKernelTests.Rand(6, 2);
        CentralDifferences.CheckGraphGradient((g, x) => g.OutputOf(g.AddOperation("Cross", [x, g.Constant(Tensor.Create(other, 2, 3), "b")])), Conv3DKernelTests.Rand(6, 3), [2, 3]);
        CentralDifferences.CheckGraphGradient((g, x) => g.OutputOf(g.AddOperation("Cross", [g.Constant(Tensor.Create(other, 2, 3), "a"), x])), Conv3DKernelTests.Rand(6, 4), [2, 3]);
    }

    [Fact]
    public void ApproximateEqual_compares_against_the_tolerance_strictly()
    {
        var x = F([1f, 1f, 1f, 2f]);
        var y = F([1.5f, 1.25f, 1f, -2f]);
        Assert.Equal(new[] { false, true, true, false }, OpHarness.Run1("ApproximateEqual", [x, y], OpHarness.Attrs(("tolerance", 0.5f))).ToArray<bool>());
        Assert.Contains("x and y must be of the same shape",
            Assert.Throws<GraphExecutionException>(() => OpHarness.Run1("ApproximateEqual", [x, F([1f])])).Message);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void CumulativeLogsumexp_matches_log_of_cumulative_sums(bool exclusive, bool reverse)
    {
        var x = Conv3DKernelTests.Rand(2 * 4 * 3, 5).Select(v => v * 30).ToArray(); // large values: the max-shift matters
        var y = OpHarness.Run1("CumulativeLogsumexp", [Tensor.Create(x, 2, 4, 3), Tensor.FromScalar(1)],
            OpHarness.Attrs(("exclusive", exclusive), ("reverse", reverse))).ToArray<double>();
        for (int o = 0; o < 2; o++)
            for (int i = 0; i < 3; i++)
                for (int k = 0; k < 4; k++)
                {
                    var terms = Enumerable.Range(0, 4).Where(j => reverse ? (exclusive ? j > k : j >= k) : (exclusive ? j < k : j <= k))
                        .Select(j => x[(o * 4 + j) * 3 + i]).ToList();
                    double expected = terms.Count == 0 ? double.NegativeInfinity : terms.Max() + Math.Log(terms.Sum(t => Math.Exp(t - terms.Max())));
                    Assert.Equal(expected, y[(o * 4 + k) * 3 + i], 10);
                }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void CumulativeLogsumexp_gradient_matches_central_differences(bool reverse)
    {
        // math_grad.py _CumulativeLogsumexpGrad. (An exclusive scan starts at −∞, where TF's formula itself gives
        // inf − inf, so the inclusive forms are the ones with a checkable gradient.)
        var attrs = new Dictionary<string, AttrValue> { ["exclusive"] = Attrs.Bool(false), ["reverse"] = Attrs.Bool(reverse) };
        CentralDifferences.CheckGraphGradient((g, v) => g.OutputOf(g.AddOperation("CumulativeLogsumexp", [v, g.Constant(Tensor.FromScalar(1), "axis")], attrs)),
            Conv3DKernelTests.Rand(2 * 4 * 3, 6), [2, 4, 3], tol: 1e-5);
    }

    [Fact]
    public void LeakyReluGrad_passes_the_gradient_where_features_are_positive_and_scales_it_elsewhere()
    {
        var y = OpHarness.Run1("LeakyReluGrad", [F([1f, 2f, 3f, 4f]), F([0.5f, 0f, -1f, 2f])], OpHarness.Attrs(("alpha", 0.1f))).ToArray<float>();
        Assert.Equal(new[] { 1f, 2f * 0.1f, 3f * 0.1f, 4f }, y);
    }

    [Fact]
    public void Timestamp_is_the_current_unix_time_in_seconds()
    {
        double before = (DateTime.UtcNow - DateTime.UnixEpoch).TotalSeconds;
        double t = OpHarness.Run1("Timestamp", []).Scalar<double>();
        double after = (DateTime.UtcNow - DateTime.UnixEpoch).TotalSeconds;
        Assert.InRange(t, before - 1e-3, after + 1e-3);
    }
}
