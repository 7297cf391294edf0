using System.Security.Cryptography;

namespace TypedGraph.Kernels.Exec;

/// <summary>
/// A stateful op's Philox stream, TF's GuardedPhiloxRandom (guarded_philox_random.cc): seeded once from the
/// <c>seed</c>/<c>seed2</c> attrs (both 0 → random seeds, or with <c>SessionOptions.GraphSeed</c> the graph seed and
/// a hash of the node name); shared by the random and sampling kernels; each call reserves a block of 128-bit samples under a lock and
/// gets the generator positioned at the block's start.
/// </summary>
internal sealed class GuardedPhilox(string nodeName, long seed, long seed2)
{
    private readonly object _gate = new();
    private Philox? _stream;

    /// <summary>ReserveSamples128: the generator at the current position; the stream moves <paramref name="samples128"/> on.</summary>
    public Philox Reserve(OpKernelContext ctx, ulong samples128)
    {
        lock (_gate)
        {
            if (_stream == null)
            {
                ulong s = (ulong)seed, s2 = (ulong)seed2;
                if (s == 0 && s2 == 0)
                {
                    if (ctx.State.GraphSeed is { } gs)
                    {
                        s = (ulong)gs;
                        s2 = StableHash(nodeName);
                    }
                    else
                    {
                        s = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
                        s2 = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
                    }
                }
                _stream = new Philox(s, s2);
            }
            var local = _stream.Value;
            var next = local;
            next.Skip(samples128);
            _stream = next;
            return local;
        }
    }

    // FNV-1a over the node name: stable across processes, unlike string.GetHashCode.
    private static ulong StableHash(string s)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in s) h = (h ^ c) * 1099511628211UL;
        return h;
    }

    /// <summary>
    /// The generator of a stateless op for <c>seed = [seed0, seed1]</c>: TF's GenerateKey (stateless_random_ops.cc)
    /// runs Philox once on counter (seed0, seed1) under key (0x3ec8f720, 0x02461e29) and uses the four output words
    /// as the new key (words 0–1) and counter high half (words 2–3), counter low half 0.
    /// </summary>
    public static Philox StatelessGenerator(long seed0, long seed1)
    {
        var scramble = new Philox(0x02461e29_3ec8f720UL, (ulong)seed1);
        scramble.Skip((ulong)seed0); // counter words 0–1 = seed0 (the counter starts at 0 there)
        var (m0, m1, m2, m3) = scramble.Next();
        return new Philox(m0 | (ulong)m1 << 32, m2 | (ulong)m3 << 32);
    }
}

/// <summary>
/// TF's SimplePhilox over a SingleSampleAdapter (simple_philox.h): hands out the generator's 32-bit words one at a
/// time (four per Philox call); <c>RandDouble</c> uses two words, <c>Rand64</c> is lo | hi &lt;&lt; 32, and
/// <c>Uniform64</c> is ExactUniformInt (exact_uniform_int.h: mask for a power of two, else reject below
/// <c>(2^64 - 1) % n + 1</c> and take the rest mod n).
/// </summary>
internal struct SimplePhilox(Philox generator)
{
    private Philox _gen = generator;
    private uint _w0, _w1, _w2, _w3;
    private int _used = 4;

    public uint Rand32()
    {
        if (_used == 4)
        {
            (_w0, _w1, _w2, _w3) = _gen.Next();
            _used = 0;
        }
        return _used++ switch { 0 => _w0, 1 => _w1, 2 => _w2, _ => _w3 };
    }

    public ulong Rand64()
    {
        uint lo = Rand32(), hi = Rand32();
        return lo | (ulong)hi << 32;
    }

    public double RandDouble()
    {
        uint x0 = Rand32(), x1 = Rand32();
        return Philox.ToDouble(x0, x1);
    }

    public ulong Uniform64(ulong n)
    {
        if (n == 0) return Rand64() * n;
        if ((n & (n - 1)) == 0) return Rand64() & (n - 1);
        ulong rem = ulong.MaxValue % n + 1;
        ulong rnd;
        do rnd = Rand64(); while (rnd < rem);
        return rnd % n;
    }
}
