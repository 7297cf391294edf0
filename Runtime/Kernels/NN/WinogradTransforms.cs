using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TypedGraph.Kernels.NN;

/// <summary>
/// The 1-D transform matrices of <see cref="WinogradConv2D"/>'s two algorithms, each applied to 16-channel vectors.
/// Both are Toom-Cook algorithms on six points, 0, 1, −1, 2, −2 and ∞ (Lavin &amp; Gray 2015, §4), written for the
/// correlation y_i = Σ_k g_k·d_{i+k}: y = Aᵀ·[(G·g) ⊙ (Bᵀ·d)] with Aᵀ[i, p] = pⁱ (row m−1 also takes the ∞ point),
/// G[p, k] = pᵏ / Π_{q≠p}(p − q) (the ∞ row picks g's last tap) and Bᵀ the transposed inverse Vandermonde matrix
/// scaled to integers. The input transform Bᵀ depends only on the points, so F(4×4, 3×3) and F(2×2, 5×5) share it;
/// only G (3 or 5 taps) and Aᵀ (4 or 2 outputs) differ.
/// </summary>
/// <remarks>
/// Why these points for F(2×2, 5×5): they keep Bᵀ in small integers (exact in float) and |Aᵀ| ≤ 2, and put the
/// growth in G (up to ⅔), which is applied once per filter in float and, for a constant filter, kept. A float
/// simulation of one 2×2 tile (C = 32, uniform ±1 data; 240 outputs against exact sums) gave an RMS error of 1.45·10⁻⁵
/// with these points and 1.50·10⁻⁵ with 0, ±1, ±½, ∞ (whose Bᵀ has ¼ and 5/4 and whose G reaches 8/3): no accuracy
/// reason to prefer the fractional points, and these share the F(4,3) input transform. The matrices were derived in
/// exact rational arithmetic and are checked in <c>WinogradConvTests</c> against the 1-D correlation in double.
/// </remarks>
internal static class WinogradTransforms
{
    /// <summary>Bᵀ·(d0…d5), Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void InputRows(Vector512<float> d0, Vector512<float> d1, Vector512<float> d2, Vector512<float> d3, Vector512<float> d4, Vector512<float> d5,
        out Vector512<float> r0, out Vector512<float> r1, out Vector512<float> r2, out Vector512<float> r3, out Vector512<float> r4, out Vector512<float> r5)
    {
        var four = Vector512.Create(4f);
        var minus4 = Vector512.Create(-4f);
        var minus5 = Vector512.Create(-5f);
        var a = Vector512.FusedMultiplyAdd(d2, minus4, d4);   // d4 − 4·d2
        var b = Vector512.FusedMultiplyAdd(d1, minus4, d3);   // d3 − 4·d1
        var c = d4 - d2;
        var e = (d3 - d1) * 2f;
        r0 = Vector512.FusedMultiplyAdd(d0, four, Vector512.FusedMultiplyAdd(d2, minus5, d4));
        r1 = a + b;
        r2 = a - b;
        r3 = c + e;
        r4 = c - e;
        r5 = Vector512.FusedMultiplyAdd(d1, four, Vector512.FusedMultiplyAdd(d3, minus5, d5));
    }

    /// <summary>G·(g0, g1, g2) for F(4, 3): G = [¼ 0 0; −⅙ −⅙ −⅙; −⅙ ⅙ −⅙; 1/24 1/12 ⅙; 1/24 −1/12 ⅙; 0 0 1].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void FilterRows3(Vector512<float> g0, Vector512<float> g1, Vector512<float> g2,
        out Vector512<float> r0, out Vector512<float> r1, out Vector512<float> r2, out Vector512<float> r3, out Vector512<float> r4, out Vector512<float> r5)
    {
        var even = g0 + g2;
        r0 = g0 * 0.25f;
        r1 = (even + g1) * (-1f / 6);
        r2 = (even - g1) * (-1f / 6);
        var e2 = Vector512.FusedMultiplyAdd(g0, Vector512.Create(1f / 24), g2 * (1f / 6));
        var o2 = g1 * (1f / 12);
        r3 = e2 + o2;
        r4 = e2 - o2;
        r5 = g2;
    }

    /// <summary>
    /// G·(g0…g4) for F(2, 5): G = [¼ 0 0 0 0; −⅙ −⅙ −⅙ −⅙ −⅙; −⅙ ⅙ −⅙ ⅙ −⅙; 1/24 1/12 ⅙ ⅓ ⅔; 1/24 −1/12 ⅙ −⅓ ⅔; 0 0 0 0 1]
    /// (rows p = 2 and −2 are (1, p, p², p³, p⁴)/24).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void FilterRows5(Vector512<float> g0, Vector512<float> g1, Vector512<float> g2, Vector512<float> g3, Vector512<float> g4,
        out Vector512<float> r0, out Vector512<float> r1, out Vector512<float> r2, out Vector512<float> r3, out Vector512<float> r4, out Vector512<float> r5)
    {
        var even = g0 + g2 + g4;
        var odd = g1 + g3;
        r0 = g0 * 0.25f;
        r1 = (even + odd) * (-1f / 6);
        r2 = (even - odd) * (-1f / 6);
        var e2 = Vector512.FusedMultiplyAdd(g0, Vector512.Create(1f / 24), Vector512.FusedMultiplyAdd(g2, Vector512.Create(1f / 6), g4 * (2f / 3)));
        var o2 = Vector512.FusedMultiplyAdd(g1, Vector512.Create(1f / 12), g3 * (1f / 3));
        r3 = e2 + o2;
        r4 = e2 - o2;
        r5 = g4;
    }

    /// <summary>Aᵀ·(m0…m5) for F(4, 3): Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void OutputRows4(Vector512<float> m0, Vector512<float> m1, Vector512<float> m2, Vector512<float> m3, Vector512<float> m4, Vector512<float> m5,
        out Vector512<float> y0, out Vector512<float> y1, out Vector512<float> y2, out Vector512<float> y3)
    {
        var s1 = m1 + m2;
        var s2 = m1 - m2;
        var s3 = m3 + m4;
        var s4 = m3 - m4;
        y0 = m0 + s1 + s3;
        y1 = Vector512.FusedMultiplyAdd(s4, Vector512.Create(2f), s2);
        y2 = Vector512.FusedMultiplyAdd(s3, Vector512.Create(4f), s1);
        y3 = Vector512.FusedMultiplyAdd(s4, Vector512.Create(8f), s2) + m5;
    }

    /// <summary>Aᵀ·(m0…m5) for F(2, 5): Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 1].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void OutputRows2(Vector512<float> m0, Vector512<float> m1, Vector512<float> m2, Vector512<float> m3, Vector512<float> m4, Vector512<float> m5,
        out Vector512<float> y0, out Vector512<float> y1)
    {
        y0 = m0 + (m1 + m2) + (m3 + m4);
        y1 = Vector512.FusedMultiplyAdd(m3 - m4, Vector512.Create(2f), m1 - m2) + m5;
    }
}
