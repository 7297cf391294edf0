using TypedGraph.Protos;

namespace TypedGraph.Kernels.Lists;

/// <summary>
/// The value inside a DT_VARIANT TensorList tensor (TF 2.x's TensorArray): element dtype, element shape (partial:
/// null = unknown rank, −1 = unknown dim), the elements (null = never set, read as zeros when the shape allows, as
/// TF's list kernels do) and the optional maximum size of <c>EmptyTensorList</c>.
/// </summary>
/// <remarks>
/// <para>Lists are values: an op that "changes" a list returns a new version and the input version keeps its
/// contents. TF gets O(1) SetItem / PushBack / PopBack by mutating in place when nothing else holds the list
/// (list_kernels.cc <c>ForwardInputOrCreateNewList</c>: <c>forward_input</c> succeeds and the TensorList's
/// <c>RefCountIsOne()</c>; otherwise it copies the element vector). .NET has no reference counts, so the same
/// effect is reached with Baker's shallow binding ("persistent arrays"): every version derived by these three ops
/// shares one <see cref="Store"/>; the newest version owns the store's element array and is mutated in place, and
/// each older version keeps only an undo record ("element i was v", "one element fewer", "one element more")
/// relative to the version after it. Reading an older version again — a list fetched or read by another op after
/// it was set — first re-roots the store at that version by undoing the records between them (and keeps the newer
/// versions as redo records), so every version reads exactly its own contents, and a loop that uses its list
/// linearly (while_v2's accumulators) never copies the element array.</para>
/// <para>Versions of one store may be read from several threads (concurrent runs of a session); the store's lock
/// makes every re-root and mutation atomic.</para>
/// </remarks>
internal sealed class TensorList
{
    private readonly Store _store;

    // Undo record, meaningful only while this version is not the store's current one: the version `_next`
    // becomes this one by applying (_kind, _index, _value) to it.
    private TensorList? _next;
    private Change _kind;
    private int _index;
    private Tensor? _value;

    private enum Change : byte
    {
        None,
        /// <summary>Element <c>_index</c> is <c>_value</c> here.</summary>
        Set,
        /// <summary>This version has <c>_index</c> elements (the next one appended one).</summary>
        Truncate,
        /// <summary>This version has one element more, <c>_value</c>, at the end (the next one popped it).</summary>
        Append,
    }

    /// <summary>The element array shared by the versions of one list; it holds the current version's contents.</summary>
    private sealed class Store(Tensor?[] items)
    {
        public Tensor?[] Items = items;
        public int Count = items.Length;
        public TensorList? Current;
    }

    internal TensorList(DataType elementDType, long[]? elementShape, Tensor?[] items, int maxNumElements = -1)
        : this(elementDType, elementShape, maxNumElements, new Store(items))
    {
    }

    private TensorList(DataType elementDType, long[]? elementShape, int maxNumElements, Store store)
    {
        ElementDType = elementDType;
        ElementShape = elementShape;
        MaxNumElements = maxNumElements;
        _store = store;
        store.Current = this;
    }

    /// <summary>The element dtype.</summary>
    public DataType ElementDType { get; }

    /// <summary>The declared element shape: null for unknown rank, −1 for an unknown dim.</summary>
    public long[]? ElementShape { get; }

    /// <summary>The maximum number of elements (<c>EmptyTensorList</c>'s <c>max_num_elements</c>), −1 for unbounded.</summary>
    public int MaxNumElements { get; }

    /// <summary>The number of elements of this version.</summary>
    public int Count
    {
        get
        {
            lock (_store)
            {
                Reroot();
                return _store.Count;
            }
        }
    }

    /// <summary>Element <paramref name="index"/> of this version (null when never set); the caller checked the index.</summary>
    public Tensor? Get(int index)
    {
        lock (_store)
        {
            Reroot();
            return _store.Items[index];
        }
    }

    /// <summary>A copy of this version's elements (for ops that build a new list from them).</summary>
    internal Tensor?[] CopyItems()
    {
        lock (_store)
        {
            Reroot();
            return _store.Items.AsSpan(0, _store.Count).ToArray();
        }
    }

