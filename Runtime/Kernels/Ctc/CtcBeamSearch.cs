using System.Numerics;

namespace TypedGraph.Kernels.Ctc;

/// <summary>
/// TF's CTC prefix beam search with the default scorer (tensorflow/core/util/ctc/ctc_beam_search.h
/// <c>CTCBeamSearchDecoder::Step</c>/<c>TopPaths</c>, ctc_beam_entry.h): each step turns the logits into log
/// probabilities (x − max − log Σ exp(x − max)), updates every leaf's blank/label/total probabilities, then grows
/// children (every non-blank label) of the leaves that could still enter the beam, evicting the bottom leaf when the
/// beam is full. The blank is the last class. Leaves are kept in at most <c>beam_width</c> slots as gtl::TopN keeps
/// them; where TF orders exactly equal probabilities by std::sort / heap order (unspecified), this keeps the order in
/// which entries were pushed.
/// </summary>
internal sealed class CtcBeamSearch<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private static readonly T LogZero = T.NegativeInfinity;

    private struct Probability
    {
        public T Total, Blank, Label;

        public static Probability Zero => new() { Total = LogZero, Blank = LogZero, Label = LogZero };
    }

    private sealed class Entry(Entry? parent, int label)
    {
        public readonly Entry? Parent = parent;
        public readonly int Label = label;
        public Dictionary<int, Entry>? Children;
        public Probability NewP = Probability.Zero, OldP = Probability.Zero;

        public bool Active => NewP.Total != LogZero;

        public Entry Child(int label)
        {
            Children ??= [];
            if (!Children.TryGetValue(label, out var c)) Children[label] = c = new Entry(this, label);
            return c;
        }

        /// <summary>The labels from the root to this entry; with merge_repeated, runs of one label give one label
        /// (ctc_beam_entry.h <c>LabelSeq</c>).</summary>
        public List<int> LabelSeq(bool mergeRepeated)
        {
            var labels = new List<int>();
            int prev = -1;
            for (var c = this; c.Parent != null; c = c.Parent)
            {
                if (!mergeRepeated || c.Label != prev) labels.Add(c.Label);
                prev = c.Label;
            }
            labels.Reverse();
            return labels;
        }
    }

    private readonly int _numClasses, _beamWidth, _blank;
    private readonly List<Entry> _leaves = [];

    public CtcBeamSearch(int numClasses, int beamWidth)
    {
        _numClasses = numClasses;
        _beamWidth = beamWidth;
        _blank = numClasses - 1;
        Reset();
    }

    /// <summary>A fresh beam holding only the root (log p = 0 as total and blank).</summary>
    public void Reset()
    {
        _leaves.Clear();
        var root = new Entry(null, -1);
        root.NewP.Total = T.Zero;
        root.NewP.Blank = T.Zero;
        _leaves.Add(root);
    }

    /// <summary>log(e^a + e^b) as ctc_loss_util.h <c>LogSumExp</c> (log zero passes the other through).</summary>
    internal static T LogSumExp(T a, T b)
    {
        if (a == LogZero) return b;
        if (b == LogZero) return a;
        return a > b ? a + T.LogP1(T.Exp(b - a)) : b + T.LogP1(T.Exp(a - b));
    }

    /// <summary>One time step with the logits of one batch entry.</summary>
    public void Step(ReadOnlySpan<T> logits)
    {
        T max = logits[0];
        for (int j = 1; j < logits.Length; j++) if (logits[j] > max) max = logits[j];
        T sum = T.Zero;
        foreach (var v in logits) sum += T.Exp(v - max);
        T norm = max + T.Log(sum);

        var branches = SortedLeaves();
        _leaves.Clear();
        foreach (var b in branches) b.OldP = b.NewP;
        foreach (var b in branches)
        {
            if (b.Parent != null)
            {
                if (b.Parent.Active)
                {
                    // Plabel(abc) = (Plabel(abc) + P(ab)) · y(c); after a repeated label only P(ab ending in blank) counts.
                    T previous = b.Label == b.Parent.Label ? b.Parent.OldP.Blank : b.Parent.OldP.Total;
                    b.NewP.Label = LogSumExp(b.NewP.Label, previous);
                }
                b.NewP.Label += logits[b.Label] - norm;
            }
            b.NewP.Blank = b.OldP.Total + logits[_blank] - norm;
            b.NewP.Total = LogSumExp(b.NewP.Blank, b.NewP.Label);
            _leaves.Add(b);
        }
        foreach (var b in branches)
        {
            if (!IsCandidate(b.OldP.Total)) continue;
            for (int label = 0; label < _numClasses - 1; label++)
            {
                var c = b.Child(label);
                if (c.Active) continue;
                c.NewP.Blank = LogZero;
                T previous = c.Label == b.Label ? b.OldP.Blank : b.OldP.Total;
                c.NewP.Label = logits[label] - norm + previous;
                c.NewP.Total = c.NewP.Label;
                if (IsCandidate(c.NewP.Total))
                {
                    if (_leaves.Count == _beamWidth)
                    {
                        // The bottom leaf leaves the beam: its probability is reset, which marks it inactive.
                        var bottom = Bottom();
                        bottom.NewP = Probability.Zero;
                        _leaves.Remove(bottom);
                    }
                    _leaves.Add(c);
                }
                else
                {
                    c.OldP = Probability.Zero;
                    c.NewP = Probability.Zero;
                }
            }
        }
    }

    /// <summary>The <paramref name="n"/> best label sequences and their log probabilities (TopPaths).</summary>
    /// <exception cref="InvalidOperationException">n exceeds the beam width or the number of leaves (TF's messages).</exception>
    public (List<int> Path, T LogProb)[] TopPaths(int n, bool mergeRepeated)
    {
        if (n > _beamWidth) throw new InvalidOperationException("requested more paths than the beam width.");
        if (n > _leaves.Count) throw new InvalidOperationException("Less leaves in the beam search than requested.");
        return SortedLeaves().Take(n).Select(e => (e.LabelSeq(mergeRepeated), e.NewP.Total)).ToArray();
    }

    private List<Entry> SortedLeaves()
    {
        // Descending total; OrderByDescending is stable, so equal totals keep their push order.
        return _leaves.OrderByDescending(e => e.NewP.Total).ToList();
    }

    private bool IsCandidate(T total) => total > LogZero && (_leaves.Count < _beamWidth || total > Bottom().NewP.Total);

    /// <summary>The leaf with the lowest total (the first such in push order).</summary>
    private Entry Bottom()
    {
        var min = _leaves[0];
        for (int i = 1; i < _leaves.Count; i++) if (min.NewP.Total > _leaves[i].NewP.Total) min = _leaves[i];
        return min;
    }
}
