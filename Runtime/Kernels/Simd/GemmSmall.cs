using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace TypedGraph.Kernels.Simd;

/// <summary>
/// GEMM for a handful of rows of C (matrix-vector-like products such as a dense layer at batch 1):
/// B is streamed once straight from the caller's memory with 4 vector accumulators per row, no packing.
/// </summary>
internal static unsafe class GemmSmall
{
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Rows(bool transA, bool transB, float* a, float* b, float* c, int m, int n, int k, int i0, int i1, int j0, int j1, bool add, bool use512)
    {
        float[]? rented = null;
        try
        {
            if (transA || transB)
            {
                rented = ArrayPool<float>.Shared.Rent(k);
            }
            for (int i = i0; i < i1; i++)
            {
                float* ai = a + (long)i * k;
                if (transA)
                {
                    // Gather column i of the stored k×m A into a contiguous row.
                    for (int p = 0; p < k; p++) rented![p] = a[(long)p * m + i];
                }
                fixed (float* gathered = rented)
                {
                    float* arow = transA ? gathered : ai;
                    float* ci = c + (long)i * n;
                    if (transB)
                    {
                        var av = new ReadOnlySpan<float>(arow, k);
                        for (int j = j0; j < j1; j++)
                        {
                            float dot = TensorPrimitives.Dot(av, new ReadOnlySpan<float>(b + (long)j * k, k));
                            ci[j] = add ? ci[j] + dot : dot;
                        }
                    }
                    else if (use512) Row512(arow, b, ci, n, k, j0, j1, add);
                    else Row256(arow, b, ci, n, k, j0, j1, add);
                }
            }
        }
        finally
        {
            if (rented != null) ArrayPool<float>.Shared.Return(rented);
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void Row512(float* arow, float* b, float* ci, int n, int k, int j0, int j1, bool add)
    {
        int j = j0;
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
            if (add)
            {
                s0 += Vector512.Load(ci + j); s1 += Vector512.Load(ci + j + 16);
                s2 += Vector512.Load(ci + j + 32); s3 += Vector512.Load(ci + j + 48);
            }
            s0.Store(ci + j); s1.Store(ci + j + 16); s2.Store(ci + j + 32); s3.Store(ci + j + 48);
        }
        for (; j + 16 <= j1; j += 16)
        {
            Vector512<float> s0 = default;
            float* bp = b + j;
            for (int p = 0; p < k; p++, bp += n) s0 = Vector512.FusedMultiplyAdd(Vector512.Create(arow[p]), Vector512.Load(bp), s0);
            if (add) s0 += Vector512.Load(ci + j);
            s0.Store(ci + j);
        }
        Tail(arow, b, ci, n, k, j, j1, add);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void Row256(float* arow, float* b, float* ci, int n, int k, int j0, int j1, bool add)
    {
        int j = j0;
        for (; j + 32 <= j1; j += 32)
        {
            Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
            float* bp = b + j;
            for (int p = 0; p < k; p++, bp += n)
            {
                var av = Vector256.Create(arow[p]);
                s0 = Vector256.FusedMultiplyAdd(av, Vector256.Load(bp), s0);
                s1 = Vector256.FusedMultiplyAdd(av, Vector256.Load(bp + 8), s1);
                s2 = Vector256.FusedMultiplyAdd(av, Vector256.Load(bp + 16), s2);
                s3 = Vector256.FusedMultiplyAdd(av, Vector256.Load(bp + 24), s3);
            }
            if (add)
            {
                s0 += Vector256.Load(ci + j); s1 += Vector256.Load(ci + j + 8);
                s2 += Vector256.Load(ci + j + 16); s3 += Vector256.Load(ci + j + 24);
            }
            s0.Store(ci + j); s1.Store(ci + j + 8); s2.Store(ci + j + 16); s3.Store(ci + j + 24);
        }
        for (; j + 8 <= j1; j += 8)
        {
            Vector256<float> s0 = default;
            float* bp = b + j;
            for (int p = 0; p < k; p++, bp += n) s0 = Vector256.FusedMultiplyAdd(Vector256.Create(arow[p]), Vector256.Load(bp), s0);
            if (add) s0 += Vector256.Load(ci + j);
            s0.Store(ci + j);
        }
        Tail(arow, b, ci, n, k, j, j1, add);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void Tail(float* arow, float* b, float* ci, int n, int k, int j, int j1, bool add)
    {
        for (; j < j1; j++)
        {
            float s = 0;
            for (int p = 0; p < k; p++) s += arow[p] * b[(long)p * n + j];
            ci[j] = add ? ci[j] + s : s;
        }
    }
}
