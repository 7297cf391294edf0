namespace TypedGraph.Kernels.Simd;

/// <summary>
/// One kernel's cached form of a weight operand — data derived from it once and reused by every later run while the
/// weight is the same tensor: the GEMM's packed panels of a MatMul's B (<see cref="PackedWeights"/>), a conv filter laid
/// out in the micro-kernel's panels.
/// </summary>
/// <remarks>
/// <para>Only a <see cref="Tensor.IsPublishedValue"/> tensor is cached — a Const node's value or a variable's
/// current value, which the runtime never writes in place: every variable write (Assign, AssignAdd/Sub,
/// AssignVariableOp, the Apply*/ResourceApply* optimizers, scatter updates, Saver restore) publishes a new tensor.
/// So the tensor's identity is the weight's version: after an assign, a training step or a restore the kernel sees a
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
    private sealed record Entry(Tensor Source, T Value);

    private Entry? _entry;
    private Tensor? _seenOnce;
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
        var entry = Volatile.Read(ref _entry);
        if (entry != null && ReferenceEquals(entry.Source, weight) && fits(entry.Value, arg)) return entry.Value;
        if (!ReferenceEquals(Interlocked.Exchange(ref _seenOnce, weight), weight)) return null;
        var value = build(weight, arg);
        Interlocked.Increment(ref _builds);
        Volatile.Write(ref _entry, new Entry(weight, value));
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
