using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace TypedGraph.Kernels.Simd;

/// <summary>
/// GEMM for a handful of rows of C (matrix-vector-like products such as a dense layer at batch 1) and for C narrower
/// than one vector: B is streamed straight from the caller's memory, shared by up to 4 rows at a time, no packing.
/// </summary>
internal static unsafe class GemmSmall
{
    /// <summary>Most rows of C one register block covers; longer ranges run block after block.</summary>
    public const int BlockRows = 4;

    /// <summary>C[i0..i1, j0..j1] block by block of up to <see cref="BlockRows"/> rows, every row of a block sharing
    /// each load of B (B is the big operand: a weight matrix read once per block).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Rows(bool transA, bool transB, float* a, float* b, float* c, int m, int n, int k, int i0, int i1, int j0, int j1, bool add, bool use512)
    {
        if (i1 <= i0) return;
        // transA: column i of the stored k×m A is gathered into a contiguous row (one scratch block for the whole call).
        float[]? rented = transA ? ArrayPool<float>.Shared.Rent(BlockRows * k) : null;
        try
        {
            fixed (float* gathered = rented)
            {
                float** arows = stackalloc float*[BlockRows];
                int g0 = i0;
                // C narrower than one vector (logits of a few classes) over many rows: 8 rows share each load of B and
                // give 8 independent FMA chains — a 4-row block is bound by the FMA latency (64×128·128×10: 2.6 µs).
                if (use512 && !transA && !transB && j1 - j0 < 16)
                    for (; i1 - g0 >= 8; g0 += 8)
                        NarrowRows8(a + (long)g0 * k, k, b, c + (long)g0 * n, n, j0, j1, add);
                for (; g0 < i1; g0 += BlockRows)
                {
                    int rows = Math.Min(BlockRows, i1 - g0);
                    for (int r = 0; r < rows; r++)
                    {
                        int i = g0 + r;
                        if (!transA) arows[r] = a + (long)i * k;
                        else
                        {
                            float* dst = gathered + (long)r * k;
                            for (int p = 0; p < k; p++) dst[p] = a[(long)p * m + i];
                            arows[r] = dst;
                        }
                    }
                    float* c0 = c + (long)g0 * n;
                    if (transB) DotRows(arows, rows, b, c0, n, k, j0, j1, add, use512);
                    else if (!use512) Rows256(arows, rows, b, c0, n, k, j0, j1, add);
                    else if (rows == 1) Row512(arows[0], b, c0, n, k, j0, j1, add);
                    else Rows512(arows, rows, b, c0, n, k, j0, j1, add);
                }
            }
        }
        finally
        {
            if (rented != null) ArrayPool<float>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// B stored n×k: each C value is the dot product of an A row and a B row (a matrix-vector product with a transposed
    /// weight, attention scores q·Kᵀ of one query). Eight B rows at a time share each load of the A row, eight independent
    /// FMA chains; one dot product at a time was latency-bound (1×256·(512×256)ᵀ: 34 µs, now a few µs). Every column is
    /// the same sum whichever group it falls in and wherever the buffers sit: product p goes to lane p mod W of one vector
    /// accumulator (FMA), the lanes are summed in a fixed order, then the last k mod W products are added in index order.
    /// </summary>
    private static void DotRows(float** arows, int rows, float* b, float* c, int n, int k, int j0, int j1, bool add, bool use512)
    {
        // Column groups outside, rows inside: a group's 8 B rows (8·k values) stay in L1 for the other rows of A.
        int j = j0;
        for (; j + 8 <= j1; j += 8)
            for (int r = 0; r < rows; r++)
            {
                if (use512) Dot8x512(arows[r], b + (long)j * k, k, c + (long)r * n + j, add);
                else Dot8x256(arows[r], b + (long)j * k, k, c + (long)r * n + j, add);
            }
        for (; j < j1; j++)
            for (int r = 0; r < rows; r++)
                StoreDot(c + (long)r * n + j, use512 ? Dot512(arows[r], b + (long)j * k, k) : Dot256(arows[r], b + (long)j * k, k), add);
    }

    private static void StoreDot(float* dst, float dot, bool add) => *dst = add ? *dst + dot : dot;

    /// <summary>The k mod W products after the vector part of one dot product, in index order.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static float DotTail(float sum, float* a, float* b, int p, int k)
    {
        for (; p < k; p++) sum += a[p] * b[p];
        return sum;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void Dot8x512(float* a, float* b, int k, float* c, bool add)
    {
        float* b1 = b + k, b2 = b1 + k, b3 = b2 + k, b4 = b3 + k, b5 = b4 + k, b6 = b5 + k, b7 = b6 + k;
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
        int p = 0;
        for (; p + 16 <= k; p += 16)
        {
            var av = Vector512.Load(a + p);
            s0 = Vector512.FusedMultiplyAdd(av, Vector512.Load(b + p), s0);
            s1 = Vector512.FusedMultiplyAdd(av, Vector512.Load(b1 + p), s1);
            s2 = Vector512.FusedMultiplyAdd(av, Vector512.Load(b2 + p), s2);
            s3 = Vector512.FusedMultiplyAdd(av, Vector512.Load(b3 + p), s3);
            s4 = Vector512.FusedMultiplyAdd(av, Vector512.Load(b4 + p), s4);
            s5 = Vector512.FusedMultiplyAdd(av, Vector512.Load(b5 + p), s5);
            s6 = Vector512.FusedMultiplyAdd(av, Vector512.Load(b6 + p), s6);
            s7 = Vector512.FusedMultiplyAdd(av, Vector512.Load(b7 + p), s7);
        }
        StoreDot(c, DotTail(Vector512.Sum(s0), a, b, p, k), add);
        StoreDot(c + 1, DotTail(Vector512.Sum(s1), a, b1, p, k), add);
        StoreDot(c + 2, DotTail(Vector512.Sum(s2), a, b2, p, k), add);
        StoreDot(c + 3, DotTail(Vector512.Sum(s3), a, b3, p, k), add);
        StoreDot(c + 4, DotTail(Vector512.Sum(s4), a, b4, p, k), add);
        StoreDot(c + 5, DotTail(Vector512.Sum(s5), a, b5, p, k), add);
        StoreDot(c + 6, DotTail(Vector512.Sum(s6), a, b6, p, k), add);
        StoreDot(c + 7, DotTail(Vector512.Sum(s7), a, b7, p, k), add);
    }

    private static float Dot512(float* a, float* b, int k)
    {
        Vector512<float> s = default;
        int p = 0;
        for (; p + 16 <= k; p += 16) s = Vector512.FusedMultiplyAdd(Vector512.Load(a + p), Vector512.Load(b + p), s);
        return DotTail(Vector512.Sum(s), a, b, p, k);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void Dot8x256(float* a, float* b, int k, float* c, bool add)
    {
        float* b1 = b + k, b2 = b1 + k, b3 = b2 + k, b4 = b3 + k, b5 = b4 + k, b6 = b5 + k, b7 = b6 + k;
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
        int p = 0;
        for (; p + 8 <= k; p += 8)
        {
            var av = Vector256.Load(a + p);
            s0 = Vector256.FusedMultiplyAdd(av, Vector256.Load(b + p), s0);
            s1 = Vector256.FusedMultiplyAdd(av, Vector256.Load(b1 + p), s1);
            s2 = Vector256.FusedMultiplyAdd(av, Vector256.Load(b2 + p), s2);
            s3 = Vector256.FusedMultiplyAdd(av, Vector256.Load(b3 + p), s3);
            s4 = Vector256.FusedMultiplyAdd(av, Vector256.Load(b4 + p), s4);
            s5 = Vector256.FusedMultiplyAdd(av, Vector256.Load(b5 + p), s5);
            s6 = Vector256.FusedMultiplyAdd(av, Vector256.Load(b6 + p), s6);
            s7 = Vector256.FusedMultiplyAdd(av, Vector256.Load(b7 + p), s7);
        }
        StoreDot(c, DotTail(Vector256.Sum(s0), a, b, p, k), add);
        StoreDot(c + 1, DotTail(Vector256.Sum(s1), a, b1, p, k), add);
        StoreDot(c + 2, DotTail(Vector256.Sum(s2), a, b2, p, k), add);
        StoreDot(c + 3, DotTail(Vector256.Sum(s3), a, b3, p, k), add);
        StoreDot(c + 4, DotTail(Vector256.Sum(s4), a, b4, p, k), add);
        StoreDot(c + 5, DotTail(Vector256.Sum(s5), a, b5, p, k), add);
        StoreDot(c + 6, DotTail(Vector256.Sum(s6), a, b6, p, k), add);
        StoreDot(c + 7, DotTail(Vector256.Sum(s7), a, b7, p, k), add);
    }

    private static float Dot256(float* a, float* b, int k)
    {
        Vector256<float> s = default;
        int p = 0;
        for (; p + 8 <= k; p += 8) s = Vector256.FusedMultiplyAdd(Vector256.Load(a + p), Vector256.Load(b + p), s);
        return DotTail(Vector256.Sum(s), a, b, p, k);
    }

    /// <summary>One row: 8 independent accumulator chains (128 columns) so the FMA latency is hidden, then narrower tails.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void Row512(float* arow, float* b, float* ci, int n, int k, int j0, int j1, bool add)
    {
        int j = j0;
        for (; j + 128 <= j1; j += 128)
        {
            Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
            float* bp = b + j;
            for (int p = 0; p < k; p++, bp += n)
            {
                var av = Vector512.Create(arow[p]);
                s0 = Vector512.FusedMultiplyAdd(av, Vector512.Load(bp), s0);
                s1 = Vector512.FusedMultiplyAdd(av, Vector512.Load(bp + 16), s1);
                s2 = Vector512.FusedMultiplyAdd(av, Vector512.Load(bp + 32), s2);
                s3 = Vector512.FusedMultiplyAdd(av, Vector512.Load(bp + 48), s3);
                s4 = Vector512.FusedMultiplyAdd(av, Vector512.Load(bp + 64), s4);
                s5 = Vector512.FusedMultiplyAdd(av, Vector512.Load(bp + 80), s5);
                s6 = Vector512.FusedMultiplyAdd(av, Vector512.Load(bp + 96), s6);
                s7 = Vector512.FusedMultiplyAdd(av, Vector512.Load(bp + 112), s7);
            }
            Store(ci + j, s0, add); Store(ci + j + 16, s1, add); Store(ci + j + 32, s2, add); Store(ci + j + 48, s3, add);
            Store(ci + j + 64, s4, add); Store(ci + j + 80, s5, add); Store(ci + j + 96, s6, add); Store(ci + j + 112, s7, add);
        }
        for (; j + 64 <= j1; j += 64)
        {
            Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
            float* bp = b + j;
            for (int p = 0; p < k; p++, bp += n)
            {
                var av = Vector512.Create(arow[p]);
                s0 = Vector512.FusedMultiplyAdd(av, Vector512.Load(bp), s0);
                s1 = Vector512.FusedMultiplyAdd(av, Vector512.Load(bp + 16), s1);
                s2 = Vector512.FusedMultiplyAdd(av, Vector512.Load(bp + 32), s2);
                s3 = Vector512.FusedMultiplyAdd(av, Vector512.Load(bp + 48), s3);
            }
            Store(ci + j, s0, add); Store(ci + j + 16, s1, add); Store(ci + j + 32, s2, add); Store(ci + j + 48, s3, add);
        }
        for (; j + 16 <= j1; j += 16)
        {
            Vector512<float> s0 = default;
            float* bp = b + j;
            for (int p = 0; p < k; p++, bp += n) s0 = Vector512.FusedMultiplyAdd(Vector512.Create(arow[p]), Vector512.Load(bp), s0);
            Store(ci + j, s0, add);
        }
        TailRows512(&arow, 1, b, ci, n, k, j, j1, add);
    }

    /// <summary>2–4 rows at once: a 4-row × 64-column register block (16 accumulators) reads each B vector once for all
    /// rows. Missing rows (fewer than 4) repeat row 0 and are not stored.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void Rows512(float** arows, int rows, float* b, float* c, int n, int k, int j0, int j1, bool add)
    {
        float* a0 = arows[0], a1 = arows[1], a2 = rows > 2 ? arows[2] : a0, a3 = rows > 3 ? arows[3] : a0;
        int j = j0;
        for (; j + 64 <= j1; j += 64)
        {
            Vector512<float> s00 = default, s01 = default, s02 = default, s03 = default, s10 = default, s11 = default, s12 = default, s13 = default;
            Vector512<float> s20 = default, s21 = default, s22 = default, s23 = default, s30 = default, s31 = default, s32 = default, s33 = default;
            float* bp = b + j;
            for (int p = 0; p < k; p++, bp += n)
            {
                var b0 = Vector512.Load(bp);
                var b1 = Vector512.Load(bp + 16);
                var b2 = Vector512.Load(bp + 32);
                var b3 = Vector512.Load(bp + 48);
                var v = Vector512.Create(a0[p]);
                s00 = Vector512.FusedMultiplyAdd(v, b0, s00); s01 = Vector512.FusedMultiplyAdd(v, b1, s01);
                s02 = Vector512.FusedMultiplyAdd(v, b2, s02); s03 = Vector512.FusedMultiplyAdd(v, b3, s03);
                v = Vector512.Create(a1[p]);
                s10 = Vector512.FusedMultiplyAdd(v, b0, s10); s11 = Vector512.FusedMultiplyAdd(v, b1, s11);
                s12 = Vector512.FusedMultiplyAdd(v, b2, s12); s13 = Vector512.FusedMultiplyAdd(v, b3, s13);
                v = Vector512.Create(a2[p]);
                s20 = Vector512.FusedMultiplyAdd(v, b0, s20); s21 = Vector512.FusedMultiplyAdd(v, b1, s21);
                s22 = Vector512.FusedMultiplyAdd(v, b2, s22); s23 = Vector512.FusedMultiplyAdd(v, b3, s23);
                v = Vector512.Create(a3[p]);
                s30 = Vector512.FusedMultiplyAdd(v, b0, s30); s31 = Vector512.FusedMultiplyAdd(v, b1, s31);
                s32 = Vector512.FusedMultiplyAdd(v, b2, s32); s33 = Vector512.FusedMultiplyAdd(v, b3, s33);
            }
            float* cr = c + j;
            Store(cr, s00, add); Store(cr + 16, s01, add); Store(cr + 32, s02, add); Store(cr + 48, s03, add);
            cr += n;
            Store(cr, s10, add); Store(cr + 16, s11, add); Store(cr + 32, s12, add); Store(cr + 48, s13, add);
            if (rows > 2)
            {
                cr += n;
                Store(cr, s20, add); Store(cr + 16, s21, add); Store(cr + 32, s22, add); Store(cr + 48, s23, add);
            }
            if (rows > 3)
            {
                cr += n;
                Store(cr, s30, add); Store(cr + 16, s31, add); Store(cr + 32, s32, add); Store(cr + 48, s33, add);
            }
        }
        for (; j + 16 <= j1; j += 16)
        {
            Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
            float* bp = b + j;
            for (int p = 0; p < k; p++, bp += n)
            {
                var bv = Vector512.Load(bp);
                s0 = Vector512.FusedMultiplyAdd(Vector512.Create(a0[p]), bv, s0);
                s1 = Vector512.FusedMultiplyAdd(Vector512.Create(a1[p]), bv, s1);
                s2 = Vector512.FusedMultiplyAdd(Vector512.Create(a2[p]), bv, s2);
                s3 = Vector512.FusedMultiplyAdd(Vector512.Create(a3[p]), bv, s3);
            }
            Store(c + j, s0, add);
            Store(c + n + j, s1, add);
            if (rows > 2) Store(c + 2L * n + j, s2, add);
            if (rows > 3) Store(c + 3L * n + j, s3, add);
        }
        TailRows512(arows, rows, b, c, n, k, j, j1, add);
    }

    /// <summary>1–4 rows at once with 256-bit vectors: a 4-row × 16-column block (8 accumulators) per B load.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void Rows256(float** arows, int rows, float* b, float* c, int n, int k, int j0, int j1, bool add)
    {
        float* a0 = arows[0], a1 = rows > 1 ? arows[1] : a0, a2 = rows > 2 ? arows[2] : a0, a3 = rows > 3 ? arows[3] : a0;
        int j = j0;
        for (; j + 16 <= j1; j += 16)
        {
            Vector256<float> s00 = default, s01 = default, s10 = default, s11 = default, s20 = default, s21 = default, s30 = default, s31 = default;
            float* bp = b + j;
            for (int p = 0; p < k; p++, bp += n)
            {
                var b0 = Vector256.Load(bp);
                var b1 = Vector256.Load(bp + 8);
                var v = Vector256.Create(a0[p]);
                s00 = Vector256.FusedMultiplyAdd(v, b0, s00); s01 = Vector256.FusedMultiplyAdd(v, b1, s01);
                v = Vector256.Create(a1[p]);
                s10 = Vector256.FusedMultiplyAdd(v, b0, s10); s11 = Vector256.FusedMultiplyAdd(v, b1, s11);
                v = Vector256.Create(a2[p]);
                s20 = Vector256.FusedMultiplyAdd(v, b0, s20); s21 = Vector256.FusedMultiplyAdd(v, b1, s21);
                v = Vector256.Create(a3[p]);
                s30 = Vector256.FusedMultiplyAdd(v, b0, s30); s31 = Vector256.FusedMultiplyAdd(v, b1, s31);
            }
            Store(c + j, s00, add); Store(c + j + 8, s01, add);
            if (rows > 1) { Store(c + n + j, s10, add); Store(c + n + j + 8, s11, add); }
            if (rows > 2) { Store(c + 2L * n + j, s20, add); Store(c + 2L * n + j + 8, s21, add); }
            if (rows > 3) { Store(c + 3L * n + j, s30, add); Store(c + 3L * n + j + 8, s31, add); }
        }
        for (; j + 8 <= j1; j += 8)
        {
            for (int r = 0; r < rows; r++)
            {
                float* ar = arows[r];
                Vector256<float> s0 = default;
                float* bp = b + j;
                for (int p = 0; p < k; p++, bp += n) s0 = Vector256.FusedMultiplyAdd(Vector256.Create(ar[p]), Vector256.Load(bp), s0);
                Store(c + (long)r * n + j, s0, add);
            }
        }
        for (int r = 0; r < rows; r++) Tail(arows[r], b, c + (long)r * n, n, k, j, j1, add);
    }

    private static void Store(float* dst, Vector512<float> v, bool add)
    {
        if (add) v += Vector512.Load(dst);
        v.Store(dst);
    }

    private static void Store(float* dst, Vector256<float> v, bool add)
    {
        if (add) v += Vector256.Load(dst);
        v.Store(dst);
    }

    /// <summary>The last &lt; 16 columns of 1–4 rows, one vector accumulator per row: each B row's 16-wide load runs
    /// past the wanted columns into the next row (in bounds; the extra lanes are dropped), except near the end of B,
    /// where the remaining rows of B are added lane by lane.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void TailRows512(float** arows, int rows, float* b, float* c, int n, int k, int j, int j1, bool add)
    {
        int w = j1 - j;
        if (w <= 0) return;
        // Rows p of B whose load b[p·n + j .. + 16) stays inside B's k·n values.
        long room = (long)k * n - j - 16;
        long vectorRows = room < 0 ? 0 : Math.Min(k, room / n + 1);
        float* a0 = arows[0], a1 = rows > 1 ? arows[1] : a0, a2 = rows > 2 ? arows[2] : a0, a3 = rows > 3 ? arows[3] : a0;
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
        float* bp = b + j;
        int p = 0;
        for (; p < vectorRows; p++, bp += n)
        {
            var bv = Vector512.Load(bp);
            s0 = Vector512.FusedMultiplyAdd(Vector512.Create(a0[p]), bv, s0);
            s1 = Vector512.FusedMultiplyAdd(Vector512.Create(a1[p]), bv, s1);
            s2 = Vector512.FusedMultiplyAdd(Vector512.Create(a2[p]), bv, s2);
            s3 = Vector512.FusedMultiplyAdd(Vector512.Create(a3[p]), bv, s3);
        }
        float* acc = stackalloc float[64];
        s0.Store(acc);
        s1.Store(acc + 16);
        s2.Store(acc + 32);
        s3.Store(acc + 48);
        FinishNarrowRows(arows, rows, acc, bp, c, n, k, p, j, w, add);
    }

    /// <summary>The rows of B past the vector loop (p..k), added lane by lane to each row's 16-wide accumulator at
    /// <c>acc + 16·r</c>, then the first <paramref name="w"/> lanes stored to C row r at column <paramref name="j"/>.</summary>
    private static void FinishNarrowRows(float** arows, int rows, float* acc, float* bp, float* c, int n, int k, int p, int j, int w, bool add)
    {
        for (int r = 0; r < rows; r++)
        {
            float* ar = arows[r], accr = acc + r * 16, cr = c + (long)r * n + j, bq = bp;
            for (int q = p; q < k; q++, bq += n)
            {
                float av = ar[q];
                for (int t = 0; t < w; t++) accr[t] = MathF.FusedMultiplyAdd(av, bq[t], accr[t]);
            }
            for (int t = 0; t < w; t++) cr[t] = add ? cr[t] + accr[t] : accr[t];
        }
    }

    /// <summary>As <see cref="TailRows512"/> for 8 consecutive rows of A (row stride <paramref name="lda"/>) and C
    /// narrower than 16 columns [j, j1).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void NarrowRows8(float* a, int lda, float* b, float* c, int n, int j, int j1, bool add)
    {
        int k = lda, w = j1 - j;
        if (w <= 0) return;
        long room = (long)k * n - j - 16;
        long vectorRows = room < 0 ? 0 : Math.Min(k, room / n + 1);
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
        float* bp = b + j;
        float* a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda, a4 = a + 4 * lda, a5 = a + 5 * lda, a6 = a + 6 * lda, a7 = a + 7 * lda;
        int p = 0;
        for (; p < vectorRows; p++, bp += n)
        {
            var bv = Vector512.Load(bp);
            s0 = Vector512.FusedMultiplyAdd(Vector512.Create(a0[p]), bv, s0);
            s1 = Vector512.FusedMultiplyAdd(Vector512.Create(a1[p]), bv, s1);
            s2 = Vector512.FusedMultiplyAdd(Vector512.Create(a2[p]), bv, s2);
            s3 = Vector512.FusedMultiplyAdd(Vector512.Create(a3[p]), bv, s3);
            s4 = Vector512.FusedMultiplyAdd(Vector512.Create(a4[p]), bv, s4);
            s5 = Vector512.FusedMultiplyAdd(Vector512.Create(a5[p]), bv, s5);
            s6 = Vector512.FusedMultiplyAdd(Vector512.Create(a6[p]), bv, s6);
            s7 = Vector512.FusedMultiplyAdd(Vector512.Create(a7[p]), bv, s7);
        }
        float* acc = stackalloc float[128];
        s0.Store(acc);
        s1.Store(acc + 16);
        s2.Store(acc + 32);
        s3.Store(acc + 48);
        s4.Store(acc + 64);
        s5.Store(acc + 80);
        s6.Store(acc + 96);
        s7.Store(acc + 112);
        float** arows = stackalloc float*[8] { a0, a1, a2, a3, a4, a5, a6, a7 };
        FinishNarrowRows(arows, 8, acc, bp, c, n, k, p, j, w, add);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void Tail(float* arow, float* b, float* ci, int n, int k, int j, int j1, bool add)
    {
        // Fewer than one vector of columns: one accumulator per column, updated row of B by row of B, so the
        // columns' FMA chains run side by side instead of one long dependent chain per column.
        int w = j1 - j;
        if (w <= 0) return;
        float* acc = stackalloc float[w];
        new Span<float>(acc, w).Clear();
        float* bp = b + j;
        for (int p = 0; p < k; p++, bp += n)
        {
            float av = arow[p];
            for (int t = 0; t < w; t++) acc[t] += av * bp[t];
        }
        for (int t = 0; t < w; t++) ci[j + t] = add ? ci[j + t] + acc[t] : acc[t];
    }
}