    /// <summary>A new list (own store) with this one's dtype, shape and bound over <paramref name="items"/>.</summary>
    internal TensorList With(Tensor?[] items) => new(ElementDType, ElementShape, items, MaxNumElements);

    /// <summary>The version with element <paramref name="index"/> (in range) replaced; this version keeps its contents.</summary>
    internal TensorList SetItem(int index, Tensor? item)
    {
        lock (_store)
        {
            Reroot();
            var next = Successor();
            (_kind, _index, _value) = (Change.Set, index, _store.Items[index]);
            _store.Items[index] = item;
            return next;
        }
    }

    /// <summary>The version with <paramref name="item"/> appended; this version keeps its contents.</summary>
    internal TensorList PushBack(Tensor? item)
    {
        lock (_store)
        {
            Reroot();
            var next = Successor();
            (_kind, _index, _value) = (Change.Truncate, _store.Count, null);
            Append(_store, item);
            return next;
        }
    }

    /// <summary>The version without its last element (this version must have one), and that element.</summary>
    internal (TensorList List, Tensor? Last) PopBack()
    {
        lock (_store)
        {
            Reroot();
            var last = _store.Items[_store.Count - 1];
            var next = Successor();
            (_kind, _index, _value) = (Change.Append, 0, last);
            _store.Items[--_store.Count] = null;
            return (next, last);
        }
    }

    /// <summary>A new current version of this store; this one becomes its predecessor (the caller sets the undo record).</summary>
    private TensorList Successor()
    {
        var next = new TensorList(ElementDType, ElementShape, MaxNumElements, _store);
        _next = next;
        return next;
    }

    private static void Append(Store s, Tensor? item)
    {
        if (s.Count == s.Items.Length) Array.Resize(ref s.Items, Math.Max(4, s.Items.Length * 2));
        s.Items[s.Count++] = item;
    }

    /// <summary>
    /// Makes this version the store's current one: walks the undo chain to the current version, then applies the
    /// records from the current end back to this version, turning each into the inverse record on the version it
    /// left (so the newer versions stay readable).
    /// </summary>
    private void Reroot()
    {
        if (_store.Current == this) return;
        // Reverse the chain this → … → current so that each node points at its predecessor (towards this).
        TensorList? previous = null, node = this;
        while (node != null)
        {
            var following = node._next;
            node._next = previous;
            previous = node;
            node = following;
        }
        // `previous` is the old current version; walk back towards this, applying each record.
        var current = previous!;
        while (current != this)
        {
            var target = current._next!; // the version whose record turns `current` into it
            ApplyRecordOf(target, current);
            current = target;
        }
        _next = null;
        _store.Current = this;
    }

    /// <summary>The store holds <paramref name="from"/>'s contents; apply <paramref name="to"/>'s record so it holds
    /// <paramref name="to"/>'s, and give <paramref name="from"/> the inverse record pointing at <paramref name="to"/>.</summary>
    private void ApplyRecordOf(TensorList to, TensorList from)
    {
        var s = _store;
        switch (to._kind)
        {
            case Change.Set:
                (from._kind, from._index, from._value) = (Change.Set, to._index, s.Items[to._index]);
                s.Items[to._index] = to._value;
                break;
            case Change.Truncate:
                (from._kind, from._index, from._value) = (Change.Append, 0, s.Items[s.Count - 1]);
                s.Items[--s.Count] = null;
                break;
            case Change.Append:
                (from._kind, from._index, from._value) = (Change.Truncate, s.Count, null);
                Append(s, to._value);
                break;
            default:
                throw new InvalidOperationException("TensorList version chain without an undo record.");
        }
        from._next = to;
        // `to._next` still points further along the reversed chain; the walk reads it next and overwrites it then.
        (to._kind, to._index, to._value) = (Change.None, 0, null);
    }

    /// <inheritdoc/>
    public override string ToString() => $"TensorList<{DataTypes.Name(ElementDType)}>[{Count}]";
}
