using TypedGraph.Kernels.Simd;
using Xunit;

namespace TypedGraph.Tests.Kernels;

/// <summary>
/// <see cref="VectorExp"/> against <see cref="Math.Exp(double)"/> rounded to float: within 2 ulp over the whole finite
/// range (Eigen's pexp_float, which TF's Softmax uses, is documented to ~1 ulp), exact special values, and the same bits
/// for an element wherever it sits in the span (the property the fused softmax's row parts rely on).
/// </summary>
public class VectorExpTests
{
    private static long UlpDistance(float a, float b)
    {
        int ia = BitConverter.SingleToInt32Bits(a), ib = BitConverter.SingleToInt32Bits(b);
        // Map the sign-magnitude bit patterns to a monotonic integer line.
        long la = ia < 0 ? int.MinValue - (long)ia : ia, lb = ib < 0 ? int.MinValue - (long)ib : ib;
        return Math.Abs(la - lb);
    }

    [Fact]
    public void Within_two_ulp_of_the_correctly_rounded_exp_from_underflow_to_overflow()
    {
        // Every 97th float bit pattern between -104 and 89 (about 700k values, all exponent ranges and mantissas).
        var xs = new List<float>();
        for (float lo = -104f; lo < 0; lo = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(lo) - 97)) xs.Add(lo);
        for (float v = 0f; v < 89f; v = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(v) + 97)) xs.Add(v);
        var x = xs.ToArray();
        var y = new float[x.Length];
        VectorExp.Exp(x, y);
        long worst = 0;
        float worstAt = 0;
        for (int i = 0; i < x.Length; i++)
        {
            float expected = (float)Math.Exp(x[i]);
            long d = UlpDistance(expected, y[i]);
            if (d > worst) (worst, worstAt) = (d, x[i]);
        }
        Assert.True(worst <= 2, $"worst error {worst} ulp at x = {worstAt:R}: exp {(float)Math.Exp(worstAt):R}, ours {y[Array.IndexOf(x, worstAt)]:R}");
    }

    [Fact]
    public void Special_values()
    {
        float[] x = [0f, -0f, 1f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, 88.72f, 88.73f, 100f, -103.9f, -104.5f, -1e30f, 1e30f, float.Epsilon];
        var y = new float[x.Length];
        VectorExp.Exp(x, y);
        Assert.Equal(1f, y[0]);
        Assert.Equal(1f, y[1]);
        Assert.Equal(MathF.E, y[2]);
        Assert.Equal(float.PositiveInfinity, y[3]);
        Assert.Equal(0f, y[4]);
        Assert.True(float.IsNaN(y[5]));
        Assert.Equal((float)Math.Exp(88.72f), y[6]);       // just under float.MaxValue
        Assert.Equal(float.PositiveInfinity, y[7]);         // just over
        Assert.Equal(float.PositiveInfinity, y[8]);
        Assert.True(UlpDistance((float)Math.Exp(-103.9f), y[9]) <= 1, $"subnormal exp(-103.9): {y[9]:R}"); // 2 subnormal steps
        Assert.Equal(0f, y[10]);
        Assert.Equal(0f, y[11]);
        Assert.Equal(float.PositiveInfinity, y[12]);
        Assert.Equal(1f, y[13]);
    }

    [Fact]
    public void An_element_gets_the_same_bits_in_any_span_length_and_position()
    {
        var rng = new Random(3);
        var all = Enumerable.Range(0, 67).Select(_ => (float)(rng.NextDouble() * 40 - 30)).ToArray();
        var whole = new float[all.Length];
        VectorExp.Exp(all, whole);
        for (int start = 0; start < 9; start++)
            for (int length = 1; start + length <= all.Length; length += 5)
            {
                var part = new float[length];
                VectorExp.Exp(all.AsSpan(start, length), part);
                Assert.Equal(whole.AsSpan(start, length).ToArray(), part);
            }
        // In place.
        var copy = (float[])all.Clone();
        VectorExp.Exp(copy, copy);
        Assert.Equal(whole, copy);
    }
}
