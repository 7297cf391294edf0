using System.Runtime.Intrinsics.X86;

namespace TypedGraph.Kernels.Simd;

/// <summary>
/// Copies blocks of A and B into the panel layouts the micro-kernels stream through (BLIS-style):
/// A as MR-row panels stored k-major (<c>panel[p·MR + r]</c>), B as NR-column panels stored k-major
/// (<c>panel[p·NR + j]</c>). Partial panels are zero-padded so the kernels never branch on edges.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>
    /// Eight rows of row-major A (<paramref name="lda"/> apart), depth <paramref name="kc"/>, into one k-major 8-row panel:
    /// 8×8 blocks transposed in registers (unpack, shuffle, lane permute) instead of 64 scalar strided stores.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void PackRows8(float* src, int lda, int kc, float* panel)
    {
        int p = 0;
        for (; p + 8 <= kc; p += 8)
        {
            var r0 = Avx.LoadVector256(src + p);
            var r1 = Avx.LoadVector256(src + lda + p);
            var r2 = Avx.LoadVector256(src + 2L * lda + p);
            var r3 = Avx.LoadVector256(src + 3L * lda + p);
            var r4 = Avx.LoadVector256(src + 4L * lda + p);
            var r5 = Avx.LoadVector256(src + 5L * lda + p);
            var r6 = Avx.LoadVector256(src + 6L * lda + p);
            var r7 = Avx.LoadVector256(src + 7L * lda + p);
            // Interleave row pairs, then row quads: tXY holds rows X..Y for two depth steps per 128-bit lane.
            var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
            var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
            var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
            var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
            var q0 = Avx.Shuffle(t0, t2, 0x44); var q1 = Avx.Shuffle(t0, t2, 0xEE);
            var q2 = Avx.Shuffle(t1, t3, 0x44); var q3 = Avx.Shuffle(t1, t3, 0xEE);
            var q4 = Avx.Shuffle(t4, t6, 0x44); var q5 = Avx.Shuffle(t4, t6, 0xEE);
            var q6 = Avx.Shuffle(t5, t7, 0x44); var q7 = Avx.Shuffle(t5, t7, 0xEE);
            float* d = panel + (long)p * 8;
            Avx.Store(d + 0, Avx.Permute2x128(q0, q4, 0x20));
            Avx.Store(d + 8, Avx.Permute2x128(q1, q5, 0x20));
            Avx.Store(d + 16, Avx.Permute2x128(q2, q6, 0x20));
            Avx.Store(d + 24, Avx.Permute2x128(q3, q7, 0x20));
            Avx.Store(d + 32, Avx.Permute2x128(q0, q4, 0x31));
            Avx.Store(d + 40, Avx.Permute2x128(q1, q5, 0x31));
            Avx.Store(d + 48, Avx.Permute2x128(q2, q6, 0x31));
            Avx.Store(d + 56, Avx.Permute2x128(q3, q7, 0x31));
        }
        for (; p < kc; p++)
            for (int r = 0; r < 8; r++) panel[(long)p * 8 + r] = src[(long)r * lda + p];
    }

    /// <summary>Packs rows [i0, i0+mc) × depth [p0, p0+kc) of op(A) (A is m×k, or k×m when transposed).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void PackA(bool transA, float* a, int m, int k, int i0, int mc, int p0, int kc, int mr, float* dst)
    {
        for (int ir = 0; ir < mc; ir += mr)
        {
            int rows = Math.Min(mr, mc - ir);
            float* panel = dst + (long)ir * kc;
            if (transA)
            {
                // op(A)(i, p) = a[p·m + i]: each depth step is a contiguous run of rows.
                for (int p = 0; p < kc; p++)
                {
                    float* src = a + (long)(p0 + p) * m + i0 + ir;
                    float* d = panel + p * mr;
                    int r = 0;
                    for (; r < rows; r++) d[r] = src[r];
                    for (; r < mr; r++) d[r] = 0;
                }
            }
            else if (rows == 8 && mr == 8 && Avx.IsSupported)
            {
                PackRows8(a + (long)(i0 + ir) * k + p0, k, kc, panel);
            }
            else
            {
                for (int r = 0; r < rows; r++)
                {
                    float* src = a + (long)(i0 + ir + r) * k + p0;
                    float* d = panel + r;
                    for (int p = 0; p < kc; p++) d[p * mr] = src[p];
                }
                for (int r = rows; r < mr; r++)
                    for (int p = 0; p < kc; p++) panel[p * mr + r] = 0;
            }
        }
    }

    /// <summary>Packs depth [p0, p0+kc) × columns [j0, j0+nc) of op(B) (B is k×n, or n×k when transposed).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void PackB(bool transB, float* b, int n, int k, int j0, int nc, int p0, int kc, int nr, float* dst)
    {
        for (int jr = 0; jr < nc; jr += nr)
        {
            int cols = Math.Min(nr, nc - jr);
            float* panel = dst + (long)jr * kc;
            if (!transB)
            {
                // op(B)(p, j) = b[p·n + j]: each depth step is a contiguous run of columns.
                for (int p = 0; p < kc; p++)
                {
                    float* src = b + (long)(p0 + p) * n + j0 + jr;
                    float* d = panel + p * nr;
                    if (cols == nr) new ReadOnlySpan<float>(src, nr).CopyTo(new Span<float>(d, nr));
                    else
                    {
                        int j = 0;
                        for (; j < cols; j++) d[j] = src[j];
                        for (; j < nr; j++) d[j] = 0;
                    }
                }
            }
            else
            {
                for (int j = 0; j < cols; j++)
                {
                    float* src = b + (long)(j0 + jr + j) * k + p0;
                    float* d = panel + j;
                    for (int p = 0; p < kc; p++) d[p * nr] = src[p];
                }
                for (int j = cols; j < nr; j++)
                    for (int p = 0; p < kc; p++) panel[p * nr + j] = 0;
            }
        }
    }
}
