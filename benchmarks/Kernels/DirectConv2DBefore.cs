using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using TypedGraph.Kernels.Common;

using TypedGraph.Kernels.NN;

namespace TypedGraph.Benchmarks.Kernels;

/// <summary>
/// The direct conv kernel as it was before session 9 (8-pixel blocks, last block overlapping), kept only as the "before" side of the conv1 probe.
/// Direct NHWC float convolution for few input channels (the first layer of image nets: C_in = 1 or 3),
/// where im2col copies as many bytes as the GEMM then reads and the GEMM's K (= KH·KW·C) is too short to
/// amortise its packing. Each output pixel's OC values are accumulated in vector registers: for every
/// filter tap the input value is broadcast and multiplied by the filter row [OC] (contiguous in TF's
/// [KH, KW, C, OC] layout), eight pixels at a time. Output rows (n, oh) are split across cores.
/// </summary>
internal static class DirectConv2DBefore
{
    /// <summary>Pixels per register block: 8 accumulators per 16-float OC tile keeps two FMA pipes busy.</summary>
    private const int Block = 8;

    /// <summary>
    /// The plan-time choice between this kernel and im2col + GEMM. Direct wins when the input has at most 4
    /// channels (the im2col row runs are KW·C ≤ 20 floats and GEMM's K is tiny) and OC is a whole number of
    /// 16-float vectors that fits in registers with the pixel block (≤ 64). Vector512 hardware is required.
    /// </summary>
    public static bool IsPreferred(in Window2D g, int oc)
        => Vector512.IsHardwareAccelerated && g.C <= 4 && oc % 16 == 0 && oc <= 64 && (long)g.KH * g.KW >= 4;

    /// <summary>Convolves NHWC <paramref name="input"/> with [KH,KW,C,OC] <paramref name="filter"/> into [N·OH·OW, OC].</summary>
    public static unsafe void Run(Window2D g, int oc, ReadOnlySpan<float> input, ReadOnlySpan<float> filter, Span<float> output,
        Epilogue? epilogue, Tensor? bias)
    {
        if (!Vector512.IsHardwareAccelerated || oc % 16 != 0) throw new InvalidOperationException("DirectConv2D needs Vector512 and OC a multiple of 16.");
        if (input.Length < (long)g.N * g.H * g.W * g.C || filter.Length < (long)g.KH * g.KW * g.C * oc || output.Length < (long)g.N * g.OH * g.OW * oc)
            throw new ArgumentException("DirectConv2D: buffer smaller than the geometry.");
        var geometry = g;
        float[]? rented = PaddedInput.Rent(ref geometry, input);
        bool padded = rented != null;
        try
        {
            ReadOnlySpan<float> x = padded ? rented : input;
            fixed (float* pin = x, pf = filter, pout = output)
            {
                var job = new Rows(geometry, oc, (nint)pin, (nint)pf, (nint)pout, epilogue, bias);
                long rows = (long)g.N * g.OH;
                // An output row is OW·OC·KH·KW·C FMAs; a few rows per chunk keep the hand-off cost small.
                long perRow = (long)g.OW * oc * g.KH * g.KW * g.C;
                Workers.For(rows, Math.Max(1, (1 << 16) / Math.Max(1, perRow)), job, static (j, s, e) => j.Run(s, e));
            }
        }
        finally
        {
            if (rented != null) ArrayPool<float>.Shared.Return(rented);
        }
    }

