namespace TypedGraph.Kernels.Reduction;

/// <summary>
/// Which dims a reduction folds, resolved from the axis tensor (scalar or vector, int32/int64, negative
/// axes counted from the end, duplicates allowed as in TF), and the input viewed as alternating groups of
/// kept and reduced dims with size-1 dims dropped, so most reductions become "reduce each row"
/// ([kept, reduced]) or "add rows together" ([reduced, kept] / [kept, reduced, kept]).
/// </summary>
internal sealed class ReductionPlan
{
    private ReductionPlan(TensorShape output, int[] groups, bool[] reduced, long reduceCount)
    {
        Output = output;
        Groups = groups;
        GroupReduced = reduced;
        ReduceCount = reduceCount;
    }

    /// <summary>Shape of the result (with or without kept dims).</summary>
    public TensorShape Output { get; }

    /// <summary>Sizes of the merged groups, outermost first.</summary>
    public int[] Groups { get; }

    /// <summary>Whether each group is reduced.</summary>
    public bool[] GroupReduced { get; }

    /// <summary>Number of input elements folded into each output element.</summary>
    public long ReduceCount { get; }

    /// <summary>Resolves the axes of <paramref name="axes"/> against <paramref name="input"/>.</summary>
    /// <exception cref="ArgumentException">An axis is out of range or the axis tensor is not int32/int64.</exception>
    public static ReductionPlan Create(TensorShape input, Tensor axes, bool keepDims)
    {
        int rank = input.Rank;
        var mask = new bool[rank];
        long[] values = axes.DType switch
        {
            Protos.DataType.DtInt32 => axes.AsSpan<int>().ToArray().Select(v => (long)v).ToArray(),
            Protos.DataType.DtInt64 => axes.ToArray<long>(),
            _ => throw new ArgumentException($"reduction_indices must be int32 or int64, got {DataTypes.Name(axes.DType)}."),
        };
        if (axes.Shape.Rank > 1) throw new ArgumentException($"reduction_indices must be a scalar or vector, got shape {axes.Shape}.");
        foreach (var a in values)
        {
            if (a < -rank || a >= rank)
                throw new ArgumentException($"Invalid reduction dimension ({a} for input with {rank} dimension(s)).");
            mask[a < 0 ? a + rank : a] = true;
        }
        var outDims = new List<int>();
        long reduceCount = 1;
        var groups = new List<int>();
        var groupReduced = new List<bool>();
        for (int d = 0; d < rank; d++)
        {
            if (mask[d]) reduceCount *= input[d];
            if (!mask[d]) outDims.Add(input[d]);
            else if (keepDims) outDims.Add(1);
            if (input[d] == 1) continue;
            if (groups.Count > 0 && groupReduced[^1] == mask[d]) groups[^1] *= input[d];
            else
            {
                groups.Add(input[d]);
                groupReduced.Add(mask[d]);
            }
        }
        return new ReductionPlan(new TensorShape(outDims.ToArray()), groups.ToArray(), groupReduced.ToArray(), reduceCount);
    }

    /// <summary>
    /// The simple layouts: (outer, reduce, inner) such that the input is [outer, reduce, inner] with
    /// the middle folded; false when the groups alternate more than kept/reduced/kept.
    /// </summary>
    public bool TryThreeGroups(out long outer, out long reduce, out long inner)
    {
        outer = reduce = inner = 1;
        int i = 0;
        if (i < Groups.Length && !GroupReduced[i]) outer = Groups[i++];
        if (i < Groups.Length && GroupReduced[i]) reduce = Groups[i++];
        if (i < Groups.Length && !GroupReduced[i]) inner = Groups[i++];
        return i == Groups.Length;
    }
}
