using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.Simd;

namespace TypedGraph.Kernels.NN;

/// <summary>
/// 3×3, stride-1, undilated NHWC float convolution by Winograd's minimal filtering algorithm F(4×4, 3×3) (Lavin &amp;
/// Gray, "Fast Algorithms for Convolutional Neural Networks", 2015; interpolation points 0, ±1, ±2, ∞). The output is
/// cut into 4×4 tiles; each tile's 6×6 input patch d and each filter g are transformed, V = Bᵀ·d·B and U = G·g·Gᵀ, and
/// a tile's output is Y = Aᵀ·(Σ_c U ⊙ V)·A. For a block of tiles the sum over input channels is, for each of the 36
/// transform positions ξ, one GEMM M_ξ[tiles, OC] = V_ξ[tiles, C] · U_ξ[C, OC] on the shared packed GEMM — 36
/// multiplies per 16 outputs and channel pair instead of 144 (4× fewer, before the edge tiles' waste and the
/// transforms). The transforms run on 16-channel vectors (channels are contiguous in NHWC and in TF's filter layout).
/// </summary>
/// <remarks>
/// Accuracy: the transforms scale values by up to 5 (Bᵀ), 1/24…1/4 (G) and 8 (Aᵀ), so the rounding error of a
/// Winograd output is bounded by a larger multiple of the unit round-off times Σ|x|·|w| than direct summation's — a
/// known property of F(4,3) (see Lavin &amp; Gray §5; Barabasz et al., "Error analysis and improving the accuracy of
/// Winograd convolution for deep neural networks", 2020). <c>WinogradConvTests</c> checks the outputs against a bound
/// computed from the absolute values of the transforms.
/// </remarks>
internal static class WinogradConv2D
{
    /// <summary>Output tile side (m) and input tile side (m + r − 1) of F(4×4, 3×3).</summary>
    private const int M = 4, T = 6, Xi = T * T;

    /// <summary>
    /// The plan's choice for a 3×3 stride-1 undilated window (Vector512 hardware, C and OC whole 16-float vectors):
    /// Winograd when its estimated cost is below 0.7 of the implicit-GEMM / im2col cost (the model is rough, so it
    /// must win clearly). Costs are in FMAs of the direct paths, which run near the FMA peak.
    /// </summary>
    public static bool IsPreferred(in Window2D g, int oc) => IsPreferred(g, oc, filterCached: false);

    /// <summary>As <see cref="IsPreferred(in Window2D, int)"/>, for a kernel that keeps the transformed filter of a constant
    /// filter (<paramref name="filterCached"/>: the filter is a Const or variable value, see <see cref="TransformFilter"/>), so the
    /// transform is not charged per call but reading the 4× larger transformed filter is.</summary>
    public static bool IsPreferred(in Window2D g, int oc, bool filterCached)
        => Vector512.IsHardwareAccelerated && Applies(g, oc) && Cost(g, oc, filterCached) < 0.7 * DirectCost(g, oc);

    /// <summary>Whether the kernel can run the window at all: 3×3, stride 1, dilation 1, C and OC multiples of 16.</summary>
    public static bool Applies(in Window2D g, int oc)
        => g.KH == 3 && g.KW == 3 && g.SH == 1 && g.SW == 1 && g.DH == 1 && g.DW == 1 && g.C % 16 == 0 && oc % 16 == 0
           && g.C > 0 && oc > 0 && g.OH > 0 && g.OW > 0 && g.N > 0;

    /// <summary>The implicit-GEMM (or im2col) path's cost: one FMA per tap, channel pair and output pixel.</summary>
    internal static double DirectCost(in Window2D g, int oc) => (double)g.N * g.OH * g.OW * 9 * g.C * oc;

