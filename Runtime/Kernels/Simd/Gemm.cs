using System.Buffers;
using System.Diagnostics;
using System.Runtime.Intrinsics;
using TypedGraph.Kernels.Common;

namespace TypedGraph.Kernels.Simd;

/// <summary>
/// Single-precision matrix multiply, row-major: <c>C[m,n] (=|+=) op(A)[m,k] · op(B)[k,n]</c>, where
/// <c>op(A)</c> is A (m×k) or, with <c>transA</c>, the transpose of a k×m A; likewise B.
/// </summary>
/// <remarks>
/// Cache-blocked and packed as in BLIS (Goto's algorithm): a KC-deep slab of B is packed into NR-wide
/// panels, an MC×KC block of A into MR-high panels, and a register micro-kernel (8×32 on AVX-512, 6×16
/// on AVX2) runs FMAs over them. Large products are split across cores into disjoint blocks of C, each
/// worker packing its own operands, so one call costs one fork/join. Very short A (≤ 4 rows, e.g. an
/// MLP at batch 1) skips packing: streaming B once is cheaper than copying it.
/// </remarks>
internal static unsafe partial class Gemm
{
    // KC·NR·4 bytes of a B panel (32 KiB) live in L1 while MC·KC·4 bytes of A (128 KiB) live in L2.
    private const int KC = 256;
    private const int MCF = 16;
    // Width of the B slab packed per depth block (probes may change it between calls, never during one).
    internal static int NC { get; set; } = 2048;
    private const int SmallRows = GemmSmall.BlockRows;
    private const long ParallelMacs = 1 << 20;
    // Up to this many MR-row panels per call read full B panels in place instead of packing them (see Block).
    internal static int InPlaceBRowPanels { get; set; } = 4;
    // Row parts of at most this many rows split the columns instead when B would be packed for them (see Run).
    internal static int ShortRowPart { get; set; } = 256;
    // A product of at most SmallRows rows (a matrix-vector product: a dense layer or an RNN step at batch 1, attention
    // scores of one query) streams its B once and does m multiply-adds per value: from this many values of B (512 KiB) its
    // columns are split across the cores (ShortAParts) however few multiply-adds it has. Interleaved medians (gemm-par,
    // one core → two): 1×512×512 9.9 → 6.4 µs, 1×600×1200 (the char-RNN fixture's step) 27.5 → 17.4, transposed 33.9 →
    // 17.6, 1×1024×1024 52.9 → 28.4, 4×256×1000 11.8 → 7.1; between 512 KiB and 1 MiB alone it is a wash (1×256×512
    // 4.3 → 4.7, 1×512×256 4.2 → 3.1, 1×400×400 5.2 → 3.9, 4×256×512 4.9 → 5.3 µs), but inside a loop, where each core
    // keeps its half of the weights in its own L2 between steps, LSTM(128) at batch 1 (a [256, 512] kernel) ran its
    // forward 0.68–0.70 → 0.58–0.60 ms and forward + backward 7.5–7.8 → 7.1–7.2 ms (lstm-check, two rounds each).
    // Probes may change it (BENCH_SHORT_A_B).
    internal static long ShortAParallelB { get; set; } = 1 << 17;
    // Most row parts per core in a parallel call (probes may set 1 for the old static split).
    internal static int RowPartsPerCore { get; set; } = 1;

    /// <summary>For tests: use the AVX2 (Vector256) kernels even where AVX-512 is available.</summary>
    internal static bool ForceVector256 { get; set; }

    private static bool Use512 => Vector512.IsHardwareAccelerated && !ForceVector256;

    /// <summary>Computes <c>C (=|+=) op(A)·op(B)</c> using every core for large products.</summary>
    /// <param name="transA">A is stored k×m (use its transpose).</param>
    /// <param name="transB">B is stored n×k (use its transpose).</param>
    /// <param name="m">Rows of C.</param>
    /// <param name="n">Columns of C.</param>
    /// <param name="k">Inner dimension.</param>
    /// <param name="a">A, row-major, at least m·k values.</param>
    /// <param name="b">B, row-major, at least k·n values.</param>
    /// <param name="c">C, row-major, at least m·n values.</param>
    /// <param name="accumulate">Add to C instead of overwriting it.</param>
    /// <exception cref="ArgumentException">A negative size or a span too short.</exception>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, bool accumulate = false)
        => Run(transA, transB, m, n, k, a, b, c, accumulate, parallel: true);

