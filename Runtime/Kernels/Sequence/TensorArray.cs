using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Sequence;

/// <summary>
/// One TF1 TensorArray (the resource behind a <c>TensorArrayV3</c> handle), with the semantics of TF's
/// <c>core/kernels/tensor_array.h</c>: write-once elements (a second write fails unless the array aggregates,
/// as gradient arrays do — then writes add up), read-many unless <c>clear_after_read</c>, reads of an unwritten
/// element return zeros when the element shape is fully known (else an error), <c>dynamic_size</c> arrays grow
/// on writes, <c>identical_element_shapes</c> fixes the element shape at the first write, and a closed array
/// refuses everything. Gradient arrays are created once per (array, source) pair and start with the forward
/// array's written shapes as "virtual zeros" (TF's <c>CopyShapesFrom</c>).
/// </summary>
/// <remarks>Like TF's per-step resource, an array lives for one run: every execution of the creating node makes a
/// new one, and nothing keeps it after the run's last handle is dropped.</remarks>
internal sealed class TensorArray
{
    private static long s_counter;
    private readonly object _lock = new();
    private readonly List<Entry> _entries;
    private readonly Dictionary<string, TensorArray> _grads = new(StringComparer.Ordinal);
    private readonly bool _multipleWritesAggregate;
    private readonly bool _identicalElementShapes;
    private bool _dynamicSize;
    private bool _closed;
    private bool _gradientsDisallowed;
    private int _markedSize;
    private PartialShape _elementShape;

    private struct Entry
    {
        public Tensor? Value;
        public TensorShape Shape;
        public bool HasShape;
        public bool Written;
        public bool Read;
        public bool Cleared;
        public bool LocalCopy;
    }

    /// <summary>Creates an array of <paramref name="size"/> unwritten elements.</summary>
    public TensorArray(string name, DataType dtype, int size, PartialShape elementShape, bool identicalElementShapes,
        bool dynamicSize, bool clearAfterRead, bool multipleWritesAggregate = false, bool isGrad = false, int markedSize = -1)
    {
        Name = name;
        DType = dtype;
        _entries = new List<Entry>(size);
        System.Runtime.InteropServices.CollectionsMarshal.SetCount(_entries, size); // default entries, one array (not a copy of another)
        _elementShape = elementShape;
        _identicalElementShapes = identicalElementShapes;
        _dynamicSize = dynamicSize;
        ClearAfterRead = clearAfterRead;
        _multipleWritesAggregate = multipleWritesAggregate;
        IsGrad = isGrad;
        _markedSize = markedSize;
    }

    /// <summary>A run-unique name, as TF's <c>tensor_array_name + "_" + counter</c>.</summary>
    public static string UniqueName(string baseName) => baseName + "_" + Interlocked.Increment(ref s_counter).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The array's name in error messages.</summary>
    public string Name { get; }

    /// <summary>Element dtype.</summary>
    public DataType DType { get; }

    /// <summary>True for a gradient array (made by TensorArrayGradV3).</summary>
    public bool IsGrad { get; }

    /// <summary>Whether a read drops the element.</summary>
    public bool ClearAfterRead { get; }

    /// <summary>The element shape known so far.</summary>
    public PartialShape ElementShape
    {
        get { lock (_lock) return _elementShape; }
    }

    /// <summary>Current number of elements.</summary>
    public int Size(OpKernelContext ctx)
    {
        lock (_lock)
        {
            ThrowIfClosed(ctx);
            return _entries.Count;
        }
    }

    /// <summary>The element count Concat reads: a gradient array's marked size (the forward Split's), else its size.</summary>
    public int ConcatSize(OpKernelContext ctx)
    {
        lock (_lock)
        {
            ThrowIfClosed(ctx);
            // TF's PackOrConcatSize; a gradient of an array that was never split has marked size -1, where TF would
            // fail on a negative count — the current size is the only meaningful answer there.
            return IsGrad && _markedSize >= 0 ? _markedSize : _entries.Count;
        }
    }

    /// <summary>Records the size after a Split (TF's SetMarkedSize; gradient arrays keep theirs).</summary>
    public void SetMarkedSize(int size)
    {
        lock (_lock)
            if (!IsGrad) _markedSize = size;
    }

