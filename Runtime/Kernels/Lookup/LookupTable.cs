using System.Text;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Lookup;

/// <summary>
/// A lookup table resource (TF's <c>lookup::LookupInterface</c>): keys of one dtype (int32, int64 or string) mapped to
/// values of one dtype, each value a tensor of <see cref="ValueShape"/> (scalar for hash tables). Kernels reach it
/// through the DT_RESOURCE handle the table op outputs (<see cref="Tensor.Handle"/>).
/// </summary>
/// <remarks>
/// Three kinds, as TF's lookup_table_op.h: an initializable <c>HashTable</c> (filled once by an initializer or import;
/// finding before that is "Table not initialized"; re-initializing with the same data is allowed, with different data an
/// error; a key given twice with different values is an error), and the mutable <c>MutableHashTable</c> /
/// <c>MutableDenseHashTable</c> (insert overwrites, remove, import replaces the content).
/// </remarks>
internal sealed class LookupTable
{
    private readonly Dictionary<TableKey, object> _entries = new();
    private readonly object _sync = new();

    internal LookupTable(string name, DataType keyType, DataType valueType, TensorShape valueShape, bool mutable, TableKey? emptyKey = null, TableKey? deletedKey = null)
    {
        Name = name;
        KeyType = keyType;
        ValueType = valueType;
        ValueShape = valueShape;
        IsMutable = mutable;
        EmptyKey = emptyKey;
        DeletedKey = deletedKey;
    }

    /// <summary>The resource name (shared_name or node name), for errors.</summary>
    public string Name { get; }

    /// <summary>Key dtype.</summary>
    public DataType KeyType { get; }

    /// <summary>Value dtype.</summary>
    public DataType ValueType { get; }

    /// <summary>Shape of one value (scalar for hash tables).</summary>
    public TensorShape ValueShape { get; }

    /// <summary>True for MutableHashTable/MutableDenseHashTable; false for the initializable HashTable.</summary>
    public bool IsMutable { get; }

    /// <summary>True once an initializable table has been filled (always true for mutable tables).</summary>
    public bool IsInitialized { get; private set; }

    internal TableKey? EmptyKey { get; }

    internal TableKey? DeletedKey { get; }

    /// <summary>Number of entries.</summary>
    public long Count
    {
        get { lock (_sync) return _entries.Count; }
    }

    private long ValueSize => Math.Max(ValueShape.NumElements, 1) == 1 && ValueShape.Rank == 0 ? 1 : ValueShape.NumElements;

    /// <summary>Looks up every key; missing keys take <paramref name="defaultValue"/> (a scalar, or one value).</summary>
    internal Tensor Find(Tensor keys, Tensor defaultValue, Func<string, Exception> error)
    {
        CheckKeys(keys, error);
        if (defaultValue.DType != ValueType)
            throw error($"Expected default_value of type {DataTypes.Name(ValueType)} for table '{Name}', got {DataTypes.Name(defaultValue.DType)}.");
        long size = ValueSize;
        if (defaultValue.NumElements != 1 && defaultValue.NumElements != size)
            throw error($"Expected shape {ValueShape} or [] for default_value of table '{Name}', got {defaultValue.Shape}.");
        if (!IsMutable && !IsInitialized) throw error($"Table '{Name}' not initialized.");
        var outShape = new TensorShape([.. keys.Shape.ToArray(), .. ValueShape.ToArray()]);
        var values = new ValueBuffer(ValueType, keys.NumElements * size);
        lock (_sync)
        {
            for (int i = 0; i < keys.NumElements; i++)
            {
                if (_entries.TryGetValue(TableKey.Of(keys, i), out var v)) values.SetRow(i, size, v);
                else values.SetRowFrom(i, size, defaultValue);
            }
        }
        return values.ToTensor(outShape);
    }

