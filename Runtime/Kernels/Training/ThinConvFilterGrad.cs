using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.NN;

namespace TypedGraph.Kernels.Training;

/// <summary>
/// Conv2DBackpropFilter when both channel counts are small (C ≤ 8 in, 1–15 out — a LeNet's first layer, 1 → 6), where
/// <see cref="DirectConvFilterGrad"/> (OC in whole vectors) does not apply and im2col builds a patch matrix KH·KW times the
/// input for a GEMM whose output is only KH·KW·C × OC:
/// dF[ky, kx, c, o] = Σ over images and output pixels of x[n, oh·SH − top + ky·DH, ow·SW − left + kx·DW, c] · dOut[n, oh, ow, o].
/// </summary>
/// <remarks>
/// <para>The input rows are expanded as <see cref="ThinConv2D"/> expands them (<see cref="ThinRows"/>: each value repeated
/// OC times), so that lane j of an output row's dOut (pixel j / OC, channel j mod OC) meets, for tap (ky, kx, c), the
/// input value it multiplies at the same lane of a shifted load. A tap's sum is then a plain lane-wise multiply-add over
/// the row's vectors; lanes of vector v hold channel (16v + l) mod OC, a pattern that repeats every P = OC / gcd(OC, 16)
/// vectors, so each tap keeps P accumulators (vectors v ≡ q mod P add into accumulator q) and the lanes are folded into
/// the OC channels once at the end. Up to 8 taps share each dOut load.</para>
/// <para>Work is cut into units of (image, band of output rows); each core sums its units into its own dF, and the parts
/// are added at the end — the summation order differs from the GEMM path (float rounding, not a different function).</para>
/// </remarks>
internal static class ThinConvFilterGrad
{
    private const int Lanes = 16, TapBlock = 8;

    /// <summary>Whether this path computes the filter gradient of <paramref name="g"/> with <paramref name="oc"/> output channels.</summary>
    public static bool Applies(in Window2D g, int oc) => ThinConv2D.IsPreferred(g, oc);

    /// <summary>Writes dF (<c>[KH, KW, C, OC]</c>, overwritten) from input <paramref name="x"/> (NHWC) and <paramref name="dOut"/> (NHWC).</summary>
    public static unsafe void Run(Window2D g, int oc, ReadOnlySpan<float> x, ReadOnlySpan<float> dOut, Span<float> df)
    {
        if (!Applies(g, oc)) throw new InvalidOperationException("ThinConvFilterGrad needs Vector512, C ≤ 8 and 1–15 outputs.");
        int taps = g.KH * g.KW * g.C;
        if (x.Length < (long)g.N * g.H * g.W * g.C || dOut.Length < (long)g.N * g.OH * g.OW * oc || df.Length < taps * oc)
            throw new ArgumentException("ThinConvFilterGrad: buffer smaller than the geometry.");
        var layout = new ThinRows(g, oc);
        int band = layout.BandRows(1 << 15);
        int bands = (g.OH + band - 1) / band;
        long units = (long)g.N * bands;
        int parts = (int)Math.Min(Workers.Count, units);
        // Per part: the taps' lane accumulators [tap][q][16] (q < P), folded into dF at the end.
        int perPart = taps * layout.Period * Lanes;
        var acc = ArrayPool<float>.Shared.Rent(parts * perPart);
        try
        {
            fixed (float* px = x, pd = dOut, pa = acc)
            {
                var job = new Job(layout, band, bands, units, parts, (nint)px, (nint)pd, (nint)pa, perPart);
                Workers.For(parts, 1, job, static (j, s, e) =>
                {
                    for (long p = s; p < e; p++) j.RunPart((int)p);
                });
            }
            // Fold: lane l of accumulator q of tap t = (ky·C + c)·KW + kx is channel (16q + l) mod OC of TF's
            // dF[((ky·KW + kx)·C + c)·OC + o].
            var result = df[..(taps * oc)];
            result.Clear();
            for (int p = 0; p < parts; p++)
                for (int ky = 0, t = 0; ky < g.KH; ky++)
                    for (int c = 0; c < g.C; c++)
                        for (int kx = 0; kx < g.KW; kx++, t++)
                        {
                            int dst = ((ky * g.KW + kx) * g.C + c) * oc;
                            int src = p * perPart + t * layout.Period * Lanes;
                            for (int j = 0; j < layout.Period * Lanes; j++) result[dst + j % oc] += acc[src + j];
                        }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(acc);
        }
    }

