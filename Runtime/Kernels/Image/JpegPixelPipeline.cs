namespace TypedGraph.Kernels.Image;

/// <summary>
/// The pixel stages of a libjpeg-turbo decode, written from its C sources so that our output equals TF's (which
/// links libjpeg-turbo): dequantization + the ISLOW (<c>jidctint.c</c>) or IFAST (<c>jidctfst.c</c>, 8-bit build,
/// no USE_ACCURATE_ROUNDING) 8×8 IDCT with libjpeg's range-limit table, the reduced-size 4×4/2×2/1×1 IDCTs of
/// <c>jidctred.c</c> for scaled decodes (ratio 2/4/8; libjpeg always uses them with the ISLOW multiplier table),
/// "fancy" chroma upsampling (<c>jdsample.c</c>: h2v1/h2v2 triangle filters when the chroma row is wider than 2
/// samples, h1v2 as libjpeg-turbo ≥ 1.5, box replication otherwise; never fancy when the smallest DCT size is 1),
/// image-edge context rows replicated as <c>jdmainct.c</c> does, YCbCr → RGB with <c>jdcolor.c</c>'s 16-bit
/// fixed-point tables and YCCK → CMYK as its <c>ycck_cmyk_convert</c>. Entropy decoding (Huffman, progressive
/// refinement) stays in LibJpeg.NET, which hands over the quantized coefficients.
/// </summary>
internal static class JpegPixelPipeline
{
    /// <summary>One component's coefficients: blocks[row][col][64] in natural order, with its sampling factors, the
    /// IDCT output size chosen for it (<see cref="ScaledSize"/>: 8 at ratio 1) and its sample-plane size after that
    /// IDCT (libjpeg's downsampled_width/height).</summary>
    public sealed record Component(short[][][] Blocks, int HSamp, int VSamp, int ScaledSize, int DownsampledWidth, int DownsampledHeight, ushort[] Quant);

    /// <summary>The colour space of the stored components (libjpeg's jpeg_color_space).</summary>
    public enum ColorSpace { Grayscale, YCbCr, Rgb, Cmyk, Ycck }

    private static readonly short[] s_aanScales =
    [
        16384, 22725, 21407, 19266, 16384, 12873, 8867, 4520, 22725, 31521, 29692, 26722, 22725, 17855, 12299, 6270,
        21407, 29692, 27969, 25172, 21407, 16819, 11585, 5906, 19266, 26722, 25172, 22654, 19266, 15137, 10426, 5315,
        16384, 22725, 21407, 19266, 16384, 12873, 8867, 4520, 12873, 17855, 16819, 15137, 12873, 10114, 6967, 3552,
        8867, 12299, 11585, 10426, 8867, 6967, 4799, 2446, 4520, 6270, 5906, 5315, 4520, 3552, 2446, 1247,
    ];

