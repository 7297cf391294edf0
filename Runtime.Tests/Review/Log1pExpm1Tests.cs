using TypedGraph.Protos;
using static TypedGraph.Tests.Support.ExecGraph;
using static TypedGraph.Tests.Support.OpHarness;

namespace TypedGraph.Tests.Review;

/// <summary>Log1p/Expm1 keep their precision near 0, as TF's std::log1p/expm1 do (Elu/Selu do not: see <see cref="EluExpMinusOneTests"/>).</summary>
public class Log1pExpm1Tests
{
    private static float[] U(string op, params float[] v) => Run1(op, [Tensor.Create(v, v.Length)], T(DataType.DtFloat)).ToArray<float>();

    [Fact]
    public void Log1pOfTinyValuesIsTheValue()
    {
        var r = U("Log1p", 1e-10f, -1e-10f, 1e-30f, 0f);
        Assert.Equal([1e-10f, -1e-10f, 1e-30f, 0f], r);
    }

    [Fact]
    public void Log1pOrdinaryAndSpecialValues()
    {
        var r = U("Log1p", 1f, -1f, float.PositiveInfinity, -2f, 1e-4f);
        Assert.Equal(MathF.Log(2), r[0], 6);
        Assert.Equal(float.NegativeInfinity, r[1]);
        Assert.Equal(float.PositiveInfinity, r[2]);
        Assert.True(float.IsNaN(r[3]));
        Assert.Equal((float)Math.Log(1.0001), r[4], 10); // log1p(1e-4) = 9.9995e-5 to float precision
    }

    [Fact]
    public void Expm1OfTinyValuesIsTheValue()
    {
        var r = U("Expm1", 1e-10f, -1e-10f, 1e-30f);
        Assert.Equal([1e-10f, -1e-10f, 1e-30f], r);
    }

    [Fact]
    public void Expm1OrdinaryAndSpecialValues()
    {
        var r = U("Expm1", 1f, -100f, 100f, float.NegativeInfinity);
        Assert.Equal(MathF.E - 1, r[0], 5);
        Assert.Equal(-1f, r[1]);
        Assert.Equal(float.PositiveInfinity, r[2]);
        Assert.Equal(-1f, r[3]);
    }

    [Fact]
    public void Expm1DoubleTiny()
        => Assert.Equal([1e-20], Run1("Expm1", [Tensor.Create(new[] { 1e-20 }, 1)], T(DataType.DtDouble)).ToArray<double>());
}
