using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;
using static TypedGraph.Tests.Support.OpHarness;

namespace TypedGraph.Tests.Kernels;

/// <summary>
/// The random ops against TensorFlow's own numbers and layout. The known answers are TF's published samples in
/// tensorflow/python/kernel_tests/random/stateful_random_ops_test.py (testTF1): <c>Generator.from_seed(1234).normal([2, 3])</c>
/// twice. from_seed(1234) makes the state [1234, 0, 0] (counter 1234, key 0; see testCreateRNGStateIntSeed there), its
/// op fills with the same FillPhiloxRandom + NormalDistribution as RandomStandardNormal (testSameAsOldRandomOpsCPU), and
/// each call moves the counter by 256 per output. TF's test compares at 1e-5 (sin/log of different libms); so do we.
/// The per-dtype layouts (double truncated normal, half uniform) are checked against references written here from
/// random_distributions.h.
/// </summary>
public class PhiloxKnownAnswerTests
{
    private static readonly float[] TfNormalFirst = [0.9356609f, 1.0854305f, -0.93788373f, -0.50615472f, 1.31697023f, 0.71375787f];
    private static readonly float[] TfNormalSecond = [-0.3964749f, 0.8369565f, -0.30946946f, 1.1206646f, 1.00852597f, -0.10185789f];

    [Fact]
    public void NormalFloatMatchesTfPublishedSamples()
    {
        var first = Tensor.Zeros(DataType.DtFloat, new TensorShape(2, 3));
        RandomKernels.RandomKernel.FillNormal(Philox.FromCounterAndKey(1234, 0, 0), first, 6);
        var second = Tensor.Zeros(DataType.DtFloat, new TensorShape(2, 3));
        RandomKernels.RandomKernel.FillNormal(Philox.FromCounterAndKey(1234 + 6 * 256, 0, 0), second, 6);
        for (int i = 0; i < 6; i++)
        {
            Assert.Equal(TfNormalFirst[i], first.ToArray<float>()[i], 1e-5f);
            Assert.Equal(TfNormalSecond[i], second.ToArray<float>()[i], 1e-5f);
        }
    }

    [Fact]
    public void RandomStandardNormalOpReservesTfsSamplesPerCall()
    {
        // The op keys its stream with (seed, seed2) as TF's PhiloxRandom(seed, seed2): key = seed, counter words 2–3 = seed2.
        // Its second run starts 256 counter steps per output later, as the TF values above show for the stateful op.
        var g = new TypedGraph.Tests.Support.ExecGraph();
        g.Const("shape", Tensor.Create(new[] { 6 }, 1));
        g.Op("r", "RandomStandardNormal", ["shape"], Attrs(("dtype", DataType.DtFloat), ("T", DataType.DtInt32), ("seed", 79L), ("seed2", 25L)));
        using var s = new Session(g.Graph);
        var runs = new[] { s.Run("r:0").ToArray<float>(), s.Run("r:0").ToArray<float>() };
        for (int call = 0; call < 2; call++)
        {
            var gen = new Philox(79, 25);
            gen.Skip((ulong)call * 6 * 256);
            var expected = new List<float>();
            while (expected.Count < 6)
            {
                var (a, b, c, d) = gen.Next();
                expected.AddRange(BoxMullerFloat(a, b));
                expected.AddRange(BoxMullerFloat(c, d));
            }
            Assert.Equal(expected.Take(6).ToArray(), runs[call]);
        }
    }

