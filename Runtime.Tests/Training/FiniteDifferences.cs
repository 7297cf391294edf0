using TypedGraph.Protos;

namespace TypedGraph.Tests.Training;

/// <summary>Finite-difference gradients and random test values for gradient tests (ops themselves run through <see cref="Support.OpHarness"/>).</summary>
internal static class FiniteDifferences
{
    /// <summary>Central differences of L(x) = Σ w · f(x) with respect to each element of <paramref name="x"/>.</summary>
    public static double[] NumericGradient(Func<Tensor, Tensor> f, Tensor x, double[] w, double h)
    {
        var result = new double[x.NumElements];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = (Loss(f(Perturb(x, i, +h)), w) - Loss(f(Perturb(x, i, -h)), w)) / (2 * h);
        }
        return result;
    }

    private static double Loss(Tensor y, double[] w)
    {
        var v = Doubles(y);
        double s = 0;
        for (int i = 0; i < v.Length; i++) s += v[i] * w[i];
        return s;
    }

    public static double[] Doubles(Tensor t) => t.DType == DataType.DtDouble ? t.ToArray<double>() : Array.ConvertAll(t.ToArray<float>(), v => (double)v);

    private static Tensor Perturb(Tensor x, int i, double h)
    {
        var c = x.Clone();
        if (c.DType == DataType.DtDouble) c.AsSpan<double>()[i] += h;
        else c.AsSpan<float>()[i] += (float)h;
        return c;
    }

    public static Tensor Like(Tensor x, double[] values) => x.DType == DataType.DtDouble
        ? Tensor.Create(values, x.Shape.ToArray())
        : Tensor.Create(Array.ConvertAll(values, v => (float)v), x.Shape.ToArray());

    public static double[] Random(int n, int seed, double lo = -1, double hi = 1)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => lo + (hi - lo) * r.NextDouble()).ToArray();
    }
}
