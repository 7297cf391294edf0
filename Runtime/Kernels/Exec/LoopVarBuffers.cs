using System.Runtime.InteropServices;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Exec;

/// <summary>
/// The loop-variable buffers of one <c>While</c>/<c>StatelessWhile</c> run, so a steady loop allocates nothing per
/// iteration. TF's <c>WhileOp::DoComputeSync</c> (core/kernels/functional_ops.cc) hands the body's returned tensors to
/// the next iteration as its args (<c>std::swap(body_rets, args)</c>); TF's tensors are reference-counted buffers, so
/// the previous iteration's memory goes back to the allocator as soon as nothing holds it. .NET has no reference
/// counts, so instead each loop var owns (up to) two buffers used in turn: the body's computed value is copied, while
/// the body's frame is still alive, into a buffer that no value of the next iteration lives in, and the body's pooled
/// buffer stays in its pool for the next call (before, it was detached and the pool made a new one every iteration).
/// </summary>
/// <remarks>
/// Why overwriting an owned buffer is safe: it is reused only when no result of the current call lives in it (kept
/// by reference, or a view such as a Reshape still to be copied) — so the only holders left are the current args,
/// which die with this iteration. Nothing else can hold it: the cond only reads its args during the call; every
/// kernel that keeps an input beyond its run copies it (TensorList SetItem/PushBack, AssignVariableOp,
/// TensorArray writes and stack pushes in a pooled frame), because its input may be a pooled buffer reused by the
/// next step anyway; and the buffers holding the last values leave with the While's outputs, since a store lives
/// for one run of the loop only (so concurrent runs never share one). A loop var whose shape changes gets a new
/// buffer (as TF allocates one); string values are copied as before; handle tensors (TensorLists, resources) and
/// args returned unchanged are kept as they are.
/// </remarks>
internal sealed class LoopVarBuffers
{
    private readonly Tensor?[] _first;
    private readonly Tensor?[] _second;

    /// <summary>Buffers for a loop of <paramref name="count"/> loop vars (nothing is allocated until a value is computed).</summary>
    public LoopVarBuffers(int count)
    {
        _first = new Tensor?[count];
        _second = new Tensor?[count];
    }

    /// <summary>
    /// Replaces each of <paramref name="results"/> (the body's fetched values, valid only during the call) that is
    /// neither one of <paramref name="args"/> nor a handle tensor by a copy in a buffer this store owns.
    /// </summary>
    public void Adopt(ReadOnlySpan<Tensor> args, Span<Tensor> results)
    {
        for (int j = 0; j < results.Length; j++)
        {
            var v = results[j];
            if (IsKeptAsIs(v, args)) continue;
            if (!DataTypes.IsNumeric(v.DType))
            {
                results[j] = v.Clone(); // strings: never pooled, copied as Session.Run's hand-over does
                continue;
            }
            var dest = Destination(j, v, results);
            v.Bytes.CopyTo(dest.Bytes);
            results[j] = dest;
        }
    }

    private static bool IsKeptAsIs(Tensor v, ReadOnlySpan<Tensor> args)
    {
        // Handle tensors (resources, TensorList variants) are immutable values: never copied.
        if (v.DType is DataType.DtResource or DataType.DtVariant) return true;
        foreach (var a in args)
            if (ReferenceEquals(a, v)) return true;
        return false;
    }

    /// <summary>An owned buffer of <paramref name="v"/>'s dtype and shape for loop var <paramref name="j"/> that no
    /// result lives in — the results already copied are the next iteration's values, the others may still be read.</summary>
    private Tensor Destination(int j, Tensor v, ReadOnlySpan<Tensor> results)
    {
        if (Fits(_first[j], v, results)) return _first[j]!;
        if (Fits(_second[j], v, results)) return _second[j]!;
        // First use, a new shape, or both buffers hold live values (a body permuting its loop vars): a new buffer,
        // kept in an empty slot, else in one whose buffer is free — so a var alternating between two shapes settles
        // on one buffer per shape, and a var whose shape keeps changing holds at most two.
        var fresh = new Tensor(v.DType, v.Shape, new byte[v.ByteLength]);
        if (_first[j] is null) _first[j] = fresh;
        else if (_second[j] is null) _second[j] = fresh;
        else if (!IsLive(_first[j]!, results)) _first[j] = fresh;
        else if (!IsLive(_second[j]!, results)) _second[j] = fresh;
        return fresh;
    }

    private static bool Fits(Tensor? owned, Tensor v, ReadOnlySpan<Tensor> results)
        => owned != null && owned.DType == v.DType && owned.Shape == v.Shape && !IsLive(owned, results);

    /// <summary>True when some result is <paramref name="owned"/> or a view of its buffer.</summary>
    private static bool IsLive(Tensor owned, ReadOnlySpan<Tensor> results)
    {
        var array = ArrayOf(owned);
        foreach (var r in results)
            if (ReferenceEquals(r, owned) || (array != null && DataTypes.IsNumeric(r.DType) && ArrayOf(r) == array)) return true;
        return false;
    }

    private static byte[]? ArrayOf(Tensor t) => MemoryMarshal.TryGetArray<byte>(t.Memory, out var seg) ? seg.Array : null;
}