    [Fact]
    public void TruncatedNormalDoubleUsesDoubleBoxMullerInGroupsOfTwo()
    {
        // TF: TruncatedNormalDistribution<double> returns 2 values per group from BoxMullerDouble over 4 samples, and each
        // group starts 2·256/4 = 128 counter steps after the previous one (FillPhiloxRandomTask, variable samples).
        const int n = 7;
        var o = Tensor.Zeros(DataType.DtDouble, new TensorShape(n));
        RandomKernels.RandomKernel.FillTruncated(new Philox(5, 6), o, n);
        var expected = new double[n];
        for (int group = 0; group * 2 < n; group++)
        {
            var gen = new Philox(5, 6);
            gen.Skip((ulong)group * 128);
            var samples = new Queue<uint>();
            int filled = 0;
            while (filled < 2 && group * 2 + filled < n)
            {
                while (samples.Count < 4) { var (a, b, c, d) = gen.Next(); samples.Enqueue(a); samples.Enqueue(b); samples.Enqueue(c); samples.Enqueue(d); }
                var (d0, d1) = BoxMullerDouble(samples.Dequeue(), samples.Dequeue(), samples.Dequeue(), samples.Dequeue());
                foreach (var v in new[] { d0, d1 })
                    if (Math.Abs(v) < 2 && filled < 2 && group * 2 + filled < n) expected[group * 2 + filled++] = v;
            }
        }
        Assert.Equal(expected, o.ToArray<double>());
    }

    [Fact]
    public void UniformHalfTakesTenBitsOfEachSample()
    {
        // TF: UniformDistribution<half> is Uint16ToHalf(sample): exponent 15, mantissa = low 10 bits, minus 1.
        var o = Tensor.Zeros(DataType.DtHalf, new TensorShape(6));
        RandomKernels.RandomKernel.FillUniform(new Philox(11, 12), o, 6);
        var gen = new Philox(11, 12);
        var u = new List<uint>();
        while (u.Count < 6) { var (a, b, c, d) = gen.Next(); u.AddRange([a, b, c, d]); }
        var expected = u.Take(6).Select(x => (Half)((x & 0x3FF) / 1024.0)).ToArray();
        Assert.Equal(expected, o.ToArray<Half>());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(7)]
    [InlineData(258)]
    public void UniformFloatTakesTwentyThreeBitsOfEachSampleInOrder(int n)
    {
        // TF: UniformDistribution<float> is Uint32ToFloat(sample) = 1.mantissa(23 low bits) - 1, four samples per block, in
        // block order; a partial last block uses its first samples.
        var o = Tensor.Zeros(DataType.DtFloat, new TensorShape(n));
        RandomKernels.RandomKernel.FillUniform(new Philox(21, 22), o, n);
        var gen = new Philox(21, 22);
        var u = new List<uint>();
        while (u.Count < n) { var (a, b, c, d) = gen.Next(); u.AddRange([a, b, c, d]); }
        var expected = u.Take(n).Select(x => (float)((x & 0x7FFFFF) / 8388608.0)).ToArray();
        Assert.Equal(expected, o.ToArray<float>());
    }

    private static float[] BoxMullerFloat(uint x0, uint x1)
    {
        // random_distributions_utils.h BoxMullerFloat: u1 = max(uniform(x0), 1e-7), v1 = 2π·uniform(x1), r = sqrt(-2 ln u1).
        float u1 = Math.Max(BitConverter.UInt32BitsToSingle((x0 & 0x7FFFFF) | 0x3F800000) - 1f, 1e-7f);
        float v1 = 2f * MathF.PI * (BitConverter.UInt32BitsToSingle((x1 & 0x7FFFFF) | 0x3F800000) - 1f);
        float r = MathF.Sqrt(-2f * MathF.Log(u1));
        return [MathF.Sin(v1) * r, MathF.Cos(v1) * r];
    }

    private static (double, double) BoxMullerDouble(uint x0, uint x1, uint x2, uint x3)
    {
        static double U(uint hi, uint lo) => BitConverter.UInt64BitsToDouble(((ulong)(hi & 0xFFFFF) << 32 | lo) | 0x3FF0000000000000UL) - 1.0;
        double u1 = Math.Max(U(x0, x1), 1e-7);
        double v1 = 2 * Math.PI * U(x2, x3);
        double r = Math.Sqrt(-2 * Math.Log(u1));
        return (Math.Sin(v1) * r, Math.Cos(v1) * r);
    }
}