    /// <summary>Inserts (mutable tables) or initializes with (<paramref name="initialize"/>) the pairs.</summary>
    internal void Insert(Tensor keys, Tensor values, Func<string, Exception> error, bool initialize)
    {
        CheckKeys(keys, error);
        CheckValues(keys, values, error);
        long size = ValueSize;
        var pairs = new List<(TableKey, object)>((int)keys.NumElements);
        for (int i = 0; i < keys.NumElements; i++)
        {
            var k = TableKey.Of(keys, i);
            if (EmptyKey is { } e && e.Equals(k)) throw error($"Using the empty_key as a table key is not allowed (table '{Name}').");
            if (DeletedKey is { } d && d.Equals(k)) throw error($"Using the deleted_key as a table key is not allowed (table '{Name}').");
            pairs.Add((k, ValueBuffer.Row(values, i, size)));
        }
        lock (_sync)
        {
            if (initialize && !IsMutable)
            {
                var fresh = new Dictionary<TableKey, object>();
                foreach (var (k, v) in pairs)
                {
                    if (fresh.TryGetValue(k, out var old) && !ValueBuffer.RowEquals(old, v))
                        throw error($"HashTable '{Name}' has different value for same key. Key {k} has {ValueBuffer.Show(old)} and trying to add value {ValueBuffer.Show(v)}.");
                    fresh[k] = v;
                }
                if (IsInitialized)
                {
                    // InitializableLookupTable::Initialize: a second initialization must bring the same data.
                    bool same = fresh.Count == _entries.Count && fresh.All(kv => _entries.TryGetValue(kv.Key, out var o) && ValueBuffer.RowEquals(o, kv.Value));
                    if (!same) throw error($"Table '{Name}' was already initialized with different data.");
                    return;
                }
                foreach (var (k, v) in fresh) _entries[k] = v;
                IsInitialized = true;
                return;
            }
            if (!IsMutable) throw error($"Table '{Name}' is not mutable (a HashTable is filled only by its initializer).");
            foreach (var (k, v) in pairs) _entries[k] = v;
        }
    }

    /// <summary>Replaces the content (LookupTableImport); for an initializable table this is its initialization.</summary>
    internal void Import(Tensor keys, Tensor values, Func<string, Exception> error)
    {
        if (!IsMutable) { Insert(keys, values, error, initialize: true); return; }
        lock (_sync)
        {
            var saved = new Dictionary<TableKey, object>(_entries);
            _entries.Clear();
            try { Insert(keys, values, error, initialize: false); }
            catch { foreach (var kv in saved) _entries[kv.Key] = kv.Value; throw; }
        }
    }

    /// <summary>Removes keys (mutable tables); absent keys are ignored, as TF.</summary>
    internal void Remove(Tensor keys, Func<string, Exception> error)
    {
        CheckKeys(keys, error);
        if (!IsMutable) throw error($"Table '{Name}' is not mutable.");
        lock (_sync)
            for (int i = 0; i < keys.NumElements; i++) _entries.Remove(TableKey.Of(keys, i));
    }

    /// <summary>All keys and values, keys sorted (TF's order is its hash order; sorting makes ours deterministic).</summary>
    internal (Tensor Keys, Tensor Values) Export()
    {
        lock (_sync)
        {
            var items = _entries.OrderBy(kv => kv.Key).ToList();
            long size = ValueSize;
            var keys = new ValueBuffer(KeyType, items.Count);
            var values = new ValueBuffer(ValueType, items.Count * size);
            for (int i = 0; i < items.Count; i++)
            {
                keys.SetRow(i, 1, items[i].Key.Boxed(KeyType));
                values.SetRow(i, size, items[i].Value);
            }
            return (keys.ToTensor(new TensorShape(items.Count)), values.ToTensor(new TensorShape([items.Count, .. ValueShape.ToArray()])));
        }
    }

    private void CheckKeys(Tensor keys, Func<string, Exception> error)
    {
        if (keys.DType != KeyType)
            throw error($"Expected keys of type {DataTypes.Name(KeyType)} for table '{Name}', got {DataTypes.Name(keys.DType)}.");
    }

