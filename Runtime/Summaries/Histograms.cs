using TypedGraph.Protos;

namespace TypedGraph.Summaries;

/// <summary>
/// TF's <c>histogram::Histogram</c> (tensorflow/core/lib/histogram/histogram.cc) with its default bucket limits
/// (±1e-12·1.1^k up to 1e20, then ±DBL_MAX, and 0): <c>Add</c> each value, then <c>EncodeToProto</c> with
/// <c>preserve_zero_buckets = false</c> — a run of empty buckets collapses into one entry at the run's last limit.
/// Used by the HistogramSummary kernel and <see cref="SummaryWriter.AddHistogram"/>.
/// </summary>
internal static class Histograms
{
    private static readonly double[] s_limits = DefaultLimits();

    /// <summary>The histogram of <paramref name="values"/>.</summary>
    /// <exception cref="ArgumentException">A value is NaN or infinite (TF: <c>Nan in summary histogram for: tag</c>).</exception>
    public static HistogramProto Build(ReadOnlySpan<double> values, string tag = "")
    {
        var counts = new double[s_limits.Length];
        double min = s_limits[^1], max = -s_limits[^1], sum = 0, sumSq = 0;
        foreach (var v in values)
        {
            if (!double.IsFinite(v)) throw new ArgumentException($"{(double.IsNaN(v) ? "Nan" : "Infinity")} in summary histogram for: {tag}");
            counts[UpperBound(v)] += 1;
            min = Math.Min(min, v);
            max = Math.Max(max, v);
            sum += v;
            sumSq += v * v;
        }
        var p = new HistogramProto { Min = min, Max = max, Num = values.Length, Sum = sum, SumSquares = sumSq };
        for (int i = 0; i < counts.Length;)
        {
            double end = s_limits[i], count = counts[i];
            i++;
            if (count <= 0)
            {
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
