using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Exec;

/// <summary>
/// UniformCandidateSampler and LogUniformCandidateSampler, following tensorflow/core/kernels/candidate_sampler_ops.cc
/// (BaseCandidateSamplerOp) and range_sampler.cc. Outputs: <c>num_sampled</c> int64 candidates in [0, range_max), the
/// expected count of each true class <c>[batch, num_true]</c> and of each sampled candidate (float). Uniform draws
/// <c>Uniform64(range_max)</c> with probability 1/range; log-uniform (Zipfian) draws
/// <c>(int64)exp(RandDouble() * log1p(range)) - 1</c> (mod range) with probability
/// <c>log((v + 2) / (v + 1)) / log1p(range)</c>. With <c>unique</c> candidates are drawn until <c>num_sampled</c>
/// distinct ones are found and each expected count is <c>-expm1(tries * log1p(-p))</c>; otherwise it is
/// <c>p * num_sampled</c>. Each call reserves <c>2048 * num_sampled</c> 32-bit samples of the op's Philox stream
/// (ReserveSamples32), seeded from <c>seed</c>/<c>seed2</c> like the other stateful random ops.
/// </summary>
internal sealed class CandidateSamplerKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("UniformCandidateSampler", node => new CandidateSampler(node, logUniform: false));
        registry.Add("LogUniformCandidateSampler", node => new CandidateSampler(node, logUniform: true));
    }

    private sealed class CandidateSampler : OpKernel
    {
        private readonly bool _logUniform, _unique;
        private readonly int _numTrue, _numSampled;
        private readonly long _range;
        private readonly double _logRange;
        private readonly GuardedPhilox _stream;

        public CandidateSampler(Node node, bool logUniform) : base(node)
        {
            _logUniform = logUniform;
            _numTrue = (int)node.GetInt("num_true");
            _numSampled = (int)node.GetInt("num_sampled");
            _unique = node.GetBool("unique");
            _range = node.GetInt("range_max");
            if (_numTrue < 1) throw KernelAttrs.Err(node, $"num_true must be >= 1, got {_numTrue}.");
            if (_numSampled < 1) throw KernelAttrs.Err(node, $"num_sampled must be >= 1, got {_numSampled}.");
            if (_range < 1) throw KernelAttrs.Err(node, $"range_max must be >= 1, got {_range}.");
            _logRange = double.LogP1(_range); // log1p(range), as LogUniformSampler's log_range_
            _stream = new GuardedPhilox(node.Name, node.GetInt("seed", 0), node.GetInt("seed2", 0));
        }

        private long Sample(ref SimplePhilox rnd)
        {
            if (!_logUniform) return (long)rnd.Uniform64((ulong)_range);
            long value = (long)Math.Exp(rnd.RandDouble() * _logRange) - 1;
            return value % _range;
        }

        private float Probability(long value) => _logUniform
            ? (float)(Math.Log((value + 2.0) / (value + 1.0)) / _logRange)
            : (float)(1.0 / _range);

        // ExpectedCountHelper: the chance a value shows up in a batch drawn with `tries` draws (in float, as the
        // C++ float overloads of expm1/log1p compute it).
        private static float ExpectedCount(float p, int batchSize, int tries)
            => tries == batchSize ? p * batchSize : -float.ExpM1(tries * float.LogP1(-p));

        public override void Compute(OpKernelContext ctx)
        {
            var trueClasses = ctx.Input(0);
            if (trueClasses.Shape.Rank != 2) throw ctx.Error("true_classes must be a matrix");
            if (trueClasses.Shape[1] != _numTrue)
                throw ctx.Error($"true_classes must have num_true columns, expected: {trueClasses.Shape[1]} was: {_numTrue}");
            if (_unique && _numSampled > _range) throw ctx.Error("Sampler's range is too small.");
            var trueIds = IndexValues.Read(ctx, 0, "true_classes");
            int batch = trueClasses.Shape[0];
            var rnd = new SimplePhilox(_stream.Reserve(ctx, ((ulong)(2048 * _numSampled) + 3) / 4));
            var sampled = new long[_numSampled];
            int tries;
            if (_unique)
            {
                var used = new HashSet<long>();
                int picked = 0;
                tries = 0;
                while (picked < _numSampled)
                {
                    tries++;
                    long v = Sample(ref rnd);
                    if (used.Add(v)) sampled[picked++] = v;
                }
            }
            else
            {
                for (int i = 0; i < _numSampled; i++) sampled[i] = Sample(ref rnd);
                tries = _numSampled;
            }
            sampled.CopyTo(ctx.AllocateOutput(0, DataType.DtInt64, new TensorShape(_numSampled)).AsSpan<long>());
            var trueExpected = ctx.AllocateOutput(1, DataType.DtFloat, new TensorShape(batch, _numTrue)).AsSpan<float>();
            for (int i = 0; i < trueIds.Length; i++) trueExpected[i] = ExpectedCount(Probability(trueIds[i]), _numSampled, tries);
            var sampledExpected = ctx.AllocateOutput(2, DataType.DtFloat, new TensorShape(_numSampled)).AsSpan<float>();
            for (int i = 0; i < _numSampled; i++) sampledExpected[i] = ExpectedCount(Probability(sampled[i]), _numSampled, tries);
        }
    }
}
