using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TypedGraph.Kernels.NN;

/// <summary>
/// One float vector width for kernels written once over <typeparamref name="TV"/> (<see cref="Vector512{T}"/> or
/// <see cref="Vector256{T}"/>): the JIT specializes a generic method per struct implementation and inlines these
/// members, so the generic body compiles to the same code as a hand-written one per width.
/// </summary>
/// <typeparam name="TV">The vector type.</typeparam>
internal unsafe interface IFloatLanes<TV> where TV : struct
{
    /// <summary>Floats per vector.</summary>
    static abstract int Width { get; }

    /// <summary>All zeros.</summary>
    static abstract TV Zero { get; }

    /// <summary>Unaligned load.</summary>
    static abstract TV Load(float* p);

    /// <summary>Unaligned store.</summary>
    static abstract void Store(TV v, float* p);

    /// <summary>x·y + acc with one rounding.</summary>
    static abstract TV Fma(TV x, TV y, TV acc);

    /// <summary>x + y.</summary>
    static abstract TV Add(TV x, TV y);
}

/// <summary>16 floats (AVX-512).</summary>
internal readonly unsafe struct Lanes512 : IFloatLanes<Vector512<float>>
{
    public static int Width => 16;

    public static Vector512<float> Zero => Vector512<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(float* p) => Vector512.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<float> v, float* p) => v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Fma(Vector512<float> x, Vector512<float> y, Vector512<float> acc) => Vector512.FusedMultiplyAdd(x, y, acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Add(Vector512<float> x, Vector512<float> y) => x + y;
}

/// <summary>8 floats (AVX2 + FMA).</summary>
internal readonly unsafe struct Lanes256 : IFloatLanes<Vector256<float>>
{
    public static int Width => 8;

    public static Vector256<float> Zero => Vector256<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(float* p) => Vector256.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<float> v, float* p) => v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Fma(Vector256<float> x, Vector256<float> y, Vector256<float> acc) => Vector256.FusedMultiplyAdd(x, y, acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Add(Vector256<float> x, Vector256<float> y) => x + y;
}
