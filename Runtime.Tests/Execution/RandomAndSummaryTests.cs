using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using static TypedGraph.Tests.Execution.ExecutionTestValues;
using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.ExecGraph;

namespace TypedGraph.Tests.Execution;

public class RandomAndSummaryTests
{
    [Fact]
    public void PhiloxMatchesTheRandom123KnownAnswers()
    {
        // Known-answer vectors of Philox4x32-10 (Salmon et al., Random123 kat_vectors).
        var zero = new TypedGraph.Kernels.Exec.Philox(0, 0);
        Assert.Equal((0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u), zero.Next());
        var pi = new TypedGraph.Kernels.Exec.Philox(0x299f31d0a4093822UL, 0x0370734413198a2eUL);
        pi.Skip(0x85a308d3243f6a88UL);
        Assert.Equal((0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u), pi.Next());
    }

    private static Session RandomSession(string op, DataType dtype, long seed, long seed2, int[] shape, params string[] extra)
    {
        var g = new ExecGraph();
        g.Const("shape", Tensor.Create(shape));
        var inputs = new List<string> { "shape" };
        inputs.AddRange(extra);
        if (op == "RandomUniformInt")
        {
            g.Const("lo", Tensor.FromScalar(-3));
            g.Const("hi", Tensor.FromScalar(4));
            inputs.Add("lo");
            inputs.Add("hi");
            g.Op("r", op, [.. inputs], ("Tout", Type(dtype)), ("seed", Int(seed)), ("seed2", Int(seed2)));
        }
        else g.Op("r", op, [.. inputs], ("dtype", Type(dtype)), ("seed", Int(seed)), ("seed2", Int(seed2)));
        return new Session(g.Graph, new SessionOptions { Registry = TestKernels.Create() });
    }

    [Fact]
    public void SeededRandomOpsAreDeterministicAndAdvance()
    {
        using var a = RandomSession("RandomStandardNormal", DataType.DtFloat, 1, 2, [1000]);
        using var b = RandomSession("RandomStandardNormal", DataType.DtFloat, 1, 2, [1000]);
        var first = a.Run("r:0").ToArray<float>();
        Assert.Equal(first, b.Run("r:0").ToArray<float>());
        Assert.NotEqual(first, a.Run("r:0").ToArray<float>()); // the stream continues, as in TF
        double mean = first.Average(), variance = first.Select(x => (x - mean) * (x - mean)).Average();
        Assert.InRange(mean, -0.15, 0.15);
        Assert.InRange(variance, 0.85, 1.15);
    }

    [Fact]
    public void TruncatedNormalStaysWithinTwoStddev()
    {
        using var s = RandomSession("TruncatedNormal", DataType.DtFloat, 7, 0, [50, 41]);
        var v = s.Run("r:0").ToArray<float>();
        Assert.Equal(2050, v.Length);
        Assert.All(v, x => Assert.InRange(x, -2f, 2f));
        Assert.InRange(v.Select(x => (double)x * x).Average(), 0.6, 0.9); // variance of N(0,1) cut at ±2 ≈ 0.774
    }

    [Fact]
    public void UniformAndUniformIntRanges()
    {
        using var u = RandomSession("RandomUniform", DataType.DtFloat, 3, 4, [999]);
        var v = u.Run("r:0").ToArray<float>();
        Assert.All(v, x => Assert.InRange(x, 0f, 0.99999994f));
        Assert.InRange(v.Average(), 0.45, 0.55);
        using var d = RandomSession("RandomUniform", DataType.DtDouble, 3, 4, [3]);
        Assert.All(d.Run("r:0").ToArray<double>(), x => Assert.InRange(x, 0, 1));
        using var i = RandomSession("RandomUniformInt", DataType.DtInt64, 3, 4, [500]);
        var iv = i.Run("r:0").ToArray<long>();
        Assert.All(iv, x => Assert.InRange(x, -3L, 3L));
        Assert.Equal(7, iv.Distinct().Count());
    }

    [Fact]
    public void UnseededOpsUseTheSessionGraphSeedWhenGiven()
    {
        var g = new ExecGraph();
        g.Const("shape", Tensor.Create([4]));
        g.Op("r", "RandomUniform", ["shape"], ("dtype", Type(DataType.DtFloat)), ("seed", Int(0)), ("seed2", Int(0)));
        using var a = new Session(g.Graph, new SessionOptions { Registry = TestKernels.Create(), GraphSeed = 5 });
        using var b = new Session(g.Graph, new SessionOptions { Registry = TestKernels.Create(), GraphSeed = 5 });
        Assert.Equal(a.Run("r:0").ToArray<float>(), b.Run("r:0").ToArray<float>());
    }

    [Fact]
    public void ScalarHistogramAndMergeSummaries()
    {
        var g = new ExecGraph();
        g.Const("tag", Tensor.FromString("loss"));
        g.Const("v", Tensor.FromScalar(0.25f));
        g.Op("s1", "ScalarSummary", ["tag", "v"], T(DataType.DtFloat));
        g.Const("htag", Tensor.FromString("weights"));
        g.Const("w", Tensor.Create(new float[] { -1, 0, 0, 2.5f }));
        g.Op("h1", "HistogramSummary", ["htag", "w"], T(DataType.DtFloat));
        g.Op("merged", "MergeSummary", ["s1", "h1"], ("N", Int(2)));
        g.Op("dup", "MergeSummary", ["s1", "s1"], ("N", Int(2)));
        using var s = new Session(g.Graph, new SessionOptions { Registry = TestKernels.Create() });
        var merged = Summary.Parser.ParseFrom(s.Run("merged:0").Strings[0]);
        Assert.Equal(2, merged.Value.Count);
        Assert.Equal("loss", merged.Value[0].Tag);
        Assert.Equal(0.25f, merged.Value[0].SimpleValue);
        var h = merged.Value[1].Histo;
        Assert.Equal("weights", merged.Value[1].Tag);
        Assert.Equal((-1.0, 2.5, 4.0, 1.5, 7.25), (h.Min, h.Max, h.Num, h.Sum, h.SumSquares));
        Assert.Equal(4.0, h.Bucket.Sum());
        Assert.Equal(2.0, h.Bucket[h.BucketLimit.IndexOf(1e-12)]); // the two zeros land in the bucket ending at 1e-12
        Assert.Contains("Duplicate tag loss", Assert.Throws<GraphExecutionException>(() => s.Run("dup:0")).Message);
    }

    [Fact]
    public void HistogramRejectsNaN()
    {
        var ex = Assert.Throws<GraphExecutionException>(() => Run1("HistogramSummary", [Tensor.FromString("t"), F([1, float.NaN], 2)]));
        Assert.Contains("Nan in summary histogram for: t", ex.Message);
    }
}
