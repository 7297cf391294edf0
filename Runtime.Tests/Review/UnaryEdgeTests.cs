using TypedGraph.Protos;
using static TypedGraph.Tests.Support.ExecGraph;
using static TypedGraph.Tests.Support.OpHarness;

namespace TypedGraph.Tests.Review;

/// <summary>Numerically hard inputs to elementwise kernels (no NaN where TF gives a finite value).</summary>
public class UnaryEdgeTests
{
    static Tensor F(params float[] v) => Tensor.Create(v, v.Length);
    static float[] U(string op, params float[] v) => Run1(op, [F(v)], T(DataType.DtFloat)).ToArray<float>();

    [Fact] public void PowNegativeBaseIntegerExponent() => Assert.Equal([-8f, float.PositiveInfinity], Run1("Pow", [F(-2, 0), F(3, -1)], T(DataType.DtFloat)).ToArray<float>());
    [Fact] public void SoftplusLargeAndSmall() { var r = U("Softplus", 100, -100); Assert.Equal(100f, r[0]); Assert.True(r[1] >= 0 && r[1] < 1e-40, r[1].ToString()); }
    [Fact] public void SigmoidExtremes() => Assert.Equal([1f, 0f], U("Sigmoid", 100, -200));
    [Fact] public void TanhExtremes() => Assert.Equal([1f, -1f], U("Tanh", 100, -100));
    [Fact] public void FloorCeilNegativeHalf() { Assert.Equal([-1f], U("Floor", -0.5f)); Assert.Equal(0f, U("Ceil", -0.5f)[0]); }
    [Fact] public void SignOfNaNAndZero() { var r = U("Sign", float.NaN, 0, -3); Assert.True(float.IsNaN(r[0])); Assert.Equal(0f, r[1]); Assert.Equal(-1f, r[2]); }
    [Fact] public void ReciprocalOfZero() => Assert.Equal([float.PositiveInfinity], U("Reciprocal", 0));
    [Fact] public void EluLargeNegative() => Assert.Equal([-1f], U("Elu", -100));
    [Fact] public void SeluValues() => Assert.Equal(1.0507009873554805f * 2, U("Selu", 2)[0], 5);
    [Fact] public void IntegerPowWraps() => Assert.Equal([unchecked((int)(1L << 31))], Run1("Pow", [Tensor.Create(new[] { 2 }, 1), Tensor.Create(new[] { 31 }, 1)], T(DataType.DtInt32)).ToArray<int>());
    [Fact] public void NegZeroAbs() => Assert.Equal([0f], U("Abs", -0f));
    [Fact] public void RsqrtZero() => Assert.Equal([float.PositiveInfinity], U("Rsqrt", 0));
    [Fact] public void LogZero() => Assert.Equal([float.NegativeInfinity], U("Log", 0));
}