    /// <summary>
    /// Decodes to [height, width, outChannels] (1 = grey/luma, 3 = RGB, 4 = CMYK for 4-component files).
    /// <paramref name="minScaled"/> is libjpeg's min_DCT_scaled_size (8 / ratio); <paramref name="fancy"/> is the
    /// do_fancy_upsampling request (turned off here when <paramref name="minScaled"/> is 1, as <c>jinit_upsampler</c>
    /// does). <paramref name="columns"/> decodes only output columns [start, start + count) — the iMCU-aligned crop
    /// window of <c>jpeg_crop_scanline</c>, whose edges the upsampler treats as image edges.
    /// </summary>
    public static byte[] Decode(IReadOnlyList<Component> comps, int width, int height, int minScaled, int outChannels, bool islow, bool fancy, ColorSpace space, (int Start, int Count)? columns = null)
    {
        int maxH = comps.Max(c => c.HSamp), maxV = comps.Max(c => c.VSamp);
        bool doFancy = fancy && minScaled > 1;
        int x0 = columns?.Start ?? 0, outWidth = columns?.Count ?? width;
        int needed = outChannels == 1 && comps.Count == 3 && space == ColorSpace.YCbCr ? 1 : comps.Count; // grey output reads only Y
        var planes = new byte[needed][];
        for (int ci = 0; ci < needed; ci++)
        {
            var c = comps[ci];
            var plane = Idct(c, islow, out int stride);
            // libjpeg's input/output "groups": hIn samples of this component become maxH output pixels.
            int hIn = c.HSamp * c.ScaledSize / minScaled, vIn = c.VSamp * c.ScaledSize / minScaled;
            if (hIn == 0 || vIn == 0 || maxH % hIn != 0 || maxV % vIn != 0) throw new InvalidDataException("Fractional sampling not implemented yet");
            int dw = c.DownsampledWidth, sx0 = 0, widthForFancy = dw;
            if (columns != null)
            {
                // jpeg_crop_scanline: the component's first sample is the window's first column scaled to it, and
                // downsampled_width becomes ceil(window width · h / max_h). The upsampler stays the one chosen for
                // the full width unless the window leaves fewer than 2 samples (then jinit_upsampler re-chooses).
                sx0 = x0 * hIn / maxH;
                int cropped = (int)(((long)outWidth * hIn + maxH - 1) / maxH);
                if (cropped < 2 && dw >= 2) widthForFancy = cropped;
                dw = cropped;
            }
            planes[ci] = Upsample(plane, stride, sx0, dw, c.DownsampledHeight, maxH / hIn, maxV / vIn, outWidth, height, doFancy, widthForFancy);
        }
        width = outWidth;
        long pixels = (long)width * height;
        var o = new byte[pixels * outChannels];
        if (needed == 1)
        {
            var p = planes[0];
            if (outChannels == 1) Array.Copy(p, o, pixels);
            else for (long i = 0; i < pixels; i++) o[3 * i] = o[3 * i + 1] = o[3 * i + 2] = p[i];
            return o;
        }
        if (comps.Count == 4)
        {
            for (long i = 0; i < pixels; i++)
            {
                int a = planes[0][i], b = planes[1][i], c = planes[2][i];
                if (space == ColorSpace.Ycck)
                {
                    // jdcolor.c ycck_cmyk_convert: the YCbCr → RGB formulas, then inverted (MAXJSAMPLE − x), K as is.
                    o[4 * i] = Clamp(255 - (a + s_crR[c]));
                    o[4 * i + 1] = Clamp(255 - (a + ((s_cbG[b] + s_crG[c]) >> 16)));
                    o[4 * i + 2] = Clamp(255 - (a + s_cbB[b]));
                }
                else { o[4 * i] = (byte)a; o[4 * i + 1] = (byte)b; o[4 * i + 2] = (byte)c; }
                o[4 * i + 3] = planes[3][i];
            }
            return o;
        }
        if (outChannels == 1) // an RGB-coded JPEG read as grey: libjpeg's rgb_gray_convert weights
        {
            for (long i = 0; i < pixels; i++)
                o[i] = (byte)((19595 * planes[0][i] + 38470 * planes[1][i] + 7471 * planes[2][i] + 32768) >> 16);
            return o;
        }
        for (long i = 0; i < pixels; i++)
        {
            int y = planes[0][i], cb = planes[1][i], cr = planes[2][i];
            if (space != ColorSpace.YCbCr) { o[3 * i] = (byte)y; o[3 * i + 1] = (byte)cb; o[3 * i + 2] = (byte)cr; continue; }
            o[3 * i] = Clamp(y + s_crR[cr]);
            o[3 * i + 1] = Clamp(y + ((s_cbG[cb] + s_crG[cr]) >> 16));
            o[3 * i + 2] = Clamp(y + s_cbB[cb]);
        }
        return o;
    }

    private static byte Clamp(int v) => (byte)Math.Clamp(v, 0, 255);

