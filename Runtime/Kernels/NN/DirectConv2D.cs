using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TypedGraph.Kernels.Common;

namespace TypedGraph.Kernels.NN;

/// <summary>
/// Direct NHWC float convolution for few input channels (the first layer of image nets, C_in = 1 or 3, up to 8),
/// where im2col copies as many bytes as the GEMM then reads and the GEMM's K (= KH·KW·C) is too short to
/// amortise its packing. A register tile holds up to <see cref="MaxPixels"/> output pixels of one output row × 32
/// output channels (28 Vector512 accumulators): for every filter tap the tap's two 16-float filter vectors (contiguous
/// in TF's [KH, KW, C, OC] layout) are loaded once and each pixel's input value is broadcast into two FMAs. A row's
/// pixels are cut into tiles of near-equal size (28 → 14 + 14) instead of fixed blocks with an overlapping last one, so
/// no pixel is computed twice; tap rows that fall wholly in the top/bottom zero padding are skipped. The fused bias and
/// Relu/Relu6 are applied in the registers before the one store. Output rows (n, oh) are split across cores; a chunk of
/// rows whose windows leave the input first copies the input rows it reads into a small zero-bordered buffer, so the
/// tiles never check bounds and no serial whole-input copy precedes the parallel part.
/// </summary>
internal static class DirectConv2D
{
    /// <summary>
    /// Most output pixels per register tile: 14 pixels × 2 vectors of output channels = 28 accumulators, plus the tap's
    /// two filter vectors and the broadcast input value: 31 of the 32 zmm registers.
    /// </summary>
    public const int MaxPixels = 14;

    /// <summary>
    /// The most input channels the rule takes. Measured against the other paths (best of 4 × 40 calls, this project's
    /// 2-core machine): 64×14×14×6 5×5 → 16 (a LeNet's second conv) 1.45 → 0.29 ms, 32×28×28×8 3×3 → 32 0.44 → 0.29,
    /// 8×56×56×8 3×3 → 64 0.70 → 0.57, 16×28×28×8 5×5 → 64 0.90 → 0.75, 16×28×28×5 3×3 → 16 0.32 → 0.07.
    /// </summary>
    public const int MaxC = 8;

    /// <summary>
    /// The plan-time choice between this kernel and the others. Direct wins when the input has at most 8
    /// channels (<see cref="MaxC"/>: the im2col row runs are KW·C ≤ 40 floats and GEMM's K is short) and OC is a whole number of
    /// 16-float vectors that fits in registers with the pixel block (≤ 64). Vector512 hardware is required.
    /// </summary>
    public static bool IsPreferred(in Window2D g, int oc)
        => Vector512.IsHardwareAccelerated && g.C <= MaxC && oc % 16 == 0 && oc <= 64 && (long)g.KH * g.KW >= 4;

