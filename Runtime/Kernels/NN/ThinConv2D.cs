using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TypedGraph.Kernels.Common;

namespace TypedGraph.Kernels.NN;

/// <summary>
/// Direct NHWC float convolution when both channel counts are small (C ≤ 8 in, 1–15 out): a LeNet's first layer
/// (1 → 6 channels) and the input gradient back into it (6 → 1). Every other path vectorizes along a channel axis and
/// leaves most lanes empty here (DirectConv2D and Winograd need OC in whole 16-float vectors, FewOutputConv2D pads C to 16
/// lanes), and im2col builds a patch matrix KH·KW times the input for a GEMM only OC wide.
/// </summary>
/// <remarks>
/// <para>Vectors run along an output row as it lies in memory, OW·OC floats with the channels interleaved: lane j of the
/// row is pixel j / OC, channel j mod OC. Each input row is first expanded once into that layout (<see cref="ThinRows"/>:
/// every value repeated OC times, one expanded row per input channel and stride phase), so a filter tap (ky, kx, c) is one
/// unaligned load of the expanded row shifted by kx's pixels and one FMA with a weight vector holding the tap's OC weights
/// in the same repeating pattern. The pattern repeats every P = OC / gcd(OC, 16) vectors, so register tiles of a multiple
/// of P vectors all start at the same phase and share one laid-out weight block. The finished row is stored as it is —
/// no transpose back to NHWC — with the fused bias (laid out the same way) and Relu/Relu6 applied in the registers.</para>
/// <para>Output rows (n, oh) are split across cores; each chunk expands the input rows its windows read. The summation
/// order differs from the GEMM path (float rounding, not a different function).</para>
/// </remarks>
internal static class ThinConv2D
{
    private const int Lanes = 16;

    /// <summary>Most vectors per register tile (16 accumulators, each with its own weight and input load per tap).</summary>
    public const int MaxVectors = 16;

    /// <summary>
    /// The plan-time choice: few input channels (≤ 8) into an output depth below one vector (1–15), with more than one tap
    /// (a 1×1 conv is a GEMM) and Vector512 hardware.
    /// </summary>
    public static bool IsPreferred(in Window2D g, int oc)
        => Vector512.IsHardwareAccelerated && oc >= 1 && oc < Lanes && g.C >= 1 && g.C <= 8 && (long)g.KH * g.KW > 1
           && g.N > 0 && g.OH > 0 && g.OW > 0;

