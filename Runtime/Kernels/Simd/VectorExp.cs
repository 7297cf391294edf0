using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TypedGraph.Kernels.Simd;

/// <summary>
/// exp(x) over float spans, vectorized, giving every element the same result wherever it sits in the span: the last
/// partial vector runs the same vector code on a padded copy (one width, 256 bits, on every machine, so AVX2 and AVX-512
/// hosts agree too). So a softmax row gets the same bits whether its block of rows is done at once or one row part at a
/// time (a fused kernel's row parts must equal the unfused op).
/// </summary>
/// <remarks>
/// The method is Cephes' <c>expf</c>, the one behind Eigen's <c>pexp_float</c>
/// (Eigen/src/Core/arch/Default/GenericPacketMathFunctions.h), which TF's Softmax uses through Eigen's
/// <c>exp()</c>: x = n·ln2 + r with n = round(x/ln2) and |r| ≤ ln2/2, ln2 split into a part with few mantissa bits (so
/// n·hi is exact) and a correction, exp(r) from a polynomial, then scaled by 2^n. Our polynomial is the degree-7 Taylor
/// series (truncation below 0.05 ulp on the reduced range); the 2^n scaling is done as two exact power-of-two products
/// so results that overflow give +inf and results in the subnormal range are rounded once. Measured against
/// <see cref="Math.Exp(double)"/> by <c>VectorExpTests</c>.
/// </remarks>
internal static class VectorExp
{
    private const float Log2E = 1.44269504088896341f;
    // ln2 = Ln2Hi + Ln2Lo; Ln2Hi = 355/512 has 9 significant bits, so n·Ln2Hi is exact for every n used here.
    private const float Ln2Hi = 0.693359375f;
    private const float Ln2Lo = -2.12194440e-4f;
    // exp(x) > float.MaxValue above 88.73 and rounds to 0 below -103.98; clamping keeps n within [-150, 128].
    private const float High = 88.8f;
    private const float Low = -104f;

    /// <summary>y[i] = exp(x[i]); <paramref name="y"/> may be <paramref name="x"/>.</summary>
    public static void Exp(ReadOnlySpan<float> x, Span<float> y)
    {
        if (y.Length < x.Length) throw new ArgumentException($"exp of {x.Length} values needs as many outputs, got {y.Length}.", nameof(y));
        int i = 0;
        for (; i + 8 <= x.Length; i += 8) Exp256(Vector256.Create(x.Slice(i, 8))).CopyTo(y.Slice(i, 8));
        if (i < x.Length)
        {
            Span<float> pad = stackalloc float[8];
            x[i..].CopyTo(pad);
            Exp256(Vector256.Create<float>(pad)).CopyTo(pad);
            pad[..(x.Length - i)].CopyTo(y[i..]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Exp256(Vector256<float> x)
    {
        // 8 lanes at a time; 640 values (64 rows of 10 logits) take ~80 iterations, a fraction of a microsecond.
        var xc = Vector256.MaxNative(Vector256.MinNative(x, Vector256.Create(High)), Vector256.Create(Low));
        var n = Vector256.Round(xc * Vector256.Create(Log2E));
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Hi), xc);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Lo), r);
        var p = Vector256.Create(1f / 5040);
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1f / 720));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1f / 120));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1f / 24));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1f / 6));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(0.5f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256<float>.One);
        p = Vector256.FusedMultiplyAdd(p, r, Vector256<float>.One);
        // 2^n = 2^h · 2^(n-h) with h = n/2: both factors are normal floats for n in [-150, 128].
        var ni = Vector256.ConvertToInt32(n);
        var h = Vector256.ShiftRightArithmetic(ni, 1);
        var s1 = Vector256.ShiftLeft(h + Vector256.Create(127), 23).AsSingle();
        var s2 = Vector256.ShiftLeft(ni - h + Vector256.Create(127), 23).AsSingle();
        var y = p * s1 * s2;
        y = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(Low)), Vector256<float>.Zero, y);
        return Vector256.ConditionalSelect(Vector256.Equals(x, x), y, x); // NaN stays NaN
    }
}
