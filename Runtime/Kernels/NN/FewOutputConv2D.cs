using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using TypedGraph.Kernels.Common;

namespace TypedGraph.Kernels.NN;

/// <summary>
/// Convolution into few output channels (1–8), input channels in whole Vector512s (C rounded up to a multiple of 16, the
/// extra channels zero) — the shape of a stride-1 Conv2DBackpropInput into a thin layer (dOut's 16 channels back to 6) and
/// of a net's last conv to 1–3 maps, which no other fast path takes (direct and thin need C ≤ 8, Winograd OC a multiple of
/// 16, implicit GEMM a multiple of 32) and
/// im2col turns into a patch matrix KH·KW times the input and a GEMM only OC wide.
/// </summary>
/// <remarks>
/// Vectors run along the input channels: for 3 output pixels × 8 output channels (4 × 6 when OC ≤ 6), 24 accumulators in registers take, per
/// tap and 16-channel block, 3 input vectors and 8 filter vectors (the filter re-laid out once per call as
/// [tap, block, 8, 16], zero beyond OC), and each output value is the lane sum of its accumulator at the end. Each row chunk
/// copies the input rows its windows read into a small zero-bordered buffer (no bounds checks in the loop). The summation
/// order differs from the GEMM path (float rounding, not a different function).
/// </remarks>
internal static class FewOutputConv2D
{
    private const int Lanes = 16, Outs = 8;

    /// <summary>Whether this path runs <paramref name="g"/> into <paramref name="oc"/> channels.</summary>
    public static bool IsPreferred(in Window2D g, int oc)
        => Vector512.IsHardwareAccelerated && oc >= 1 && oc <= Outs && g.C > 0 && UsedLanes(g.C) && (long)g.KH * g.KW > 1
           && g.OH > 0 && g.OW > 0 && g.N > 0;

    // Padding the channels to whole vectors pays while at least 3/8 of the lanes carry data (C ≥ 6 of 16: LeNet's 6-channel
    // gradient back to its 1-channel image, measured 2.9 → ~1.9 ms); a 1-channel input padded to 16 ran its forward conv
    // at half the speed of im2col.
    private static bool UsedLanes(int c) => c % Lanes == 0 || c * 8 >= (c + Lanes - 1) / Lanes * Lanes * 3;