    /// <summary>Whether writes may grow the array.</summary>
    public bool HasDynamicSize
    {
        get { lock (_lock) return _dynamicSize; }
    }

    /// <summary>Merges an op's element_shape attr into the array's (TF's SetElemShape).</summary>
    public void MergeElementShape(OpKernelContext ctx, PartialShape candidate)
    {
        lock (_lock)
        {
            _elementShape = _elementShape.MergeWith(candidate)
                ?? throw ctx.Error($"TensorArray {Name}: element shape {candidate} is incompatible with the array's element shape {_elementShape}.");
        }
    }

    /// <summary>Writes (or, for aggregating arrays, adds) <paramref name="value"/> at <paramref name="index"/>.</summary>
    /// <exception cref="GraphExecutionException">TF's write errors: closed, out of range, dtype/shape mismatch, already read, already written.</exception>
    public void Write(OpKernelContext ctx, int index, Tensor value)
    {
        lock (_lock) LockedWrite(ctx, index, value);
    }

    /// <summary>Writes several elements under one lock (Scatter, Split), stopping at the first error as TF does.</summary>
    public void WriteMany(OpKernelContext ctx, ReadOnlySpan<int> indices, Tensor[] values)
    {
        lock (_lock)
            for (int i = 0; i < indices.Length; i++) LockedWrite(ctx, indices[i], values[i]);
    }

    /// <summary>Reads element <paramref name="index"/>.</summary>
    /// <exception cref="GraphExecutionException">TF's read errors: closed, out of range, unwritten with an unknown element shape, cleared.</exception>
    public Tensor Read(OpKernelContext ctx, int index)
    {
        lock (_lock) return LockedRead(ctx, index);
    }

    /// <summary>Reads several elements under one lock.</summary>
    public Tensor[] ReadMany(OpKernelContext ctx, ReadOnlySpan<int> indices)
    {
        var values = new Tensor[indices.Length];
        lock (_lock)
            for (int i = 0; i < indices.Length; i++) values[i] = LockedRead(ctx, indices[i]);
        return values;
    }

    /// <summary>Drops every element and refuses further use (TensorArrayCloseV3).</summary>
    public void Close()
    {
        lock (_lock)
        {
            _entries.Clear();
            _closed = true;
        }
    }

    /// <summary>
    /// The gradient array for <paramref name="source"/>, created on first use (TF's TensorArrayGradOp): same size,
    /// dtype and element shape (with <paramref name="shapeToPrepend"/> in front for TensorArrayGradWithShape), not
    /// resizable, aggregating writes, clear-after-read, and the forward array's written elements as virtual zeros.
    /// Creating it freezes the forward array's size.
    /// </summary>
    public TensorArray GradientFor(OpKernelContext ctx, string source, TensorShape shapeToPrepend)
    {
        lock (_lock)
        {
            ThrowIfClosed(ctx);
            _dynamicSize = false;
            if (_gradientsDisallowed)
                throw ctx.Error($"Unable to create a gradients TensorArray for {Name}.  Perhaps you used the multiple_writes_aggregate flag on a previous write?  Gradient calculation is impossible when multiple writes are performed to the same index.");
            if (_grads.TryGetValue(source, out var existing)) return existing;
            var grad = new TensorArray(Name + "@" + source, DType, _entries.Count, _elementShape.Prepend(shapeToPrepend), _identicalElementShapes,
                dynamicSize: false, clearAfterRead: true, multipleWritesAggregate: true, isGrad: true, markedSize: _markedSize);
            for (int i = 0; i < _entries.Count; i++)
            {
                if (!_entries[i].Written) continue;
                var e = grad._entries[i];
                e.Shape = new TensorShape([.. shapeToPrepend.ToArray(), .. _entries[i].Shape.ToArray()]);
                e.HasShape = true;
                e.Written = true;
                grad._entries[i] = e;
            }
            _grads[source] = grad;
            return grad;
        }
    }

    private void ThrowIfClosed(OpKernelContext ctx)
    {
        if (_closed) throw ctx.Error($"TensorArray {Name} has already been closed.");
    }