    /// <summary>
    /// The estimated Winograd cost in the same units: the 36 GEMMs over all 4×4 tiles (partial edge tiles count
    /// whole) divided by their efficiency at depth C; the input and output transforms, about 4 FMA-equivalents per
    /// transformed value (two passes of a 6-point transform, 36 stores/loads per tile and 16 channels); and the filter
    /// transform plus packing, once per call, about 100 per transformed filter value (written, read and written again
    /// packed — memory-bound when 36·C·OC floats leave the cache). Constants fitted to the <c>winograd</c> probe
    /// (benchmarks/Program.cs) on this machine.
    /// With <paramref name="filterCached"/> the filter term is instead the cost of reading the kept transformed filter
    /// (36·C·OC floats, 4× the filter) once per block of tiles, when it does not stay in the core's cache: about 8 units
    /// per float (a float read from L3 at ~16 bytes per cycle against 32 FMA lanes per cycle) — a deliberately pessimistic
    /// figure (not fitted on a quiet machine), so that few-tile shapes, whose 36 GEMMs have a handful of rows and stream the
    /// transformed filter, stay on the direct paths.
    /// </summary>
    internal static double Cost(in Window2D g, int oc, bool filterCached = false)
    {
        long tileCount = (long)g.N * ((g.OH + M - 1) / M) * ((g.OW + M - 1) / M);
        double tiles = tileCount;
        double gemm = tiles * Xi * g.C * oc / GemmEfficiency(g.C);
        double transforms = tiles * Xi * (g.C + oc) * 4.0;
        if (!filterCached) return gemm + transforms + (double)Xi * g.C * oc * 100.0;
        int block = BlockTiles(tileCount, g.C, oc);
        long blocks = (tileCount + block - 1) / block;
        bool fitsL2 = (long)Xi * g.C * oc * 4 <= 512 * 1024;
        double read = fitsL2 ? (double)Xi * g.C * oc * 8.0 : blocks * (double)Xi * g.C * oc * 8.0;
        return gemm + transforms + read;
    }

    /// <summary>
    /// The 36 GEMMs' efficiency relative to the direct paths' (depth 9·C): at depth C each 8×32 micro-tile loads and
    /// stores its accumulators after only C steps, and each call's fixed cost is spread over fewer FMAs.
    /// </summary>
    private static double GemmEfficiency(int c) => c >= 64 ? 0.7 : c >= 32 ? 0.5 : 0.3;

    /// <summary>
    /// A filter's Winograd form, kept by a kernel for a constant filter: U_ξ = (G·g·Gᵀ)_ξ as [C, OC] for the 36 positions
    /// (<see cref="U"/>, ξ-major) and each U_ξ packed as the GEMM's B (<see cref="Packed"/>, plain arrays never returned to a
    /// pool — concurrent runs may read it while a newer filter value is transformed).
    /// </summary>
    internal sealed class TransformedFilter(int c, int oc, float[] u, PackedB[] packed)
    {
        public int C { get; } = c;

        public int Oc { get; } = oc;

        public float[] U { get; } = u;

        public PackedB[] Packed { get; } = packed;

        /// <summary>Made for these channel counts and the micro-kernel this process uses now.</summary>
        public bool Fits(int c, int oc) => C == c && Oc == oc && Gemm.FitsCurrentKernel(Packed[0]);
    }

    /// <summary>Transforms a [3,3,C,OC] filter once (see <see cref="TransformedFilter"/>; kept in a <see cref="WeightCache{T}"/>).</summary>
    public static unsafe TransformedFilter TransformFilter(ReadOnlySpan<float> filter, int c, int oc)
    {
        if (c % 16 != 0 || oc % 16 != 0 || c <= 0 || oc <= 0 || filter.Length < 9L * c * oc)
            throw new ArgumentException("WinogradConv2D.TransformFilter: C and OC must be positive multiples of 16 and the filter [3,3,C,OC].");
        var u = new float[checked(Xi * c * oc)];
        fixed (float* pf = filter, pu = u)
        {
            var ft = new FilterTransform((nint)pf, (nint)pu, c, oc);
            Workers.For(c, Math.Max(1, 4096 / oc), ft, static (j, s, e) => j.Run((int)s, (int)e));
        }
        var packed = new PackedB[Xi];
        for (int xi = 0; xi < Xi; xi++) packed[xi] = Gemm.PackBRetained(false, c, oc, u.AsSpan(xi * c * oc, c * oc));
        return new TransformedFilter(c, oc, u, packed);
    }

