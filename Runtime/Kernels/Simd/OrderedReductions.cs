using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace TypedGraph.Kernels.Simd;

/// <summary>
/// Sums, dot products and products whose rounding depends only on the values, not on where they sit in memory.
/// </summary>
/// <remarks>
/// TensorPrimitives' reductions align their loads to the vector size on long inputs, so which elements share a partial
/// sum — and the last bits of the result — depend on the buffer's address. Pooled and freshly allocated tensors land at
/// different addresses run to run, so the same graph on the same inputs could return a gradient 1 ulp apart between two
/// runs. Here element i always goes to accumulator lane (i mod 4·width): four Vector&lt;T&gt; chains from index 0, combined
/// in a fixed order, then the tail in index order. Same machine, same values, same bits.
/// </remarks>
internal static class OrderedReductions
{
    /// <summary>Σ x[i].</summary>
    public static T Sum<T>(ReadOnlySpan<T> x) where T : unmanaged, INumberBase<T>
    {
        ref T p = ref MemoryMarshal.GetReference(x);
        int n = x.Length, i = 0;
        T total = T.Zero;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported && n >= 4 * Vector<T>.Count)
        {
            int w = Vector<T>.Count;
            Vector<T> a0 = Vector<T>.Zero, a1 = a0, a2 = a0, a3 = a0;
            for (; i + 4 * w <= n; i += 4 * w)
            {
                a0 += Vector.LoadUnsafe(ref p, (nuint)i);
                a1 += Vector.LoadUnsafe(ref p, (nuint)(i + w));
                a2 += Vector.LoadUnsafe(ref p, (nuint)(i + 2 * w));
                a3 += Vector.LoadUnsafe(ref p, (nuint)(i + 3 * w));
            }
            total = Vector.Sum((a0 + a1) + (a2 + a3));
        }
        for (; i < n; i++) total += Unsafe.Add(ref p, i);
        return total;
    }

    /// <summary>Σ x[i]·y[i] over the shorter length of the two.</summary>
    public static T Dot<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y) where T : unmanaged, INumberBase<T>
    {
        ref T p = ref MemoryMarshal.GetReference(x);
        ref T q = ref MemoryMarshal.GetReference(y);
        int n = Math.Min(x.Length, y.Length), i = 0;
        T total = T.Zero;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported && n >= 4 * Vector<T>.Count)
        {
            int w = Vector<T>.Count;
            Vector<T> a0 = Vector<T>.Zero, a1 = a0, a2 = a0, a3 = a0;
            for (; i + 4 * w <= n; i += 4 * w)
            {
                a0 += Vector.LoadUnsafe(ref p, (nuint)i) * Vector.LoadUnsafe(ref q, (nuint)i);
                a1 += Vector.LoadUnsafe(ref p, (nuint)(i + w)) * Vector.LoadUnsafe(ref q, (nuint)(i + w));
                a2 += Vector.LoadUnsafe(ref p, (nuint)(i + 2 * w)) * Vector.LoadUnsafe(ref q, (nuint)(i + 2 * w));
                a3 += Vector.LoadUnsafe(ref p, (nuint)(i + 3 * w)) * Vector.LoadUnsafe(ref q, (nuint)(i + 3 * w));
            }
            total = Vector.Sum((a0 + a1) + (a2 + a3));
        }
        for (; i < n; i++) total += Unsafe.Add(ref p, i) * Unsafe.Add(ref q, i);
        return total;
    }

    /// <summary>Σ x[i]².</summary>
    public static T SumOfSquares<T>(ReadOnlySpan<T> x) where T : unmanaged, INumberBase<T> => Dot(x, x);

    /// <summary>Π x[i], in index order (products are rare and short; a fixed order matters more than speed).</summary>
    public static T Product<T>(ReadOnlySpan<T> x) where T : unmanaged, INumberBase<T>
    {
        T total = T.One;
        foreach (var v in x) total *= v;
        return total;
    }
}
