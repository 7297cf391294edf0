namespace TypedGraph.Tests.Kernels.Ctc;

/// <summary>
/// CTC by enumerating every alignment: each path π ∈ classes^T has probability Π_t softmax(x_t)[π_t]; its labeling is
/// π with repeats merged (when <c>mergeRepeated</c>) and blanks (the last class) removed. p(l | x) is the sum over the
/// paths whose labeling is l. Independent of the forward/backward recursions the kernels use.
/// </summary>
internal static class CtcBruteForce
{
    /// <summary>Softmax of each row of <paramref name="logits"/> [steps][classes], in double.</summary>
    public static double[][] Softmax(double[][] logits) => logits.Select(row =>
    {
        double max = row.Max();
        var e = row.Select(v => Math.Exp(v - max)).ToArray();
        double s = e.Sum();
        return e.Select(v => v / s).ToArray();
    }).ToArray();

    /// <summary>Every labeling reachable in <paramref name="logits"/>.Length steps with its probability.</summary>
    public static Dictionary<string, double> Labelings(double[][] logits, bool mergeRepeated)
    {
        var y = Softmax(logits);
        int steps = y.Length, classes = y[0].Length, blank = classes - 1;
        var result = new Dictionary<string, double>();
        var path = new int[steps];
        long total = (long)Math.Pow(classes, steps);
        for (long code = 0; code < total; code++)
        {
            long c = code;
            double p = 1;
            for (int t = 0; t < steps; t++) { path[t] = (int)(c % classes); c /= classes; p *= y[t][path[t]]; }
            var labels = new List<int>();
            for (int t = 0; t < steps; t++)
            {
                if (path[t] == blank) continue;
                if (mergeRepeated && t > 0 && path[t - 1] == path[t]) continue;
                labels.Add(path[t]);
            }
            var key = string.Join(",", labels);
            result[key] = result.GetValueOrDefault(key) + p;
        }
        return result;
    }

    /// <summary>−log p(labels | logits).</summary>
    public static double Loss(double[][] logits, int[] labels, bool mergeRepeated) =>
        -Math.Log(Labelings(logits, mergeRepeated).GetValueOrDefault(string.Join(",", labels)));
}
