using System.Runtime.InteropServices;
using TypedGraph.Protos;

namespace TypedGraph.Execution;

/// <summary>
/// The intermediate buffers of one <see cref="RunFrame"/>. A buffer is handed to a kernel's output,
/// reference-counted by the value slots that hold it (views such as Reshape or Identity share it), and
/// goes back to the free list when the last slot holding it has had its last reader — so a plan needs
/// roughly its peak working set, not the sum of all its intermediates. Runs of one plan on fixed shapes
/// make the same requests in the same order, so they get the same buffers and the same cached
/// <see cref="Tensor"/> objects: a steady-state run allocates nothing here. A fetched buffer is
/// <see cref="Detach"/>ed — the caller owns it and the pool makes a new one next run.
/// </summary>
internal sealed class BufferPool : Kernels.IBufferHolds
{
    private readonly Dictionary<byte[], Buffer> _byArray = new(ReferenceEqualityComparer.Instance);
    private readonly List<Buffer> _all = [];
    private readonly List<Buffer> _free = [];
    // What this pool's tags point at (never the pool itself: a tag must not keep a pool's buffers reachable from a
    // tensor that outlives its session, such as a feed the caller keeps).
    private readonly object _token = new();
    private Buffer? _spare; // the record of the last detached buffer, reused for the next new one
    private int _nextId;

    private sealed class Buffer(object owner, byte[] array, int id)
    {
        public object Owner { get; } = owner;
        public byte[] Array { get; set; } = array;
        public int Id { get; set; } = id;
        public int Refs { get; set; }
        public bool InUse { get; set; }
        public bool Detached { get; set; }
        public List<Tensor> Views { get; } = new(2);
    }

    /// <summary>Bytes held by this pool (for tests and diagnostics).</summary>
    public long TotalBytes => _all.Sum(b => (long)b.Array.Length);

    /// <summary>A tensor of the given dtype and shape over a free buffer (contents unspecified).</summary>
    public Tensor Allocate(DataType dtype, TensorShape shape)
    {
        int bytes = checked((int)(shape.NumElements * DataTypes.ElementSize(dtype)));
        var b = TakeFree(bytes) ?? NewBuffer(bytes);
        b.InUse = true;
        b.Refs = 0;
        foreach (var v in b.Views)
            if (v.DType == dtype && v.Shape == shape) return v;
        var t = new Tensor(dtype, shape, b.Array.AsMemory(0, bytes)) { PoolTag = b };
        if (b.Views.Count >= 4) b.Views.RemoveAt(0); // a few shapes per buffer keep re-use allocation-free
        b.Views.Add(t);
        return t;
    }

    /// <summary>A value slot now holds <paramref name="t"/>.</summary>
    public void AddRef(Tensor? t)
    {
        if (Find(t) is { } b) b.Refs++;
    }

    /// <summary>A slot holding <paramref name="t"/> has had its last reader; frees the buffer when no slot holds it.</summary>
    public void Release(Tensor? t)
    {
        if (Find(t) is not { } b || b.Refs <= 0) return;
        if (--b.Refs == 0 && b.InUse)
        {
            b.InUse = false;
            InsertFree(b);
        }
    }

    /// <inheritdoc/>
    public bool Hold(Tensor t)
    {
        if (Find(t) is not { InUse: true } b) return false;
        b.Refs++;
        return true;
    }

    /// <inheritdoc/>
    public void Unhold(Tensor t)
    {
        if (Find(t) is { Refs: > 0 } b) b.Refs--;
    }

    /// <summary>
    /// Frees the buffer of <paramref name="t"/> when no slot holds it (an output nothing consumed). The loop executor
    /// calls this after a node's outputs were delivered, so per-iteration values nobody reads go straight back.
    /// </summary>
    public void FreeIfUnheld(Tensor? t)
    {
        if (Find(t) is { } b && b.Refs == 0 && b.InUse)
        {
            b.InUse = false;
            InsertFree(b);
        }
    }

