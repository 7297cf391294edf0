namespace TypedGraph.Kernels.Simd;

/// <summary>
/// One kernel's cached packing of its weight operand (B of a MatMul): the panels the GEMM's micro-kernel reads,
/// made once and reused by every later run while the weight is the same tensor.
/// </summary>
/// <remarks>
/// <para>Only a <see cref="Tensor.IsPublishedValue"/> tensor is cached — a Const node's value or a variable's
/// current value, which the runtime never writes in place: every variable write (Assign, AssignAdd/Sub,
/// AssignVariableOp, the Apply*/ResourceApply* optimizers, scatter updates, Saver restore) publishes a new tensor.
/// So the tensor's identity is the weight's version: after an assign, a training step or a restore the kernel sees a
/// different tensor and packs again; a fed tensor (a feed overriding the weight) is never published and always runs
/// the unpacked path. Identity is compared by reference against a tensor this cache holds, so a collected tensor's
/// address can never be mistaken for a new one.</para>
/// <para>A weight is packed the second time it is seen, not the first: a value that changes every run (training)
/// then never pays for a copy that is used once, while a restored model's weights are packed on their second run.</para>
/// <para>Thread-safe without locks: the entry is immutable and swapped atomically; concurrent runs may both pack the
/// same new weight (the last one is kept); a run keeps using the entry it read even if another run replaces it
/// (packings are plain arrays, never returned to a pool).</para>
/// </remarks>
internal sealed class PackedWeights
{
    private sealed record Entry(Tensor Source, bool TransB, PackedB Packed);

    private Entry? _entry;
    private Tensor? _seenOnce;

    /// <summary>The packing of <paramref name="b"/> (op(B) is <paramref name="k"/>×<paramref name="n"/>), or null when the
    /// caller should run the unpacked GEMM this time (not a published value, or its first sighting).</summary>
    public PackedB? For(Tensor b, bool transB, int k, int n)
    {
        if (!b.IsPublishedValue || b.DType != Protos.DataType.DtFloat) return null;
        var entry = Volatile.Read(ref _entry);
        if (entry != null && ReferenceEquals(entry.Source, b) && entry.TransB == transB && entry.Packed.K == k && entry.Packed.N == n
            && Gemm.FitsCurrentKernel(entry.Packed))
            return entry.Packed;
        if (!ReferenceEquals(Interlocked.Exchange(ref _seenOnce, b), b)) return null;
        var packed = Gemm.PackBRetained(transB, k, n, b.AsSpan<float>());
        Interlocked.Increment(ref _packings);
        Volatile.Write(ref _entry, new Entry(b, transB, packed));
        return packed;
    }

    /// <summary>How many times a new packing was made (tests: a weight is packed again exactly when it changed).</summary>
    internal int Packings => _packings;

    private int _packings;
}
