namespace TypedGraph;

/// <summary>A concrete (fully known) tensor shape: the dims of a value at run time. A scalar has rank 0.</summary>
public readonly struct TensorShape : IEquatable<TensorShape>
{
    private readonly int[]? _dims;

    /// <summary>Creates a shape from its dims; each must be ≥ 0.</summary>
    /// <exception cref="ArgumentException">A dim is negative, or the element count does not fit in a long.</exception>
    public TensorShape(params int[] dims)
    {
        long n = 1;
        bool overflow = false;
        foreach (var d in dims)
        {
            if (d < 0) throw new ArgumentException($"Shape [{string.Join(", ", dims)}] has a negative dim.", nameof(dims));
            // Unchecked, 65536^4 wraps to 0 and a crafted file's shape would "fit" with no data at all.
            if (!overflow && d != 0 && n > long.MaxValue / d) overflow = true;
            else n *= d;
        }
        if (overflow && !dims.Contains(0))
            throw new ArgumentException($"Shape [{string.Join(", ", dims)}] has more than {long.MaxValue} elements.", nameof(dims));
        _dims = dims.Length == 0 ? null : (int[])dims.Clone();
    }

    /// <summary>Creates a shape from 64-bit dims (as stored in protos).</summary>
    /// <exception cref="ArgumentException">A dim is negative or exceeds int.MaxValue.</exception>
    public static TensorShape FromLongs(IReadOnlyList<long> dims)
    {
        var d = new int[dims.Count];
        for (int i = 0; i < d.Length; i++)
        {
            if (dims[i] < 0 || dims[i] > int.MaxValue)
                throw new ArgumentException($"Dim {i} = {dims[i]} is not a concrete size.", nameof(dims));
            d[i] = (int)dims[i];
        }
        return new TensorShape(d);
    }

    /// <summary>The rank-0 shape.</summary>
    public static TensorShape Scalar => default;

    /// <summary>Number of dims.</summary>
    public int Rank => _dims?.Length ?? 0;

    /// <summary>Dim <paramref name="i"/>; negative indices count from the end.</summary>
    public int this[int i] => _dims![i < 0 ? i + Rank : i];

    /// <summary>The dims (a copy-free read-only view).</summary>
    public ReadOnlySpan<int> Dims => _dims;

    /// <summary>Product of the dims (1 for a scalar).</summary>
    public long NumElements
    {
        get
        {
            long n = 1;
            if (_dims != null) foreach (var d in _dims) n *= d;
            return n;
        }
    }

    /// <summary>The dims as a new array.</summary>
    public int[] ToArray() => _dims == null ? [] : (int[])_dims.Clone();

    /// <inheritdoc/>
    public bool Equals(TensorShape other) => Dims.SequenceEqual(other.Dims);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is TensorShape s && Equals(s);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var d in Dims) h.Add(d);
        return h.ToHashCode();
    }

    /// <summary>Equality of dims.</summary>
    public static bool operator ==(TensorShape a, TensorShape b) => a.Equals(b);

    /// <summary>Inequality of dims.</summary>
    public static bool operator !=(TensorShape a, TensorShape b) => !a.Equals(b);

    /// <summary>TF-style text, e.g. <c>[2, 3]</c>; <c>[]</c> for a scalar.</summary>
    public override string ToString() => "[" + string.Join(", ", _dims ?? []) + "]";
}
