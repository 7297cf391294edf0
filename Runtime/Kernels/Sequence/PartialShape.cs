using TypedGraph.Protos;

namespace TypedGraph.Kernels.Sequence;

/// <summary>
/// TF's <c>PartialTensorShape</c> as the TensorArray kernels need it: an unknown rank (<see cref="Dims"/> null)
/// or a rank whose dimensions may be unknown (-1). Compatibility and merging follow TF's
/// <c>PartialTensorShape::IsCompatibleWith</c> / <c>MergeWith</c>: unknown matches anything.
/// </summary>
internal readonly struct PartialShape
{
    private PartialShape(int[]? dims) => Dims = dims;

    /// <summary>The dimensions (-1 = unknown), or null for an unknown rank.</summary>
    public int[]? Dims { get; }

    /// <summary>A shape of unknown rank.</summary>
    public static PartialShape Unknown => default;

    /// <summary>A fully known shape.</summary>
    public static PartialShape Of(TensorShape shape) => new(shape.ToArray());

    /// <summary>The shape an attr describes (a missing attr is an unknown rank).</summary>
    public static PartialShape FromProto(TensorShapeProto? proto)
        => proto == null || proto.UnknownRank ? Unknown : new(proto.Dim.Select(d => d.Size < 0 ? -1 : checked((int)d.Size)).ToArray());

    /// <summary>True when the rank and every dimension are known.</summary>
    public bool IsFullyDefined => Dims != null && Dims.All(d => d >= 0);

    /// <summary>The known shape; only valid when <see cref="IsFullyDefined"/>.</summary>
    public TensorShape ToShape() => new(Dims!);

    /// <summary>True when <paramref name="shape"/> could be this shape.</summary>
    public bool IsCompatibleWith(TensorShape shape)
    {
        if (Dims == null) return true;
        if (Dims.Length != shape.Rank) return false;
        for (int i = 0; i < Dims.Length; i++)
            if (Dims[i] >= 0 && Dims[i] != shape[i]) return false;
        return true;
    }

    /// <summary>The most specific shape both describe, or null when they conflict.</summary>
    public PartialShape? MergeWith(PartialShape other)
    {
        if (Dims == null) return other;
        if (other.Dims == null) return this;
        if (Dims.Length != other.Dims.Length) return null;
        var merged = new int[Dims.Length];
        for (int i = 0; i < merged.Length; i++)
        {
            int a = Dims[i], b = other.Dims[i];
            if (a >= 0 && b >= 0 && a != b) return null;
            merged[i] = a >= 0 ? a : b;
        }
        return new PartialShape(merged);
    }

    /// <summary>This shape with <paramref name="prefix"/>'s dimensions in front (an unknown rank stays unknown).</summary>
    public PartialShape Prepend(TensorShape prefix) => Dims == null ? Unknown : new([.. prefix.ToArray(), .. Dims]);

    /// <summary>TF's DebugString: <c>&lt;unknown&gt;</c> or <c>[?,300]</c>.</summary>
    public override string ToString() => Dims == null ? "<unknown>" : "[" + string.Join(",", Dims.Select(d => d < 0 ? "?" : d.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]";
}