    /// <summary>Convolves NHWC <paramref name="input"/> with [3,3,C,OC] <paramref name="filter"/> into [N·OH·OW, OC].</summary>
    /// <remarks><c>transformed</c>: the filter's kept Winograd form (<see cref="TransformFilter"/> of this very filter), or null to
    /// transform it in this call.</remarks>
    public static unsafe void Run(Window2D g, int oc, ReadOnlySpan<float> input, ReadOnlySpan<float> filter, Span<float> output,
        Epilogue? epilogue, Tensor? bias, TransformedFilter? transformed = null)
    {
        if (!Vector512.IsHardwareAccelerated || !Applies(g, oc))
            throw new InvalidOperationException("WinogradConv2D needs Vector512 and a 3×3 stride-1 undilated window with C and OC multiples of 16.");
        if (input.Length < (long)g.N * g.H * g.W * g.C || filter.Length < 9L * g.C * oc || output.Length < (long)g.N * g.OH * g.OW * oc)
            throw new ArgumentException("WinogradConv2D: buffer smaller than the geometry.");
        int c = g.C;
        int tilesH = (g.OH + M - 1) / M, tilesW = (g.OW + M - 1) / M;
        long tiles = (long)g.N * tilesH * tilesW;
        // Zero-bordered input covering whole 6×6 patches of every tile (the edge tiles read past OH/OW).
        var p = g;
        float[]? rented = PaddedInput.Rent(ref p, input, tilesH * M + 2, tilesW * M + 2);
        // U_ξ [C, OC] for the 36 positions, then each packed once for the GEMMs of every tile block — or the kept form.
        bool kept = transformed != null && transformed.Fits(c, oc);
        float[]? rentedU = null;
        PackedB[]? pooled = null;
        try
        {
            float[] u;
            PackedB[] packed;
            if (kept)
            {
                u = transformed!.U;
                packed = transformed.Packed;
            }
            else
            {
                u = rentedU = ArrayPool<float>.Shared.Rent(checked(Xi * c * oc));
                packed = pooled = new PackedB[Xi];
                fixed (float* pf = filter, pu = u)
                {
                    var ft = new FilterTransform((nint)pf, (nint)pu, c, oc);
                    Workers.For(c, Math.Max(1, 4096 / oc), ft, static (j, s, e) => j.Run((int)s, (int)e));
                }
                fixed (float* pu = u)
                {
                    var pack = new PackJob((nint)pu, c, oc, packed);
                    Workers.For(Xi, 1, pack, static (j, s, e) => j.Run((int)s, (int)e));
                }
            }
            int block = BlockTiles(tiles, c, oc);
            long blocks = (tiles + block - 1) / block;
            ReadOnlySpan<float> x = rented ?? input;
            fixed (float* pin = x, pu = u, pout = output)
            {
                var job = new Blocks(p, g.OH, g.OW, oc, tilesH, tilesW, tiles, block, (nint)pin, (nint)pu, (nint)pout, packed, epilogue, bias);
                Workers.For(blocks, 1, job, static (j, s, e) => j.Run(s, e));
            }
        }
        finally
        {
            if (pooled != null) foreach (var pb in pooled) pb?.Dispose();
            if (rentedU != null) ArrayPool<float>.Shared.Return(rentedU);
            if (rented != null) ArrayPool<float>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Tiles per block: the block's V (36·C floats per tile) and M (36·OC per tile) stay within about ¾ of a core's
    /// L2 (1 MiB here), a multiple of the GEMM's 8-row micro-tile, and small enough that every core gets two blocks.
    /// </summary>
    internal static int BlockTiles(long tiles, int c, int oc)
    {
        long byCache = (768 * 1024 / 4) / ((long)Xi * (c + oc)) / 8 * 8;
        long byCores = (tiles + 2L * Workers.Count - 1) / (2L * Workers.Count);
        byCores = (byCores + 7) / 8 * 8;
        return (int)Math.Clamp(Math.Min(byCache, byCores), 8, 256);
    }

    /// <summary>Packs U_ξ for ξ in [start, end) as the GEMM's B panels.</summary>
    private readonly record struct PackJob(nint U, int C, int Oc, PackedB[] Packed)
    {
        public unsafe void Run(int start, int end)
        {
            for (int xi = start; xi < end; xi++)
                Packed[xi] = Gemm.PackB(false, C, Oc, new ReadOnlySpan<float>((float*)U + (long)xi * C * Oc, C * Oc));
        }
    }

    /// <summary>U[ξ, c, o] = (G·g·Gᵀ)[ξ] for input channels [start, end), all output channels, 16 at a time.</summary>
    private readonly record struct FilterTransform(nint Filter, nint U, int C, int Oc)
    {
        public unsafe void Run(int start, int end)
        {
            float* f = (float*)Filter, u = (float*)U;
            long fTap = (long)C * Oc, uXi = (long)C * Oc;
            var tmp = stackalloc Vector512<float>[T * 3];
            for (int ci = start; ci < end; ci++)
                for (int o = 0; o < Oc; o += 16)
                {
                    float* src = f + (long)ci * Oc + o;
                    // Columns of g (3 taps of a filter column kx) → 6 rows each: tmp[i, kx] = (G·g)[i, kx].
                    for (int kx = 0; kx < 3; kx++)
                    {
                        var g0 = Vector512.Load(src + kx * fTap);
                        var g1 = Vector512.Load(src + (3 + kx) * fTap);
                        var g2 = Vector512.Load(src + (6 + kx) * fTap);
                        FilterRows(g0, g1, g2, out tmp[kx], out tmp[3 + kx], out tmp[6 + kx], out tmp[9 + kx], out tmp[12 + kx], out tmp[15 + kx]);
                    }
                    float* dst = u + (long)ci * Oc + o;
                    for (int i = 0; i < T; i++)
                    {
                        FilterRows(tmp[i * 3], tmp[i * 3 + 1], tmp[i * 3 + 2], out var r0, out var r1, out var r2, out var r3, out var r4, out var r5);
                        float* row = dst + (long)(i * T) * uXi;
                        r0.Store(row); r1.Store(row + uXi); r2.Store(row + 2 * uXi);
                        r3.Store(row + 3 * uXi); r4.Store(row + 4 * uXi); r5.Store(row + 5 * uXi);
                    }
                }
        }
    }

    /// <summary>G·(g0, g1, g2) with G = [¼ 0 0; −⅙ −⅙ −⅙; −⅙ ⅙ −⅙; 1/24 1/12 ⅙; 1/24 −1/12 ⅙; 0 0 1].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FilterRows(Vector512<float> g0, Vector512<float> g1, Vector512<float> g2,
        out Vector512<float> r0, out Vector512<float> r1, out Vector512<float> r2, out Vector512<float> r3, out Vector512<float> r4, out Vector512<float> r5)
    {
        var even = g0 + g2;
        r0 = g0 * 0.25f;
        r1 = (even + g1) * (-1f / 6);
        r2 = (even - g1) * (-1f / 6);
        var e2 = Vector512.FusedMultiplyAdd(g0, Vector512.Create(1f / 24), g2 * (1f / 6));
        var o2 = g1 * (1f / 12);
        r3 = e2 + o2;
        r4 = e2 - o2;
        r5 = g2;
    }

    /// <summary>Bᵀ·(d0…d5), Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputRows(Vector512<float> d0, Vector512<float> d1, Vector512<float> d2, Vector512<float> d3, Vector512<float> d4, Vector512<float> d5,
        out Vector512<float> r0, out Vector512<float> r1, out Vector512<float> r2, out Vector512<float> r3, out Vector512<float> r4, out Vector512<float> r5)
    {
        var four = Vector512.Create(4f);
        var minus4 = Vector512.Create(-4f);
        var minus5 = Vector512.Create(-5f);
        var a = Vector512.FusedMultiplyAdd(d2, minus4, d4);   // d4 − 4·d2
        var b = Vector512.FusedMultiplyAdd(d1, minus4, d3);   // d3 − 4·d1
        var c = d4 - d2;
        var e = (d3 - d1) * 2f;
        r0 = Vector512.FusedMultiplyAdd(d0, four, Vector512.FusedMultiplyAdd(d2, minus5, d4));
        r1 = a + b;
        r2 = a - b;
        r3 = c + e;
        r4 = c - e;
        r5 = Vector512.FusedMultiplyAdd(d1, four, Vector512.FusedMultiplyAdd(d3, minus5, d5));
    }

