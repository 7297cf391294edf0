using System.Globalization;
using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Exec;

/// <summary>
/// The remaining candidate samplers of TF's candidate_sampler_ops.cc, on the <c>RangeSampler</c> batch logic of
/// range_sampler.cc (the same as <see cref="CandidateSamplerKernels"/>: with <c>unique</c>, draw until
/// <c>num_sampled</c> distinct values and give each expected count as <c>-expm1(tries·log1p(-p))</c>, else
/// <c>p·num_sampled</c>; each call reserves <c>2048·num_sampled</c> 32-bit samples of the op's Philox stream):
/// <list type="bullet">
/// <item><c>FixedUnigramCandidateSampler</c> (<c>FixedUnigramSampler</c>): weights from the <c>unigrams</c> attr or the
/// last comma-separated field of each line of <c>vocab_file</c> (exactly one of them), raised to <c>distortion</c>
/// (<c>std::pow</c>, stored as float), after <c>num_reserved_ids</c> zero weights; with <c>num_shards</c> &gt; 1 only ids
/// with <c>id % num_shards == shard</c> are kept (as TF, the file/unigram ids start at the number of reserved ids kept,
/// not at <c>num_reserved_ids</c>). The kept weights must number <c>range_max</c>. Probability = weight / float total
/// weight (0 outside the range); draws use Walker's alias table of TF's <c>DistributionSampler</c> (one
/// <c>RandFloat</c>, then <c>Uniform(n)</c>; bucket probabilities rounded to float).</item>
/// <item><c>LearnedUnigramCandidateSampler</c> / <c>ThreadUnsafeUnigramCandidateSampler</c> (<c>UnigramSampler</c> over a
/// <c>WeightedPicker</c>): every id starts with weight 1; a draw picks <c>Uniform32(total)</c> in the prefix sums; after
/// each call the true classes' weights grow by 1 (capped so the total stays below 2³¹ − 1). The weights live in the
/// kernel, i.e. per session, as TF's live in the op kernel.</item>
/// <item><c>AllCandidateSampler</c> (<c>AllSampler</c>): the ids 0 … num_sampled − 1, every expected count 1.</item>
/// </list>
/// </summary>
internal sealed class UnigramCandidateSamplerKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("FixedUnigramCandidateSampler", node => new FixedUnigramSampler(node));
        registry.Add("LearnedUnigramCandidateSampler", node => new LearnedUnigramSampler(node));
        registry.Add("ThreadUnsafeUnigramCandidateSampler", node => new LearnedUnigramSampler(node));
        registry.Add("AllCandidateSampler", node => new AllSampler(node));
    }

    /// <summary>TF's <c>BaseCandidateSamplerOp</c> with <c>RangeSampler::SampleBatchGetExpectedCountAvoid</c>.</summary>
    private abstract class RangeSamplerKernel : OpKernel
    {
        private readonly GuardedPhilox _stream;
        protected readonly int NumTrue, NumSampled;
        protected readonly bool Unique;

        protected RangeSamplerKernel(Node node) : base(node)
        {
            NumTrue = (int)node.GetInt("num_true");
            NumSampled = (int)node.GetInt("num_sampled");
            Unique = node.GetBool("unique");
            if (NumTrue < 1) throw KernelAttrs.Err(node, $"num_true must be >= 1, got {NumTrue}.");
            if (NumSampled < 1) throw KernelAttrs.Err(node, $"num_sampled must be >= 1, got {NumSampled}.");
            _stream = new GuardedPhilox(node.Name, node.GetInt("seed", 0), node.GetInt("seed2", 0));
        }

        protected abstract long Range { get; }

        protected abstract long Sample(ref SimplePhilox rnd);

        protected abstract float Probability(long value);

        /// <summary>Values the unique loop can reach at all (so it ends); TF would spin to its 2³¹-try CHECK.</summary>
        protected virtual long Reachable => Range;

        protected virtual void Update(OpKernelContext ctx, long[] trueIds) { }

        /// <summary>Samples and expected counts; samplers with state run this under their lock.</summary>
        protected virtual void SampleBatch(OpKernelContext ctx, ref SimplePhilox rnd, long[] trueIds, long[] sampled, float[] trueExpected, float[] sampledExpected)
        {
            int tries;
            if (Unique)
            {
                if (Reachable < NumSampled)
                    throw ctx.Error($"unique sampling of {NumSampled} candidates needs as many values with non-zero probability; the sampler has {Reachable}.");
                var used = new HashSet<long>();
                int picked = 0;
                tries = 0;
                while (picked < NumSampled)
                {
                    tries++;
                    long v = Sample(ref rnd);
                    if (used.Add(v)) sampled[picked++] = v;
                }
            }
            else
            {
                for (int i = 0; i < NumSampled; i++) sampled[i] = Sample(ref rnd);
                tries = NumSampled;
            }
            for (int i = 0; i < NumSampled; i++) sampledExpected[i] = ExpectedCount(Probability(sampled[i]), NumSampled, tries);
            for (int i = 0; i < trueIds.Length; i++) trueExpected[i] = ExpectedCount(Probability(trueIds[i]), NumSampled, tries);
        }

        // range_sampler.cc ExpectedCountHelper, in float as the C++ float overloads compute it.
        protected static float ExpectedCount(float p, int batchSize, int tries)
            => tries == batchSize ? p * batchSize : -float.ExpM1(tries * float.LogP1(-p));

        public override void Compute(OpKernelContext ctx)
        {
            var trueClasses = ctx.Input(0);
            if (trueClasses.Shape.Rank != 2) throw ctx.Error("true_classes must be a matrix");
            if (trueClasses.Shape[1] != NumTrue)
                throw ctx.Error($"true_classes must have num_true columns, expected: {trueClasses.Shape[1]} was: {NumTrue}");
            if (Unique && NumSampled > Range) throw ctx.Error("Sampler's range is too small.");
            var trueIds = IndexValues.Read(ctx, 0, "true_classes");
            var rnd = new SimplePhilox(_stream.Reserve(ctx, ((ulong)(2048 * NumSampled) + 3) / 4));
            var sampled = new long[NumSampled];
            var trueExpected = new float[trueIds.Length];
            var sampledExpected = new float[NumSampled];
            SampleBatch(ctx, ref rnd, trueIds, sampled, trueExpected, sampledExpected);
            sampled.CopyTo(ctx.AllocateOutput(0, DataType.DtInt64, new TensorShape(NumSampled)).AsSpan<long>());
            trueExpected.CopyTo(ctx.AllocateOutput(1, DataType.DtFloat, new TensorShape(trueClasses.Shape[0], NumTrue)).AsSpan<float>());
            sampledExpected.CopyTo(ctx.AllocateOutput(2, DataType.DtFloat, new TensorShape(NumSampled)).AsSpan<float>());
        }
    }

    /// <summary>SimplePhilox::Uniform(n): ExactUniformInt over 32-bit words.</summary>
    private static uint Uniform32(ref SimplePhilox rnd, uint n)
    {
        if (n == 0) return rnd.Rand32() * n;
        if ((n & (n - 1)) == 0) return rnd.Rand32() & (n - 1);
        uint rem = uint.MaxValue % n + 1;
        uint r;
        do r = rnd.Rand32(); while (r < rem);
        return r % n;
    }

    private sealed class FixedUnigramSampler : RangeSamplerKernel
    {
        private readonly long _range;
        private readonly float[] _weights;
        private readonly float _total;
        private readonly float[] _bucketProbability;
        private readonly int[] _alias;
        private readonly long _nonZero;

        public FixedUnigramSampler(Node node) : base(node)
        {
            _range = node.GetInt("range_max");
            if (_range < 1) throw KernelAttrs.Err(node, $"range_max must be >= 1, got {_range}.");
            string vocabFile = node.GetString("vocab_file", "");
            var unigrams = node.Attr("unigrams")?.List?.F.ToArray() ?? [];
            if (vocabFile.Length == 0 && unigrams.Length == 0) throw KernelAttrs.Err(node, "Must provide either vocab_file or unigrams.");
            if (vocabFile.Length != 0 && unigrams.Length != 0) throw KernelAttrs.Err(node, "Must only provide one of vocab_file and unigrams.");
            float distortion = node.GetFloat("distortion", 1f);
            long reserved = node.GetInt("num_reserved_ids", 0), shards = node.GetInt("num_shards", 1), shard = node.GetInt("shard", 0);
            if (shards < 1) throw KernelAttrs.Err(node, $"num_shards must be >= 1, got {shards}.");
            if (shard < 0) throw KernelAttrs.Err(node, $"shard must be >= 0, got {shard}.");
            var weights = new List<float>();
            float total = 0;
            // FillReservedIds: a zero weight for each reserved id of this shard.
            for (long id = 0; id < reserved; id++) if (id % shards == shard) weights.Add(0f);
            long wordId = weights.Count; // TF starts the vocabulary ids here (LoadFromFile / LoadFromUnigrams)
            void Add(float w)
            {
                if (wordId % shards == shard)
                {
                    w = (float)Math.Pow(w, distortion);
                    total += w;
                    weights.Add(w);
                }
                wordId++;
            }
            if (unigrams.Length > 0) foreach (float w in unigrams) Add(w);
            else foreach (var (line, text) in VocabularyLines(node, vocabFile))
                {
                    string last = line[(line.LastIndexOf(',') + 1)..];
                    // Only this shard's lines are parsed, as TF (a bad line of another shard is skipped).
                    if (wordId % shards == shard && !TryParseWeight(last, out _)) throw KernelAttrs.Err(node, $"Wrong vocabulary format at line: {text}");
                    Add(wordId % shards == shard ? ParseWeight(last) : 0f);
                }
            if (weights.Count != _range) throw KernelAttrs.Err(node, $"range is {_range} must be equal to weights size  {weights.Count}");
            _weights = [.. weights];
            _total = total;
            _nonZero = _weights.LongCount(w => w > 0);
            (_bucketProbability, _alias) = AliasTable(_weights);
        }

        protected override long Range => _range;

        protected override long Reachable => _nonZero;

        protected override float Probability(long value) => value < 0 || value >= _weights.Length ? 0f : _weights[value] / _total;

        // DistributionSampler::Sample: r = RandFloat(), idx = Uniform(n); the bucket itself if r < prob, else its alias.
        protected override long Sample(ref SimplePhilox rnd)
        {
            float r = Philox.ToFloat(rnd.Rand32());
            int idx = (int)Uniform32(ref rnd, (uint)_weights.Length);
            return r < _bucketProbability[idx] ? idx : _alias[idx];
        }

        /// <summary>TF's <c>DistributionSampler</c> constructor: Walker's alias method, pairing the last "low" bucket
        /// with the last "high" one (stacks), proportional weights in double, leftovers set to probability 1 and alias
        /// self.</summary>
        private static (float[] Probability, int[] Alias) AliasTable(float[] weights)
        {
            int n = weights.Length;
            var prob = new float[n];
            var alias = new int[n];
            var pr = new double[n];
            double sum = 0;
            for (int i = 0; i < n; i++) { sum += weights[i]; alias[i] = -1; }
            var high = new List<int>(n);
            var low = new List<int>(n);
            for (int i = 0; i < n; i++)
            {
                double p = weights[i] * n / sum;
                pr[i] = p;
                (p < 1.0 ? low : high).Add(i);
            }
            while (high.Count > 0 && low.Count > 0)
            {
                int l = low[^1];
                low.RemoveAt(low.Count - 1);
                int h = high[^1];
                high.RemoveAt(high.Count - 1);
                alias[l] = h;
                double remaining = pr[h] - (1.0 - pr[l]);
                pr[h] = remaining;
                (remaining < 1.0 ? low : high).Add(h);
            }
            for (int i = 0; i < n; i++) prob[i] = (float)pr[i];
            foreach (int i in high) { prob[i] = 1; alias[i] = i; }
            foreach (int i in low) { prob[i] = 1; alias[i] = i; }
            return (prob, alias);
        }

        /// <summary>The file's lines as TF's InputBuffer::ReadLine gives them ("\n" or "\r\n" removed; no empty line
        /// after a final newline), each with its text for error messages.</summary>
        private static IEnumerable<(string Line, string Text)> VocabularyLines(Node node, string path)
        {
            string content;
            try { content = File.ReadAllText(path); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                throw KernelAttrs.Err(node, $"vocab_file '{path}' could not be read: {e.Message}");
            }
            var lines = content.Split('\n');
            int count = content.EndsWith('\n') ? lines.Length - 1 : lines.Length;
            for (int i = 0; i < count; i++)
            {
                string line = lines[i].EndsWith('\r') ? lines[i][..^1] : lines[i];
                yield return (line, line);
            }
        }

        private static float ParseWeight(string s) => TryParseWeight(s, out float w) ? w : 0f;

        /// <summary>TF's <c>safe_strtof</c>: the whole field (surrounding spaces allowed) must be a float, "inf"/"nan"
        /// spelled in any case included.</summary>
        private static bool TryParseWeight(string s, out float value)
        {
            string t = s.Trim(' ', '\t', '\n', '\v', '\f', '\r');
            string lower = t.ToLowerInvariant().TrimStart('+');
            bool negative = lower.StartsWith('-');
            string bare = negative ? lower[1..] : lower;
            if (bare is "inf" or "infinity") { value = negative ? float.NegativeInfinity : float.PositiveInfinity; return true; }
            if (bare is "nan") { value = float.NaN; return true; }
            return float.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && t.Length > 0;
        }
    }

    private sealed class LearnedUnigramSampler : RangeSamplerKernel
    {
        private readonly object _gate = new();
        private readonly long _range;
        private readonly int[] _weights;
        private int _total;

        public LearnedUnigramSampler(Node node) : base(node)
        {
            _range = node.GetInt("range_max");
            if (_range < 1) throw KernelAttrs.Err(node, $"range_max must be >= 1, got {_range}.");
            // ThreadUnsafeUnigramSampler: CHECK_LT(range, kint32max); a WeightedPicker with every weight 1.
            if (_range >= int.MaxValue) throw KernelAttrs.Err(node, $"range_max must be < {int.MaxValue} for a unigram sampler, got {_range}.");
            _weights = new int[_range];
            Array.Fill(_weights, 1);
            _total = (int)_range;
        }

        protected override long Range => _range;

        protected override long Reachable => _weights.LongCount(w => w > 0);

        protected override float Probability(long value) => (float)_weights[value] / _total;

        // WeightedPicker::Pick: PickAt(UnbiasedUniform(total)) — the first id whose prefix sum exceeds the draw.
        protected override long Sample(ref SimplePhilox rnd)
        {
            long position = Uniform32(ref rnd, (uint)_total);
            for (int i = 0; i < _weights.Length; i++)
            {
                if (position < _weights[i]) return i;
                position -= _weights[i];
            }
            return -1;
        }

        protected override void SampleBatch(OpKernelContext ctx, ref SimplePhilox rnd, long[] trueIds, long[] sampled, float[] trueExpected, float[] sampledExpected)
        {
            foreach (long id in trueIds)
                if (id < 0 || id >= _range) throw ctx.Error($"true_classes value {id} is outside [0, {_range}) (range_max).");
            lock (_gate)
            {
                base.SampleBatch(ctx, ref rnd, trueIds, sampled, trueExpected, sampledExpected);
                // ThreadUnsafeUnigramSampler::Update, after the batch: +1 per true class, capped below 2³¹ − 1 in total.
                int updates = (int)Math.Min(trueIds.Length, (long)int.MaxValue - _total);
                for (int i = 0; i < updates; i++) _weights[trueIds[i]]++;
                _total += updates;
            }
        }
    }

    private sealed class AllSampler : RangeSamplerKernel
    {
        public AllSampler(Node node) : base(node) { }

        protected override long Range => NumSampled;

        protected override long Sample(ref SimplePhilox rnd) => throw new InvalidOperationException("AllSampler does not draw.");

        protected override float Probability(long value) => 1f;

        // AllSampler::SampleBatchGetExpectedCountAvoid: 0 … n − 1 and expected counts of 1, no random draws.
        protected override void SampleBatch(OpKernelContext ctx, ref SimplePhilox rnd, long[] trueIds, long[] sampled, float[] trueExpected, float[] sampledExpected)
        {
            for (int i = 0; i < sampled.Length; i++) sampled[i] = i;
            Array.Fill(sampledExpected, 1f);
            Array.Fill(trueExpected, 1f);
        }
    }
}