    private readonly record struct Rows(Window2D G, int Oc, nint In, nint Filter, nint Out, Epilogue? Epilogue, Tensor? Bias)
    {
        public unsafe void Run(long start, long end)
        {
            var g = G;
            float* input = (float*)In, filter = (float*)Filter, output = (float*)Out;
            for (long r = start; r < end; r++)
            {
                int b = (int)(r / g.OH), oh = (int)(r % g.OH);
                float* outRow = output + r * g.OW * Oc;
                if (g.OW >= Block && g.PadLeft == 0)
                {
                    // The last block overlaps the previous one instead of a one-pixel tail: recomputed pixels get
                    // the same values, so writing them twice is harmless.
                    for (int ow = 0; ow < g.OW; ow += Block)
                    {
                        int at = Math.Min(ow, g.OW - Block);
                        if (Interior(g, at, Block)) BlockInterior(g, Oc, input, filter, outRow + (long)at * Oc, b, oh, at);
                        else PixelsChecked(g, Oc, input, filter, outRow + (long)at * Oc, b, oh, at, Block);
                    }
                }
                else PixelsChecked(g, Oc, input, filter, outRow, b, oh, 0, g.OW);
                Epilogue?.Apply(new Span<float>(outRow, g.OW * Oc), Bias!.AsSpan<float>());
            }
        }
    }

    // True when every tap of pixels [ow, ow+count) lies inside the input row horizontally.
    private static bool Interior(in Window2D g, int ow, int count)
    {
        int first = ow * g.SW - g.PadLeft;
        int last = (ow + count - 1) * g.SW - g.PadLeft + (g.KW - 1) * g.DW;
        return first >= 0 && last < g.W;
    }

    // Eight pixels, no horizontal bounds checks; rows above/below the input contribute nothing (zero padding).
    // OC is walked in tiles of 32 (two vectors: each broadcast input value feeds two FMAs) and a last tile of 16.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void BlockInterior(in Window2D g, int oc, float* input, float* filter, float* output, int b, int oh, int ow)
    {
        int c = g.C, kw = g.KW, kh = g.KH;
        nint ps = g.SW * c, tapStep = g.DW * c, rowLen = (nint)g.W * c, fTap = (nint)c * oc;
        float* rowBase = input + ((long)b * g.H * g.W + (ow * g.SW - g.PadLeft)) * c;
        int ih0 = oh * g.SH - g.PadTop;
        int t = 0;
        for (; t + 32 <= oc; t += 32)
        {
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
            Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default;
            for (int ky = 0; ky < kh; ky++)
            {
                int ih = ih0 + ky * g.DH;
                if ((uint)ih >= (uint)g.H) continue;
                float* x = rowBase + ih * rowLen;
                float* f = filter + (nint)ky * kw * fTap + t;
                for (int kx = 0; kx < kw; kx++, x += tapStep - c)
                {
                    for (int ci = 0; ci < c; ci++, x++, f += oc)
                    {
                        var w0 = Vector512.Load(f);
                        var w1 = Vector512.Load(f + 16);
                        var v = Vector512.Create(x[0]); a0 = Vector512.FusedMultiplyAdd(v, w0, a0); b0 = Vector512.FusedMultiplyAdd(v, w1, b0);
                        v = Vector512.Create(x[ps]); a1 = Vector512.FusedMultiplyAdd(v, w0, a1); b1 = Vector512.FusedMultiplyAdd(v, w1, b1);
                        v = Vector512.Create(x[2 * ps]); a2 = Vector512.FusedMultiplyAdd(v, w0, a2); b2 = Vector512.FusedMultiplyAdd(v, w1, b2);
                        v = Vector512.Create(x[3 * ps]); a3 = Vector512.FusedMultiplyAdd(v, w0, a3); b3 = Vector512.FusedMultiplyAdd(v, w1, b3);
                        v = Vector512.Create(x[4 * ps]); a4 = Vector512.FusedMultiplyAdd(v, w0, a4); b4 = Vector512.FusedMultiplyAdd(v, w1, b4);
                        v = Vector512.Create(x[5 * ps]); a5 = Vector512.FusedMultiplyAdd(v, w0, a5); b5 = Vector512.FusedMultiplyAdd(v, w1, b5);
                        v = Vector512.Create(x[6 * ps]); a6 = Vector512.FusedMultiplyAdd(v, w0, a6); b6 = Vector512.FusedMultiplyAdd(v, w1, b6);
                        v = Vector512.Create(x[7 * ps]); a7 = Vector512.FusedMultiplyAdd(v, w0, a7); b7 = Vector512.FusedMultiplyAdd(v, w1, b7);
                    }
                }
            }
            float* o = output + t;
            a0.Store(o); b0.Store(o + 16); o += oc; a1.Store(o); b1.Store(o + 16); o += oc;
            a2.Store(o); b2.Store(o + 16); o += oc; a3.Store(o); b3.Store(o + 16); o += oc;
            a4.Store(o); b4.Store(o + 16); o += oc; a5.Store(o); b5.Store(o + 16); o += oc;
            a6.Store(o); b6.Store(o + 16); o += oc; a7.Store(o); b7.Store(o + 16);
        }
        for (; t < oc; t += 16)
        {
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
            for (int ky = 0; ky < kh; ky++)
            {
                int ih = ih0 + ky * g.DH;
                if ((uint)ih >= (uint)g.H) continue;
                float* x = rowBase + ih * rowLen;
                float* f = filter + (nint)ky * kw * fTap + t;
                for (int kx = 0; kx < kw; kx++, x += tapStep - c)
                {
                    for (int ci = 0; ci < c; ci++, x++, f += oc)
                    {
                        var w = Vector512.Load(f);
                        a0 = Vector512.FusedMultiplyAdd(Vector512.Create(x[0]), w, a0);
                        a1 = Vector512.FusedMultiplyAdd(Vector512.Create(x[ps]), w, a1);
                        a2 = Vector512.FusedMultiplyAdd(Vector512.Create(x[2 * ps]), w, a2);
                        a3 = Vector512.FusedMultiplyAdd(Vector512.Create(x[3 * ps]), w, a3);
                        a4 = Vector512.FusedMultiplyAdd(Vector512.Create(x[4 * ps]), w, a4);
                        a5 = Vector512.FusedMultiplyAdd(Vector512.Create(x[5 * ps]), w, a5);
                        a6 = Vector512.FusedMultiplyAdd(Vector512.Create(x[6 * ps]), w, a6);
                        a7 = Vector512.FusedMultiplyAdd(Vector512.Create(x[7 * ps]), w, a7);
                    }
                }
            }
            float* o = output + t;
            a0.Store(o); a1.Store(o + oc); a2.Store(o + 2 * oc); a3.Store(o + 3 * oc);
            a4.Store(o + 4 * oc); a5.Store(o + 5 * oc); a6.Store(o + 6 * oc); a7.Store(o + 7 * oc);
        }
    }

