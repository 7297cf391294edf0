namespace TypedGraph.Kernels.Exec;

/// <summary>
/// Philox4x32-10, the counter-based generator behind TF's random ops (<c>tensorflow/core/lib/random/philox_random.h</c>),
/// with TF's seeding (key = seed, counter words 2–3 = seed2), <c>Skip</c>, and the float conversions and
/// Box–Muller transform of <c>random_distributions.h</c>. Checked against the Random123 known-answer vectors and
/// against TF's own published normal samples (stateful_random_ops_test.py, testTF1) in <c>PhiloxKnownAnswerTests</c>.
/// </summary>
internal struct Philox
{
    private const uint W32A = 0x9E3779B9, W32B = 0xBB67AE85, M4x32A = 0xD2511F53, M4x32B = 0xCD9E8D57;
    private uint _c0, _c1, _c2, _c3;
    private readonly uint _k0, _k1;

    /// <summary>TF's <c>PhiloxRandom(seed_lo, seed_hi)</c>.</summary>
    public Philox(ulong seedLo, ulong seedHi)
    {
        _k0 = (uint)seedLo;
        _k1 = (uint)(seedLo >> 32);
        _c0 = _c1 = 0;
        _c2 = (uint)seedHi;
        _c3 = (uint)(seedHi >> 32);
    }

    /// <summary>
    /// A generator at a given 128-bit counter and 64-bit key, as TF's stateful RNG ops build it from their state variable
    /// (<c>[counter_lo, counter_hi, key]</c>; <c>GetPhiloxRandomFromCounterKeyMem</c>).
    /// </summary>
    public static Philox FromCounterAndKey(ulong counterLo, ulong counterHi, ulong key)
    {
        var p = new Philox(key, counterHi);
        p._c0 = (uint)counterLo;
        p._c1 = (uint)(counterLo >> 32);
        return p;
    }

    /// <summary>The next four 32-bit samples; advances the counter by one.</summary>
    public (uint, uint, uint, uint) Next()
    {
        uint c0 = _c0, c1 = _c1, c2 = _c2, c3 = _c3, k0 = _k0, k1 = _k1;
        for (int round = 0; round < 10; round++)
        {
            ulong p0 = (ulong)M4x32A * c0;
            ulong p1 = (ulong)M4x32B * c2;
            uint n0 = (uint)(p1 >> 32) ^ c1 ^ k0;
            uint n2 = (uint)(p0 >> 32) ^ c3 ^ k1;
            c1 = (uint)p1;
            c3 = (uint)p0;
            c0 = n0;
            c2 = n2;
            k0 += W32A;
            k1 += W32B;
        }
        Skip(1);
        return (c0, c1, c2, c3);
    }

    /// <summary>Advances the 128-bit counter by <paramref name="count"/> (TF's <c>Skip</c>).</summary>
    public void Skip(ulong count)
    {
        uint lo = (uint)count, hi = (uint)(count >> 32);
        _c0 += lo;
        if (_c0 < lo) hi++;
        _c1 += hi;
        if (_c1 < hi && ++_c2 == 0) _c3++;
    }

    /// <summary>TF's <c>Uint32ToFloat</c>: 23 random mantissa bits → [0, 1).</summary>
    public static float ToFloat(uint x) => BitConverter.UInt32BitsToSingle((x & 0x7FFFFFu) | 0x3F800000u) - 1f;

    /// <summary>TF's <c>Uint16ToHalf</c>: 10 random mantissa bits from the low 16 bits → [0, 1).</summary>
    public static Half ToHalf(uint x) => BitConverter.UInt16BitsToHalf((ushort)((15 << 10) | (x & 0x3FFu))) - (Half)1;

    /// <summary>TF's <c>Uint64ToDouble</c>: 52 random mantissa bits from two samples → [0, 1).</summary>
    public static double ToDouble(uint hi, uint lo)
        => BitConverter.UInt64BitsToDouble(((((ulong)(hi & 0xFFFFF)) << 32) | lo) | 0x3FF0000000000000UL) - 1.0;

    /// <summary>TF's <c>BoxMullerFloat</c>.</summary>
    public static (float, float) BoxMuller(uint x0, uint x1)
    {
        float u1 = Math.Max(ToFloat(x0), 1e-7f);
        float v1 = 2f * MathF.PI * ToFloat(x1);
        float u2 = MathF.Sqrt(-2f * MathF.Log(u1));
        return (MathF.Sin(v1) * u2, MathF.Cos(v1) * u2);
    }

    /// <summary>TF's <c>BoxMullerDouble</c>.</summary>
    public static (double, double) BoxMuller(uint x0, uint x1, uint x2, uint x3)
    {
        double u1 = Math.Max(ToDouble(x0, x1), 1e-7);
        double v1 = 2 * Math.PI * ToDouble(x2, x3);
        double u2 = Math.Sqrt(-2 * Math.Log(u1));
        return (Math.Sin(v1) * u2, Math.Cos(v1) * u2);
    }
}