    // jdcolor.c build_ycc_rgb_table: FIX(x) = (int)(x·65536 + 0.5), ONE_HALF = 1 << 15.
    private static readonly int[] s_crR = Table(i => (Fix(1.40200) * i + (1 << 15)) >> 16);
    private static readonly int[] s_cbB = Table(i => (Fix(1.77200) * i + (1 << 15)) >> 16);
    private static readonly int[] s_crG = Table(i => -Fix(0.71414) * i);
    private static readonly int[] s_cbG = Table(i => -Fix(0.34414) * i + (1 << 15));

    private static int Fix(double x) => (int)(x * 65536 + 0.5);

    private static int[] Table(Func<int, int> f)
    {
        var t = new int[256];
        for (int i = 0; i < 256; i++) t[i] = f(i - 128);
        return t;
    }

    // The post-IDCT range limit of jdmaster.c prepare_range_limit_table, indexed by (x & 1023): x + 128 clamped to
    // [0, 255] for sane x, with libjpeg's wrap-around for wild values.
    private static byte RangeLimit(int x)
    {
        int i = x & 1023;
        return i < 128 ? (byte)(i + 128) : i < 512 ? (byte)255 : i < 896 ? (byte)0 : (byte)(i - 896);
    }

    private static byte[] Idct(Component c, bool islow, out int stride)
    {
        int rows = c.Blocks.Length, cols = rows == 0 ? 0 : c.Blocks[0].Length, size = c.ScaledSize;
        stride = cols * size;
        var plane = new byte[rows * size * stride];
        // jddctmgr.c: the 8×8 IFAST table is q·aan-scale descaled by 12 bits; ISLOW and every reduced IDCT use q.
        bool fast = size == 8 && !islow;
        var mult = new int[64];
        for (int i = 0; i < 64; i++)
            mult[i] = fast ? unchecked((short)(((long)c.Quant[i] * s_aanScales[i] + (1 << 11)) >> 12)) : c.Quant[i];
        var ws = new int[64];
        for (int br = 0; br < rows; br++)
            for (int bc = 0; bc < cols; bc++)
            {
                var coef = c.Blocks[br][bc];
                int at = br * size * stride + bc * size;
                switch (size)
                {
                    case 8 when islow: IdctIslow(coef, mult, ws, plane, at, stride); break;
                    case 8: IdctIfast(coef, mult, ws, plane, at, stride); break;
                    case 4: Idct4x4(coef, mult, ws, plane, at, stride); break;
                    case 2: Idct2x2(coef, mult, ws, plane, at, stride); break;
                    default: plane[at] = RangeLimit((int)Descale(coef[0] * mult[0], 3)); break; // jpeg_idct_1x1: DC / 8
                }
            }
        return plane;
    }

    // jidctred.c constants: FIX(x) = x·2^13 rounded.
    private static readonly long s_r0_211164243 = RedFix(0.211164243), s_r0_509795579 = RedFix(0.509795579), s_r0_601344887 = RedFix(0.601344887),
        s_r0_720959822 = RedFix(0.720959822), s_r0_765366865 = RedFix(0.765366865), s_r0_850430095 = RedFix(0.850430095),
        s_r0_899976223 = RedFix(0.899976223), s_r1_061594337 = RedFix(1.061594337), s_r1_272758580 = RedFix(1.272758580),
        s_r1_451774981 = RedFix(1.451774981), s_r1_847759065 = RedFix(1.847759065), s_r2_172734803 = RedFix(2.172734803),
        s_r2_562915447 = RedFix(2.562915447), s_r3_624509785 = RedFix(3.624509785);

    private static long RedFix(double x) => (long)(x * (1 << IslowConstBits) + 0.5);