    /// <summary>As <see cref="Sgemm"/> but on the calling thread only (for callers that already split work across cores).</summary>
    /// <exception cref="ArgumentException">A negative size or a span too short.</exception>
    public static void SgemmSerial(bool transA, bool transB, int m, int n, int k, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, bool accumulate = false)
        => Run(transA, transB, m, n, k, a, b, c, accumulate, parallel: false);

    /// <summary>
    /// Packs B once for many <see cref="SgemmPackedSerial"/> calls with the same B (e.g. a conv filter
    /// multiplied with every im2col block): the panels are laid out exactly as the blocked loop reads them.
    /// </summary>
    /// <param name="transB">B is stored n×k.</param>
    /// <param name="k">Rows of op(B).</param>
    /// <param name="n">Columns of op(B).</param>
    /// <param name="b">B, row-major.</param>
    /// <returns>The packed panels; dispose to return the pooled buffer.</returns>
    internal static PackedB PackB(bool transB, int k, int n, ReadOnlySpan<float> b)
    {
        bool use512 = Use512;
        int nr = use512 ? 32 : 16;
        var packed = new PackedB(k, n, use512, ArrayPool<float>.Shared.Rent(Math.Max(1, (n + nr) * k)));
        fixed (float* pb = b, dst = packed.Data)
        {
            for (int jc = 0; jc < n; jc += NC)
            {
                int nc = Math.Min(NC, n - jc);
                for (int p0 = 0; p0 < k; p0 += KC)
                    GemmPacking.PackB(transB, pb, n, k, jc, nc, p0, Math.Min(KC, k - p0), nr, dst + PackedB.Offset(jc, p0, nc, nr, k));
            }
        }
        return packed;
    }

