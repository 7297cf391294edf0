using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.Simd;
using static TypedGraph.Kernels.NN.WinogradTransforms;

namespace TypedGraph.Kernels.NN;

/// <summary>
/// Stride-1, undilated NHWC float convolution by Winograd's minimal filtering algorithms (Lavin &amp; Gray, "Fast
/// Algorithms for Convolutional Neural Networks", 2015): F(4×4, 3×3) for 3×3 windows and F(2×2, 5×5) for 5×5 windows,
/// both on 6×6 input tiles (interpolation points 0, ±1, ±2, ∞; matrices in <see cref="WinogradTransforms"/>). The
/// output is cut into 4×4 (or 2×2) tiles; each tile's 6×6 input patch d and each filter g are transformed,
/// V = Bᵀ·d·B and U = G·g·Gᵀ, and a tile's output is Y = Aᵀ·(Σ_c U ⊙ V)·A. For a block of tiles the sum over input
/// channels is, for each of the 36 transform positions ξ, one GEMM M_ξ[tiles, OC] = V_ξ[tiles, C] · U_ξ[C, OC] on the
/// shared packed GEMM — 36 multiplies per tile and channel pair instead of 16·9 = 144 (3×3) or 4·25 = 100 (5×5), before
/// the edge tiles' waste and the transforms. The transforms run on 16-channel vectors (channels are contiguous in NHWC
/// and in TF's filter layout).
/// </summary>
/// <remarks>
/// Accuracy: the transforms scale values by up to 5 (Bᵀ), 1/24…⅔ (G) and 8 (F(4,3)'s Aᵀ; 2 for F(2,5)), so the
/// rounding error of a Winograd output is bounded by a larger multiple of the unit round-off times Σ|x|·|w| than direct
/// summation's — a known property of these algorithms (see Lavin &amp; Gray §5; Barabasz et al., "Error analysis and
/// improving the accuracy of Winograd convolution for deep neural networks", 2020). <c>WinogradConvTests</c> checks the
/// outputs against a bound computed from the absolute values of the transforms.
/// </remarks>
internal static partial class WinogradConv2D
{
    /// <summary>Input tile side (m + r − 1, the same for F(4,3) and F(2,5)) and the number of transform positions.</summary>
    private const int T = 6, Xi = T * T;

    /// <summary>The output tile side m for a k×k window (m + k − 1 = 6): 4 for 3×3, 2 for 5×5.</summary>
    internal static int TileSide(int k) => T + 1 - k;

    /// <summary>
    /// The plan's choice for a 3×3 or 5×5 stride-1 undilated window (Vector512 hardware, C and OC whole 16-float vectors):
    /// Winograd when its estimated cost is below <see cref="Threshold"/> of the implicit-GEMM / im2col cost (the model is
    /// rough, so it must win clearly). Costs are in FMAs of the direct paths, which run near the FMA peak.
    /// </summary>
    public static bool IsPreferred(in Window2D g, int oc) => IsPreferred(g, oc, filterCached: false);

    /// <summary>As <see cref="IsPreferred(in Window2D, int)"/>, for a kernel that keeps the transformed filter of a constant
    /// filter (<paramref name="filterCached"/>: the filter is a Const or variable value, see <see cref="TransformFilter"/>), so the
    /// transform is not charged per call but reading the 4× larger transformed filter is.</summary>
    public static bool IsPreferred(in Window2D g, int oc, bool filterCached)
        => Vector512.IsHardwareAccelerated && Applies(g, oc) && Cost(g, oc, filterCached) < Threshold(g.KH) * DirectCost(g, oc);

    /// <summary>Whether the kernel can run the window at all: 3×3 or 5×5, stride 1, dilation 1, C and OC multiples of 16.</summary>
    public static bool Applies(in Window2D g, int oc)
        => (g.KH == 3 || g.KH == 5) && g.KW == g.KH && g.SH == 1 && g.SW == 1 && g.DH == 1 && g.DW == 1 && g.C % 16 == 0 && oc % 16 == 0
           && g.C > 0 && oc > 0 && g.OH > 0 && g.OW > 0 && g.N > 0;

    /// <summary>The implicit-GEMM (or im2col) path's cost: one FMA per tap, channel pair and output pixel.</summary>
    internal static double DirectCost(in Window2D g, int oc) => (double)g.N * g.OH * g.OW * g.KH * g.KW * g.C * oc;

    /// <summary>
    /// The share of the direct cost Winograd's estimate must stay under: 0.7 for F(4,3) (fitted with the <c>winograd</c>
    /// probe); 0.85 for F(2,5), from the <c>winograd5</c> probe's CPU times on a loaded machine: every probed 5×5 shape the
    /// model put under 0.85 ran in 0.47–0.95 of the implicit GEMM's CPU time (the TF MNIST net's second conv, estimate
    /// 0.79–0.80, measured 0.80), and those above it were slower or barely faster. The cost model's F(2,5) estimates
    /// track the measurements less tightly than F(4,3)'s (its GEMMs carry 4 outputs per tile, not 16), so the margin
    /// below 1 is kept.
    /// </summary>
    internal static double Threshold(int k) => k == 3 ? 0.7 : 0.85;

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
        int m = TileSide(g.KH);
        long tileCount = (long)g.N * ((g.OH + m - 1) / m) * ((g.OW + m - 1) / m);
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
    internal sealed class TransformedFilter(int k, int c, int oc, float[] u, PackedB[] packed)
    {
        /// <summary>The window side (3 or 5) the filter was transformed for.</summary>
        public int K { get; } = k;

        public int C { get; } = c;

        public int Oc { get; } = oc;

        public float[] U { get; } = u;

        public PackedB[] Packed { get; } = packed;