    // jidctred.c jpeg_idct_4x4: column pass skips column 4 (the row pass ignores it), then 4 rows of 4 outputs.
    private static void Idct4x4(short[] inp, int[] q, int[] ws, byte[] outp, int at, int stride)
    {
        for (int col = 0; col < 8; col++)
        {
            if (col == 4) continue;
            if (inp[8 + col] == 0 && inp[16 + col] == 0 && inp[24 + col] == 0 && inp[40 + col] == 0 && inp[48 + col] == 0 && inp[56 + col] == 0)
            {
                int dc = inp[col] * q[col] << IslowPass1;
                for (int r = 0; r < 4; r++) ws[r * 8 + col] = dc;
                continue;
            }
            long t0 = (long)(inp[col] * q[col]) << (IslowConstBits + 1);
            long t2 = inp[16 + col] * q[16 + col] * s_r1_847759065 - inp[48 + col] * q[48 + col] * s_r0_765366865;
            long t10 = t0 + t2, t12 = t0 - t2;
            Odd4(inp[56 + col] * q[56 + col], inp[40 + col] * q[40 + col], inp[24 + col] * q[24 + col], inp[8 + col] * q[8 + col], out t0, out t2);
            int n = IslowConstBits - IslowPass1 + 1;
            ws[0 * 8 + col] = (int)Descale(t10 + t2, n);
            ws[3 * 8 + col] = (int)Descale(t10 - t2, n);
            ws[1 * 8 + col] = (int)Descale(t12 + t0, n);
            ws[2 * 8 + col] = (int)Descale(t12 - t0, n);
        }
        int final = IslowConstBits + IslowPass1 + 3 + 1;
        for (int row = 0; row < 4; row++)
        {
            int w = row * 8, o = at + row * stride;
            if (ws[w + 1] == 0 && ws[w + 2] == 0 && ws[w + 3] == 0 && ws[w + 5] == 0 && ws[w + 6] == 0 && ws[w + 7] == 0)
            {
                byte dc = RangeLimit((int)Descale(ws[w], IslowPass1 + 3));
                for (int k = 0; k < 4; k++) outp[o + k] = dc;
                continue;
            }
            long t0 = (long)ws[w] << (IslowConstBits + 1);
            long t2 = ws[w + 2] * s_r1_847759065 - ws[w + 6] * s_r0_765366865;
            long t10 = t0 + t2, t12 = t0 - t2;
            Odd4(ws[w + 7], ws[w + 5], ws[w + 3], ws[w + 1], out t0, out t2);
            outp[o + 0] = RangeLimit((int)Descale(t10 + t2, final));
            outp[o + 3] = RangeLimit((int)Descale(t10 - t2, final));
            outp[o + 1] = RangeLimit((int)Descale(t12 + t0, final));
            outp[o + 2] = RangeLimit((int)Descale(t12 - t0, final));
        }
    }

    // jidctred.c's 4×4 odd part from z1..z4 = y7, y5, y3, y1.
    private static void Odd4(long z1, long z2, long z3, long z4, out long tmp0, out long tmp2)
    {
        tmp0 = -z1 * s_r0_211164243 + z2 * s_r1_451774981 - z3 * s_r2_172734803 + z4 * s_r1_061594337;
        tmp2 = -z1 * s_r0_509795579 - z2 * s_r0_601344887 + z3 * s_r0_899976223 + z4 * s_r2_562915447;
    }

    // jidctred.c jpeg_idct_2x2: only columns 0, 1, 3, 5, 7 and the odd terms matter for 2 outputs.
    private static void Idct2x2(short[] inp, int[] q, int[] ws, byte[] outp, int at, int stride)
    {
        for (int col = 0; col < 8; col++)
        {
            if (col is 2 or 4 or 6) continue;
            if (inp[8 + col] == 0 && inp[24 + col] == 0 && inp[40 + col] == 0 && inp[56 + col] == 0)
            {
                int dc = inp[col] * q[col] << IslowPass1;
                ws[col] = dc; ws[8 + col] = dc;
                continue;
            }
            long t10 = (long)(inp[col] * q[col]) << (IslowConstBits + 2);
            long t0 = Odd2(inp[56 + col] * q[56 + col], inp[40 + col] * q[40 + col], inp[24 + col] * q[24 + col], inp[8 + col] * q[8 + col]);
            int n = IslowConstBits - IslowPass1 + 2;
            ws[col] = (int)Descale(t10 + t0, n);
            ws[8 + col] = (int)Descale(t10 - t0, n);
        }
        int final = IslowConstBits + IslowPass1 + 3 + 2;
        for (int row = 0; row < 2; row++)
        {
            int w = row * 8, o = at + row * stride;
            if (ws[w + 1] == 0 && ws[w + 3] == 0 && ws[w + 5] == 0 && ws[w + 7] == 0)
            {
                byte dc = RangeLimit((int)Descale(ws[w], IslowPass1 + 3));
                outp[o] = dc; outp[o + 1] = dc;
                continue;
            }
            long t10 = (long)ws[w] << (IslowConstBits + 2);
            long t0 = Odd2(ws[w + 7], ws[w + 5], ws[w + 3], ws[w + 1]);
            outp[o] = RangeLimit((int)Descale(t10 + t0, final));
            outp[o + 1] = RangeLimit((int)Descale(t10 - t0, final));
        }
    }