    /// <summary>NHWC convolution into <paramref name="output"/> [N·OH·OW, OC] (overwritten).</summary>
    public static void Run(Window2D g, int oc, ReadOnlySpan<float> input, ReadOnlySpan<float> filter, Span<float> output)
    {
        if (!IsPreferred(g, oc)) throw new InvalidOperationException("FewOutputConv2D needs Vector512 and 1-8 outputs.");
        int taps = g.KH * g.KW, blocks = (g.C + Lanes - 1) / Lanes;
        var laid = ArrayPool<float>.Shared.Rent(taps * blocks * Outs * Lanes);
        try
        {
            // laid[((tap·blocks + b)·8 + j)·16 + l] = filter[tap, b·16 + l, j], 0 for j ≥ OC.
            Array.Clear(laid, 0, taps * blocks * Outs * Lanes);
            for (int t = 0; t < taps; t++)
                for (int c = 0; c < g.C; c++)
                    for (int j = 0; j < oc; j++)
                        laid[((t * blocks + c / Lanes) * Outs + j) * Lanes + c % Lanes] = filter[(t * g.C + c) * oc + j];
            unsafe
            {
                fixed (float* pi = input, pl = laid, po = output)
                {
                    var job = new Job(g, oc, (nint)pi, (nint)pl, (nint)po);
                    // A chunk is a few output rows (of one image or across images); each pads what it reads.
                    Workers.For((long)g.N * g.OH, Math.Max(1, 4096 / Math.Max(1, g.OW * taps * blocks)), job, static (j, s, e) => j.Rows(s, e));
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(laid);
        }
    }

    private readonly unsafe record struct Job(Window2D G, int Oc, nint Input, nint Laid, nint Output)
    {
        public void Rows(long first, long last)
        {
            var g = G;
            int wp = (g.OW - 1) * g.SW + (g.KW - 1) * g.DW + 1, window = (g.KH - 1) * g.DH + 1;
            // Channels as laid out in the padded rows: C rounded up to whole vectors (the extra ones zero).
            int cp = (g.C + Lanes - 1) / Lanes * Lanes, blocks = cp / Lanes, taps = g.KH * g.KW;
            var offsets = ArrayPool<int>.Shared.Rent(taps * blocks);
            float[]? padded = null;
            try
            {
                for (int kh = 0, t = 0; kh < g.KH; kh++)
                    for (int kw = 0; kw < g.KW; kw++, t++)
                        for (int b = 0; b < blocks; b++)
                            offsets[t * blocks + b] = (kh * g.DH * wp + kw * g.DW) * cp + b * Lanes;
                for (long r = first; r < last;)
                {
                    // The rows of one image in this chunk.
                    int n = (int)(r / g.OH), oh0 = (int)(r % g.OH);
                    int oh1 = (int)Math.Min(g.OH, oh0 + (last - r));
                    int py0 = oh0 * g.SH, rowsNeeded = (oh1 - 1 - oh0) * g.SH + window;
                    int size = rowsNeeded * wp * cp;
                    if (padded == null || padded.Length < size)
                    {
                        if (padded != null) ArrayPool<float>.Shared.Return(padded);
                        padded = ArrayPool<float>.Shared.Rent(size);
                    }
                    var image = new ReadOnlySpan<float>((float*)Input + (long)n * g.H * g.W * g.C, g.H * g.W * g.C);
                    PadRows(g, image, padded.AsSpan(0, size), py0, rowsNeeded, wp, cp);
                    var laid = new ReadOnlySpan<float>((float*)Laid, taps * blocks * Outs * Lanes);
                    for (int oh = oh0; oh < oh1; oh++)
                    {
                        var y = new Span<float>((float*)Output + ((long)n * g.OH + oh) * g.OW * Oc, g.OW * Oc);
                        Row(g, Oc, cp, padded, (oh - oh0) * g.SH * wp * cp, offsets.AsSpan(0, taps * blocks), laid, y);
                    }
                    r += oh1 - oh0;
                }
            }
            finally
            {
                ArrayPool<int>.Shared.Return(offsets);
                if (padded != null) ArrayPool<float>.Shared.Return(padded);
            }
        }
    }

    /// <summary>Padded rows [py0, py0 + count) of one NHWC image (padded row py is input row py − top, padded column px
    /// input column px − left), zeros outside the image; <paramref name="wp"/> padded columns.</summary>
    internal static void PadRows(in Window2D g, ReadOnlySpan<float> image, Span<float> padded, int py0, int count, int wp)
        => PadRows(g, image, padded, py0, count, wp, g.C);

    /// <summary>As above with <paramref name="cp"/> ≥ C channels per padded pixel (the ones past C zero).</summary>
    internal static void PadRows(in Window2D g, ReadOnlySpan<float> image, Span<float> padded, int py0, int count, int wp, int cp)
    {
        int c = g.C;
        padded.Clear();
        int x0 = Math.Max(0, g.PadLeft), ix0 = Math.Max(0, -g.PadLeft);
        int width = Math.Min(g.W - ix0, wp - x0);
        if (width <= 0) return;
        for (int i = 0; i < count; i++)
        {
            int iy = py0 + i - g.PadTop;
            if (iy < 0 || iy >= g.H) continue;
            if (cp == c)
                image.Slice((iy * g.W + ix0) * c, width * c).CopyTo(padded.Slice((i * wp + x0) * c, width * c));
            else
                for (int x = 0; x < width; x++)
                    image.Slice((iy * g.W + ix0 + x) * c, c).CopyTo(padded.Slice((i * wp + x0 + x) * cp, c));
        }
    }

    /// <summary>One output row: with at most 6 outputs 4 pixels at a time (all 24 accumulators carry an output), else or then
    /// 3 at a time, then the rest one by one.</summary>
    private static void Row(in Window2D g, int oc, int cp, float[] padded, int rowBase, ReadOnlySpan<int> offsets, ReadOnlySpan<float> laid, Span<float> y)
    {
        int pixelStep = g.SW * cp, ow = 0;
        if (oc <= 6)
            for (; ow + 4 <= g.OW; ow += 4)
                Four(ref padded[rowBase + ow * pixelStep], pixelStep, offsets, laid, y.Slice(ow * oc, 4 * oc), oc);
        for (; ow + 3 <= g.OW; ow += 3)
            Three(ref padded[rowBase + ow * pixelStep], pixelStep, offsets, laid, y.Slice(ow * oc, 3 * oc), oc);
        for (; ow < g.OW; ow++)
            One(ref padded[rowBase + ow * pixelStep], offsets, laid, y.Slice(ow * oc, oc), oc);
    }

    private static void Three(ref float x, int pixelStep, ReadOnlySpan<int> offsets, ReadOnlySpan<float> laid, Span<float> y, int oc)
    {
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a04 = default, a05 = default, a06 = default, a07 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default, a14 = default, a15 = default, a16 = default, a17 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default, a24 = default, a25 = default, a26 = default, a27 = default;
        ref float l0 = ref Unsafe.AsRef(in laid[0]);
        for (int i = 0; i < offsets.Length; i++)
        {
                    ref float xq = ref Unsafe.Add(ref x, offsets[i]);
                    ref float fp = ref Unsafe.Add(ref l0, i * Outs * Lanes);
                    var f0 = Vector512.LoadUnsafe(ref fp, (nuint)(0 * Lanes));
                    var f1 = Vector512.LoadUnsafe(ref fp, (nuint)(1 * Lanes));
                    var f2 = Vector512.LoadUnsafe(ref fp, (nuint)(2 * Lanes));
                    var f3 = Vector512.LoadUnsafe(ref fp, (nuint)(3 * Lanes));
                    var f4 = Vector512.LoadUnsafe(ref fp, (nuint)(4 * Lanes));
                    var f5 = Vector512.LoadUnsafe(ref fp, (nuint)(5 * Lanes));
                    var f6 = Vector512.LoadUnsafe(ref fp, (nuint)(6 * Lanes));
                    var f7 = Vector512.LoadUnsafe(ref fp, (nuint)(7 * Lanes));
                    var x0 = Vector512.LoadUnsafe(ref Unsafe.Add(ref xq, 0 * pixelStep));
                    a00 = Vector512.FusedMultiplyAdd(x0, f0, a00);
                    a01 = Vector512.FusedMultiplyAdd(x0, f1, a01);
                    a02 = Vector512.FusedMultiplyAdd(x0, f2, a02);
                    a03 = Vector512.FusedMultiplyAdd(x0, f3, a03);
                    a04 = Vector512.FusedMultiplyAdd(x0, f4, a04);
                    a05 = Vector512.FusedMultiplyAdd(x0, f5, a05);
                    a06 = Vector512.FusedMultiplyAdd(x0, f6, a06);
                    a07 = Vector512.FusedMultiplyAdd(x0, f7, a07);
                    var x1 = Vector512.LoadUnsafe(ref Unsafe.Add(ref xq, 1 * pixelStep));
                    a10 = Vector512.FusedMultiplyAdd(x1, f0, a10);
                    a11 = Vector512.FusedMultiplyAdd(x1, f1, a11);
                    a12 = Vector512.FusedMultiplyAdd(x1, f2, a12);
                    a13 = Vector512.FusedMultiplyAdd(x1, f3, a13);
                    a14 = Vector512.FusedMultiplyAdd(x1, f4, a14);
                    a15 = Vector512.FusedMultiplyAdd(x1, f5, a15);
                    a16 = Vector512.FusedMultiplyAdd(x1, f6, a16);
                    a17 = Vector512.FusedMultiplyAdd(x1, f7, a17);
                    var x2 = Vector512.LoadUnsafe(ref Unsafe.Add(ref xq, 2 * pixelStep));
                    a20 = Vector512.FusedMultiplyAdd(x2, f0, a20);
                    a21 = Vector512.FusedMultiplyAdd(x2, f1, a21);
                    a22 = Vector512.FusedMultiplyAdd(x2, f2, a22);
                    a23 = Vector512.FusedMultiplyAdd(x2, f3, a23);
                    a24 = Vector512.FusedMultiplyAdd(x2, f4, a24);
                    a25 = Vector512.FusedMultiplyAdd(x2, f5, a25);
                    a26 = Vector512.FusedMultiplyAdd(x2, f6, a26);
                    a27 = Vector512.FusedMultiplyAdd(x2, f7, a27);
        }
        Store(y, 0 * oc, oc, a00, a01, a02, a03, a04, a05, a06, a07);
        Store(y, 1 * oc, oc, a10, a11, a12, a13, a14, a15, a16, a17);
        Store(y, 2 * oc, oc, a20, a21, a22, a23, a24, a25, a26, a27);
    }

    // 4 pixels × the first 6 outputs of the laid filter (OC ≤ 6): per tap 6 filter and 4 input loads for 24 FMAs.
    private static void Four(ref float x, int pixelStep, ReadOnlySpan<int> offsets, ReadOnlySpan<float> laid, Span<float> y, int oc)
    {
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a04 = default, a05 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default, a14 = default, a15 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default, a24 = default, a25 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default, a34 = default, a35 = default;
        ref float l0 = ref Unsafe.AsRef(in laid[0]);
        for (int i = 0; i < offsets.Length; i++)
        {
            ref float xq = ref Unsafe.Add(ref x, offsets[i]);
            ref float fp = ref Unsafe.Add(ref l0, i * Outs * Lanes);
            var f0 = Vector512.LoadUnsafe(ref fp, (nuint)(0 * Lanes));
            var f1 = Vector512.LoadUnsafe(ref fp, (nuint)(1 * Lanes));
            var f2 = Vector512.LoadUnsafe(ref fp, (nuint)(2 * Lanes));
            var f3 = Vector512.LoadUnsafe(ref fp, (nuint)(3 * Lanes));
            var f4 = Vector512.LoadUnsafe(ref fp, (nuint)(4 * Lanes));
            var f5 = Vector512.LoadUnsafe(ref fp, (nuint)(5 * Lanes));
            var x0 = Vector512.LoadUnsafe(ref xq);
            a00 = Vector512.FusedMultiplyAdd(x0, f0, a00); a01 = Vector512.FusedMultiplyAdd(x0, f1, a01); a02 = Vector512.FusedMultiplyAdd(x0, f2, a02);
            a03 = Vector512.FusedMultiplyAdd(x0, f3, a03); a04 = Vector512.FusedMultiplyAdd(x0, f4, a04); a05 = Vector512.FusedMultiplyAdd(x0, f5, a05);
            var x1 = Vector512.LoadUnsafe(ref Unsafe.Add(ref xq, pixelStep));
            a10 = Vector512.FusedMultiplyAdd(x1, f0, a10); a11 = Vector512.FusedMultiplyAdd(x1, f1, a11); a12 = Vector512.FusedMultiplyAdd(x1, f2, a12);
            a13 = Vector512.FusedMultiplyAdd(x1, f3, a13); a14 = Vector512.FusedMultiplyAdd(x1, f4, a14); a15 = Vector512.FusedMultiplyAdd(x1, f5, a15);
            var x2 = Vector512.LoadUnsafe(ref Unsafe.Add(ref xq, 2 * pixelStep));
            a20 = Vector512.FusedMultiplyAdd(x2, f0, a20); a21 = Vector512.FusedMultiplyAdd(x2, f1, a21); a22 = Vector512.FusedMultiplyAdd(x2, f2, a22);
            a23 = Vector512.FusedMultiplyAdd(x2, f3, a23); a24 = Vector512.FusedMultiplyAdd(x2, f4, a24); a25 = Vector512.FusedMultiplyAdd(x2, f5, a25);
            var x3 = Vector512.LoadUnsafe(ref Unsafe.Add(ref xq, 3 * pixelStep));
            a30 = Vector512.FusedMultiplyAdd(x3, f0, a30); a31 = Vector512.FusedMultiplyAdd(x3, f1, a31); a32 = Vector512.FusedMultiplyAdd(x3, f2, a32);
            a33 = Vector512.FusedMultiplyAdd(x3, f3, a33); a34 = Vector512.FusedMultiplyAdd(x3, f4, a34); a35 = Vector512.FusedMultiplyAdd(x3, f5, a35);
        }
        Store(y, 0 * oc, oc, a00, a01, a02, a03, a04, a05, default, default);
        Store(y, 1 * oc, oc, a10, a11, a12, a13, a14, a15, default, default);
        Store(y, 2 * oc, oc, a20, a21, a22, a23, a24, a25, default, default);
        Store(y, 3 * oc, oc, a30, a31, a32, a33, a34, a35, default, default);
    }

    private static void One(ref float x, ReadOnlySpan<int> offsets, ReadOnlySpan<float> laid, Span<float> y, int oc)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        ref float l0 = ref Unsafe.AsRef(in laid[0]);
        for (int i = 0; i < offsets.Length; i++)
        {
                    ref float xq = ref Unsafe.Add(ref x, offsets[i]);
                    ref float fp = ref Unsafe.Add(ref l0, i * Outs * Lanes);
                    var x0 = Vector512.LoadUnsafe(ref xq);
                    a0 = Vector512.FusedMultiplyAdd(x0, Vector512.LoadUnsafe(ref fp, (nuint)(0 * Lanes)), a0);
                    a1 = Vector512.FusedMultiplyAdd(x0, Vector512.LoadUnsafe(ref fp, (nuint)(1 * Lanes)), a1);
                    a2 = Vector512.FusedMultiplyAdd(x0, Vector512.LoadUnsafe(ref fp, (nuint)(2 * Lanes)), a2);
                    a3 = Vector512.FusedMultiplyAdd(x0, Vector512.LoadUnsafe(ref fp, (nuint)(3 * Lanes)), a3);
                    a4 = Vector512.FusedMultiplyAdd(x0, Vector512.LoadUnsafe(ref fp, (nuint)(4 * Lanes)), a4);
                    a5 = Vector512.FusedMultiplyAdd(x0, Vector512.LoadUnsafe(ref fp, (nuint)(5 * Lanes)), a5);
                    a6 = Vector512.FusedMultiplyAdd(x0, Vector512.LoadUnsafe(ref fp, (nuint)(6 * Lanes)), a6);
                    a7 = Vector512.FusedMultiplyAdd(x0, Vector512.LoadUnsafe(ref fp, (nuint)(7 * Lanes)), a7);
        }
        Store(y, 0, oc, a0, a1, a2, a3, a4, a5, a6, a7);
    }

    private static void Store(Span<float> y, int at, int oc,
        Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3,
        Vector512<float> a4, Vector512<float> a5, Vector512<float> a6, Vector512<float> a7)
    {
        var s = y.Slice(at, oc);
        s[0] = Vector512.Sum(a0);
        if (oc > 1) s[1] = Vector512.Sum(a1);
        if (oc > 2) s[2] = Vector512.Sum(a2);
        if (oc > 3) s[3] = Vector512.Sum(a3);
        if (oc > 4) s[4] = Vector512.Sum(a4);
        if (oc > 5) s[5] = Vector512.Sum(a5);
        if (oc > 6) s[6] = Vector512.Sum(a6);
        if (oc > 7) s[7] = Vector512.Sum(a7);
    }
}