    // Border pixels (and a row's tail): one pixel at a time, taps outside the input skipped (zero padding).
    private static unsafe void PixelsChecked(in Window2D g, int oc, float* input, float* filter, float* output, int b, int oh, int ow0, int count)
    {
        int c = g.C;
        for (int p = 0; p < count; p++)
        {
            int iw0 = (ow0 + p) * g.SW - g.PadLeft;
            for (int t = 0; t < oc; t += 16)
            {
                var acc = Vector512<float>.Zero;
                for (int ky = 0; ky < g.KH; ky++)
                {
                    int ih = oh * g.SH - g.PadTop + ky * g.DH;
                    if ((uint)ih >= (uint)g.H) continue;
                    float* line = input + (long)(b * g.H + ih) * g.W * c;
                    for (int kx = 0; kx < g.KW; kx++)
                    {
                        int iw = iw0 + kx * g.DW;
                        if ((uint)iw >= (uint)g.W) continue;
                        float* x = line + (long)iw * c;
                        float* f = filter + ((long)(ky * g.KW + kx) * c) * oc + t;
                        for (int ci = 0; ci < c; ci++, f += oc)
                            acc = Vector512.FusedMultiplyAdd(Vector512.Create(x[ci]), Vector512.Load(f), acc);
                    }
                }
                acc.Store(output + (long)p * oc + t);
            }
        }
    }
}