    private static long Odd2(long y7, long y5, long y3, long y1) =>
        -y7 * s_r0_720959822 + y5 * s_r0_850430095 - y3 * s_r1_272758580 + y1 * s_r3_624509785;

    private const int IslowConstBits = 13, IslowPass1 = 2;

    private static long Descale(long x, int n) => (x + (1L << (n - 1))) >> n;

    private static void IdctIslow(short[] inp, int[] q, int[] ws, byte[] outp, int at, int stride)
    {
        for (int col = 0; col < 8; col++)
        {
            if (inp[8 + col] == 0 && inp[16 + col] == 0 && inp[24 + col] == 0 && inp[32 + col] == 0 && inp[40 + col] == 0 && inp[48 + col] == 0 && inp[56 + col] == 0)
            {
                int dc = inp[col] * q[col] << IslowPass1;
                for (int r = 0; r < 8; r++) ws[r * 8 + col] = dc;
                continue;
            }
            long z2 = inp[16 + col] * q[16 + col], z3 = inp[48 + col] * q[48 + col];
            long z1 = (z2 + z3) * 4433;
            long tmp2 = z1 + z3 * -15137, tmp3 = z1 + z2 * 6270;
            z2 = inp[col] * q[col]; z3 = inp[32 + col] * q[32 + col];
            long tmp0 = (z2 + z3) << IslowConstBits, tmp1 = (z2 - z3) << IslowConstBits;
            long tmp10 = tmp0 + tmp3, tmp13 = tmp0 - tmp3, tmp11 = tmp1 + tmp2, tmp12 = tmp1 - tmp2;
            tmp0 = inp[56 + col] * q[56 + col]; tmp1 = inp[40 + col] * q[40 + col];
            tmp2 = inp[24 + col] * q[24 + col]; tmp3 = inp[8 + col] * q[8 + col];
            OddPart(ref tmp0, ref tmp1, ref tmp2, ref tmp3);
            int n = IslowConstBits - IslowPass1;
            ws[0 * 8 + col] = (int)Descale(tmp10 + tmp3, n);
            ws[7 * 8 + col] = (int)Descale(tmp10 - tmp3, n);
            ws[1 * 8 + col] = (int)Descale(tmp11 + tmp2, n);
            ws[6 * 8 + col] = (int)Descale(tmp11 - tmp2, n);
            ws[2 * 8 + col] = (int)Descale(tmp12 + tmp1, n);
            ws[5 * 8 + col] = (int)Descale(tmp12 - tmp1, n);
            ws[3 * 8 + col] = (int)Descale(tmp13 + tmp0, n);
            ws[4 * 8 + col] = (int)Descale(tmp13 - tmp0, n);
        }
        int final = IslowConstBits + IslowPass1 + 3;
        for (int row = 0; row < 8; row++)
        {
            int w = row * 8, o = at + row * stride;
            if (ws[w + 1] == 0 && ws[w + 2] == 0 && ws[w + 3] == 0 && ws[w + 4] == 0 && ws[w + 5] == 0 && ws[w + 6] == 0 && ws[w + 7] == 0)
            {
                byte dc = RangeLimit((int)Descale(ws[w], IslowPass1 + 3));
                for (int k = 0; k < 8; k++) outp[o + k] = dc;
                continue;
            }
            long z2 = ws[w + 2], z3 = ws[w + 6];
            long z1 = (z2 + z3) * 4433;
            long tmp2 = z1 + z3 * -15137, tmp3 = z1 + z2 * 6270;
            long tmp0 = ((long)ws[w] + ws[w + 4]) << IslowConstBits, tmp1 = ((long)ws[w] - ws[w + 4]) << IslowConstBits;
            long tmp10 = tmp0 + tmp3, tmp13 = tmp0 - tmp3, tmp11 = tmp1 + tmp2, tmp12 = tmp1 - tmp2;
            tmp0 = ws[w + 7]; tmp1 = ws[w + 5]; tmp2 = ws[w + 3]; tmp3 = ws[w + 1];
            OddPart(ref tmp0, ref tmp1, ref tmp2, ref tmp3);
            outp[o + 0] = RangeLimit((int)Descale(tmp10 + tmp3, final));
            outp[o + 7] = RangeLimit((int)Descale(tmp10 - tmp3, final));
            outp[o + 1] = RangeLimit((int)Descale(tmp11 + tmp2, final));
            outp[o + 6] = RangeLimit((int)Descale(tmp11 - tmp2, final));
            outp[o + 2] = RangeLimit((int)Descale(tmp12 + tmp1, final));
            outp[o + 5] = RangeLimit((int)Descale(tmp12 - tmp1, final));
            outp[o + 3] = RangeLimit((int)Descale(tmp13 + tmp0, final));
            outp[o + 4] = RangeLimit((int)Descale(tmp13 - tmp0, final));
        }
    }

