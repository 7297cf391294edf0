using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Exec;

/// <summary>
/// Multinomial and StatelessMultinomial, following tensorflow/core/kernels/multinomial_op.cc (the CPU
/// MultinomialFunctor): per row of the <c>[batch, classes]</c> logits, an unnormalised CDF of
/// <c>exp(logit - max finite logit)</c> in double over the finite logits (a non-finite logit adds nothing, so
/// -inf classes are never drawn), then each sample is the first class whose CDF exceeds
/// <c>RandDouble() * total</c> (std::upper_bound). Random bits: the op reserves
/// <c>batch * ceil4(num_samples) * 2 * 256</c> 128-bit samples per call (ReserveRandomOutputs), and rows draw from one
/// SimplePhilox stream in order. TF splits the rows across its thread pool when the batch is big enough, each
/// shard skipping <c>start_row * (num_samples + 3) / 4</c> from the call's start; we never split, so our rows
/// equal TF's only where TF ran the batch as one shard (whether our Philox words equal TF's at all is the open
/// question docs/compat.md describes). StatelessMultinomial seeds from its <c>seed</c> input via TF's GenerateKey.
/// </summary>
internal sealed class MultinomialKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("Multinomial", node => new Multinomial(node, stateless: false));
        registry.Add("StatelessMultinomial", node => new Multinomial(node, stateless: true));
    }

    private sealed class Multinomial : OpKernel
    {
        private readonly bool _stateless;
        private readonly DataType _outType;
        private readonly GuardedPhilox? _stream;

        public Multinomial(Node node, bool stateless) : base(node)
        {
            _stateless = stateless;
            _outType = node.GetType("output_dtype", DataType.DtInt64);
            if (_outType is not (DataType.DtInt32 or DataType.DtInt64))
                throw KernelAttrs.Err(node, $"output_dtype must be int32 or int64, got {DataTypes.Name(_outType)}.");
            if (!stateless) _stream = new GuardedPhilox(node.Name, node.GetInt("seed", 0), node.GetInt("seed2", 0));
        }

        public override void Compute(OpKernelContext ctx)
        {
            var logits = ctx.Input(0);
            var numSamplesT = ctx.Input(1);
            if (logits.Shape.Rank != 2) throw ctx.Error($"logits should be a matrix, got shape {logits.Shape}");
            if (numSamplesT.Shape.Rank != 0) throw ctx.Error($"num_samples should be a scalar, got shape {numSamplesT.Shape}");
            long numSamples = IndexValues.Scalar(ctx, 1, "num_samples");
            if (numSamples < 0) throw ctx.Error($"num_samples should be non-negative, got {numSamples}");
            int batch = logits.Shape[0], classes = logits.Shape[1];
            if (classes <= 0) throw ctx.Error($"num_classes should be positive, got {classes}");
            double[] x = logits.DType switch
            {
                DataType.DtFloat => Array.ConvertAll(logits.ToArray<float>(), v => (double)v),
                DataType.DtDouble => logits.ToArray<double>(),
                DataType.DtHalf => Array.ConvertAll(logits.ToArray<Half>(), v => (double)v),
                _ => throw ctx.Error($"logits must be half, float or double, got {DataTypes.Name(logits.DType)}."),
            };
            Philox start;
            if (_stateless)
            {
                var seed = ctx.Input(2);
                if (seed.Shape.Rank != 1 || seed.Shape[0] != 2) throw ctx.Error($"seed must have shape [2], not {seed.Shape}");
                var s = IndexValues.Read(ctx, 2, "seed");
                start = GuardedPhilox.StatelessGenerator(s[0], s[1]);
            }
            else start = default;
            var o = ctx.AllocateOutput(0, _outType, new TensorShape(batch, checked((int)numSamples)));
            if (o.NumElements == 0) return;
            ulong ceil4 = (ulong)(numSamples + 3) / 4 * 4 * 2; // the CPU kernel draws doubles: two words per sample
            if (!_stateless) start = _stream!.Reserve(ctx, (ulong)batch * ceil4 * 256);
            var rnd = new SimplePhilox(start);
            var cdf = new double[classes];
            for (int b = 0; b < batch; b++)
            {
                double max = double.MinValue; // std::numeric_limits<T>::lowest(), over the finite logits
                for (int j = 0; j < classes; j++)
                    if (double.IsFinite(x[b * classes + j])) max = Math.Max(max, x[b * classes + j]);
                double total = 0;
                for (int j = 0; j < classes; j++)
                {
                    double v = x[b * classes + j];
                    if (double.IsFinite(v)) total += Math.Exp(v - max);
                    cdf[j] = total;
                }
                for (long k = 0; k < numSamples; k++)
                {
                    double target = rnd.RandDouble() * total;
                    int lo = 0, hi = classes; // upper_bound: first index with cdf > target
                    while (lo < hi)
                    {
                        int mid = (lo + hi) >>> 1;
                        if (cdf[mid] > target) hi = mid;
                        else lo = mid + 1;
                    }
                    long i = b * numSamples + k;
                    if (_outType == DataType.DtInt64) o.AsSpan<long>()[(int)i] = lo;
                    else o.AsSpan<int>()[(int)i] = lo;
                }
            }
        }
    }
}
