using System.Globalization;
using TypedGraph.Protos;

namespace TypedGraph.Formats;

/// <summary>
/// A box inside a tensor: per dim a start and a length, length −1 meaning "the whole dim" (TF's
/// <c>TensorSlice</c>, <c>kFullExtent</c>). Used by partitioned variables: each partition is saved as a
/// slice of the full tensor.
/// </summary>
public sealed class TensorSlice
{
    /// <summary>Creates a slice; <paramref name="lengths"/>[d] = −1 covers all of dim d (its start must be 0).</summary>
    /// <exception cref="ArgumentException">Rank mismatch or a negative start/length.</exception>
    public TensorSlice(long[] starts, long[] lengths)
    {
        if (starts.Length != lengths.Length) throw new ArgumentException("Slice starts and lengths must have the same rank.");
        for (int d = 0; d < starts.Length; d++)
        {
            if (starts[d] < 0 || lengths[d] < -1 || (lengths[d] == -1 && starts[d] != 0))
                throw new ArgumentException($"Slice dim {d}: start {starts[d]}, length {lengths[d]} is invalid.");
        }
        Starts = (long[])starts.Clone();
        Lengths = (long[])lengths.Clone();
    }

    /// <summary>Start of each dim.</summary>
    public long[] Starts { get; }

    /// <summary>Length of each dim (−1 = full).</summary>
    public long[] Lengths { get; }

    /// <summary>Rank.</summary>
    public int Rank => Starts.Length;

    /// <summary>True when dim <paramref name="d"/> is covered entirely by an explicit or implicit full extent.</summary>
    public bool IsFullAt(int d) => Lengths[d] == -1;

    /// <summary>The slice's concrete shape within a tensor of <paramref name="fullShape"/>.</summary>
    public long[] ShapeIn(IReadOnlyList<long> fullShape)
        => Enumerable.Range(0, Rank).Select(d => IsFullAt(d) ? fullShape[d] : Lengths[d]).ToArray();

    /// <summary>True when the slice covers all of <paramref name="fullShape"/>.</summary>
    public bool CoversAll(IReadOnlyList<long> fullShape)
        => Enumerable.Range(0, Rank).All(d => IsFullAt(d) || (Starts[d] == 0 && Lengths[d] == fullShape[d]));

    /// <summary>TF's text form, e.g. <c>0,5:-</c> (as in SaveV2's <c>shape_and_slices</c> after the shape).</summary>
    public override string ToString() => string.Join(":", Enumerable.Range(0, Rank)
        .Select(d => IsFullAt(d) ? "-" : Starts[d].ToString(CultureInfo.InvariantCulture) + "," + Lengths[d].ToString(CultureInfo.InvariantCulture)));

    /// <summary>Parses TF's text form (<c>-</c> or <c>start,length</c> per dim, separated by <c>:</c>).</summary>
    /// <exception cref="FormatException">The text is malformed.</exception>
    public static TensorSlice Parse(string text)
    {
        var parts = text.Length == 0 ? [] : text.Split(':');
        var starts = new long[parts.Length];
        var lengths = new long[parts.Length];
        for (int d = 0; d < parts.Length; d++)
        {
            if (parts[d] == "-") { lengths[d] = -1; continue; }
            var se = parts[d].Split(',');
            if (se.Length != 2 || !long.TryParse(se[0], NumberStyles.None, CultureInfo.InvariantCulture, out starts[d])
                || !long.TryParse(se[1], NumberStyles.None, CultureInfo.InvariantCulture, out lengths[d]))
                throw new FormatException($"'{text}' is not a tensor slice (expected e.g. '0,5:-').");
        }
        return new TensorSlice(starts, lengths);
    }

    /// <summary>TF's <c>TensorSlice::AsProto</c>: full dims are empty extents.</summary>
    internal TensorSliceProto ToProto()
    {
        var p = new TensorSliceProto();
        for (int d = 0; d < Rank; d++)
            p.Extent.Add(IsFullAt(d) ? new TensorSliceProto.Types.Extent() : new TensorSliceProto.Types.Extent { Start = Starts[d], Length = Lengths[d] });
        return p;
    }

    /// <summary>From a proto; an extent without a length is full.</summary>
    internal static TensorSlice FromProto(TensorSliceProto proto)
    {
        var starts = new long[proto.Extent.Count];
        var lengths = new long[proto.Extent.Count];
        for (int d = 0; d < starts.Length; d++)
        {
            var e = proto.Extent[d];
            bool full = e.HasLengthCase == TensorSliceProto.Types.Extent.HasLengthOneofCase.None;
            starts[d] = full ? 0 : e.Start;
            lengths[d] = full ? -1 : e.Length;
        }
        return new TensorSlice(starts, lengths);
    }
}