    // jidctint.c's odd part (figure 8 of the LL&M paper), in place on tmp0..tmp3 (= y7, y5, y3, y1).
    private static void OddPart(ref long tmp0, ref long tmp1, ref long tmp2, ref long tmp3)
    {
        long z1 = tmp0 + tmp3, z2 = tmp1 + tmp2, z3 = tmp0 + tmp2, z4 = tmp1 + tmp3;
        long z5 = (z3 + z4) * 9633;
        tmp0 *= 2446; tmp1 *= 16819; tmp2 *= 25172; tmp3 *= 12299;
        z1 *= -7373; z2 *= -20995; z3 *= -16069; z4 *= -3196;
        z3 += z5; z4 += z5;
        tmp0 += z1 + z3; tmp1 += z2 + z4; tmp2 += z2 + z3; tmp3 += z1 + z4;
    }

    // jidctfst.c (AA&N), 8-bit: CONST_BITS 8, PASS1_BITS 2, truncating descales. TF builds libjpeg-turbo with
    // -DWITH_SIMD (third_party/jpeg/jpeg.BUILD), as do the distributions, and then jdct.h makes DCTELEM a 16-bit
    // short: every tmp/z variable of jpeg_idct_ifast is truncated to 16 bits when assigned, while the sums stored
    // into its int workspace, the column DC shortcut (an int), the products of MULTIPLY (formed in JLONG, since the
    // FIX_ constants are JLONG) and the final IDESCALE sums are not. Sane data never leaves 16 bits; the huge
    // coefficients of corrupt or re-read (try_recover_truncated) data do, and this is where they wrap.
    private static short M(int v, int c) => unchecked((short)(((long)v * c) >> 8));

    private static short Dq(short coef, int q) => unchecked((short)(coef * q));

