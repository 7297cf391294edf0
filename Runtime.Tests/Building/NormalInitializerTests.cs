using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Tests.Building;

/// <summary>
/// <see cref="RandomNormal"/> (<c>tf.random_normal</c>) and <see cref="GlorotNormal"/> (TF 1.x <c>glorot_normal_initializer</c>
/// = VarianceScaling(1, fan_avg, truncated_normal)): TF's node layout, and the drawn values' statistics against the
/// distribution each promises (checked on 60,000 samples, tolerances several standard errors wide).
/// </summary>
public class NormalInitializerTests
{
    private static float[] Initialize(Initializer init, long[] shape, out GraphBuilder b)
    {
        b = new GraphBuilder();
        var v = b.Variable(shape, init, "w");
        using var s = new Session(b.Graph);
        s.Initialize();
        return s.Run([v.Snapshot.Name])[0].ToArray<float>();
    }

    private static (double Mean, double Std) Moments(float[] x)
    {
        double mean = x.Average(v => (double)v);
        double variance = x.Sum(v => (v - mean) * (v - mean)) / (x.Length - 1);
        return (mean, Math.Sqrt(variance));
    }

    [Fact]
    public void RandomNormal_builds_tf_random_normal_and_draws_with_the_given_mean_and_stddev()
    {
        var x = Initialize(new RandomNormal(mean: 3, stddev: 0.5, seed: 11), [200, 300], out var b);
        Assert.Equal(["random_normal/shape", "random_normal/mean", "random_normal/stddev", "random_normal/RandomStandardNormal",
            "random_normal/mul", "random_normal", "w", "w/Assign", "w/read"], b.Graph.Nodes.Select(n => n.Name));
        Assert.Equal("Add", b.GetOperation("random_normal").Op);
        var (mean, std) = Moments(x);
        // Standard error of the mean: 0.5 / √60000 ≈ 0.002; of the stddev ≈ 0.5 / √120000 ≈ 0.0014.
        Assert.InRange(mean, 3 - 0.01, 3 + 0.01);
        Assert.InRange(std, 0.5 - 0.008, 0.5 + 0.008);
        // An untruncated normal: about 4.55 % of draws lie beyond 2σ.
        double beyond2Sigma = x.Count(v => Math.Abs(v - 3) > 1.0) / (double)x.Length;
        Assert.InRange(beyond2Sigma, 0.040, 0.051);
    }

    [Fact]
    public void GlorotNormal_draws_a_truncated_normal_whose_variance_is_2_over_fan_in_plus_fan_out()
    {
        // fan_in = 3·3·20 = 180, fan_out = 3·3·40 = 360 for a [3, 3, 20, 40] conv kernel (TF's _compute_fans).
        var x = Initialize(new GlorotNormal(seed: 5), [3, 3, 20, 40], out var b);
        Assert.Equal("TruncatedNormal", b.GetOperation("truncated_normal/TruncatedNormal").Op);
        double targetVariance = 2.0 / (180 + 360);
        // The stddev before truncation is √target / 0.8796… (scipy's truncnorm(-2, 2).std()), so that the variance
        // after truncating at ±2 of it is the target.
        double preTruncationStd = Math.Sqrt(targetVariance) / 0.87962566103423978;
        var stddevConst = b.GetOperation("truncated_normal/stddev").GetTensor("value").FloatVal[0];
        Assert.Equal(preTruncationStd, stddevConst, 6);
        Assert.All(x, v => Assert.InRange(Math.Abs(v), 0, 2 * preTruncationStd + 1e-6));
        var (mean, std) = Moments(x);
        Assert.InRange(mean, -0.0015, 0.0015);
        Assert.InRange(std * std, targetVariance * 0.97, targetVariance * 1.03);
    }
}