    /// <summary>Convolves NHWC <paramref name="input"/> with [KH,KW,C,OC] <paramref name="filter"/> into [N·OH·OW, OC]
    /// (overwritten), applying <paramref name="epilogue"/> with <paramref name="bias"/> when given.</summary>
    public static unsafe void Run(Window2D g, int oc, ReadOnlySpan<float> input, ReadOnlySpan<float> filter, Span<float> output,
        Epilogue? epilogue, Tensor? bias)
    {
        if (!IsPreferred(g, oc)) throw new InvalidOperationException("ThinConv2D needs Vector512, C ≤ 8 and 1–15 outputs.");
        if (input.Length < (long)g.N * g.H * g.W * g.C || filter.Length < (long)g.KH * g.KW * g.C * oc || output.Length < (long)g.N * g.OH * g.OW * oc)
            throw new ArgumentException("ThinConv2D: buffer smaller than the geometry.");
        if (epilogue != null && (bias == null || bias.NumElements < oc)) throw new ArgumentException("ThinConv2D: the fused epilogue needs a bias of OC values.");
        var rowsLayout = new ThinRows(g, oc);
        int tile = rowsLayout.TileVectors(MaxVectors);
        int taps = g.KH * g.KW * g.C;
        // laid[(t·tile + k)·16 + l] = filter[ky, kx, c, (16k + l) mod OC] for tap t = (ky·C + c)·KW + kx (the expanded rows' order).
        var laid = ArrayPool<float>.Shared.Rent(taps * tile * Lanes + tile * Lanes + Lanes);
        try
        {
            int mode = TileEpilogue.ModeOf(epilogue);
            fixed (float* pin = input, pl0 = laid, pout = output)
            {
                // Whole cache lines: a weight vector load never splits across two.
                float* pl = Aligned(pl0);
                for (int ky = 0, t = 0; ky < g.KH; ky++)
                    for (int c = 0; c < g.C; c++)
                        for (int kx = 0; kx < g.KW; kx++, t++)
                        {
                            int src = ((ky * g.KW + kx) * g.C + c) * oc;
                            for (int j = 0; j < tile * Lanes; j++) pl[t * tile * Lanes + j] = filter[src + j % oc];
                        }
                // The bias in the same repeating pattern, after the weights.
                int biasAt = taps * tile * Lanes;
                if (mode != TileEpilogue.None)
                {
                    var b = bias!.AsSpan<float>();
                    for (int j = 0; j < tile * Lanes; j++) pl[biasAt + j] = b[j % oc];
                }
                var job = new Rows(rowsLayout, tile, (nint)pin, (nint)pl, (nint)(pl + biasAt), (nint)pout, mode,
                    TileEpilogue.RowActivation(epilogue, mode));
                long perRow = (long)taps * rowsLayout.RowVectors;
                Workers.For((long)g.N * g.OH, Math.Max(1, (1 << 15) / Math.Max(1, perRow)), job, static (j, s, e) => j.Run(s, e));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(laid);
        }
    }

    /// <summary>The first 64-byte boundary at or after <paramref name="p"/> (buffers are rented 16 floats longer).</summary>
    internal static unsafe float* Aligned(float* p) => (float*)(((nint)p + 63) & ~(nint)63);

    private readonly record struct Rows(ThinRows Layout, int Tile, nint In, nint Laid, nint Bias, nint Out, int Mode, Epilogue? Activation)
    {
        public unsafe void Run(long start, long end)
        {
            var g = Layout.G;
            int oc = Layout.Oc;
            // A band of output rows expanded at a time: the chunk's rows of one image, at most what keeps the band near L2 size.
            int maxRows = (int)Math.Min(Math.Min(g.OH, end - start), Layout.BandRows(1 << 16));
            var buf = ArrayPool<float>.Shared.Rent(Layout.BandFloats(maxRows) + Layout.ScratchFloats + Lanes);
            int* offsets = stackalloc int[g.C * g.KW];
            Layout.TapOffsets(new Span<int>(offsets, g.C * g.KW));
            float* tail = stackalloc float[Lanes];
            int rowVectors = Layout.RowVectors, rowFloats = g.OW * oc, tapsPerRow = g.C * g.KW;
            nint kyStride = (nint)g.DH * Layout.InputRowFloats;
            try
            {
                fixed (float* pb0 = buf)
                {
                    float* pb = Aligned(pb0), scratch = pb + Layout.BandFloats(maxRows);
                    for (long r = start; r < end;)
                    {
                        int b = (int)(r / g.OH), oh0 = (int)(r % g.OH);
                        int oh1 = (int)Math.Min(Math.Min(g.OH, oh0 + (end - r)), oh0 + maxRows);
                        int y0 = oh0 * g.SH, y1 = (oh1 - 1) * g.SH + (g.KH - 1) * g.DH + 1;
                        Layout.Expand((float*)In, b, y0, y1, pb, scratch);
                        int oh = oh0;
                        if (Layout.Period <= 4)
                        {
                            // Four rows at a time, in chunks of up to 4 vectors (a whole number of pattern periods: 4 when the
                            // pattern repeats every vector, 3 for OC = 3, 6, 12): each weight load serves four FMAs instead of one,
                            // and a short row (a 6 → 1 input gradient: 2 vectors) still keeps 8 sums in flight. All KH window
                            // rows are summed (the band's rows in the padding are zeros), so no row needs the padding skip.
                            var args4 = new TileArgs(g.KH, kyStride, offsets, tapsPerRow, Tile, (float*)Bias, Mode);
                            nint inStep = (nint)g.SH * Layout.InputRowFloats;
                            int chunk = 4 / Layout.Period * Layout.Period;
                            for (; oh + 4 <= oh1; oh += 4)
                            {
                                float* outRow = (float*)Out + ((long)b * g.OH + oh) * rowFloats;
                                float* e4 = pb + (nint)(oh * g.SH - y0) * Layout.InputRowFloats;
                                for (int v0 = 0; v0 < rowVectors; v0 += chunk)
                                    RunTile4Rows(Math.Min(chunk, rowVectors - v0), args4, e4 + v0 * Lanes, inStep, (float*)Laid,
                                        outRow + v0 * Lanes, rowFloats, rowFloats - v0 * Lanes, tail);
                                if (Activation != null)
                                    for (int i = 0; i < 4; i++) Activation.ApplyActivation(new Span<float>(outRow + i * rowFloats, rowFloats));
                            }
                        }
                        for (; oh < oh1; oh++)
                        {
                            // Window rows ky whose input row lies in the top or bottom padding add nothing: [kyLo, kyHi) are the others.
                            int yy = oh * g.SH, kyLo = 0, kyHi = g.KH;
                            while (kyLo < kyHi && yy + kyLo * g.DH - g.PadTop < 0) kyLo++;
                            while (kyHi > kyLo && yy + (kyHi - 1) * g.DH - g.PadTop >= g.H) kyHi--;
                            float* outRow = (float*)Out + ((long)b * g.OH + oh) * rowFloats;
                            // A row whose whole window is padding (kyLo == kyHi) sums nothing: its tiles store the epilogue of zero.
                            float* e = pb + (nint)(yy - y0 + kyLo * g.DH) * Layout.InputRowFloats;
                            float* w = (float*)Laid + (nint)kyLo * tapsPerRow * Tile * Lanes;
                            var args = new TileArgs(kyHi - kyLo, kyStride, offsets, tapsPerRow, Tile, (float*)Bias, Mode);
                            for (int v0 = 0; v0 < rowVectors; v0 += Tile)
                            {
                                int count = Math.Min(Tile, rowVectors - v0);
                                int valid = Math.Min(count * Lanes, rowFloats - v0 * Lanes);
                                RunTile(count, args, e + v0 * Lanes, w, outRow + v0 * Lanes, valid, tail);
                            }
                            Activation?.ApplyActivation(new Span<float>(outRow, rowFloats));
                        }
                        r += oh1 - oh0;
                    }
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(buf);
            }
        }
    }

    /// <summary>What every tile of a row shares: window rows summed, the expanded-row stride between them, the taps per
    /// window row and their offsets, the laid weight vectors per tap, the laid bias, the epilogue mode.</summary>
    private readonly unsafe struct TileArgs(int rows, nint rowStride, int* offsets, int taps, int tile, float* bias, int mode)
    {
        public readonly int Rows = rows, Taps = taps, Tile = tile, Mode = mode;
        public readonly nint RowStride = rowStride;
        public readonly int* Offsets = offsets;
        public readonly float* Bias = bias;
    }

    private static unsafe void RunTile(int count, in TileArgs a, float* e, float* w, float* o, int valid, float* tail)
    {
        switch (count)
        {
            case 1: Tile<C1>(a, e, w, o, valid, tail); break;
            case 2: Tile<C2>(a, e, w, o, valid, tail); break;
            case 3: Tile<C3>(a, e, w, o, valid, tail); break;
            case 4: Tile<C4>(a, e, w, o, valid, tail); break;
            case 5: Tile<C5>(a, e, w, o, valid, tail); break;
            case 6: Tile<C6>(a, e, w, o, valid, tail); break;
            case 7: Tile<C7>(a, e, w, o, valid, tail); break;
            case 8: Tile<C8>(a, e, w, o, valid, tail); break;
            case 9: Tile<C9>(a, e, w, o, valid, tail); break;
            case 10: Tile<C10>(a, e, w, o, valid, tail); break;
            case 11: Tile<C11>(a, e, w, o, valid, tail); break;
            case 12: Tile<C12>(a, e, w, o, valid, tail); break;
            case 13: Tile<C13>(a, e, w, o, valid, tail); break;
            case 14: Tile<C14>(a, e, w, o, valid, tail); break;
            case 15: Tile<C15>(a, e, w, o, valid, tail); break;
            case 16: Tile<C16>(a, e, w, o, valid, tail); break;
            default: throw new ArgumentOutOfRangeException(nameof(count));
        }
    }

    /// <summary>
    /// TV consecutive vectors of one output row (e: the expanded input at the first summed window row and this tile's
    /// first vector; w: the laid weights of that window row's first tap). Per tap every vector is one FMA of the shifted
    /// expanded input and its weight vector; then the epilogue, and the store of <paramref name="valid"/> floats.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile<TV>(in TileArgs a, float* e, float* w, float* o, int valid, float* tail) where TV : struct, IConstInt
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        Vector512<float> a8 = default, a9 = default, a10 = default, a11 = default, a12 = default, a13 = default, a14 = default, a15 = default;
        int taps = a.Taps;
        int* offsets = a.Offsets;
        nint wStep = (nint)a.Tile * Lanes;
        for (int ky = 0; ky < a.Rows; ky++, e += a.RowStride)
        {
            for (int j = 0; j < taps; j++, w += wStep)
            {
                float* x = e + offsets[j];
                a0 = Vector512.FusedMultiplyAdd(Vector512.Load(x), Vector512.Load(w), a0);
                if (TV.Value > 1) a1 = Vector512.FusedMultiplyAdd(Vector512.Load(x + 16), Vector512.Load(w + 16), a1);
                if (TV.Value > 2) a2 = Vector512.FusedMultiplyAdd(Vector512.Load(x + 32), Vector512.Load(w + 32), a2);
                if (TV.Value > 3) a3 = Vector512.FusedMultiplyAdd(Vector512.Load(x + 48), Vector512.Load(w + 48), a3);
                if (TV.Value > 4) a4 = Vector512.FusedMultiplyAdd(Vector512.Load(x + 64), Vector512.Load(w + 64), a4);
                if (TV.Value > 5) a5 = Vector512.FusedMultiplyAdd(Vector512.Load(x + 80), Vector512.Load(w + 80), a5);
                if (TV.Value > 6) a6 = Vector512.FusedMultiplyAdd(Vector512.Load(x + 96), Vector512.Load(w + 96), a6);
                if (TV.Value > 7) a7 = Vector512.FusedMultiplyAdd(Vector512.Load(x + 112), Vector512.Load(w + 112), a7);
                if (TV.Value > 8) a8 = Vector512.FusedMultiplyAdd(Vector512.Load(x + 128), Vector512.Load(w + 128), a8);
                if (TV.Value > 9) a9 = Vector512.FusedMultiplyAdd(Vector512.Load(x + 144), Vector512.Load(w + 144), a9);
                if (TV.Value > 10) a10 = Vector512.FusedMultiplyAdd(Vector512.Load(x + 160), Vector512.Load(w + 160), a10);
                if (TV.Value > 11) a11 = Vector512.FusedMultiplyAdd(Vector512.Load(x + 176), Vector512.Load(w + 176), a11);
                if (TV.Value > 12) a12 = Vector512.FusedMultiplyAdd(Vector512.Load(x + 192), Vector512.Load(w + 192), a12);
                if (TV.Value > 13) a13 = Vector512.FusedMultiplyAdd(Vector512.Load(x + 208), Vector512.Load(w + 208), a13);
                if (TV.Value > 14) a14 = Vector512.FusedMultiplyAdd(Vector512.Load(x + 224), Vector512.Load(w + 224), a14);
                if (TV.Value > 15) a15 = Vector512.FusedMultiplyAdd(Vector512.Load(x + 240), Vector512.Load(w + 240), a15);
            }
        }
        Put(a0, 0, a, o, valid, tail);
        if (TV.Value > 1) Put(a1, 1, a, o, valid, tail);
        if (TV.Value > 2) Put(a2, 2, a, o, valid, tail);
        if (TV.Value > 3) Put(a3, 3, a, o, valid, tail);
        if (TV.Value > 4) Put(a4, 4, a, o, valid, tail);
        if (TV.Value > 5) Put(a5, 5, a, o, valid, tail);
        if (TV.Value > 6) Put(a6, 6, a, o, valid, tail);
        if (TV.Value > 7) Put(a7, 7, a, o, valid, tail);
        if (TV.Value > 8) Put(a8, 8, a, o, valid, tail);
        if (TV.Value > 9) Put(a9, 9, a, o, valid, tail);
        if (TV.Value > 10) Put(a10, 10, a, o, valid, tail);
        if (TV.Value > 11) Put(a11, 11, a, o, valid, tail);
        if (TV.Value > 12) Put(a12, 12, a, o, valid, tail);
        if (TV.Value > 13) Put(a13, 13, a, o, valid, tail);
        if (TV.Value > 14) Put(a14, 14, a, o, valid, tail);
        if (TV.Value > 15) Put(a15, 15, a, o, valid, tail);
    }

    private static unsafe void RunTile4Rows(int count, in TileArgs a, float* e, nint inStep, float* w, float* o, int rowFloats, int valid, float* tail)
    {
        switch (count)
        {
            case 1: Tile4Rows<C1>(a, e, inStep, w, o, rowFloats, valid, tail); break;
            case 2: Tile4Rows<C2>(a, e, inStep, w, o, rowFloats, valid, tail); break;
            case 3: Tile4Rows<C3>(a, e, inStep, w, o, rowFloats, valid, tail); break;
            case 4: Tile4Rows<C4>(a, e, inStep, w, o, rowFloats, valid, tail); break;
            default: throw new ArgumentOutOfRangeException(nameof(count));
        }
    }

    /// <summary>
    /// Four consecutive output rows × TV vectors (e: the expanded input of the first row's first window row at this chunk;
    /// the next rows' windows start <paramref name="inStep"/> floats later; o: the first row's output at this chunk, rows
    /// <paramref name="rowFloats"/> apart, <paramref name="valid"/> floats of each from o on): per tap each weight vector
    /// is loaded once for the four rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile4Rows<TV>(in TileArgs a, float* e, nint inStep, float* w, float* o, int rowFloats, int valid, float* tail) where TV : struct, IConstInt
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, d0 = default, d1 = default, d2 = default, d3 = default;
        int taps = a.Taps;
        int* offsets = a.Offsets;
        nint wStep = (nint)a.Tile * Lanes, s1 = inStep, s2 = 2 * inStep, s3 = 3 * inStep;
        for (int ky = 0; ky < a.Rows; ky++, e += a.RowStride)
        {
            for (int j = 0; j < taps; j++, w += wStep)
            {
                float* x = e + offsets[j];
                var w0 = Vector512.Load(w);
                a0 = Vector512.FusedMultiplyAdd(Vector512.Load(x), w0, a0);
                b0 = Vector512.FusedMultiplyAdd(Vector512.Load(x + s1), w0, b0);
                c0 = Vector512.FusedMultiplyAdd(Vector512.Load(x + s2), w0, c0);
                d0 = Vector512.FusedMultiplyAdd(Vector512.Load(x + s3), w0, d0);
                if (TV.Value > 1)
                {
                    var w1 = Vector512.Load(w + 16);
                    a1 = Vector512.FusedMultiplyAdd(Vector512.Load(x + 16), w1, a1);
                    b1 = Vector512.FusedMultiplyAdd(Vector512.Load(x + s1 + 16), w1, b1);
                    c1 = Vector512.FusedMultiplyAdd(Vector512.Load(x + s2 + 16), w1, c1);
                    d1 = Vector512.FusedMultiplyAdd(Vector512.Load(x + s3 + 16), w1, d1);
                }
                if (TV.Value > 2)
                {
                    var w2 = Vector512.Load(w + 32);
                    a2 = Vector512.FusedMultiplyAdd(Vector512.Load(x + 32), w2, a2);
                    b2 = Vector512.FusedMultiplyAdd(Vector512.Load(x + s1 + 32), w2, b2);
                    c2 = Vector512.FusedMultiplyAdd(Vector512.Load(x + s2 + 32), w2, c2);
                    d2 = Vector512.FusedMultiplyAdd(Vector512.Load(x + s3 + 32), w2, d2);
                }
                if (TV.Value > 3)
                {
                    var w3 = Vector512.Load(w + 48);
                    a3 = Vector512.FusedMultiplyAdd(Vector512.Load(x + 48), w3, a3);
                    b3 = Vector512.FusedMultiplyAdd(Vector512.Load(x + s1 + 48), w3, b3);
                    c3 = Vector512.FusedMultiplyAdd(Vector512.Load(x + s2 + 48), w3, c3);
                    d3 = Vector512.FusedMultiplyAdd(Vector512.Load(x + s3 + 48), w3, d3);
                }
            }
        }
        for (int r = 0; r < 4; r++)
        {
            var (v0, v1, v2, v3) = r switch { 0 => (a0, a1, a2, a3), 1 => (b0, b1, b2, b3), 2 => (c0, c1, c2, c3), _ => (d0, d1, d2, d3) };
            float* row = o + (nint)r * rowFloats;
            Put(v0, 0, a, row, valid, tail);
            if (TV.Value > 1) Put(v1, 1, a, row, valid, tail);
            if (TV.Value > 2) Put(v2, 2, a, row, valid, tail);
            if (TV.Value > 3) Put(v3, 3, a, row, valid, tail);
        }
    }

