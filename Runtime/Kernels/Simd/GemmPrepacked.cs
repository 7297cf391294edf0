using TypedGraph.Kernels.Common;

namespace TypedGraph.Kernels.Simd;

/// <summary>GEMM entries for a B operand packed once and reused across calls (constant weights, see <see cref="PackedWeights"/>).</summary>
internal static unsafe partial class Gemm
{
    /// <summary>
    /// Packs B like <see cref="PackB"/> into plain (not pooled) memory that is never returned: the packing may be kept
    /// for the life of a kernel and read by concurrent runs, so it must not go back to a pool while one still reads it.
    /// </summary>
    /// <param name="transB">B is stored n×k.</param>
    /// <param name="k">Rows of op(B).</param>
    /// <param name="n">Columns of op(B).</param>
    /// <param name="b">B, row-major.</param>
    internal static PackedB PackBRetained(bool transB, int k, int n, ReadOnlySpan<float> b)
    {
        if (b.Length < (long)k * n) throw new ArgumentException($"B needs {(long)k * n} values, got {b.Length}.");
        bool use512 = Use512;
        int nr = use512 ? 32 : 16;
        var packed = new PackedB(k, n, use512, new float[Math.Max(1, (long)(n + nr) * k)]);
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

    /// <summary>True when <paramref name="packed"/> was laid out for the micro-kernel this process uses now
    /// (tests may switch <see cref="ForceVector256"/> between calls).</summary>
    internal static bool FitsCurrentKernel(PackedB packed) => packed.Use512 == Use512;

    /// <summary>True when a product of <paramref name="m"/> rows and <paramref name="n"/> columns would read a packed B at
    /// all: short A (≤ 4 rows) and, on AVX-512, C narrower than one vector stream B from its row-major layout instead.</summary>
    internal static bool UsesPackedB(int m, int n, int k) => m > SmallRows && k > 0 && n > 0 && !(Use512 && n < 16);

    /// <summary>
    /// C = op(A)·B with B pre-packed (<see cref="PackBRetained"/>), using every core for large products: rows of C are
    /// split across the cores and every part reads the same panels. Shapes that never read packed panels
    /// (<see cref="UsesPackedB"/> false) run the ordinary path on the raw <paramref name="b"/>.
    /// </summary>
    /// <param name="transA">A is stored k×m.</param>
    /// <param name="transB">The raw <paramref name="b"/> is stored n×k (only read on the unpacked route).</param>
    /// <param name="m">Rows of C.</param>
    /// <param name="n">Columns of C.</param>
    /// <param name="k">Inner dimension.</param>
    /// <param name="a">A, row-major.</param>
    /// <param name="b">The raw B the packing was made from.</param>
    /// <param name="packed">B packed for these k and n.</param>
    /// <param name="c">C, row-major (overwritten).</param>
    /// <param name="epilogue">A fused op's "BiasAdd then activation" tail (<c>_FusedMatMul</c>), applied by each part to its own
    /// rows right after computing them, while they are still in that core's cache — no second pass over C and no
    /// second fork/join; null for a plain product.</param>
    /// <param name="bias">The epilogue's bias, <paramref name="n"/> floats (read only when <paramref name="epilogue"/> is set).</param>
    internal static void SgemmPrepacked(bool transA, bool transB, int m, int n, int k, ReadOnlySpan<float> a, ReadOnlySpan<float> b, PackedB packed, Span<float> c,
        Epilogue? epilogue = null, Tensor? bias = null)
    {
        if (packed.K != k || packed.N != n) throw new ArgumentException($"B was packed as {packed.K}×{packed.N}, used as {k}×{n}.");
        if (epilogue != null && (bias == null || bias.NumElements != n)) throw new ArgumentException($"the epilogue needs a bias of {n} values.");
        if (!UsesPackedB(m, n, k) || !FitsCurrentKernel(packed) || k == 0)
        {
            Run(transA, transB, m, n, k, a, b, c, accumulate: false, parallel: true);
            if (epilogue != null && m > 0 && n > 0) epilogue.Apply(c[..(m * n)], bias!.AsSpan<float>());
            return;
        }
        if (a.Length < (long)m * k || b.Length < (long)k * n || c.Length < (long)m * n)
            throw new ArgumentException($"GEMM m={m}, n={n}, k={k} needs A ≥ {(long)m * k}, B ≥ {(long)k * n}, C ≥ {(long)m * n} values; got {a.Length}, {b.Length}, {c.Length}.");
        int parts = RowParts(m, (long)m * n * k, out int mr, out int units);
        fixed (float* pa = a, pb = b, pc = c, pd = packed.Data)
        {
            if (parts == 1)
            {
                Block(transA, transB, pa, pb, pc, m, n, k, 0, m, 0, n, false, packed, pd);
                epilogue?.Apply(c[..(m * n)], bias!.AsSpan<float>());
                return;
            }
            // Rows in whole MR panels per part: every part reads all of the shared panels, none packs B. (A part of at
            // most 4 rows streams the raw B instead, so the raw layout's transB goes along.)
            var job = new PrepackedRows(transA, transB, (nint)pa, (nint)pb, (nint)pc, m, n, k, mr, units, parts, packed, epilogue, bias);
            Workers.For(parts, 1, job, static (j, first, last) =>
            {
                for (long part = first; part < last; part++) j.RunPart((int)part);
            });
        }
    }

    /// <summary>How <see cref="SgemmPrepacked"/> splits <paramref name="m"/> rows for <paramref name="macs"/> multiply-adds: into
    /// whole MR-row panels (<paramref name="mr"/> rows, <paramref name="units"/> of them), one part per core for large
    /// products, else one part.</summary>
    /// <returns>The number of row parts.</returns>
    internal static int RowParts(int m, long macs, out int mr, out int units)
    {
        mr = Use512 ? 8 : 6;
        units = (m + mr - 1) / mr;
        return macs >= ParallelMacs ? Math.Max(1, Math.Min(Workers.Count, units)) : 1;
    }

    /// <summary>Rows [start, end) of part <paramref name="part"/> of <paramref name="parts"/> (see <see cref="RowParts"/>).</summary>
    internal static (int Start, int End) PartRows(int m, int mr, int units, int parts, int part)
        => (Math.Min(m, (int)((long)units * part / parts) * mr), Math.Min(m, (int)((long)units * (part + 1) / parts) * mr));

    /// <summary>True when <see cref="SgemmRows"/> computes each row of C the same way whatever row range it is given: B
    /// packed (<paramref name="packed"/>), or C narrower than one vector on AVX-512 with B untransposed (short rows of B
    /// streamed, every row its own accumulators), as long as each range has more than 4 rows.</summary>
    internal static bool RowsIndependentOfSplit(int n, bool transB, PackedB? packed) => packed != null ? FitsCurrentKernel(packed) : Use512 && !transB && n < 16;

    /// <summary>Multiply-adds from which a product is split across the cores.</summary>
    internal const long ParallelThreshold = ParallelMacs;

    /// <summary>Row ranges of at most this many rows take the short-A route (<see cref="GemmSmall"/>), whose sums are ordered differently.</summary>
    internal const int ShortRows = SmallRows;

    /// <summary>
    /// Rows [<paramref name="i0"/>, <paramref name="i1"/>) of C = op(A)·op(B) on the calling thread, B pre-packed or (null)
    /// read as it is — one row part of <see cref="SgemmPrepacked"/> or of the serial product, for a caller that splits
    /// rows across cores itself (a fused chain of layers, each core running every layer on its rows).
    /// </summary>
    /// <param name="transA">A is stored k×m.</param>
    /// <param name="transB">B is stored n×k.</param>
    /// <param name="m">Rows of the whole C.</param>
    /// <param name="n">Columns of C.</param>
    /// <param name="k">Inner dimension.</param>
    /// <param name="a">The whole A.</param>
    /// <param name="b">The raw B.</param>
    /// <param name="packed">B packed for these k and n and the current micro-kernel, or null.</param>
    /// <param name="c">The whole C; only the given rows are written.</param>
    /// <param name="i0">First row.</param>
    /// <param name="i1">End row (exclusive).</param>
    internal static void SgemmRows(bool transA, bool transB, int m, int n, int k, ReadOnlySpan<float> a, ReadOnlySpan<float> b, PackedB? packed, Span<float> c, int i0, int i1)
    {
        if (packed != null && (packed.K != k || packed.N != n || !FitsCurrentKernel(packed))) throw new ArgumentException($"B was packed as {packed.K}×{packed.N}, used as {k}×{n}.");
        if (a.Length < (long)m * k || b.Length < (long)k * n || c.Length < (long)m * n || i0 < 0 || i1 > m)
            throw new ArgumentException($"GEMM rows {i0}..{i1} of m={m}, n={n}, k={k} need A ≥ {(long)m * k}, B ≥ {(long)k * n}, C ≥ {(long)m * n} values; got {a.Length}, {b.Length}, {c.Length}.");
        if (i1 <= i0 || n == 0) return;
        if (k == 0)
        {
            c.Slice(i0 * n, (i1 - i0) * n).Clear();
            return;
        }
        fixed (float* pa = a, pb = b, pc = c, pd = packed != null ? packed.Data : null)
            Block(transA, transB, pa, pb, pc, m, n, k, i0, i1, 0, n, false, packed, pd);
    }

    /// <summary>One <see cref="SgemmPrepacked"/> call's arguments: part p computes rows of the p-th of <c>Parts</c> row ranges.</summary>
    private readonly record struct PrepackedRows(bool TransA, bool TransB, nint A, nint B, nint C, int M, int N, int K, int Mr, int Units, int Parts, PackedB Packed,
        Epilogue? Epilogue, Tensor? Bias)
    {
        public void RunPart(int part)
        {
            var (s, e) = PartRows(M, Mr, Units, Parts, part);
            if (s >= e) return;
            fixed (float* pd = Packed.Data)
                Block(TransA, TransB, (float*)A, (float*)B, (float*)C, M, N, K, s, e, 0, N, false, Packed, pd);
            Epilogue?.Apply(new Span<float>((float*)C + (long)s * N, (e - s) * N), Bias!.AsSpan<float>());
        }
    }
}