    private void CheckValues(Tensor keys, Tensor values, Func<string, Exception> error)
    {
        if (values.DType != ValueType)
            throw error($"Expected values of type {DataTypes.Name(ValueType)} for table '{Name}', got {DataTypes.Name(values.DType)}.");
        if (values.NumElements != keys.NumElements * ValueSize)
            throw error($"Expected shape {new TensorShape([.. keys.Shape.ToArray(), .. ValueShape.ToArray()])} for values of table '{Name}', got {values.Shape} (keys {keys.Shape}).");
    }
}

/// <summary>A table key: an integer (int32/int64) or a byte string, ordered for deterministic export.</summary>
internal readonly record struct TableKey(long Int, string? Bytes) : IComparable<TableKey>
{
    public static TableKey Of(Tensor keys, int i) => keys.DType switch
    {
        DataType.DtString => new TableKey(0, Encoding.Latin1.GetString(keys.Strings[i])),
        DataType.DtInt64 => new TableKey(keys.AsSpan<long>()[i], null),
        DataType.DtInt32 => new TableKey(keys.AsSpan<int>()[i], null),
        _ => throw new NotSupportedException($"{DataTypes.Name(keys.DType)} table keys"),
    };

    public object Boxed(DataType type) => type switch
    {
        DataType.DtString => Encoding.Latin1.GetBytes(Bytes!),
        DataType.DtInt32 => (int)Int,
        _ => Int,
    };

    public int CompareTo(TableKey other) => Bytes != null ? string.CompareOrdinal(Bytes, other.Bytes) : Int.CompareTo(other.Int);

    public override string ToString() => Bytes != null ? "'" + Bytes + "'" : Int.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Values of a table output being filled row by row (one row = one key's value).</summary>
internal sealed class ValueBuffer(DataType type, long count)
{
    private readonly byte[][]? _strings = type == DataType.DtString ? new byte[count][] : null;
    private readonly byte[]? _bytes = type == DataType.DtString ? null : new byte[count * DataTypes.ElementSize(type)];
    private readonly int _elem = type == DataType.DtString ? 0 : DataTypes.ElementSize(type);

    /// <summary>Row <paramref name="i"/> of <paramref name="t"/> (size elements) as a stored value.</summary>
    public static object Row(Tensor t, int i, long size)
    {
        if (t.DType == DataType.DtString) return size == 1 ? t.Strings[i] : t.Strings.AsSpan((int)(i * size), (int)size).ToArray();
        int elem = DataTypes.ElementSize(t.DType);
        return t.Bytes.Slice((int)(i * size * elem), (int)(size * elem)).ToArray();
    }

    public static bool RowEquals(object a, object b) => (a, b) switch
    {
        (byte[] x, byte[] y) => x.AsSpan().SequenceEqual(y),
        (byte[][] x, byte[][] y) => x.Length == y.Length && x.Zip(y).All(p => p.First.AsSpan().SequenceEqual(p.Second)),
        _ => Equals(a, b),
    };

    public static string Show(object v) => v switch
    {
        byte[] b when b.Length <= 8 => Convert.ToHexString(b),
        _ => v.ToString() ?? "",
    };

    public void SetRow(int i, long size, object value)
    {
        switch (value)
        {
            case byte[] b when _strings != null: _strings[i] = b; break;
            case byte[][] s: s.CopyTo(_strings!, i * size); break;
            case byte[] raw: raw.CopyTo(_bytes!, i * size * _elem); break;
            case long l: BitConverter.TryWriteBytes(_bytes.AsSpan((int)(i * size * _elem)), l); break;
            case int n: BitConverter.TryWriteBytes(_bytes.AsSpan((int)(i * size * _elem)), n); break;
        }
    }

    public void SetRowFrom(int i, long size, Tensor defaultValue)
    {
        for (long j = 0; j < size; j++)
        {
            long src = defaultValue.NumElements == 1 ? 0 : j;
            if (_strings != null) _strings[i * size + j] = defaultValue.Strings[src];
            else defaultValue.Bytes.Slice((int)(src * _elem), _elem).CopyTo(_bytes.AsSpan((int)((i * size + j) * _elem)));
        }
    }

    public Tensor ToTensor(TensorShape shape) => _strings != null ? new Tensor(shape, _strings) : new Tensor(type, shape, _bytes!);
}
