namespace TypedGraph.Kernels.Simd;

/// <summary>
/// Copies blocks of A and B into the panel layouts the micro-kernels stream through (BLIS-style):
/// A as MR-row panels stored k-major (<c>panel[p·MR + r]</c>), B as NR-column panels stored k-major
/// (<c>panel[p·NR + j]</c>). Partial panels are zero-padded so the kernels never branch on edges.
/// </summary>
internal static unsafe class GemmPacking
{
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
