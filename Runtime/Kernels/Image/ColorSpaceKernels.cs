using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Image;

/// <summary>
/// <c>RGBToHSV</c> and <c>HSVToRGB</c> on [..., 3] tensors of float, double or half, after TF's <c>colorspace_op.h</c>:
/// <list type="bullet">
/// <item>V = max, range = V − min, S = V &gt; 0 ? range/V : 0; with norm = (1/range)·(1/6), H = norm·(G − B) when R is
/// the max, else norm·(B − R) + 2/6 when G is, else norm·(R − G) + 4/6; H = 0 when range is 0, and H + 1 when negative;</item>
/// <item>back: dh = 6H, r = clamp(|dh − 3| − 1), g = clamp(2 − |dh − 2|), b = clamp(2 − |dh − 4|) in [0, 1], each
/// channel (1 − S + S·c)·V.</item>
/// </list>
/// float and double compute in their own type; half computes in float and rounds once at the end (TF's Eigen
/// half arithmetic rounds after every step, so half results may differ by an ulp).
/// </summary>
internal sealed class ColorSpaceKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("RGBToHSV", n => new DelegateKernel(n, ctx => Compute(ctx, toHsv: true)));
        registry.Add("HSVToRGB", n => new DelegateKernel(n, ctx => Compute(ctx, toHsv: false)));
    }

    private static void Compute(OpKernelContext ctx, bool toHsv)
    {
        var x = ctx.Input(0);
        if (x.Shape.Rank < 1) throw ctx.Error($"input must be at least 1D{x.Shape}");
        int channels = x.Shape[x.Shape.Rank - 1];
        if (channels != 3) throw ctx.Error($"input must have 3 channels but input only has {channels} channels.");
        var y = ctx.AllocateOutput(0, x.DType, x.Shape);
        switch (x.DType)
        {
            case DataType.DtDouble:
                var sd = x.AsSpan<double>();
                var dd = y.AsSpan<double>();
                for (int i = 0; i < sd.Length; i += 3)
                    if (toHsv) RgbToHsv(sd[i], sd[i + 1], sd[i + 2], out dd[i], out dd[i + 1], out dd[i + 2]);
                    else HsvToRgb(sd[i], sd[i + 1], sd[i + 2], out dd[i], out dd[i + 1], out dd[i + 2]);
                return;
            case DataType.DtFloat:
                var sf = x.AsSpan<float>();
                var df = y.AsSpan<float>();
                for (int i = 0; i < sf.Length; i += 3)
                    if (toHsv) RgbToHsv(sf[i], sf[i + 1], sf[i + 2], out df[i], out df[i + 1], out df[i + 2]);
                    else HsvToRgb(sf[i], sf[i + 1], sf[i + 2], out df[i], out df[i + 1], out df[i + 2]);
                return;
            case DataType.DtHalf:
                var sh = x.AsSpan<Half>();
                var dh = y.AsSpan<Half>();
                for (int i = 0; i < sh.Length; i += 3)
                {
                    float a, b, c;
                    if (toHsv) RgbToHsv((float)sh[i], (float)sh[i + 1], (float)sh[i + 2], out a, out b, out c);
                    else HsvToRgb((float)sh[i], (float)sh[i + 1], (float)sh[i + 2], out a, out b, out c);
                    dh[i] = (Half)a; dh[i + 1] = (Half)b; dh[i + 2] = (Half)c;
                }
                return;
            default:
                throw ctx.Error($"no kernel for dtype {DataTypes.Name(x.DType)} (TF registers half, float and double)");
        }
    }

    internal static void RgbToHsv<T>(T r, T g, T b, out T h, out T s, out T v) where T : System.Numerics.IFloatingPointIeee754<T>
    {
        v = T.Max(r, T.Max(g, b));
        T range = v - T.Min(r, T.Min(g, b));
        s = v > T.Zero ? range / v : T.Zero;
        T six = T.CreateChecked(6);
        T norm = T.One / range * (T.One / six);
        T hue = r == v ? norm * (g - b) : g == v ? norm * (b - r) + T.CreateChecked(2) / six : norm * (r - g) + T.CreateChecked(4) / six;
        if (!(range > T.Zero)) hue = T.Zero;
        h = hue < T.Zero ? hue + T.One : hue;
    }

    internal static void HsvToRgb<T>(T h, T s, T v, out T r, out T g, out T b) where T : System.Numerics.IFloatingPointIeee754<T>
    {
        T dh = h * T.CreateChecked(6), one = T.One, two = T.CreateChecked(2);
        T dr = Clamp01(T.Abs(dh - T.CreateChecked(3)) - one);
        T dg = Clamp01(-T.Abs(dh - two) + two);
        T db = Clamp01(-T.Abs(dh - T.CreateChecked(4)) + two);
        T oneMinusS = -s + one;
        r = (oneMinusS + s * dr) * v;
        g = (oneMinusS + s * dg) * v;
        b = (oneMinusS + s * db) * v;
    }

    private static T Clamp01<T>(T x) where T : System.Numerics.IFloatingPointIeee754<T> => T.Min(T.Max(x, T.Zero), T.One);
}