    /// <summary>If <paramref name="t"/> lives in a pooled buffer, hands that buffer to the caller and returns true.</summary>
    public bool Detach(Tensor t)
    {
        if (Find(t) is not { } b) return false;
        _byArray.Remove(b.Array);
        _all.Remove(b);
        _free.Remove(b);
        // A run that fetches a pooled value detaches one buffer and makes one next run: keep the record (and its
        // views list) for that, so only the array and its tensor are new (the caller keeps those).
        // The caller's tensors forget the record (it is reused for the next new buffer and must not stay reachable from them).
        foreach (var v in b.Views) v.PoolTag = null;
        t.PoolTag = null;
        b.Views.Clear();
        b.Detached = true;
        _spare = b;
        return true;
    }

    /// <summary>After a run every buffer is free again, in a fixed order so the next run repeats this one.</summary>
    public void EndRun()
    {
        _free.Clear();
        foreach (var b in _all)
        {
            b.InUse = false;
            b.Refs = 0;
            InsertFree(b);
        }
    }

    private Buffer? Find(Tensor? t)
    {
        if (t == null) return null;
        // The tensor's tag remembers the last answer: this pool's token for "not one of mine" (an array that is not pooled
        // now never will be: the pool only takes arrays it allocates), or the buffer it lives in — trusted while that
        // buffer still has this tensor's array and is not detached (a detached buffer's record gets a new array).
        // Tensors shared by concurrent runs (constants, feeds) may be re-tagged by another frame's pool; the checks
        // make a stale tag cost only the dictionary lookup below.
        var tag = t.PoolTag;
        if (ReferenceEquals(tag, _token)) return null;
        if (tag is Buffer tagged && ReferenceEquals(tagged.Owner, _token) && t.SharesArray(tagged.Array))
            return tagged.Detached ? null : tagged;
        if (!DataTypes.IsNumeric(t.DType) || !MemoryMarshal.TryGetArray<byte>(t.Memory, out var seg) || seg.Array == null)
            return null;
        var found = _byArray.GetValueOrDefault(seg.Array);
        t.PoolTag = (object?)found ?? _token;
        return found;
    }

    private Buffer NewBuffer(int bytes)
    {
        Buffer b;
        if (_spare is { } spare)
        {
            _spare = null;
            (b = spare).Array = NewArray(bytes);
            b.Detached = false;
            b.Id = _nextId++;
            b.Refs = 0;
            b.InUse = false;
        }
        else b = new Buffer(_token, NewArray(bytes), _nextId++);
        _byArray.Add(b.Array, b);
        _all.Add(b);
        return b;
    }

    // Not zeroed: a buffer's contents are unspecified (a reused one holds the last run's values), and a fetched output
    // of a long sequence model is a new megabyte-sized array every run (LSTM(128)×100 at batch 32: 1.6 MB of memset).
    private static byte[] NewArray(int bytes) => GC.AllocateUninitializedArray<byte>(bytes);

    /// <summary>Best fit: the smallest free buffer that is large enough (ties: oldest), but at most twice
    /// the request — a small fetched output must not walk off with a big buffer every run.</summary>
    private Buffer? TakeFree(int bytes)
    {
        int lo = 0, hi = _free.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_free[mid].Array.Length < bytes) lo = mid + 1;
            else hi = mid;
        }
        if (lo == _free.Count || _free[lo].Array.Length > MaxReuse(bytes)) return null;
        var b = _free[lo];
        _free.RemoveAt(lo);
        return b;
    }

    private static long MaxReuse(int bytes) => Math.Max(2L * bytes, 64);

    private void InsertFree(Buffer b)
    {
        int lo = 0, hi = _free.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            var m = _free[mid];
            if (m.Array.Length < b.Array.Length || (m.Array.Length == b.Array.Length && m.Id < b.Id)) lo = mid + 1;
            else hi = mid;
        }
        _free.Insert(lo, b);
    }
}