    /// <summary>Convolves NHWC <paramref name="input"/> with [KH,KW,C,OC] <paramref name="filter"/> into [N·OH·OW, OC].</summary>
    public static unsafe void Run(Window2D g, int oc, ReadOnlySpan<float> input, ReadOnlySpan<float> filter, Span<float> output,
        Epilogue? epilogue, Tensor? bias)
    {
        if (!Vector512.IsHardwareAccelerated || oc % 16 != 0) throw new InvalidOperationException("DirectConv2D needs Vector512 and OC a multiple of 16.");
        if (input.Length < (long)g.N * g.H * g.W * g.C || filter.Length < (long)g.KH * g.KW * g.C * oc || output.Length < (long)g.N * g.OH * g.OW * oc)
            throw new ArgumentException("DirectConv2D: buffer smaller than the geometry.");
        if (epilogue != null && (bias == null || bias.NumElements < oc)) throw new ArgumentException("DirectConv2D: the fused epilogue needs a bias of OC values.");
        if ((long)g.N * g.OH * g.OW == 0 || oc == 0) return;
        // Windows that leave the input read a zero-bordered copy of the rows they need, made by each row chunk for itself
        // (in parallel, and small enough to stay in the core's cache) instead of one serial copy of the whole input.
        int needH = (g.OH - 1) * g.SH + (g.KH - 1) * g.DH + 1, needW = (g.OW - 1) * g.SW + (g.KW - 1) * g.DW + 1;
        bool bordered = g.PadTop != 0 || g.PadLeft != 0 || needH > g.H || needW > g.W;
        int taps = g.KW * g.C;
        int[] offsets = ArrayPool<int>.Shared.Rent(taps);
        try
        {
            // Tap j = kx·C + ci of a window row reads the value offsets[j] floats after the window's first one.
            for (int kx = 0; kx < g.KW; kx++)
                for (int ci = 0; ci < g.C; ci++) offsets[kx * g.C + ci] = kx * g.DW * g.C + ci;
            int mode = TileEpilogue.ModeOf(epilogue);
            fixed (float* pin = input, pf = filter, pout = output, pb = bias != null ? bias.AsSpan<float>() : default)
            fixed (int* po = offsets)
            {
                var job = new Rows(g, bordered ? needH : g.H, bordered ? needW : g.W, bordered, oc, taps, (nint)po, (nint)pin, (nint)pf,
                    (nint)pout, (nint)pb, mode, TileEpilogue.RowActivation(epilogue, mode));
                long rows = (long)g.N * g.OH;
                // An output row is OW·OC·KH·KW·C FMAs; a few rows per chunk keep the hand-off cost small.
                long perRow = (long)g.OW * oc * g.KH * g.KW * g.C;
                Workers.For(rows, Math.Max(1, (1 << 16) / Math.Max(1, perRow)), job, static (j, s, e) => j.Run(s, e));
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(offsets);
        }
    }

    /// <summary>One call's arguments. <c>G</c>: the conv's geometry; <c>Hp</c>×<c>Wp</c>: the extent the kernel reads
    /// per image (the bordered extent, or the input's own when no window leaves it); <c>Bordered</c>: whether each chunk
    /// first copies its rows into a zero-bordered buffer (input row ih at row ih + PadTop, column iw at iw + PadLeft).</summary>
    private readonly record struct Rows(Window2D G, int Hp, int Wp, bool Bordered, int Oc, int Taps, nint Offsets, nint In, nint Filter,
        nint Out, nint Bias, int Mode, Epilogue? Activation)
    {
        public unsafe void Run(long start, long end)
        {
            var g = G;
            int oc = Oc;
            nint rowLen = (nint)Wp * g.C, fRow = (nint)Taps * oc;
            var a = new TileArgs(oc, Taps, Offsets, g.DH * rowLen, fRow, (nint)g.SW * g.C, Mode);
            int tiles = (g.OW + MaxPixels - 1) / MaxPixels;
            // Rows one image's part of this chunk reads: at most the whole bordered image.
            int bufRows = (int)Math.Min(Hp, (end - start - 1) * g.SH + (g.KH - 1) * g.DH + 1);
            float[]? buf = Bordered ? ArrayPool<float>.Shared.Rent(checked((int)(bufRows * rowLen))) : null;
            try
            {
                fixed (float* pbuf = buf)
                {
                    for (long r = start; r < end;)
                    {
                        // The chunk's output rows in image b: [oh0, oh1), reading bordered rows [y0, y1).
                        int b = (int)(r / g.OH), oh0 = (int)(r % g.OH);
                        int oh1 = (int)Math.Min(g.OH, oh0 + (end - r));
                        int y0 = oh0 * g.SH, y1 = (oh1 - 1) * g.SH + (g.KH - 1) * g.DH + 1;
                        float* image;
                        if (Bordered)
                        {
                            CopyRows(b, y0, y1, pbuf);
                            image = pbuf - y0 * rowLen; // bordered row y of image b at image + y·rowLen, for y in [y0, y1)
                        }
                        else image = (float*)In + (long)b * g.H * rowLen;
                        for (int oh = oh0; oh < oh1; oh++)
                        {
                            // Window rows ky whose input row lies in the top or bottom padding add nothing: [kyLo, kyHi) are the others.
                            int ih0 = oh * g.SH, kyLo = 0, kyHi = g.KH;
                            while (kyLo < kyHi && ih0 + kyLo * g.DH - g.PadTop < 0) kyLo++;
                            while (kyHi > kyLo && ih0 + (kyHi - 1) * g.DH - g.PadTop >= g.H) kyHi--;
                            float* x = image + (ih0 + kyLo * g.DH) * rowLen;
                            float* f = (float*)Filter + kyLo * fRow;
                            float* outRow = (float*)Out + ((long)b * g.OH + oh) * g.OW * oc;
                            // Near-equal tiles of at most MaxPixels pixels (28 → 14 + 14, 30 → 10 + 10 + 10).
                            for (int t = 0, ow = 0; t < tiles; t++)
                            {
                                int count = (g.OW - ow) / (tiles - t);
                                float* xt = x + ow * a.PixelStep;
                                float* ot = outRow + (nint)ow * oc;
                                int c = 0;
                                for (; c + 32 <= oc; c += 32) Tile(count, 2, a, kyHi - kyLo, xt, f + c, ot + c, (float*)Bias + c);
                                if (c < oc) Tile(count, 1, a, kyHi - kyLo, xt, f + c, ot + c, (float*)Bias + c);
                                ow += count;
                            }
                            Activation?.ApplyActivation(new Span<float>(outRow, g.OW * oc));
                        }
                        r += oh1 - oh0;
                    }
                }
            }
            finally
            {
                if (buf != null) ArrayPool<float>.Shared.Return(buf);
            }
        }

        // Bordered rows [y0, y1) of image b into dst: input row y − PadTop shifted right by PadLeft, zeros around it (rows
        // wholly in the top/bottom padding are zeroed too, although the kernel skips them).
        private unsafe void CopyRows(int b, int y0, int y1, float* dst)
        {
            var g = G;
            int c = g.C;
            int left = Math.Min(g.PadLeft, Wp), count = Math.Max(0, Math.Min(g.W, Wp - g.PadLeft));
            long rowLen = (long)Wp * c;
            for (int y = y0; y < y1; y++, dst += rowLen)
            {
                var row = new Span<float>(dst, (int)rowLen);
                int ih = y - g.PadTop;
                if ((uint)ih >= (uint)g.H) { row.Clear(); continue; }
                row[..(left * c)].Clear();
                new ReadOnlySpan<float>((float*)In + ((long)b * g.H + ih) * g.W * c, count * c).CopyTo(row[(left * c)..]);
                row[((left + count) * c)..].Clear();
            }
        }
    }

    /// <summary>What every tile of a call shares: OC (the output pixel stride), taps per window row and their input
    /// offsets, the input stride between window rows, the filter stride between window rows, the input stride between
    /// output pixels (SW·C), and the epilogue mode.</summary>
    private readonly record struct TileArgs(int Oc, int Taps, nint Offsets, nint RowStride, nint FilterRowStep, nint PixelStep, int Mode);

    // Picks the tile specialized for the pixel count, OC width (2 or 1 vectors) and pixel stride (1, 2, 3 floats, else a
    // variable): the constants let the JIT drop unused accumulators and fold the broadcast addresses.
    private static unsafe void Tile(int pixels, int width, in TileArgs a, int rows, float* x, float* f, float* o, float* bias)
    {
        if (width == 2)
        {
            switch (a.PixelStep)
            {
                case 1: Tile<C1, C2>(pixels, a, rows, x, f, o, bias); break;
                case 2: Tile<C2, C2>(pixels, a, rows, x, f, o, bias); break;
                case 3: Tile<C3, C2>(pixels, a, rows, x, f, o, bias); break;
                default: Tile<C0, C2>(pixels, a, rows, x, f, o, bias); break;
            }
        }
        else
        {
            switch (a.PixelStep)
            {
                case 1: Tile<C1, C1>(pixels, a, rows, x, f, o, bias); break;
                case 2: Tile<C2, C1>(pixels, a, rows, x, f, o, bias); break;
                case 3: Tile<C3, C1>(pixels, a, rows, x, f, o, bias); break;
                default: Tile<C0, C1>(pixels, a, rows, x, f, o, bias); break;
            }
        }
    }

    private static unsafe void Tile<TS, TW>(int pixels, in TileArgs a, int rows, float* x, float* f, float* o, float* bias)
        where TS : struct, IConstInt where TW : struct, IConstInt
    {
        switch (pixels)
        {
            case 1: Tile<C1, TS, TW>(a, rows, x, f, o, bias); break;
            case 2: Tile<C2, TS, TW>(a, rows, x, f, o, bias); break;
            case 3: Tile<C3, TS, TW>(a, rows, x, f, o, bias); break;
            case 4: Tile<C4, TS, TW>(a, rows, x, f, o, bias); break;
            case 5: Tile<C5, TS, TW>(a, rows, x, f, o, bias); break;
            case 6: Tile<C6, TS, TW>(a, rows, x, f, o, bias); break;
            case 7: Tile<C7, TS, TW>(a, rows, x, f, o, bias); break;
            case 8: Tile<C8, TS, TW>(a, rows, x, f, o, bias); break;
            case 9: Tile<C9, TS, TW>(a, rows, x, f, o, bias); break;
            case 10: Tile<C10, TS, TW>(a, rows, x, f, o, bias); break;
            case 11: Tile<C11, TS, TW>(a, rows, x, f, o, bias); break;
            case 12: Tile<C12, TS, TW>(a, rows, x, f, o, bias); break;
            case 13: Tile<C13, TS, TW>(a, rows, x, f, o, bias); break;
            case 14: Tile<C14, TS, TW>(a, rows, x, f, o, bias); break;
            default: throw new ArgumentOutOfRangeException(nameof(pixels));
        }
    }

    /// <summary>
    /// TP output pixels (x: the first one's window origin) × TW vectors of output channels (f: the filter at the first
    /// window row and this OC tile; o: the first pixel's output at this tile). <paramref name="rows"/> window rows are
    /// summed, each of <see cref="TileArgs.Taps"/> taps: per tap the filter vectors are loaded once and each pixel's
    /// input value is broadcast into TW FMAs (TS: the input stride between pixels, 0 = <see cref="TileArgs.PixelStep"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile<TP, TS, TW>(in TileArgs a, int rows, float* x, float* f, float* o, float* bias)
        where TP : struct, IConstInt where TS : struct, IConstInt where TW : struct, IConstInt
    {
        bool two = TW.Value == 2;
        nint s = TS.Value != 0 ? TS.Value : a.PixelStep;
        int taps = a.Taps, oc = a.Oc, mode = a.Mode;
        int* offsets = (int*)a.Offsets;
        nint rowStride = a.RowStride, fRow = a.FilterRowStep;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default, a8 = default, a9 = default, a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default, b8 = default, b9 = default, b10 = default, b11 = default, b12 = default, b13 = default;
        for (int ky = 0; ky < rows; ky++, x += rowStride, f += fRow)
        {
            float* fj = f;
            for (int j = 0; j < taps; j++, fj += oc)
            {
                float* xj = x + offsets[j];
                var w0 = Vector512.Load(fj);
                var w1 = two ? Vector512.Load(fj + 16) : default;
                Vector512<float> v;
                { v = Vector512.Create(xj[0]); a0 = Vector512.FusedMultiplyAdd(v, w0, a0); if (two) b0 = Vector512.FusedMultiplyAdd(v, w1, b0); }
                if (TP.Value > 1) { v = Vector512.Create(xj[s]); a1 = Vector512.FusedMultiplyAdd(v, w0, a1); if (two) b1 = Vector512.FusedMultiplyAdd(v, w1, b1); }
                if (TP.Value > 2) { v = Vector512.Create(xj[2 * s]); a2 = Vector512.FusedMultiplyAdd(v, w0, a2); if (two) b2 = Vector512.FusedMultiplyAdd(v, w1, b2); }
                if (TP.Value > 3) { v = Vector512.Create(xj[3 * s]); a3 = Vector512.FusedMultiplyAdd(v, w0, a3); if (two) b3 = Vector512.FusedMultiplyAdd(v, w1, b3); }
                if (TP.Value > 4) { v = Vector512.Create(xj[4 * s]); a4 = Vector512.FusedMultiplyAdd(v, w0, a4); if (two) b4 = Vector512.FusedMultiplyAdd(v, w1, b4); }
                if (TP.Value > 5) { v = Vector512.Create(xj[5 * s]); a5 = Vector512.FusedMultiplyAdd(v, w0, a5); if (two) b5 = Vector512.FusedMultiplyAdd(v, w1, b5); }
                if (TP.Value > 6) { v = Vector512.Create(xj[6 * s]); a6 = Vector512.FusedMultiplyAdd(v, w0, a6); if (two) b6 = Vector512.FusedMultiplyAdd(v, w1, b6); }
                if (TP.Value > 7) { v = Vector512.Create(xj[7 * s]); a7 = Vector512.FusedMultiplyAdd(v, w0, a7); if (two) b7 = Vector512.FusedMultiplyAdd(v, w1, b7); }
                if (TP.Value > 8) { v = Vector512.Create(xj[8 * s]); a8 = Vector512.FusedMultiplyAdd(v, w0, a8); if (two) b8 = Vector512.FusedMultiplyAdd(v, w1, b8); }
                if (TP.Value > 9) { v = Vector512.Create(xj[9 * s]); a9 = Vector512.FusedMultiplyAdd(v, w0, a9); if (two) b9 = Vector512.FusedMultiplyAdd(v, w1, b9); }
                if (TP.Value > 10) { v = Vector512.Create(xj[10 * s]); a10 = Vector512.FusedMultiplyAdd(v, w0, a10); if (two) b10 = Vector512.FusedMultiplyAdd(v, w1, b10); }
                if (TP.Value > 11) { v = Vector512.Create(xj[11 * s]); a11 = Vector512.FusedMultiplyAdd(v, w0, a11); if (two) b11 = Vector512.FusedMultiplyAdd(v, w1, b11); }
                if (TP.Value > 12) { v = Vector512.Create(xj[12 * s]); a12 = Vector512.FusedMultiplyAdd(v, w0, a12); if (two) b12 = Vector512.FusedMultiplyAdd(v, w1, b12); }
                if (TP.Value > 13) { v = Vector512.Create(xj[13 * s]); a13 = Vector512.FusedMultiplyAdd(v, w0, a13); if (two) b13 = Vector512.FusedMultiplyAdd(v, w1, b13); }
            }
        }
        Put<TW>(o + 0 * oc, a0, b0, bias, mode);
        if (TP.Value > 1) Put<TW>(o + 1 * oc, a1, b1, bias, mode);
        if (TP.Value > 2) Put<TW>(o + 2 * oc, a2, b2, bias, mode);
        if (TP.Value > 3) Put<TW>(o + 3 * oc, a3, b3, bias, mode);
        if (TP.Value > 4) Put<TW>(o + 4 * oc, a4, b4, bias, mode);
        if (TP.Value > 5) Put<TW>(o + 5 * oc, a5, b5, bias, mode);
        if (TP.Value > 6) Put<TW>(o + 6 * oc, a6, b6, bias, mode);
        if (TP.Value > 7) Put<TW>(o + 7 * oc, a7, b7, bias, mode);
        if (TP.Value > 8) Put<TW>(o + 8 * oc, a8, b8, bias, mode);
        if (TP.Value > 9) Put<TW>(o + 9 * oc, a9, b9, bias, mode);
        if (TP.Value > 10) Put<TW>(o + 10 * oc, a10, b10, bias, mode);
        if (TP.Value > 11) Put<TW>(o + 11 * oc, a11, b11, bias, mode);
        if (TP.Value > 12) Put<TW>(o + 12 * oc, a12, b12, bias, mode);
        if (TP.Value > 13) Put<TW>(o + 13 * oc, a13, b13, bias, mode);
    }

    // Stores one pixel's TW output vectors after the epilogue (TileEpilogue).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Put<TW>(float* o, Vector512<float> lo, Vector512<float> hi, float* bias, int mode) where TW : struct, IConstInt
    {
        Finish(o, lo, bias, mode);
        if (TW.Value == 2) Finish(o + 16, hi, bias + 16, mode);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Finish(float* o, Vector512<float> acc, float* bias, int mode) => TileEpilogue.Apply(acc, bias, mode).Store(o);
}
