namespace TypedGraph.Kernels.Simd;

/// <summary>
/// One kernel's cached form of a weight operand — data derived from it once and reused by every later run while the
/// weight is the same tensor: the GEMM's packed panels of a MatMul's B (<see cref="PackedWeights"/>), a conv filter laid
/// out in the micro-kernel's panels.
/// </summary>
/// <remarks>
/// <para>Only a <see cref="Tensor.IsPublishedValue"/> tensor is cached — a Const node's value or a variable's
/// current value. Variable writes (Assign, AssignAdd/Sub, AssignVariableOp, scatter updates, Saver restore) publish a new
/// tensor; the dense Apply*/ResourceApply* optimizers may instead update a value nobody else holds in place, bumping its
/// <see cref="Tensor.Version"/>. So the tensor's identity and version are the weight's version: after an assign, a training step or a restore the kernel sees a
/// different tensor and derives again; a fed tensor (a feed overriding the weight) is never published and always runs
/// the uncached path. Identity is compared by reference against a tensor this cache holds, so a collected tensor's
/// address can never be mistaken for a new one.</para>
/// <para>A weight is cached the second time it is seen, not the first: a value that changes every run (training)
/// then never pays for a copy that is used once, while a restored model's weights are cached on their second run.</para>
/// <para>Thread-safe without locks: the entry is immutable and swapped atomically; concurrent runs may both derive the
/// same new weight (the last one is kept); a run keeps using the entry it read even if another run replaces it
/// (derived data lives in plain arrays, never returned to a pool).</para>
/// </remarks>
/// <typeparam name="T">The derived form.</typeparam>
internal sealed class WeightCache<T> where T : class
{
    private sealed record Entry(Tensor Source, int Version, T Value);

    private Entry? _entry;
    private Tensor? _seenOnce;
    private int _seenVersion;
    private int _builds;

    /// <summary>How many times a derived form was built (tests: a weight is derived again exactly when it changed).</summary>
    internal int Builds => _builds;

    /// <summary>The cached form of <paramref name="weight"/>, or null when the caller should use the weight as it is this
    /// time (not a published value, or its first sighting).</summary>
    /// <param name="weight">The weight tensor the kernel received.</param>
    /// <param name="arg">What the derived form also depends on (sizes, transposition), passed to both delegates.</param>
    /// <param name="fits">Whether a cached form was made for this <paramref name="arg"/> (and the current micro-kernel).</param>
    /// <param name="build">Derives the form (static lambda: nothing allocated on the cached path).</param>
    public T? Get<TArg>(Tensor weight, TArg arg, Func<T, TArg, bool> fits, Func<Tensor, TArg, T> build)
    {
        if (!weight.IsPublishedValue) return null;
        // A variable's value updated in place keeps its identity and bumps its version; it cannot change while this run
        // holds it (see VariableSlot), so the version read here is the one the derived form is built from.
        int version = Volatile.Read(ref weight.Version);
        var entry = Volatile.Read(ref _entry);
        if (entry != null && ReferenceEquals(entry.Source, weight) && entry.Version == version && fits(entry.Value, arg)) return entry.Value;
        // Two racing runs may pair one's tensor with the other's version: at worst a build too many or too few, never a
        // wrong entry (the entry records what was built).
        bool sameTensor = ReferenceEquals(Interlocked.Exchange(ref _seenOnce, weight), weight);
        bool sameVersion = Interlocked.Exchange(ref _seenVersion, version) == version;
        if (!sameTensor || !sameVersion) return null;
        var value = build(weight, arg);
        Interlocked.Increment(ref _builds);
        Volatile.Write(ref _entry, new Entry(weight, version, value));
        return value;
    }
}

/// <summary>A MatMul's B packed once into the GEMM's panels (<see cref="Gemm.PackBRetained"/>); see <see cref="WeightCache{T}"/>
/// for when it is packed again.</summary>
internal sealed class PackedWeights
{
    private readonly WeightCache<PackedB> _cache = new();

    /// <summary>How many times a new packing was made.</summary>
    internal int Packings => _cache.Builds;

    /// <summary>The packing of float <paramref name="b"/> as op(B), <paramref name="k"/>×<paramref name="n"/>, or null when the
    /// caller should run the unpacked GEMM this time. <paramref name="transB"/> is the kernel's fixed attr, so not part of the key.</summary>
    public PackedB? For(Tensor b, bool transB, int k, int n)
        => b.DType != Protos.DataType.DtFloat ? null : _cache.Get(b, (transB, k, n),
            static (p, a) => p.K == a.k && p.N == a.n && Gemm.FitsCurrentKernel(p),
            static (t, a) => Gemm.PackBRetained(a.transB, a.k, a.n, t.AsSpan<float>()));
}
