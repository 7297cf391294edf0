using System.Text;
using Google.Protobuf;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Exec;

/// <summary>
/// ScalarSummary, HistogramSummary and MergeSummary: each returns a serialized <see cref="Summary"/> proto in
/// a scalar string tensor, as TF's summary kernels do, so logging training graphs run unchanged.
/// Histograms use TF's default exponential buckets (±1e-12·1.1^k up to 1e20, plus ±DBL_MAX and 0).
/// </summary>
public sealed class SummaryKernels : KernelSet
{
    private static readonly double[] s_limits = DefaultLimits();

    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("ScalarSummary", node => new DelegateKernel(node, ctx =>
        {
            var tags = ctx.Input(0);
            var values = ctx.Input(1);
            if (tags.Shape != values.Shape) throw ctx.Error($"tags and values must have the same shape, got {tags.Shape} and {values.Shape}.");
            var s = new Summary();
            for (int i = 0; i < values.NumElements; i++)
                s.Value.Add(new Summary.Types.Value { Tag = Encoding.UTF8.GetString(tags.Strings[i]), SimpleValue = (float)ScalarValues.GetDouble(values, i) });
            ctx.SetOutput(0, Serialized(s));
        }));
        registry.Add("HistogramSummary", node => new DelegateKernel(node, ctx =>
        {
            var tagTensor = ctx.Input(0);
            if (tagTensor.DType != DataType.DtString || tagTensor.NumElements != 1) throw ctx.Error("tag must be a string scalar.");
            var tag = Encoding.UTF8.GetString(tagTensor.Strings[0]);
            var values = ctx.Input(1);
            var s = new Summary();
            s.Value.Add(new Summary.Types.Value { Tag = tag, Histo = Histogram(ctx, tag, values) });
            ctx.SetOutput(0, Serialized(s));
        }));
        registry.Add("MergeSummary", node => new DelegateKernel(node, ctx =>
        {
            var merged = new Summary();
            var tags = new HashSet<string>(StringComparer.Ordinal);
            for (int i = 0; i < ctx.InputCount; i++)
            {
                foreach (var bytes in ctx.Input(i).Strings)
                {
                    Summary part;
                    try
                    {
                        part = Summary.Parser.ParseFrom(bytes);
                    }
                    catch (InvalidProtocolBufferException e)
                    {
                        throw ctx.Error($"input {i} is not a serialized Summary: {e.Message}");
                    }
                    foreach (var v in part.Value)
                    {
                        if (!tags.Add(v.Tag)) throw ctx.Error($"Duplicate tag {v.Tag} found in summary inputs.");
                        merged.Value.Add(v);
                    }
                }
            }
            ctx.SetOutput(0, Serialized(merged));
        }));
    }

    private static Tensor Serialized(Summary s) => new(TensorShape.Scalar, [s.ToByteArray()]);

    /// <summary>TF's <c>histogram::Histogram</c> Add + EncodeToProto(preserve_zero_buckets = false).</summary>
    internal static HistogramProto Histogram(Kernels.OpKernelContext ctx, string tag, Tensor values)
    {
        var counts = new double[s_limits.Length];
        double min = s_limits[^1], max = -s_limits[^1], sum = 0, sumSq = 0;
        int n = checked((int)values.NumElements);
        for (int i = 0; i < n; i++)
        {
            double v = ScalarValues.GetDouble(values, i);
            if (!double.IsFinite(v)) throw ctx.Error($"{(double.IsNaN(v) ? "Nan" : "Infinity")} in summary histogram for: {tag}");
            int b = UpperBound(v);
            counts[b] += 1;
            min = Math.Min(min, v);
            max = Math.Max(max, v);
            sum += v;
            sumSq += v * v;
        }
        var p = new HistogramProto { Min = min, Max = max, Num = n, Sum = sum, SumSquares = sumSq };
        for (int i = 0; i < counts.Length;)
        {
            double end = s_limits[i], count = counts[i];
            i++;
            if (count <= 0)
            {
                // A run of empty buckets collapses into one entry ending at the run's last limit.
                while (i < counts.Length && counts[i] <= 0)
                {
                    end = s_limits[i];
                    count = counts[i];
                    i++;
                }
            }
            p.BucketLimit.Add(end);
            p.Bucket.Add(count);
        }
        if (p.Bucket.Count == 0)
        {
            p.BucketLimit.Add(double.MaxValue);
            p.Bucket.Add(0);
        }
        return p;
    }

    private static int UpperBound(double v)
    {
        int lo = 0, hi = s_limits.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (s_limits[mid] <= v) lo = mid + 1;
            else hi = mid;
        }
        return Math.Min(lo, s_limits.Length - 1);
    }

    private static double[] DefaultLimits()
    {
        var pos = new List<double>();
        for (double v = 1e-12; v < 1e20; v *= 1.1) pos.Add(v);
        pos.Add(double.MaxValue);
        var neg = pos.Select(v => -v).Reverse();
        return [.. neg, 0.0, .. pos];
    }
}
