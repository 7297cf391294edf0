using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Image;

/// <summary>
/// <c>ResizeBicubic(images [B,H,W,C], size [2]; align_corners, half_pixel_centers)</c> → float, after TF's
/// <c>resize_bicubic_op.cc</c>:
/// <list type="bullet">
/// <item>scale as <see cref="ResizeKernels.Scale"/>; source coordinate x·scale (legacy) or (x + 0.5)·scale − 0.5
/// (half_pixel_centers);</item>
/// <item>the four taps floor − 1 … floor + 2 are clamped into the image; their weights come from a 1025-entry table of
/// the cubic convolution kernel indexed by lrintf(frac·1024) (<c>InitCoeffsTable</c>);</item>
/// <item>legacy mode uses a = −0.75 and keeps the clamped taps' weights (edge pixels weigh more); half_pixel_centers
/// uses Keys' a = −0.5, zeroes the weight of a tap that fell outside and renormalizes the four weights to sum 1
/// (<c>GetWeightsAndIndices</c>, "use_keys_cubic");</item>
/// <item>each of the four columns is interpolated along y first, then the four results along x, in float.</item>
/// </list>
/// </summary>
internal sealed class ResizeBicubicKernel : KernelSet
{
    private const int TableSize = 1 << 10;
    private const float SmallestNormalFloat = 1.17549435e-38f; // std::numeric_limits<float>::min()
    private static readonly float[] s_legacyTable = CoefficientTable(-0.75);
    private static readonly float[] s_keysTable = CoefficientTable(-0.5);

    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("ResizeBicubic", n =>
    {
        bool align = n.GetBool("align_corners", false), half = n.GetBool("half_pixel_centers", false);
        if (align && half) throw Common.KernelAttrs.Err(n, "If half_pixel_centers is True, align_corners must be False.");
        return new DelegateKernel(n, ctx => Compute(ctx, align, half));
    });

    private static void Compute(OpKernelContext ctx, bool align, bool half)
    {
        var (x, outH, outW) = ResizeKernels.ReadInputs(ctx);
        int batch = x.Shape[0], inH = x.Shape[1], inW = x.Shape[2], ch = x.Shape[3];
        var output = ctx.AllocateOutput(0, DataType.DtFloat, new TensorShape(batch, outH, outW, ch));
        if (output.NumElements == 0) return;
        var o = output.AsSpan<float>();
        var src = ResizeKernels.ToFloat(x);
        var ys = new Taps[outH];
        for (int i = 0; i < outH; i++) ys[i] = Weights(ResizeKernels.Scale(inH, outH, align), i, inH, half);
        var xs = new Taps[outW];
        for (int i = 0; i < outW; i++) xs[i] = Weights(ResizeKernels.Scale(inW, outW, align), i, inW, half);
        long row = (long)inW * ch, image = row * inH;
        Span<float> column = stackalloc float[4];
        int at = 0;
        for (int b = 0; b < batch; b++)
            for (int oy = 0; oy < outH; oy++)
            {
                var ty = ys[oy];
                long r0 = b * image + ty.I0 * row, r1 = b * image + ty.I1 * row, r2 = b * image + ty.I2 * row, r3 = b * image + ty.I3 * row;
                for (int ox = 0; ox < outW; ox++)
                {
                    var tx = xs[ox];
                    for (int c = 0; c < ch; c++)
                    {
                        for (int k = 0; k < 4; k++)
                        {
                            long col = (long)tx.Index(k) * ch + c;
                            column[k] = src[r0 + col] * ty.W0 + src[r1 + col] * ty.W1 + src[r2 + col] * ty.W2 + src[r3 + col] * ty.W3;
                        }
                        o[at++] = column[0] * tx.W0 + column[1] * tx.W1 + column[2] * tx.W2 + column[3] * tx.W3;
                    }
                }
            }
    }

    /// <summary>The four clamped source indices and weights of one output position (TF's WeightsAndIndices).</summary>
    internal readonly record struct Taps(int I0, int I1, int I2, int I3, float W0, float W1, float W2, float W3)
    {
        public int Index(int k) => k switch { 0 => I0, 1 => I1, 2 => I2, _ => I3 };
    }

    /// <summary>TF's InitCoeffsTable: entry 2i is the kernel at distance i/1024, entry 2i+1 at distance 1 + i/1024
    /// (computed in double from a float x, stored as float).</summary>
    private static float[] CoefficientTable(double a)
    {
        var table = new float[(TableSize + 1) * 2];
        for (int i = 0; i <= TableSize; i++)
        {
            float x = (float)(i * 1.0 / TableSize);
            table[i * 2] = (float)(((a + 2) * x - (a + 3)) * x * x + 1);
            x = (float)(x + 1.0);
            table[i * 2 + 1] = (float)(((a * x - 5 * a) * x + 8 * a) * x - 4 * a);
        }
        return table;
    }

    /// <summary>TF's GetWeightsAndIndices (keys = half_pixel_centers: Keys cubic, out-of-image taps dropped and renormalized).</summary>
    internal static Taps Weights(float scale, int outLoc, int limit, bool keys)
    {
        float inLocF = keys ? (outLoc + 0.5f) * scale - 0.5f : outLoc * scale;
        long inLoc = (long)MathF.Floor(inLocF);
        float delta = inLocF - inLoc;
        int offset = (int)MathF.Round(delta * TableSize, MidpointRounding.ToEven); // lrintf in the default rounding mode
        var t = keys ? s_keysTable : s_legacyTable;
        int i0 = Bound(inLoc - 1, limit), i1 = Bound(inLoc, limit), i2 = Bound(inLoc + 1, limit), i3 = Bound(inLoc + 2, limit);
        float w0 = t[offset * 2 + 1], w1 = t[offset * 2], w2 = t[(TableSize - offset) * 2], w3 = t[(TableSize - offset) * 2 + 1];
        if (keys)
        {
            // Taps clamped into the image get no weight; the rest are renormalized (TF's use_keys_cubic branch).
            if (i0 != inLoc - 1) w0 = 0;
            if (i1 != inLoc) w1 = 0;
            if (i2 != inLoc + 1) w2 = 0;
            if (i3 != inLoc + 2) w3 = 0;
            float sum = w0 + w1 + w2 + w3;
            if (MathF.Abs(sum) >= 1000f * SmallestNormalFloat)
            {
                float inv = 1f / sum;
                w0 *= inv; w1 *= inv; w2 *= inv; w3 *= inv;
            }
        }
        return new Taps(i0, i1, i2, i3, w0, w1, w2, w3);
    }

    private static int Bound(long v, int limit) => (int)Math.Min(limit - 1, Math.Max(0, v));
}