    private void LockedWrite(OpKernelContext ctx, int index, Tensor value)
    {
        ThrowIfClosed(ctx);
        if (index < 0 || (!_dynamicSize && index >= _entries.Count))
            throw ctx.Error($"TensorArray {Name}: Tried to write to index {index} but array is not resizeable and size is: {_entries.Count}");
        while (_dynamicSize && index >= _entries.Count) _entries.Add(default);
        var t = _entries[index];
        if (value.DType != DType)
            throw ctx.Error($"TensorArray {Name}: Could not write to TensorArray index {index} because the value dtype is {DataTypes.Name(value.DType)} but TensorArray dtype is {DataTypes.Name(DType)}.");
        if (!_elementShape.IsCompatibleWith(value.Shape))
            throw ctx.Error($"TensorArray {Name}: Could not write to TensorArray index {index} because the value shape is {value.Shape} which is incompatible with the TensorArray's inferred element shape: {_elementShape} (consider setting infer_shape=False).");
        if (_identicalElementShapes && !_elementShape.IsFullyDefined) _elementShape = PartialShape.Of(value.Shape);
        if (t.Read)
            throw ctx.Error($"TensorArray {Name}: Could not write to TensorArray index {index} because it has already been read.");
        if (!_multipleWritesAggregate && t.Written)
            throw ctx.Error($"TensorArray {Name}: Could not write to TensorArray index {index} because it has already been written to.");
        if (t.Written)
        {
            if (value.Shape != t.Shape)
                throw ctx.Error($"TensorArray {Name}: Could not aggregate to TensorArray index {index} because the existing shape is {t.Shape} but the new input shape is {value.Shape}.");
            if (t.Value == null || t.Value.NumElements == 0)
            {
                // Only a shape was stored (virtual zeros): the new value is the sum.
                t.Value = value;
            }
            else
            {
                // AddScaled returns a fresh tensor, so neither written value is modified (TF's local_copy).
                t.Value = ElementwiseUpdate.AddScaled(ctx, t.Value, value, +1);
                t.LocalCopy = true;
                _gradientsDisallowed = true;
            }
        }
        else
        {
            t.Value = value;
            t.Shape = value.Shape;
            t.HasShape = true;
            t.Written = true;
        }
        _entries[index] = t;
    }

    private Tensor LockedRead(OpKernelContext ctx, int index)
    {
        ThrowIfClosed(ctx);
        if (index < 0 || (!IsGrad && index >= _entries.Count))
            throw ctx.Error($"Tried to read from index {index} but array size is: {_entries.Count}");
        if ((IsGrad && (index >= _entries.Count || !_entries[index].Written)) || (!IsGrad && !_entries[index].Written))
        {
            // TF returns zeros for an unwritten element when it knows the shape: a gradient array from the
            // forward element's recorded shape, otherwise from a fully defined element shape.
            TensorShape shape;
            if (IsGrad && index < _entries.Count && _entries[index].HasShape && _entries[index].Shape.Rank > 0) shape = _entries[index].Shape;
            else if (!_elementShape.IsFullyDefined)
                throw ctx.Error($"TensorArray {Name}: Could not read from TensorArray index {index}.  Furthermore, the element shape is not fully defined: {_elementShape}.  It is possible you are working with a resizeable TensorArray and stop_gradients is not allowing the gradients to be written.  If you set the full element_shape property on the forward TensorArray, the proper all-zeros tensor will be returned instead of incurring this error.");
            else shape = _elementShape.ToShape();
            while (index >= _entries.Count) _entries.Add(new Entry { Shape = shape, HasShape = true, Written = true });
            var u = _entries[index];
            u.Shape = shape;
            u.HasShape = true;
            u.Written = true;
            _entries[index] = u;
        }
        var t = _entries[index];
        if (t.Cleared)
            throw ctx.Error($"TensorArray {Name}: Could not read index {index} twice because it was cleared after a previous read (perhaps try setting clear_after_read = false?).");
        var value = t.Value is { } v && (v.NumElements > 0 || t.Shape.NumElements == 0) ? v : Tensor.Zeros(DType, t.Shape);
        if (ClearAfterRead)
        {
            t.Value = null;
            t.Cleared = true;
        }
        else t.Value = value;
        t.Read = true;
        _entries[index] = t;
        return value;
    }
}