    // Vector k of a tile after the epilogue (TileEpilogue); the row's last, partial vector goes through a small buffer so nothing past the row is written.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Put(Vector512<float> acc, int k, in TileArgs a, float* o, int valid, float* tail)
    {
        acc = TileEpilogue.Apply(acc, a.Bias + k * Lanes, a.Mode);
        int left = valid - k * Lanes;
        if (left >= Lanes) acc.Store(o + k * Lanes);
        else
        {
            acc.Store(tail);
            for (int i = 0; i < left; i++) o[k * Lanes + i] = tail[i];
        }
    }
}

/// <summary>
/// The expanded-row layout <see cref="ThinConv2D"/> and the thin filter gradient share: for a conv with OC outputs, an
/// input row of channel c and stride phase p (padded columns p, p + SW, p + 2·SW, …) is written with every value repeated
/// OC times, so that lane j of an output row (pixel j / OC, channel j mod OC) reads tap kx's input at expanded index
/// j + OC·⌊kx·DW / SW⌋ of phase (kx·DW) mod SW. Rows of a band are stored [row][c][phase][<see cref="RowFloats"/>], zero
/// outside the input (so a shifted vector load never reads past the row or sees anything but zeros and inputs).
/// </summary>
internal readonly struct ThinRows
{
    private const int Lanes = 16;

    /// <summary>The conv's geometry.</summary>
    public Window2D G { get; }

    /// <summary>Output channels: the repeat count of each expanded value.</summary>
    public int Oc { get; }

    /// <summary>Vectors after which the channel pattern of a row repeats: OC / gcd(OC, 16).</summary>
    public int Period { get; }

    /// <summary>Vectors per output row: ⌈OW·OC / 16⌉.</summary>
    public int RowVectors { get; }

    /// <summary>Floats per expanded (channel, phase) row: the row's vectors plus the widest tap shift, in whole vectors.</summary>
    public int RowFloats { get; }

    /// <summary>Floats per expanded input row (all channels and phases).</summary>
    public int InputRowFloats => G.C * G.SW * RowFloats;

    // Source values per phase row read by the expansion (a vector load at ⌊16u / OC⌋ for every expanded vector u).
    private int SourceFloats => (RowFloats / Oc + 2 * Lanes) / Lanes * Lanes;

    /// <summary>Scratch floats <see cref="Expand"/> needs after the band: one phase row of source values and the
    /// permutation patterns.</summary>
    public int ScratchFloats => SourceFloats + Lanes * Period;

    public ThinRows(Window2D g, int oc)
    {
        G = g;
        Oc = oc;
        Period = oc / Gcd(oc, Lanes);
        RowVectors = (int)(((long)g.OW * oc + Lanes - 1) / Lanes);
        int shift = (g.KW - 1) * g.DW / g.SW;
        RowFloats = checked((RowVectors * Lanes + oc * shift + Lanes - 1) / Lanes * Lanes);
    }

    private static int Gcd(int a, int b) => b == 0 ? a : Gcd(b, a % b);

    /// <summary>The register tile in vectors: the largest multiple of the period up to <paramref name="max"/> (so every
    /// tile starts at pattern phase 0), or the row when it is shorter.</summary>
    public int TileVectors(int max) => Math.Max(1, Math.Min(max / Period * Period, (RowVectors + Period - 1) / Period * Period));

    /// <summary>Floats a band of output rows needs for its expanded input rows.</summary>
    public int BandFloats(int outputRows) => checked(((outputRows - 1) * G.SH + (G.KH - 1) * G.DH + 1) * InputRowFloats);

    /// <summary>The most output rows whose band fits in <paramref name="floats"/> (at least 1).</summary>
    public int BandRows(int floats)
    {
        long perRow = (long)G.SH * InputRowFloats, fixedPart = (long)((G.KH - 1) * G.DH + 1) * InputRowFloats;
        return (int)Math.Clamp((floats - fixedPart) / Math.Max(1, perRow) + 1, 1, Math.Max(1, G.OH));
    }

    /// <summary>Offsets (in floats) of the taps of one window row, in the order (c, kx), from the expanded row at a
    /// window's first padded input row.</summary>
    public void TapOffsets(Span<int> offsets)
    {
        var g = G;
        for (int c = 0, t = 0; c < g.C; c++)
            for (int kx = 0; kx < g.KW; kx++, t++)
                offsets[t] = (c * g.SW + kx * g.DW % g.SW) * RowFloats + Oc * (kx * g.DW / g.SW);
    }

    // s[k] = input row's channel c at padded column k·SW + p for k < count (zero outside the input): the columns inside are
    // one strided run, copied 8 at a time by a gather (a plain copy for one channel at stride 1).
    private unsafe void Gather(float* s, int count, float* row, int c, int p)
    {
        var g = G;
        // Inside the input for kLo ≤ k < kHi: 0 ≤ k·SW + p − PadLeft < W.
        int kLo = Math.Min(count, Math.Max(0, (g.PadLeft - p + g.SW - 1) / g.SW));
        int kHi = Math.Max(kLo, Math.Min(count, (g.W + g.PadLeft - p + g.SW - 1) / g.SW));
        new Span<float>(s, kLo).Clear();
        new Span<float>(s + kHi, count - kHi).Clear();
        int stride = g.SW * g.C;
        float* from = row + (long)(kLo * g.SW + p - g.PadLeft) * g.C + c;
        int n = kHi - kLo;
        if (stride == 1)
        {
            Buffer.MemoryCopy(from, s + kLo, n * 4L, n * 4L);
            return;
        }
        int k = 0;
        if (Avx2.IsSupported)
        {
            var index = Vector256<int>.Indices * stride;
            for (; k + 8 <= n; k += 8) Avx2.GatherVector256(from + (long)k * stride, index, 4).Store(s + kLo + k);
        }
        for (; k < n; k++) s[kLo + k] = from[(long)k * stride];
    }

    /// <summary>Expands padded input rows [y0, y1) of image <paramref name="b"/> (padded row y is input row y − PadTop)
    /// of NHWC <paramref name="input"/> into <paramref name="band"/>; <paramref name="scratch"/>: <see cref="ScratchFloats"/>.</summary>
    public unsafe void Expand(float* input, int b, int y0, int y1, float* band, float* scratch)
    {
        var g = G;
        int oc = Oc, srcLen = SourceFloats, vectors = RowFloats / Lanes;
        float* src = scratch, patterns = scratch + srcLen;
        // Pattern q (for expanded vectors u ≡ q mod Period): lane l reads source value ⌊(16q + l) / OC⌋ − ⌊16q / OC⌋.
        int* phaseSource = stackalloc int[Lanes];
        int periodSource = Lanes * Period / oc;
        if (oc > 1)
            for (int q = 0; q < Period; q++)
            {
                phaseSource[q] = q * Lanes / oc;
                for (int l = 0; l < Lanes; l++)
                    ((int*)patterns)[q * Lanes + l] = (q * Lanes + l) / oc - q * Lanes / oc;
            }
        float* dst = band;
        for (int y = y0; y < y1; y++)
        {
            int iy = y - g.PadTop;
            bool inside = (uint)iy < (uint)g.H;
            float* row = input + ((long)b * g.H + iy) * g.W * g.C;
            for (int c = 0; c < g.C; c++)
                for (int p = 0; p < g.SW; p++, dst += RowFloats)
                {
                    if (!inside)
                    {
                        new Span<float>(dst, RowFloats).Clear();
                        continue;
                    }
                    // Source value k: padded column k·SW + p of channel c (zero outside the input). With one output channel it
                    // is the expanded row itself.
                    float* s = oc == 1 ? dst : src;
                    int count = oc == 1 ? RowFloats : srcLen;
                    Gather(s, count, row, c, p);
                    if (oc == 1) continue;
                    // Vector u = u0 + q (u0 a multiple of the period) reads from source value ⌊16u / OC⌋ = u0·16 / OC + ⌊16q / OC⌋
                    // (16·Period is a multiple of OC): counters instead of two integer divisions per vector.
                    for (int u0 = 0, from = 0; u0 < vectors; u0 += Period, from += periodSource)
                        for (int q = 0; q < Period && u0 + q < vectors; q++)
                            Avx512F.PermuteVar16x32(Vector512.Load(src + from + phaseSource[q]), Vector512.Load((int*)patterns + q * Lanes))
                                .Store(dst + (u0 + q) * Lanes);
                }
        }
    }
}