        /// <summary>Made for these channel counts and the micro-kernel this process uses now.</summary>
        public bool Fits(int k, int c, int oc) => K == k && C == c && Oc == oc && Gemm.FitsCurrentKernel(Packed[0]);
    }

    /// <summary>Transforms a [k,k,C,OC] filter (k = 3 or 5) once (see <see cref="TransformedFilter"/>; kept in a <see cref="WeightCache{T}"/>).</summary>
    public static unsafe TransformedFilter TransformFilter(ReadOnlySpan<float> filter, int k, int c, int oc)
    {
        if ((k != 3 && k != 5) || c % 16 != 0 || oc % 16 != 0 || c <= 0 || oc <= 0 || filter.Length < (long)k * k * c * oc)
            throw new ArgumentException($"WinogradConv2D.TransformFilter: the window must be 3×3 or 5×5 (got {k}×{k}), C and OC positive multiples of 16 (got {c}, {oc}) and the filter [{k},{k},C,OC] ({filter.Length} values).");
        var u = new float[checked(Xi * c * oc)];
        fixed (float* pf = filter, pu = u)
        {
            var ft = new FilterTransform((nint)pf, (nint)pu, k, c, oc);
            Workers.For(c, Math.Max(1, 4096 / oc), ft, static (j, s, e) => j.Run((int)s, (int)e));
        }
        var packed = new PackedB[Xi];
        for (int xi = 0; xi < Xi; xi++) packed[xi] = Gemm.PackBRetained(false, c, oc, u.AsSpan(xi * c * oc, c * oc));
        return new TransformedFilter(k, c, oc, u, packed);
    }

    /// <summary>Convolves NHWC <paramref name="input"/> with [k,k,C,OC] <paramref name="filter"/> (k = 3 or 5) into [N·OH·OW, OC].</summary>
    /// <remarks><c>transformed</c>: the filter's kept Winograd form (<see cref="TransformFilter"/> of this very filter), or null to
    /// transform it in this call.</remarks>
    public static unsafe void Run(Window2D g, int oc, ReadOnlySpan<float> input, ReadOnlySpan<float> filter, Span<float> output,
        Epilogue? epilogue, Tensor? bias, TransformedFilter? transformed = null)
    {
        if (!Vector512.IsHardwareAccelerated || !Applies(g, oc))
            throw new InvalidOperationException("WinogradConv2D needs Vector512 and a 3×3 or 5×5 stride-1 undilated window with C and OC multiples of 16.");
        int k = g.KH, side = TileSide(k);
        if (input.Length < (long)g.N * g.H * g.W * g.C || filter.Length < (long)k * k * g.C * oc || output.Length < (long)g.N * g.OH * g.OW * oc)
            throw new ArgumentException("WinogradConv2D: buffer smaller than the geometry.");
        int c = g.C;
        int tilesH = (g.OH + side - 1) / side, tilesW = (g.OW + side - 1) / side;
        long tiles = (long)g.N * tilesH * tilesW;
        // Zero-bordered input covering whole 6×6 patches of every tile (the edge tiles read past OH/OW).
        var p = g;
        float[]? rented = PaddedInput.Rent(ref p, input, tilesH * side + k - 1, tilesW * side + k - 1);
        // U_ξ [C, OC] for the 36 positions, then each packed once for the GEMMs of every tile block — or the kept form.
        bool kept = transformed != null && transformed.Fits(k, c, oc);
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
                    var ft = new FilterTransform((nint)pf, (nint)pu, k, c, oc);
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
                var job = new Blocks(p, g.OH, g.OW, oc, side, tilesH, tilesW, tiles, block, (nint)pin, (nint)pu, (nint)pout, packed, epilogue, bias);
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
    private readonly record struct FilterTransform(nint Filter, nint U, int K, int C, int Oc)
    {
        public unsafe void Run(int start, int end)
        {
            float* f = (float*)Filter, u = (float*)U;
            int k = K;
            long fTap = (long)C * Oc, uXi = (long)C * Oc;
            var tmp = stackalloc Vector512<float>[T * 5];
            var taps = stackalloc Vector512<float>[5];
            var r = stackalloc Vector512<float>[T];
            for (int ci = start; ci < end; ci++)
                for (int o = 0; o < Oc; o += 16)
                {
                    float* src = f + (long)ci * Oc + o;
                    // Columns of g (the k taps of filter column kx) → 6 rows each: tmp[i, kx] = (G·g)[i, kx].
                    for (int kx = 0; kx < k; kx++)
                    {
                        for (int ky = 0; ky < k; ky++) taps[ky] = Vector512.Load(src + (ky * k + kx) * fTap);
                        Filter6(k, taps, tmp + kx, k);
                    }
                    // Rows: U[6i + j] = (G·g·Gᵀ)[i, j].
                    float* dst = u + (long)ci * Oc + o;
                    for (int i = 0; i < T; i++)
                    {
                        Filter6(k, tmp + i * k, r, 1);
                        float* row = dst + (long)(i * T) * uXi;
                        for (int j = 0; j < T; j++) r[j].Store(row + j * uXi);
                    }
                }
        }

        // G·(the k vectors at g) into o[0], o[step], … o[5·step].
        private static unsafe void Filter6(int k, Vector512<float>* g, Vector512<float>* o, int step)
        {
            if (k == 3) FilterRows3(g[0], g[1], g[2], out o[0], out o[step], out o[2 * step], out o[3 * step], out o[4 * step], out o[5 * step]);
            else FilterRows5(g[0], g[1], g[2], g[3], g[4], out o[0], out o[step], out o[2 * step], out o[3 * step], out o[4 * step], out o[5 * step]);
        }
    }
}
