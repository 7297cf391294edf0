using System.Runtime.InteropServices;
using TypedGraph.Protos;

namespace TypedGraph.Execution;

/// <summary>
/// The output buffers of one plan step, kept across runs: on fixed shapes the same <see cref="Tensor"/>
/// object (and its bytes) is handed back every run, so a steady-state run allocates nothing. The k-th
/// allocation a kernel makes during a run gets cell k. A fetched output is <see cref="Detach"/>ed — the
/// caller owns it from then on and the next run allocates a fresh buffer for that cell.
/// </summary>
internal sealed class TensorArena
{
    private Cell[] _cells = [];
    private int _next;

    private struct Cell
    {
        public byte[]? Buffer;
        public Tensor? Tensor;
    }

    /// <summary>Starts a new run of the step: allocations restart at cell 0.</summary>
    public void Reset() => _next = 0;

    /// <summary>Returns a tensor of the requested dtype and shape backed by this step's reusable memory.</summary>
    public Tensor Allocate(DataType dtype, TensorShape shape)
    {
        int k = _next++;
        if (k >= _cells.Length) Array.Resize(ref _cells, k + 1);
        ref var cell = ref _cells[k];
        if (cell.Tensor is { } t && t.DType == dtype && t.Shape == shape) return t;
        int bytes = checked((int)(shape.NumElements * DataTypes.ElementSize(dtype)));
        if (cell.Buffer == null || cell.Buffer.Length < bytes) cell.Buffer = new byte[bytes];
        cell.Tensor = new Tensor(dtype, shape, cell.Buffer.AsMemory(0, bytes));
        return cell.Tensor;
    }

    /// <summary>If <paramref name="t"/> lives in one of this arena's buffers, gives that buffer up and returns true.</summary>
    public bool Detach(Tensor t)
    {
        if (!DataTypes.IsNumeric(t.DType) || !MemoryMarshal.TryGetArray<byte>(t.Memory, out var seg) || seg.Array == null)
            return false;
        for (int i = 0; i < _cells.Length; i++)
        {
            if (!ReferenceEquals(_cells[i].Buffer, seg.Array)) continue;
            _cells[i] = default;
            return true;
        }
        return false;
    }

    /// <summary>True when <paramref name="t"/> shares memory with this arena.</summary>
    public bool Owns(Tensor t)
    {
        if (!DataTypes.IsNumeric(t.DType) || !MemoryMarshal.TryGetArray<byte>(t.Memory, out var seg) || seg.Array == null)
            return false;
        foreach (var c in _cells)
            if (ReferenceEquals(c.Buffer, seg.Array)) return true;
        return false;
    }
}