    private static void IdctIfast(short[] inp, int[] q, int[] ws, byte[] outp, int at, int stride)
    {
        unchecked
        {
            for (int col = 0; col < 8; col++)
            {
                if (inp[8 + col] == 0 && inp[16 + col] == 0 && inp[24 + col] == 0 && inp[32 + col] == 0 && inp[40 + col] == 0 && inp[48 + col] == 0 && inp[56 + col] == 0)
                {
                    int dc = inp[col] * q[col];
                    for (int r = 0; r < 8; r++) ws[r * 8 + col] = dc;
                    continue;
                }
                short t0 = Dq(inp[col], q[col]), t1 = Dq(inp[16 + col], q[16 + col]), t2 = Dq(inp[32 + col], q[32 + col]), t3 = Dq(inp[48 + col], q[48 + col]);
                EvenPart(t0, t1, t2, t3, out t0, out t1, out t2, out t3);
                FastOdd(Dq(inp[8 + col], q[8 + col]), Dq(inp[24 + col], q[24 + col]), Dq(inp[40 + col], q[40 + col]), Dq(inp[56 + col], q[56 + col]),
                    out short t4, out short t5, out short t6, out short t7);
                ws[0 * 8 + col] = t0 + t7; ws[7 * 8 + col] = t0 - t7;
                ws[1 * 8 + col] = t1 + t6; ws[6 * 8 + col] = t1 - t6;
                ws[2 * 8 + col] = t2 + t5; ws[5 * 8 + col] = t2 - t5;
                ws[4 * 8 + col] = t3 + t4; ws[3 * 8 + col] = t3 - t4;
            }
            for (int row = 0; row < 8; row++)
            {
                int w = row * 8, o = at + row * stride;
                if (ws[w + 1] == 0 && ws[w + 2] == 0 && ws[w + 3] == 0 && ws[w + 4] == 0 && ws[w + 5] == 0 && ws[w + 6] == 0 && ws[w + 7] == 0)
                {
                    byte dc = RangeLimit(ws[w] >> 5);
                    for (int k = 0; k < 8; k++) outp[o + k] = dc;
                    continue;
                }
                EvenPart((short)ws[w], (short)ws[w + 2], (short)ws[w + 4], (short)ws[w + 6], out short t0, out short t1, out short t2, out short t3);
                // The odd inputs in jidctfst's order: z13 = w5 + w3, z10 = w5 − w3, z11 = w1 + w7, z12 = w1 − w7.
                FastOdd((short)ws[w + 1], (short)ws[w + 3], (short)ws[w + 5], (short)ws[w + 7], out short t4, out short t5, out short t6, out short t7);
                outp[o + 0] = RangeLimit((t0 + t7) >> 5); outp[o + 7] = RangeLimit((t0 - t7) >> 5);
                outp[o + 1] = RangeLimit((t1 + t6) >> 5); outp[o + 6] = RangeLimit((t1 - t6) >> 5);
                outp[o + 2] = RangeLimit((t2 + t5) >> 5); outp[o + 5] = RangeLimit((t2 - t5) >> 5);
                outp[o + 4] = RangeLimit((t3 + t4) >> 5); outp[o + 3] = RangeLimit((t3 - t4) >> 5);
            }
        }
    }

    // jidctfst.c even part from the inputs y0, y2, y4, y6 (16-bit DCTELEMs, see above).
    private static void EvenPart(short y0, short y2, short y4, short y6, out short t0, out short t1, out short t2, out short t3)
    {
        unchecked
        {
            short t10 = (short)(y0 + y4), t11 = (short)(y0 - y4), t13 = (short)(y2 + y6), t12 = (short)(M(y2 - y6, 362) - t13);
            t0 = (short)(t10 + t13); t3 = (short)(t10 - t13); t1 = (short)(t11 + t12); t2 = (short)(t11 - t12);
        }
    }

    // jidctfst.c odd part from the inputs y1, y3, y5, y7 (16-bit DCTELEMs, see above).
    private static void FastOdd(short y1, short y3, short y5, short y7, out short t4, out short t5, out short t6, out short t7)
    {
        unchecked
        {
            short z13 = (short)(y5 + y3), z10 = (short)(y5 - y3), z11 = (short)(y1 + y7), z12 = (short)(y1 - y7);
            t7 = (short)(z11 + z13);
            short t11 = M(z11 - z13, 362);
            short z5 = M(z10 + z12, 473);
            short t10 = (short)(M(z12, 277) - z5);
            short t12 = (short)(M(z10, -669) + z5);
            t6 = (short)(t12 - t7);
            t5 = (short)(t11 - t6);
            t4 = (short)(t10 + t5);
        }
    }