    /// <summary>Aᵀ·(m0…m5), Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputRows(Vector512<float> m0, Vector512<float> m1, Vector512<float> m2, Vector512<float> m3, Vector512<float> m4, Vector512<float> m5,
        out Vector512<float> y0, out Vector512<float> y1, out Vector512<float> y2, out Vector512<float> y3)
    {
        var s1 = m1 + m2;
        var s2 = m1 - m2;
        var s3 = m3 + m4;
        var s4 = m3 - m4;
        y0 = m0 + s1 + s3;
        y1 = Vector512.FusedMultiplyAdd(s4, Vector512.Create(2f), s2);
        y2 = Vector512.FusedMultiplyAdd(s3, Vector512.Create(4f), s1);
        y3 = Vector512.FusedMultiplyAdd(s4, Vector512.Create(8f), s2) + m5;
    }

    /// <summary>
    /// Tile blocks [start, end): input transform of the block's tiles into V[ξ, tile, C], 36 GEMMs into
    /// M[ξ, tile, OC], output transform into the NHWC output (edge tiles clipped to OH×OW), then the fused epilogue.
    /// </summary>
    private readonly record struct Blocks(Window2D P, int OH, int OW, int Oc, int TilesH, int TilesW, long Tiles, int Block,
        nint In, nint U, nint Out, PackedB[] Packed, Epilogue? Epilogue, Tensor? Bias)
    {
        public unsafe void Run(long start, long end)
        {
            int c = P.C;
            // One extra cache line between the 36 matrices: with a stride of a multiple of 2 KiB, the 36 rows a tile
            // writes (and the output transform reads) would fall into one or two L1 sets.
            long vXi = (long)Block * c + 16, mXi = (long)Block * Oc + 16;
            var v = ArrayPool<float>.Shared.Rent(checked((int)(Xi * vXi)));
            var m = ArrayPool<float>.Shared.Rent(checked((int)(Xi * mXi)));
            try
            {
                fixed (float* pv = v, pm = m)
                {
                    var uAll = new ReadOnlySpan<float>((float*)U, Xi * c * Oc);
                    for (long blk = start; blk < end; blk++)
                    {
                        long t0 = blk * Block;
                        int count = (int)Math.Min(Block, Tiles - t0);
                        for (int t = 0; t < count; t++) InputTile(t0 + t, pv + (long)t * c, vXi);
                        for (int xi = 0; xi < Xi; xi++)
                        {
                            var a = new ReadOnlySpan<float>(pv + xi * vXi, count * c);
                            var dst = new Span<float>(pm + xi * mXi, count * Oc);
                            Gemm.SgemmPackedSerial(false, count, Oc, c, a, uAll.Slice(xi * c * Oc, c * Oc), Packed[xi], dst, directA: true);
                        }
                        for (int t = 0; t < count; t++) OutputTile(t0 + t, pm + (long)t * Oc, mXi);
                    }
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(v);
                ArrayPool<float>.Shared.Return(m);
            }
        }

        // V[ξ = 6i + k, tile, c] = (Bᵀ·d·B)[i, k] for the tile's 6×6 patch, 16 channels at a time.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private unsafe void InputTile(long tile, float* v, long vXi)
        {
            var p = P;
            int c = p.C;
            int perImage = TilesH * TilesW;
            int b = (int)(tile / perImage), rem = (int)(tile % perImage), ty = rem / TilesW, tx = rem % TilesW;
            float* patch = (float*)In + (((long)b * p.H + (long)ty * M) * p.W + (long)tx * M) * c;
            long rowStep = (long)p.W * c;
            var tmp = stackalloc Vector512<float>[Xi];
            for (int ch = 0; ch < c; ch += 16)
            {
                for (int j = 0; j < T; j++)
                {
                    float* col = patch + (long)j * c + ch;
                    InputRows(Vector512.Load(col), Vector512.Load(col + rowStep), Vector512.Load(col + 2 * rowStep),
                        Vector512.Load(col + 3 * rowStep), Vector512.Load(col + 4 * rowStep), Vector512.Load(col + 5 * rowStep),
                        out tmp[j], out tmp[T + j], out tmp[2 * T + j], out tmp[3 * T + j], out tmp[4 * T + j], out tmp[5 * T + j]);
                }
                float* dst = v + ch;
                for (int i = 0; i < T; i++, dst += T * vXi)
                {
                    var row = tmp + i * T;
                    InputRows(row[0], row[1], row[2], row[3], row[4], row[5], out var r0, out var r1, out var r2, out var r3, out var r4, out var r5);
                    r0.Store(dst); r1.Store(dst + vXi); r2.Store(dst + 2 * vXi);
                    r3.Store(dst + 3 * vXi); r4.Store(dst + 4 * vXi); r5.Store(dst + 5 * vXi);
                }
            }
        }

        // Y = Aᵀ·M·A for one tile, 16 output channels at a time; rows and columns past OH/OW are not written.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private unsafe void OutputTile(long tile, float* mt, long mXi)
        {
            int perImage = TilesH * TilesW;
            int b = (int)(tile / perImage), rem = (int)(tile % perImage), ty = rem / TilesW, tx = rem % TilesW;
            int rows = Math.Min(M, OH - ty * M), cols = Math.Min(M, OW - tx * M);
            float* outTile = (float*)Out + (((long)b * OH + (long)ty * M) * OW + (long)tx * M) * Oc;
            long rowStep = (long)OW * Oc;
            var tmp = stackalloc Vector512<float>[M * T];
            for (int o = 0; o < Oc; o += 16)
            {
                float* src = mt + o;
                for (int j = 0; j < T; j++)
                {
                    float* col = src + j * mXi;
                    OutputRows(Vector512.Load(col), Vector512.Load(col + T * mXi), Vector512.Load(col + 2 * T * mXi),
                        Vector512.Load(col + 3 * T * mXi), Vector512.Load(col + 4 * T * mXi), Vector512.Load(col + 5 * T * mXi),
                        out tmp[j], out tmp[T + j], out tmp[2 * T + j], out tmp[3 * T + j]);
                }
                for (int i = 0; i < rows; i++)
                {
                    var row = tmp + i * T;
                    OutputRows(row[0], row[1], row[2], row[3], row[4], row[5], out var y0, out var y1, out var y2, out var y3);
                    float* dst = outTile + i * rowStep + o;
                    if (cols == M)
                    {
                        y0.Store(dst); y1.Store(dst + Oc); y2.Store(dst + 2 * Oc); y3.Store(dst + 3 * Oc);
                        continue;
                    }
                    y0.Store(dst);
                    if (cols > 1) y1.Store(dst + Oc);
                    if (cols > 2) y2.Store(dst + 2 * Oc);
                }
            }
            if (Epilogue == null) return;
            for (int i = 0; i < rows; i++)
                Epilogue.Apply(new Span<float>(outTile + i * rowStep, cols * Oc), Bias!.AsSpan<float>());
        }
    }
}
