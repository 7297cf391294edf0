namespace TypedGraph.Tests.Support;

/// <summary>Short builders for test tensors (a missing shape means a vector of the values) and an element-wise float comparison.</summary>
internal static class TestTensors
{
    public static Tensor F(float[] data, params int[] shape) => Tensor.Create(data, shape.Length == 0 ? [data.Length] : shape);

    public static Tensor I(int[] data, params int[] shape) => Tensor.Create(data, shape.Length == 0 ? [data.Length] : shape);

    public static Tensor L(long[] data, params int[] shape) => Tensor.Create(data, shape.Length == 0 ? [data.Length] : shape);

    public static Tensor B(bool[] data, params int[] shape) => Tensor.Create(data, shape.Length == 0 ? [data.Length] : shape);

    public static float[] RandomFloats(Random r, long n, float scale = 1f)
    {
        var x = new float[n];
        for (long i = 0; i < n; i++) x[i] = (float)(r.NextDouble() * 2 - 1) * scale;
        return x;
    }

    public static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float tol = 1e-5f, string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            float e = expected[i], a = actual[i];
            if (float.IsNaN(e)) { Assert.True(float.IsNaN(a), $"{what}[{i}]: expected NaN, got {a}"); continue; }
            Assert.True(Math.Abs(e - a) <= tol * Math.Max(1, Math.Abs(e)), $"{what}[{i}]: expected {e}, got {a}");
        }
    }
}