    /// <summary>Upsamples one component plane to the output size as jdsample.c (with jdmainct.c's edge rows); the
    /// component's samples start at column <paramref name="sx0"/> of the plane and number <paramref name="dw"/> by
    /// <paramref name="dh"/>.</summary>
    private static byte[] Upsample(byte[] plane, int stride, int sx0, int dw, int dh, int hexp, int vexp, int width, int height, bool fancy, int widthForFancy)
    {
        var o = new byte[(long)width * height];
        // Row r of the component as libjpeg's context sees it: above the top is row 0, below the last real row
        // (downsampled_height − 1) repeats it.
        int Row(int r) => Math.Clamp(r, 0, dh - 1) * stride + sx0;
        bool h2v2 = hexp == 2 && vexp == 2, h2v1 = hexp == 2 && vexp == 1, h1v2 = hexp == 1 && vexp == 2;
        var line = new byte[Math.Max(dw * hexp, width) + 2];
        for (int y = 0; y < height; y++)
        {
            if (hexp == 1 && vexp == 1) { Array.Copy(plane, Row(y), o, (long)y * width, width); continue; }
            if (fancy && h2v2 && widthForFancy > 2)
            {
                int r0 = Row(y / 2), r1 = Row(y % 2 == 0 ? y / 2 - 1 : y / 2 + 1);
                int Sum(int x) => plane[r0 + x] * 3 + plane[r1 + x];
                int last = Sum(0), cur = Sum(0), next = Sum(1);
                line[0] = (byte)((cur * 4 + 8) >> 4);
                line[1] = (byte)((cur * 3 + next + 7) >> 4);
                last = cur; cur = next;
                for (int x = 1; x < dw - 1; x++)
                {
                    next = Sum(x + 1);
                    line[2 * x] = (byte)((cur * 3 + last + 8) >> 4);
                    line[2 * x + 1] = (byte)((cur * 3 + next + 7) >> 4);
                    last = cur; cur = next;
                }
                line[2 * (dw - 1)] = (byte)((cur * 3 + last + 8) >> 4);
                line[2 * (dw - 1) + 1] = (byte)((cur * 4 + 7) >> 4);
            }
            else if (fancy && h2v1 && widthForFancy > 2)
            {
                int r0 = Row(y);
                line[0] = plane[r0];
                line[1] = (byte)((plane[r0] * 3 + plane[r0 + 1] + 2) >> 2);
                for (int x = 1; x < dw - 1; x++)
                {
                    int v3 = plane[r0 + x] * 3;
                    line[2 * x] = (byte)((v3 + plane[r0 + x - 1] + 1) >> 2);
                    line[2 * x + 1] = (byte)((v3 + plane[r0 + x + 1] + 2) >> 2);
                }
                line[2 * (dw - 1)] = (byte)((plane[r0 + dw - 1] * 3 + plane[r0 + dw - 2] + 1) >> 2);
                line[2 * (dw - 1) + 1] = plane[r0 + dw - 1];
            }
            else if (fancy && h1v2)
            {
                int r0 = Row(y / 2), r1 = Row(y % 2 == 0 ? y / 2 - 1 : y / 2 + 1), bias = y % 2 == 0 ? 1 : 2;
                for (int x = 0; x < dw; x++) line[x] = (byte)((plane[r0 + x] * 3 + plane[r1 + x] + bias) >> 2);
            }
            else
            {
                int r0 = Row(y / vexp);
                for (int x = 0; x < width; x++) line[x] = plane[r0 + x / hexp];
            }
            Array.Copy(line, 0, o, (long)y * width, width);
        }
        return o;
    }
}