    /// <summary>C (=|+=) op(A)·B on the calling thread, with B pre-packed by <see cref="PackB"/> (raw <paramref name="b"/> is still needed for very short A).</summary>
    /// <remarks><c>directA</c>: read untransposed A in place even when k spans several depth blocks (for A
    /// that is a private, cache-sized buffer such as an im2col block, where packing would copy it again).</remarks>
    internal static void SgemmPackedSerial(bool transA, int m, int n, int k, ReadOnlySpan<float> a, ReadOnlySpan<float> b, PackedB packed, Span<float> c, bool accumulate = false, bool directA = false)
    {
        if (packed.K != k || packed.N != n) throw new ArgumentException($"B was packed as {packed.K}×{packed.N}, used as {k}×{n}.");
        if (a.Length < (long)m * k || b.Length < (long)k * n || c.Length < (long)m * n)
            throw new ArgumentException($"GEMM m={m}, n={n}, k={k}: spans too short.");
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            if (!accumulate) c[..(m * n)].Clear();
            return;
        }
        fixed (float* pa = a, pb = b, pc = c, pd = packed.Data)
            Block(transA, false, pa, pb, pc, m, n, k, 0, m, 0, n, accumulate, packed, pd, directA);
    }

    private static void Run(bool transA, bool transB, int m, int n, int k, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, bool accumulate, bool parallel)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentException($"GEMM sizes must be ≥ 0, got m={m}, n={n}, k={k}.");
        if (a.Length < (long)m * k || b.Length < (long)k * n || c.Length < (long)m * n)
            throw new ArgumentException($"GEMM m={m}, n={n}, k={k} needs A ≥ {(long)m * k}, B ≥ {(long)k * n}, C ≥ {(long)m * n} values; got {a.Length}, {b.Length}, {c.Length}.");
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            if (!accumulate) c[..(m * n)].Clear();
            return;
        }
        fixed (float* pa = a, pb = b, pc = c)
        {
            long macs = (long)m * n * k;
            int parts = !parallel ? 1 : macs >= ParallelMacs ? Workers.Count : ShortAParts(m, n, k);
            if (parts == 1)
            {
                Block(transA, transB, pa, pb, pc, m, n, k, 0, m, 0, n, accumulate);
                return;
            }
            // Split C into `parts` disjoint blocks along the dimension with more micro-tiles.
            int mr = Use512 ? 8 : 6, nr = Use512 ? 32 : 16;
            bool splitRows = m / mr >= n / nr && m > SmallRows * parts;
            // A row split whose parts are short (a batch of 64 times a 784×200 weight: 32 rows a core) packs B once for both
            // cores and then has each core read all of it, half from the other core's cache, for few A panels: split the
            // columns instead, each core packing and reading its own half of B. Medians of 12 interleaved rounds on two
            // cores, row split → column split: 64×784×200 213 → 118 µs, 64×784×160 146 → 76, 64×784×256 227 → 130,
            // 128×784×256 311 → 179, 256×784×256 541 → 316, 256×512×512 490 → 376, 512×1024×512 1797 → 1571 (the last three
            // with the limit raised to 512 in the probe). Products whose row parts read B in place (n ≤ 4 panels, e.g.
            // 64×784×128) keep the row split; 1024³ (512-row parts) is not changed here.
            if (splitRows && m / parts <= ShortRowPart && n / nr >= parts && SharesPackedB(transA, m / parts, n, k)) splitRows = false;
            int unit = splitRows ? mr : nr, extent = splitRows ? m : n;
            int units = (extent + unit - 1) / unit;
            // A row split with room for it gets up to RowPartsPerCore MC-high parts per core, claimed dynamically: on a
            // shared machine a core that another process interrupts then takes fewer parts instead of the whole call
            // waiting for its half (a static 2-way split of 1024³ reached 92 % of peak undisturbed, 77 % in a quiet
            // BenchmarkDotNet run). A part of at least MC rows streams B once per depth block, as one big part does.
            if (splitRows) parts = Math.Max(parts, Math.Min(parts * RowPartsPerCore, m / (mr * MCF)));
            parts = Math.Min(parts, units);
            // Row parts that pack B would each pack all of it (the same copy on every core): pack it once, split
            // across the cores, and let every part read the shared panels (1024³: 4 % of each core's time).
            PackedB? shared = null;
            if (splitRows && SharesPackedB(transA, m / parts, n, k)) shared = PackBParallel(transB, k, n, pb);
            try
            {
                var job = new SplitJob(transA, transB, (nint)pa, (nint)pb, (nint)pc, m, n, k, accumulate, splitRows, unit, extent, units, parts, shared);
                // One chunk per part (static split); a static lambda and a struct state allocate nothing per call.
                Workers.For(parts, 1, job, static (j, first, last) =>
                {
                    for (long part = first; part < last; part++) j.RunPart((int)part);
                });
            }
            finally
            {
                shared?.Dispose();
            }
        }
    }

    /// <summary>How many cores a short-A product below <see cref="ParallelMacs"/> uses (see <see cref="ShortAParallelB"/>): its
    /// columns are split (the split below is by columns for ≤ 4 rows), each part at least one of <see cref="GemmSmall"/>'s
    /// widest blocks wide (128 columns for one row, 64 for 2–4: a 1×784×128 product split into 64-column halves ran 1.8 →
    /// 3.6 µs). Every column of C is the same chain of operations whichever part computes it, so the split does not change
    /// the result (GemmTests.ShortAColumnSplitIsBitIdenticalToOneCore).</summary>
    private static int ShortAParts(int m, int n, int k)
    {
        if (m > SmallRows || (long)k * n < ShortAParallelB) return 1;
        return Math.Max(1, Math.Min(Workers.Count, n / (m == 1 ? 128 : 64)));
    }

    /// <summary>
    /// Whether a part of <paramref name="rows"/> rows would pack B in <see cref="Block"/> (not the short-A, narrow-C or
    /// in-place-B routes), so that packing it once for all parts saves work.
    /// </summary>
    private static bool SharesPackedB(bool transA, int rows, int n, int k)
    {
        int mr = Use512 ? 8 : 6, nr = Use512 ? 32 : 16;
        if (rows <= SmallRows || n < 2 * nr) return false;
        bool direct = !transA && (k <= KC || n <= 4 * nr);
        return !(direct && rows <= InPlaceBRowPanels * mr);
    }

    /// <summary>As <see cref="PackB"/>, the panels split across the cores.</summary>
    private static PackedB PackBParallel(bool transB, int k, int n, float* b)
    {
        bool use512 = Use512;
        int nr = use512 ? 32 : 16;
        var packed = new PackedB(k, n, use512, ArrayPool<float>.Shared.Rent(Math.Max(1, (n + nr) * k)));
        int panels = (n + nr - 1) / nr;
        fixed (float* dst = packed.Data)
        {
            var job = new PackJob(transB, (nint)b, (nint)dst, k, n, nr);
            Workers.For(panels, 1, job, static (j, first, last) => j.Pack((int)first, (int)last));
        }
        return packed;
    }

    /// <summary>Packs B panels [first, last) of every (NC, KC) block into a <see cref="PackedB"/> layout.</summary>
    private readonly record struct PackJob(bool TransB, nint B, nint Dst, int K, int N, int Nr)
    {
        public void Pack(int first, int last)
        {
            for (int jc = 0; jc < N; jc += NC)
            {
                int nc = Math.Min(NC, N - jc);
                int j0 = Math.Max(first * Nr, jc), j1 = Math.Min(last * Nr, jc + nc);
                if (j0 >= j1) continue;
                for (int p0 = 0; p0 < K; p0 += KC)
                {
                    int kc = Math.Min(KC, K - p0);
                    float* block = (float*)Dst + PackedB.Offset(jc, p0, nc, Nr, K);
                    GemmPacking.PackB(TransB, (float*)B, N, K, j0, j1 - j0, p0, kc, Nr, block + (long)(j0 - jc) * kc);
                }
            }
        }
    }

    /// <summary>One parallel GEMM call's arguments: part p computes the p-th of <c>Parts</c> disjoint blocks of C.</summary>
    private readonly record struct SplitJob(bool TransA, bool TransB, nint A, nint B, nint C, int M, int N, int K, bool Accumulate,
        bool SplitRows, int Unit, int Extent, int Units, int Parts, PackedB? Shared)
    {
        public void RunPart(int part)
        {
            int s = Math.Min(Extent, (int)((long)Units * part / Parts) * Unit);
            int e = Math.Min(Extent, (int)((long)Units * (part + 1) / Parts) * Unit);
            if (s >= e) return;
            if (Shared != null)
            {
                fixed (float* pd = Shared.Data)
                    Block(TransA, TransB, (float*)A, (float*)B, (float*)C, M, N, K, s, e, 0, N, Accumulate, Shared, pd);
            }
            else if (SplitRows) Block(TransA, TransB, (float*)A, (float*)B, (float*)C, M, N, K, s, e, 0, N, Accumulate);
            else Block(TransA, TransB, (float*)A, (float*)B, (float*)C, M, N, K, 0, M, s, e, Accumulate);
        }
    }

    /// <summary>C[i0..i1, j0..j1] on one thread.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void Block(bool transA, bool transB, float* a, float* b, float* c, int m, int n, int k, int i0, int i1, int j0, int j1, bool accumulate,
        PackedB? packed = null, float* packedData = null, bool directA = false)
    {
        bool use512 = packed?.Use512 ?? Use512;
        // A few rows, or C narrower than one vector (e.g. logits of 10 classes), where a 32-wide micro-tile would spend
        // more than two thirds of its FMAs on padding: blocks of up to 4 rows share each (overlapping) load of B.
        if (i1 - i0 <= SmallRows || (use512 && !transB && j1 - j0 < 16))
        {
            GemmSmall.Rows(transA, transB, a, b, c, m, n, k, i0, i1, j0, j1, accumulate, use512);
            return;
        }
        Debug.Assert(packed == null || (j0 == 0 && j1 == n && packed.K == k && packed.N == n));
        int mr = use512 ? 8 : 6, nr = use512 ? 32 : 16;
        int mcMax = mr * MCF;
        var bufA = ArrayPool<float>.Shared.Rent(mcMax * KC);
        var bufB = ArrayPool<float>.Shared.Rent(packed != null ? 1 : KC * NC);
        float* tile = stackalloc float[8 * 32];
        // Untransposed A is read in place (no packing copy) when one depth block covers k (short rows stay
        // in L1/L2), when C is at most 4 panels wide (a packed A panel would be reused too few times to pay
        // for the copy: 64×784×128 goes from ~82 to ~103 GFLOP/s on one core), or when the caller says A
        // is a private cache-sized block (conv's im2col rows).
        bool direct = !transA && (k <= KC || directA || j1 - j0 <= 4 * nr);
        // Few rows (a batch times a weight matrix, e.g. 64×784·784×128 split over two cores): each B panel would be
        // read by at most InPlaceBRowPanels A panels, too few to repay packing it, so full panels read B in place
        // (rows n apart); partial panels at the right edge still use a packed copy.
        bool inPlaceB = direct && packed == null && !transB && i1 - i0 <= InPlaceBRowPanels * mr;
        try
        {
            fixed (float* packA = bufA, packB = bufB)
            {
                for (int jc = j0; jc < j1; jc += NC)
                {
                    int nc = Math.Min(NC, j1 - jc);
                    for (int p0 = 0; p0 < k; p0 += KC)
                    {
                        int kc = Math.Min(KC, k - p0);
                        bool add = accumulate || p0 > 0;
                        float* panelsB = packB;
                        if (packed != null) panelsB = packedData + PackedB.Offset(jc, p0, nc, nr, k);
                        else if (!inPlaceB) GemmPacking.PackB(transB, b, n, k, jc, nc, p0, kc, nr, packB);
                        else if (nc % nr != 0)
                        {
                            // Only the right-edge partial panel is packed (zero-padded to nr columns).
                            int last = nc / nr * nr;
                            GemmPacking.PackB(false, b, n, k, jc + last, nc - last, p0, kc, nr, packB + (long)last * kc);
                        }
                        for (int ic = i0; ic < i1; ic += mcMax)
                        {
                            int mc = Math.Min(mcMax, i1 - ic);
                            if (!direct) GemmPacking.PackA(transA, a, m, k, ic, mc, p0, kc, mr, packA);
                            // B panel outer (stays in L1), A panels inner (the A block stays in L2).
                            for (int jr = 0; jr < nc; jr += nr)
                            {
                                int cols = Math.Min(nr, nc - jr);
                                float* pb = panelsB + (long)jr * kc;
                                bool bInPlace = inPlaceB && cols == nr;
                                int ldb = nr;
                                if (bInPlace)
                                {
                                    pb = b + (long)p0 * n + jc + jr;
                                    ldb = n;
                                }
                                for (int ir = 0; ir < mc; ir += mr)
                                {
                                    int rows = Math.Min(mr, mc - ir);
                                    float* ct = c + (long)(ic + ir) * n + jc + jr;
                                    if (direct && rows == mr)
                                    {
                                        float* ar = a + (long)(ic + ir) * k + p0;
                                        if (cols == nr) KernelRows(use512, kc, ar, k, pb, ldb, ct, n, add);
                                        else
                                        {
                                            KernelRows(use512, kc, ar, k, pb, ldb, tile, nr, false);
                                            Merge(ct, n, tile, nr, rows, cols, add);
                                        }
                                        continue;
                                    }
                                    float* pa = packA + (long)ir * kc;
                                    if (bInPlace)
                                    {
                                        // A short last row panel against in-place B: copy its rows (plus zero rows up to MR)
                                        // into a row-major scratch block, then read B in place.
                                        for (int r = 0; r < mr; r++)
                                        {
                                            var dst = new Span<float>(packA + (long)r * kc, kc);
                                            if (r < rows) new ReadOnlySpan<float>(a + (long)(ic + ir + r) * k + p0, kc).CopyTo(dst);
                                            else dst.Clear();
                                        }
                                        KernelRows(use512, kc, packA, kc, pb, ldb, tile, nr, false);
                                        Merge(ct, n, tile, nr, rows, cols, add);
                                        continue;
                                    }
                                    if (direct)
                                    {
                                        // The last, partial panel: pack it (zero rows) rather than read past A.
                                        pa = packA;
                                        GemmPacking.PackA(false, a, m, k, ic + ir, rows, p0, kc, mr, pa);
                                    }
                                    if (rows == mr && cols == nr) Kernel(use512, kc, pa, pb, ct, n, add);
                                    else
                                    {
                                        Kernel(use512, kc, pa, pb, tile, nr, false);
                                        Merge(ct, n, tile, nr, rows, cols, add);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(bufA);
            ArrayPool<float>.Shared.Return(bufB);
        }
    }

    private static void KernelRows(bool use512, int kc, float* a, int lda, float* b, int ldb, float* c, int ldc, bool add)
    {
        if (use512) GemmMicroKernels.Kernel8x32Rows(kc, a, lda, b, ldb, c, ldc, add);
        else GemmMicroKernels.Kernel6x16Rows(kc, a, lda, b, ldb, c, ldc, add);
    }

    private static void Merge(float* ct, int n, float* tile, int nr, int rows, int cols, bool add)
    {
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < cols; j++)
                ct[(long)r * n + j] = add ? ct[(long)r * n + j] + tile[r * nr + j] : tile[r * nr + j];
    }

    private static void Kernel(bool use512, int kc, float* a, float* b, float* c, int ldc, bool add)
    {
        if (use512) GemmMicroKernels.Kernel8x32(kc, a, b, c, ldc, add);
        else GemmMicroKernels.Kernel6x16(kc, a, b, c, ldc, add);
    }
}

/// <summary>B packed into NR-wide panels for every (NC, KC) block, in the order the blocked loop reads them.</summary>
internal sealed class PackedB(int k, int n, bool use512, float[] data) : IDisposable
{
    public int K { get; } = k;

    public int N { get; } = n;

    public bool Use512 { get; } = use512;

    public float[] Data { get; private set; } = data;

    /// <summary>Start of block (jc, p0): whole NC-wide column blocks before it hold NC·k values each.</summary>
    public static long Offset(int jc, int p0, int nc, int nr, int k)
        => (long)jc * k + (long)p0 * ((nc + nr - 1) / nr * nr);

    public void Dispose()
    {
        var d = Data;
        Data = [];
        if (d.Length > 0) ArrayPool<float>.Shared.Return(d);
    }
}
