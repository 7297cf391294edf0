using TypedGraph.Protos;

namespace TypedGraph.Kernels.Exec;

/// <summary>
/// RandomStandardNormal, TruncatedNormal (|x| &lt; 2, resampled), RandomUniform ([0, 1)), RandomUniformInt
/// ([minval, maxval)). Seeds follow TF: attrs <c>seed</c>/<c>seed2</c> (already resolved from the graph seed
/// by Python) key a per-kernel Philox stream, so a seeded op is deterministic and every run continues the
/// stream (a second run gives new numbers, as in TF). Both 0 means random seeds, unless the session has a
/// <c>SessionOptions.GraphSeed</c>, which then seeds (GraphSeed, hash of the node name).
/// Groups of outputs are filled as TF's FillPhiloxRandom lays them out (random_op.cc, random_distributions.h); the float
/// normal path is checked against TF's own known-answer values in <c>PhiloxKnownAnswerTests</c>.
/// </summary>
internal sealed class RandomKernels : KernelSet
{
    /// <summary>TF reserves 256 samples per output for every call (ReserveRandomOutputs).</summary>
    private const ulong ReservedPerOutput = 256;

    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("RandomStandardNormal", node => new RandomKernel(node, Distribution.Normal));
        registry.Add("TruncatedNormal", node => new RandomKernel(node, Distribution.TruncatedNormal));
        registry.Add("RandomUniform", node => new RandomKernel(node, Distribution.Uniform));
        registry.Add("RandomUniformInt", node => new RandomKernel(node, Distribution.UniformInt));
    }

    internal enum Distribution { Normal, TruncatedNormal, Uniform, UniformInt }

    internal sealed class RandomKernel : OpKernel
    {
        private readonly Distribution _dist;
        private readonly DataType _dtype;
        private readonly GuardedPhilox _stream;

        public RandomKernel(Node node, Distribution dist) : base(node)
        {
            _dist = dist;
            _dtype = dist == Distribution.UniformInt ? node.GetType("Tout", DataType.DtInt32) : node.GetType("dtype", DataType.DtFloat);
            _stream = new GuardedPhilox(node.Name, node.GetInt("seed", 0), node.GetInt("seed2", 0));
            bool ok = dist == Distribution.UniformInt ? _dtype is DataType.DtInt32 or DataType.DtInt64
                : _dtype is DataType.DtFloat or DataType.DtDouble or DataType.DtHalf;
            if (!ok) throw new GraphFormatException($"{node.Op} node '{node.Name}': dtype {DataTypes.Name(_dtype)} is not supported.");
        }

        public override void Compute(OpKernelContext ctx)
        {
            var dims = IndexValues.Read(ctx, 0, "shape");
            if (dims.Any(d => d < 0 || d > int.MaxValue)) throw ctx.Error($"shape [{string.Join(", ", dims)}] is invalid.");
            var o = ctx.AllocateOutput(0, _dtype, new TensorShape(dims.Select(d => (int)d).ToArray()));
            int n = checked((int)o.NumElements);
            var gen = Reserve(ctx, (ulong)n);
            switch (_dist)
            {
                case Distribution.Normal: FillNormal(gen, o, n); break;
                case Distribution.TruncatedNormal: FillTruncated(gen, o, n); break;
                case Distribution.Uniform: FillUniform(gen, o, n); break;
                default: FillInt(ctx, gen, o, n); break;
            }
        }

        /// <summary>Hands out this call's starting generator and moves the stream past it (GuardedPhiloxRandom).</summary>
        private Philox Reserve(OpKernelContext ctx, ulong outputs) => _stream.Reserve(ctx, outputs * ReservedPerOutput);

        private static void Put(Tensor o, int i, double v)
        {
            if (o.DType == DataType.DtFloat) o.AsSpan<float>()[i] = (float)v;
            else if (o.DType == DataType.DtDouble) o.AsSpan<double>()[i] = v;
            else o.AsSpan<Half>()[i] = (Half)v;
        }

        internal static void FillNormal(Philox gen, Tensor o, int n)
        {
            if (o.DType == DataType.DtDouble)
            {
                for (int i = 0; i < n; i += 2)
                {
                    var (a, b, c, d) = gen.Next();
                    var (f0, f1) = Philox.BoxMuller(a, b, c, d);
                    Put(o, i, f0);
                    if (i + 1 < n) Put(o, i + 1, f1);
                }
                return;
            }
            for (int i = 0; i < n; i += 4)
            {
                var (a, b, c, d) = gen.Next();
                var (f0, f1) = Philox.BoxMuller(a, b);
                var (f2, f3) = Philox.BoxMuller(c, d);
                ReadOnlySpan<float> f = [f0, f1, f2, f3];
                for (int k = 0; k < 4 && i + k < n; k++) Put(o, i + k, f[k]);
            }
        }

        internal static void FillUniform(Philox gen, Tensor o, int n)
        {
            if (o.DType == DataType.DtDouble)
            {
                for (int i = 0; i < n; i += 2)
                {
                    var (a, b, c, d) = gen.Next();
                    Put(o, i, Philox.ToDouble(a, b));
                    if (i + 1 < n) Put(o, i + 1, Philox.ToDouble(c, d));
                }
                return;
            }
            if (o.DType == DataType.DtFloat)
            {
                // The float case (dropout masks, initializers) with the output span taken once: per sample only the
                // generator and TF's Uint32ToFloat.
                var dst = o.AsSpan<float>()[..n];
                int full = n & ~3;
                for (int i = 0; i < full; i += 4)
                {
                    var (a, b, c, d) = gen.Next();
                    dst[i] = Philox.ToFloat(a);
                    dst[i + 1] = Philox.ToFloat(b);
                    dst[i + 2] = Philox.ToFloat(c);
                    dst[i + 3] = Philox.ToFloat(d);
                }
                if (full < n)
                {
                    var (a, b, c, _) = gen.Next();
                    dst[full] = Philox.ToFloat(a);
                    if (full + 1 < n) dst[full + 1] = Philox.ToFloat(b);
                    if (full + 2 < n) dst[full + 2] = Philox.ToFloat(c);
                }
                return;
            }
            bool half = o.DType == DataType.DtHalf;
            for (int i = 0; i < n; i += 4)
            {
                var (a, b, c, d) = gen.Next();
                ReadOnlySpan<uint> u = [a, b, c, d];
                for (int k = 0; k < 4 && i + k < n; k++)
                {
                    // half takes 10 mantissa bits from the low 16 bits of each sample (TF's Uint16ToHalf), not a rounded float.
                    if (half) o.AsSpan<Half>()[i + k] = Philox.ToHalf(u[k]);
                    else Put(o, i + k, Philox.ToFloat(u[k]));
                }
            }
        }

        /// <summary>
        /// TF's TruncatedNormalDistribution under FillPhiloxRandom's variable-samples layout: each group of outputs (4 for
        /// float/half from float Box–Muller, 2 for double from double Box–Muller) starts from the call's generator skipped by
        /// group · 256 samples, and draws pairs until the group has enough values with |x| &lt; 2.
        /// </summary>
        internal static void FillTruncated(Philox baseGen, Tensor o, int n)
        {
            bool isDouble = o.DType == DataType.DtDouble;
            int group = isDouble ? 2 : 4;
            Span<uint> buf = stackalloc uint[4];
            for (int g = 0; (long)g * group < n; g++)
            {
                var gen = baseGen;
                gen.Skip((ulong)g * (ulong)group * ReservedPerOutput / 4);
                int used = 4, filled = 0, at = g * group, want = Math.Min(group, n - at);
                uint NextSample(ref Philox p, Span<uint> b)
                {
                    if (used == 4)
                    {
                        var (a, bb, c, d) = p.Next();
                        b[0] = a; b[1] = bb; b[2] = c; b[3] = d;
                        used = 0;
                    }
                    return b[used++];
                }
                while (filled < want)
                {
                    double v0, v1;
                    if (isDouble)
                    {
                        uint x0 = NextSample(ref gen, buf), x1 = NextSample(ref gen, buf), x2 = NextSample(ref gen, buf), x3 = NextSample(ref gen, buf);
                        (v0, v1) = Philox.BoxMuller(x0, x1, x2, x3);
                    }
                    else
                    {
                        uint x0 = NextSample(ref gen, buf), x1 = NextSample(ref gen, buf);
                        var (f0, f1) = Philox.BoxMuller(x0, x1);
                        (v0, v1) = (f0, f1);
                    }
                    if (Math.Abs(v0) < 2 && filled < want) Put(o, at + filled++, v0);
                    if (Math.Abs(v1) < 2 && filled < want) Put(o, at + filled++, v1);
                }
            }
        }

        private static void FillInt(OpKernelContext ctx, Philox gen, Tensor o, int n)
        {
            long lo = IndexValues.Scalar(ctx, 1, "minval"), hi = IndexValues.Scalar(ctx, 2, "maxval");
            if (lo >= hi) throw ctx.Error($"needs minval < maxval, got [{lo}, {hi}).");
            if (o.DType == DataType.DtInt32)
            {
                uint range = (uint)(hi - lo);
                var d = o.AsSpan<int>();
                for (int i = 0; i < n; i += 4)
                {
                    var (a, b, c, e) = gen.Next();
                    ReadOnlySpan<uint> u = [a, b, c, e];
                    for (int k = 0; k < 4 && i + k < n; k++) d[i + k] = (int)(lo + u[k] % range);
                }
                return;
            }
            ulong range64 = (ulong)(hi - lo);
            var d64 = o.AsSpan<long>();
            for (int i = 0; i < n; i += 2)
            {
                var (a, b, c, e) = gen.Next();
                d64[i] = lo + (long)((a | ((ulong)b << 32)) % range64);
                if (i + 1 < n) d64[i + 1] = lo + (long)((c | ((ulong)e << 32)) % range64);
            }
        }
    }
}