    private readonly unsafe record struct Job(ThinRows Layout, int Band, int Bands, long Units, int Parts, nint X, nint DOut, nint Acc, int PerPart)
    {
        public void RunPart(int p)
        {
            var g = Layout.G;
            int oc = Layout.Oc, period = Layout.Period, rowVectors = Layout.RowVectors, rowFloats = g.OW * oc;
            int dyRow = rowVectors * Lanes;
            long first = Units * p / Parts, last = Units * (p + 1) / Parts;
            float* acc = (float*)Acc + (long)p * PerPart;
            new Span<float>(acc, PerPart).Clear();
            int bandFloats = Layout.BandFloats(Band);
            var buf = ArrayPool<float>.Shared.Rent(bandFloats + Layout.ScratchFloats + Band * dyRow + Lanes);
            int tapsPerRow = g.C * g.KW;
            int* offsets = stackalloc int[tapsPerRow];
            Layout.TapOffsets(new Span<int>(offsets, tapsPerRow));
            float** xs = stackalloc float*[TapBlock];
            try
            {
                fixed (float* pb0 = buf)
                {
                    // Whole cache lines for the expanded rows and the dOut rows (the scratch is a multiple of 16 floats).
                    float* pb = ThinConv2D.Aligned(pb0), scratch = pb + bandFloats, dy = scratch + Layout.ScratchFloats;
                    for (long u = first; u < last; u++)
                    {
                        int b = (int)(u / Bands), oh0 = (int)(u % Bands) * Band, oh1 = Math.Min(g.OH, oh0 + Band);
                        int y0 = oh0 * g.SH, y1 = (oh1 - 1) * g.SH + (g.KH - 1) * g.DH + 1;
                        Layout.Expand((float*)X, b, y0, y1, pb, scratch);
                        // The band's dOut rows, each padded with zeros to whole vectors (the lanes past the row add nothing).
                        for (int oh = oh0; oh < oh1; oh++)
                        {
                            float* d = dy + (oh - oh0) * dyRow;
                            new ReadOnlySpan<float>((float*)DOut + ((long)b * g.OH + oh) * rowFloats, rowFloats).CopyTo(new Span<float>(d, rowFloats));
                            new Span<float>(d + rowFloats, dyRow - rowFloats).Clear();
                        }
                        int rows = oh1 - oh0;
                        nint xRowStep = (nint)g.SH * Layout.InputRowFloats;
                        // Taps in blocks of up to 8, in the order t = (ky·C + c)·KW + kx.
                        int taps = g.KH * tapsPerRow;
                        for (int t0 = 0; t0 < taps; t0 += TapBlock)
                        {
                            int count = Math.Min(TapBlock, taps - t0);
                            for (int i = 0; i < count; i++)
                            {
                                int t = t0 + i, ky = t / tapsPerRow;
                                xs[i] = pb + (nint)ky * g.DH * Layout.InputRowFloats + offsets[t % tapsPerRow];
                            }
                            for (int q = 0; q < period && q < rowVectors; q++)
                            {
                                int nv = (rowVectors - q + period - 1) / period;
                                var a = new TapArgs(xs, q * Lanes, xRowStep, dy + q * Lanes, dyRow, rows, nv, period * Lanes,
                                    acc + ((nint)t0 * period + q) * Lanes, period * Lanes);
                                Taps(count, a);
                            }
                        }
                    }
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(buf);
            }
        }
    }

    /// <summary>One tap block's sums for one pattern phase q: the taps' expanded-row pointers at the band's first output row
    /// (<c>At</c> added), their step per output row, dOut at the first row and vector q and its row step, the rows, the
    /// vectors per row (q, q + P, …) and their step, and where accumulator q of the block's first tap is (taps
    /// <c>AccStep</c> apart).</summary>
    private readonly unsafe struct TapArgs(float** xs, int at, nint xRowStep, float* dy, int dyRowStep, int rows, int vectors, int vStep, float* acc, int accStep)
    {
        public readonly float** Xs = xs;
        public readonly int At = at, DyRowStep = dyRowStep, Rows = rows, Vectors = vectors, VStep = vStep, AccStep = accStep;
        public readonly nint XRowStep = xRowStep;
        public readonly float* Dy = dy, Acc = acc;
    }

    private static unsafe void Taps(int count, in TapArgs a)
    {
        switch (count)
        {
            case 1: Taps<C1>(a); break;
            case 2: Taps<C2>(a); break;
            case 3: Taps<C3>(a); break;
            case 4: Taps<C4>(a); break;
            case 5: Taps<C5>(a); break;
            case 6: Taps<C6>(a); break;
            case 7: Taps<C7>(a); break;
            case 8: Taps<C8>(a); break;
            default: throw new ArgumentOutOfRangeException(nameof(count));
        }
    }

    /// <summary>TK taps' accumulators for one phase, held in registers over every row and vector of the band: each dOut
    /// vector is loaded once and multiplied with the TK taps' shifted expanded inputs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Taps<TK>(in TapArgs a) where TK : struct, IConstInt
    {
        float* x0 = a.Xs[0] + a.At;
        float* x1 = TK.Value > 1 ? a.Xs[1] + a.At : null, x2 = TK.Value > 2 ? a.Xs[2] + a.At : null, x3 = TK.Value > 3 ? a.Xs[3] + a.At : null;
        float* x4 = TK.Value > 4 ? a.Xs[4] + a.At : null, x5 = TK.Value > 5 ? a.Xs[5] + a.At : null, x6 = TK.Value > 6 ? a.Xs[6] + a.At : null;
        float* x7 = TK.Value > 7 ? a.Xs[7] + a.At : null;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        float* dy = a.Dy;
        nint step = a.VStep;
        for (int r = 0; r < a.Rows; r++)
        {
            for (nint v = 0, end = (nint)a.Vectors * step; v < end; v += step)
            {
                var d = Vector512.Load(dy + v);
                a0 = Vector512.FusedMultiplyAdd(Vector512.Load(x0 + v), d, a0);
                if (TK.Value > 1) a1 = Vector512.FusedMultiplyAdd(Vector512.Load(x1 + v), d, a1);
                if (TK.Value > 2) a2 = Vector512.FusedMultiplyAdd(Vector512.Load(x2 + v), d, a2);
                if (TK.Value > 3) a3 = Vector512.FusedMultiplyAdd(Vector512.Load(x3 + v), d, a3);
                if (TK.Value > 4) a4 = Vector512.FusedMultiplyAdd(Vector512.Load(x4 + v), d, a4);
                if (TK.Value > 5) a5 = Vector512.FusedMultiplyAdd(Vector512.Load(x5 + v), d, a5);
                if (TK.Value > 6) a6 = Vector512.FusedMultiplyAdd(Vector512.Load(x6 + v), d, a6);
                if (TK.Value > 7) a7 = Vector512.FusedMultiplyAdd(Vector512.Load(x7 + v), d, a7);
            }
            dy += a.DyRowStep;
            x0 += a.XRowStep;
            if (TK.Value > 1) x1 += a.XRowStep;
            if (TK.Value > 2) x2 += a.XRowStep;
            if (TK.Value > 3) x3 += a.XRowStep;
            if (TK.Value > 4) x4 += a.XRowStep;
            if (TK.Value > 5) x5 += a.XRowStep;
            if (TK.Value > 6) x6 += a.XRowStep;
            if (TK.Value > 7) x7 += a.XRowStep;
        }
        float* o = a.Acc;
        nint s = a.AccStep;
        (Vector512.Load(o) + a0).Store(o);
        if (TK.Value > 1) (Vector512.Load(o + s) + a1).Store(o + s);
        if (TK.Value > 2) (Vector512.Load(o + 2 * s) + a2).Store(o + 2 * s);
        if (TK.Value > 3) (Vector512.Load(o + 3 * s) + a3).Store(o + 3 * s);
        if (TK.Value > 4) (Vector512.Load(o + 4 * s) + a4).Store(o + 4 * s);
        if (TK.Value > 5) (Vector512.Load(o + 5 * s) + a5).Store(o + 5 * s);
        if (TK.Value > 6) (Vector512.Load(o + 6 * s) + a6).Store(o + 6 * s);
        if (TK.Value > 7) (Vector512.Load(o + 7 * s) + a7).Store(o + 7 * s);
    }
}
